// Package auth decides who a request comes from: API keys (Bearer), HTTP
// Basic (client id + secret, what clients of the original module send) and
// JWTs from an OpenID Connect provider. It knows nothing about HTTP routing;
// package proxy turns its answers into 401/403 responses.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// argon2id cost of new hashes: OWASP's minimum for argon2id (19 MiB, two
// passes, one lane). A verification costs a few tens of milliseconds, which
// is why successful verifications are cached (see Authenticator).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// Hash limits accepted when verifying: a configured hash with absurd
// parameters would make every request cost seconds or gigabytes.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 16
	maxArgonThreads   = 16
)

// ErrMalformedHash says a configured secret hash is neither an argon2id PHC
// string nor a bcrypt hash.
var ErrMalformedHash = errors.New("secret hash must be an argon2id ($argon2id$...) or bcrypt ($2a$/$2b$/$2y$...) hash")

// HashSecret returns an argon2id hash of secret in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$key) with a random salt. This is
// what `g2p-bank-proxy hash-secret` prints for the configuration.
func HashSecret(secret string) (string, error) {
	if secret == "" {
		return "", errors.New("the secret is empty")
	}
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go ≥ 1.24)
	key := argon2.IDKey([]byte(secret), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// secretHash is a parsed configured hash.
type secretHash struct {
	bcrypt []byte // the whole bcrypt hash, or nil for argon2id
	// argon2id parameters
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// ParseSecretHash checks a configured hash without verifying anything, so
// that a typo in the configuration is reported at start-up.
func ParseSecretHash(hash string) error {
	_, err := parseSecretHash(hash)
	return err
}

func parseSecretHash(hash string) (secretHash, error) {
	switch {
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return secretHash{}, fmt.Errorf("%w: %v", ErrMalformedHash, err)
		}
		return secretHash{bcrypt: []byte(hash)}, nil
	case strings.HasPrefix(hash, "$argon2id$"):
		return parseArgon2id(hash)
	}
	return secretHash{}, ErrMalformedHash
}

// parseArgon2id reads $argon2id$v=19$m=M,t=T,p=P$salt$key.
func parseArgon2id(hash string) (secretHash, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 {
		return secretHash{}, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return secretHash{}, fmt.Errorf("%w: argon2 version must be v=%d", ErrMalformedHash, argon2.Version)
	}
	var h secretHash
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &h.threads); err != nil {
		return secretHash{}, fmt.Errorf("%w: parameters must read m=...,t=...,p=...", ErrMalformedHash)
	}
	if h.memory < 8*uint32(h.threads) || h.memory > maxArgonMemoryKiB || h.time < 1 || h.time > maxArgonTime ||
		h.threads < 1 || h.threads > maxArgonThreads {
		return secretHash{}, fmt.Errorf("%w: argon2id parameters out of range (m ≤ %d KiB, 1 ≤ t ≤ %d, 1 ≤ p ≤ %d)",
			ErrMalformedHash, maxArgonMemoryKiB, maxArgonTime, maxArgonThreads)
	}
	b64 := base64.RawStdEncoding
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return secretHash{}, fmt.Errorf("%w: bad salt", ErrMalformedHash)
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return secretHash{}, fmt.Errorf("%w: bad key", ErrMalformedHash)
	}
	return h, nil
}

// verify reports whether secret matches. Both algorithms compare in
// constant time.
func (h secretHash) verify(secret string) bool {
	if h.bcrypt != nil {
		return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(secret)) == nil
	}
	key := argon2.IDKey([]byte(secret), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// decoy returns a hash that costs as much to verify as h and that no
// known secret matches (random salt and key; for bcrypt, the hash of a
// random secret at h's cost). Secrets of unknown clients are checked
// against it, so the answer time does not tell which client ids exist.
func decoy(h secretHash) (secretHash, error) {
	if h.bcrypt != nil {
		cost, err := bcrypt.Cost(h.bcrypt)
		if err != nil {
			return secretHash{}, err
		}
		b, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
		return secretHash{bcrypt: b}, err
	}
	d := h
	d.salt, d.key = make([]byte, len(h.salt)), make([]byte, len(h.key))
	_, _ = rand.Read(d.salt) // crypto/rand.Read never fails (Go ≥ 1.24)
	_, _ = rand.Read(d.key)
	return d, nil
}

// VerifySecret reports whether secret matches hash (argon2id or bcrypt).
// It fails only when hash is malformed. It costs one full hash computation.
func VerifySecret(hash, secret string) (bool, error) {
	h, err := parseSecretHash(hash)
	if err != nil {
		return false, err
	}
	return h.verify(secret), nil
}
