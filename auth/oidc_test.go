package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://keycloak.example/realms/openspp"
	testAudience = "g2p-bank-proxy"
)

// testIdP is a local JWKS endpoint whose published keys a test can change
// (key rotation).
type testIdP struct {
	mu        sync.Mutex
	published map[string]crypto.Signer
	requests  int
	srv       *httptest.Server
}

func newTestIdP(t *testing.T) *testIdP {
	idp := &testIdP{published: map[string]crypto.Signer{}}
	idp.srv = httptest.NewServer(http.HandlerFunc(idp.serveJWKS))
	t.Cleanup(idp.srv.Close)
	return idp
}

func (idp *testIdP) publish(kid string, key crypto.Signer) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.published[kid] = key
}

func (idp *testIdP) unpublish(kid string) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	delete(idp.published, kid)
}

func (idp *testIdP) fetches() int {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return idp.requests
}

func (idp *testIdP) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.requests++
	b64 := base64.RawURLEncoding
	keys := []map[string]string{{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}} // skipped, not fatal
	for kid, k := range idp.published {
		switch pub := k.Public().(type) {
		case *rsa.PublicKey:
			keys = append(keys, map[string]string{"kty": "RSA", "kid": kid, "use": "sig",
				"n": b64.EncodeToString(pub.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())})
		case *ecdsa.PublicKey:
			raw, _ := pub.Bytes() // 0x04 || X || Y
			size := (len(raw) - 1) / 2
			keys = append(keys, map[string]string{"kty": "EC", "kid": kid, "crv": pub.Curve.Params().Name,
				"x": b64.EncodeToString(raw[1 : 1+size]), "y": b64.EncodeToString(raw[1+size:])})
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

var (
	rsaKeyOnce sync.Once
	rsaKeys    [2]*rsa.PrivateKey
)

// testRSAKeys are generated once: 2048-bit generation is slow under -race.
func testRSAKeys(t *testing.T) [2]*rsa.PrivateKey {
	rsaKeyOnce.Do(func() {
		for i := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[i] = k
		}
	})
	return rsaKeys
}

func validClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": testIssuer, "aud": []string{testAudience, "account"}, "azp": "payment-provider", "sub": "f00",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"scope": "openid bank_accounts:read bank_accounts:read_full",
	}
}

func sign(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestVerifier(t *testing.T, idp *testIdP, mod func(*OIDCOptions)) *OIDCVerifier {
	t.Helper()
	o := OIDCOptions{Issuer: testIssuer, Audience: testAudience, JWKSURL: idp.srv.URL,
		KnownScopes: []string{"bank_accounts:read", "bank_accounts:read_full", "registry:read"}}
	if mod != nil {
		mod(&o)
	}
	v, err := NewOIDCVerifier(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOIDCAcceptsValidTokens(t *testing.T) {
	keys := testRSAKeys(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	idp := newTestIdP(t)
	idp.publish("rsa1", keys[0])
	idp.publish("ec1", ec)
	v := newTestVerifier(t, idp, nil)
	arrayScopes := validClaims()
	arrayScopes["scope"] = []string{"registry:read", "unknown:scope"}
	tests := []struct {
		name   string
		token  string
		scopes []string
	}{
		{"RS256, space-separated scope", sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], validClaims()), []string{"bank_accounts:read", "bank_accounts:read_full"}},
		{"PS256", sign(t, jwt.SigningMethodPS256, "rsa1", keys[0], validClaims()), []string{"bank_accounts:read", "bank_accounts:read_full"}},
		{"ES256", sign(t, jwt.SigningMethodES256, "ec1", ec, validClaims()), []string{"bank_accounts:read", "bank_accounts:read_full"}},
		{"scope array, unknown scopes dropped", sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], arrayScopes), []string{"registry:read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.token)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if p.ClientID != "oidc:payment-provider" || p.Method != MethodJWT || len(p.Scopes) != len(tt.scopes) {
				t.Fatalf("principal = %+v, want oidc:payment-provider by jwt with %v", p, tt.scopes)
			}
			for _, s := range tt.scopes {
				if !p.HasScope(s) {
					t.Errorf("scopes %v lack %s", p.Scopes, s)
				}
			}
		})
	}
	if n := idp.fetches(); n != 1 {
		t.Errorf("JWKS fetched %d times for 4 tokens, want 1 (cached)", n)
	}
}

