package mapping

import (
	"context"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

const groupBody = `{
  "name": "Ménage Ndiaye", "kind": "Household", "is_partial_group": false,
  "bank_ids": [{"bank_name": "Group Bank", "acc_number": "GRP-001"}],
  "members": [
    {"given_name": "Awa", "family_name": "Ndiaye", "gender": "Female", "kind": [{"name": "Head"}],
     "ids": [{"id_type": "National ID", "value": "5555555555"}],
     "bank_ids": [{"bank_name": "group bank", "acc_number": "GRP-001"}]},
    {"given_name": "Cheikh", "family_name": "Ndiaye", "kind": [{"name": "Spouse"}, {"name": null}],
     "bank_ids": [{"bank_name": "Other Group Bank", "acc_number": "GRP 001"}]},
    {"name": "Child Ndiaye", "bank_ids": null}
  ]
}`

func TestCreateGroup(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	g, err := env.reg.CreateGroup(ctx, decode[GroupRequest](t, groupBody))
	if err != nil {
		t.Fatal(err)
	}
	if !g.IsGroup || *g.Name != "Ménage Ndiaye" || *g.Kind != "Household" || len(g.BankIDs) != 1 {
		t.Errorf("group %+v", g.GroupShort)
	}
	if len(g.GroupMembershipIDs) != 3 {
		t.Fatalf("members %+v", g.GroupMembershipIDs)
	}
	byName := map[string]Membership{}
	for _, m := range g.GroupMembershipIDs {
		if m.Individual == nil || m.Individual.Name == nil {
			t.Fatalf("membership without individual: %+v", m)
		}
		byName[*m.Individual.Name] = m
	}
	head := byName["NDIAYE, AWA "]
	if len(head.Kind) != 1 || head.Kind[0].Name != "Head" || len(head.Individual.BankIDs) != 1 || len(head.Individual.RegIDs) != 1 {
		t.Errorf("head %+v", head)
	}
	if m := byName["NDIAYE, CHEIKH "]; len(m.Kind) != 1 || m.Kind[0].Name != "Spouse" {
		t.Errorf("spouse %+v", m)
	}
	// group create + members create + read back; banks were resolved first.
	if n := env.srv.CallsTo("res.partner", "create"); n != 2 {
		t.Errorf("res.partner.create calls %d, want 2", n)
	}
	env.srv.ResetCalls()
	got, err := env.reg.GetGroup(ctx, g.ID)
	if err != nil || len(got.GroupMembershipIDs) != 3 || env.srv.Calls() != 1 {
		t.Errorf("GetGroup: %v, %d members, %d calls", err, len(got.GroupMembershipIDs), env.srv.Calls())
	}
	if _, err := env.reg.GetGroup(ctx, head.Individual.ID); errCode(err) != CodeNotFound {
		t.Errorf("an individual read as a group: %v", err)
	}
	env.srv.ResetCalls()
	second := strings.NewReplacer("Ménage Ndiaye", "Ménage Sarr", "5555555555", "5555555556").Replace(groupBody)
	if _, err := env.reg.CreateGroup(ctx, decode[GroupRequest](t, second)); err != nil {
		t.Fatal(err)
	}
	if n := env.srv.Calls(); n != 3 {
		t.Errorf("a group with members and cached banks took %d Odoo calls, want 3: %v", n, env.srv.CallLog())
	}
	env.srv.ResetCalls()
	page, err := env.reg.SearchGroups(ctx, SearchQuery{Name: "Ndiaye"}, true)
	if err != nil || page.Total != 1 || len(page.Items[0].GroupMembershipIDs) != 3 || env.srv.Calls() != 1 {
		t.Errorf("SearchGroups: %v total %d calls %d", err, page.Total, env.srv.Calls())
	}
}

func TestCreateGroupValidatesEverythingFirst(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	cases := []struct {
		name, body string
		code       Code
		pointer    string
	}{
		{"no name", `{"members":[]}`, CodeValidationFailed, "/name"},
		{"unknown kind", `{"name":"G","kind":"Tribe","members":[]}`, CodeUnknownReference, "/kind"},
		{"unknown member kind", `{"name":"G","members":[{"name":"M","kind":[{"name":"Cousin"}]}]}`, CodeUnknownReference, "/members/0/kind/0/name"},
		{"two heads", `{"name":"G","members":[{"name":"M","kind":[{"name":"Head"}]},{"name":"N","kind":[{"name":"head"}]}]}`, CodeValidationFailed, "/members/1/kind/0/name"},
		{"member duplicate accounts", `{"name":"G","members":[{"name":"M","bank_ids":[{"bank_name":"B","acc_number":"1-2"},{"bank_name":"B","acc_number":"12"}]}]}`, CodeDuplicateInRequest, "/members/0/bank_ids/1/acc_number"},
		{"bad member id", `{"name":"G","members":[{"name":"M"},{"name":"N","ids":[{"id_type":"National ID","value":"x"}]}]}`, CodeValidationFailed, "/members/1/ids/0/value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env.srv.ResetCalls()
			_, err := env.reg.CreateGroup(context.Background(), decode[GroupRequest](t, c.body))
			if errCode(err) != c.code || !hasPointer(err, c.pointer) {
				t.Fatalf("got %v (%+v), want %s at %s", err, err, c.code, c.pointer)
			}
			if n := env.srv.CallsTo("res.partner", "create") + env.srv.CallsTo("res.bank", "create"); n != 0 {
				t.Errorf("%d creates for an invalid group", n)
			}
		})
	}
	_, err := env.reg.CreateGroup(context.Background(), decode[GroupRequest](t, `{"name":"G","kind":"Tribe"}`))
	if e, _ := AsError(err); e == nil || e.LegacyCode != LegacyGroupKind {
		t.Errorf("unknown group kind must carry %s: %+v", LegacyGroupKind, e)
	}
}

func TestCreateGroupCompensatesFailedMembers(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	env.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Model == "res.partner" && c.Method == "create" && len(c.Args) > 0 {
			if list, ok := c.Args[0].([]any); ok && len(list) > 0 {
				if _, isList := list[0].(map[string]any); isList {
					return &emulator.Injected{Fault: emulator.ValidationFault("Only one Head is allowed per group")}
				}
			}
		}
		return nil
	})
	_, err := env.reg.CreateGroup(ctx, decode[GroupRequest](t, `{"name":"Doomed Group","members":[{"name":"M1"},{"name":"M2"}]}`))
	if errCode(err) != CodeValidationFailed {
		t.Fatalf("got %v, want the members' validation error", err)
	}
	ids, err := env.odoo.Search(ctx, "res.partner", odoo.Domain{odoo.Cond("name", "=", "Doomed Group")}, odoo.Options{})
	if err != nil || len(ids) != 0 {
		t.Errorf("active groups left behind: %v %v", ids, err)
	}
	inactive := false
	ids, err = env.odoo.Search(ctx, "res.partner", odoo.Domain{odoo.Cond("name", "in", []any{"M1", "M2"})}, odoo.Options{ActiveTest: &inactive})
	if err != nil || len(ids) != 0 {
		t.Errorf("members left behind: %v %v", ids, err)
	}
}
