package mapping

import (
	"context"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

const aminaBody = `{
  "given_name": "Amina", "family_name": "Diallo", "addl_name": "Test",
  "gender": "Female", "birthdate": "1988-04-12", "birth_place": "Dakar",
  "registration_date": "2024-03-01", "email": "amina@example.org",
  "ids": [{"id_type": "National ID", "value": "1234567890", "status": "valid", "expiry_date": "2030-01-31"},
          {"id_type": "Passport", "value": "A1234567", "description": "old"}],
  "phone_numbers": [{"phone_no": "+221 77 123 45 67", "date_collected": "2024-03-01"}],
  "bank_ids": [
    {"bank_name": "Banque Test Atlantique", "bic": "BTATSNDA", "acc_number": "SN06 SN01 0152 0000 0012 3456 7890", "acc_holder_name": "Amina Diallo"},
    {"bank_name": "  caisse   rurale TEST ", "acc_number": "007-0002"}
  ]
}`

func TestCreateIndividualStoresEverythingInOneCall(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	ind, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, aminaBody))
	if err != nil {
		t.Fatal(err)
	}
	if got := env.srv.CallsTo("res.partner", "create"); got != 1 {
		t.Errorf("res.partner.create calls = %d, want 1 (one atomic create)", got)
	}
	if ind.Name == nil || *ind.Name != "DIALLO, AMINA TEST " {
		t.Errorf("composed name = %v, want the OpenSPP form's %q", ind.Name, "DIALLO, AMINA TEST ")
	}
	if ind.Gender == nil || *ind.Gender != "female" || ind.Birthdate == nil || *ind.Birthdate != "1988-04-12" || ind.Age != "38" {
		t.Errorf("gender %v birthdate %v age %q", ind.Gender, ind.Birthdate, ind.Age)
	}
	if ind.BirthPlace == nil || *ind.BirthPlace != "Dakar" || ind.Email == nil || ind.RegistrationDate == nil || *ind.RegistrationDate != "2024-03-01" {
		t.Errorf("birth_place %v email %v registration_date %v", ind.BirthPlace, ind.Email, ind.RegistrationDate)
	}
	if len(ind.RegIDs) != 2 || len(ind.PhoneNumberIDs) != 1 || len(ind.BankIDs) != 2 {
		t.Fatalf("children: %d ids, %d phones, %d accounts", len(ind.RegIDs), len(ind.PhoneNumberIDs), len(ind.BankIDs))
	}
	nid := regID(t, ind, "National ID")
	if *nid.IDTypeAsStr != "National ID" || *nid.Value != "1234567890" || *nid.Status != "valid" || *nid.ExpiryDate != "2030-01-31" || nid.Description != nil {
		t.Errorf("reg id %+v", nid)
	}
	acc := ind.BankIDs[0]
	if *acc.AccNumber != "SN06 SN01 0152 0000 0012 3456 7890" || *acc.BankName != "Banque Test Atlantique" || *acc.BIC != "BTATSNDA" || *acc.AccHolderName != "Amina Diallo" || acc.ID == 0 {
		t.Errorf("account %+v", acc)
	}
	if *ind.BankIDs[1].BankName != "caisse rurale TEST" || ind.BankIDs[1].BIC != nil {
		t.Errorf("new bank created as %v (bic %v), want the trimmed name without BIC", *ind.BankIDs[1].BankName, ind.BankIDs[1].BIC)
	}
	if ind.CreateDate == nil || !strings.HasSuffix(*ind.CreateDate, "Z") {
		t.Errorf("create_date %v, want ISO 8601 with Z", ind.CreateDate)
	}

	// Banks and reference data are cached now: a second registrant costs
	// one create and one read-back, whatever it carries.
	env.srv.ResetCalls()
	body := strings.NewReplacer("1234567890", "1234567891", "A1234567", "B7654321", "Amina", "Awa").Replace(aminaBody)
	if _, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, body)); err != nil {
		t.Fatal(err)
	}
	if got := env.srv.Calls(); got != 2 {
		t.Errorf("Odoo calls for a create with cached banks = %d, want 2 (create + read): %v", got, env.srv.CallLog())
	}
}

