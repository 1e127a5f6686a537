package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Client is one configured client of the proxy.
type Client struct {
	// ID names the client in logs, audit records and the Basic user name.
	ID string
	// SecretHash is an argon2id or bcrypt hash of the client's secret; the
	// secret is accepted as a Bearer API key and as the Basic password.
	SecretHash string
	// Key is a plain API key (the demo's, or legacy auth.api_keys); only
	// its SHA-256 is kept. It is accepted the same ways as a secret.
	Key    string
	Scopes []string
}

// Method says how a principal authenticated.
type Method string

const (
	MethodAPIKey Method = "api_key"
	MethodBasic  Method = "basic"
	MethodJWT    Method = "jwt"
)

// Principal is an authenticated caller.
type Principal struct {
	ClientID string
	Scopes   []string
	Method   Method
}

// HasScope reports whether the principal holds scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

// Error is a refused authentication. Its message is safe to show to the
// caller: it never quotes what was sent.
type Error struct {
	// Scheme is the scheme the caller tried ("Bearer" or "Basic"), or ""
	// when no usable credentials were sent.
	Scheme string
	// Expired marks a JWT that was valid but has expired (the challenge
	// says so, so that a client knows to fetch a new token).
	Expired bool
	Message string
}

func (e *Error) Error() string { return e.Message }

// Missing reports whether the request carried no credentials at all
// (RFC 6750: then the challenge carries no error code).
func (e *Error) Missing() bool { return e.Scheme == "" }

// TokenVerifier checks a JWT and returns its principal; *OIDCVerifier is one.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// Options configure an Authenticator.
type Options struct {
	Clients []Client
	// CacheTTL is how long a successful hash verification is remembered
	// (default 5m; negative disables the cache).
	CacheTTL time.Duration
	// Tokens, when set, verifies Bearer credentials that look like JWTs.
	Tokens TokenVerifier
	// MaxConcurrentHashes bounds simultaneous hash computations (default
	// GOMAXPROCS): a flood of bad credentials cannot take every CPU or
	// allocate argon2's memory without bound.
	MaxConcurrentHashes int
}

// Authenticator checks the credentials of requests. It is safe for
// concurrent use.
type Authenticator struct {
	clients []client
	byID    map[string]int
	tokens  TokenVerifier
	cache   *verifiedCache
	slots   chan struct{}
	// decoy is checked for Basic logins with an unknown client id, at the
	// cost of the first client's hash; nil when no client has a hash
	// (then every check is cheap, and so is a Bearer credential that is
	// no plain key).
	decoy *secretHash
	// check computes one hash verification (tests count the calls).
	check func(h *secretHash, secret string) bool
}

type client struct {
	id     string
	scopes []string
	hash   *secretHash       // nil for a plain key
	digest [sha256.Size]byte // SHA-256 of a plain key
}

// defaultCacheTTL bounds how long a revoked secret keeps working after a
// restart is not needed: the cache lives in memory only and is rebuilt
// from the configuration at start.
const defaultCacheTTL = 5 * time.Minute

// New validates the clients and returns an Authenticator. Plain keys are
// hashed (SHA-256) here and not kept.
func New(o Options) (*Authenticator, error) {
	a := &Authenticator{byID: map[string]int{}, tokens: o.Tokens, check: (*secretHash).verify}
	for i, c := range o.Clients {
		if c.ID == "" {
			return nil, fmt.Errorf("auth: client %d has no id", i)
		}
		if strings.Contains(c.ID, ":") {
			// Basic could not name it, and it could equal the id of a
			// token's principal (TokenClientPrefix).
			return nil, fmt.Errorf("auth: client id %q contains ':'", c.ID)
		}
		if _, dup := a.byID[c.ID]; dup {
			return nil, fmt.Errorf("auth: client id %q is used twice", c.ID)
		}
		cl := client{id: c.ID, scopes: slices.Clone(c.Scopes)}
		switch {
		case c.SecretHash != "" && c.Key != "":
			return nil, fmt.Errorf("auth: client %q has both a secret hash and a plain key", c.ID)
		case c.SecretHash != "":
			h, err := parseSecretHash(c.SecretHash)
			if err != nil {
				return nil, fmt.Errorf("auth: client %q: %w", c.ID, err)
			}
			cl.hash = &h
			if a.decoy == nil {
				d, err := decoy(h)
				if err != nil {
					return nil, fmt.Errorf("auth: client %q: %w", c.ID, err)
				}
				a.decoy = &d
			}
		case c.Key != "":
			cl.digest = sha256.Sum256([]byte(c.Key))
		default:
			return nil, fmt.Errorf("auth: client %q has neither a secret hash nor a key", c.ID)
		}
		a.byID[c.ID] = len(a.clients)
		a.clients = append(a.clients, cl)
	}
	ttl := o.CacheTTL
	if ttl == 0 {
		ttl = defaultCacheTTL
	}
	if ttl > 0 {
		a.cache = newVerifiedCache(ttl, time.Now)
	}
	n := o.MaxConcurrentHashes
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	a.slots = make(chan struct{}, n)
	return a, nil
}

