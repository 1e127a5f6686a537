package proxy

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/auth"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

const (
	authnSecret = "enrolment-secret-0123456789"
	authnIssuer = "https://idp.example/realms/openspp"
)

var (
	authnKeyOnce sync.Once
	authnKey     *rsa.PrivateKey
)

func authnRSAKey(t *testing.T) *rsa.PrivateKey {
	authnKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		authnKey = k
	})
	return authnKey
}

// jwksServer publishes key under kid "k1".
func jwksServer(t *testing.T, key *rsa.PrivateKey) *httptest.Server {
	b64 := base64.RawURLEncoding
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig",
			"n": b64.EncodeToString(key.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func signedToken(t *testing.T, key *rsa.PrivateKey, mod func(jwt.MapClaims)) string {
	t.Helper()
	c := jwt.MapClaims{"iss": authnIssuer, "aud": "g2p-bank-proxy", "azp": "payments", "iat": time.Now().Unix(),
		"exp": time.Now().Add(time.Minute).Unix(), "scope": "openid registry:read"}
	if mod != nil {
		mod(c)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authnServer serves GET <base>/authn/who behind authenticateWith.
func authnServer(t *testing.T, jwksURL string, failures *rateLimiter) *platformServer {
	t.Helper()
	ts := newPlatformServer(t, Deps{})
	hash, err := auth.HashSecret(authnSecret)
	if err != nil {
		t.Fatal(err)
	}
	o := auth.Options{Clients: []auth.Client{
		{ID: "enrolment", SecretHash: hash, Scopes: []string{"registry:read", "registry:write"}},
		{ID: "demo", Key: platformFullKey, Scopes: []string{"registry:read"}},
	}}
	if jwksURL != "" {
		v, err := auth.NewOIDCVerifier(auth.OIDCOptions{Issuer: authnIssuer, Audience: "g2p-bank-proxy", JWKSURL: jwksURL})
		if err != nil {
			t.Fatal(err)
		}
		o.Tokens = v
	}
	a, err := auth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	g := ts.engine.Group(ts.cfg.Server.BasePath+"/authn", ts.authenticateWith(a, failures))
	g.GET("/who", ts.requireScope("registry:read"), func(c *gin.Context) {
		c.String(http.StatusOK, c.GetString(ctxClientID)+" "+mapping.ClientID(c.Request.Context()))
	})
	return ts
}

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func TestAuthenticationSchemes(t *testing.T) {
	key := authnRSAKey(t)
	ts := authnServer(t, jwksServer(t, key).URL, nil)
	path := ts.cfg.Server.BasePath + "/authn/who"
	ok := []struct{ name, header, client string }{
		{"Bearer secret", "Bearer " + authnSecret, "enrolment"},
		{"Basic", basicAuth("enrolment", authnSecret), "enrolment"},
		{"plain demo key", "Bearer " + platformFullKey, "demo"},
		{"JWT", "Bearer " + signedToken(t, key, nil), "oidc:payments"},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, "GET", path, "", nil, "Authorization", tt.header)
			if r.Code != http.StatusOK || r.Body.String() != tt.client+" "+tt.client {
				t.Fatalf("%d %s, want 200 for %s", r.Code, r.Body, tt.client)
			}
		})
	}
	bad := []struct{ name, header, bearerError string }{
		{"none", "", ""},
		{"wrong secret", basicAuth("enrolment", "nope"), ""},
		{"wrong key", "Bearer nope", "invalid_token"},
		{"expired JWT", "Bearer " + signedToken(t, key, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), "invalid_token"},
		{"JWT for another audience", "Bearer " + signedToken(t, key, func(c jwt.MapClaims) { c["aud"] = "account" }), "invalid_token"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, "GET", path, "", nil, "Authorization", tt.header)
			requirePlatformProblem(t, r, http.StatusUnauthorized, "unauthorized")
			ch := r.Header().Values("WWW-Authenticate")
			if len(ch) != 2 || !strings.HasPrefix(ch[0], `Bearer realm="g2p-bank-proxy"`) || !strings.HasPrefix(ch[1], "Basic ") {
				t.Fatalf("challenges %q, want Bearer and Basic", ch)
			}
			if got := strings.Contains(ch[0], `error="invalid_token"`); got != (tt.bearerError != "") {
				t.Errorf("bearer challenge %q: error present %v, want %v", ch[0], got, tt.bearerError != "")
			}
		})
	}
	t.Run("JWT without the scope", func(t *testing.T) {
		tok := signedToken(t, key, func(c jwt.MapClaims) { c["scope"] = "openid bank_accounts:read" })
		requirePlatformProblem(t, ts.do(t, "GET", path, "", nil, "Authorization", "Bearer "+tok), http.StatusForbidden, "forbidden")
	})
}

