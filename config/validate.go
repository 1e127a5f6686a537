package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ValidationError lists every problem found in a configuration, each
// naming its key, e.g. "odoo.url: must be an http(s) URL".
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// Validate checks the whole configuration and reports all problems at once
// as a *ValidationError, so an operator fixes the file in one pass.
func (c *Config) Validate() error {
	v := &validator{}
	c.validate(v)
	return v.err()
}

func (c *Config) validate(v *validator) {
	c.Server.validate(v)
	c.Odoo.validate(v)
	c.Registry.validate(v)
	c.Auth.validate(v)
	c.Log.validate(v)
	c.validateReliability(v)
	c.Metrics.validate(v, c.Server.Listen)
	c.Limits.validate(v)
	if c.Server.WriteTimeout > 0 && c.Odoo.Timeout > 0 && c.Registry.OutcomeLookup > 0 && c.RequestDeadline() < c.Odoo.Timeout {
		// The connection would be cut before a write that waited out a
		// stalled Odoo call and looked for its record could be answered:
		// the client would see no response at all.
		v.add("server.write_timeout", "must be at least odoo.timeout + registry.outcome_lookup + %s (%s + %s + %s)",
			AnswerMargin, c.Odoo.Timeout, c.Registry.OutcomeLookup, AnswerMargin)
	}
}

// validator collects problems, each naming its key.
type validator struct {
	problems []string
	// label names a key in a problem; nil: the key itself. Load names the
	// environment variable that set the key too.
	label func(key string) string
}

func (v *validator) add(key, format string, args ...any) {
	if v.label != nil {
		key = v.label(key)
	}
	v.problems = append(v.problems, key+": "+fmt.Sprintf(format, args...))
}

// err is the problems found so far as a *ValidationError, or nil.
func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

func (s Server) validate(v *validator) {
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		v.add("server.listen", "must be host:port (e.g. 0.0.0.0:8080), got %q", s.Listen)
	}
	if s.BasePath != "" && (!strings.HasPrefix(s.BasePath, "/") || strings.HasSuffix(s.BasePath, "/")) {
		v.add("server.base_path", "must start with / and not end with / (e.g. /api/v1/registry), got %q", s.BasePath)
	}
	for _, t := range []struct {
		key string
		d   time.Duration
	}{
		{"server.read_timeout", s.ReadTimeout},
		{"server.write_timeout", s.WriteTimeout},
		{"server.idle_timeout", s.IdleTimeout},
		{"server.shutdown_timeout", s.ShutdownTimeout},
	} {
		if t.d <= 0 {
			v.add(t.key, "must be a positive duration (e.g. 30s)")
		}
	}
	if s.MaxBodyBytes <= 0 {
		v.add("server.max_body_bytes", "must be a positive number of bytes")
	}
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		v.add("server.tls_cert_file", "tls_cert_file and tls_key_file must be set together")
	}
	validateOrigins(v, s.CORSAllowedOrigins)
	validateTrustedProxies(v, s.TrustedProxies)
}

func (o Odoo) validate(v *validator) {
	if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add("odoo.url", "must be an http(s) URL (e.g. http://odoo:8069), got %q", o.URL)
	} else if strings.Contains(u.Path, "/xmlrpc") || strings.Contains(u.Path, "/jsonrpc") {
		v.add("odoo.url", "must be Odoo's base URL without the /xmlrpc or /jsonrpc path, got %q", o.URL)
	} else if plainHTTPOffLoopback(o.URL) && !o.AllowInsecureHTTP {
		v.add("odoo.url", "plain http to %s would carry the technical user's secret and bank data unencrypted; use https or set odoo.allow_insecure_http: true", u.Host)
	}
	if o.DB == "" {
		v.add("odoo.db", "is required (the Odoo database name)")
	}
	if o.Login == "" {
		v.add("odoo.login", "is required (the technical user's login)")
	}
	if o.Secret == "" {
		v.add("odoo.secret", "is required (set odoo.secret or odoo.secret_file; an API key is preferred)")
	}
	if o.Protocol != "xmlrpc" && o.Protocol != "jsonrpc" {
		v.add("odoo.protocol", "must be xmlrpc or jsonrpc, got %q", o.Protocol)
	}
	if o.Timeout <= 0 {
		v.add("odoo.timeout", "must be a positive duration (e.g. 30s)")
	}
	if o.ConnectTimeout <= 0 {
		v.add("odoo.connect_timeout", "must be a positive duration (e.g. 5s)")
	}
	if o.Lang == "" {
		v.add("odoo.lang", "is required (e.g. en_US)")
	}
	if o.MaxConns <= 0 {
		v.add("odoo.max_conns", "must be at least 1")
	}
	if o.AuthBackoff < 0 {
		v.add("odoo.auth_backoff", "must not be negative")
	}
}

