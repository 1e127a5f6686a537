package proxy

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
)

// routeScopes is the one table of the scope each API route needs (paths
// relative to the base path, parameters written :id). The test below fails
// when a route is added without an entry here, or an entry has no route.
var routeScopes = map[string]string{
	"GET /individual":         config.ScopeRegistryRead,
	"GET /individual/:id":     config.ScopeRegistryRead,
	"POST /individual":        config.ScopeRegistryWrite,
	"POST /individual/":       config.ScopeRegistryWrite,
	"PUT /update_individual":  config.ScopeRegistryWrite,
	"GET /get_individual_ids": config.ScopeRegistryRead,
	"GET /get_ids":            config.ScopeRegistryRead,
	"GET /group":              config.ScopeRegistryRead,
	"GET /group/:id":          config.ScopeRegistryRead,
	"POST /group":             config.ScopeRegistryWrite,
	"POST /group/":            config.ScopeRegistryWrite,

	"GET /registrants/:id/bank-accounts":        config.ScopeBankAccountsRead,
	"POST /registrants/:id/bank-accounts":       config.ScopeBankAccountsWrite,
	"GET /registrants/:id/bank-accounts/:id":    config.ScopeBankAccountsRead,
	"PATCH /registrants/:id/bank-accounts/:id":  config.ScopeBankAccountsWrite,
	"DELETE /registrants/:id/bank-accounts/:id": config.ScopeBankAccountsWrite,
	"GET /bank-accounts":                        config.ScopeBankAccountsRead,
	"GET /banks":                                config.ScopeBankAccountsRead,
}

// unusedAccounts satisfies AccountsService; a handler that reaches it
// panics, which the recovery turns into a 500: not a 401/403, which is all
// the scope test looks at.
type unusedAccounts struct{ AccountsService }

var routeParam = regexp.MustCompile(`:[^/]+`)

