// Package config holds the typed configuration of g2p-bank-proxy: one YAML
// file, overridden per key by G2P_PROXY_<SECTION>_<KEY> environment
// variables, with secrets optionally read from files (*_file keys).
//
// A secret with two spellings (odoo.secret / odoo.secret_file,
// redis.password / redis.password_file) is overridden as a whole: when the
// environment sets either spelling (not empty), both keys of the file are
// ignored, so G2P_PROXY_ODOO_SECRET replaces a file's odoo.secret_file and
// G2P_PROXY_ODOO_SECRET_FILE a file's odoo.secret. Both spellings in the
// same layer are refused.
package config

import "time"

// Config is the whole service configuration. Load fills it from a file and
// the environment, applies defaults and validates it.
type Config struct {
	Server   Server   `mapstructure:"server"`
	Odoo     Odoo     `mapstructure:"odoo"`
	Registry Registry `mapstructure:"registry"`
	Auth     Auth     `mapstructure:"auth"`
	Log      Log      `mapstructure:"log"`
	// Idempotency and Redis: see reliability.go.
	Idempotency Idempotency `mapstructure:"idempotency"`
	Redis       Redis       `mapstructure:"redis"`
	// Limits and Audit: see security.go.
	Limits Limits `mapstructure:"limits"`
	Audit  Audit  `mapstructure:"audit"`
	// Metrics: see metrics.go.
	Metrics Metrics `mapstructure:"metrics"`
}

// Server is the HTTP side of the proxy.
type Server struct {
	Listen          string        `mapstructure:"listen"`
	BasePath        string        `mapstructure:"base_path"`
	ReadTimeout     time.Duration `mapstructure:"read_timeout"`
	WriteTimeout    time.Duration `mapstructure:"write_timeout"`
	IdleTimeout     time.Duration `mapstructure:"idle_timeout"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	MaxBodyBytes    int64         `mapstructure:"max_body_bytes"`
	// TLSCertFile and TLSKeyFile enable HTTPS when both are set.
	TLSCertFile string `mapstructure:"tls_cert_file"`
	TLSKeyFile  string `mapstructure:"tls_key_file"`
	// CORSAllowedOrigins are the browser origins (exact) that may call the
	// API; empty = no CORS. CORSMaxAge is how long preflights are cached.
	CORSAllowedOrigins []string      `mapstructure:"cors_allowed_origins"`
	CORSMaxAge         time.Duration `mapstructure:"cors_max_age"`
	// TrustedProxies are the addresses or CIDRs of reverse proxies (an
	// ingress) whose X-Forwarded-For names the client's address; empty =
	// the TCP peer is the client (see security.go).
	TrustedProxies []string `mapstructure:"trusted_proxies"`
}

// TLS reports whether the server should serve HTTPS.
func (s Server) TLS() bool { return s.TLSCertFile != "" && s.TLSKeyFile != "" }

// Odoo says how the proxy reaches OpenSPP as its technical user.
type Odoo struct {
	URL   string `mapstructure:"url"`
	DB    string `mapstructure:"db"`
	Login string `mapstructure:"login"`
	// Secret is the technical user's API key (preferred) or password.
	// SecretFile, when set, replaces it with the file's content.
	Secret         string        `mapstructure:"secret"`
	SecretFile     string        `mapstructure:"secret_file"`
	Protocol       string        `mapstructure:"protocol"`
	Timeout        time.Duration `mapstructure:"timeout"`
	ConnectTimeout time.Duration `mapstructure:"connect_timeout"`
	Lang           string        `mapstructure:"lang"`
	MaxConns       int           `mapstructure:"max_conns"`
	AuthBackoff    time.Duration `mapstructure:"auth_backoff"`
	// RetryAttempts is how often a read (never a write) is tried in all
	// when the connection breaks or Odoo is briefly unreachable; 1 = no retry.
	RetryAttempts int `mapstructure:"retry_attempts"`
	// BreakerFailures consecutive failed calls make the proxy fail fast for
	// BreakerCoolDown before probing Odoo again; 0 disables the breaker.
	BreakerFailures int           `mapstructure:"breaker_failures"`
	BreakerCoolDown time.Duration `mapstructure:"breaker_cooldown"`
	// CAFile adds a PEM CA bundle to the system roots for https URLs.
	CAFile string `mapstructure:"ca_file"`
	// AllowInsecureHTTP permits a plain http URL to a non-loopback Odoo.
	AllowInsecureHTTP bool `mapstructure:"allow_insecure_http"`
}

// Registry tunes the REST behaviour of the registry endpoints.
type Registry struct {
	DefaultPageSize   int           `mapstructure:"default_page_size"`
	MaxPageSize       int           `mapstructure:"max_page_size"`
	BankCacheTTL      time.Duration `mapstructure:"bank_cache_ttl"`
	ReferenceCacheTTL time.Duration `mapstructure:"reference_cache_ttl"`
	// FeedSettleDelay holds accounts written less than this long ago back
	// from the bank-account feed (Odoo stamps write_date at the start of a
	// transaction, so a row can commit behind a consumer's cursor).
	FeedSettleDelay time.Duration `mapstructure:"feed_settle_delay"`
	// OutcomeLookup bounds the search for the record of a write whose
	// answer was lost, before the proxy answers upstream_outcome_unknown.
	OutcomeLookup time.Duration `mapstructure:"outcome_lookup"`
}

// Auth lists the clients allowed to call the proxy: plain API keys,
// clients with hashed secrets, and OIDC tokens (see security.go).
type Auth struct {
	APIKeys []APIKey `mapstructure:"api_keys"`
	Clients []Client `mapstructure:"clients"`
	OIDC    OIDC     `mapstructure:"oidc"`
	// VerifyCacheTTL is how long a verified secret hash is remembered.
	VerifyCacheTTL time.Duration `mapstructure:"verify_cache_ttl"`
}

// APIKey is one client credential. ID names the client in logs; it is not
// secret. Key (or the content of KeyFile) is sent as a Bearer token.
type APIKey struct {
	ID      string   `mapstructure:"id"`
	Key     string   `mapstructure:"key"`
	KeyFile string   `mapstructure:"key_file"`
	Scopes  []string `mapstructure:"scopes"`
}

// Log selects the zap level (debug, info, warn, error) and format (json, console).
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// Scopes a client key may hold. Each route requires exactly one.
const (
	ScopeRegistryRead         = "registry:read"
	ScopeRegistryWrite        = "registry:write"
	ScopeBankAccountsRead     = "bank_accounts:read"
	ScopeBankAccountsReadFull = "bank_accounts:read_full"
	ScopeBankAccountsWrite    = "bank_accounts:write"
)

// AllScopes returns every scope, e.g. for the demo key.
func AllScopes() []string {
	return []string{ScopeRegistryRead, ScopeRegistryWrite, ScopeBankAccountsRead, ScopeBankAccountsReadFull, ScopeBankAccountsWrite}
}
