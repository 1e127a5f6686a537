package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// ErrJWKSUnavailable wraps a failed fetch of the provider's keys when no
// cached key can verify the token: the caller is not at fault (503).
var ErrJWKSUnavailable = errors.New("the identity provider's signing keys could not be fetched")

// minRSABits refuses toy RSA keys published by a misconfigured provider.
const minRSABits = 2048

// maxJWKSBytes bounds the key-set document.
const maxJWKSBytes = 1 << 20

// publicKey is one usable signing key of the set.
type publicKey struct {
	key crypto.PublicKey
	alg string // the JWK's "alg", "" when the provider does not pin one
}

// keySet is a cached JWKS. A key id it does not know triggers a refetch
// (the provider rotated its keys), at most once per minRefresh, so that
// tokens with made-up key ids cannot make the proxy hammer the provider.
// The whole set is also refetched when older than ttl; when that fails the
// old keys stay in use.
type keySet struct {
	url        string
	client     *http.Client
	ttl        time.Duration
	minRefresh time.Duration
	now        func() time.Time

	mu          sync.Mutex // held during a fetch: concurrent callers wait for its result
	keys        map[string]publicKey
	fetched     time.Time // last successful fetch
	lastAttempt time.Time
	fetches     int
}

// lookup returns the key for kid ("" when the token names none: only a set
// with a single key can answer that).
func (k *keySet) lookup(ctx context.Context, kid string) (publicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	key, known := k.find(kid)
	stale := k.fetched.IsZero() || now.Sub(k.fetched) >= k.ttl
	if known && !stale {
		return key, nil
	}
	var fetchErr error
	if k.lastAttempt.IsZero() || now.Sub(k.lastAttempt) >= k.minRefresh {
		fetchErr = k.fetch(ctx)
		key, known = k.find(kid)
	}
	switch {
	case known:
		return key, nil
	case fetchErr != nil:
		return publicKey{}, fmt.Errorf("%w: %v", ErrJWKSUnavailable, fetchErr)
	case k.fetched.IsZero():
		return publicKey{}, ErrJWKSUnavailable
	}
	return publicKey{}, &Error{Scheme: "Bearer", Message: "the token is signed with a key the identity provider does not publish"}
}

func (k *keySet) find(kid string) (publicKey, bool) {
	if kid == "" {
		if len(k.keys) != 1 {
			return publicKey{}, false
		}
		for _, key := range k.keys {
			return key, true
		}
	}
	key, ok := k.keys[kid]
	return key, ok
}

// jwkJSON is one key of a JWKS document (RFC 7517/7518).
type jwkJSON struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// fetch replaces the keys by the provider's current set. Called with mu held.
func (k *keySet) fetch(ctx context.Context) error {
	k.lastAttempt = k.now()
	k.fetches++
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", k.url, resp.StatusCode)
	}
	var doc struct {
		Keys []jwkJSON `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSBytes)).Decode(&doc); err != nil {
		return fmt.Errorf("GET %s: %w", k.url, err)
	}
	keys := map[string]publicKey{}
	for _, j := range doc.Keys {
		if j.Use != "" && j.Use != "sig" {
			continue // encryption keys never verify a signature
		}
		pk, err := j.publicKey()
		if err != nil {
			continue // one odd key (e.g. a kty we do not use) must not hide the others
		}
		keys[j.Kid] = publicKey{key: pk, alg: j.Alg}
	}
	if len(keys) == 0 {
		return fmt.Errorf("GET %s: no usable RSA or EC signing key", k.url)
	}
	k.keys = keys
	k.fetched = k.now()
	return nil
}

func (j jwkJSON) publicKey() (crypto.PublicKey, error) {
	b64 := base64.RawURLEncoding
	switch j.Kty {
	case "RSA":
		n, err1 := b64.DecodeString(j.N)
		e, err2 := b64.DecodeString(j.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA key")
		}
		key := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if key.N.BitLen() < minRSABits || key.E < 3 {
			return nil, errors.New("RSA key too weak")
		}
		return key, nil
	case "EC":
		var curve elliptic.Curve
		switch j.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, errors.New("unsupported curve")
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err1 := b64.DecodeString(j.X)
		y, err2 := b64.DecodeString(j.Y)
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, errors.New("bad EC key")
		}
		// The parser checks that the point is on the curve (an invalid
		// point is a classic key-confusion attack).
		return ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	}
	return nil, errors.New("unsupported key type")
}
