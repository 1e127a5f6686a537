package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

const (
	docsFullKey   = "docs-full-key-0123456789"
	docsReaderKey = "docs-reader-key-0123456789"
)

// docsHarness is the whole proxy (registry, bank accounts, probes) on the
// demo emulator, behind the OpenAPI checker.
type docsHarness struct {
	server  *Server
	checker *openAPIChecker
	base    string
}

func newDocsHarness(t *testing.T) *docsHarness {
	t.Helper()
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	client, err := odoo.New(odoo.Config{URL: emu.URL(), DB: emu.DB(), Login: "admin", Secret: "admin", Timeout: 10 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.Secret = emu.URL(), emu.DB(), "admin", "admin"
	cfg.Server.MaxBodyBytes = 64 << 10
	cfg.Auth.APIKeys = []config.APIKey{
		{ID: "docs-full", Key: docsFullKey, Scopes: config.AllScopes()},
		{ID: "docs-reader", Key: docsReaderKey, Scopes: []string{config.ScopeRegistryRead}},
	}
	reg := mapping.NewRegistry(client, mapping.RegistryOptions{}, zap.NewNop())
	accounts := mapping.NewAccounts(client, reg.Banks(), mapping.AccountsOptions{SettleDelay: -1}, zap.NewNop())
	s, err := New(cfg, Deps{Registry: reg, Accounts: accounts, Upstream: client, Metrics: NewMetrics()}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return &docsHarness{server: s, checker: newOpenAPIChecker(t, s.Handler()), base: cfg.Server.BasePath}
}

// call sends one request through the checker and returns the recorder;
// path is under the base path unless it starts with "!".
func (h *docsHarness) call(t *testing.T, key, method, path, body string, wantStatus int) *httptest.ResponseRecorder {
	t.Helper()
	url := h.base + path
	if rest, ok := strings.CutPrefix(path, "!"); ok {
		url = rest
	}
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, url, nil)
	} else {
		req = httptest.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.checker.ServeHTTP(rec, req)
	if rec.Code != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, rec.Code, wantStatus, rec.Body)
	}
	return rec
}

// id returns the "id" of a JSON object body.
func id(t *testing.T, rec *httptest.ResponseRecorder) int64 {
	t.Helper()
	var v struct{ ID int64 }
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.ID == 0 {
		t.Fatalf("no id in %s (%v)", rec.Body, err)
	}
	return v.ID
}

const docsIndividualRequest = `{"given_name": "Awa", "family_name": "Ndiaye", "gender": "Female", "birthdate": "1990-05-17",
	"registration_date": "2024-01-10", "email": "awa@example.org",
	"ids": [{"id_type": "National ID", "value": "2000000017", "expiry_date": "2030-01-01"}],
	"phone_numbers": [{"phone_no": "+221 77 123 45 67", "date_collected": "2024-01-10"}],
	"bank_ids": [{"bank_name": "Ecobank Sénégal", "bic": "ECOCSNDA", "acc_number": "0152 0000 0017 1111 2222", "acc_holder_name": "Awa Ndiaye"},
	             {"bank_name": "Caisse Rurale de Thiès", "acc_number": "0042-7788"}]}`

const docsGroupRequest = `{"name": "Ménage Sarr", "kind": "Household", "is_partial_group": false,
	"members": [
	  {"given_name": "Moussa", "family_name": "Sarr", "gender": "Male", "birthdate": "1980-02-01", "kind": [{"name": "Head"}],
	   "ids": [{"id_type": "National ID", "value": "2000000025"}],
	   "bank_ids": [{"bank_name": "Banque de l'Habitat du Sénégal", "acc_number": "BHS-000025"}]},
	  {"given_name": "Fatou", "family_name": "Sarr", "gender": "Female"}]}`

