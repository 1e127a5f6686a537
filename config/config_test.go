package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// minimal is the smallest valid file: everything else has a default.
const minimal = `
odoo:
  url: https://odoo:8069
  db: openspp
  login: proxy
  secret: s3cret
auth:
  api_keys:
    - id: app
      key: app-key-0123456789
      scopes: [registry:read]
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadAppliesDefaults(t *testing.T) {
	cfg, err := Load(writeFile(t, "c.yaml", minimal))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Odoo.URL, want.Odoo.DB, want.Odoo.Login, want.Odoo.Secret = "https://odoo:8069", "openspp", "proxy", "s3cret"
	want.Auth.APIKeys = []APIKey{{ID: "app", Key: "app-key-0123456789", Scopes: []string{"registry:read"}}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("loaded\n%+v\nwant\n%+v", cfg, want)
	}
	if cfg.Server.BasePath != "/api/v1/registry" || cfg.Odoo.Protocol != "jsonrpc" || cfg.Server.MaxBodyBytes != 1<<20 {
		t.Errorf("unexpected defaults: %+v", cfg.Server)
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	t.Setenv("G2P_PROXY_ODOO_URL", "https://registry.example.org")
	t.Setenv("G2P_PROXY_ODOO_TIMEOUT", "45s")
	t.Setenv("G2P_PROXY_ODOO_CONNECT_TIMEOUT", "2s")
	t.Setenv("G2P_PROXY_SERVER_MAX_BODY_BYTES", "2048")
	t.Setenv("G2P_PROXY_REGISTRY_MAX_PAGE_SIZE", "100")
	t.Setenv("G2P_PROXY_LOG_LEVEL", "debug")
	cfg, err := Load(writeFile(t, "c.yaml", minimal))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Odoo.URL != "https://registry.example.org" || cfg.Odoo.Timeout != 45*time.Second ||
		cfg.Odoo.ConnectTimeout != 2*time.Second || cfg.Server.MaxBodyBytes != 2048 ||
		cfg.Registry.MaxPageSize != 100 || cfg.Log.Level != "debug" {
		t.Errorf("environment not applied: %+v", cfg)
	}
	if cfg.Odoo.DB != "openspp" {
		t.Errorf("keys without override must keep the file's value, odoo.db = %q", cfg.Odoo.DB)
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	odooSecret := filepath.Join(dir, "odoo")
	clientKey := filepath.Join(dir, "client")
	os.WriteFile(odooSecret, []byte("odoo-api-key\n"), 0o600)
	os.WriteFile(clientKey, []byte("client-key-abcdef\r\n"), 0o600)
	file := strings.NewReplacer("  secret: s3cret", "  secret_file: "+odooSecret,
		"key: app-key-0123456789", "key_file: "+clientKey).Replace(minimal)
	cfg, err := Load(writeFile(t, "c.yaml", file))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Odoo.Secret != "odoo-api-key" {
		t.Errorf("odoo secret = %q, want the file content without newline", cfg.Odoo.Secret)
	}
	if cfg.Auth.APIKeys[0].Key != "client-key-abcdef" {
		t.Errorf("api key = %q, want the file content without newline", cfg.Auth.APIKeys[0].Key)
	}
}

func TestSecretFileEnvOverride(t *testing.T) {
	p := writeFile(t, "secret", "from-file\n")
	t.Setenv("G2P_PROXY_ODOO_SECRET", "")
	t.Setenv("G2P_PROXY_ODOO_SECRET_FILE", p)
	cfg, err := Load(writeFile(t, "c.yaml", strings.Replace(minimal, "  secret: s3cret\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Odoo.Secret != "from-file" {
		t.Errorf("odoo secret = %q", cfg.Odoo.Secret)
	}
}

func TestSecretFileProblems(t *testing.T) {
	empty := writeFile(t, "empty", "\n")
	tests := []struct{ name, replace, with, want string }{
		{"missing file", "  secret: s3cret", "  secret_file: /nonexistent/secret", "odoo.secret_file: open /nonexistent/secret"},
		{"empty file", "  secret: s3cret", "  secret_file: " + empty, "odoo.secret_file: " + empty + " is empty"},
		{"both", "  secret: s3cret", "  secret: s3cret\n  secret_file: " + empty, "odoo.secret: set either secret or secret_file, not both"},
		{"key both", "      key: app-key-0123456789", "      key: x\n      key_file: " + empty, "auth.api_keys[0].key: set either key or key_file, not both"},
		{"key missing file", "      key: app-key-0123456789", "      key_file: /nonexistent/key", "auth.api_keys[0].key_file: open /nonexistent/key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "c.yaml", strings.Replace(minimal, tt.replace, tt.with, 1)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestUnknownKeyIsRejected(t *testing.T) {
	_, err := Load(writeFile(t, "c.yaml", minimal+"server:\n  lisen: 0.0.0.0:80\n"))
	if err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Errorf("error = %v, want it to name the unknown key", err)
	}
}

// A value the decoder cannot use is reported in our words, named by its
// key; when the environment set it, by the variable.
func TestDecodingErrorsNameTheKey(t *testing.T) {
	tests := []struct{ add, want string }{
		{"  connect_timeout: 30\n", "odoo.connect_timeout: 30 has no unit; write a duration such as 30s, 500ms or 10m"},
		{"  timeout: 1.5\n", "odoo.timeout: 1.5 has no unit"},
		{"  timeout: half a minute\n", `odoo.timeout: "half a minute" is not a duration; write a duration such as 30s`},
		{"  max_conns: many\n", `odoo.max_conns: must be a whole number, got "many"`},
		{"  allow_insecure_http: [yes]\n", "odoo.allow_insecure_http: must be true or false, got a list"},
	}
	for _, tt := range tests {
		_, err := Load(writeFile(t, "c.yaml", strings.Replace(minimal, "  secret: s3cret\n", "  secret: s3cret\n"+tt.add, 1)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error = %v, want it to contain %q", tt.add, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "decoding failed") || strings.Contains(err.Error(), "'")) {
			t.Errorf("%q: the decoder's own wording leaks through: %v", tt.add, err)
		}
	}
}

func TestMissingFileIsAnError(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml")); err == nil {
		t.Error("want an error for a missing config file")
	}
}

func valid() *Config {
	c := Default()
	c.Odoo.URL, c.Odoo.DB, c.Odoo.Login, c.Odoo.Secret = "https://odoo:8069", "openspp", "proxy", "s"
	c.Auth.APIKeys = []APIKey{{ID: "app", Key: "k1", Scopes: AllScopes()}}
	return c
}

func TestValidateMessages(t *testing.T) {
	tests := []struct {
		want   string
		change func(c *Config)
	}{
		{`server.listen: must be host:port (e.g. 0.0.0.0:8080), got "8080"`, func(c *Config) { c.Server.Listen = "8080" }},
		{`server.base_path: must start with / and not end with / (e.g. /api/v1/registry), got "api/"`, func(c *Config) { c.Server.BasePath = "api/" }},
		{"server.read_timeout: must be a positive duration (e.g. 30s)", func(c *Config) { c.Server.ReadTimeout = 0 }},
		{"server.write_timeout: must be a positive duration (e.g. 30s)", func(c *Config) { c.Server.WriteTimeout = -1 }},
		{"server.idle_timeout: must be a positive duration (e.g. 30s)", func(c *Config) { c.Server.IdleTimeout = 0 }},
		{"server.shutdown_timeout: must be a positive duration (e.g. 30s)", func(c *Config) { c.Server.ShutdownTimeout = 0 }},
		{"server.max_body_bytes: must be a positive number of bytes", func(c *Config) { c.Server.MaxBodyBytes = 0 }},
		{"server.tls_cert_file: tls_cert_file and tls_key_file must be set together", func(c *Config) { c.Server.TLSCertFile = "cert.pem" }},
		{`odoo.url: must be an http(s) URL (e.g. http://odoo:8069), got "odoo:8069"`, func(c *Config) { c.Odoo.URL = "odoo:8069" }},
		{`odoo.url: must be an http(s) URL (e.g. http://odoo:8069), got ""`, func(c *Config) { c.Odoo.URL = "" }},
		{`odoo.url: must be Odoo's base URL without the /xmlrpc or /jsonrpc path, got "http://odoo/xmlrpc/2"`, func(c *Config) { c.Odoo.URL = "http://odoo/xmlrpc/2" }},
		{"odoo.db: is required (the Odoo database name)", func(c *Config) { c.Odoo.DB = "" }},
		{"odoo.login: is required (the technical user's login)", func(c *Config) { c.Odoo.Login = "" }},
		{"odoo.secret: is required (set odoo.secret or odoo.secret_file; an API key is preferred)", func(c *Config) { c.Odoo.Secret = "" }},
		{`odoo.protocol: must be xmlrpc or jsonrpc, got "grpc"`, func(c *Config) { c.Odoo.Protocol = "grpc" }},
		{"odoo.timeout: must be a positive duration (e.g. 30s)", func(c *Config) { c.Odoo.Timeout = 0 }},
		{"server.write_timeout: must be at least odoo.timeout + registry.outcome_lookup + 1s (1m0s + 3s + 1s)", func(c *Config) { c.Odoo.Timeout = time.Minute }},
		{"odoo.connect_timeout: must be a positive duration (e.g. 5s)", func(c *Config) { c.Odoo.ConnectTimeout = 0 }},
		{"odoo.lang: is required (e.g. en_US)", func(c *Config) { c.Odoo.Lang = "" }},
		{"odoo.max_conns: must be at least 1", func(c *Config) { c.Odoo.MaxConns = 0 }},
		{"odoo.auth_backoff: must not be negative", func(c *Config) { c.Odoo.AuthBackoff = -time.Second }},
		{"registry.max_page_size: must be at least 1", func(c *Config) { c.Registry.MaxPageSize = 0 }},
		{"registry.default_page_size: must be between 1 and registry.max_page_size (500), got 501", func(c *Config) { c.Registry.DefaultPageSize = 501 }},
		{"registry.bank_cache_ttl: must be positive (e.g. 10m)", func(c *Config) { c.Registry.BankCacheTTL = 0 }},
		{"registry.reference_cache_ttl: must be positive (e.g. 10m)", func(c *Config) { c.Registry.ReferenceCacheTTL = -1 }},
		{"registry.feed_settle_delay: must not be negative", func(c *Config) { c.Registry.FeedSettleDelay = -time.Second }},
		{"auth.clients: at least one client is required (auth.clients, auth.api_keys or auth.oidc; every route but /healthz needs credentials)", func(c *Config) { c.Auth.APIKeys = nil }},
		{"auth.api_keys[0].id: is required (it names the client in logs)", func(c *Config) { c.Auth.APIKeys[0].ID = "" }},
		{`auth.api_keys[1].id: "app" is used twice`, func(c *Config) {
			c.Auth.APIKeys = append(c.Auth.APIKeys, APIKey{ID: "app", Key: "k2", Scopes: AllScopes()})
		}},
		{"auth.api_keys[0].key: is required (set key or key_file)", func(c *Config) { c.Auth.APIKeys[0].Key = "" }},
		{"auth.api_keys[0].key: must not contain white space", func(c *Config) { c.Auth.APIKeys[0].Key = "a b" }},
		{"auth.api_keys[1].key: is the same as another client's key", func(c *Config) {
			c.Auth.APIKeys = append(c.Auth.APIKeys, APIKey{ID: "other", Key: "k1", Scopes: AllScopes()})
		}},
		{"auth.api_keys[0].scopes: at least one scope is required (one of registry:read, registry:write, bank_accounts:read, bank_accounts:read_full, bank_accounts:write)", func(c *Config) { c.Auth.APIKeys[0].Scopes = nil }},
		{`auth.api_keys[0].scopes[1]: unknown scope "admin" (known: registry:read, registry:write, bank_accounts:read, bank_accounts:read_full, bank_accounts:write)`, func(c *Config) {
			c.Auth.APIKeys[0].Scopes = []string{"registry:read", "admin"}
		}},
		{`log.level: must be debug, info, warn or error, got "trace"`, func(c *Config) { c.Log.Level = "trace" }},
		{`log.format: must be json or console, got "xml"`, func(c *Config) { c.Log.Format = "xml" }},
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("the base configuration must be valid: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c := valid()
			tt.change(c)
			var verr *ValidationError
			if err := c.Validate(); !errors.As(err, &verr) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			if len(verr.Problems) != 1 || verr.Problems[0] != tt.want {
				t.Errorf("problems = %q\nwant [%q]", verr.Problems, tt.want)
			}
		})
	}
}

