package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// API keys of the bank-account tests.
const (
	acctFullKey   = "acct-full-key-0123456789"   // every scope
	acctReaderKey = "acct-reader-key-0123456789" // bank_accounts:read only: masked numbers
	acctWriterKey = "acct-writer-key-0123456789" // bank_accounts:write only
)

// testClock is the emulator's clock (write_date) and the feed's (settle
// delay); tests move it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var acctT0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// accountsHarness is the real proxy with the real bank-account service on
// the demo emulator.
type accountsHarness struct {
	handler http.Handler
	base    string
	srv     *emulator.Server
	odoo    *odoo.Client
	clock   *testClock
	logs    *observer.ObservedLogs
}

func newAccountsHarness(t *testing.T) *accountsHarness {
	return newAccountsHarnessProtocol(t, odoo.XMLRPC)
}

func newAccountsHarnessProtocol(t *testing.T, protocol odoo.Protocol) *accountsHarness {
	t.Helper()
	clock := &testClock{t: acctT0}
	srv := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo, Now: clock.Now})
	c, err := odoo.New(odoo.Config{URL: srv.URL(), DB: srv.DB(), Login: "admin", Secret: "admin", Protocol: protocol, Timeout: 10 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	h := newAccountsHarnessOn(t, c, mapping.AccountsOptions{Now: clock.Now})
	h.srv, h.clock = srv, clock
	srv.ResetCalls()
	return h
}

// newAccountsHarnessOn builds the proxy on any Odoo client (the emulator's
// or a real OpenSPP's); opts tune the feed.
func newAccountsHarnessOn(t *testing.T, c *odoo.Client, opts mapping.AccountsOptions) *accountsHarness {
	t.Helper()
	cfg := config.Default()
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.Secret = "http://127.0.0.1:1", "openspp", "admin", "admin"
	cfg.Auth.APIKeys = []config.APIKey{
		{ID: "acct-full", Key: acctFullKey, Scopes: config.AllScopes()},
		{ID: "acct-reader", Key: acctReaderKey, Scopes: []string{config.ScopeBankAccountsRead}},
		{ID: "acct-writer", Key: acctWriterKey, Scopes: []string{config.ScopeBankAccountsWrite}},
	}
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	reg := mapping.NewRegistry(c, mapping.RegistryOptions{}, log)
	opts.DefaultPageSize, opts.MaxPageSize = cfg.Registry.DefaultPageSize, cfg.Registry.MaxPageSize
	accounts := mapping.NewAccounts(c, reg.Banks(), opts, log)
	s, err := New(cfg, Deps{Registry: reg, Accounts: accounts}, log)
	if err != nil {
		t.Fatal(err)
	}
	// Every exchange is also validated against openapi.json.
	return &accountsHarness{handler: newOpenAPIChecker(t, s.Handler()), base: cfg.Server.BasePath, odoo: c, logs: logs}
}

type acctResponse struct {
	*httptest.ResponseRecorder
	problem ProblemDetail
}

func (h *accountsHarness) do(t *testing.T, key, method, path, body string) acctResponse {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, h.base+path, nil)
	} else {
		req = httptest.NewRequest(method, h.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	r := acctResponse{ResponseRecorder: rec}
	if rec.Code >= 500 {
		t.Errorf("%s %s: status %d, never a 5xx for client input; body %s", method, path, rec.Code, rec.Body)
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), problemContentType) {
		if err := json.Unmarshal(rec.Body.Bytes(), &r.problem); err != nil {
			t.Fatalf("problem body %q: %v", rec.Body, err)
		}
	}
	return r
}

// want fails unless the response has the status; it decodes a JSON body
// into v when v is not nil.
func (r acctResponse) want(t *testing.T, status int, v any) acctResponse {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status %d, want %d; body %s", r.Code, status, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
			t.Fatalf("body %s: %v", r.Body, err)
		}
	}
	return r
}

// wantProblem checks a problem+json answer and, if pointer is not empty,
// that it points at that field.
func (r acctResponse) wantProblem(t *testing.T, status int, code, pointer string) {
	t.Helper()
	if r.Code != status || r.problem.Code != code {
		t.Fatalf("status %d code %q, want %d %q; body %s", r.Code, r.problem.Code, status, code, r.Body)
	}
	if r.problem.Detail == "" || r.problem.RequestID == "" {
		t.Errorf("problem without detail or request id: %s", r.Body)
	}
	if pointer == "" {
		return
	}
	for _, f := range r.problem.Errors {
		if f.Pointer == pointer {
			return
		}
	}
	t.Errorf("problem %s does not point at %s", r.Body, pointer)
}

// wantParameterProblem checks a problem+json answer naming the query
// parameter param (RFC 9457 "parameter", not a body pointer).
func (r acctResponse) wantParameterProblem(t *testing.T, status int, code, param string) {
	t.Helper()
	r.wantProblem(t, status, code, "")
	for _, f := range r.problem.Errors {
		if f.Parameter == param && f.Pointer == "" {
			return
		}
	}
	t.Errorf("problem %s does not name the parameter %s", r.Body, param)
}

// calls counts the execute_kw calls a request makes.
func (h *accountsHarness) calls(t *testing.T, f func()) int64 {
	t.Helper()
	h.srv.ResetCalls()
	f()
	return h.srv.Calls()
}

