package mapping

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// Findings of the black-box test round (/tmp/breaker), one test each.

// #3: a request refused because of one bank must not have created another.
func TestRefusedRequestCreatesNoBank(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	createForUpdate(t, env, "3333333333", "")
	var bank string // a new bank per case
	bad := func() string {
		return `{"bank_name": "` + bank + `", "acc_number": "HW-1"}, {"bic": "ZZZZSNDA", "acc_number": "HW-2"}`
	}
	cases := []struct {
		name, pointer string
		call          func() error
	}{
		{"POST /individual", "/bank_ids/1/bic", func() error {
			_, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, `{"name":"X","bank_ids":[`+bad()+`]}`))
			return err
		}},
		{"POST /group", "/members/0/bank_ids/1/bic", func() error {
			_, err := env.reg.CreateGroup(ctx, decode[GroupRequest](t, `{"name":"G","members":[{"name":"M","bank_ids":[`+bad()+`]}]}`))
			return err
		}},
		{"PUT /update_individual", "/0/bank_ids/1/bic", func() error {
			_, err := env.reg.UpdateIndividuals(ctx, "National ID", *decode[[]UpdateIndividualRequest](t, `[{"updateId":"3333333333","bank_ids":[`+bad()+`]}]`))
			return err
		}},
	}
	for _, c := range cases {
		bank = "Half Written Bank of " + c.name
		env.srv.ResetCalls()
		err := c.call()
		if errCode(err) != CodeUnknownReference || !hasPointer(err, c.pointer) {
			t.Errorf("%s: got %v, want unknown_reference at %s", c.name, err, c.pointer)
		}
		if n := env.srv.CallsTo("res.bank", "create"); n != 0 || len(banksNamed(t, env, bank)) != 0 {
			t.Errorf("%s: refused with 422 but %d res.bank created", c.name, n)
		}
	}
}

// injectMembersFault makes the batched member create of a group fail, and
// with archiveToo the compensating archive of the group as well.
func injectMembersFault(env *testEnv, archiveToo bool) {
	env.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Model != "res.partner" || len(c.Args) == 0 {
			return nil
		}
		if list, ok := c.Args[0].([]any); ok && len(list) > 0 {
			if _, batch := list[0].(map[string]any); batch && c.Method == "create" {
				return &emulator.Injected{Fault: emulator.ValidationFault("Only one Head is allowed per group")}
			}
		}
		if c.Method == "write" && archiveToo {
			return &emulator.Injected{Fault: emulator.UserFault("The group is locked")}
		}
		return nil
	})
}

// #2: the compensation of a failed group create archives the group's own
// accounts too (they would stay in the payment feed otherwise).
func TestFailedGroupCreateArchivesTheGroupsAccounts(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	injectMembersFault(env, false)
	_, err := env.reg.CreateGroup(ctx, decode[GroupRequest](t, `{"name":"Doomed Bank Group",
	  "bank_ids":[{"bank_name":"Group Bank","acc_number":"DOOM-1"},{"bank_name":"Group Bank","acc_number":"DOOM-2"}],
	  "members":[{"name":"M1"}]}`))
	if errCode(err) != CodeValidationFailed {
		t.Fatalf("got %v, want the members' validation error", err)
	}
	inactive := false
	accs, err := env.odoo.SearchRead(ctx, "res.partner.bank", odoo.Domain{odoo.Cond("acc_number", "in", []any{"DOOM-1", "DOOM-2"})},
		[]string{"active", "partner_id"}, odoo.Options{ActiveTest: &inactive})
	if err != nil || len(accs) != 2 {
		t.Fatalf("accounts %v %v", accs, err)
	}
	for _, a := range accs {
		if a.Bool("active") {
			t.Errorf("account %d of the compensated group is still active (the payment feed offers it)", a.ID())
		}
	}
}

