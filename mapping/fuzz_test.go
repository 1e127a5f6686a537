package mapping

import "testing"

// FuzzDecodeStrict: any body decodes or fails with a client error
// (invalid_json or validation_failed with a pointer), never a panic or
// another kind of error, for every request type the endpoints decode.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{
		aminaBody, `[{"updateId":"1","bank_ids":[{"acc_number":"1"}]}]`, `{"acc_number":123}`,
		`{"name":null,"ids":[null]}`, `{"a":1,"a":2}`, "\xff", `{"birthdate":"1990-02-30"}`, `[[[[[[[[]]]]]]]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&IndividualRequest{}, &[]UpdateIndividualRequest{}, &GroupRequest{}, &BankAccountRequest{}} {
			err := DecodeStrict(body, v)
			if err == nil {
				continue
			}
			e, ok := AsError(err)
			if !ok || (e.Code != CodeInvalidJSON && e.Code != CodeValidationFailed) {
				t.Fatalf("%q into %T: %v, want nil, invalid_json or validation_failed", body, v, err)
			}
		}
	})
}