// registrant creates an individual registrant directly in Odoo.
func (h *accountsHarness) registrant(t *testing.T, name string) int64 {
	t.Helper()
	id, err := h.odoo.Create(context.Background(), "res.partner", odoo.Values{"name": name, "is_registrant": true, "is_group": false}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// bank returns the id of the demo bank with the given name.
func (h *accountsHarness) bank(t *testing.T, name string) int64 {
	t.Helper()
	ids, err := h.odoo.Search(context.Background(), "res.bank", odoo.Domain{odoo.Cond("name", "=", name)}, odoo.Options{})
	if err != nil || len(ids) != 1 {
		t.Fatalf("bank %q: %v %v", name, ids, err)
	}
	return ids[0]
}

func (h *accountsHarness) bankName(t *testing.T, id int64) string {
	t.Helper()
	recs, err := h.odoo.Read(context.Background(), "res.bank", []int64{id}, []string{"name"}, odoo.Options{})
	if err != nil || len(recs) != 1 {
		t.Fatalf("read bank %d: %v", id, err)
	}
	name, _ := recs[0].String("name")
	return name
}

func accountsPath(p int64) string { return fmt.Sprintf("/registrants/%d/bank-accounts", p) }

func accountPath(p, id int64) string { return fmt.Sprintf("/registrants/%d/bank-accounts/%d", p, id) }

const deIBAN = "DE89 3704 0044 0532 0130 00"

func TestPostAccountThenSameNumberInOtherFormatting(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "KAMAU, WANJIRU")
	var first mapping.BankAccount
	r := h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"0170 2938 4410 5","acc_holder_name":"Wanjiru Kamau"}`).
		want(t, http.StatusCreated, &first)
	if loc := r.Header().Get("Location"); loc != h.base+accountPath(p, first.ID) {
		t.Errorf("Location = %q, want %q", loc, h.base+accountPath(p, first.ID))
	}
	eco := h.bank(t, "Ecobank Sénégal")
	if first.RegistrantID != p || first.Bank == nil || first.Bank.ID != eco || *first.Bank.BIC != "ECOCSNDA" ||
		first.AccNumber != "0170 2938 4410 5" || first.AccNumberSanitized != "0170293844105" ||
		first.AccHolderName == nil || *first.AccHolderName != "Wanjiru Kamau" || !first.Active || first.Trusted ||
		first.UpdatedAt == nil || *first.UpdatedAt != "2026-12-03T10:00:00Z" {
		t.Errorf("created account = %+v", first)
	}

	for _, number := range []string{"0170-2938-44105", "0170293844105", " 01702938 44105 "} {
		var again mapping.BankAccount
		n := h.calls(t, func() {
			h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"ecobank  SÉNÉGAL","acc_number":"`+number+`"}`).
				want(t, http.StatusOK, &again)
		})
		if again.ID != first.ID || again.AccNumber != "0170 2938 4410 5" {
			t.Errorf("POST %q = %+v, want the stored account %d unchanged", number, again, first.ID)
		}
		if n > 2 {
			t.Errorf("POST of a known number made %d Odoo calls, want at most 2", n)
		}
	}
	var list []mapping.BankAccount
	h.do(t, acctFullKey, "GET", accountsPath(p), "").want(t, http.StatusOK, &list)
	if len(list) != 1 {
		t.Errorf("the registrant has %d accounts, want 1: %+v", len(list), list)
	}
	var got mapping.BankAccount
	h.do(t, acctFullKey, "GET", accountPath(p, first.ID), "").want(t, http.StatusOK, &got)
	if got.ID != first.ID || got.AccNumber != first.AccNumber {
		t.Errorf("GET Location = %+v, want %+v", got, first)
	}
}

func TestSameNumberOnTwoRegistrantsIsTwoAccounts(t *testing.T) {
	h := newAccountsHarness(t)
	wife, husband := h.registrant(t, "KAMAU, WANJIRU"), h.registrant(t, "KAMAU, OTIENO")
	var a, b mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(wife), `{"bank_name":"Equity Bank","acc_number":"0170293844105"}`).want(t, http.StatusCreated, &a)
	h.do(t, acctFullKey, "POST", accountsPath(husband), `{"bank_name":"Equity Bank","acc_number":"0170293844105"}`).want(t, http.StatusCreated, &b)
	if a.ID == b.ID || a.Bank.ID != b.Bank.ID {
		t.Errorf("accounts %+v and %+v: want two accounts at one bank", a, b)
	}
}

func TestPostReactivatesAnArchivedAccount(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "MENSAH, KOFI")
	var acc mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bic":"COBADEFFXXX","acc_number":"`+deIBAN+`"}`).want(t, http.StatusCreated, &acc)
	h.do(t, acctFullKey, "DELETE", accountPath(p, acc.ID), "").want(t, http.StatusNoContent, nil)

	var back mapping.BankAccount
	n := h.calls(t, func() {
		h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"de89-3704-0044-0532-0130-00","acc_holder_name":"K. Mensah"}`).
			want(t, http.StatusOK, &back)
	})
	if back.ID != acc.ID || !back.Active || back.Bank.ID != h.bank(t, "Ecobank Sénégal") || *back.AccHolderName != "K. Mensah" {
		t.Errorf("re-added account = %+v, want account %d active at the new bank with the new holder", back, acc.ID)
	}
	if n > 3 {
		t.Errorf("reactivation made %d Odoo calls, want at most 3 (search, write, read-back)", n)
	}
	if c := h.srv.CallsTo("res.partner.bank", "create"); c != 0 {
		t.Errorf("%d creates: an archived number must be reactivated, never created again", c)
	}
}

// TestPostRacingCreate: another request creates the same number between
// the proxy's search and its create; the unique constraint refuses the
// proxy's create, and the proxy answers with the account that won.
func TestPostRacingCreate(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "SYLLA, OUMAR")
	other, err := odoo.New(odoo.Config{URL: h.srv.URL(), DB: h.srv.DB(), Login: "admin", Secret: "admin", Timeout: 10 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	bank := h.bank(t, "Ecobank Sénégal")
	var raced atomic.Bool
	var winner int64
	h.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		// The hook sees the other client's create too: only the first
		// create (the proxy's) runs the race.
		if c.Model == "res.partner.bank" && c.Method == "create" && raced.CompareAndSwap(false, true) {
			winner, err = other.Create(context.Background(), "res.partner.bank",
				odoo.Values{"partner_id": p, "acc_number": "SN-77-001", "bank_id": bank}, odoo.Options{})
		}
		return nil
	})
	var got mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"sn77001"}`).want(t, http.StatusOK, &got)
	if err != nil || winner == 0 || got.ID != winner {
		t.Errorf("got account %d, want the concurrently created %d (%v)", got.ID, winner, err)
	}
}

