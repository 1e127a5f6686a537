package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// OIDCOptions say which tokens of an OpenID Connect provider (e.g. a
// Keycloak realm) are accepted.
type OIDCOptions struct {
	Issuer   string // exact "iss", e.g. https://keycloak/realms/openspp
	Audience string // required in "aud" (Keycloak: add an audience mapper)
	JWKSURL  string // the provider's jwks_uri
	// ScopeClaim names the claim holding the scopes: a space-separated
	// string ("scope", the default) or an array; a dotted path reaches
	// into objects (resource_access.g2p-bank-proxy.roles).
	ScopeClaim string
	// ClientIDClaim names the claim that identifies the client in logs
	// and audit records (default "azp", then client_id, then sub), after
	// TokenClientPrefix.
	ClientIDClaim string
	// Algorithms accepted (default: RS256/384/512, PS256/384/512,
	// ES256/384/512). HMAC and "none" are never accepted: the key set is
	// public.
	Algorithms []string
	// KnownScopes, when set, drops every other scope from tokens (OIDC
	// tokens carry "openid profile email" and the like).
	KnownScopes []string
	Leeway      time.Duration // clock skew allowed on exp/nbf/iat (default 30s)
	CacheTTL    time.Duration // key set refetched when older (default 10m)
	// MinRefresh is the shortest interval between two fetches of the key
	// set caused by unknown key ids (default 30s).
	MinRefresh time.Duration
	HTTPClient *http.Client // default: 10s timeout, system roots
}

// DefaultAlgorithms are the asymmetric algorithms accepted by default.
var DefaultAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

// TokenClientPrefix starts the client id of every JWT principal
// ("oidc:payments"). The provider decides what azp or sub says; without
// the prefix a token naming a configured client ("full") would share that
// client's idempotency answers, rate bucket and audit identity. Configured
// ids cannot contain ':' (New refuses them), so the two never meet.
const TokenClientPrefix = "oidc:"

// OIDCVerifier verifies JWTs of one OpenID Connect provider. It is safe
// for concurrent use.
type OIDCVerifier struct {
	o      OIDCOptions
	keys   *keySet
	parser *jwt.Parser
}

// NewOIDCVerifier validates the options; it does not contact the provider
// (the key set is fetched with the first token).
func NewOIDCVerifier(o OIDCOptions) (*OIDCVerifier, error) {
	if o.Issuer == "" || o.Audience == "" || o.JWKSURL == "" {
		return nil, errors.New("auth: oidc needs issuer, audience and jwks_url")
	}
	if u, err := url.Parse(o.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("auth: oidc jwks_url %q is not an http(s) URL", o.JWKSURL)
	}
	if len(o.Algorithms) == 0 {
		o.Algorithms = DefaultAlgorithms
	}
	for _, alg := range o.Algorithms {
		if !slices.Contains(DefaultAlgorithms, alg) {
			return nil, fmt.Errorf("auth: oidc algorithm %q is not accepted (use %s)", alg, strings.Join(DefaultAlgorithms, ", "))
		}
	}
	if o.ScopeClaim == "" {
		o.ScopeClaim = "scope"
	}
	if o.ClientIDClaim == "" {
		o.ClientIDClaim = "azp"
	}
	if o.Leeway == 0 {
		o.Leeway = 30 * time.Second
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 10 * time.Minute
	}
	if o.MinRefresh <= 0 {
		o.MinRefresh = 30 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	v := &OIDCVerifier{o: o}
	v.keys = &keySet{url: o.JWKSURL, client: o.HTTPClient, ttl: o.CacheTTL, minRefresh: o.MinRefresh, now: time.Now}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(o.Algorithms),
		jwt.WithIssuer(o.Issuer),
		jwt.WithAudience(o.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(o.Leeway),
	)
	return v, nil
}

// Verify checks the token's signature (with the provider's published key
// named by its kid), issuer, audience and lifetime, and returns the
// principal with the scopes of the configured claim. A bad token is an
// *Error; a key set that cannot be fetched is ErrJWKSUnavailable.
func (v *OIDCVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	var fetchErr error
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, err := v.keys.lookup(ctx, kid)
		if err != nil {
			fetchErr = err
			return nil, err
		}
		if key.alg != "" && key.alg != t.Method.Alg() {
			return nil, errors.New("the key is published for another algorithm")
		}
		if !keyFits(t.Method.Alg(), key) {
			return nil, errors.New("the key does not fit the algorithm")
		}
		return key.key, nil
	})
	if err != nil {
		if errors.Is(fetchErr, ErrJWKSUnavailable) {
			return Principal{}, fetchErr
		}
		if e := (*Error)(nil); errors.As(fetchErr, &e) {
			return Principal{}, e
		}
		return Principal{}, tokenError(err)
	}
	id := v.clientID(claims)
	if id == "" {
		return Principal{}, &Error{Scheme: "Bearer", Message: "the token names no client (" + v.o.ClientIDClaim + ", client_id or sub)"}
	}
	return Principal{ClientID: TokenClientPrefix + id, Scopes: v.scopes(claims), Method: MethodJWT}, nil
}

// tokenError turns a parser error into a message that says what is wrong
// without echoing the token.
func tokenError(err error) *Error {
	e := &Error{Scheme: "Bearer"}
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		e.Message, e.Expired = "the token has expired", true
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		e.Message = "the token is not meant for this service (audience)"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		e.Message = "the token comes from another issuer"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		e.Message = "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		e.Message = "the token lacks a required claim (exp, iss or aud)"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		e.Message = "the token's signature or algorithm is not accepted"
	default:
		e.Message = "the token is not valid"
	}
	return e
}

// keyFits checks the key type (and curve) against the algorithm, so that a
// provider key of one kind cannot be used for another algorithm.
func keyFits(alg string, k publicKey) bool {
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		return want != nil && key.Curve == want
	}
	return false
}

func (v *OIDCVerifier) clientID(c jwt.MapClaims) string {
	for _, name := range []string{v.o.ClientIDClaim, "client_id", "sub"} {
		if s, ok := c[name].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// scopes reads the configured claim: "a b c" or ["a","b","c"].
func (v *OIDCVerifier) scopes(c jwt.MapClaims) []string {
	var val any = map[string]any(c)
	for _, part := range strings.Split(v.o.ScopeClaim, ".") {
		m, ok := val.(map[string]any)
		if !ok {
			return nil
		}
		val = m[part]
	}
	var out []string
	switch s := val.(type) {
	case string:
		out = strings.Fields(s)
	case []any:
		for _, x := range s {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
	}
	if len(v.o.KnownScopes) > 0 {
		out = slices.DeleteFunc(out, func(s string) bool { return !slices.Contains(v.o.KnownScopes, s) })
	}
	return out
}