// TestOpenAPIMatchesRealResponses drives every documented operation
// against the real proxy on the emulator, successes and the usual
// failures, and validates each exchange against openapi.json.
func TestOpenAPIMatchesRealResponses(t *testing.T) {
	h := newDocsHarness(t)
	full := docsFullKey

	// Individuals.
	ind := id(t, h.call(t, full, "POST", "/individual", docsIndividualRequest, 200))
	h.call(t, full, "POST", "/individual/", `{"name": "SOW, AMINATA", "given_name": "Aminata", "family_name": "Sow"}`, 200)
	h.call(t, full, "GET", "/individual?limit=2&offset=0", "", 200)
	h.call(t, full, "GET", fmt.Sprintf("/individual?_id=%d", ind), "", 200)
	h.call(t, full, "GET", fmt.Sprintf("/individual/%d", ind), "", 200)
	h.call(t, full, "PUT", "/update_individual?id_type=National%20ID",
		`[{"updateId": "2000000017", "addl_name": "Binta", "email": null,
		   "bank_ids": [{"bank_name": "Commerzbank", "bic": "COBADEFFXXX", "acc_number": "DE89 3704 0044 0532 0130 00"}]}]`, 200)
	h.call(t, full, "GET", "/get_individual_ids?include_id_type=National%20ID", "", 200)
	h.call(t, full, "GET", "/get_ids?include_id_type=National%20ID&exclude_id_type=Passport", "", 200)

	// Groups.
	grp := id(t, h.call(t, full, "POST", "/group", docsGroupRequest, 200))
	h.call(t, full, "POST", "/group/", `{"name": "Famille Ba", "kind": "Family"}`, 200)
	h.call(t, full, "GET", "/group?limit=5", "", 200)
	h.call(t, full, "GET", "/group?include_members_full=true&name=Sarr", "", 200)
	h.call(t, full, "GET", fmt.Sprintf("/group/%d", grp), "", 200)

	// Bank accounts.
	accounts := fmt.Sprintf("/registrants/%d/bank-accounts", ind)
	h.call(t, full, "GET", accounts, "", 200)
	h.call(t, docsFullKey, "GET", accounts+"?include_archived=true", "", 200)
	acc := id(t, h.call(t, full, "POST", accounts, `{"bank_name": "Ecobank Sénégal", "acc_number": "SN-5555-0001", "acc_holder_name": "A. Ndiaye"}`, 201))
	h.call(t, full, "POST", accounts, `{"bank_name": "Ecobank Sénégal", "acc_number": "sn 5555 0001"}`, 200)
	account := fmt.Sprintf("%s/%d", accounts, acc)
	h.call(t, full, "GET", account, "", 200)
	h.call(t, full, "PATCH", account, `{"acc_holder_name": null, "bank_name": "Caisse Rurale de Thiès"}`, 200)
	h.call(t, full, "DELETE", account, "", 204)
	h.call(t, full, "GET", "/bank-accounts?limit=3", "", 200)
	h.call(t, full, "GET", "/bank-accounts?updated_since=2020-01-01&acc_number=SN-5555-0001", "", 200)
	h.call(t, full, "GET", "/banks", "", 200)
	h.call(t, full, "GET", "/banks?bic=ECOCSNDA", "", 200)

	// Failures are documented too.
	h.call(t, "", "GET", "/individual", "", 401)
	h.call(t, "wrong-key-0123456789", "GET", "/banks", "", 401)
	h.call(t, docsReaderKey, "POST", "/individual", docsIndividualRequest, 403)
	h.call(t, full, "GET", "/individual/999999", "", 404)
	h.call(t, full, "GET", "/individual/abc", "", 404)
	h.call(t, full, "GET", "/individual?limit=-1", "", 422)
	h.call(t, full, "POST", "/individual", `{"given_name": "X",`, 400)
	h.call(t, full, "POST", "/individual", `{"given_name": "X", "nickname": "Y"}`, 422)
	h.call(t, full, "POST", "/individual", `{"given_name": "`+strings.Repeat("x", 70<<10)+`"}`, 413)
	h.call(t, full, "PUT", "/update_individual?id_type=National%20ID", `[{"updateId": "9999999999", "email": "a@b.org"}]`, 404)
	h.call(t, full, "GET", "/group?include_members_full=maybe", "", 422)
	h.call(t, full, "GET", fmt.Sprintf("/registrants/%d/bank-accounts/999999", ind), "", 404)
	h.call(t, full, "GET", "/bank-accounts?cursor=not-a-cursor", "", 422)
	h.call(t, full, "DELETE", "/individual/1", "", 405)
	h.call(t, full, "GET", "/no-such-thing", "", 404)

	// Operations routes.
	h.call(t, "", "GET", "!/healthz", "", 200)
	h.call(t, "", "GET", "!/readyz", "", 200)
	h.call(t, "", "GET", "!/metrics", "", 200)
	h.call(t, "", "GET", "!/openapi.json", "", 200)
	h.call(t, "", "GET", "!/docs", "", 200)

	missing := h.checker.unexercised(func(string, *operation) bool { return false })
	if len(missing) > 0 {
		t.Errorf("documented operations that never answered 2xx in this test: %v", missing)
	}
}