func TestCreateIndividualKeepsGivenName(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ind, err := env.reg.CreateIndividual(context.Background(), decode[IndividualRequest](t,
		`{"name": "Amina D.", "given_name": "Amina", "gender": "male", "is_group": true}`))
	if err != nil {
		t.Fatal(err)
	}
	if *ind.Name != "Amina D." || ind.IsGroup || *ind.Gender != "male" || ind.Age != "No Birthdate!" {
		t.Errorf("%+v", ind)
	}
	if len(ind.BankIDs) != 0 || ind.BankIDs == nil || ind.RegIDs == nil || ind.PhoneNumberIDs == nil {
		t.Errorf("empty children must be [] not null: %+v", ind.Registrant)
	}
}

func TestCreateIndividualRejectsBeforeWriting(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	cases := []struct {
		name    string
		body    string
		code    Code
		pointer string
	}{
		{"no name at all", `{"gender":"Male"}`, CodeValidationFailed, "/name"},
		{"empty given name", `{"name":"A","given_name":"  "}`, CodeValidationFailed, "/given_name"},
		{"unknown id type", `{"given_name":"A","ids":[{"id_type":"Voter Card","value":"1"}]}`, CodeUnknownReference, "/ids/0/id_type"},
		{"id regex", `{"given_name":"A","ids":[{"id_type":"National ID","value":"12AB"}]}`, CodeValidationFailed, "/ids/0/value"},
		{"same id type twice", `{"given_name":"A","ids":[{"id_type":"Passport","value":"1"},{"id_type":"passport","value":"2"}]}`, CodeDuplicateInRequest, "/ids/1/id_type"},
		{"bad id status", `{"given_name":"A","ids":[{"id_type":"Passport","value":"1","status":"expired"}]}`, CodeValidationFailed, "/ids/0/status"},
		{"unknown gender", `{"given_name":"A","gender":"X"}`, CodeUnknownReference, "/gender"},
		{"future birthdate", `{"given_name":"A","birthdate":"2999-01-01"}`, CodeValidationFailed, "/birthdate"},
		{"registration before birth", `{"given_name":"A","birthdate":"2000-01-01","registration_date":"1999-01-01"}`, CodeValidationFailed, "/registration_date"},
		{"bad email", `{"given_name":"A","email":"not-an-email"}`, CodeValidationFailed, "/email"},
		{"empty phone", `{"given_name":"A","phone_numbers":[{"phone_no":" "}]}`, CodeValidationFailed, "/phone_numbers/0/phone_no"},
		{"account without bank", `{"given_name":"A","bank_ids":[{"acc_number":"1"}]}`, CodeValidationFailed, "/bank_ids/0"},
		{"account without number", `{"given_name":"A","bank_ids":[{"bank_name":"New Bank X","acc_number":null}]}`, CodeValidationFailed, "/bank_ids/0/acc_number"},
		{"account of separators", `{"given_name":"A","bank_ids":[{"bank_name":"New Bank X","acc_number":" - / "}]}`, CodeValidationFailed, "/bank_ids/0/acc_number"},
		{"bad bic", `{"given_name":"A","bank_ids":[{"bic":"NOPE","acc_number":"1"}]}`, CodeValidationFailed, "/bank_ids/0/bic"},
		{"duplicate accounts", `{"given_name":"A","bank_ids":[{"bank_name":"New Bank X","acc_number":"de89 3704"},{"bank_name":"Other New Bank","acc_number":"DE89-3704"}]}`, CodeDuplicateInRequest, "/bank_ids/1/acc_number"},
		{"unknown bic only", `{"given_name":"A","bank_ids":[{"bic":"ZZZZZZZZ","acc_number":"1"}]}`, CodeUnknownReference, "/bank_ids/0/bic"},
		{"digits as bank code of a bic", `{"given_name":"A","bank_ids":[{"bic":"37040044","acc_number":"1"}]}`, CodeValidationFailed, "/bank_ids/0/bic"},
		{"iban with bad check digits", `{"given_name":"A","bank_ids":[{"bank_name":"New Bank X","acc_number":"DE88 3704 0044 0532 0130 00"}]}`, CodeValidationFailed, "/bank_ids/0/acc_number"},
		{"iban of the wrong length", `{"given_name":"A","bank_ids":[{"bank_name":"New Bank X","acc_number":"DE89 3704 0044 0532 0130 0"}]}`, CodeValidationFailed, "/bank_ids/0/acc_number"},
		{"domestic number at a SEPA bank", `{"given_name":"A","bank_ids":[{"bank_name":"New Bank X","bic":"COBADEFF","acc_number":"0532013000"}]}`, CodeValidationFailed, "/bank_ids/0/acc_number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env.srv.ResetCalls()
			_, err := env.reg.CreateIndividual(context.Background(), decode[IndividualRequest](t, c.body))
			if errCode(err) != c.code || !hasPointer(err, c.pointer) {
				t.Fatalf("got %v (%+v), want %s at %s", err, err, c.code, c.pointer)
			}
			if n := env.srv.CallsTo("res.partner", "create") + env.srv.CallsTo("res.bank", "create"); n != 0 {
				t.Errorf("%d creates happened for an invalid request", n)
			}
		})
	}
}