func TestOIDCScopesFromANestedClaim(t *testing.T) {
	keys := testRSAKeys(t)
	idp := newTestIdP(t)
	idp.publish("rsa1", keys[0])
	v := newTestVerifier(t, idp, func(o *OIDCOptions) { o.ScopeClaim = "resource_access.g2p-bank-proxy.roles" })
	c := validClaims()
	c["resource_access"] = map[string]any{"g2p-bank-proxy": map[string]any{"roles": []string{"registry:read"}}}
	p, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], c))
	if err != nil || len(p.Scopes) != 1 || p.Scopes[0] != "registry:read" {
		t.Fatalf("principal = %+v, %v; want the role registry:read", p, err)
	}
}

func TestOIDCRefusesBadTokens(t *testing.T) {
	keys := testRSAKeys(t)
	idp := newTestIdP(t)
	idp.publish("rsa1", keys[0])
	v := newTestVerifier(t, idp, nil)
	with := func(k string, val any) jwt.MapClaims {
		c := validClaims()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	rsaPubDER, _ := x509.MarshalPKIXPublicKey(&keys[0].PublicKey)
	noneToken := sign(t, jwt.SigningMethodNone, "rsa1", jwt.UnsafeAllowNoneSignatureType, validClaims())
	tests := []struct {
		name    string
		token   string
		expired bool
	}{
		{"expired", sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], with("exp", time.Now().Add(-time.Hour).Unix())), true},
		{"no exp", sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], with("exp", nil)), false},
		{"wrong audience", sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], with("aud", "account")), false},
		{"wrong issuer", sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], with("iss", "https://evil.example/realms/openspp")), false},
		{"not yet valid", sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], with("nbf", time.Now().Add(time.Hour).Unix())), false},
		{"alg none", noneToken, false},
		{"HS256 keyed with the public key", sign(t, jwt.SigningMethodHS256, "rsa1", rsaPubDER, validClaims()), false},
		{"signed by an unpublished key", sign(t, jwt.SigningMethodRS256, "rsa1", keys[1], validClaims()), false},
		{"no client id", sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], jwt.MapClaims{"iss": testIssuer, "aud": testAudience,
			"exp": time.Now().Add(time.Minute).Unix()}), false},
		{"garbage", "eyJhbGciOiJSUzI1NiJ9.eyJ9.c2ln", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.token)
			var e *Error
			if !errors.As(err, &e) || e.Scheme != "Bearer" {
				t.Fatalf("err = %v, want a Bearer *Error", err)
			}
			if e.Expired != tt.expired {
				t.Errorf("Expired = %v, want %v (%s)", e.Expired, tt.expired, e.Message)
			}
		})
	}
}

// A token signed with a new key id makes the verifier fetch the key set
// again (the provider rotated its keys); a second unknown id right after
// does not cause another fetch.
func TestOIDCRefetchesKeysOnRotationAtMostOncePerInterval(t *testing.T) {
	keys := testRSAKeys(t)
	idp := newTestIdP(t)
	idp.publish("old", keys[0])
	v := newTestVerifier(t, idp, func(o *OIDCOptions) { o.MinRefresh = time.Minute })
	now := time.Now()
	v.keys.now = func() time.Time { return now }
	ctx := context.Background()
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, "old", keys[0], validClaims())); err != nil {
		t.Fatal(err)
	}
	// Rotation, some time later: the provider publishes a new key and
	// drops the old one.
	now = now.Add(2 * time.Minute)
	idp.publish("new", keys[1])
	idp.unpublish("old")
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, "new", keys[1], validClaims())); err != nil {
		t.Fatalf("token with the rotated key refused: %v", err)
	}
	if n := idp.fetches(); n != 2 {
		t.Fatalf("fetches = %d, want 2 (initial + rotation)", n)
	}
	// The old key is gone from the set: its tokens no longer verify.
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, "old", keys[0], validClaims())); !IsAuthError(err) {
		t.Errorf("token of the retired key: err = %v, want a 401", err)
	}
	for range 3 {
		if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, "made-up", keys[1], validClaims())); !IsAuthError(err) {
			t.Errorf("unknown kid: err = %v, want a 401", err)
		}
	}
	if n := idp.fetches(); n != 2 {
		t.Errorf("fetches = %d after unknown kids within the refresh interval, want still 2", n)
	}
}

