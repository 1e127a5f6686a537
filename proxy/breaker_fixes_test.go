package proxy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// Findings of the black-box test round (/tmp/breaker), one test each.

// #2: an archived registrant (e.g. a compensated group) has no bank-account
// resources: every route is a 404, and POST creates nothing.
func TestBankAccountRoutesOfArchivedRegistrantAre404(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "ARCHIVED, REGISTRANT")
	var acc mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Archive Bank","acc_number":"ARC-1"}`).want(t, http.StatusCreated, &acc)
	if err := h.odoo.Write(context.Background(), "res.partner", []int64{p}, odoo.Values{"active": false}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Archive Bank","acc_number":"ARC-2"}`).wantProblem(t, http.StatusNotFound, "not_found", "")
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Archive Bank","acc_number":"ARC-1"}`).wantProblem(t, http.StatusNotFound, "not_found", "")
	h.do(t, acctFullKey, "GET", accountsPath(p), "").wantProblem(t, http.StatusNotFound, "not_found", "")
	h.do(t, acctFullKey, "GET", accountPath(p, acc.ID), "").wantProblem(t, http.StatusNotFound, "not_found", "")
	h.do(t, acctFullKey, "PATCH", accountPath(p, acc.ID), `{"acc_holder_name":"X"}`).wantProblem(t, http.StatusNotFound, "not_found", "")
	h.do(t, acctFullKey, "DELETE", accountPath(p, acc.ID), "").wantProblem(t, http.StatusNotFound, "not_found", "")
	inactive := false
	n, err := h.odoo.SearchCount(context.Background(), "res.partner.bank", odoo.Domain{odoo.Cond("partner_id", "=", p)}, odoo.Options{ActiveTest: &inactive})
	if err != nil || n != 1 {
		t.Errorf("the archived registrant has %d accounts (%v), want 1", n, err)
	}
}

// #4: bodies that are not UTF-8 JSON by their bytes or their Content-Type.
func TestBodyMustBeUTF8JSON(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "MEDIA, TYPE")
	post := func(contentType, body string) acctResponse {
		t.Helper()
		req := httptest.NewRequest("POST", h.base+accountsPath(p), strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+acctFullKey)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		r := acctResponse{ResponseRecorder: rec}
		_ = json.Unmarshal(rec.Body.Bytes(), &r.problem)
		return r
	}
	good := `{"bank_name":"Media Bank","acc_number":"MT-1"}`
	post("text/plain", good).wantProblem(t, http.StatusUnsupportedMediaType, "unsupported_media_type", "")
	post("application/x-www-form-urlencoded", good).wantProblem(t, http.StatusUnsupportedMediaType, "unsupported_media_type", "")
	post("application/json; charset=iso-8859-1", good).wantProblem(t, http.StatusUnsupportedMediaType, "unsupported_media_type", "")
	post("application/json", "{\"bank_name\":\"Caf\xe9 Bank\",\"acc_number\":\"MT-2\"}").wantProblem(t, http.StatusBadRequest, "invalid_json", "")
	post("application/json; charset=UTF-8", good).want(t, http.StatusCreated, nil)
	post("application/merge-patch+json", `{"bank_name":"Media Bank","acc_number":"MT-3"}`).want(t, http.StatusCreated, nil)
	n, err := h.odoo.SearchCount(context.Background(), "res.bank", odoo.Domain{odoo.Cond("name", "like", "Caf")}, odoo.Options{})
	if err != nil || n != 0 {
		t.Errorf("%d banks stored from a non-UTF-8 body (%v)", n, err)
	}
}

// #16: null is not an empty object: PATCH with null changes nothing and says so.
func TestNullBodyIsRefused(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "NULL, BODY")
	var acc mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Null Bank","acc_number":"NB-1"}`).want(t, http.StatusCreated, &acc)
	h.do(t, acctFullKey, "PATCH", accountPath(p, acc.ID), `null`).wantProblem(t, http.StatusUnprocessableEntity, "validation_failed", "")
	h.do(t, acctFullKey, "POST", accountsPath(p), `null`).wantProblem(t, http.StatusUnprocessableEntity, "validation_failed", "")
}