func TestGetIndividual(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	created, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, aminaBody))
	if err != nil {
		t.Fatal(err)
	}
	env.srv.ResetCalls()
	got, err := env.reg.GetIndividual(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if env.srv.Calls() != 1 {
		t.Errorf("GET by id made %d Odoo calls, want 1", env.srv.Calls())
	}
	if got.ID != created.ID || len(got.BankIDs) != 2 || len(got.RegIDs) != 2 || len(got.PhoneNumberIDs) != 1 {
		t.Errorf("read back %+v", got)
	}
	if _, err := env.reg.GetIndividual(ctx, 999999); errCode(err) != CodeNotFound {
		t.Errorf("unknown id: %v", err)
	}
	group, err := env.odoo.Create(ctx, "res.partner", odoo.Values{"name": "G", "is_registrant": true, "is_group": true}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.reg.GetIndividual(ctx, group); errCode(err) != CodeNotFound {
		t.Errorf("a group read as an individual: %v", err)
	}
	if err := env.odoo.Write(ctx, "res.partner", []int64{created.ID}, odoo.Values{"active": false}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.reg.GetIndividual(ctx, created.ID); errCode(err) != CodeNotFound {
		t.Errorf("an archived individual: %v", err)
	}
}

func TestSearchIndividuals(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{DefaultPageSize: 2, MaxPageSize: 3})
	ctx := context.Background()
	for _, name := range []string{"Zed 100% Sure", "Zed 1000 Sure", "Zed_A", "ZedXA", "zed lower"} {
		if _, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, `{"name": "`+name+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	env.srv.ResetCalls()
	page, err := env.reg.SearchIndividuals(ctx, SearchQuery{Name: "Zed"})
	if err != nil {
		t.Fatal(err)
	}
	if env.srv.Calls() != 1 {
		t.Errorf("a search page made %d Odoo calls, want 1", env.srv.Calls())
	}
	if page.Total != 4 || len(page.Items) != 2 {
		t.Errorf("case-sensitive substring: total %d, page %d; want 4 and the default page size 2", page.Total, len(page.Items))
	}
	for q, want := range map[string]int64{"100%": 1, "Zed_": 1, "0% S": 1, "Zed%": 0} {
		page, err := env.reg.SearchIndividuals(ctx, SearchQuery{Name: q})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != want {
			t.Errorf("name %q matched %d, want %d (%% and _ are literal)", q, page.Total, want)
		}
	}
	page, err = env.reg.SearchIndividuals(ctx, SearchQuery{Name: "Zed", Limit: 50, Offset: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Total != 4 {
		t.Errorf("offset 3 of 4: %d items, total %d", len(page.Items), page.Total)
	}
	archived := page.Items[0].ID
	if err := env.odoo.Write(ctx, "res.partner", []int64{archived}, odoo.Values{"active": false}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	if page, err := env.reg.SearchIndividuals(ctx, SearchQuery{Name: "Zed"}); err != nil || page.Total != 3 {
		t.Errorf("archived individuals must not be found: total %d, %v", page.Total, err)
	}
	if page, err := env.reg.SearchIndividuals(ctx, SearchQuery{ID: archived}); err != nil || page.Total != 0 {
		t.Errorf("archived individual found by _id: total %d, %v", page.Total, err)
	}
	page, err = env.reg.SearchIndividuals(ctx, SearchQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 {
		t.Errorf("limit above the maximum gave %d items, want the maximum 3", len(page.Items))
	}
}