func TestPostRefusesBadInput(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "DIOP, ISSA")
	tests := []struct {
		name, body    string
		status        int
		code, pointer string
	}{
		{"number as a JSON number", `{"bank_name":"Ecobank Sénégal","acc_number":170293844105}`, 422, "validation_failed", "/acc_number"},
		{"no number", `{"bank_name":"Ecobank Sénégal"}`, 422, "validation_failed", "/acc_number"},
		{"null number", `{"bank_name":"Ecobank Sénégal","acc_number":null}`, 422, "validation_failed", "/acc_number"},
		{"blank number", `{"bank_name":"Ecobank Sénégal","acc_number":"   "}`, 422, "validation_failed", "/acc_number"},
		{"punctuation only", `{"bank_name":"Ecobank Sénégal","acc_number":"--//--"}`, 422, "validation_failed", "/acc_number"},
		{"control character", `{"bank_name":"Ecobank Sénégal","acc_number":"0170\u0001293"}`, 422, "validation_failed", "/acc_number"},
		{"no bank", `{"acc_number":"0170293844105"}`, 422, "validation_failed", "/bank_name"},
		{"BIC of 9 characters", `{"bic":"COBADEFFX","acc_number":"` + deIBAN + `"}`, 422, "validation_failed", "/bic"},
		{"BIC with a digit in the bank code", `{"bic":"C0BADEFF","acc_number":"` + deIBAN + `"}`, 422, "validation_failed", "/bic"},
		{"IBAN with a wrong check digit", `{"bic":"COBADEFFXXX","acc_number":"DE88 3704 0044 0532 0130 00"}`, 422, "validation_failed", "/acc_number"},
		{"IBAN too short", `{"bank_name":"Ecobank Sénégal","acc_number":"DE89 3704 0044 0532 0130 0"}`, 422, "validation_failed", "/acc_number"},
		{"domestic number at a German bank (BIC sent)", `{"bic":"COBADEFFXXX","acc_number":"0532013000"}`, 422, "validation_failed", "/acc_number"},
		{"domestic number at a German bank (name sent)", `{"bank_name":"commerzbank","acc_number":"0532013000"}`, 422, "validation_failed", "/acc_number"},
		{"unknown BIC without a name", `{"bic":"ZZZZKENA","acc_number":"0170293844105"}`, 422, "unknown_reference", "/bic"},
		{"unknown field", `{"bank_name":"Ecobank Sénégal","acc_number":"1","trusted":true}`, 422, "validation_failed", "/trusted"},
		{"bank_name not a string", `{"bank_name":7,"acc_number":"1"}`, 422, "validation_failed", "/bank_name"},
		{"not JSON", `{"bank_name":`, 400, "invalid_json", ""},
		{"an array", `[{"bank_name":"Ecobank Sénégal","acc_number":"1"}]`, 422, "validation_failed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.do(t, acctFullKey, "POST", accountsPath(p), tt.body).wantProblem(t, tt.status, tt.code, tt.pointer)
		})
	}
	t.Run("empty body", func(t *testing.T) {
		h.do(t, acctFullKey, "POST", accountsPath(p), "").wantProblem(t, 400, "invalid_json", "")
	})
	var list []mapping.BankAccount
	h.do(t, acctFullKey, "GET", accountsPath(p)+"?include_archived=true", "").want(t, http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("refused requests left accounts behind: %+v", list)
	}
}

func TestUnknownRegistrantIs404(t *testing.T) {
	h := newAccountsHarness(t)
	body := `{"bank_name":"A Bank That Must Not Be Created","acc_number":"0170293844105"}`
	for _, path := range []string{"/registrants/999999/bank-accounts", "/registrants/3/bank-accounts", "/registrants/abc/bank-accounts", "/registrants/0/bank-accounts"} {
		h.do(t, acctFullKey, "GET", path, "").wantProblem(t, 404, "not_found", "")
		h.do(t, acctFullKey, "POST", path, body).wantProblem(t, 404, "not_found", "")
	}
	if n := h.srv.CallsTo("res.bank", "create") + h.srv.CallsTo("res.partner.bank", "create"); n != 0 {
		t.Errorf("%d creates for an unknown registrant, want none", n)
	}
	p := h.registrant(t, "FALL, ADAMA")
	for _, path := range []string{accountPath(p, 999999), accountPath(p, 0), "/registrants/1/bank-accounts/x"} {
		h.do(t, acctFullKey, "GET", path, "").wantProblem(t, 404, "not_found", "")
		h.do(t, acctFullKey, "PATCH", path, `{"acc_holder_name":"X"}`).wantProblem(t, 404, "not_found", "")
		h.do(t, acctFullKey, "DELETE", path, "").wantProblem(t, 404, "not_found", "")
	}
}

func TestListAccounts(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "BA, MARIAMA")
	var a, b mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"SN-001"}`).want(t, http.StatusCreated, &a)
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bic":"BHSNSNDA","acc_number":"SN-002"}`).want(t, http.StatusCreated, &b)
	h.do(t, acctFullKey, "DELETE", accountPath(p, a.ID), "").want(t, http.StatusNoContent, nil)

	var list []mapping.BankAccount
	n := h.calls(t, func() { h.do(t, acctFullKey, "GET", accountsPath(p), "").want(t, http.StatusOK, &list) })
	if n != 1 {
		t.Errorf("the list made %d Odoo calls, want 1", n)
	}
	if len(list) != 1 || list[0].ID != b.ID || list[0].Bank.Name == nil || *list[0].Bank.Name != "Banque de l'Habitat du Sénégal" {
		t.Errorf("active accounts = %+v, want only %d at BHS", list, b.ID)
	}
	h.do(t, acctFullKey, "GET", accountsPath(p)+"?include_archived=true", "").want(t, http.StatusOK, &list)
	if len(list) != 2 || list[0].ID != a.ID || list[0].Active || !list[1].Active {
		t.Errorf("all accounts = %+v, want %d archived and %d active", list, a.ID, b.ID)
	}
	h.do(t, acctFullKey, "GET", accountsPath(p)+"?include_archived=maybe", "").wantParameterProblem(t, 422, "validation_failed", "include_archived")

	empty := h.registrant(t, "NO, ACCOUNTS")
	r := h.do(t, acctFullKey, "GET", accountsPath(empty), "").want(t, http.StatusOK, nil)
	if strings.TrimSpace(r.Body.String()) != "[]" {
		t.Errorf("a registrant without accounts: body %s, want []", r.Body)
	}
}

