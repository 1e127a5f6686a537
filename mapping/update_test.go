package mapping

import (
	"context"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

func createForUpdate(t *testing.T, env *testEnv, nid, extra string) Individual {
	t.Helper()
	ind, err := env.reg.CreateIndividual(context.Background(), decode[IndividualRequest](t, `{
	  "given_name": "Kadi", "family_name": "Traore", "birth_place": "Bamako", "email": "k@example.org",
	  "ids": [{"id_type": "National ID", "value": "`+nid+`", "status": "valid"}],
	  "phone_numbers": [{"phone_no": "+223 70 00 00 01"}],
	  "bank_ids": [{"bank_name": "Update Bank", "acc_number": "ML13 0001 0000 01"},
	               {"bank_name": "Update Bank", "acc_number": "ML13-0002"}]`+extra+`}`))
	if err != nil {
		t.Fatal(err)
	}
	return ind
}

func TestUpdateIndividuals(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	a := createForUpdate(t, env, "1111111111", "")
	b := createForUpdate(t, env, "2222222222", "")
	// Archive one of a's accounts: sending it again reactivates it.
	archived := a.BankIDs[1].ID
	if err := env.odoo.Write(ctx, "res.partner.bank", []int64{archived}, odoo.Values{"active": false}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	items := decode[[]UpdateIndividualRequest](t, `[
	  {"updateId": "1111111111", "given_name": "Kadiatou", "birth_place": null,
	   "ids": [{"id_type": "National ID", "value": "1111111111", "status": "invalid"}, {"id_type": "Passport", "value": "P-1"}],
	   "phone_numbers": [{"phone_no": "+22370000001"}, {"phone_no": "+223 70 00 00 02"}],
	   "bank_ids": [{"bank_name": "update bank", "acc_number": "ml13000100 0001"},
	                {"bank_name": "Update Bank", "acc_number": "ML13 0002"},
	                {"bank_name": "Update Bank", "acc_number": "ML13 0003"}]},
	  {"updateId": "2222222222", "email": "new@example.org"}
	]`)
	env.srv.ResetCalls()
	results, err := env.reg.UpdateIndividuals(ctx, "National ID", *items)
	if err != nil {
		t.Fatal(err)
	}
	if err := BatchError(results); err != nil {
		t.Fatal(err)
	}
	// 1 search + 1 read + 2 writes + 1 read of the results.
	if got := env.srv.Calls(); got != 5 {
		t.Errorf("Odoo calls for a batch of 2 = %d, want 5: %v", got, env.srv.CallLog())
	}
	got := results[0].Individual
	if *got.GivenName != "Kadiatou" || got.BirthPlace != nil || *got.Email != "k@example.org" {
		t.Errorf("scalars: given %v birth_place %v email %v", got.GivenName, got.BirthPlace, got.Email)
	}
	if *got.Name != "TRAORE, KADIATOU " {
		t.Errorf("composed name not recomposed: %q", *got.Name)
	}
	if len(got.RegIDs) != 2 || *regID(t, *got, "National ID").Status != "invalid" {
		t.Errorf("ids %+v", got.RegIDs)
	}
	if len(got.PhoneNumberIDs) != 2 {
		t.Errorf("phones %d, want 2 (the known one not added again)", len(got.PhoneNumberIDs))
	}
	if len(got.BankIDs) != 3 {
		t.Fatalf("accounts %+v, want 3 (kept, reactivated, added)", got.BankIDs)
	}
	if got.BankIDs[0].ID != a.BankIDs[0].ID || got.BankIDs[1].ID != archived {
		t.Errorf("known accounts were not kept/reactivated: %+v", got.BankIDs)
	}
	if *results[1].Individual.Email != "new@example.org" || results[1].Individual.ID != b.ID || len(results[1].Individual.BankIDs) != 2 {
		t.Errorf("second item %+v", results[1].Individual)
	}

	// Sending the same batch again changes nothing and is not an error.
	again := decode[[]UpdateIndividualRequest](t, `[{"updateId": "1111111111",
	   "phone_numbers": [{"phone_no": "+223 70 00 00 02"}],
	   "bank_ids": [{"bank_name": "Update Bank", "acc_number": "ML13 0003"}]}]`)
	results, err = env.reg.UpdateIndividuals(ctx, "National ID", *again)
	if err != nil || BatchError(results) != nil {
		t.Fatalf("%v %v", err, BatchError(results))
	}
	if len(results[0].Individual.BankIDs) != 3 || len(results[0].Individual.PhoneNumberIDs) != 2 {
		t.Errorf("repeat added children: %+v", results[0].Individual)
	}
}

func TestUpdateIndividualsRefusesWholeBatch(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	createForUpdate(t, env, "3333333333", "")
	g, err := env.odoo.Create(ctx, "res.partner", odoo.Values{"name": "A group", "is_registrant": true, "is_group": true,
		"reg_ids": []any{odoo.CmdCreate(odoo.Values{"id_type": mustIDType(t, env, "National ID"), "value": "4444444444"})}}, odoo.Options{})
	if err != nil || g == 0 {
		t.Fatal(err)
	}
	cases := []struct {
		name, idType, body string
		code               Code
		pointer            string
	}{
		{"no id type", "", `[{"updateId":"3333333333"}]`, CodeValidationFailed, "?id_type"},
		{"unknown id type", "Voter", `[{"updateId":"3333333333"}]`, CodeUnknownReference, "?id_type"},
		{"empty batch", "National ID", `[]`, CodeValidationFailed, ""},
		{"batch too large", "National ID", "[" + strings.Repeat(`{"updateId":"1"},`, MaxUpdateBatch) + `{"updateId":"1"}]`, CodeValidationFailed, ""},
		{"missing updateId", "National ID", `[{"given_name":"X"},{"updateId":"3333333333"}]`, CodeValidationFailed, "/0/updateId"},
		{"same target twice", "National ID", `[{"updateId":"3333333333"},{"updateId":"3333333333"}]`, CodeDuplicateInRequest, "/1/updateId"},
		{"bad item", "National ID", `[{"updateId":"3333333333"},{"updateId":"5","gender":"Q"}]`, CodeUnknownReference, "/1/gender"},
		{"clearing the name", "National ID", `[{"updateId":"3333333333","name":null}]`, CodeValidationFailed, "/0/name"},
		{"unknown target", "National ID", `[{"updateId":"3333333333","email":"x@y.org"},{"updateId":"9999999999"}]`, CodeNotFound, "/1/updateId"},
		{"a group is no individual", "National ID", `[{"updateId":"4444444444"}]`, CodeNotFound, "/0/updateId"},
		{"value of another type", "Passport", `[{"updateId":"3333333333"}]`, CodeNotFound, "/0/updateId"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env.srv.ResetCalls()
			items := decode[[]UpdateIndividualRequest](t, c.body)
			_, err := env.reg.UpdateIndividuals(ctx, c.idType, *items)
			if errCode(err) != c.code || !hasPointer(err, c.pointer) {
				t.Fatalf("got %v (%+v), want %s at %q", err, err, c.code, c.pointer)
			}
			if n := env.srv.CallsTo("res.partner", "write"); n != 0 {
				t.Errorf("%d writes for a refused batch", n)
			}
		})
	}
}

func mustIDType(t *testing.T, env *testEnv, name string) int64 {
	t.Helper()
	it, found, err := env.reg.ref.idType(context.Background(), name)
	if err != nil || !found {
		t.Fatalf("id type %s: %v", name, err)
	}
	return it.ID
}

func TestIndividualIDs(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	mk := func(ids string) {
		if _, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, `{"given_name":"I","ids":[`+ids+`]}`)); err != nil {
			t.Fatal(err)
		}
	}
	mk(`{"id_type":"Tax ID","value":"TX-000001","status":"valid"}`)
	mk(`{"id_type":"Tax ID","value":"TX-000002","status":"invalid"},{"id_type":"Passport","value":"P-2","status":"valid"}`)
	mk(`{"id_type":"Tax ID","value":"TX-000003","status":"valid"},{"id_type":"Passport","value":"P-3"}`)
	mk(`{"id_type":"Tax ID","value":"TX-000001","status":"valid"}`)
	env.srv.ResetCalls()
	got, err := env.reg.IndividualIDs(ctx, "Tax ID", "")
	if err != nil {
		t.Fatal(err)
	}
	if env.srv.Calls() != 1 {
		t.Errorf("get_individual_ids made %d Odoo calls, want 1", env.srv.Calls())
	}
	if len(got) != 2 || got[0] != "TX-000001" || got[1] != "TX-000003" {
		t.Errorf("include only: %v, want [TX-000001 TX-000003] (TX-000002 is invalid on its own row)", got)
	}
	got, err = env.reg.IndividualIDs(ctx, "tax id", "Passport")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "TX-000001" {
		t.Errorf("with exclude: %v, want [TX-000001]", got)
	}
	if _, err := env.reg.IndividualIDs(ctx, "", ""); errCode(err) != CodeValidationFailed || !hasPointer(err, "?include_id_type") {
		t.Errorf("no include: %v", err)
	}
	if _, err := env.reg.IndividualIDs(ctx, "Nope", ""); errCode(err) != CodeUnknownReference || !hasPointer(err, "?include_id_type") {
		t.Errorf("unknown include: %v", err)
	}
	if _, err := env.reg.IndividualIDs(ctx, "Tax ID", "Nope"); errCode(err) != CodeUnknownReference || !hasPointer(err, "?exclude_id_type") {
		t.Errorf("unknown exclude: %v", err)
	}
}