// #2: when the compensation fails too, the client is not told a plain
// upstream error (which invites a blind retry): the group may remain.
func TestFailedGroupCompensationIsNotAPlainUpstreamError(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	injectMembersFault(env, true)
	_, err := env.reg.CreateGroup(context.Background(), decode[GroupRequest](t, `{"name":"Orphan Group","members":[{"name":"M1"}]}`))
	e, _ := AsError(err)
	if e == nil || e.Code != CodeUpstreamOutcomeUnknown || !strings.Contains(e.Message, "could not be archived") {
		t.Fatalf("got %v, want upstream_outcome_unknown saying the group may remain", err)
	}
}

// #4 #7 #16 #17 #19: what DecodeStrict refuses, as the client sees it.
func TestDecodeStrictRefusesAmbiguousBodies(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		code    Code
		pointer string
		detail  string
	}{
		{"invalid UTF-8 in a name (#4)", "{\"name\":\"Jos\xe9\"}", CodeInvalidJSON, "", "not valid UTF-8 (at byte 12)"},
		{"invalid UTF-8 in an account number (#4)", "{\"bank_ids\":[{\"bank_name\":\"B\",\"acc_number\":\"12\xc3\x28\"}]}", CodeInvalidJSON, "", "UTF-8"},
		{"duplicate key (#7)", `{"name":"A","bank_ids":[],"bank_ids":[{"bank_name":"B","acc_number":"1"}]}`, CodeValidationFailed, "/bank_ids", "more than once"},
		{"nested duplicate key (#7)", `{"bank_ids":[{"bank_name":"B","acc_number":"1","acc_number":"2"}]}`, CodeValidationFailed, "/bank_ids/0/acc_number", "more than once"},
		{"escaped duplicate key (#7)", `{"name":"A","n\u0061me":"B"}`, CodeValidationFailed, "/name", "more than once"},
		{"null body (#16)", `null`, CodeValidationFailed, "", "must be a JSON object"},
		{"tab in a name (#17)", `{"name":"A\tB"}`, CodeValidationFailed, "/name", "U+0009"},
		{"newline in a given name (#17)", `{"given_name":"A\nB"}`, CodeValidationFailed, "/given_name", "U+000A"},
		{"NEL in a family name (#17)", `{"family_name":"A\u0085B"}`, CodeValidationFailed, "/family_name", "U+0085"},
		{"bidi override in a bank name (#17)", `{"bank_ids":[{"bank_name":"B\u202eknaB","acc_number":"1"}]}`, CodeValidationFailed, "/bank_ids/0/bank_name", "U+202E"},
		{"bidi isolate in an account number (#17)", `{"bank_ids":[{"bank_name":"B","acc_number":"12\u206634"}]}`, CodeValidationFailed, "/bank_ids/0/acc_number", "U+2066"},
		{"newline in an id value (#17)", `{"ids":[{"id_type":"Passport","value":"A1\nB2"}]}`, CodeValidationFailed, "/ids/0/value", "U+000A"},
		{"tab in a phone number (#17)", `{"phone_numbers":[{"phone_no":"+221\t77"}]}`, CodeValidationFailed, "/phone_numbers/0/phone_no", "U+0009"},
		{"lone surrogate escape (#4)", `{"name":"A\ud800B"}`, CodeValidationFailed, "/name", "U+FFFD"},
		{"NUL in an address", `{"address":"Rue 1\u0000"}`, CodeValidationFailed, "/address", "U+0000"},
		{"two problems (#19)", `{"name":1,"email":2}`, CodeValidationFailed, "/email", "(and 1 more problem)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var req IndividualRequest
			err := DecodeStrict([]byte(c.body), &req)
			e, _ := AsError(err)
			if e == nil || e.Code != c.code || !strings.Contains(e.Message, c.detail) {
				t.Fatalf("got %v, want %s saying %q", err, c.code, c.detail)
			}
			if c.pointer != "" && !hasPointer(err, c.pointer) {
				t.Errorf("%v does not point at %s", err, c.pointer)
			}
		})
	}
	var items []UpdateIndividualRequest
	if err := DecodeStrict([]byte(`null`), &items); errCode(err) != CodeValidationFailed || !strings.Contains(err.Error(), "JSON array") {
		t.Errorf("null update batch: %v, want a 422 asking for an array", err)
	}
	// Multi-line address keeps its line breaks; a leading BOM is ignored.
	req := decode[IndividualRequest](t, "\ufeff"+`{"name":"A","address":"Rue 1\nDakar\tSN"}`)
	if req.Address.Value != "Rue 1\nDakar\tSN" {
		t.Errorf("address %q", req.Address.Value)
	}
}

