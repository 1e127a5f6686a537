package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
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

// A misspelt, unknown, repeated or undecodable query parameter is a 422
// naming it on every API route, and nothing is read or written: a typo'd
// filter must never widen what a client gets (GET /bank-accounts?acc_numbr=
// would otherwise be the whole feed).
func TestUnknownQueryParametersAreRefused(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "QUERY, TYPO")
	var acc struct{ ID int64 }
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Typo Bank","acc_number":"TY-1"}`).want(t, http.StatusCreated, &acc)
	for _, tt := range []struct{ method, path, body, param string }{
		{"GET", "/individual?limt=5", "", "limt"},
		{"GET", "/individual?Limit=5", "", "Limit"},
		{"GET", "/group?include_members=true", "", "include_members"},
		{"GET", "/get_ids?include_id_type=National+ID&exclude=Passport", "", "exclude"},
		{"PUT", "/update_individual?id_type=National+ID&dry_run=1", `[{"updateId":"1"}]`, "dry_run"},
		{"POST", "/individual?dry_run=true", `{"name":"NOT, WRITTEN"}`, "dry_run"},
		{"GET", "/individual/" + strconv.FormatInt(p, 10) + "?fields=name", "", "fields"},
		{"GET", accountsPath(p) + "?archived=true", "", "archived"},
		{"GET", accountPath(p, acc.ID) + "?x=1", "", "x"},
		{"PATCH", accountPath(p, acc.ID) + "?force=1", `{"acc_holder_name":"Not Written"}`, "force"},
		{"DELETE", accountPath(p, acc.ID) + "?hard=true", "", "hard"},
		{"GET", "/bank-accounts?acc_numbr=TY-1", "", "acc_numbr"},
		{"GET", "/bank-accounts?acc_number=TY-1&acc_number=TY-2", "", "acc_number"},
		{"GET", "/bank-accounts?acc_number=%zz", "", "acc_number"},
		{"GET", "/bank-accounts?acc_number=TY-1;limit=1", "", "acc_number"},
		{"GET", "/bank-accounts?limit=1&limit=1", "", "limit"},
		{"GET", "/banks?name=Typo+Bank&country=SN", "", "country"},
	} {
		before := h.srv.Calls()
		r := h.do(t, acctFullKey, tt.method, tt.path, tt.body)
		r.wantParameterProblem(t, http.StatusUnprocessableEntity, "validation_failed", tt.param)
		if n := h.srv.Calls() - before; n != 0 {
			t.Errorf("%s %s: %d Odoo calls for a refused request", tt.method, tt.path, n)
		}
	}
	var got struct {
		ID            int64
		AccHolderName *string `json:"acc_holder_name"`
		Active        bool
	}
	h.do(t, acctFullKey, "GET", accountPath(p, acc.ID), "").want(t, http.StatusOK, &got)
	if !got.Active || got.AccHolderName != nil && *got.AccHolderName == "Not Written" {
		t.Errorf("a refused request changed the account: %+v", got)
	}
	// The accepted parameters still work, empty values included.
	h.do(t, acctFullKey, "GET", "/bank-accounts?acc_number=TY-1&limit=5&cursor=&updated_since=", "").want(t, http.StatusOK, nil)
	h.do(t, acctFullKey, "GET", "/individual?name=QUERY&limit=1&offset=0&_id=", "").want(t, http.StatusOK, nil)
}

// queryParams names only served routes, and openapi.json documents exactly
// the query parameters each route accepts.
func TestQueryParametersAreListedOnceAndDocumented(t *testing.T) {
	h := newDocsHarness(t)
	doc := h.checker.doc
	served := map[string]bool{}
	for _, r := range h.server.engine.Routes() {
		served[r.Method+" "+strings.TrimPrefix(r.Path, h.base)] = true
	}
	for route := range queryParams {
		if !served[route] {
			t.Errorf("queryParams lists %s, which is not served", route)
		}
	}
	for _, p := range doc.Paths {
		if !strings.HasPrefix(doc.serverURL(p.Value), "/api") {
			continue
		}
		for _, o := range p.Value.Operations {
			route := strings.ToUpper(o.Key) + " " + docsParamPattern.ReplaceAllString(p.Key, ":$1")
			var documented []string
			for _, prm := range o.Value.Parameters {
				if name, ok := strings.CutPrefix(prm.Ref, "#/components/parameters/"); ok {
					prm = doc.Components.Parameters[name]
				}
				if prm.In == "query" {
					documented = append(documented, prm.Name)
				}
			}
			accepted := slices.Clone(queryParams[route])
			slices.Sort(documented)
			slices.Sort(accepted)
			if !slices.Equal(documented, accepted) {
				t.Errorf("%s: openapi.json documents query parameters %v, the server accepts %v", route, documented, accepted)
			}
		}
	}
}