var docsParamPattern = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestOpenAPIDescribesEveryRoute compares the router with the document in
// both directions: no route without documentation, no documented path the
// server does not serve.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	h := newDocsHarness(t)
	doc := h.checker.doc
	documented := map[string]bool{}
	for _, p := range doc.Paths {
		for _, o := range p.Value.Operations {
			documented[strings.ToUpper(o.Key)+" "+docsParamPattern.ReplaceAllString(doc.serverURL(p.Value)+p.Key, ":$1")] = true
		}
	}
	served := map[string]bool{}
	for _, r := range h.server.engine.Routes() {
		key := r.Method + " " + r.Path
		served[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in openapi.json", key)
		}
	}
	var notServed []string
	for key := range documented {
		if !served[key] {
			notServed = append(notServed, key)
		}
	}
	slices.Sort(notServed)
	for _, key := range notServed {
		t.Errorf("openapi.json documents %s, which the server does not serve", key)
	}
}

func TestOpenAPIDocumentIsConsistent(t *testing.T) {
	doc, err := parseOpenAPI(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, p := range doc.Paths {
		for _, o := range p.Value.Operations {
			op := o.Value
			at := strings.ToUpper(o.Key) + " " + p.Key
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: operationId %q missing or used twice", at, op.OperationID)
			}
			ids[op.OperationID] = true
			if op.Summary == "" || len(op.Tags) != 1 {
				t.Errorf("%s: needs a summary and exactly one tag", at)
			}
			public := op.Security != nil && len(op.Security) == 0
			if strings.HasPrefix(doc.serverURL(p.Value), "/api") == public {
				t.Errorf("%s: API operations need a scope, operations routes none", at)
			}
			if !public && (len(op.Security) != 1 || len(op.Security[0]["apiKey"]) != 1) {
				t.Errorf("%s: name exactly the one scope the route requires", at)
			}
		}
	}
}

func TestDocsPageIsSelfContained(t *testing.T) {
	d, err := newAPIDocs("/registry")
	if err != nil {
		t.Fatal(err)
	}
	page := string(d.html)
	for _, want := range []string{"<title>g2p-bank-proxy API</title>", `id="op-createIndividual"`,
		"/registry/individual/{id}", `<a href="#schema-Individual">Individual</a>`, "API key with scope registry:write",
		`id="schema-FeedPage"`, "/healthz"} {
		if !strings.Contains(page, want) {
			t.Errorf("docs page lacks %s", want)
		}
	}
	for _, external := range []string{"http://", "https://", "<script", "<link", "src="} {
		if strings.Contains(page, external) {
			t.Errorf("docs page refers to %q: it must work offline", external)
		}
	}
	var served struct {
		Servers []struct{ URL string }
	}
	if err := json.Unmarshal(d.json, &served); err != nil || len(served.Servers) != 1 || served.Servers[0].URL != "/registry" {
		t.Errorf("served document servers %+v (%v), want the configured base path", served.Servers, err)
	}
}

// TestOpenAPIRequestSchemasAcceptTheCorpus validates the realistic request
// bodies of testdata/registrants against the request schemas: the document
// must describe every key clients send.
func TestOpenAPIRequestSchemasAcceptTheCorpus(t *testing.T) {
	doc, err := parseOpenAPI(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	v := schemaValidator{doc}
	for dir, name := range map[string]string{"individuals": "IndividualRequest", "groups": "GroupRequest"} {
		files, err := filepath.Glob(filepath.Join("..", "testdata", "registrants", dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no corpus in %s (%v)", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			body, err := decodeJSON(b)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, p := range v.validate(&schema{Ref: refSchemas + name}, body, "") {
				t.Errorf("%s against %s: %s", f, name, p)
			}
		}
	}
}

// The document lists exactly the problem codes the server can answer.
func TestOpenAPIListsEveryProblemCode(t *testing.T) {
	doc, err := parseOpenAPI(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	problem, _ := doc.Components.Schemas.get("Problem")
	code, _ := problem.Properties.get("code")
	var documented, served []string
	for _, c := range code.Enum {
		documented = append(documented, fmt.Sprint(c))
	}
	for c := range problemKinds {
		served = append(served, string(c))
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("Problem.code enum in openapi.json:\n%v\nproblemKinds:\n%v", documented, served)
	}
}
