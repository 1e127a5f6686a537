package config

import (
	"strings"
	"testing"
)

// loadProblems loads file with the environment env and returns the error's
// text ("" when it loaded).
func loadProblems(t *testing.T, file string, env map[string]string) string {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	if _, err := Load(writeFile(t, "config.yaml", file)); err != nil {
		return err.Error()
	}
	return ""
}

// A misspelt G2P_PROXY_* variable would leave the file's value in force
// without a word: it is refused, naming the variable meant.
func TestUnknownEnvironmentVariableIsRefused(t *testing.T) {
	tests := []struct {
		name, variable, value, want string
	}{
		{"one letter too many", "G2P_PROXY_ODOO_SECRETT", "x",
			"G2P_PROXY_ODOO_SECRETT: no such setting (did you mean G2P_PROXY_ODOO_SECRET, for odoo.secret?)"},
		{"swapped letters", "G2P_PROXY_ODOO_SECRET_FIEL", "/run/secrets/odoo",
			"G2P_PROXY_ODOO_SECRET_FIEL: no such setting (did you mean G2P_PROXY_ODOO_SECRET_FILE, for odoo.secret_file?)"},
		{"misspelt section", "G2P_PROXY_ODO_URL", "https://odoo",
			"G2P_PROXY_ODO_URL: no such setting (did you mean G2P_PROXY_ODOO_URL, for odoo.url?)"},
		{"lower case", "g2p_proxy_odoo_url", "https://odoo",
			"g2p_proxy_odoo_url: no such setting (did you mean G2P_PROXY_ODOO_URL, for odoo.url?)"},
		{"nothing close", "G2P_PROXY_COLOUR", "blue",
			"G2P_PROXY_COLOUR: no such setting (variables are G2P_PROXY_<SECTION>_<KEY>, e.g. G2P_PROXY_ODOO_URL for odoo.url)"},
		{"empty, still a typo", "G2P_PROXY_ODOO_LOGN", "",
			"G2P_PROXY_ODOO_LOGN: no such setting (did you mean G2P_PROXY_ODOO_LOGIN, for odoo.login?)"},
		{"a list of sections", "G2P_PROXY_AUTH_API_KEYS_0_KEY", "k",
			"G2P_PROXY_AUTH_API_KEYS_0_KEY: auth.api_keys is a list of sections and can only be set in the configuration file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadProblems(t, minimal, map[string]string{tt.variable: tt.value})
			if !strings.Contains(got, tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", got, tt.want)
			}
		})
	}
}

// The integration tests' variables share the prefix but configure nothing.
func TestIntegrationTestVariablesAreNotConfiguration(t *testing.T) {
	if got := loadProblems(t, minimal, map[string]string{"G2P_PROXY_IT_ODOO_URL": "https://openspp.test"}); got != "" {
		t.Errorf("G2P_PROXY_IT_ODOO_URL refused: %s", got)
	}
}

// A list of values comes from the environment comma-separated, whether or
// not the file names the key.
func TestListsOfValuesFromTheEnvironment(t *testing.T) {
	for _, file := range []string{minimal, minimal + "server:\n  trusted_proxies: [10.9.9.9]\n"} {
		t.Setenv("G2P_PROXY_SERVER_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.2")
		t.Setenv("G2P_PROXY_SERVER_CORS_ALLOWED_ORIGINS", "https://app.example.org")
		cfg, err := Load(writeFile(t, "config.yaml", file))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(cfg.Server.TrustedProxies, " "); got != "10.0.0.0/8 192.168.1.2" {
			t.Errorf("server.trusted_proxies = %q", cfg.Server.TrustedProxies)
		}
		if got := strings.Join(cfg.Server.CORSAllowedOrigins, " "); got != "https://app.example.org" {
			t.Errorf("server.cors_allowed_origins = %q", cfg.Server.CORSAllowedOrigins)
		}
	}
}

// A typo in the file names the section or key probably meant, in our
// words (not the decoder's "has invalid keys: odo" for the top level).
func TestUnknownKeysNameTheKeyMeant(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"section", minimal + "odo:\n  url: https://x\n", `unknown section "odo" (did you mean "odoo"?)`},
		{"section, nothing close", minimal + "frobnicate: 1\n",
			`unknown section "frobnicate" (the sections are server, odoo, registry, auth, log, idempotency, redis, limits, audit, metrics)`},
		{"key", strings.Replace(minimal, "  secret: s3cret\n", "  secrett: s3cret\n", 1),
			`unknown key "odoo.secrett" (did you mean "odoo.secret"?)`},
		{"key, nothing close", strings.Replace(minimal, "  secret: s3cret\n", "  secret: s3cret\n  colour: blue\n", 1),
			`unknown key "odoo.colour" (deploy/config.example.yaml lists every key of odoo)`},
		{"nested section", minimal + "  oidc:\n    isuer: https://idp\n",
			`unknown key "auth.oidc.isuer" (did you mean "auth.oidc.issuer"?)`},
		{"item of a list", strings.Replace(minimal, "      scopes:", "      scope:", 1),
			`unknown key "auth.api_keys[0].scope" (did you mean "auth.api_keys[0].scopes"?)`},
		{"item of a list, nothing close", strings.Replace(minimal, "      scopes:", "      rights:", 1),
			`unknown key "auth.api_keys[0].rights" (deploy/config.example.yaml lists every key of auth.api_keys)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadProblems(t, tt.file, nil)
			if !strings.Contains(got, tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", got, tt.want)
			}
			if strings.Contains(got, "invalid keys") || strings.Contains(got, "decoding failed") {
				t.Errorf("the decoder's wording leaks through: %q", got)
			}
		})
	}
}

// A bad value from the environment is blamed on its variable, not on the
// file, whichever check finds it.
func TestBadEnvironmentValueNamesTheVariable(t *testing.T) {
	tests := []struct{ variable, value, want string }{
		{"G2P_PROXY_ODOO_TIMEOUT", "30", "G2P_PROXY_ODOO_TIMEOUT (odoo.timeout): 30 has no unit; write a duration such as 30s, 500ms or 10m"},
		{"G2P_PROXY_ODOO_MAX_CONNS", "many", `G2P_PROXY_ODOO_MAX_CONNS (odoo.max_conns): must be a whole number, got "many"`},
		{"G2P_PROXY_METRICS_ENABLED", "maybe", `G2P_PROXY_METRICS_ENABLED (metrics.enabled): must be true or false, got "maybe"`},
		{"G2P_PROXY_ODOO_URL", "odoo:8069", `G2P_PROXY_ODOO_URL (odoo.url): must be an http(s) URL (e.g. http://odoo:8069), got "odoo:8069"`},
		{"G2P_PROXY_ODOO_SECRET_FILE", "/nonexistent/odoo-secret", "G2P_PROXY_ODOO_SECRET_FILE (odoo.secret_file): open /nonexistent/odoo-secret"},
		{"G2P_PROXY_SERVER_TRUSTED_PROXIES", "10.0.0.1,0.0.0.0/0", `G2P_PROXY_SERVER_TRUSTED_PROXIES (server.trusted_proxies[1]): "0.0.0.0/0" trusts every address`},
	}
	for _, tt := range tests {
		t.Run(tt.variable, func(t *testing.T) {
			got := loadProblems(t, minimal, map[string]string{tt.variable: tt.value})
			if !strings.Contains(got, tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", got, tt.want)
			}
			if strings.Contains(got, "config.yaml") {
				t.Errorf("the file is blamed for the environment's value: %q", got)
			}
		})
	}
}