func TestEveryRouteRequiresItsScope(t *testing.T) {
	ts := newPlatformServer(t, Deps{Accounts: unusedAccounts{}})
	base := ts.cfg.Server.BasePath
	seen := map[string]bool{}
	for _, r := range ts.engine.Routes() {
		if !strings.HasPrefix(r.Path, base+"/") {
			continue // probes
		}
		route := r.Method + " " + routeParam.ReplaceAllString(strings.TrimPrefix(r.Path, base), ":id")
		seen[route] = true
		scope, ok := routeScopes[route]
		if !ok {
			t.Errorf("route %s has no scope in routeScopes", route)
			continue
		}
		t.Run(route, func(t *testing.T) {
			path := routeParam.ReplaceAllString(r.Path, "1")
			others := slices.DeleteFunc(config.AllScopes(), func(s string) bool { return s == scope })
			authn, err := newAuthenticator(config.Auth{APIKeys: []config.APIKey{
				{ID: "without", Key: "without-the-scope", Scopes: others},
				{ID: "only", Key: "only-the-scope", Scopes: []string{scope}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			ts.sec.authn = authn
			requirePlatformProblem(t, ts.do(t, r.Method, path, "", nil), http.StatusUnauthorized, "unauthorized")
			requirePlatformProblem(t, ts.do(t, r.Method, path, "without-the-scope", nil), http.StatusForbidden, "forbidden")
			if got := ts.do(t, r.Method, path, "only-the-scope", nil); got.Code == http.StatusUnauthorized || got.Code == http.StatusForbidden {
				t.Errorf("a key with only %s: status %d, want the handler to run", scope, got.Code)
			}
		})
	}
	for route := range routeScopes {
		if !seen[route] {
			t.Errorf("routeScopes lists %s, which is not registered", route)
		}
	}
}

// accountsBodies holds, for every registry:write route, a body that carries
// bank accounts somewhere: the test below fails when such a route is added
// without one.
var accountsBodies = map[string]string{
	"POST /individual":       `{"bank_ids":[{"acc_number":"1"}]}`,
	"POST /individual/":      `{"bank_ids":[{"acc_number":"1"}]}`,
	"PUT /update_individual": `[{"updateId":"1","bank_ids":[{"acc_number":"1"}]}]`,
	"POST /group":            `{"members":[{"bank_ids":[{"acc_number":"1"}]}]}`,
	"POST /group/":           `{"bank_ids":[{"acc_number":"1"}]}`,
}

// A registry write that carries bank_ids adds or moves bank accounts, so
// it needs bank_accounts:write as well as registry:write.
func TestRegistryWritesWithBankAccountsNeedTheAccountsScope(t *testing.T) {
	ts := newPlatformServer(t, Deps{Accounts: unusedAccounts{}})
	authn, err := newAuthenticator(config.Auth{APIKeys: []config.APIKey{
		{ID: "registry", Key: "registry-write-only", Scopes: []string{config.ScopeRegistryWrite}},
		{ID: "both", Key: "registry-and-accounts", Scopes: []string{config.ScopeRegistryWrite, config.ScopeBankAccountsWrite}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ts.sec.authn = authn
	for route, scope := range routeScopes {
		if scope != config.ScopeRegistryWrite {
			continue
		}
		body, ok := accountsBodies[route]
		if !ok {
			t.Errorf("registry write %s has no body with bank_ids in accountsBodies", route)
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		path = ts.cfg.Server.BasePath + path
		t.Run(route, func(t *testing.T) {
			r := ts.do(t, method, path, "registry-write-only", strings.NewReader(body), "Content-Type", "application/json")
			requirePlatformProblem(t, r, http.StatusForbidden, "forbidden")
			if !strings.Contains(r.problem.Detail, config.ScopeBankAccountsWrite) {
				t.Errorf("detail %q does not name %s", r.problem.Detail, config.ScopeBankAccountsWrite)
			}
			empty := `{"bank_ids":[]}`
			if method == "PUT" {
				empty = `[{"updateId":"1","bank_ids":[]}]`
			}
			for key, b := range map[string]string{"registry-and-accounts": body, "registry-write-only": empty} {
				if got := ts.do(t, method, path, key, strings.NewReader(b), "Content-Type", "application/json"); got.Code == http.StatusUnauthorized || got.Code == http.StatusForbidden {
					t.Errorf("%s with %s: status %d, want the handler to run", key, b, got.Code)
				}
			}
		})
	}
}

func TestCarriesKeyFindsBankIDsAtAnyDepth(t *testing.T) {
	for body, want := range map[string]bool{
		`{"bank_ids":[{"acc_number":"1"}]}`:                  true,
		`{"members":[{"kind":[],"bank_ids":[{}]}]}`:          true,
		`[{"updateId":"1"},{"updateId":"2","bank_ids":[1]}]`: true,
		`{"Bank_IDs":[{}]}`:                                  true,
		"\uFEFF" + `{"bank_ids":[{}]}`:                       true,
		`{"n":1e400,"bank_ids":[{}]}`:                        true,
		`{"bank_ids":"x"}`:                                   true,
		`{"bank_ids":[]}`:                                    false,
		`{"bank_ids":null}`:                                  false,
		`{"name":"bank_ids"}`:                                false,
		`{"bank_ids":[{}]`:                                   false, // refused by the handler anyway
	} {
		if got := carriesKey([]byte(body), "bank_ids"); got != want {
			t.Errorf("carriesKey(%s) = %v, want %v", body, got, want)
		}
	}
}

// API answers carry personal and bank data: no cache may keep them, be
// they answers, refusals or errors.
func TestAPIAnswersAreNotStored(t *testing.T) {
	h := newAccountsHarness(t)
	for _, tt := range []struct {
		key, path string
		status    int
	}{
		{acctFullKey, "/banks", http.StatusOK},
		{acctReaderKey, "/registrants/4/bank-accounts", http.StatusOK},
		{"", "/banks", http.StatusUnauthorized},
		{acctWriterKey, "/banks", http.StatusForbidden},
	} {
		r := h.do(t, tt.key, "GET", tt.path, "")
		if r.Code != tt.status || r.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d with Cache-Control %q, want %d with no-store", tt.path, r.Code, r.Header().Get("Cache-Control"), tt.status)
		}
	}
}