func TestPatchBankRepointsWithoutRenaming(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "TRAORÉ, KADIATOU")
	var acc mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"SN-100"}`).want(t, http.StatusCreated, &acc)
	eco, bhs := h.bank(t, "Ecobank Sénégal"), h.bank(t, "Banque de l'Habitat du Sénégal")

	var got mapping.BankAccount
	h.do(t, acctFullKey, "PATCH", accountPath(p, acc.ID), `{"bank_name":"  banque de l'habitat du SÉNÉGAL "}`).want(t, http.StatusOK, &got)
	if got.Bank == nil || got.Bank.ID != bhs {
		t.Errorf("after PATCH the bank is %+v, want %d", got.Bank, bhs)
	}
	if name := h.bankName(t, eco); name != "Ecobank Sénégal" {
		t.Errorf("the old bank was renamed to %q", name)
	}
	if name := h.bankName(t, bhs); name != "Banque de l'Habitat du Sénégal" {
		t.Errorf("the new bank was renamed to %q", name)
	}
	for _, c := range h.srv.CallLog() {
		if c.Model != "res.partner.bank" || (c.Method != "write" && c.Method != "create") {
			continue
		}
		for _, a := range append(c.Args, c.Kwargs) {
			if b, _ := json.Marshal(a); strings.Contains(string(b), "bank_name") || strings.Contains(string(b), "bank_bic") {
				t.Errorf("%s sent %s: bank_name/bank_bic rename the shared res.bank", c.Method, b)
			}
		}
	}

	h.do(t, acctFullKey, "PATCH", accountPath(p, acc.ID), `{"bic":"ecocsnda"}`).want(t, http.StatusOK, &got)
	if got.Bank.ID != eco {
		t.Errorf("PATCH by BIC: bank %d, want %d", got.Bank.ID, eco)
	}
	// A new bank name creates that bank, once.
	h.do(t, acctFullKey, "PATCH", accountPath(p, acc.ID), `{"bank_name":"Banque Nouvelle"}`).want(t, http.StatusOK, &got)
	if got.Bank.Name == nil || *got.Bank.Name != "Banque Nouvelle" {
		t.Errorf("PATCH to a new bank: %+v", got.Bank)
	}
}

func TestPatchHolderAndNumber(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "NDIAYE, CHEIKH")
	var a, b mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"SN-200","acc_holder_name":"Cheikh"}`).want(t, http.StatusCreated, &a)
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"SN-201"}`).want(t, http.StatusCreated, &b)

	var got mapping.BankAccount
	n := h.calls(t, func() {
		h.do(t, acctFullKey, "PATCH", accountPath(p, a.ID), `{"acc_holder_name":"Cheikh Ndiaye","acc_number":"SN 202"}`).want(t, http.StatusOK, &got)
	})
	if got.AccNumber != "SN 202" || got.AccNumberSanitized != "SN202" || *got.AccHolderName != "Cheikh Ndiaye" {
		t.Errorf("after PATCH: %+v", got)
	}
	if n > 3 {
		t.Errorf("PATCH made %d Odoo calls, want at most 3 (read, write, read-back)", n)
	}
	// The same number in another formatting is no collision.
	h.do(t, acctFullKey, "PATCH", accountPath(p, a.ID), `{"acc_number":"sn-202"}`).want(t, http.StatusOK, &got)
	h.do(t, acctFullKey, "PATCH", accountPath(p, a.ID), `{"acc_holder_name":null}`).want(t, http.StatusOK, &got)
	// Odoo computes the holder from the partner only on create or a change
	// of partner: a cleared holder stays cleared.
	if got.AccHolderName != nil {
		t.Errorf("holder after null = %q, want null", *got.AccHolderName)
	}
	h.do(t, acctFullKey, "GET", accountPath(p, a.ID), "").want(t, http.StatusOK, &got)
	if got.AccHolderName != nil {
		t.Errorf("holder read after null = %q, want null", *got.AccHolderName)
	}
	// Nothing to change: the account as stored, one call.
	n = h.calls(t, func() { h.do(t, acctFullKey, "PATCH", accountPath(p, a.ID), `{}`).want(t, http.StatusOK, &got) })
	if got.ID != a.ID || n != 1 {
		t.Errorf("empty PATCH: %+v after %d calls", got, n)
	}

	// Collisions, with an active and with an archived account.
	h.do(t, acctFullKey, "PATCH", accountPath(p, a.ID), `{"acc_number":"sn201"}`).wantProblem(t, 409, "conflict", "/acc_number")
	h.do(t, acctFullKey, "DELETE", accountPath(p, b.ID), "").want(t, http.StatusNoContent, nil)
	r := h.do(t, acctFullKey, "PATCH", accountPath(p, a.ID), `{"acc_number":"SN-201"}`)
	r.wantProblem(t, 409, "conflict", "/acc_number")
	if !strings.Contains(r.problem.Detail, fmt.Sprint(b.ID)) || !strings.Contains(r.problem.Detail, "archived") {
		t.Errorf("collision with an archived account: detail %q should name account %d and say it is archived", r.problem.Detail, b.ID)
	}

	bad := []struct{ name, body, pointer string }{
		{"null number", `{"acc_number":null}`, "/acc_number"},
		{"empty number", `{"acc_number":""}`, "/acc_number"},
		{"number as JSON number", `{"acc_number":42}`, "/acc_number"},
		{"null bank", `{"bank_name":null}`, "/bank_name"},
		{"bad BIC", `{"bic":"XX"}`, "/bic"},
		{"bad IBAN", `{"acc_number":"GB82 WEST 1234 5698 7654 31"}`, "/acc_number"},
		{"German bank for a domestic number", `{"bic":"COBADEFFXXX"}`, "/bic"},
		{"unknown field", `{"bank_name":"Ecobank Sénégal","partner_id":5}`, "/partner_id"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			h.do(t, acctFullKey, "PATCH", accountPath(p, a.ID), tt.body).wantProblem(t, 422, "validation_failed", tt.pointer)
		})
	}

	// A refused re-point creates no bank.
	h.srv.ResetCalls()
	h.do(t, acctFullKey, "PATCH", accountPath(p, a.ID), `{"bank_name":"Neue Bank","bic":"NEUEDEFFXXX"}`).wantProblem(t, 422, "validation_failed", "/bic")
	if n := h.srv.CallsTo("res.bank", "create"); n != 0 {
		t.Errorf("a refused PATCH created %d banks", n)
	}

	other := h.registrant(t, "SOW, FATOU")
	h.do(t, acctFullKey, "PATCH", accountPath(other, a.ID), `{"acc_holder_name":"Fatou"}`).wantProblem(t, 404, "not_found", "")
	h.do(t, acctFullKey, "DELETE", accountPath(other, a.ID), "").wantProblem(t, 404, "not_found", "")
}

// TestPatchRefusedByOdooIsAConflict: with the account module installed,
// Odoo refuses to change a trusted account's number (reference E18).
func TestPatchRefusedByOdooIsAConflict(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "DIALLO, AWA")
	var acc mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"SN-300"}`).want(t, http.StatusCreated, &acc)
	h.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Model == "res.partner.bank" && c.Method == "write" {
			return &emulator.Injected{Fault: emulator.UserFault("You cannot modify the account number or partner of an account that has been trusted.")}
		}
		return nil
	})
	r := h.do(t, acctFullKey, "PATCH", accountPath(p, acc.ID), `{"acc_number":"SN-301"}`)
	r.wantProblem(t, 409, "conflict", "")
	if !strings.Contains(r.problem.Detail, "trusted") {
		t.Errorf("detail %q should carry Odoo's reason", r.problem.Detail)
	}
	h.do(t, acctFullKey, "DELETE", accountPath(p, acc.ID), "").wantProblem(t, 409, "conflict", "")
}