// #8: twin banks — BIC with and without the XXX branch, names with
// invisible or full-width characters — are one bank; a bank or registrant
// name made only of invisible characters is refused.
func TestBankVariantsAreOneBank(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	base, err := env.reg.banks.Resolve(ctx, BankRef{Name: "Commerzbank", BIC: "COBADEFFXXX"})
	if err != nil {
		t.Fatal(err)
	}
	named, err := env.reg.banks.Resolve(ctx, BankRef{Name: "Twin Test Bank"})
	if err != nil {
		t.Fatal(err)
	}
	fresh := NewBankResolver(env.odoo, time.Minute, nil) // nothing cached
	env.srv.ResetCalls()
	for _, c := range []struct {
		ref  BankRef
		want int64
	}{
		{BankRef{Name: "Commerzbank", BIC: "COBADEFF"}, base.ID},
		{BankRef{BIC: "cobadeff"}, base.ID},
		{BankRef{Name: "Twin\u200b Test Bank"}, named.ID},
		{BankRef{Name: "\ufeffTwin Test Bank"}, named.ID},
		{BankRef{Name: "Ｔｗｉｎ Ｔｅｓｔ Ｂａｎｋ"}, named.ID},
		{BankRef{Name: "TWIN TEST\u00a0BANK"}, named.ID},
	} {
		for _, r := range []*BankResolver{fresh, env.reg.banks} {
			got, err := r.Resolve(ctx, c.ref)
			if err != nil || got.ID != c.want {
				t.Errorf("%+v resolved to %+v (%v), want bank %d", c.ref, got, err, c.want)
			}
		}
	}
	if n := env.srv.CallsTo("res.bank", "create"); n != 0 {
		t.Errorf("%d twin banks created", n)
	}
	_, err = env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, `{"name":"\u200b\ufeff \u2060","bank_ids":[{"bank_name":"\u200b","acc_number":"1"}]}`))
	if !hasPointer(err, "/name") || !hasPointer(err, "/bank_ids/0") {
		t.Errorf("invisible names: got %v, want 422 at /name and /bank_ids/0", err)
	}
}

// #19: a birthdate before 1900 is a typing error.
func TestBirthdateBefore1900IsRefused(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	_, err := env.reg.CreateIndividual(context.Background(), decode[IndividualRequest](t, `{"name":"Old","birthdate":"1899-12-31"}`))
	if errCode(err) != CodeValidationFailed || !hasPointer(err, "/birthdate") {
		t.Errorf("got %v, want 422 at /birthdate", err)
	}
}

// #19: "National ID" is not called "National ID ID".
func TestIDTypeNamedIDIsNotDoubled(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	_, err := env.reg.CreateIndividual(context.Background(), decode[IndividualRequest](t, `{"name":"X","ids":[{"id_type":"National ID","value":"12"}]}`))
	if e, _ := AsError(err); e == nil || strings.Contains(e.Message, "ID ID") || !strings.Contains(e.Message, "National ID '12'") {
		t.Errorf("got %v", err)
	}
}

