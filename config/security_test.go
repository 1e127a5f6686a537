package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const testHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"

func validSecurityConfig() *Config {
	c := Default()
	c.Odoo.URL, c.Odoo.DB, c.Odoo.Login, c.Odoo.Secret = "https://odoo:8069", "openspp", "proxy", "s"
	c.Auth.Clients = []Client{{ID: "app", SecretHash: testHash, Scopes: []string{ScopeRegistryRead}}}
	return c
}

func TestSecurityValidation(t *testing.T) {
	tests := []struct {
		want string // "" = valid
		mod  func(*Config)
	}{
		{"", func(c *Config) {}},
		{"odoo.url: plain http to odoo:8069 would carry", func(c *Config) { c.Odoo.URL = "http://odoo:8069" }},
		{"", func(c *Config) { c.Odoo.URL, c.Odoo.AllowInsecureHTTP = "http://odoo:8069", true }},
		{"", func(c *Config) { c.Odoo.URL = "http://127.0.0.1:8069" }},
		{"", func(c *Config) { c.Odoo.URL = "http://localhost:8069" }},
		{"", func(c *Config) { c.Odoo.URL = "http://[::1]:8069" }},
		{"auth.clients[0].secret_hash: must be an argon2id or bcrypt hash", func(c *Config) { c.Auth.Clients[0].SecretHash = "plain-secret" }},
		{"auth.clients[0].secret_hash: is required", func(c *Config) { c.Auth.Clients[0].SecretHash = "" }},
		{"auth.clients[0].id: must not contain ':'", func(c *Config) { c.Auth.Clients[0].ID = "a:b" }},
		{"auth.api_keys[0].id: must not contain ':'", func(c *Config) {
			c.Auth.APIKeys = []APIKey{{ID: "oidc:payments", Key: "k-0123456789", Scopes: []string{ScopeRegistryRead}}}
		}},
		{`auth.clients[0].id: "app" is used twice`, func(c *Config) {
			c.Auth.APIKeys = []APIKey{{ID: "app", Key: "k-0123456789", Scopes: []string{ScopeRegistryRead}}}
		}},
		{`auth.clients[0].scopes[0]: unknown scope "admin"`, func(c *Config) { c.Auth.Clients[0].Scopes = []string{"admin"} }},
		{"auth.clients: at least one client is required", func(c *Config) { c.Auth.Clients = nil }},
		{"", func(c *Config) {
			c.Auth.Clients = nil
			c.Auth.OIDC = OIDC{Issuer: "https://idp/realms/r", Audience: "proxy", JWKSURL: "https://idp/realms/r/certs"}
		}},
		{"auth.oidc.audience: is required", func(c *Config) { c.Auth.OIDC = OIDC{Issuer: "https://idp", JWKSURL: "https://idp/certs"} }},
		{"auth.oidc.issuer: is required", func(c *Config) { c.Auth.OIDC = OIDC{Audience: "a", JWKSURL: "https://idp/certs"} }},
		{"auth.oidc.jwks_url: plain http to idp", func(c *Config) { c.Auth.OIDC = OIDC{Issuer: "i", Audience: "a", JWKSURL: "http://idp/certs"} }},
		{`auth.oidc.algorithms[0]: "HS256" is not accepted`, func(c *Config) {
			c.Auth.OIDC = OIDC{Issuer: "i", Audience: "a", JWKSURL: "https://idp/certs", Algorithms: []string{"HS256"}}
		}},
		{"limits.rate_burst: must be at least 1", func(c *Config) { c.Limits.RatePerSecond, c.Limits.RateBurst = 5, 0 }},
		{"", func(c *Config) { c.Limits.RatePerSecond, c.Limits.RateBurst = 0, 0 }},
		{"limits.max_members: must be at least 1", func(c *Config) { c.Limits.MaxMembers = 0 }},
		{"limits.max_json_depth: must be at least 4", func(c *Config) { c.Limits.MaxJSONDepth = 2 }},
		{"auth.verify_cache_ttl: must not be negative", func(c *Config) { c.Auth.VerifyCacheTTL = -time.Second }},
		{"", func(c *Config) {
			c.Server.CORSAllowedOrigins = []string{"https://app.example.org", "http://localhost:3000"}
		}},
		{`server.cors_allowed_origins[0]: must be an exact origin`, func(c *Config) { c.Server.CORSAllowedOrigins = []string{"*"} }},
		{`server.cors_allowed_origins[0]: must be an exact origin`, func(c *Config) { c.Server.CORSAllowedOrigins = []string{"https://app.example.org/"} }},
		{`server.cors_allowed_origins[0]: must be an exact origin`, func(c *Config) { c.Server.CORSAllowedOrigins = []string{"https://*.example.org"} }},
		{"", func(c *Config) { c.Server.TrustedProxies = []string{"10.42.0.0/16", "192.0.2.10", "fd00::/8"} }},
		{`server.trusted_proxies[1]: must be an IP address or a CIDR`, func(c *Config) { c.Server.TrustedProxies = []string{"10.0.0.1", "ingress.local"} }},
		{`server.trusted_proxies[0]: "0.0.0.0/0" trusts every address`, func(c *Config) { c.Server.TrustedProxies = []string{"0.0.0.0/0"} }},
		{`server.trusted_proxies[0]: "::/0" trusts every address`, func(c *Config) { c.Server.TrustedProxies = []string{"::/0"} }},
	}
	for _, tt := range tests {
		c := validSecurityConfig()
		tt.mod(c)
		err := c.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("valid configuration refused: %v", err)
		case tt.want != "" && (err == nil || !slices.ContainsFunc(err.(*ValidationError).Problems, func(p string) bool { return strings.HasPrefix(p, tt.want) })):
			t.Errorf("want a problem starting %q, got %v", tt.want, err)
		}
	}
}

func TestClientSecretHashFromFile(t *testing.T) {
	dir := t.TempDir()
	hashFile := filepath.Join(dir, "hash")
	os.WriteFile(hashFile, []byte(testHash+"\n"), 0o600)
	text := strings.Replace(minimal, "auth:\n", "auth:\n  clients:\n    - id: hashed\n      secret_hash_file: "+hashFile+"\n      scopes: [registry:read]\n", 1)
	cfg, err := Load(writeFile(t, "c.yaml", text))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Auth.Clients) != 1 || cfg.Auth.Clients[0].SecretHash != testHash {
		t.Errorf("clients = %+v", cfg.Auth.Clients)
	}
}

func TestTLSClientConfig(t *testing.T) {
	if c, err := TLSClientConfig(""); c != nil || err != nil {
		t.Errorf("no CA file: %v, %v; want nil (Go's defaults)", c, err)
	}
	dir := t.TempDir()
	if _, err := TLSClientConfig(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("missing file accepted")
	}
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o600)
	if _, err := TLSClientConfig(junk); err == nil {
		t.Error("a file without certificates accepted")
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "internal CA"}, IsCA: true,
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	c, err := TLSClientConfig(ca)
	if err != nil || c.RootCAs == nil || c.MinVersion == 0 {
		t.Fatalf("CA file: %+v, %v", c, err)
	}
}