func TestDeleteArchivesAndIsIdempotent(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "CISSÉ, BINTA")
	var acc mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"SN-400"}`).want(t, http.StatusCreated, &acc)
	h.srv.ResetCalls()
	for range 2 {
		r := h.do(t, acctFullKey, "DELETE", accountPath(p, acc.ID), "").want(t, http.StatusNoContent, nil)
		if r.Body.Len() != 0 {
			t.Errorf("204 with a body: %s", r.Body)
		}
	}
	if n := h.srv.CallsTo("res.partner.bank", "write"); n != 1 {
		t.Errorf("%d writes for two DELETEs, want 1 (the second finds it archived)", n)
	}
	for _, m := range []string{"unlink", "action_archive", "toggle_active"} {
		if n := h.srv.CallsTo("", m); n != 0 {
			t.Errorf("DELETE called %s %d times; it must archive with write(active=false)", m, n)
		}
	}
	var got mapping.BankAccount
	h.do(t, acctFullKey, "GET", accountPath(p, acc.ID), "").want(t, http.StatusOK, &got)
	if got.Active {
		t.Errorf("after DELETE the account is %+v, want active false", got)
	}
}

func TestFeedPagesSharedWriteDate(t *testing.T) {
	h := newAccountsHarness(t)
	// Every account below, and the demo ones, are written in second acctT0.
	ctx := context.Background()
	p := h.registrant(t, "FEED, REGISTRANT")
	if _, err := h.odoo.Create(ctx, "g2p.reg.id", odoo.Values{"partner_id": p, "id_type": int64(1), "value": "1000000099"}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	vals := make([]odoo.Values, 120)
	for i := range vals {
		vals[i] = odoo.Values{"partner_id": p, "acc_number": fmt.Sprintf("FEED-%03d", i)}
	}
	if _, err := h.odoo.CreateMany(ctx, "res.partner.bank", vals, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	// Accounts of partners that are not registrants are not in the feed.
	if _, err := h.odoo.Create(ctx, "res.partner.bank", odoo.Values{"partner_id": int64(3), "acc_number": "ADMIN-1"}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	inactive := false
	want, err := h.odoo.Search(ctx, "res.partner.bank", odoo.Domain{odoo.Cond("partner_id.is_registrant", "=", true)},
		odoo.Options{Order: "id asc", ActiveTest: &inactive})
	if err != nil || len(want) < 120 {
		t.Fatalf("expected accounts: %v %v", want, err)
	}
	h.clock.Set(acctT0.Add(time.Hour))

	var got []int64
	cursor := ""
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("the feed does not end")
		}
		var fp mapping.FeedPage
		n := h.calls(t, func() {
			h.do(t, acctFullKey, "GET", "/bank-accounts?limit=50&cursor="+cursor, "").want(t, http.StatusOK, &fp)
		})
		if n > 5 {
			t.Errorf("page %d made %d Odoo calls, want at most 5", page, n)
		}
		if fp.HasMore && len(fp.Items) != 50 {
			t.Errorf("page %d has %d items and more to come, want 50", page, len(fp.Items))
		}
		for _, it := range fp.Items {
			got = append(got, it.ID)
			if it.UpdatedAt == nil || *it.UpdatedAt != "2026-12-03T10:00:00Z" {
				t.Errorf("item %d updated_at %v", it.ID, it.UpdatedAt)
			}
			if it.RegistrantID == p && (len(it.RegistrationIDs) != 1 || *it.RegistrationIDs[0].Value != "1000000099" || *it.RegistrationIDs[0].IDType != "National ID") {
				t.Errorf("item %d registration ids %+v", it.ID, it.RegistrationIDs)
			}
		}
		if fp.NextCursor == nil {
			t.Fatalf("page %d without next_cursor", page)
		}
		cursor = *fp.NextCursor
		if !fp.HasMore {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("feed ids\n%v\nwant every registrant account once, in id order\n%v", got, want)
	}

	// Later changes come after the last cursor, and only they do; an
	// archived account shows active false.
	h.clock.Set(acctT0.Add(2 * time.Hour))
	h.do(t, acctFullKey, "DELETE", accountPath(p, want[10]), "").want(t, http.StatusNoContent, nil)
	h.clock.Set(acctT0.Add(3 * time.Hour))
	var fp mapping.FeedPage
	h.do(t, acctFullKey, "GET", "/bank-accounts?cursor="+cursor, "").want(t, http.StatusOK, &fp)
	if len(fp.Items) != 1 || fp.Items[0].ID != want[10] || fp.Items[0].Active || fp.HasMore {
		t.Errorf("feed after one archive = %+v, want only account %d with active false", fp, want[10])
	}
	if fp.NextCursor == nil || *fp.NextCursor == cursor {
		t.Errorf("next_cursor did not move past the archived account")
	}
	// An empty page keeps the cursor.
	var empty mapping.FeedPage
	h.do(t, acctFullKey, "GET", "/bank-accounts?cursor="+*fp.NextCursor, "").want(t, http.StatusOK, &empty)
	if len(empty.Items) != 0 || empty.NextCursor == nil || *empty.NextCursor != *fp.NextCursor || empty.HasMore {
		t.Errorf("empty page = %+v, want the same cursor back", empty)
	}
	// updated_since is inclusive.
	h.do(t, acctFullKey, "GET", "/bank-accounts?updated_since=2026-12-03T12:00:00Z", "").want(t, http.StatusOK, &fp)
	if len(fp.Items) != 1 || fp.Items[0].ID != want[10] {
		t.Errorf("updated_since 12:00 = %+v, want account %d", fp.Items, want[10])
	}
}

func TestFeedHoldsBackUnsettledWrites(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "SETTLE, TEST")
	var acc mapping.BankAccount
	h.clock.Set(acctT0.Add(time.Hour))
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"SN-500"}`).want(t, http.StatusCreated, &acc)
	var fp mapping.FeedPage
	h.do(t, acctFullKey, "GET", "/bank-accounts?updated_since=2026-12-03T11:00:00Z", "").want(t, http.StatusOK, &fp)
	if len(fp.Items) != 0 {
		t.Errorf("an account written this second is in the feed: %+v", fp.Items)
	}
	h.clock.Set(acctT0.Add(time.Hour + 10*time.Second))
	h.do(t, acctFullKey, "GET", "/bank-accounts?updated_since=2026-12-03T11:00:00Z", "").want(t, http.StatusOK, &fp)
	if len(fp.Items) != 1 || fp.Items[0].ID != acc.ID {
		t.Errorf("after the settle delay: %+v, want account %d", fp.Items, acc.ID)
	}
}