func (r Registry) validate(v *validator) {
	if r.MaxPageSize <= 0 {
		v.add("registry.max_page_size", "must be at least 1")
	}
	if r.DefaultPageSize <= 0 || (r.MaxPageSize > 0 && r.DefaultPageSize > r.MaxPageSize) {
		v.add("registry.default_page_size", "must be between 1 and registry.max_page_size (%d), got %d", r.MaxPageSize, r.DefaultPageSize)
	}
	if r.BankCacheTTL <= 0 {
		v.add("registry.bank_cache_ttl", "must be positive (e.g. 10m)")
	}
	if r.ReferenceCacheTTL <= 0 {
		v.add("registry.reference_cache_ttl", "must be positive (e.g. 10m)")
	}
	if r.FeedSettleDelay < 0 {
		v.add("registry.feed_settle_delay", "must not be negative")
	}
}

func (a Auth) validate(v *validator) {
	if len(a.APIKeys) == 0 && len(a.Clients) == 0 && !a.OIDC.Enabled() {
		v.add("auth.clients", "at least one client is required (auth.clients, auth.api_keys or auth.oidc; every route but /healthz needs credentials)")
	}
	if a.VerifyCacheTTL < 0 {
		v.add("auth.verify_cache_ttl", "must not be negative (0 disables the cache)")
	}
	a.OIDC.validate(v)
	ids := map[string]bool{}
	keys := map[string]bool{}
	known := AllScopes()
	for i, k := range a.APIKeys {
		at := fmt.Sprintf("auth.api_keys[%d]", i)
		switch {
		case k.ID == "":
			v.add(at+".id", "is required (it names the client in logs)")
		case strings.Contains(k.ID, ":"):
			v.add(at+".id", "must not contain ':' (HTTP Basic separates id and key with it)")
		case ids[k.ID]:
			v.add(at+".id", "%q is used twice", k.ID)
		}
		ids[k.ID] = true
		switch {
		case k.Key == "":
			v.add(at+".key", "is required (set key or key_file)")
		case strings.TrimSpace(k.Key) != k.Key || strings.ContainsAny(k.Key, " \t\r\n"):
			v.add(at+".key", "must not contain white space")
		case keys[k.Key]:
			v.add(at+".key", "is the same as another client's key")
		}
		keys[k.Key] = true
		if len(k.Scopes) == 0 {
			v.add(at+".scopes", "at least one scope is required (one of %s)", strings.Join(known, ", "))
		}
		for j, s := range k.Scopes {
			if !slices.Contains(known, s) {
				v.add(fmt.Sprintf("%s.scopes[%d]", at, j), "unknown scope %q (known: %s)", s, strings.Join(known, ", "))
			}
		}
	}
	validateClients(v, a.Clients, ids)
}

func (l Log) validate(v *validator) {
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, l.Level) {
		v.add("log.level", "must be debug, info, warn or error, got %q", l.Level)
	}
	if l.Format != "json" && l.Format != "console" {
		v.add("log.format", "must be json or console, got %q", l.Format)
	}
}
