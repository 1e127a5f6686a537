package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

const registryTestKey = "registry-test-key-0123456789"

// registryHarness is the real proxy (proxy.New) with the real registry
// service on an Odoo: the emulator unless a test passes another client.
type registryHarness struct {
	handler http.Handler
	base    string
	srv     *emulator.Server // nil against a real Odoo
	odoo    *odoo.Client
	logs    *observer.ObservedLogs
}

func newRegistryHarness(t testing.TB, seed emulator.Seed) *registryHarness {
	return newRegistryHarnessProtocol(t, seed, odoo.XMLRPC)
}

func newRegistryHarnessProtocol(t testing.TB, seed emulator.Seed, p odoo.Protocol) *registryHarness {
	t.Helper()
	srv := emulator.NewTestServer(t, emulator.Options{Seed: seed})
	c, err := odoo.New(odoo.Config{URL: srv.URL(), DB: srv.DB(), Login: "admin", Secret: "admin", Protocol: p, Timeout: 10 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	h := newRegistryHarnessOn(t, c)
	h.srv = srv
	return h
}

func newRegistryHarnessOn(t testing.TB, c *odoo.Client) *registryHarness {
	t.Helper()
	cfg := config.Default()
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.Secret = "http://127.0.0.1:1", "openspp", "admin", "admin"
	cfg.Auth.APIKeys = []config.APIKey{{ID: "registry-tester", Key: registryTestKey, Scopes: config.AllScopes()}}
	core, logs := observer.New(zapcore.InfoLevel)
	log := zap.New(core)
	reg := mapping.NewRegistry(c, mapping.RegistryOptions{DefaultPageSize: 20, MaxPageSize: 100}, log)
	s, err := New(cfg, Deps{Registry: reg}, log)
	if err != nil {
		t.Fatal(err)
	}
	// Every exchange is also validated against openapi.json.
	return &registryHarness{handler: newOpenAPIChecker(t, s.Handler()), base: cfg.Server.BasePath, odoo: c, logs: logs}
}

type registryResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r registryResponse) problem(t testing.TB) ProblemDetail {
	t.Helper()
	var p ProblemDetail
	if ct := r.header.Get("Content-Type"); ct != problemContentType {
		t.Fatalf("status %d content type %q, want problem+json: %s", r.status, ct, r.body)
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	return p
}

func (r registryResponse) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
}

func (h *registryHarness) do(t testing.TB, method, path, body string) registryResponse {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, h.base+path, nil)
	} else {
		req = httptest.NewRequest(method, h.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+registryTestKey)
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	if rec.Code >= 500 && rec.Code != http.StatusBadGateway && rec.Code != http.StatusServiceUnavailable && rec.Code != http.StatusGatewayTimeout {
		t.Errorf("%s %s answered %d: %s", method, path, rec.Code, rec.Body.String())
	}
	return registryResponse{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

const httpIndividual = `{
  "given_name": "Amina", "family_name": "Diallo-Http", "gender": "Female", "birthdate": "1988-04-12",
  "ids": [{"id_type": "National ID", "value": "1234567890", "status": "valid"}],
  "phone_numbers": [{"phone_no": "+221 77 123 45 67"}],
  "bank_ids": [{"bank_name": "Banque HTTP", "acc_number": "0012 3456"}, {"bic": "ECOCSNDA", "acc_number": "SN-99"}]
}`

func TestIndividualEndpoints(t *testing.T) {
	h := newRegistryHarness(t, emulator.SeedDemo)
	res := h.do(t, "POST", "/individual", httpIndividual)
	if res.status != http.StatusOK {
		t.Fatalf("POST /individual: %d %s", res.status, res.body)
	}
	var ind map[string]any
	res.decode(t, &ind)
	for _, key := range []string{"id", "name", "reg_ids", "phone_number_ids", "bank_ids", "gender", "birthdate", "given_name", "family_name", "age", "registration_date", "create_date"} {
		if _, ok := ind[key]; !ok {
			t.Errorf("response lacks %q: %s", key, res.body)
		}
	}
	banks := ind["bank_ids"].([]any)
	if len(banks) != 2 {
		t.Fatalf("bank_ids %v", banks)
	}
	first := banks[0].(map[string]any)
	if first["acc_number"] != "0012 3456" || first["bank_name"] != "Banque HTTP" || first["id"] == nil {
		t.Errorf("bank item %v", first)
	}
	if second := banks[1].(map[string]any); second["bic"] != "ECOCSNDA" {
		t.Errorf("bank found by BIC: %v", second)
	}
	reg := ind["reg_ids"].([]any)[0].(map[string]any)
	for _, key := range []string{"id", "id_type_as_str", "value", "expiry_date", "status", "description"} {
		if _, ok := reg[key]; !ok {
			t.Errorf("reg_ids item lacks %q", key)
		}
	}
	id := int64(ind["id"].(float64))

	if res := h.do(t, "POST", "/individual/", `{"name":"Trailing Slash"}`); res.status != http.StatusOK {
		t.Errorf("POST /individual/: %d %s", res.status, res.body)
	}
	h.srv.ResetCalls()
	res = h.do(t, "GET", "/individual/"+jsonInt(id), "")
	if res.status != http.StatusOK || h.srv.Calls() != 1 {
		t.Errorf("GET by id: %d, %d Odoo calls", res.status, h.srv.Calls())
	}
	for _, path := range []string{"/individual/999999", "/individual/abc", "/individual/-1", "/individual/1e3"} {
		res := h.do(t, "GET", path, "")
		if p := res.problem(t); res.status != http.StatusNotFound || p.Code != "not_found" || p.Detail == "" {
			t.Errorf("GET %s: %d %+v", path, res.status, p)
		}
	}
	h.srv.ResetCalls()
	res = h.do(t, "GET", "/individual?name="+url.QueryEscape("DIALLO-HTTP")+"&limit=5", "")
	var list []map[string]any
	res.decode(t, &list)
	if res.status != http.StatusOK || len(list) != 1 || res.header.Get("X-Total-Count") != "1" || h.srv.Calls() != 1 {
		t.Errorf("search: %d, %d items, total %q, %d calls", res.status, len(list), res.header.Get("X-Total-Count"), h.srv.Calls())
	}
	res = h.do(t, "GET", "/individual?name=nobody-at-all", "")
	if res.status != http.StatusOK || string(res.body) != "[]" || res.header.Get("X-Total-Count") != "0" {
		t.Errorf("empty search: %d %s", res.status, res.body)
	}
	for _, q := range []string{"_id=abc", "limit=-1", "offset=x", "limit=1.5"} {
		res := h.do(t, "GET", "/individual?"+q, "")
		if p := res.problem(t); res.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 {
			t.Errorf("GET ?%s: %d %+v", q, res.status, p)
		}
	}
}

func jsonInt(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}

func TestIndividualEndpointsLogClientAndMaskAccounts(t *testing.T) {
	h := newRegistryHarness(t, emulator.SeedDemo)
	if res := h.do(t, "POST", "/individual", httpIndividual); res.status != http.StatusOK {
		t.Fatalf("%d %s", res.status, res.body)
	}
	entries := h.logs.FilterMessage("individual created").All()
	if len(entries) != 1 {
		t.Fatalf("write log entries: %d", len(entries))
	}
	fields := entries[0].ContextMap()
	if fields["client_id"] != "registry-tester" {
		t.Errorf("write logged without the client id: %v", fields)
	}
	for _, e := range h.logs.All() {
		for _, v := range e.ContextMap() {
			if s, ok := v.(string); ok && strings.Contains(s, "0012 3456") {
				t.Errorf("account number logged in clear: %v", e.ContextMap())
			}
		}
	}
}

func TestUpdateAndIDsEndpoints(t *testing.T) {
	h := newRegistryHarness(t, emulator.SeedDemo)
	if res := h.do(t, "POST", "/individual", httpIndividual); res.status != http.StatusOK {
		t.Fatalf("%d %s", res.status, res.body)
	}
	res := h.do(t, "PUT", "/update_individual?id_type="+url.QueryEscape("National ID"),
		`[{"updateId":"1234567890","birth_place":"Thiès","bank_ids":[{"bank_name":"banque http","acc_number":"00123456"},{"bank_name":"Banque HTTP","acc_number":"77"}]}]`)
	var out []mapping.Individual
	res.decode(t, &out)
	if res.status != http.StatusOK || len(out) != 1 || *out[0].BirthPlace != "Thiès" || len(out[0].BankIDs) != 3 {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
	cases := []struct {
		query, body string
		status      int
		pointer     string
	}{
		{"id_type=National%20ID", `{"updateId":"1234567890"}`, 422, ""},
		{"id_type=National%20ID", `[{"updateId":"1234567890","bank_ids":[{"bank_name":"B","acc_number":1234}]}]`, 422, "/0/bank_ids/0/acc_number"},
		{"id_type=National%20ID", `[{"updateId":"0000000000"}]`, 404, "/0/updateId"},
		{"", `[{"updateId":"1234567890"}]`, 422, "?id_type"},
		{"id_type=National%20ID", `[{"updateId":"1234567890"`, 400, ""},
	}
	for _, c := range cases {
		res := h.do(t, "PUT", "/update_individual?"+c.query, c.body)
		p := res.problem(t)
		// "?name" is the query parameter name, anything else a body pointer.
		at := ""
		if len(p.Errors) > 0 {
			at = p.Errors[0].Pointer
			if p.Errors[0].Parameter != "" {
				at = "?" + p.Errors[0].Parameter
			}
		}
		if res.status != c.status || (c.pointer != "" && at != c.pointer) {
			t.Errorf("PUT ?%s %s: %d %+v", c.query, c.body, res.status, p)
		}
	}
	for _, path := range []string{"/get_individual_ids", "/get_ids"} {
		res := h.do(t, "GET", path+"?include_id_type="+url.QueryEscape("National ID"), "")
		var ids []string
		res.decode(t, &ids)
		if res.status != http.StatusOK || !containsString(ids, "1234567890") {
			t.Errorf("%s: %d %s", path, res.status, res.body)
		}
	}
	if res := h.do(t, "GET", "/get_individual_ids", ""); res.status != 422 || res.problem(t).Errors[0].Parameter != "include_id_type" {
		t.Errorf("no include: %d %s", res.status, res.body)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestUpdatePartialFailureIsReported(t *testing.T) {
	h := newRegistryHarness(t, emulator.SeedDemo)
	for _, nid := range []string{"1234567890", "1234567891"} {
		body := strings.Replace(httpIndividual, "1234567890", nid, 1)
		if res := h.do(t, "POST", "/individual", body); res.status != http.StatusOK {
			t.Fatalf("%d %s", res.status, res.body)
		}
	}
	var once bool
	h.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Model == "res.partner" && c.Method == "write" && !once {
			once = true
			return &emulator.Injected{Fault: emulator.ValidationFault("Registration date must be less than the current date.")}
		}
		return nil
	})
	res := h.do(t, "PUT", "/update_individual?id_type=National%20ID", `[{"updateId":"1234567890","email":"a@b.org"},{"updateId":"1234567891","email":"c@d.org"}]`)
	p := res.problem(t)
	if res.status != 422 || len(p.Errors) != 1 || p.Errors[0].Pointer != "/0" || !strings.Contains(p.Detail, "/1") {
		t.Errorf("partial failure: %d %+v", res.status, p)
	}
}

func TestGroupEndpoints(t *testing.T) {
	h := newRegistryHarness(t, emulator.SeedDemo)
	ensureManifestReferenceData(t, h.odoo)
	body := `{"name":"Famille HTTP","kind":"Household","members":[
	  {"given_name":"Awa","family_name":"Sow","kind":[{"name":"Head"}],"bank_ids":[{"bank_name":"Banque HTTP","acc_number":"G-1"}]},
	  {"given_name":"Ali","family_name":"Sow","bank_ids":null}]}`
	for _, path := range []string{"/group", "/group/"} {
		res := h.do(t, "POST", path, strings.Replace(body, "HTTP", path, 1))
		var g mapping.Group
		res.decode(t, &g)
		if res.status != http.StatusOK || len(g.GroupMembershipIDs) != 2 {
			t.Fatalf("POST %s: %d %s", path, res.status, res.body)
		}
	}
	res := h.do(t, "GET", "/group?name=Famille", "")
	var short []map[string]any
	res.decode(t, &short)
	if res.status != 200 || len(short) != 2 || res.header.Get("X-Total-Count") != "2" {
		t.Fatalf("GET /group: %d %s", res.status, res.body)
	}
	if _, has := short[0]["group_membership_ids"]; has {
		t.Errorf("short groups carry members: %v", short[0])
	}
	res = h.do(t, "GET", "/group?name=Famille&include_members_full=true", "")
	var full []mapping.Group
	res.decode(t, &full)
	if res.status != 200 || len(full) != 2 || len(full[0].GroupMembershipIDs) != 2 {
		t.Errorf("full groups: %d %s", res.status, res.body)
	}
	id := int64(short[0]["id"].(float64))
	if res := h.do(t, "GET", "/group/"+jsonInt(id), ""); res.status != 200 {
		t.Errorf("GET /group/id: %d", res.status)
	}
	if res := h.do(t, "GET", "/group/x", ""); res.status != 404 {
		t.Errorf("GET /group/x: %d", res.status)
	}
	if res := h.do(t, "GET", "/group?include_members_full=maybe", ""); res.status != 422 {
		t.Errorf("bad bool: %d", res.status)
	}
	res = h.do(t, "POST", "/group", `{"name":"G","kind":"Tribe"}`)
	if p := res.problem(t); res.status != 422 || p.ErrorCode != "G2P-REQ-003" {
		t.Errorf("unknown kind: %d %+v", res.status, p)
	}
}

func TestUpstreamFailuresAreCleanProblems(t *testing.T) {
	h := newRegistryHarness(t, emulator.SeedDemo)
	cases := []struct {
		inj    *emulator.Injected
		status int
		code   string
	}{
		{&emulator.Injected{Fault: emulator.ServerFault("psycopg2.errors.UndefinedTable", `relation "res_partner" does not exist`)}, 502, "upstream_error"},
		{&emulator.Injected{Fault: emulator.AccessErrorFault("You are not allowed to access 'Contact' (res.partner) records.")}, 502, "upstream_forbidden"},
		{&emulator.Injected{HTTPStatus: 503}, 503, "upstream_unavailable"},
	}
	for _, c := range cases {
		h.srv.InjectFault(func(emulator.Call) *emulator.Injected { return c.inj })
		res := h.do(t, "GET", "/individual/1", "")
		p := res.problem(t)
		if res.status != c.status || p.Code != c.code || strings.Contains(string(res.body), "Traceback") || strings.Contains(string(res.body), "psycopg2") {
			t.Errorf("%+v: %d %s", c.inj, res.status, res.body)
		}
	}
}

// invalidCase is one entry of testdata/registrants/invalid/expected.json.
type invalidCase struct {
	File     string `json:"file"`
	Endpoint string `json:"endpoint"`
	Status   int    `json:"status"`
	Pointer  string `json:"pointer"`
	Code     string `json:"code"`
	Defect   string `json:"defect"`
}

func TestInvalidCorpusIsRefusedCleanly(t *testing.T) {
	dir := filepath.Join("..", "testdata", "registrants", "invalid")
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Skipf("no invalid corpus: %v", err)
	}
	var cases []invalidCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	h := newRegistryHarness(t, emulator.SeedEmpty)
	ensureManifestReferenceData(t, h.odoo)
	for _, c := range cases {
		t.Run(c.File, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, c.File))
			if err != nil {
				t.Fatal(err)
			}
			method, path, _ := strings.Cut(c.Endpoint, " ")
			h.srv.ResetCalls()
			res := h.do(t, method, path, string(body))
			p := res.problem(t)
			if res.status != c.Status || p.Code != c.Code {
				t.Fatalf("%s: %d %s, want %d %s (%s)", c.File, res.status, p.Code, c.Status, c.Code, c.Defect)
			}
			if c.Pointer != "" && (len(p.Errors) == 0 || p.Errors[0].Pointer != c.Pointer) {
				t.Errorf("%s: errors %+v, want pointer %s", c.File, p.Errors, c.Pointer)
			}
			if n := h.srv.CallsTo("res.partner", "create") + h.srv.CallsTo("res.bank", "create"); n != 0 {
				t.Errorf("%s: %d creates for an invalid payload", c.File, n)
			}
		})
	}
}

