// Package idempotency stores the answers of write requests by their
// Idempotency-Key, so that a client repeating a request (after a timeout, a
// crash, a lost connection) gets the first answer instead of a second write.
// Two stores: Memory for one proxy instance, Redis for several. The HTTP
// side (proxy) decides what is stored; this package only keeps entries and
// claims keys atomically.
package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// State is where the request of an entry stands.
type State byte

const (
	// InFlight: an attempt holds the key until LeaseUntil; others get 409.
	// An attempt whose lease ran out (its instance died) counts as Unknown:
	// it may have written.
	InFlight State = 'F'
	// Done: the answer is final and is replayed.
	Done State = 'D'
	// Unknown: an attempt ended without a final answer (a 5xx, the client
	// went away): a write may have happened. The key may be claimed again
	// by the same request, which then looks for that write first.
	Unknown State = 'U'
)

// Response is a stored HTTP answer.
type Response struct {
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
}

// Entry is what a key holds.
type Entry struct {
	State State
	// Fingerprint identifies the request (method, path, query, body hash):
	// a key sent again with another request is refused. Fixed length
	// (FingerprintLen) so that the Redis script can compare it.
	Fingerprint string
	Response    *Response // State Done
	// UnknownSince is the start of the first attempt whose outcome is
	// unknown: of the attempt itself while InFlight, so that a lapsed lease
	// is an unknown outcome from then (zero if none).
	UnknownSince time.Time
	// LeaseUntil ends an InFlight attempt's hold on the key.
	LeaseUntil time.Time
}

// FingerprintLen is the length of Entry.Fingerprint (hex SHA-256).
const FingerprintLen = 64

// leaseLen is the width of the lease field: Unix milliseconds, zero-padded.
const leaseLen = 16

// ErrBadEntry reports a stored value that cannot be decoded.
var ErrBadEntry = errors.New("idempotency: undecodable entry")

// Store keeps entries by key (the proxy scopes keys per client). All
// methods are safe for concurrent use, also across processes for Redis.
type Store interface {
	// Claim gives the caller the key for a new attempt, storing e (state
	// InFlight, with its LeaseUntil) for ttl, when the key is free, or
	// holds an Unknown entry or an InFlight one whose lease ran out, with
	// the same fingerprint. It returns the entry the key held before (ok
	// false if none) and whether the caller now holds the key.
	Claim(ctx context.Context, key string, e Entry, ttl time.Duration) (prev Entry, ok, claimed bool, err error)
	// Get returns the entry of key (ok false if none).
	Get(ctx context.Context, key string) (e Entry, ok bool, err error)
	// Put replaces the entry of key, keeping it for ttl.
	Put(ctx context.Context, key string, e Entry, ttl time.Duration) error
	// Delete forgets key.
	Delete(ctx context.Context, key string) error
}

// payload is the part of an entry after state and fingerprint.
type payload struct {
	Response     *Response `json:"response,omitempty"`
	UnknownSince time.Time `json:"unknown_since,omitzero"`
}

// encode lays an entry out as state byte, fingerprint, lease end, JSON: a
// Redis script reads the first three without a JSON parser.
func encode(e Entry) (string, error) {
	if len(e.Fingerprint) != FingerprintLen {
		return "", fmt.Errorf("idempotency: fingerprint must be %d characters", FingerprintLen)
	}
	b, err := json.Marshal(payload{Response: e.Response, UnknownSince: e.UnknownSince})
	if err != nil {
		return "", err
	}
	var lease int64
	if !e.LeaseUntil.IsZero() {
		lease = e.LeaseUntil.UnixMilli()
	}
	return fmt.Sprintf("%c%s%0*d%s", e.State, e.Fingerprint, leaseLen, lease, b), nil
}

func decode(s string) (Entry, error) {
	const head = 1 + FingerprintLen + leaseLen
	if len(s) < head {
		return Entry{}, ErrBadEntry
	}
	lease, err := strconv.ParseInt(s[1+FingerprintLen:head], 10, 64)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrBadEntry, err)
	}
	var p payload
	if err := json.Unmarshal([]byte(s[head:]), &p); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrBadEntry, err)
	}
	e := Entry{State: State(s[0]), Fingerprint: s[1 : 1+FingerprintLen], Response: p.Response, UnknownSince: p.UnknownSince}
	if lease > 0 {
		e.LeaseUntil = time.UnixMilli(lease)
	}
	return e, nil
}

// claimable is the rule both stores apply in Claim.
func claimable(prev Entry, ok bool, fingerprint string, now time.Time) bool {
	if !ok {
		return true
	}
	lapsed := prev.State == InFlight && !now.Before(prev.LeaseUntil)
	return prev.Fingerprint == fingerprint && (prev.State == Unknown || lapsed)
}