func TestFeedFindsNumberInAnyFormatting(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "SCHMIDT, ANNA")
	var acc mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bic":"COBADEFFXXX","acc_number":"`+deIBAN+`"}`).want(t, http.StatusCreated, &acc)
	h.clock.Set(acctT0.Add(time.Hour))
	for _, q := range []string{"de89370400440532013000", "DE89-3704-0044-0532-0130-00", "DE89%203704%200044%200532%200130%2000"} {
		var fp mapping.FeedPage
		h.do(t, acctFullKey, "GET", "/bank-accounts?acc_number="+q, "").want(t, http.StatusOK, &fp)
		if len(fp.Items) != 1 || fp.Items[0].ID != acc.ID {
			t.Errorf("acc_number=%s: %+v, want account %d", q, fp.Items, acc.ID)
		}
	}
}

func TestFeedRefusesBadQueries(t *testing.T) {
	h := newAccountsHarness(t)
	for _, tt := range []struct{ query, pointer string }{
		{"cursor=bm90LWEtY3Vyc29y", "cursor"}, // "not-a-cursor"
		{"cursor=%25%25", "cursor"},
		{"limit=-1", "limit"},
		{"limit=ten", "limit"},
		{"updated_since=last-week", "updated_since"},
		{"acc_number=---", "acc_number"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			h.do(t, acctFullKey, "GET", "/bank-accounts?"+tt.query, "").wantParameterProblem(t, 422, "validation_failed", tt.pointer)
		})
	}
	// A limit above the maximum is served with the maximum (mapping tests
	// check the clamping), not refused.
	h.clock.Set(acctT0.Add(time.Hour))
	var fp mapping.FeedPage
	h.do(t, acctFullKey, "GET", "/bank-accounts?limit=100000", "").want(t, http.StatusOK, &fp)
	if len(fp.Items) == 0 || fp.HasMore {
		t.Errorf("got %d demo accounts, has_more %v; want all of them in one page", len(fp.Items), fp.HasMore)
	}
}

func TestBankDirectory(t *testing.T) {
	h := newAccountsHarness(t)
	var banks []mapping.BankEntry
	n := h.calls(t, func() { h.do(t, acctReaderKey, "GET", "/banks", "").want(t, http.StatusOK, &banks) })
	if len(banks) != 4 || n != 1 {
		t.Errorf("directory = %+v after %d calls, want the 4 demo banks in 1 call", banks, n)
	}
	h.do(t, acctReaderKey, "GET", "/banks?name=%20%20ECOBANK%20%20s%C3%A9n%C3%A9gal%20", "").want(t, http.StatusOK, &banks)
	if len(banks) != 1 || banks[0].Name != "Ecobank Sénégal" || *banks[0].BIC != "ECOCSNDA" {
		t.Errorf("by name: %+v", banks)
	}
	h.do(t, acctReaderKey, "GET", "/banks?bic=bhsn%20snda", "").want(t, http.StatusOK, &banks)
	if len(banks) != 1 || banks[0].Name != "Banque de l'Habitat du Sénégal" {
		t.Errorf("by BIC: %+v", banks)
	}
	h.do(t, acctReaderKey, "GET", "/banks?name=Ecobank", "").want(t, http.StatusOK, &banks)
	if len(banks) != 0 {
		t.Errorf("a partial name matches nothing (the resolver compares whole names): %+v", banks)
	}
	h.do(t, acctReaderKey, "GET", "/banks?bic=NOTABIC", "").wantProblem(t, 422, "validation_failed", "bic")
}