// ensureManifestReferenceData creates the configuration records the
// registrant corpus names (manifest.json seed_data) when they are missing.
func ensureManifestReferenceData(t testing.TB, c *odoo.Client) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "registrants", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		SeedData struct {
			GenderCodes     []string           `json:"gender_codes"`
			IDTypes         map[string]*string `json:"id_types"`
			GroupKinds      []string           `json:"group_kinds"`
			MembershipKinds map[string]struct {
				IsUnique bool `json:"is_unique"`
			} `json:"membership_kinds"`
		} `json:"seed_data"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ensure := func(model, field, value string, vals odoo.Values) {
		inactive := false
		ids, err := c.Search(ctx, model, odoo.Domain{odoo.Cond(field, "=ilike", value)}, odoo.Options{ActiveTest: &inactive})
		if err != nil {
			t.Fatalf("search %s: %v", model, err)
		}
		if len(ids) == 0 {
			if _, err := c.Create(ctx, model, vals, odoo.Options{}); err != nil {
				t.Fatalf("create %s: %v", model, err)
			}
		}
	}
	for _, g := range m.SeedData.GenderCodes {
		ensure("gender.type", "code", g, odoo.Values{"code": g, "value": strings.ToLower(g)})
	}
	for name, re := range m.SeedData.IDTypes {
		vals := odoo.Values{"name": name}
		if re != nil {
			vals["id_validation"] = *re
		}
		ensure("g2p.id.type", "name", name, vals)
	}
	for _, k := range m.SeedData.GroupKinds {
		ensure("g2p.group.kind", "name", k, odoo.Values{"name": k})
	}
	for k, v := range m.SeedData.MembershipKinds {
		ensure("g2p.group.membership.kind", "name", k, odoo.Values{"name": k, "is_unique": v.IsUnique})
	}
}

func TestConcurrentCreatesShareOneNewBank(t *testing.T) {
	h := newRegistryHarness(t, emulator.SeedDemo)
	spellings := []string{"Banque Parallèle", "banque parallèle", "  BANQUE   PARALLÈLE ", "Banque Paralle\u0300le"}
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"name":"Parallel %d","bank_ids":[{"bank_name":%q,"acc_number":"P-%d"}]}`, i, spellings[i%len(spellings)], i)
			statuses[i] = h.do(t, "POST", "/individual", body).status
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("request %d: %d", i, s)
		}
	}
	if n := h.srv.CallsTo("res.bank", "create"); n != 1 {
		t.Errorf("res.bank.create called %d times for one new bank", n)
	}
	inactive := false
	ids, err := h.odoo.Search(context.Background(), "res.bank", odoo.Domain{odoo.Cond("name", "ilike", "parall")}, odoo.Options{ActiveTest: &inactive})
	if err != nil || len(ids) != 1 {
		t.Errorf("banks named like the new one: %v %v", ids, err)
	}
}

