package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// Client is a client of the proxy whose secret is stored only as a hash
// (print one with `g2p-bank-proxy hash-secret`). The secret is accepted as
// a Bearer API key and, with the id, as HTTP Basic credentials.
type Client struct {
	ID string `mapstructure:"id"`
	// SecretHash is an argon2id ($argon2id$...) or bcrypt ($2b$...) hash;
	// SecretHashFile, when set, replaces it with the file's content.
	SecretHash     string   `mapstructure:"secret_hash"`
	SecretHashFile string   `mapstructure:"secret_hash_file"`
	Scopes         []string `mapstructure:"scopes"`
	// RatePerSecond and RateBurst override limits.rate_per_second and
	// limits.rate_burst for this client (0 = the default).
	RatePerSecond float64 `mapstructure:"rate_per_second"`
	RateBurst     int     `mapstructure:"rate_burst"`
}

// OIDC accepts JWT access tokens of an OpenID Connect provider (Keycloak:
// issuer https://HOST/realms/REALM, jwks_url
// https://HOST/realms/REALM/protocol/openid-connect/certs). Enabled when
// issuer is set.
type OIDC struct {
	Issuer   string `mapstructure:"issuer"`
	Audience string `mapstructure:"audience"`
	JWKSURL  string `mapstructure:"jwks_url"`
	// ScopeClaim: "scope" (space-separated) by default; an array claim or
	// a dotted path (resource_access.g2p-bank-proxy.roles) works too.
	ScopeClaim    string `mapstructure:"scope_claim"`
	ClientIDClaim string `mapstructure:"client_id_claim"`
	// Algorithms accepted (asymmetric only); empty = RS*, PS*, ES*.
	Algorithms     []string      `mapstructure:"algorithms"`
	Leeway         time.Duration `mapstructure:"leeway"`
	JWKSCacheTTL   time.Duration `mapstructure:"jwks_cache_ttl"`
	JWKSMinRefresh time.Duration `mapstructure:"jwks_min_refresh"`
	// CAFile adds a PEM CA bundle to the system roots for the JWKS fetch.
	CAFile string `mapstructure:"ca_file"`
	// AllowInsecureHTTP permits an http:// jwks_url to a non-loopback host.
	AllowInsecureHTTP bool `mapstructure:"allow_insecure_http"`
}

// Enabled reports whether JWTs are accepted.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// Limits bound what one client can ask of the proxy.
type Limits struct {
	// RatePerSecond and RateBurst are each client's token bucket: burst
	// requests at once, refilled at rate_per_second. 0 disables.
	RatePerSecond float64 `mapstructure:"rate_per_second"`
	RateBurst     int     `mapstructure:"rate_burst"`
	// FailedAuthPerMinute bounds the failed secret checks (argon2id or
	// bcrypt) per remote address; beyond it, credentials that would need
	// a fresh hash get 429, while plain API keys, recently verified
	// secrets and JWTs are still checked. 0 disables.
	FailedAuthPerMinute int `mapstructure:"failed_auth_per_minute"`
	// JSON shape of request bodies (413 beyond them).
	MaxJSONDepth    int `mapstructure:"max_json_depth"`
	MaxArrayItems   int `mapstructure:"max_array_items"`
	MaxBatchItems   int `mapstructure:"max_batch_items"`
	MaxMembers      int `mapstructure:"max_members"`
	MaxBankAccounts int `mapstructure:"max_bank_accounts"`
	MaxIDs          int `mapstructure:"max_ids"`
}

// Audit configures the audit trail of writes and full-number reads.
type Audit struct {
	// File is the append-only, hash-chained JSON-lines file. Empty
	// disables the file (the proxy warns at start).
	File string `mapstructure:"file"`
	// Fsync flushes every record to disk before the response is sent.
	Fsync bool `mapstructure:"fsync"`
	// HMACKeyFile, when set, holds the key that seals the chain with
	// HMAC-SHA256 (read by the audit wiring; audit verify --key-file).
	HMACKeyFile string `mapstructure:"hmac_key_file"`
	// OdooNotes posts a note in the chatter of each written registrant.
	OdooNotes bool `mapstructure:"odoo_notes"`
}

// isLoopback reports whether host names this machine (so plain HTTP to it
// never crosses a network).
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// plainHTTPOffLoopback reports whether raw is an http:// URL to another host.
func plainHTTPOffLoopback(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "http" && !isLoopback(u.Hostname())
}

func (o OIDC) validate(v *validator) {
	if !o.Enabled() {
		if o.JWKSURL != "" || o.Audience != "" {
			v.add("auth.oidc.issuer", "is required when auth.oidc is configured")
		}
		return
	}
	if o.Audience == "" {
		v.add("auth.oidc.audience", "is required (the audience your provider puts in tokens for the proxy)")
	}
	if u, err := url.Parse(o.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add("auth.oidc.jwks_url", "must be the provider's https JWKS URL, got %q", o.JWKSURL)
	} else if plainHTTPOffLoopback(o.JWKSURL) && !o.AllowInsecureHTTP {
		v.add("auth.oidc.jwks_url", "plain http to %s lets anyone on the path forge tokens; use https or set auth.oidc.allow_insecure_http", u.Host)
	}
	for i, alg := range o.Algorithms {
		if !slices.Contains([]string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}, alg) {
			v.add(fmt.Sprintf("auth.oidc.algorithms[%d]", i), "%q is not accepted (RS*, PS* or ES* only)", alg)
		}
	}
	for _, d := range []struct {
		key string
		d   time.Duration
	}{{"auth.oidc.leeway", o.Leeway}, {"auth.oidc.jwks_cache_ttl", o.JWKSCacheTTL}, {"auth.oidc.jwks_min_refresh", o.JWKSMinRefresh}} {
		if d.d < 0 {
			v.add(d.key, "must not be negative")
		}
	}
}