// TestMobileMoneyWallet: the provider is a res.bank, the phone number the
// account number; every endpoint takes it and no IBAN rule applies.
func TestMobileMoneyWallet(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "OTIENO, GRACE")
	var w mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"M-Pesa","acc_number":"+254 712-345-678","acc_holder_name":"Grace Otieno"}`).
		want(t, http.StatusCreated, &w)
	if w.Bank == nil || *w.Bank.Name != "M-Pesa" || w.Bank.BIC != nil || w.AccNumber != "+254 712-345-678" || w.AccNumberSanitized != "254712345678" {
		t.Errorf("wallet = %+v", w)
	}
	var again mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"m-pesa","acc_number":"254712345678"}`).want(t, http.StatusOK, &again)
	if again.ID != w.ID {
		t.Errorf("the same phone number again = %d, want %d", again.ID, w.ID)
	}
	var list []mapping.BankAccount
	h.do(t, acctFullKey, "GET", accountsPath(p), "").want(t, http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != w.ID {
		t.Errorf("list = %+v", list)
	}
	h.do(t, acctFullKey, "PATCH", accountPath(p, w.ID), `{"acc_number":"+254 799 000 111"}`).want(t, http.StatusOK, &again)
	if again.AccNumberSanitized != "254799000111" {
		t.Errorf("after PATCH: %+v", again)
	}
	var banks []mapping.BankEntry
	h.do(t, acctFullKey, "GET", "/banks?name=M-PESA", "").want(t, http.StatusOK, &banks)
	if len(banks) != 1 || banks[0].ID != w.Bank.ID {
		t.Errorf("directory by name = %+v", banks)
	}
	h.clock.Set(acctT0.Add(time.Hour))
	var fp mapping.FeedPage
	h.do(t, acctFullKey, "GET", "/bank-accounts?acc_number=%2B254-799-000-111", "").want(t, http.StatusOK, &fp)
	if len(fp.Items) != 1 || fp.Items[0].ID != w.ID {
		t.Errorf("feed by phone number = %+v", fp.Items)
	}
	h.do(t, acctFullKey, "DELETE", accountPath(p, w.ID), "").want(t, http.StatusNoContent, nil)
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"M-Pesa","acc_number":"+254 799 000 111"}`).want(t, http.StatusOK, &again)
	if again.ID != w.ID || !again.Active {
		t.Errorf("re-added wallet = %+v, want %d reactivated", again, w.ID)
	}
}

func TestMaskingNeedsReadFull(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "MASK, TEST")
	var created mapping.BankAccount
	h.do(t, acctWriterKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"0170 2938 4410 5"}`).want(t, http.StatusCreated, &created)
	if created.AccNumber != "****4105" || created.AccNumberSanitized != "****4105" {
		t.Errorf("a writer without read_full sees %q / %q, want ****4105", created.AccNumber, created.AccNumberSanitized)
	}
	h.clock.Set(acctT0.Add(time.Hour))
	var list []mapping.BankAccount
	var fp mapping.FeedPage
	h.do(t, acctReaderKey, "GET", accountsPath(p), "").want(t, http.StatusOK, &list)
	h.do(t, acctReaderKey, "GET", "/bank-accounts", "").want(t, http.StatusOK, &fp)
	fp.Items = slices.DeleteFunc(fp.Items, func(it mapping.FeedAccount) bool { return it.ID != created.ID })
	if len(list) != 1 || list[0].AccNumber != "****4105" || len(fp.Items) != 1 || fp.Items[0].AccNumber != "****4105" {
		t.Errorf("reader sees %+v and %+v, want masked numbers", list, fp.Items)
	}
	// Filtering by a full number would confirm guesses of it.
	h.do(t, acctReaderKey, "GET", "/bank-accounts?acc_number=0170293844105", "").wantProblem(t, 403, "forbidden", "")
	if strings.Contains(h.do(t, acctReaderKey, "GET", accountsPath(p), "").Body.String(), "2938") {
		t.Error("the masked body still carries digits of the number")
	}
	h.do(t, acctFullKey, "GET", accountsPath(p), "").want(t, http.StatusOK, &list)
	h.do(t, acctFullKey, "GET", "/bank-accounts?acc_number=0170293844105", "").want(t, http.StatusOK, &fp)
	if list[0].AccNumber != "0170 2938 4410 5" || fp.Items[0].AccNumberSanitized != "0170293844105" {
		t.Errorf("read_full sees %+v and %+v, want full numbers", list[0], fp.Items[0])
	}
}

// TestArchiveTrustsStateAfterAServerFault: a mutating call may fault after
// its transaction committed (reference E7); DELETE re-reads the account and
// answers from what is stored.
func TestArchiveTrustsStateAfterAServerFault(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "KANE, OMAR")
	var acc mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"SN-600"}`).want(t, http.StatusCreated, &acc)
	other, err := odoo.New(odoo.Config{URL: h.srv.URL(), DB: h.srv.DB(), Login: "admin", Secret: "admin", Timeout: 10 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	var faulted atomic.Bool
	h.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Model == "res.partner.bank" && c.Method == "write" && faulted.CompareAndSwap(false, true) {
			// The archive happens, then the answer is lost in a fault.
			if err := other.Write(context.Background(), "res.partner.bank", []int64{acc.ID}, odoo.Values{"active": false}, odoo.Options{}); err != nil {
				t.Error(err)
			}
			return &emulator.Injected{Fault: emulator.ServerFault("builtins.TypeError", "cannot marshal None unless allow_none is enabled")}
		}
		return nil
	})
	h.srv.ResetCalls()
	h.do(t, acctFullKey, "DELETE", accountPath(p, acc.ID), "").want(t, http.StatusNoContent, nil)
	if !faulted.Load() || h.srv.CallsTo("res.partner.bank", "web_search_read") != 2 {
		t.Fatalf("want the write to fault and the account to be read again (%d reads)", h.srv.CallsTo("res.partner.bank", "web_search_read"))
	}
	// A server fault that did not archive is an upstream error, not a 204.
	var b mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"SN-601"}`).want(t, http.StatusCreated, &b)
	h.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Model == "res.partner.bank" && c.Method == "write" {
			return &emulator.Injected{Fault: emulator.ServerFault("builtins.KeyError", "'active'")}
		}
		return nil
	})
	req := httptest.NewRequest("DELETE", h.base+accountPath(p, b.ID), nil)
	req.Header.Set("Authorization", "Bearer "+acctFullKey)
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadGateway {
		t.Errorf("DELETE after a real server fault: status %d, want 502; body %s", rec.Code, rec.Body)
	}
}

