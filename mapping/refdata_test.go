package mapping

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// fieldMessage returns the message err carries for pointer (a parameter
// with a leading "?"), or "".
func fieldMessage(err error, pointer string) string {
	e, ok := AsError(err)
	if !ok {
		return ""
	}
	param, isParam := strings.CutPrefix(pointer, "?")
	for _, f := range e.Fields {
		if isParam && f.Parameter == param || !isParam && f.Parameter == "" && f.Pointer == pointer {
			return f.Message
		}
	}
	return ""
}

// An unknown reference name says which names the registry accepts, and
// which one was probably meant, so that a client can fix the request
// without asking the registry's administrators.
func TestUnknownReferencesListTheAcceptedNames(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	const idTypes = `"Birth Certificate", "National ID", "Passport", "Tax ID"`
	individual := func(body string) error {
		_, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, body))
		return err
	}
	group := func(body string) error {
		_, err := env.reg.CreateGroup(ctx, decode[GroupRequest](t, body))
		return err
	}
	ids := func(include, exclude string) error {
		_, err := env.reg.IndividualIDs(ctx, include, exclude)
		return err
	}
	update := func(idType string) error {
		_, err := env.reg.UpdateIndividuals(ctx, idType, []UpdateIndividualRequest{*decode[UpdateIndividualRequest](t, `{"updateId":"1","given_name":"A"}`)})
		return err
	}
	for _, tt := range []struct {
		name, pointer, want string
		err                 error
	}{
		{"id type with a typo", "/ids/0/id_type",
			`unknown ID type "Pasport" (did you mean "Passport"?); accepted: ` + idTypes,
			individual(`{"given_name":"A","ids":[{"id_type":"Pasport","value":"1"}]}`)},
		{"id type like none", "/ids/0/id_type",
			`unknown ID type "Voter Card"; accepted: ` + idTypes,
			individual(`{"given_name":"A","ids":[{"id_type":"Voter Card","value":"1"}]}`)},
		{"gender: codes and values, each once", "/gender",
			`unknown gender "F"; accepted: "Female", "Male", "Other"`,
			individual(`{"given_name":"A","gender":"F"}`)},
		{"group kind", "/kind",
			`Group type Not Found: "Houshold" (did you mean "Household"?); accepted: "Family", "Household"`,
			group(`{"name":"G","kind":"Houshold","members":[]}`)},
		{"membership kind", "/members/0/kind/0/name",
			`Member's kind not found: "Cousin"; accepted: "Child", "Head", "Spouse"`,
			group(`{"name":"G","members":[{"name":"M","kind":[{"name":"Cousin"}]}]}`)},
		{"id type of get_individual_ids", "?include_id_type",
			`unknown ID type "NationalID" (did you mean "National ID"?); accepted: ` + idTypes,
			ids("NationalID", "")},
		{"excluded id type", "?exclude_id_type",
			`unknown ID type "Tax_ID" (did you mean "Tax ID"?); accepted: ` + idTypes,
			ids("National ID", "Tax_ID")},
		{"id type of update_individual", "?id_type",
			`unknown ID type "passeport" (did you mean "Passport"?); accepted: ` + idTypes,
			update("passeport")},
	} {
		if got := fieldMessage(tt.err, tt.pointer); got != tt.want {
			t.Errorf("%s: message at %s\n got %q\nwant %q\n(error: %v)", tt.name, tt.pointer, got, tt.want, tt.err)
		}
	}
	// Names match case-insensitively: a different case is no mistake.
	if _, err := env.reg.IndividualIDs(ctx, "national id", "TAX ID"); err != nil {
		t.Errorf("id types in another case: %v", err)
	}
}

// A registry with many id types: the message lists the first ones and
// says how many there are.
func TestUnknownReferenceListIsCapped(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	for i := range 30 {
		if _, err := env.odoo.Create(ctx, "g2p.id.type", odoo.Values{"name": fmt.Sprintf("Card %02d", i)}, odoo.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := env.reg.IndividualIDs(ctx, "Voter Card", "")
	msg := fieldMessage(err, "?include_id_type")
	if !strings.HasPrefix(msg, `unknown ID type "Voter Card"; accepted: "Birth Certificate", "Card 00", "Card 01",`) ||
		!strings.HasSuffix(msg, `"Card 17", "Card 18", … (34 in all)`) {
		t.Errorf("message %q: want the first 20 names and the count", msg)
	}
}
