package proxy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency/redistest"
)

// fakeStore is a shared store whose ping fails as told.
type fakeStore struct {
	idempotency.Store
	err   error
	pings atomic.Int64
}

func (f *fakeStore) Ping(context.Context) error {
	f.pings.Add(1)
	return f.err
}

// /readyz reports Redis, pinged at most once per interval like Odoo.
func TestReadinessProbesRedis(t *testing.T) {
	store := &fakeStore{Store: idempotency.NewMemory()}
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newReadinessProbe(&fakeUpstream{}, zap.NewNop())
	p.now, p.store = clock.now, store
	e := gin.New()
	e.GET("/readyz", p.handle)
	if code, r, _ := getReady(t, e); code != 200 || r.Checks["redis"] != "ok" {
		t.Errorf("Redis up: %d %+v, want 200 with redis ok", code, r)
	}
	store.err = errors.New("dial tcp 10.0.0.7:6379: connection refused")
	for range 5 {
		getReady(t, e)
	}
	if n := store.pings.Load(); n != 1 {
		t.Errorf("%d pings within one interval, want 1", n)
	}
	clock.advance(readyInterval)
	code, r, body := getReady(t, e)
	if code != 503 || r.Status != "unavailable" || r.Checks["redis"] != "unavailable" || r.Checks["odoo"] != "ok" {
		t.Errorf("Redis down: %d %+v, want 503 with redis unavailable", code, r)
	}
	if strings.Contains(body, "10.0.0.7") {
		t.Errorf("the probe shows the cause: %s", body)
	}
}

// The whole server: an idempotency store in Redis is part of readiness;
// the memory store is not.
func TestReadinessWithRealRedis(t *testing.T) {
	up := newRelHarness(t, relOptions{store: idempotency.NewRedis(redistest.Start(t), "test:")})
	ready := func(h *relHarness) (int, string) {
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := ready(up); code != 200 || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("Redis up: %d %s", code, body)
	}
	rc := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(closedPort(t), "http://"), MaxRetries: -1})
	t.Cleanup(func() { rc.Close() })
	down := newRelHarness(t, relOptions{store: idempotency.NewRedis(rc, "test:")})
	if code, body := ready(down); code != 503 || !strings.Contains(body, `"redis":"unavailable"`) {
		t.Errorf("Redis down: %d %s, want 503 naming redis", code, body)
	}
	if code, body := ready(newRelHarness(t, relOptions{})); code != 200 || strings.Contains(body, "redis") {
		t.Errorf("memory store: %d %s, want 200 without a redis check", code, body)
	}
}

// A write with a key while Redis is down: 503 that names the idempotency
// store, not the registry, with Retry-After.
func TestRedisDownIsNamedInTheAnswer(t *testing.T) {
	rc := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(closedPort(t), "http://"), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rc.Close() })
	h := newRelHarness(t, relOptions{store: idempotency.NewRedis(rc, "test:")})
	r := h.do(t, "POST", "/individual", individualBody("2000000091", "RD-91"), IdempotencyKeyHeader, "k")
	p := r.problem(t)
	if r.Code != 503 || p.Code != "idempotency_store_unavailable" || p.Title == "Registry unavailable" || r.Header().Get("Retry-After") == "" {
		t.Errorf("%d %+v Retry-After %q, want 503 idempotency_store_unavailable with Retry-After", r.Code, p, r.Header().Get("Retry-After"))
	}
}