// TestStaleCachedBankIsResolvedAgain: a bank deleted in Odoo after the
// resolver cached it makes Odoo refuse bank_id (an FK fault); the proxy
// forgets it, resolves the name again and retries once.
func TestStaleCachedBankIsResolvedAgain(t *testing.T) {
	h := newAccountsHarness(t)
	ctx := context.Background()
	ghost, err := h.odoo.Create(ctx, "res.bank", odoo.Values{"name": "Ghost Bank"}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.do(t, acctReaderKey, "GET", "/banks", "").want(t, http.StatusOK, nil) // caches every bank
	if err := h.odoo.Unlink(ctx, "res.bank", []int64{ghost}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	p := h.registrant(t, "GHOST, TEST")
	var acc mapping.BankAccount
	h.srv.ResetCalls()
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"ghost bank","acc_number":"GB-1"}`).want(t, http.StatusCreated, &acc)
	if acc.Bank == nil || acc.Bank.ID == ghost || *acc.Bank.Name != "ghost bank" {
		t.Errorf("account bank = %+v, want a new bank named as sent (not the deleted %d)", acc.Bank, ghost)
	}
	if n := h.srv.CallsTo("res.partner.bank", "create"); n != 2 {
		t.Errorf("%d account creates, want 2 (refused stale bank id, then the retry)", n)
	}
}

func TestLogsMaskAccountNumbers(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "LOG, TEST")
	var acc mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"0170 2938 4410 5"}`).want(t, http.StatusCreated, &acc)
	h.do(t, acctFullKey, "DELETE", accountPath(p, acc.ID), "").want(t, http.StatusNoContent, nil)
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"01702938-44105"}`).want(t, http.StatusOK, nil)
	writes := 0
	for _, e := range h.logs.All() {
		line := fmt.Sprint(e.Message, e.ContextMap())
		if strings.Contains(line, "29384410") || strings.Contains(line, "2938 4410") {
			t.Errorf("log line carries the account number: %s", line)
		}
		if strings.HasPrefix(e.Message, "bank account ") {
			writes++
			if e.ContextMap()["client_id"] != "acct-full" {
				t.Errorf("write logged without the client id: %s", line)
			}
		}
	}
	if writes != 3 {
		t.Errorf("%d write log lines, want 3 (created, archived, reactivated)", writes)
	}
}

// TestAccountsOverJSONRPC runs the main paths over the other protocol.
func TestAccountsOverJSONRPC(t *testing.T) {
	h := newAccountsHarnessProtocol(t, odoo.JSONRPC)
	p := h.registrant(t, "JSON, RPC")
	var acc, again mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bic":"COBADEFFXXX","acc_number":"`+deIBAN+`"}`).want(t, http.StatusCreated, &acc)
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bic":"COBADEFFXXX","acc_number":"DE89370400440532013000"}`).want(t, http.StatusOK, &again)
	h.do(t, acctFullKey, "PATCH", accountPath(p, acc.ID), `{"acc_holder_name":"Anna"}`).want(t, http.StatusOK, &again)
	h.do(t, acctFullKey, "DELETE", accountPath(p, acc.ID), "").want(t, http.StatusNoContent, nil)
	h.clock.Set(acctT0.Add(time.Hour))
	var fp mapping.FeedPage
	h.do(t, acctFullKey, "GET", "/bank-accounts?acc_number=de89370400440532013000", "").want(t, http.StatusOK, &fp)
	if again.ID != acc.ID || len(fp.Items) != 1 || fp.Items[0].ID != acc.ID || fp.Items[0].Active || *fp.Items[0].AccHolderName != "Anna" {
		t.Errorf("account %+v, feed %+v", again, fp.Items)
	}
}

// TestConcurrentPostsMakeOneAccount: clients retrying in parallel with the
// same number in different spellings get one account; exactly one of them
// is told it was created.
func TestConcurrentPostsMakeOneAccount(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "PARALLEL, POSTS")
	spellings := []string{"0170 2938 4410 5", "0170-2938-44105", "0170293844105", "01702938 44105"}
	type answer struct {
		status int
		id     int64
	}
	answers := make(chan answer, 8)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("POST", h.base+accountsPath(p), strings.NewReader(
				`{"bank_name":"Parallel Bank","acc_number":"`+spellings[i%len(spellings)]+`"}`))
			req.Header.Set("Authorization", "Bearer "+acctFullKey)
			rec := httptest.NewRecorder()
			h.handler.ServeHTTP(rec, req)
			var acc mapping.BankAccount
			_ = json.Unmarshal(rec.Body.Bytes(), &acc)
			answers <- answer{rec.Code, acc.ID}
		}()
	}
	wg.Wait()
	close(answers)
	created, ids := 0, map[int64]bool{}
	for a := range answers {
		switch a.status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Errorf("status %d", a.status)
		}
		ids[a.id] = true
	}
	if created != 1 || len(ids) != 1 {
		t.Errorf("%d answers said created, ids %v: want one account, created once", created, ids)
	}
	banks, err := h.odoo.Search(context.Background(), "res.bank", odoo.Domain{odoo.Cond("name", "=ilike", "parallel bank")}, odoo.Options{})
	if err != nil || len(banks) != 1 {
		t.Errorf("banks named Parallel Bank: %v (%v), want exactly one", banks, err)
	}
}

// TestFeedPageOf500: a full page ending inside a second costs 3 calls:
// the accounts in write order, the last second again by id, and the
// registrants changed with their accounts.
func TestFeedPageOf500(t *testing.T) {
	h := newAccountsHarness(t)
	ctx := context.Background()
	p := h.registrant(t, "BIG, FEED")
	for sec := range 2 {
		h.clock.Set(acctT0.Add(time.Duration(sec) * time.Second))
		vals := make([]odoo.Values, 300)
		for i := range vals {
			vals[i] = odoo.Values{"partner_id": p, "acc_number": fmt.Sprintf("BIG-%d-%03d", sec, i)}
		}
		if _, err := h.odoo.CreateMany(ctx, "res.partner.bank", vals, odoo.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	h.clock.Set(acctT0.Add(time.Hour))
	seen := map[int64]bool{}
	cursor := ""
	for page := 0; page < 5; page++ {
		var fp mapping.FeedPage
		n := h.calls(t, func() {
			h.do(t, acctFullKey, "GET", "/bank-accounts?limit=500&cursor="+cursor, "").want(t, http.StatusOK, &fp)
		})
		if n > 3 {
			t.Errorf("page %d of %d accounts took %d Odoo calls, want at most 3", page, len(fp.Items), n)
		}
		for _, it := range fp.Items {
			if seen[it.ID] {
				t.Errorf("account %d delivered twice", it.ID)
			}
			seen[it.ID] = true
		}
		cursor = *fp.NextCursor
		if !fp.HasMore {
			break
		}
	}
	if len(seen) < 600 {
		t.Errorf("%d accounts delivered, want the 600 and the demo ones", len(seen))
	}
}
