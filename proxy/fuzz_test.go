package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// FuzzWriteRequests sends arbitrary bodies to the write endpoints through
// the whole stack (strict decoding, validation, mapping, the emulator):
// whatever a client sends, the answer is never a 500 (a panic included, the
// recovery turns it into one) and is either JSON or problem+json.
func FuzzWriteRequests(f *testing.F) {
	h := newRelHarness(f, relOptions{})
	regs := registrants(f, h.client, 1)
	routes := []struct{ method, path string }{
		{"POST", "/individual"},
		{"PUT", "/update_individual?id_type=National%20ID"},
		{"POST", "/group"},
		{"POST", fmt.Sprintf("/registrants/%d/bank-accounts", regs[0])},
		{"PATCH", fmt.Sprintf("/registrants/%d/bank-accounts/1", regs[0])},
	}
	for i, body := range []string{
		individualBody("3000000001", "FZ-0001"),
		`[{"updateId":"1000000001","email":"a@b.org","bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"FZ-2"}]}]`,
		`{"name":"Fuzz Household","kind":"Household","members":[{"given_name":"A","family_name":"B","kind":"Head"}]}`,
		`{"acc_number":"SN08 SN01 0152 0000 0012 3456 7890","bank_name":"Banque Nouvelle","bic":"BNOUSNDA"}`,
		`{"acc_holder_name":null}`,
		`{"ids":[{"id_type":"National ID","value":"12"}],"birthdate":"2999-01-01","gender":"x"}`,
		`{"bank_ids":[{"acc_number":12345}]}`,
		`{"name":"\u0000<evil>","x_custom<evil":"1"}`,
		`[`, `null`, `[]`, `{"phone_numbers":[{"phone_no":""}]}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		res := h.do(t, r.method, r.path, string(body))
		if res.Code >= 500 && res.Code != http.StatusBadGateway && res.Code != http.StatusServiceUnavailable && res.Code != http.StatusGatewayTimeout {
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, res.Code, res.Body)
		}
		if !json.Valid(res.Body.Bytes()) {
			t.Fatalf("%s %s %q: %d with a body that is not JSON: %q", r.method, r.path, body, res.Code, res.Body)
		}
	})
}
