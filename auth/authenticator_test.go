package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

const (
	testSecret = "enrolment-secret-0123456789"
	testKey    = "demo-plain-key-0123456789"
)

func basicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func newTestAuthenticator(t *testing.T) *Authenticator {
	t.Helper()
	h, err := HashSecret(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Clients: []Client{
		{ID: "enrolment", SecretHash: h, Scopes: []string{"registry:read", "registry:write"}},
		{ID: "demo", Key: testKey, Scopes: []string{"bank_accounts:read"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAuthenticateAcceptsEveryCredentialKind(t *testing.T) {
	a := newTestAuthenticator(t)
	tests := []struct {
		name, header string
		client       string
		method       Method
	}{
		{"hashed secret as Bearer key", "Bearer " + testSecret, "enrolment", MethodAPIKey},
		{"hashed secret with Basic", basicHeader("enrolment", testSecret), "enrolment", MethodBasic},
		{"plain key as Bearer", "Bearer " + testKey, "demo", MethodAPIKey},
		{"plain key with Basic", basicHeader("demo", testKey), "demo", MethodBasic},
		{"scheme is case-insensitive", "bearer " + testKey, "demo", MethodAPIKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := a.Authenticate(context.Background(), tt.header, nil)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if p.ClientID != tt.client || p.Method != tt.method || len(p.Scopes) == 0 {
				t.Errorf("principal = %+v, want client %s by %s with its scopes", p, tt.client, tt.method)
			}
		})
	}
}

func TestAuthenticateRefusesBadCredentials(t *testing.T) {
	a := newTestAuthenticator(t)
	tests := []struct {
		name, header, scheme string
	}{
		{"no header", "", ""},
		{"unknown scheme", "Digest abc", ""},
		{"empty bearer", "Bearer ", ""},
		{"wrong bearer key", "Bearer not-a-key", "Bearer"},
		{"wrong basic secret", basicHeader("enrolment", "wrong"), "Basic"},
		{"basic secret of another client", basicHeader("demo", testSecret), "Basic"},
		{"unknown basic client", basicHeader("nobody", testSecret), "Basic"},
		{"basic without colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("enrolment")), "Basic"},
		{"basic not base64", "Basic %%%", "Basic"},
		{"JWT-looking token without OIDC", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Authenticate(context.Background(), tt.header, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Scheme != tt.scheme || e.Missing() != (tt.scheme == "") {
				t.Errorf("scheme = %q missing=%v, want %q", e.Scheme, e.Missing(), tt.scheme)
			}
		})
	}
}

// After a successful verification the hash is not computed again until the
// cache entry expires: the test swaps the stored hash for one that matches
// nothing, so only the cache can still accept the secret.
func TestSuccessfulVerificationsAreCachedUntilTheyExpire(t *testing.T) {
	a := newTestAuthenticator(t)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	a.cache.now = func() time.Time { return now }
	ctx := context.Background()
	for _, header := range []string{"Bearer " + testSecret, basicHeader("enrolment", testSecret)} {
		if _, err := a.Authenticate(ctx, header, nil); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := parseSecretHash(mustHash(t, "something else"))
	a.clients[a.byID["enrolment"]].hash = &other
	for _, header := range []string{"Bearer " + testSecret, basicHeader("enrolment", testSecret)} {
		if _, err := a.Authenticate(ctx, header, nil); err != nil {
			t.Errorf("%s: refused within the cache TTL: %v", header[:6], err)
		}
	}
	for k := range a.cache.entries {
		if string(k[:]) == testSecret {
			t.Fatal("the cache is keyed by the secret itself")
		}
	}
	now = now.Add(defaultCacheTTL)
	for _, header := range []string{"Bearer " + testSecret, basicHeader("enrolment", testSecret)} {
		if _, err := a.Authenticate(ctx, header, nil); err == nil {
			t.Errorf("%s: accepted after the cache entry expired", header[:6])
		}
	}
}

func TestNewRefusesBadClients(t *testing.T) {
	h := mustHash(t, "x")
	for name, clients := range map[string][]Client{
		"no id":          {{SecretHash: h}},
		"duplicate id":   {{ID: "a", Key: "k1"}, {ID: "a", Key: "k2"}},
		"no secret":      {{ID: "a"}},
		"hash and key":   {{ID: "a", Key: "k", SecretHash: h}},
		"malformed hash": {{ID: "a", SecretHash: "plain"}},
	} {
		if _, err := New(Options{Clients: clients}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAuthenticateStopsWaitingWhenTheContextEnds(t *testing.T) {
	h := mustHash(t, testSecret)
	a, err := New(Options{Clients: []Client{{ID: "a", SecretHash: h}}, MaxConcurrentHashes: 1})
	if err != nil {
		t.Fatal(err)
	}
	a.slots <- struct{}{} // every slot busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Authenticate(ctx, "Bearer "+testSecret, nil); !errors.Is(err, context.Canceled) || IsAuthError(err) {
		t.Errorf("err = %v, want context.Canceled (not a 401)", err)
	}
}

func mustHash(t *testing.T, s string) string {
	t.Helper()
	h, err := HashSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// tokenBudget is a Budget of a fixed number of attempts.
type tokenBudget struct {
	mu     sync.Mutex
	tokens int
}

func (b *tokenBudget) Reserve() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens == 0 {
		return false
	}
	b.tokens--
	return true
}

func (b *tokenBudget) Refund() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens++
}

func (b *tokenBudget) left() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}

// countHashes replaces a's hash computation by a counter that matches
// secret only against the hash of the client named match.
func countHashes(a *Authenticator, match string, secret string) *atomic.Int64 {
	var n atomic.Int64
	want := a.clients[a.byID[match]].hash
	a.check = func(h *secretHash, s string) bool {
		n.Add(1)
		return h == want && s == secret
	}
	return &n
}

func TestAUsedUpBudgetRefusesOnlyFreshHashComputations(t *testing.T) {
	a := newTestAuthenticator(t)
	ctx := context.Background()
	if _, err := a.Authenticate(ctx, basicHeader("enrolment", testSecret), nil); err != nil {
		t.Fatal(err) // now in the cache
	}
	hashes := countHashes(a, "enrolment", testSecret)
	empty := &tokenBudget{}
	for _, header := range []string{"Bearer " + testKey, basicHeader("demo", testKey), basicHeader("enrolment", testSecret)} {
		if _, err := a.Authenticate(ctx, header, empty); err != nil {
			t.Errorf("%s… with the budget used up: %v, want accepted", header[:8], err)
		}
	}
	for _, header := range []string{"Bearer " + testSecret, "Bearer wrong-key", basicHeader("enrolment", "wrong")} {
		if _, err := a.Authenticate(ctx, header, empty); !errors.Is(err, ErrThrottled) || IsAuthError(err) {
			t.Errorf("%s… needing a fresh hash with the budget used up: %v, want ErrThrottled", header[:8], err)
		}
	}
	if _, err := a.Authenticate(ctx, basicHeader("demo", "wrong"), empty); !IsAuthError(err) {
		t.Errorf("a wrong plain key: %v, want a 401 (checked without a hash)", err)
	}
	if n := hashes.Load(); n != 0 {
		t.Errorf("%d hashes computed with the budget used up", n)
	}
}

func TestARightSecretGivesItsReservationBack(t *testing.T) {
	a := newTestAuthenticator(t)
	countHashes(a, "enrolment", testSecret)
	ctx := context.Background()
	b := &tokenBudget{tokens: 1}
	if _, err := a.Authenticate(ctx, basicHeader("enrolment", testSecret), b); err != nil || b.left() != 1 {
		t.Fatalf("right secret: %v, %d attempts left; want accepted and the attempt refunded", err, b.left())
	}
	if _, err := a.Authenticate(ctx, "Bearer wrong-key", b); !IsAuthError(err) || b.left() != 0 {
		t.Fatalf("wrong key: %v, %d attempts left; want a 401 that spent the attempt", err, b.left())
	}
	if _, err := a.Authenticate(ctx, basicHeader("enrolment", "wrong"), b); !errors.Is(err, ErrThrottled) {
		t.Fatalf("next wrong secret: %v, want ErrThrottled", err)
	}
}

// Concurrent attempts reserve before they hash: however many arrive at
// once, no more hashes are computed than the budget allows.
func TestConcurrentWrongSecretsCannotOverspendTheBudget(t *testing.T) {
	a := newTestAuthenticator(t)
	hashes := countHashes(a, "enrolment", testSecret)
	b := &tokenBudget{tokens: 3}
	var refused, throttled atomic.Int64
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.Authenticate(context.Background(), basicHeader("enrolment", fmt.Sprint("guess-", i)), b)
			switch {
			case errors.Is(err, ErrThrottled):
				throttled.Add(1)
			case IsAuthError(err):
				refused.Add(1)
			default:
				t.Errorf("guess %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if hashes.Load() != 3 || refused.Load() != 3 || throttled.Load() != 47 {
		t.Errorf("%d hashes, %d refused, %d throttled; want 3, 3, 47", hashes.Load(), refused.Load(), throttled.Load())
	}
}

// A Basic login with an unknown client id is checked against a decoy of
// the same cost as the configured hash, so its answer takes as long as one
// for a known id and tells nothing about which ids exist.
func TestUnknownBasicClientsAreCheckedAgainstADecoyOfTheSameCost(t *testing.T) {
	a := newTestAuthenticator(t)
	var checked []*secretHash
	a.check = func(h *secretHash, _ string) bool {
		checked = append(checked, h)
		return true // even a match must not let an unknown id in
	}
	if _, err := a.Authenticate(context.Background(), basicHeader("nobody", testSecret), nil); !IsAuthError(err) {
		t.Fatalf("unknown client: %v, want a 401", err)
	}
	if len(checked) != 1 || checked[0] != a.decoy {
		t.Fatalf("hashes checked for an unknown client: %d (decoy: %v), want the decoy once", len(checked), len(checked) == 1 && checked[0] == a.decoy)
	}
	configured := a.clients[a.byID["enrolment"]].hash
	d := a.decoy
	if d.memory != configured.memory || d.time != configured.time || d.threads != configured.threads || len(d.key) != len(configured.key) ||
		len(d.salt) != len(configured.salt) || bytes.Equal(d.salt, configured.salt) || bytes.Equal(d.key, configured.key) {
		t.Errorf("decoy %+v does not cost what %+v costs, or copies its salt or key", d, configured)
	}

	hash, err := bcrypt.GenerateFromPassword([]byte(testSecret), bcrypt.MinCost+1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{Clients: []Client{{ID: "legacy", SecretHash: string(hash)}}})
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost(b.decoy.bcrypt); err != nil || cost != bcrypt.MinCost+1 {
		t.Errorf("bcrypt decoy cost %d (%v), want %d", cost, err, bcrypt.MinCost+1)
	}

	plain, err := New(Options{Clients: []Client{{ID: "demo", Key: testKey}}})
	if err != nil {
		t.Fatal(err)
	}
	plain.check = func(*secretHash, string) bool { t.Error("a hash was computed without any hashed client"); return false }
	if _, err := plain.Authenticate(context.Background(), basicHeader("nobody", testKey), nil); !IsAuthError(err) {
		t.Errorf("unknown client among plain keys: %v, want a 401", err)
	}
}