// Budget admits the attempts that need a fresh secret-hash computation
// (argon2id or bcrypt), e.g. the failed logins of one remote address. It
// must be safe for concurrent use: requests from one address run at once.
type Budget interface {
	// Reserve spends one attempt before any hash is computed; false
	// refuses the attempt (Authenticate then returns ErrThrottled).
	Reserve() bool
	// Refund gives back the attempt of a secret that turned out right.
	Refund()
}

// ErrThrottled says a credential would have needed a fresh hash
// computation while the Budget allowed none (a 429, not a 401: the
// credential was not judged).
var ErrThrottled = errors.New("auth: too many failed secret checks; no fresh one is allowed for now")

// Authenticate checks the value of an Authorization header. It returns the
// principal, or an *Error (401) when the credentials are missing or wrong,
// ErrThrottled when budget allowed no hash computation, or ctx's error when
// ctx ended while waiting to compute a hash. A nil budget allows all.
//
// Cost: a plain key or a cached credential costs a few SHA-256 digests; an
// uncached secret costs one hash per client with a secret hash (Bearer) or
// one hash (Basic); a JWT costs one signature check (and, for a new key id,
// a JWKS fetch).
//
// Only the hash computations draw on budget. A budget that is used up
// (someone keeps failing from the address) therefore still lets through
// plain API keys, secrets verified before (cache) and JWTs, so that other
// clients behind the same address are not locked out. This does not help
// guessing: guessing a hashed secret always needs a fresh hash, which the
// budget refuses; a plain key, a secret's cache entry or a JWT signature
// cannot be guessed in any number of attempts (long random keys, SHA-256
// digests, provider signatures), so an unlimited number of cheap wrong
// answers teaches an attacker nothing.
func (a *Authenticator) Authenticate(ctx context.Context, authorization string, budget Budget) (Principal, error) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(authorization), " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		if a.tokens != nil && looksLikeJWT(cred) {
			return a.tokens.Verify(ctx, cred)
		}
		return a.bearer(ctx, cred, budget)
	case strings.EqualFold(scheme, "Basic") && cred != "":
		return a.basic(ctx, cred, budget)
	}
	return Principal{}, &Error{Message: "send credentials: Authorization: Bearer <api key or token>, or Basic <client id:secret>"}
}

// looksLikeJWT reports whether a Bearer credential is a compact JWS
// (header.payload.signature); API keys and secrets are single tokens.
func looksLikeJWT(s string) bool {
	return strings.Count(s, ".") == 2 && strings.HasPrefix(s, "eyJ")
}

var errBadAPIKey = &Error{Scheme: "Bearer", Message: "the API key is not valid"}

func (a *Authenticator) bearer(ctx context.Context, key string, budget Budget) (Principal, error) {
	if i, ok := a.plainKey(key); ok {
		return a.principal(i, MethodAPIKey), nil
	}
	ck := cacheKey("bearer", "", key)
	if i, ok := a.cache.get(ck); ok {
		return a.principal(i, MethodAPIKey), nil
	}
	if a.decoy == nil {
		return Principal{}, errBadAPIKey // no client has a hash: nothing left could match
	}
	i, err := a.fresh(budget, func() (int, error) {
		for i := range a.clients {
			if a.clients[i].hash == nil {
				continue
			}
			ok, err := a.verify(ctx, a.clients[i].hash, key)
			if err != nil || ok {
				return i, err
			}
		}
		return -1, nil
	})
	if err != nil {
		return Principal{}, err
	}
	if i < 0 {
		return Principal{}, errBadAPIKey
	}
	a.cache.put(ck, i)
	return a.principal(i, MethodAPIKey), nil
}

