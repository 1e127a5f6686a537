package mapping

import (
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		code     Code
		pointers []string
	}{
		{"not json", `{"name":`, CodeInvalidJSON, nil},
		{"empty", ``, CodeInvalidJSON, nil},
		{"two values", `{} {}`, CodeInvalidJSON, nil},
		{"unknown field", `{"name":"A","nickname":"B"}`, CodeValidationFailed, []string{"/nickname"}},
		{"nested unknown field", `{"bank_ids":[{"bank_name":"B","acc_number":"1","iban":"x"}]}`, CodeValidationFailed, []string{"/bank_ids/0/iban"}},
		{"acc_number as number", `{"bank_ids":[{"bank_name":"B","acc_number":"1"},{"bank_name":"B","acc_number":123}]}`, CodeValidationFailed, []string{"/bank_ids/1/acc_number"}},
		{"bad date", `{"birthdate":"12/04/1988"}`, CodeValidationFailed, []string{"/birthdate"}},
		{"date as number", `{"ids":[{"id_type":"T","value":"v","expiry_date":20250101}]}`, CodeValidationFailed, []string{"/ids/0/expiry_date"}},
		{"wrong types", `{"name":1,"ids":{},"is_group":"yes"}`, CodeValidationFailed, []string{"/ids", "/is_group", "/name"}},
		{"not an object", `[1]`, CodeValidationFailed, []string{""}},
		{"ok", `{"name":"A","given_name":"B","gender":null,"birthdate":"","bank_ids":[{"bank_name":"B","acc_number":"007"}]}`, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var req IndividualRequest
			err := DecodeStrict([]byte(c.body), &req)
			if c.code == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			e, ok := AsError(err)
			if !ok || e.Code != c.code {
				t.Fatalf("got %v, want code %s", err, c.code)
			}
			if len(e.Fields) != len(c.pointers) {
				t.Fatalf("fields %+v, want pointers %v", e.Fields, c.pointers)
			}
			for i, p := range c.pointers {
				if e.Fields[i].Pointer != p {
					t.Errorf("field %d pointer %q, want %q", i, e.Fields[i].Pointer, p)
				}
			}
		})
	}
}

func TestDecodeStrictKeepsValues(t *testing.T) {
	var req IndividualRequest
	body := `{"given_name":"Amina","gender":null,"bank_ids":[{"bank_name":"B","acc_number":"007 12"}]}`
	if err := DecodeStrict([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	if !req.GivenName.Present() || req.GivenName.Value != "Amina" {
		t.Errorf("given_name %+v", req.GivenName)
	}
	if !req.Gender.Cleared() {
		t.Errorf("gender null must be Cleared: %+v", req.Gender)
	}
	if req.FamilyName.Set {
		t.Errorf("absent family_name must not be Set")
	}
	if req.BankIDs[0].AccNumber.Value != "007 12" {
		t.Errorf("acc_number %q", req.BankIDs[0].AccNumber.Value)
	}
}

func TestDecodeStrictArray(t *testing.T) {
	var items []UpdateIndividualRequest
	err := DecodeStrict([]byte(`[{"updateId":"1"},{"updateId":"2","bogus":1}]`), &items)
	e, ok := AsError(err)
	if !ok || len(e.Fields) != 1 || e.Fields[0].Pointer != "/1/bogus" {
		t.Fatalf("got %v", err)
	}
	err = DecodeStrict([]byte(`{"updateId":"1"}`), &items)
	if e, ok := AsError(err); !ok || e.Code != CodeValidationFailed {
		t.Fatalf("an object where an array is expected: %v", err)
	}
}
