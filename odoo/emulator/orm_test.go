package emulator

import (
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func newEmpty(t *testing.T) *Server { return NewTestServer(t, Options{Seed: SeedEmpty}) }

func newBank(t *testing.T, s *Server, name string, bic any) int64 {
	return asInt(t, mustRPC(t, s, "res.bank", "create", list(map[string]any{"name": name, "bic": bic}), nil))
}

func newPerson(t *testing.T, s *Server, name string, extra map[string]any) int64 {
	vals := map[string]any{"name": name, "is_registrant": true}
	for k, v := range extra {
		vals[k] = v
	}
	return asInt(t, mustRPC(t, s, "res.partner", "create", list(vals), nil))
}

func TestNestedCreateIsAtomic(t *testing.T) {
	s := newEmpty(t)
	bank := newBank(t, s, "B", false)
	before := mustRPC(t, s, "res.partner", "search_count", list(list()), kw("context", kw("active_test", false)))
	wantFault(t, s, excValidation, "The operation cannot be completed: The combination Account Number/Partner must be unique.",
		"res.partner", "create", list(map[string]any{"name": "X", "bank_ids": list(
			cmd(0, 0, map[string]any{"acc_number": "DE89 3704", "bank_id": bank}),
			cmd(0, 0, map[string]any{"acc_number": "de89-3704", "bank_id": bank}),
		)}), nil)
	after := mustRPC(t, s, "res.partner", "search_count", list(list()), kw("context", kw("active_test", false)))
	accounts := mustRPC(t, s, "res.partner.bank", "search_count", list(list()), kw("context", kw("active_test", false)))
	if before != after || accounts != int64(0) {
		t.Fatalf("failed create left data: partners %v -> %v, accounts %v", before, after, accounts)
	}
}

func TestAccountNumberSanitizingAndUniqueness(t *testing.T) {
	s := newEmpty(t)
	p := newPerson(t, s, "P", nil)
	q := newPerson(t, s, "Q", nil)
	cases := []struct{ in, want string }{
		{"de89 3704-0044", "DE8937040044"},
		{"straße 12", "STRASSE12"},
		{"ﬁ_x.y", "FI_XY"},
		{"e\u0301-1", "E1"}, // a combining accent is not a word character for Python's re
		{"١٢٣ abc", "١٢٣ABC"},
	}
	for _, c := range cases {
		id := mustRPC(t, s, "res.partner.bank", "create", list(map[string]any{"partner_id": p, "acc_number": c.in}), nil)
		got := records(t, mustRPC(t, s, "res.partner.bank", "read", list(list(id), list("sanitized_acc_number")), nil))
		if got[0]["sanitized_acc_number"] != c.want {
			t.Errorf("sanitize(%q) = %v, want %q", c.in, got[0]["sanitized_acc_number"], c.want)
		}
	}
	// Archived rows still count for uniqueness.
	id := asInt(t, mustRPC(t, s, "res.partner.bank", "search", list(list(list("acc_number", "=", "DE89-3704-0044"))), nil).([]any)[0])
	mustRPC(t, s, "res.partner.bank", "write", list(list(id), map[string]any{"active": false}), nil)
	wantFault(t, s, excValidation, "The operation cannot be completed: The combination Account Number/Partner must be unique.",
		"res.partner.bank", "create", list(map[string]any{"partner_id": p, "acc_number": "DE 89 3704 0044"}), nil)
	// Another partner may hold the same number.
	mustRPC(t, s, "res.partner.bank", "create", list(map[string]any{"partner_id": q, "acc_number": "DE 89 3704 0044"}), nil)
	// acc_number searches are rewritten to the sanitized column.
	n := mustRPC(t, s, "res.partner.bank", "search_count", list(list(list("acc_number", "ilike", "3704 00"))), kw("context", kw("active_test", false)))
	if n != int64(2) {
		t.Fatalf("ilike on acc_number found %v accounts, want 2", n)
	}
}

func TestPartnerNameIsRequiredAndNotComputed(t *testing.T) {
	s := newEmpty(t)
	wantFault(t, s, excValidation, "The operation cannot be completed: Contacts require a name",
		"res.partner", "create", list(map[string]any{"given_name": "A", "family_name": "B"}), nil)
	id := newPerson(t, s, "B, A ", map[string]any{"given_name": "A", "family_name": "B"})
	mustRPC(t, s, "res.partner", "write", list(list(id), map[string]any{"given_name": "Z"}), nil)
	r := records(t, mustRPC(t, s, "res.partner", "read", list(list(id), list("name", "display_name")), nil))[0]
	if r["name"] != "B, A " || r["display_name"] != "B, A" {
		t.Fatalf("name %q display_name %q, want the stored name and its stripped form", r["name"], r["display_name"])
	}
}

func TestRegistrationDateConstraints(t *testing.T) {
	s := newEmpty(t)
	wantFault(t, s, excValidation, "Registration date must be less than the current date.",
		"res.partner", "create", list(map[string]any{"name": "F", "registration_date": "2999-01-01"}), nil)
	wantFault(t, s, excValidation, "Registration date must be later than the birth date.",
		"res.partner", "create", list(map[string]any{"name": "F", "birthdate": "2000-01-02", "registration_date": "2000-01-01"}), nil)
	id := newPerson(t, s, "F", nil)
	// A future birthdate alone is accepted on write (transcripts/08 step 12).
	mustRPC(t, s, "res.partner", "write", list(list(id), map[string]any{"birthdate": "2099-01-01"}), nil)
}

func TestBankNameWriteRenamesSharedBank(t *testing.T) {
	s := newEmpty(t)
	bank := newBank(t, s, "Old Bank", "OLDBIC")
	p := newPerson(t, s, "P", map[string]any{"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "1", "bank_id": bank}))})
	acc := records(t, mustRPC(t, s, "res.partner", "read", list(list(p), list("bank_ids")), nil))[0]["bank_ids"].([]any)[0]
	mustRPC(t, s, "res.partner.bank", "write", list(list(acc), map[string]any{"bank_name": "New Name"}), nil)
	b := records(t, mustRPC(t, s, "res.bank", "read", list(list(bank), list("name", "display_name")), nil))[0]
	if b["name"] != "New Name" || b["display_name"] != "New Name - OLDBIC" {
		t.Fatalf("bank after bank_name write: %v", b)
	}
}

func TestX2manyCommands(t *testing.T) {
	s := newEmpty(t)
	a := newPerson(t, s, "A", map[string]any{"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "A1"}))})
	b := newPerson(t, s, "B", map[string]any{"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "B1"}))})
	bankIDs := func(p int64) []any {
		return records(t, mustRPC(t, s, "res.partner", "read", list(list(p), list("bank_ids")), nil))[0]["bank_ids"].([]any)
	}
	b1 := bankIDs(b)[0]
	mustRPC(t, s, "res.partner", "write", list(list(a), map[string]any{"bank_ids": list(cmd(4, asInt(t, b1), 0))}), nil)
	if len(bankIDs(a)) != 2 || len(bankIDs(b)) != 0 {
		t.Fatalf("command 4 should move B's account to A: A %v B %v", bankIDs(a), bankIDs(b))
	}
	mustRPC(t, s, "res.partner", "write", list(list(a), map[string]any{"bank_ids": list(cmd(3, asInt(t, b1), 0))}), nil)
	if got := mustRPC(t, s, "res.partner.bank", "read", list(list(b1), list("id")), nil); !reflect.DeepEqual(got, []any{}) {
		t.Fatalf("command 3 should delete the line (required inverse), read gives %v", got)
	}
	mustRPC(t, s, "res.partner", "write", list(list(a), map[string]any{"bank_ids": list(list(int64(5)))}), nil)
	if len(bankIDs(a)) != 0 {
		t.Fatalf("command 5 left %v", bankIDs(a))
	}
	wantFault(t, s, excMissing, "Record does not exist or has been deleted.\n(Record: res.partner.bank(999,), User: 2)",
		"res.partner", "write", list(list(a), map[string]any{"bank_ids": list(cmd(1, 999, map[string]any{"acc_number": "x"}))}), nil)
}

func TestDomainsOrderAndPaging(t *testing.T) {
	s := newEmpty(t)
	idt := asInt(t, mustRPC(t, s, "g2p.id.type", "create", list(map[string]any{"name": "NID"}), nil))
	for i, n := range []string{"NÚÑEZ, JOSÉ ", "DIALLO, AMINA ", "BELLO, ZAINAB "} {
		newPerson(t, s, n, map[string]any{"is_group": false, "addl_name": "T",
			"reg_ids": list(cmd(0, 0, map[string]any{"id_type": idt, "value": []string{"V1", "V2", "V3"}[i]}))})
	}
	names := func(v any) []any {
		var out []any
		for _, r := range records(t, v) {
			out = append(out, r["name"])
		}
		return out
	}
	got := names(mustRPC(t, s, "res.partner", "search_read", list(list(list("addl_name", "=", "T"))), kw("fields", list("name"))))
	if want := []any{"BELLO, ZAINAB ", "DIALLO, AMINA ", "NÚÑEZ, JOSÉ "}; !reflect.DeepEqual(got, want) {
		t.Fatalf("default order gives %v, want %v", got, want)
	}
	got = names(mustRPC(t, s, "res.partner", "search_read", list(list("|", list("reg_ids.value", "=", "V2"), list("name", "ilike", "núñez"))),
		kw("fields", list("name"), "order", "name desc", "limit", int64(1), "offset", int64(1))))
	if want := []any{"DIALLO, AMINA "}; !reflect.DeepEqual(got, want) {
		t.Fatalf("or-domain page gives %v, want %v", got, want)
	}
	wantFault(t, s, excValue, "Invalid leaf ('name', '~~', 'x')", "res.partner", "search", list(list(list("name", "~~", "x"))), nil)
	wantFault(t, s, excValue, "Invalid field 'nope' on model 'res.partner'", "res.partner", "search", list(list()), kw("order", "nope"))
	res := mustRPC(t, s, "res.partner", "web_search_read", list(list(list("addl_name", "=", "T"))),
		kw("specification", map[string]any{"name": map[string]any{}, "reg_ids": map[string]any{"fields": map[string]any{"value": map[string]any{}}}}, "limit", int64(2)))
	if m := res.(map[string]any); m["length"] != int64(3) || len(m["records"].([]any)) != 2 {
		t.Fatalf("web_search_read page: %v", res)
	}
}

func TestUnlinkRestrictAndCascade(t *testing.T) {
	s := newEmpty(t)
	p := newPerson(t, s, "P", map[string]any{"phone_number_ids": list(cmd(0, 0, map[string]any{"phone_no": "+1"}))})
	wantFault(t, s, excValidation, "The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Phone Number (g2p.phone.number)\nConstraint: g2p_phone_number_partner_id_fkey\n",
		"res.partner", "unlink", list(list(p)), nil)
	q := newPerson(t, s, "Q", map[string]any{"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "Q1"}))})
	mustRPC(t, s, "res.partner", "unlink", list(list(q)), nil)
	if n := mustRPC(t, s, "res.partner.bank", "search_count", list(list()), kw("context", kw("active_test", false))); n != int64(0) {
		t.Fatalf("cascade left %v accounts", n)
	}
}

func TestMembershipHeadIsUniqueThroughGroup(t *testing.T) {
	s := newEmpty(t)
	a := newPerson(t, s, "A", nil)
	b := newPerson(t, s, "B", nil)
	head := []any{cmd(6, 0, list(headKindID))}
	wantFault(t, s, excValidation, "Only one Head is allowed per group", "res.partner", "create", list(map[string]any{
		"name": "G", "is_group": true, "group_membership_ids": list(
			cmd(0, 0, map[string]any{"individual": a, "kind": head}),
			cmd(0, 0, map[string]any{"individual": b, "kind": head}),
		)}), nil)
	g := newPerson(t, s, "G", map[string]any{"is_group": true, "group_membership_ids": list(cmd(0, 0, map[string]any{"individual": a}))})
	wantFault(t, s, excValidation, "Duplication of Member is not allowed ", "g2p.group.membership", "create",
		list(map[string]any{"group": g, "individual": a}), nil)
}

func TestIDValidationAndUniquePerType(t *testing.T) {
	s := newEmpty(t)
	idt := asInt(t, mustRPC(t, s, "g2p.id.type", "create", list(map[string]any{"name": "NID", "id_validation": `\d{3}`}), nil))
	wantFault(t, s, excValidation, "The provided NID ID 'ab1' is invalid.", "res.partner", "create", list(map[string]any{
		"name": "P", "reg_ids": list(cmd(0, 0, map[string]any{"id_type": idt, "value": "ab1"}))}), nil)
	wantFault(t, s, excValidation, "ID Type must be unique.", "res.partner", "create", list(map[string]any{
		"name": "P", "reg_ids": list(cmd(0, 0, map[string]any{"id_type": idt, "value": "123"}), cmd(0, 0, map[string]any{"id_type": idt, "value": "456"}))}), nil)
}

func TestAuthenticationAndAPIKeys(t *testing.T) {
	s := newEmpty(t)
	if uid, _ := rpcRaw(t, s, "common", "authenticate", list("openspp", "admin", "admin", map[string]any{})); uid != int64(2) {
		t.Fatalf("admin authenticates as %v", uid)
	}
	if uid, _ := rpcRaw(t, s, "common", "authenticate", list("openspp", "admin", "nope", map[string]any{})); uid != false {
		t.Fatalf("wrong password gives %v, want false", uid)
	}
	s.AddAPIKey("admin", "k-123")
	if uid, _ := rpcRaw(t, s, "common", "authenticate", list("openspp", "admin", "k-123", map[string]any{})); uid != int64(2) {
		t.Fatalf("API key authenticates as %v", uid)
	}
	if _, f := rpcRaw(t, s, "object", "execute_kw", list("openspp", int64(2), "k-123", "res.bank", "search_count", list(list()))); f != nil {
		t.Fatalf("execute_kw with API key: %v", f)
	}
	_, f := rpcRaw(t, s, "object", "execute_kw", list("openspp", int64(2), "bad", "res.bank", "search_count", list(list())))
	if f == nil || f.Class != excAccessDenid {
		t.Fatalf("wrong secret gives %v, want AccessDenied", f)
	}
	portal := s.AddUser("Portal", "portal@example.org", "pw", RolePortal)
	_, f = rpcRaw(t, s, "object", "execute_kw", list("openspp", portal, "pw", "res.partner.bank", "search_read", list(list())))
	if f == nil || f.Class != excAccessError {
		t.Fatalf("portal reading accounts gives %v, want AccessError", f)
	}
}

func TestDemoSeed(t *testing.T) {
	s := NewTestServer(t, Options{})
	sel := mustRPC(t, s, "res.partner", "fields_get", list(list("gender")), kw("attributes", list("selection")))
	want := []any{list("female", "Female"), list("male", "Male"), list("other", "Other")}
	if got := sel.(map[string]any)["gender"].(map[string]any)["selection"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("gender selection %v, want %v", got, want)
	}
	n := mustRPC(t, s, "res.partner", "search_count", list(list(list("is_registrant", "=", true), list("is_group", "=", false))), nil)
	if n != int64(5) {
		t.Fatalf("demo individuals: %v, want 5", n)
	}
}

func TestOne2manyReleaseFollowsOndelete(t *testing.T) {
	s := newEmpty(t)
	idt := asInt(t, mustRPC(t, s, "g2p.id.type", "create", list(map[string]any{"name": "NID"}), nil))
	p := newPerson(t, s, "P", map[string]any{
		"reg_ids":  list(cmd(0, 0, map[string]any{"id_type": idt, "value": "1"})),
		"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "A"}), cmd(0, 0, map[string]any{"acc_number": "B"})),
	})
	// reg_ids.partner_id is required without ondelete: clearing it is refused.
	wantFault(t, s, excValidation, "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Registrant ID (g2p.reg.id)\nField: Registrant (partner_id)\n",
		"res.partner", "write", list(list(p), map[string]any{"reg_ids": list(list(int64(5)))}), nil)
	// A list of bare ids replaces the lines ([6, 0, ids]); bank lines cascade.
	r := records(t, mustRPC(t, s, "res.partner", "read", list(list(p), list("bank_ids")), nil))[0]
	keep := r["bank_ids"].([]any)[0]
	mustRPC(t, s, "res.partner", "write", list(list(p), map[string]any{"bank_ids": list(keep)}), nil)
	r = records(t, mustRPC(t, s, "res.partner", "read", list(list(p), list("bank_ids")), nil))[0]
	if !reflect.DeepEqual(r["bank_ids"], list(keep)) {
		t.Fatalf("bank_ids after replace: %v, want [%v]", r["bank_ids"], keep)
	}
}

func TestAnyOperatorAndDisplayNameSearch(t *testing.T) {
	s := newEmpty(t)
	p := newPerson(t, s, "SOW, FATOU ", map[string]any{"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "X-1"}))})
	got := mustRPC(t, s, "res.partner", "search", list(list(list("bank_ids", "any", list(list("acc_number", "=", "x1"))))), nil)
	if !reflect.DeepEqual(got, list(p)) {
		t.Fatalf("any on bank_ids: %v, want [%d]", got, p)
	}
	got = mustRPC(t, s, "res.partner", "name_search", list(), kw("name", "sow, fatou"))
	if !reflect.DeepEqual(got, list(list(p, "SOW, FATOU"))) {
		t.Fatalf("name_search: %v", got)
	}
}

func TestLoginCooldown(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := NewTestServer(t, Options{Seed: SeedEmpty, Now: clock})
	auth := func(pw string) any {
		v, _ := rpcRaw(t, s, "common", "authenticate", list("openspp", "admin", pw, map[string]any{}))
		return v
	}
	for i := 0; i < 5; i++ {
		if auth("bad") != false {
			t.Fatal("a wrong password must answer false")
		}
	}
	if auth("admin") != false {
		t.Fatal("after 5 failures the right password must be refused during the cooldown")
	}
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	if auth("admin") != int64(2) {
		t.Fatal("after the cooldown the right password must work again")
	}
}

func TestRelationalDomainsAndWebRead(t *testing.T) {
	s := newEmpty(t)
	bank := newBank(t, s, "Banque", "BQ")
	with := newPerson(t, s, "WITH", map[string]any{"kind": householdKind,
		"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "1", "bank_id": bank}), cmd(0, 0, map[string]any{"acc_number": "2"}))})
	without := newPerson(t, s, "WITHOUT", nil)
	search := func(domain ...any) any {
		return mustRPC(t, s, "res.partner", "search", list(append(domain, list("is_registrant", "=", true))), nil)
	}
	if got := search(list("bank_ids", "=", false)); !reflect.DeepEqual(got, list(without)) {
		t.Errorf("bank_ids = False: %v", got)
	}
	if got := search(list("kind", "=", "Household")); !reflect.DeepEqual(got, list(with)) {
		t.Errorf("kind = 'Household' (name search): %v", got)
	}
	if got := search(list("bank_ids.bank_id.bic", "=", "BQ")); !reflect.DeepEqual(got, list(with)) {
		t.Errorf("bank_ids.bank_id.bic: %v", got)
	}
	spec := map[string]any{
		"kind": map[string]any{"fields": map[string]any{}},
		"bank_ids": map[string]any{"fields": map[string]any{"acc_number": map[string]any{},
			"bank_id": map[string]any{"fields": map[string]any{"display_name": map[string]any{}}}},
			"order": "id desc", "limit": int64(1)},
	}
	r := records(t, mustRPC(t, s, "res.partner", "web_read", list(list(with), spec), nil))[0]
	if r["kind"] != householdKind {
		t.Errorf("many2one with empty fields spec should stay a bare id, got %v", r["kind"])
	}
	lines := r["bank_ids"].([]any)
	first, second := lines[0].(map[string]any), lines[1].(map[string]any)
	if first["acc_number"] != "2" || first["bank_id"] != false || len(second) != 1 {
		t.Errorf("x2many with order/limit: %v", lines)
	}
	if got := mustRPC(t, s, "res.partner.bank", "check_access_rights", list("create"), nil); got != true {
		t.Errorf("admin check_access_rights: %v", got)
	}
	portal := s.AddUser("Portal", "p@example.org", "pw", RolePortal)
	got, _ := rpcRaw(t, s, "object", "execute_kw", list("openspp", portal, "pw", "res.partner.bank", "check_access_rights", list("create"), kw("raise_exception", false)))
	if got != false {
		t.Errorf("portal check_access_rights(create) without raising: %v", got)
	}
}

func TestArchivedLinesAndActiveTest(t *testing.T) {
	s := newEmpty(t)
	p := newPerson(t, s, "P", map[string]any{"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "A"}), cmd(0, 0, map[string]any{"acc_number": "B"}))})
	ids := func(ctx map[string]any) []any {
		return records(t, mustRPC(t, s, "res.partner", "read", list(list(p), list("bank_ids")), kw("context", ctx)))[0]["bank_ids"].([]any)
	}
	all := ids(nil)
	mustRPC(t, s, "res.partner.bank", "write", list(list(all[0]), map[string]any{"active": false}), nil)
	if got := ids(nil); !reflect.DeepEqual(got, all[1:]) {
		t.Fatalf("archived line should be hidden by default: %v", got)
	}
	if got := ids(kw("active_test", false)); !reflect.DeepEqual(got, all) {
		t.Fatalf("active_test false should show all lines: %v", got)
	}
	spec := map[string]any{"bank_ids": map[string]any{"fields": map[string]any{"active": map[string]any{}}, "context": kw("active_test", false)}}
	r := records(t, mustRPC(t, s, "res.partner", "web_read", list(list(p), spec), nil))[0]
	if len(r["bank_ids"].([]any)) != 2 {
		t.Fatalf("web_read with a spec context should show archived lines: %v", r["bank_ids"])
	}
}

func TestUnemulatedComodel(t *testing.T) {
	s := newEmpty(t)
	p := newPerson(t, s, "P", map[string]any{"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "A", "currency_id": int64(1)}))})
	r := records(t, mustRPC(t, s, "res.partner", "read", list(list(p), list("bank_ids")), nil))[0]
	acc := records(t, mustRPC(t, s, "res.partner.bank", "read", list(r["bank_ids"], list("currency_id")), nil))[0]
	if !reflect.DeepEqual(acc["currency_id"], list(int64(1), "res.currency,1")) {
		t.Fatalf("currency_id %v", acc["currency_id"])
	}
}

func TestAge(t *testing.T) {
	now := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)
	s := NewTestServer(t, Options{Seed: SeedEmpty, Now: func() time.Time { return now }})
	for birth, want := range map[any]string{"1988-04-12": "38", "1988-12-04": "37", "1988-12-03": "38", false: "No Birthdate!", "2099-01-01": "-72"} {
		id := newPerson(t, s, "A", nil)
		mustRPC(t, s, "res.partner", "write", list(list(id), map[string]any{"birthdate": birth}), nil)
		if got := records(t, mustRPC(t, s, "res.partner", "read", list(list(id), list("age")), nil))[0]["age"]; got != want {
			t.Errorf("age for %v = %v, want %s", birth, got, want)
		}
	}
}

func TestNotEqualIncludesNull(t *testing.T) {
	s := newEmpty(t)
	with := newPerson(t, s, "W", map[string]any{"email": "w@example.org"})
	without := newPerson(t, s, "N", nil)
	got := mustRPC(t, s, "res.partner", "search", list(list(list("email", "!=", "w@example.org"), list("is_registrant", "=", true))), nil)
	if !reflect.DeepEqual(got, list(without)) {
		t.Fatalf("!= should match NULL like Odoo's (col != v OR col IS NULL): %v (with=%d)", got, with)
	}
}

func TestIDValidationIsUnicodeLikePython(t *testing.T) {
	cases := map[string]bool{"١٢٣٤٥٦٧٨٩٠": true, "1234567890": true, "12345": false, "abcdefghij": false}
	for value, ok := range cases {
		rx := regexp.MustCompile("^(?:" + pyUnicodeClasses(`\d{10}$`) + ")")
		if rx.MatchString(value) != ok {
			t.Errorf("%q: match %v, want %v", value, !ok, ok)
		}
	}
	if got := pyUnicodeClasses(`[\w-]+\W`); got != `[\p{L}\p{N}_-]+[^\p{L}\p{N}_]` {
		t.Errorf("translation %s", got)
	}
}

// acc_holder_name is Odoo 17's stored compute on partner_id only, with
// readonly=False (base/models/res_bank.py): it copies the partner's name
// when an account is created without one or moves to another partner, and
// otherwise keeps what was written, false included; renaming the partner
// does not change it.
func TestAccHolderNameIsComputedFromThePartnerOnly(t *testing.T) {
	s := newEmpty(t)
	p := newPerson(t, s, "DIALLO, AMINA ", nil)
	q := newPerson(t, s, "NDIAYE, CHEIKH ", nil)
	holder := func(id any) any {
		t.Helper()
		return records(t, mustRPC(t, s, "res.partner.bank", "read", list(list(id), list("acc_holder_name")), nil))[0]["acc_holder_name"]
	}
	id := mustRPC(t, s, "res.partner.bank", "create", list(map[string]any{"partner_id": p, "acc_number": "H-1"}), nil)
	if got := holder(id); got != "DIALLO, AMINA " {
		t.Fatalf("created without a holder: %v, want the partner's name", got)
	}
	steps := []struct {
		what string
		vals map[string]any
		want any
	}{
		{"cleared", map[string]any{"acc_holder_name": false}, false},
		{"number changed", map[string]any{"acc_number": "H-2"}, false},
		{"set", map[string]any{"acc_holder_name": "Amina Diallo"}, "Amina Diallo"},
		{"cleared with another field", map[string]any{"acc_holder_name": false, "allow_out_payment": true}, false},
		{"moved to another partner", map[string]any{"partner_id": q}, "NDIAYE, CHEIKH "},
		{"moved back with a holder", map[string]any{"partner_id": p, "acc_holder_name": "A. Diallo"}, "A. Diallo"},
	}
	for _, st := range steps {
		mustRPC(t, s, "res.partner.bank", "write", list(list(id), st.vals), nil)
		if got := holder(id); got != st.want {
			t.Errorf("%s: acc_holder_name %v, want %v", st.what, got, st.want)
		}
	}
	mustRPC(t, s, "res.partner", "write", list(list(p), map[string]any{"name": "DIALLO, AMINA B "}), nil)
	if got := holder(id); got != "A. Diallo" {
		t.Errorf("partner renamed: acc_holder_name %v, want it unchanged", got)
	}
	cleared := mustRPC(t, s, "res.partner.bank", "create", list(map[string]any{"partner_id": p, "acc_number": "H-3", "acc_holder_name": false}), nil)
	if got := holder(cleared); got != false {
		t.Errorf("created with acc_holder_name false: %v, want false", got)
	}
	nested := asInt(t, mustRPC(t, s, "res.partner", "create", list(map[string]any{"name": "SARR, KHADY ",
		"bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "H-4"}))}), nil))
	acc := records(t, mustRPC(t, s, "res.partner", "read", list(list(nested), list("bank_ids")), nil))[0]["bank_ids"].([]any)[0]
	if got := holder(acc); got != "SARR, KHADY " {
		t.Errorf("created inside its partner: acc_holder_name %v, want the partner's name", got)
	}
}

// Internal users get Odoo's access lines: G2P Registrar writes registrants
// but not bank accounts, also not as lines of a registrant; Contact
// Creation adds bank accounts and banks; only administrators manage users.
// check_access_rights answers the same.
func TestInternalUsersGetOdooAccessLines(t *testing.T) {
	s := newEmpty(t)
	as := func(uid int64, model, method string, args []any, kwargs map[string]any) (any, *Fault) {
		t.Helper()
		params := list("openspp", uid, "pw", model, method, args)
		if kwargs != nil {
			params = append(params, kwargs)
		}
		return rpcRaw(t, s, "object", "execute_kw", params)
	}
	may := func(uid int64, model, op string) bool {
		t.Helper()
		got, f := as(uid, model, "check_access_rights", list(op), kw("raise_exception", false))
		if f != nil {
			t.Fatalf("check_access_rights: %v", f)
		}
		return got == true
	}
	registrar := s.AddUser("Registrar", "registrar", "pw", RoleRegistrar)
	proxy := s.AddUser("Proxy", "proxy", "pw", RoleProxy)
	settings := s.AddUser("Settings", "settings", "pw", RoleSettings)
	admin := s.AddUser("Admin", "admin2", "pw", RoleAdmin)

	if _, f := as(registrar, "res.partner", "create", list(map[string]any{"name": "R", "reg_ids": list()}), nil); f != nil {
		t.Errorf("a Registrar cannot create a registrant: %v", f)
	}
	_, f := as(registrar, "res.partner", "create", list(map[string]any{"name": "R", "bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "R-1"}))}), nil)
	want := "You are not allowed to create 'Bank Accounts' (res.partner.bank) records.\n\nThis operation is allowed for the following groups:\n\t- Extra Rights/Contact Creation\n"
	if f == nil || f.Class != excAccessError || !strings.HasPrefix(f.Message, want) {
		t.Errorf("a Registrar adding a bank account through its registrant: %v, want AccessError %q", f, want)
	}
	if _, f := as(proxy, "res.partner", "create", list(map[string]any{"name": "P", "bank_ids": list(cmd(0, 0, map[string]any{"acc_number": "P-1"}))}), nil); f != nil {
		t.Errorf("Contact Creation + Registrar cannot add a bank account: %v", f)
	}
	for _, tt := range []struct {
		model, op string
		uid       int64
		want      bool
	}{
		{"res.partner.bank", "read", registrar, true},
		{"res.partner.bank", "create", registrar, false},
		{"res.bank", "write", registrar, false},
		{"g2p.reg.id", "write", registrar, true},
		{"res.partner.bank", "create", proxy, true},
		{"res.bank", "create", proxy, true},
		{"res.partner", "unlink", proxy, true}, // Contact Creation grants it
		{"g2p.reg.id", "unlink", proxy, false},
		{"g2p.id.type", "write", proxy, false},
		{"gender.type", "read", proxy, true},
		{"res.users", "write", proxy, false},
		{"res.users", "write", settings, true},
		{"g2p.id.type", "write", settings, false},
		{"g2p.id.type", "write", admin, true},
	} {
		if got := may(tt.uid, tt.model, tt.op); got != tt.want {
			t.Errorf("user %d check_access_rights(%s) on %s = %v, want %v", tt.uid, tt.op, tt.model, got, tt.want)
		}
	}
	_, f = as(proxy, "res.users", "write", list(list(proxy), map[string]any{"name": "Boss"}), nil)
	if f == nil || !strings.HasPrefix(f.Message, "You are not allowed to modify 'User' (res.users) records.") {
		t.Errorf("the proxy's user writing res.users: %v, want AccessError", f)
	}
}