func TestOdooRefusalsMapToStatuses(t *testing.T) {
	h := newRegistryHarness(t, emulator.SeedDemo)
	cases := []struct {
		fault  *emulator.Fault
		status int
		code   string
	}{
		{emulator.ValidationFault("The operation cannot be completed: The combination Account Number/Partner must be unique."), 409, "conflict"},
		{emulator.ValidationFault("Registration date must be less than the current date."), 422, "validation_failed"},
		{emulator.AccessDeniedFault(), 503, "upstream_auth_failed"},
	}
	for _, c := range cases {
		h.srv.InjectFault(func(call emulator.Call) *emulator.Injected {
			if call.Model == "res.partner" && call.Method == "create" {
				return &emulator.Injected{Fault: c.fault}
			}
			return nil
		})
		res := h.do(t, "POST", "/individual", `{"name":"Refused","bank_ids":[{"bic":"ECOCSNDA","acc_number":"1"}]}`)
		if p := res.problem(t); res.status != c.status || p.Code != c.code || p.Detail == "" {
			t.Errorf("%v: %d %+v, want %d %s", c.fault, res.status, p, c.status, c.code)
		}
	}
}

func TestOdooTimeoutIsGatewayTimeout(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	c, err := odoo.New(odoo.Config{URL: srv.URL(), DB: srv.DB(), Login: "admin", Secret: "admin", Timeout: 200 * time.Millisecond}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	h := newRegistryHarnessOn(t, c)
	srv.InjectFault(func(call emulator.Call) *emulator.Injected {
		if call.Method == "web_read" {
			return &emulator.Injected{Delay: 5 * time.Second}
		}
		return nil
	})
	res := h.do(t, "GET", "/individual/1", "")
	if p := res.problem(t); res.status != http.StatusGatewayTimeout || p.Code != "upstream_timeout" || res.header.Get("Retry-After") == "" {
		t.Errorf("%d %+v", res.status, p)
	}
}