// plainKey compares key with every plain key, in constant time, so the
// answer time tells neither how much of a key was right nor which matched.
func (a *Authenticator) plainKey(key string) (int, bool) {
	digest := sha256.Sum256([]byte(key))
	match := -1
	for i := range a.clients {
		if a.clients[i].hash == nil && subtle.ConstantTimeCompare(digest[:], a.clients[i].digest[:]) == 1 {
			match = i
		}
	}
	return match, match >= 0
}

var errBadBasic = &Error{Scheme: "Basic", Message: "the client id or secret is not valid"}

func (a *Authenticator) basic(ctx context.Context, cred string, budget Budget) (Principal, error) {
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return Principal{}, &Error{Scheme: "Basic", Message: "the Basic credentials are not valid base64"}
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Principal{}, &Error{Scheme: "Basic", Message: "the Basic credentials must be client id:secret"}
	}
	if secret == "" {
		return Principal{}, errBadBasic
	}
	i, known := a.byID[id]
	h := a.decoy
	if known {
		c := &a.clients[i]
		if c.hash == nil {
			digest := sha256.Sum256([]byte(secret))
			if subtle.ConstantTimeCompare(digest[:], c.digest[:]) != 1 {
				return Principal{}, errBadBasic
			}
			return a.principal(i, MethodBasic), nil
		}
		if j, ok := a.cache.get(cacheKey("basic", id, secret)); ok && j == i {
			return a.principal(i, MethodBasic), nil
		}
		h = c.hash
	}
	if h == nil {
		return Principal{}, errBadBasic // no client has a hash: no time to equal
	}
	// An unknown id costs a hash like a known one (no oracle for which ids
	// exist), and draws on the budget like one.
	match, err := a.fresh(budget, func() (int, error) {
		ok, err := a.verify(ctx, h, secret)
		if err != nil || !ok || !known {
			return -1, err
		}
		return i, nil
	})
	if err != nil {
		return Principal{}, err
	}
	if match < 0 {
		return Principal{}, errBadBasic
	}
	a.cache.put(cacheKey("basic", id, secret), i)
	return a.principal(i, MethodBasic), nil
}

// fresh runs check, which computes hashes, within budget: the attempt is
// reserved before the first hash (so concurrent attempts cannot all pass
// a budget that has room for one) and refunded when check found a client.
// An attempt that ends otherwise, also by ctx, keeps its reservation: the
// hashes it computed are spent.
func (a *Authenticator) fresh(budget Budget, check func() (int, error)) (int, error) {
	if budget != nil && !budget.Reserve() {
		return -1, ErrThrottled
	}
	i, err := check()
	if budget != nil && err == nil && i >= 0 {
		budget.Refund()
	}
	return i, err
}

// verify computes one hash, waiting for a free slot.
func (a *Authenticator) verify(ctx context.Context, h *secretHash, secret string) (bool, error) {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-a.slots }()
	return a.check(h, secret), nil
}

func (a *Authenticator) principal(i int, m Method) Principal {
	c := &a.clients[i]
	return Principal{ClientID: c.id, Scopes: slices.Clone(c.scopes), Method: m}
}

// IsAuthError reports whether err is a refused authentication (401) rather
// than an infrastructure failure.
func IsAuthError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// cacheKey is the SHA-256 of what was presented: the cache never holds a
// secret, and a memory dump of it yields nothing to log in with.
func cacheKey(kind, id, secret string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// verifiedCache remembers successful verifications for a while. A nil
// cache remembers nothing.
type verifiedCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	now     func() time.Time
	entries map[[sha256.Size]byte]cached
}

type cached struct {
	client  int
	expires time.Time
}

// maxCached bounds the cache: only successful verifications enter it, so
// it holds at most a few entries per client in practice.
const maxCached = 4096

func newVerifiedCache(ttl time.Duration, now func() time.Time) *verifiedCache {
	return &verifiedCache{ttl: ttl, now: now, entries: map[[sha256.Size]byte]cached{}}
}

func (c *verifiedCache) get(k [sha256.Size]byte) (int, bool) {
	if c == nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || !c.now().Before(e.expires) {
		delete(c.entries, k)
		return 0, false
	}
	return e.client, true
}

func (c *verifiedCache) put(k [sha256.Size]byte, client int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= maxCached {
		for key, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= maxCached {
			clear(c.entries)
		}
	}
	c.entries[k] = cached{client: client, expires: now.Add(c.ttl)}
}