func TestOIDCReportsAnUnreachableProviderAsUnavailable(t *testing.T) {
	keys := testRSAKeys(t)
	idp := newTestIdP(t)
	v := newTestVerifier(t, idp, nil)
	idp.srv.Close()
	_, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], validClaims()))
	if !errors.Is(err, ErrJWKSUnavailable) || IsAuthError(err) {
		t.Errorf("err = %v, want ErrJWKSUnavailable (a 503, not the client's fault)", err)
	}
}

func TestAuthenticatorRoutesJWTsToTheVerifier(t *testing.T) {
	keys := testRSAKeys(t)
	idp := newTestIdP(t)
	idp.publish("rsa1", keys[0])
	a, err := New(Options{Clients: []Client{{ID: "demo", Key: testKey}}, Tokens: newTestVerifier(t, idp, nil)})
	if err != nil {
		t.Fatal(err)
	}
	// A JWT needs no hash: a used-up budget does not refuse it.
	p, err := a.Authenticate(context.Background(), "Bearer "+sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], validClaims()), &tokenBudget{})
	if err != nil || p.Method != MethodJWT {
		t.Fatalf("principal %+v, %v; want a JWT principal", p, err)
	}
	if p, err := a.Authenticate(context.Background(), "Bearer "+testKey, nil); err != nil || p.ClientID != "demo" {
		t.Fatalf("API key beside OIDC: %+v, %v", p, err)
	}
}

// A token whose azp names a configured client does not become that client:
// it would otherwise replay that client's idempotent answers (full account
// numbers included) and be one with it in the audit trail.
func TestATokenCannotTakeTheIdOfAConfiguredClient(t *testing.T) {
	keys := testRSAKeys(t)
	idp := newTestIdP(t)
	idp.publish("rsa1", keys[0])
	a, err := New(Options{Clients: []Client{{ID: "demo", Key: testKey}}, Tokens: newTestVerifier(t, idp, nil)})
	if err != nil {
		t.Fatal(err)
	}
	c := validClaims()
	c["azp"] = "demo"
	p, err := a.Authenticate(context.Background(), "Bearer "+sign(t, jwt.SigningMethodRS256, "rsa1", keys[0], c), nil)
	if err != nil || p.ClientID != "oidc:demo" {
		t.Fatalf("principal %+v, %v; want oidc:demo", p, err)
	}
	if _, err := New(Options{Clients: []Client{{ID: "oidc:demo", Key: testKey}}}); err == nil {
		t.Error("a configured client id with ':' was accepted; it could equal a token's client id")
	}
}

func TestNewOIDCVerifierRefusesIncompleteOrUnsafeOptions(t *testing.T) {
	for name, o := range map[string]OIDCOptions{
		"no issuer":   {Audience: "a", JWKSURL: "https://idp/certs"},
		"no audience": {Issuer: "i", JWKSURL: "https://idp/certs"},
		"no jwks":     {Issuer: "i", Audience: "a"},
		"bad url":     {Issuer: "i", Audience: "a", JWKSURL: "ftp://idp/certs"},
		"HS256":       {Issuer: "i", Audience: "a", JWKSURL: "https://idp/certs", Algorithms: []string{"HS256"}},
		"none":        {Issuer: "i", Audience: "a", JWKSURL: "https://idp/certs", Algorithms: []string{"none"}},
	} {
		if _, err := NewOIDCVerifier(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
