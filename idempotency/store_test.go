package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency/redistest"
)

func fp(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// stores runs f against every Store implementation.
func stores(t *testing.T, f func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) { f(t, NewMemory()) })
	t.Run("redis", func(t *testing.T) { f(t, NewRedis(redistest.Start(t), "test:")) })
}

func TestStoreClaimRules(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		a, b := fp("request a"), fp("request b")
		claim := func(f string) (Entry, bool, bool) {
			t.Helper()
			prev, ok, claimed, err := s.Claim(ctx, "k", Entry{State: InFlight, Fingerprint: f, LeaseUntil: time.Now().Add(time.Minute)}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return prev, ok, claimed
		}
		if _, ok, claimed := claim(a); ok || !claimed {
			t.Fatalf("free key: ok=%v claimed=%v, want claimed", ok, claimed)
		}
		if prev, ok, claimed := claim(a); !ok || claimed || prev.State != InFlight {
			t.Fatalf("in-flight key: %+v ok=%v claimed=%v, want the in-flight entry, not claimed", prev, ok, claimed)
		}
		since := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		if err := s.Put(ctx, "k", Entry{State: Unknown, Fingerprint: a, UnknownSince: since}, time.Hour); err != nil {
			t.Fatal(err)
		}
		if prev, _, claimed := claim(b); claimed || prev.State != Unknown {
			t.Fatalf("unknown entry claimed by another request: %+v %v", prev, claimed)
		}
		if prev, ok, claimed := claim(a); !ok || !claimed || !prev.UnknownSince.Equal(since) {
			t.Fatalf("unknown entry, same request: %+v ok=%v claimed=%v; want claimed with the first start", prev, ok, claimed)
		}
		resp := &Response{Status: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"id":7}`)}
		if err := s.Put(ctx, "k", Entry{State: Done, Fingerprint: a, Response: resp}, time.Hour); err != nil {
			t.Fatal(err)
		}
		prev, ok, claimed := claim(a)
		if !ok || claimed || prev.State != Done || prev.Response.Status != 201 || string(prev.Response.Body) != `{"id":7}` ||
			prev.Response.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("done entry: %+v ok=%v claimed=%v, want the stored response", prev, ok, claimed)
		}
		if err := s.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if _, ok, claimed := claim(b); ok || !claimed {
			t.Fatalf("deleted key: ok=%v claimed=%v, want free", ok, claimed)
		}
	})
}

// An attempt whose instance died: once its lease lapses, the same request
// may claim the key, and learns that the dead attempt's outcome is unknown
// since it started; another request still may not.
func TestStoreLapsedLeaseIsAnUnknownOutcome(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		started := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		dead := Entry{State: InFlight, Fingerprint: fp("x"), UnknownSince: started, LeaseUntil: time.Now().Add(30 * time.Millisecond)}
		if _, _, claimed, err := s.Claim(ctx, "k", dead, time.Hour); err != nil || !claimed {
			t.Fatal(claimed, err)
		}
		next := Entry{State: InFlight, Fingerprint: fp("x"), LeaseUntil: time.Now().Add(time.Minute)}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if _, _, claimed, _ := s.Claim(ctx, "k", Entry{State: InFlight, Fingerprint: fp("other"), LeaseUntil: next.LeaseUntil}, time.Hour); claimed {
				t.Fatal("another request claimed a key whose attempt may have written")
			}
			prev, _, claimed, err := s.Claim(ctx, "k", next, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if claimed {
				if prev.State != InFlight || !prev.UnknownSince.Equal(started) {
					t.Errorf("previous entry %+v, want the dead attempt with its start", prev)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("a lapsed lease still holds the key")
			}
		}
	})
}

func TestStoreClaimIsExclusive(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		var winners atomic.Int64
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				_, _, claimed, err := s.Claim(context.Background(), "race", Entry{State: InFlight, Fingerprint: fp("r"), LeaseUntil: time.Now().Add(time.Minute)}, time.Hour)
				if err != nil {
					t.Error(err)
				}
				if claimed {
					winners.Add(1)
				}
			})
		}
		wg.Wait()
		if winners.Load() != 1 {
			t.Errorf("%d concurrent claims won, want 1", winners.Load())
		}
	})
}

func TestRedisLockerExcludesAndReleases(t *testing.T) {
	client := redistest.Start(t)
	a, b := NewRedisLocker(client, "test:", 5*time.Second), NewRedisLocker(client, "test:", 5*time.Second)
	var inside, maxInside atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			unlock, err := l.Lock(context.Background(), "bank")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for m := maxInside.Load(); n > m && !maxInside.CompareAndSwap(m, n); m = maxInside.Load() {
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
			unlock() // twice is harmless
		})
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Errorf("%d holders at once, want 1", maxInside.Load())
	}
}

func TestRedisLockerGivesUpAndNeverReleasesAnothersLock(t *testing.T) {
	client := redistest.Start(t)
	short := NewRedisLocker(client, "test:", 50*time.Millisecond)
	unlock, err := short.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	// The lock expires; another holder takes it; the first's late
	// release must not free it.
	time.Sleep(80 * time.Millisecond)
	long := NewRedisLocker(client, "test:", time.Minute)
	unlock2, err := long.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock2()
	unlock()
	if _, err := short.Lock(context.Background(), "k"); err != ErrLockTimeout {
		t.Errorf("lock held by another: err = %v, want ErrLockTimeout", err)
	}
}

func TestStoreGet(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		if _, ok, err := s.Get(ctx, "g"); ok || err != nil {
			t.Fatalf("absent key: ok=%v err=%v", ok, err)
		}
		since := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		if err := s.Put(ctx, "g", Entry{State: Unknown, Fingerprint: fp("g"), UnknownSince: since}, time.Hour); err != nil {
			t.Fatal(err)
		}
		e, ok, err := s.Get(ctx, "g")
		if err != nil || !ok || e.State != Unknown || e.Fingerprint != fp("g") || !e.UnknownSince.Equal(since) {
			t.Fatalf("got %+v ok=%v err=%v, want the unknown entry", e, ok, err)
		}
	})
}