// #8 #9: query parameters are checked like body text, once each, and ids
// are within Odoo's 32-bit range: a 422 naming the parameter (404 for a
// path id), never a 5xx.
func TestQueryParametersAreValidated(t *testing.T) {
	h := newAccountsHarness(t)
	r := newRegistryHarness(t, emulator.SeedDemo)
	for _, path := range []string{
		"/individual?name=%00", "/individual?name=%01", "/individual?name=%C3%28", "/individual?name=%EF%BF%BF",
		"/individual?name=a%0Ab", "/group?name=%00", "/group?name=%E2%80%AE",
		"/get_individual_ids?include_id_type=National%00ID", "/get_individual_ids?include_id_type=Passport&include_id_type=Tax+ID",
		"/individual?_id=2147483648", "/individual?_id=0", "/group?_id=99999999999", "/individual?limit=0", "/individual?limit=-1",
		"/individual?limit=2&limit=3", "/group?offset=-1",
	} {
		res := r.do(t, "GET", path, "")
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("GET %s: %d %.200s, want 422", path, res.status, res.body)
			continue
		}
		param := path[strings.Index(path, "?")+1 : strings.Index(path, "=")]
		if p := res.problem(t); len(p.Errors) == 0 || p.Errors[0].Parameter != param {
			t.Errorf("GET %s: %s does not name %s", path, res.body, param)
		}
	}
	if res := r.do(t, "PUT", "/update_individual?id_type=Passport%00", `[{"updateId":"x"}]`); res.status != http.StatusUnprocessableEntity {
		t.Errorf("PUT with a NUL in id_type: %d, want 422", res.status)
	}
	for _, path := range []string{"/individual/2147483648", "/group/9223372036854775807"} {
		if res := r.do(t, "GET", path, ""); res.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.status)
		}
	}
	hugeCursor := base64.RawURLEncoding.EncodeToString([]byte("2026-01-01 00:00:00|2147483648"))
	for _, path := range []string{
		"/bank-accounts?acc_number=%00", "/bank-accounts?updated_since=%C3%28", "/bank-accounts?cursor=" + hugeCursor,
		"/bank-accounts?limit=0", "/bank-accounts?limit=1&limit=2", "/banks?name=%00", "/banks?bic=%01",
	} {
		h.do(t, acctFullKey, "GET", path, "").wantParameterProblem(t, http.StatusUnprocessableEntity, "validation_failed", path[strings.Index(path, "?")+1:strings.Index(path, "=")])
	}
	p := h.registrant(t, "BIG, IDS")
	h.do(t, acctFullKey, "GET", accountsPath(2147483648), "").wantProblem(t, http.StatusNotFound, "not_found", "")
	for _, path := range []string{accountPath(p, 2147483648), accountPath(p, 1<<40)} {
		h.do(t, acctFullKey, "GET", path, "").wantProblem(t, http.StatusNotFound, "not_found", "")
		h.do(t, acctFullKey, "PATCH", path, `{"acc_holder_name":"X"}`).wantProblem(t, http.StatusNotFound, "not_found", "")
	}
	h.do(t, acctFullKey, "POST", accountsPath(2147483648), `{"bank_name":"B","acc_number":"1"}`).wantProblem(t, http.StatusNotFound, "not_found", "")
}

// #11: POST of a number the registrant has at another bank is a conflict
// telling how to move it; at the same bank it is the existing account.
func TestPostKnownNumberAtAnotherBankIsAConflict(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "MOVE, ACCOUNT")
	var acc, again mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"First Bank","acc_number":"MV-1"}`).want(t, http.StatusCreated, &acc)
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"first  bank","acc_number":"mv 1"}`).want(t, http.StatusOK, &again)
	if again.ID != acc.ID {
		t.Errorf("same number at the same bank: account %d, want %d", again.ID, acc.ID)
	}
	r := h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Second Bank","acc_number":"MV-1"}`)
	r.wantProblem(t, http.StatusConflict, "conflict", "/bank_name")
	if !strings.Contains(r.problem.Detail, "First Bank") || !strings.Contains(r.problem.Detail, "PATCH") {
		t.Errorf("detail %q should name the account's bank and tell to PATCH", r.problem.Detail)
	}
	n, err := h.odoo.SearchCount(context.Background(), "res.bank", odoo.Domain{odoo.Cond("name", "=", "Second Bank")}, odoo.Options{})
	if err != nil || n != 0 {
		t.Errorf("the refused POST created %d banks (%v)", n, err)
	}
}

// #3 (bank-account routes): a PATCH refused because the new number is
// taken leaves no new bank behind.
func TestRefusedPatchCreatesNoBank(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "PATCH, BANK")
	var a1, a2 mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Patch Bank","acc_number":"PB-1"}`).want(t, http.StatusCreated, &a1)
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Patch Bank","acc_number":"PB-2"}`).want(t, http.StatusCreated, &a2)
	h.do(t, acctFullKey, "PATCH", accountPath(p, a2.ID), `{"bank_name":"Never Seen Bank","acc_number":"pb 1"}`).wantProblem(t, http.StatusConflict, "conflict", "/acc_number")
	n, err := h.odoo.SearchCount(context.Background(), "res.bank", odoo.Domain{odoo.Cond("name", "=", "Never Seen Bank")}, odoo.Options{})
	if err != nil || n != 0 {
		t.Errorf("the refused PATCH created %d banks (%v)", n, err)
	}
}