// validateClients checks auth.clients; ids must also differ from the
// api_keys' ids.
func validateClients(v *validator, clients []Client, ids map[string]bool) {
	known := AllScopes()
	for i, c := range clients {
		at := fmt.Sprintf("auth.clients[%d]", i)
		switch {
		case c.ID == "":
			v.add(at+".id", "is required (it names the client in logs and is the Basic user name)")
		case strings.Contains(c.ID, ":"):
			v.add(at+".id", "must not contain ':' (HTTP Basic separates id and secret with it)")
		case ids[c.ID]:
			v.add(at+".id", "%q is used twice", c.ID)
		}
		ids[c.ID] = true
		switch h := c.SecretHash; {
		case h == "":
			v.add(at+".secret_hash", "is required (print one with: g2p-bank-proxy hash-secret)")
		case !strings.HasPrefix(h, "$argon2id$") && !strings.HasPrefix(h, "$2a$") && !strings.HasPrefix(h, "$2b$") && !strings.HasPrefix(h, "$2y$"):
			v.add(at+".secret_hash", "must be an argon2id or bcrypt hash (g2p-bank-proxy hash-secret prints one), never the secret itself")
		}
		if len(c.Scopes) == 0 {
			v.add(at+".scopes", "at least one scope is required (one of %s)", strings.Join(known, ", "))
		}
		for j, s := range c.Scopes {
			if !slices.Contains(known, s) {
				v.add(fmt.Sprintf("%s.scopes[%d]", at, j), "unknown scope %q (known: %s)", s, strings.Join(known, ", "))
			}
		}
		if c.RatePerSecond < 0 || c.RateBurst < 0 {
			v.add(at+".rate_per_second", "rate_per_second and rate_burst must not be negative")
		}
	}
}

func (l Limits) validate(v *validator) {
	if l.RatePerSecond < 0 {
		v.add("limits.rate_per_second", "must not be negative (0 disables the rate limit)")
	}
	if l.RatePerSecond > 0 && l.RateBurst < 1 {
		v.add("limits.rate_burst", "must be at least 1 when limits.rate_per_second is set")
	}
	if l.FailedAuthPerMinute < 0 {
		v.add("limits.failed_auth_per_minute", "must not be negative (0 disables it)")
	}
	for _, n := range []struct {
		key string
		n   int
	}{
		{"limits.max_json_depth", l.MaxJSONDepth}, {"limits.max_array_items", l.MaxArrayItems},
		{"limits.max_batch_items", l.MaxBatchItems}, {"limits.max_members", l.MaxMembers},
		{"limits.max_bank_accounts", l.MaxBankAccounts}, {"limits.max_ids", l.MaxIDs},
	} {
		if n.n < 1 {
			v.add(n.key, "must be at least 1")
		}
	}
	if l.MaxJSONDepth > 0 && l.MaxJSONDepth < 4 {
		v.add("limits.max_json_depth", "must be at least 4 (a group with members and their accounts nests 4 deep)")
	}
}

// TLSClientConfig returns the TLS settings for calls to Odoo or the
// identity provider: the system roots plus the PEM certificates of caFile
// (an internal CA), at least TLS 1.2. It returns nil (Go's defaults: system
// roots) when caFile is empty.
func TLSClientConfig(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system roots (e.g. a scratch image): the CA file alone
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// validateOrigins accepts exact origins only: a wildcard or a path would
// not mean what an operator expects.
func validateOrigins(v *validator, origins []string) {
	for i, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" ||
			strings.Contains(o, "*") || u.User != nil {
			v.add(fmt.Sprintf("server.cors_allowed_origins[%d]", i), "must be an exact origin such as https://app.example.org, got %q", o)
		}
	}
}

// validateTrustedProxies accepts addresses and CIDRs. Trusting every
// address would let any client name its own address in X-Forwarded-For,
// and so escape the per-address limit on failed logins.
func validateTrustedProxies(v *validator, proxies []string) {
	for i, p := range proxies {
		at := fmt.Sprintf("server.trusted_proxies[%d]", i)
		if net.ParseIP(p) != nil {
			continue
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			v.add(at, "must be an IP address or a CIDR such as 10.0.0.0/8, got %q", p)
		} else if ones, _ := n.Mask.Size(); ones == 0 {
			v.add(at, "%q trusts every address: any client could then pick the address it is counted under", p)
		}
	}
}

// readSecretHashFiles replaces each client's secret_hash by the content of
// its secret_hash_file.
func (a *Auth) readSecretHashFiles(v *validator) {
	for i := range a.Clients {
		c := &a.Clients[i]
		if c.SecretHashFile == "" {
			continue
		}
		if c.SecretHash != "" {
			v.add(fmt.Sprintf("auth.clients[%d].secret_hash", i), "set either secret_hash or secret_hash_file, not both")
		} else if s, err := readSecret(c.SecretHashFile); err != nil {
			v.add(fmt.Sprintf("auth.clients[%d].secret_hash_file", i), "%v", err)
		} else {
			c.SecretHash = s
		}
	}
}
