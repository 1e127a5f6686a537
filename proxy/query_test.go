package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// problemLocations decodes the errors of a problem+json body as raw
// objects, so a test sees exactly which keys are on the wire.
func problemLocations(t *testing.T, body []byte) []map[string]string {
	t.Helper()
	var p struct {
		Errors []map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil || len(p.Errors) == 0 {
		t.Fatalf("no errors in %s (%v)", body, err)
	}
	return p.Errors
}

// A bad query parameter is named by "parameter" (RFC 9457), never by a
// "pointer" that is no JSON pointer into the body; body problems keep
// their pointer, the whole body included ("").
func TestProblemsNameQueryParametersAndBodyPointersApart(t *testing.T) {
	h := newRegistryHarness(t, emulator.SeedDemo)
	for _, tt := range []struct {
		method, path, body string
		key, want          string
	}{
		{"GET", "/individual?limit=0", "", "parameter", "limit"},
		{"GET", "/get_individual_ids", "", "parameter", "include_id_type"},
		{"PUT", "/update_individual?id_type=Voter", `[{"updateId":"1"}]`, "parameter", "id_type"},
		{"POST", "/individual", `{"given_name":"A","birthdate":"yesterday"}`, "pointer", "/birthdate"},
		{"POST", "/individual", `null`, "pointer", ""},
	} {
		res := h.do(t, tt.method, tt.path, tt.body)
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%s %s: %d %s, want 422", tt.method, tt.path, res.status, res.body)
			continue
		}
		first := problemLocations(t, res.body)[0]
		got, ok := first[tt.key]
		if !ok || got != tt.want || len(first) != 2 {
			t.Errorf("%s %s: first error %v, want only %q: %q and detail", tt.method, tt.path, first, tt.key, tt.want)
		}
	}
}

func TestABadIdempotencyKeyIsNamedAsAHeader(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "HEADER, NAMED")
	req := httptest.NewRequest("POST", h.base+accountsPath(p), strings.NewReader(`{"bank_name":"Header Bank","acc_number":"HB-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+acctFullKey)
	req.Header.Set(IdempotencyKeyHeader, "bad key\x01")
	r := httptest.NewRecorder()
	h.handler.ServeHTTP(r, req)
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("%d %s, want 422", r.Code, r.Body)
	}
	if first := problemLocations(t, r.Body.Bytes())[0]; first["header"] != IdempotencyKeyHeader || first["pointer"] != "" {
		t.Errorf("first error %v, want header %s", first, IdempotencyKeyHeader)
	}
}