func TestJWKSOutageIs503(t *testing.T) {
	key := authnRSAKey(t)
	jwks := jwksServer(t, key)
	ts := authnServer(t, jwks.URL, nil)
	jwks.Close()
	r := ts.do(t, "GET", ts.cfg.Server.BasePath+"/authn/who", "", nil, "Authorization", "Bearer "+signedToken(t, key, nil))
	requirePlatformProblem(t, r, http.StatusServiceUnavailable, "upstream_unavailable")
}

// stoppedClock freezes a limiter's clock: no token comes back while a
// test runs, however slow the hashes are.
func stoppedClock(l *rateLimiter) *rateLimiter {
	clock := &fakeClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	l.now = clock.now
	return l
}

// An address that keeps failing gets 429 for every credential that would
// need a fresh hash; what is cheap to check and right still passes, so
// clients sharing the address (behind an ingress) are not locked out.
func TestFailedLoginsLimitOnlyFreshHashesPerAddress(t *testing.T) {
	key := authnRSAKey(t)
	failures := stoppedClock(newRateLimiter(ratePolicy{rate: 3.0 / 60, burst: 3}, nil))
	ts := authnServer(t, jwksServer(t, key).URL, failures)
	path := ts.cfg.Server.BasePath + "/authn/who"
	get := func(header string) platformResponse { return ts.do(t, "GET", path, "", nil, "Authorization", header) }
	if r := get(basicAuth("enrolment", authnSecret)); r.Code != http.StatusOK {
		t.Fatalf("first login: %d", r.Code) // verified once: cached from now on
	}
	for range 3 {
		requirePlatformProblem(t, get(basicAuth("enrolment", "guess")), http.StatusUnauthorized, "unauthorized")
	}
	for name, header := range map[string]string{
		"another guess":            basicAuth("enrolment", "guess"),
		"an unknown key":           "Bearer guess",
		"a secret not seen before": "Bearer " + authnSecret,
	} {
		r := get(header)
		requirePlatformProblem(t, r, http.StatusTooManyRequests, "rate_limited")
		// One failed check per 20 s: the headers name the per-address
		// policy and agree on when the next attempt may come.
		h := r.Header()
		if h.Get("Retry-After") != "20" || h.Get("RateLimit") != `"failed_auth";r=0;t=20` || h.Get("RateLimit-Policy") != `"failed_auth";q=3;w=60` {
			t.Errorf("%s: Retry-After %q, RateLimit %q, RateLimit-Policy %q", name, h.Get("Retry-After"), h.Get("RateLimit"), h.Get("RateLimit-Policy"))
		}
	}
	for name, header := range map[string]string{
		"a plain API key":      "Bearer " + platformFullKey,
		"a JWT":                "Bearer " + signedToken(t, key, nil),
		"a secret seen before": basicAuth("enrolment", authnSecret),
	} {
		if r := get(header); r.Code != http.StatusOK {
			t.Errorf("%s from the throttled address: %d %s, want 200", name, r.Code, r.Body)
		}
	}
	requirePlatformProblem(t, get("Bearer "+signedToken(t, key, func(c jwt.MapClaims) { c["aud"] = "account" })),
		http.StatusUnauthorized, "unauthorized")
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = "192.0.2.7:5000"
	req.Header.Set("Authorization", "Bearer "+authnSecret)
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("another address: %d, want 200", rec.Code)
	}
}

// Credential guessing shows in the rate-limit metric: each 429 of the
// failed-login limit is counted under its own policy, with no client (the
// address is never a label), apart from the clients' quotas.
func TestFailedLoginRefusalsAreCounted(t *testing.T) {
	failures := stoppedClock(newRateLimiter(ratePolicy{rate: 2.0 / 60, burst: 2}, nil))
	ts := authnServer(t, "", failures)
	ts.deps.Metrics = NewMetrics()
	path := ts.cfg.Server.BasePath + "/authn/who"
	assertContains(t, scrape(t, ts.deps.Metrics), `g2p_proxy_rate_limited_total{client="",policy="failed_auth"} 0`)
	for range 2 {
		requirePlatformProblem(t, ts.do(t, "GET", path, "", nil, "Authorization", basicAuth("enrolment", "guess")),
			http.StatusUnauthorized, "unauthorized")
	}
	for range 3 {
		requirePlatformProblem(t, ts.do(t, "GET", path, "", nil, "Authorization", basicAuth("enrolment", "guess")),
			http.StatusTooManyRequests, "rate_limited")
	}
	text := scrape(t, ts.deps.Metrics)
	assertContains(t, text, `g2p_proxy_rate_limited_total{client="",policy="failed_auth"} 3`)
	if strings.Contains(text, "guess") || strings.Contains(text, "192.0.2") {
		t.Errorf("the metrics hold a secret or an address:\n%s", text)
	}
}