// #10: a page past the end still tells the real total, at the cost of one
// more call only then.
func TestSearchPastTheEndKeepsTheTotal(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	first, err := env.reg.SearchIndividuals(ctx, SearchQuery{Limit: 2})
	if err != nil || first.Total < 3 {
		t.Fatalf("%+v %v: the demo seed needs 3 individuals", first, err)
	}
	env.srv.ResetCalls()
	past, err := env.reg.SearchIndividuals(ctx, SearchQuery{Offset: 100000})
	if err != nil || len(past.Items) != 0 || past.Total != first.Total {
		t.Errorf("offset 100000: %d items, total %d (%v), want 0 items, total %d", len(past.Items), past.Total, err, first.Total)
	}
	groups, err := env.reg.SearchGroups(ctx, SearchQuery{}, false)
	if err != nil {
		t.Fatal(err)
	}
	pastGroups, err := env.reg.SearchGroups(ctx, SearchQuery{Offset: 100000}, false)
	if err != nil || pastGroups.Total != groups.Total {
		t.Errorf("groups past the end: total %d (%v), want %d", pastGroups.Total, err, groups.Total)
	}
	env.srv.ResetCalls()
	if _, err := env.reg.SearchIndividuals(ctx, SearchQuery{Limit: 2, Offset: 1}); err != nil || env.srv.Calls() != 1 {
		t.Errorf("a normal page took %d calls (%v), want 1", env.srv.Calls(), err)
	}
}

// #17: a name searched in decomposed form finds the NFC-stored name.
func TestSearchByDecomposedName(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	if _, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, `{"name":"Zoe\u0301 Searchable"}`)); err != nil {
		t.Fatal(err)
	}
	page, err := env.reg.SearchIndividuals(ctx, SearchQuery{Name: "Zoe\u0301"})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("search Zoe+U+0301: %d found (%v), want 1", len(page.Items), err)
	}
}

// #11: an update naming a known number with another bank moves the
// account there (one account, not two, and not left at the old bank).
func TestUpdateRepointsAKnownNumberToTheNamedBank(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	before := createForUpdate(t, env, "1111111111", "")
	res, err := env.reg.UpdateIndividuals(ctx, "National ID", *decode[[]UpdateIndividualRequest](t,
		`[{"updateId":"1111111111","bank_ids":[{"bank_name":"Moved To Bank","acc_number":"ML13-0001-0000-01"}]}]`))
	if err == nil {
		err = BatchError(res)
	}
	if err != nil {
		t.Fatal(err)
	}
	after := res[0].Individual.BankIDs
	if len(after) != len(before.BankIDs) {
		t.Fatalf("%d accounts after the update, want %d", len(after), len(before.BankIDs))
	}
	for _, acc := range after {
		if *acc.AccNumber == "ML13 0001 0000 01" && (acc.ID != before.BankIDs[0].ID || *acc.BankName != "Moved To Bank") {
			t.Errorf("account %d at %s, want account %d at Moved To Bank", acc.ID, *acc.BankName, before.BankIDs[0].ID)
		}
	}
}

