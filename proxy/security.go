package proxy

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/auth"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
)

// security holds the protections around the API routes: who may call
// (authn), how often (rate, failures), with what bodies (limits), which
// numbers they see and what is recorded (guard), from which browser
// origins (cors).
type security struct {
	authn    *auth.Authenticator
	failures *rateLimiter // failed authentications per remote address; nil = unlimited
	rate     *rateLimiter // requests per client; nil = unlimited
	limits   jsonLimits
	guard    *accountGuard
	cors     *corsPolicy // nil = no CORS
}

// newSecurity builds the protections from the configuration.
func (s *Server) newSecurity() (*security, error) {
	cfg := s.cfg
	authn, err := newAuthenticator(cfg.Auth)
	if err != nil {
		return nil, err
	}
	l := cfg.Limits
	sec := &security{
		authn: authn,
		limits: jsonLimits{maxDepth: l.MaxJSONDepth, maxItems: l.MaxArrayItems, maxBatch: l.MaxBatchItems,
			byKey: map[string]int{"members": l.MaxMembers, "bank_ids": l.MaxBankAccounts, "ids": l.MaxIDs}},
		guard: &accountGuard{auditor: s.deps.Auditor, basePath: cfg.Server.BasePath, fail: s.fail},
	}
	if n := l.FailedAuthPerMinute; n > 0 {
		sec.failures = newRateLimiter(ratePolicy{rate: float64(n) / 60, burst: n}, nil)
	}
	if l.RatePerSecond > 0 {
		shared := ratePolicy{rate: l.RatePerSecond, burst: l.RateBurst}
		overrides := map[string]ratePolicy{}
		for _, c := range cfg.Auth.Clients {
			if c.RatePerSecond > 0 || c.RateBurst > 0 {
				p := shared
				if c.RatePerSecond > 0 {
					p.rate = c.RatePerSecond
				}
				if c.RateBurst > 0 {
					p.burst = c.RateBurst
				}
				overrides[c.ID] = p
			}
		}
		sec.rate = newRateLimiter(shared, overrides)
	}
	if len(cfg.Server.CORSAllowedOrigins) > 0 {
		sec.cors = &corsPolicy{origins: cfg.Server.CORSAllowedOrigins, maxAge: cfg.Server.CORSMaxAge}
	}
	return sec, nil
}

// newAuthenticator builds the client authentication of the configuration:
// plain API keys, hashed client secrets and, when configured, OIDC tokens.
func newAuthenticator(a config.Auth) (*auth.Authenticator, error) {
	var clients []auth.Client
	for _, k := range a.APIKeys {
		clients = append(clients, auth.Client{ID: k.ID, Key: k.Key, Scopes: k.Scopes})
	}
	for _, c := range a.Clients {
		clients = append(clients, auth.Client{ID: c.ID, SecretHash: c.SecretHash, Scopes: c.Scopes})
	}
	ttl := a.VerifyCacheTTL
	if ttl == 0 {
		ttl = -1 // configured 0 means off; auth's 0 means its default
	}
	o := auth.Options{Clients: clients, CacheTTL: ttl}
	if a.OIDC.Enabled() {
		tlsCfg, err := config.TLSClientConfig(a.OIDC.CAFile)
		if err != nil {
			return nil, fmt.Errorf("auth.oidc.%w", err)
		}
		v, err := auth.NewOIDCVerifier(auth.OIDCOptions{
			Issuer: a.OIDC.Issuer, Audience: a.OIDC.Audience, JWKSURL: a.OIDC.JWKSURL,
			ScopeClaim: a.OIDC.ScopeClaim, ClientIDClaim: a.OIDC.ClientIDClaim, Algorithms: a.OIDC.Algorithms,
			KnownScopes: config.AllScopes(), Leeway: a.OIDC.Leeway, CacheTTL: a.OIDC.JWKSCacheTTL, MinRefresh: a.OIDC.JWKSMinRefresh,
			HTTPClient: &http.Client{Timeout: 10 * time.Second,
				Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsCfg}},
		})
		if err != nil {
			return nil, err
		}
		o.Tokens = v
	}
	return auth.New(o)
}

// cors answers preflights and adds CORS headers for the configured
// origins; without any it does nothing.
func (s *Server) cors(c *gin.Context) {
	if s.sec.cors == nil {
		c.Next()
		return
	}
	s.corsHandler(*s.sec.cors)(c)
}

// rateLimit applies each client's token bucket (limits.rate_per_second).
func (s *Server) rateLimit(c *gin.Context) {
	if s.sec.rate == nil {
		c.Next()
		return
	}
	var counted func(string)
	if s.deps.Metrics != nil {
		counted = s.deps.Metrics.RateLimited
	}
	s.rateLimitClients(s.sec.rate, counted)(c)
}

// limitJSON applies limits.max_json_depth and the array limits to write
// bodies.
func (s *Server) limitJSON(c *gin.Context) { s.sec.limits.handler(s.fail)(c) }

// guardAccounts masks account numbers and records the audit trail (see
// accountGuard).
func (s *Server) guardAccounts(c *gin.Context) { s.sec.guard.handle(c) }