// Attempts that arrive together reserve their token before hashing: of a
// burst of wrong secrets, only as many are checked as the bucket holds.
func TestConcurrentFailedLoginsCannotOutrunTheLimit(t *testing.T) {
	failures := stoppedClock(newRateLimiter(ratePolicy{rate: 5.0 / 60, burst: 5}, nil))
	ts := authnServer(t, "", failures)
	path := ts.cfg.Server.BasePath + "/authn/who"
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", basicAuth("enrolment", fmt.Sprint("guess-", i)))
			rec := httptest.NewRecorder()
			ts.Handler().ServeHTTP(rec, req)
			mu.Lock()
			codes[rec.Code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[http.StatusUnauthorized] != 5 || codes[http.StatusTooManyRequests] != 55 {
		t.Errorf("answers %v, want 5×401 (checked) and 55×429", codes)
	}
}

// With server.trusted_proxies, each client behind the ingress has its own
// bucket; a client cannot escape its bucket by sending X-Forwarded-For
// itself (the ingress appends the address it saw, which is the one used).
func TestTrustedProxiesGiveEachClientItsOwnBucket(t *testing.T) {
	hash, err := auth.HashSecret(authnSecret)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(trusted []string) func(xff string) int {
		cfg := platformConfig()
		cfg.Auth.Clients = []config.Client{{ID: "enrolment", SecretHash: hash, Scopes: []string{config.ScopeRegistryRead}}}
		cfg.Limits.FailedAuthPerMinute = 2
		cfg.Server.TrustedProxies = trusted // httptest's peer is 192.0.2.1
		s, err := New(cfg, Deps{Registry: unusedRegistry{}}, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		stoppedClock(s.sec.failures)
		ts := &platformServer{Server: s}
		ts.group().GET("/who", func(c *gin.Context) { c.Status(http.StatusOK) })
		return func(xff string) int {
			r := ts.do(t, "GET", cfg.Server.BasePath+"/test/who", "", nil, "Authorization", basicAuth("enrolment", "guess"), "X-Forwarded-For", xff)
			return r.Code
		}
	}
	behindIngress := serve([]string{"192.0.2.0/24"})
	for _, want := range []int{401, 401, 429} {
		if got := behindIngress("203.0.113.5"); got != want {
			t.Fatalf("client A: %d, want %d", got, want)
		}
	}
	if got := behindIngress("203.0.113.99, 203.0.113.5"); got != 429 {
		t.Errorf("client A naming another address itself: %d, want 429", got)
	}
	if got := behindIngress("203.0.113.6"); got != 401 {
		t.Errorf("client B behind the same ingress: %d, want 401 (its own bucket)", got)
	}
	untrusted := serve(nil)
	for _, xff := range []string{"203.0.113.5", "203.0.113.6"} {
		untrusted(xff)
	}
	if got := untrusted("203.0.113.7"); got != 429 {
		t.Errorf("without trusted proxies X-Forwarded-For was believed: %d, want 429 (one bucket for the peer)", got)
	}
}

// Two Authorization headers are refused whichever comes first: proxies on
// the way may pick different ones.
func TestSeveralAuthorizationHeadersAreRefused(t *testing.T) {
	ts := authnServer(t, "", nil)
	path := ts.cfg.Server.BasePath + "/authn/who"
	for _, headers := range [][]string{
		{"Bearer " + platformFullKey, "Bearer garbage"},
		{"Bearer garbage", "Bearer " + platformFullKey},
		{"Bearer " + platformFullKey, "Bearer " + platformFullKey},
	} {
		req := httptest.NewRequest("GET", path, nil)
		for _, h := range headers {
			req.Header.Add("Authorization", h)
		}
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, req)
		var p ProblemDetail
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		if rec.Code != http.StatusUnauthorized || p.Code != "unauthorized" || !strings.Contains(p.Detail, "one Authorization header") ||
			len(rec.Header().Values("WWW-Authenticate")) != 2 {
			t.Errorf("%d headers (first %.12s…): %d %s, want 401 asking for one header, with challenges", len(headers), headers[0], rec.Code, rec.Body)
		}
	}
}