// #13: an id type deleted in Odoo while cached: the request is validated
// again against fresh reference data — success when the type was
// re-created under the same name, a 422 pointing at it when it is gone.
func TestDeletedReferenceDataIsValidatedAgain(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	mk := func(name string) int64 {
		id, err := env.odoo.Create(ctx, "g2p.id.type", odoo.Values{"name": name}, odoo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	mk("Voter Card")
	mk("Ration Card")
	body := func(typ, value string) *IndividualRequest {
		return decode[IndividualRequest](t, `{"name":"Ref `+value+`","ids":[{"id_type":"`+typ+`","value":"`+value+`"}]}`)
	}
	for _, typ := range []string{"Voter Card", "Ration Card"} { // cache both
		if _, err := env.reg.CreateIndividual(ctx, body(typ, "V1"+typ[:1])); err != nil {
			t.Fatal(err)
		}
	}
	unlinkIDType := func(name string) {
		ids, err := env.odoo.Search(ctx, "g2p.id.type", odoo.Domain{odoo.Cond("name", "=", name)}, odoo.Options{})
		if err == nil {
			var regs []int64
			regs, err = env.odoo.Search(ctx, "g2p.reg.id", odoo.Domain{odoo.Cond("id_type", "in", []any{ids[0]})}, odoo.Options{})
			if err == nil {
				_, err = env.odoo.ExecuteKw(ctx, "g2p.reg.id", "unlink", []any{regs}, nil)
			}
			if err == nil {
				_, err = env.odoo.ExecuteKw(ctx, "g2p.id.type", "unlink", []any{ids}, nil)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	unlinkIDType("Voter Card")
	mk("Voter Card")
	if _, err := env.reg.CreateIndividual(ctx, body("Voter Card", "V2")); err != nil {
		t.Errorf("id type re-created under the same name: %v, want success", err)
	}
	unlinkIDType("Ration Card")
	_, err := env.reg.CreateIndividual(ctx, body("Ration Card", "V3"))
	if errCode(err) != CodeUnknownReference || !hasPointer(err, "/ids/0/id_type") {
		t.Errorf("deleted id type: %v, want unknown_reference at /ids/0/id_type", err)
	}
}

// #13: a gender type deleted while cached: a 422 at /gender, not a 502.
func TestDeletedGenderIsValidatedAgain(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	if _, err := env.odoo.Create(ctx, "gender.type", odoo.Values{"code": "Unspecified", "value": "unspecified"}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, `{"name":"G1","gender":"Unspecified"}`)); err != nil {
		t.Fatal(err)
	}
	ids, err := env.odoo.Search(ctx, "gender.type", odoo.Domain{odoo.Cond("code", "=", "Unspecified")}, odoo.Options{})
	if err == nil {
		_, err = env.odoo.ExecuteKw(ctx, "gender.type", "unlink", []any{ids}, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, `{"name":"G2","gender":"Unspecified"}`))
	if errCode(err) != CodeUnknownReference || !hasPointer(err, "/gender") {
		t.Errorf("deleted gender: %v, want unknown_reference at /gender", err)
	}
}

// #3: the look-up phase refuses what creation would refuse, so nothing is
// created before it: here a new BIC whose name is an archived bank's.
func TestArchivedBankNameWithNewBICCreatesNoOtherBank(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	_, err := env.odoo.Create(ctx, "res.bank", odoo.Values{"name": "Closed Bank", "active": false}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env.srv.ResetCalls()
	_, err = env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, `{"name":"X","bank_ids":[
	  {"bank_name":"Brand New Bank","acc_number":"1"},{"bank_name":"Closed Bank","bic":"CLOSSNDA","acc_number":"2"}]}`))
	if errCode(err) != CodeUnknownReference || !hasPointer(err, "/bank_ids/1/bic") {
		t.Errorf("got %v, want unknown_reference at /bank_ids/1/bic", err)
	}
	if n := env.srv.CallsTo("res.bank", "create"); n != 0 {
		t.Errorf("refused with 422 but %d res.bank created", n)
	}
}

// #13: group and membership kinds deleted while cached: 422 at the kind.
func TestDeletedKindsAreValidatedAgain(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	for _, m := range []string{"g2p.group.kind", "g2p.group.membership.kind"} {
		if _, err := env.odoo.Create(ctx, m, odoo.Values{"name": "Clan"}, odoo.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	// Loads both lists into the cache, "Clan" included.
	if _, err := env.reg.CreateGroup(ctx, decode[GroupRequest](t, `{"name":"Warm","kind":"Household","members":[{"name":"W","kind":[{"name":"Head"}]}]}`)); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"g2p.group.kind", "g2p.group.membership.kind"} {
		ids, err := env.odoo.Search(ctx, m, odoo.Domain{odoo.Cond("name", "=", "Clan")}, odoo.Options{})
		if err == nil {
			_, err = env.odoo.ExecuteKw(ctx, m, "unlink", []any{ids}, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := env.reg.CreateGroup(ctx, decode[GroupRequest](t, `{"name":"G1","kind":"Clan"}`))
	if errCode(err) != CodeUnknownReference || !hasPointer(err, "/kind") {
		t.Errorf("deleted group kind: %v, want unknown_reference at /kind", err)
	}
	_, err = env.reg.CreateGroup(ctx, decode[GroupRequest](t, `{"name":"G2","members":[{"name":"M","kind":[{"name":"Clan"}]}]}`))
	if errCode(err) != CodeUnknownReference || !hasPointer(err, "/members/0/kind/0/name") {
		t.Errorf("deleted membership kind: %v, want unknown_reference at /members/0/kind/0/name", err)
	}
}