func TestValidateReportsAllProblemsAtOnce(t *testing.T) {
	c := valid()
	c.Odoo.URL, c.Odoo.DB, c.Log.Format = "", "", "xml"
	err := c.Validate()
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 3 {
		t.Fatalf("Validate() = %v, want 3 problems", err)
	}
	if !strings.Contains(err.Error(), "odoo.db: is required") {
		t.Errorf("message %q does not list odoo.db", err)
	}
}

func TestLoadValidates(t *testing.T) {
	_, err := Load(writeFile(t, "c.yaml", strings.Replace(minimal, "https://odoo:8069", "ftp://odoo", 1)))
	if err == nil || !strings.Contains(err.Error(), "odoo.url: must be an http(s) URL") {
		t.Errorf("error = %v", err)
	}
}

// The example shipped to operators must load as it is, once the secret
// files it points at exist.
func TestExampleConfigLoads(t *testing.T) {
	example, err := os.ReadFile("../deploy/config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	secrets := t.TempDir()
	for _, name := range []string{"odoo-api-key", "enrolment-app-key", "payment-provider-key"} {
		os.WriteFile(filepath.Join(secrets, name), []byte(name+"-value\n"), 0o600)
	}
	text := strings.ReplaceAll(string(example), "/run/secrets/", secrets+"/")
	cfg, err := Load(writeFile(t, "config.yaml", text))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Odoo.URL, want.Odoo.DB, want.Odoo.Login = "https://odoo:8069", "openspp", "g2p-proxy"
	want.Odoo.Secret, want.Odoo.SecretFile = "odoo-api-key-value", filepath.Join(secrets, "odoo-api-key")
	if !reflect.DeepEqual(cfg.Server, want.Server) || !reflect.DeepEqual(cfg.Odoo, want.Odoo) ||
		cfg.Registry != want.Registry || cfg.Log != want.Log {
		t.Errorf("the example's values drifted from the defaults:\n%+v\nwant\n%+v", cfg, want)
	}
	if len(cfg.Auth.APIKeys) != 2 || cfg.Auth.APIKeys[1].Key != "payment-provider-key-value" {
		t.Errorf("api keys = %+v", cfg.Auth.APIKeys)
	}
}
