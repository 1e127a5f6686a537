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
