package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

func TestTokenBucket(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	l := newRateLimiter(ratePolicy{rate: 0.5, burst: 3}, map[string]ratePolicy{"batch": {rate: 10, burst: 20}})
	l.now = clock.now
	for i := range 3 {
		d := l.take("app")
		if !d.allowed || d.remaining != 2-i {
			t.Fatalf("request %d: %+v, want allowed with %d left", i+1, d, 2-i)
		}
	}
	d := l.take("app")
	if d.allowed || d.next != 2*time.Second {
		t.Fatalf("4th request: %+v, want refused, the next token in 2s", d)
	}
	// RateLimit's t (more quota available in) and Retry-After agree.
	h := d.headers("client")
	want := map[string]string{"RateLimit-Policy": `"client";q=3;w=6`, "RateLimit": `"client";r=0;t=2`, "Retry-After": "2"}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("%s = %q, want %q", k, h[k], v)
		}
	}
	if d := l.take("batch"); !d.allowed || d.remaining != 19 {
		t.Errorf("another client with its own policy: %+v", d)
	}
	clock.advance(2 * time.Second)
	if d := l.take("app"); !d.allowed || d.remaining != 0 {
		t.Errorf("after 2s: %+v, want one request allowed", d)
	}
	if d := l.take("app"); d.allowed {
		t.Errorf("after spending the refill: %+v, want refused", d)
	}
	l.refund("app")
	if d := l.take("app"); !d.allowed {
		t.Errorf("after a refund: %+v, want one request allowed", d)
	}
}

func TestRateLimitSweepForgetsOnlyFullBuckets(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	l := newRateLimiter(ratePolicy{rate: 1, burst: 2}, nil)
	l.now = clock.now
	l.take("busy")
	l.take("idle")
	clock.advance(time.Second) // idle refills to 2 ... and so does busy
	l.take("busy")
	l.sweep(clock.now())
	if _, ok := l.buckets["idle"]; ok {
		t.Error("a full bucket survived the sweep")
	}
	if _, ok := l.buckets["busy"]; !ok {
		t.Error("a bucket in use was dropped")
	}
}

func TestRateLimitedClientGets429WithHeaders(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	l := newRateLimiter(ratePolicy{rate: 1.0 / 60, burst: 2}, nil)
	var limited []string
	g := ts.group()
	g.Use(ts.rateLimitClients(l, func(client string) { limited = append(limited, client) }))
	g.GET("/rl", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	path := ts.cfg.Server.BasePath + "/test/rl"
	for i := range 2 {
		r := ts.do(t, "GET", path, platformFullKey, nil)
		if r.Code != http.StatusNoContent || r.Header().Get("RateLimit") == "" || r.Header().Get("RateLimit-Policy") != `"client";q=2;w=120` {
			t.Fatalf("request %d: %d, headers %v", i+1, r.Code, r.Header())
		}
	}
	r := ts.do(t, "GET", path, platformFullKey, nil)
	requirePlatformProblem(t, r, http.StatusTooManyRequests, "rate_limited")
	if got := r.Header().Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After = %q, want 60 (one token at 1/min)", got)
	}
	if got := r.Header().Get("RateLimit"); got != `"client";r=0;t=60` {
		t.Errorf("RateLimit = %q, want t equal to Retry-After", got)
	}
	if len(limited) != 1 || limited[0] != "full-client" {
		t.Errorf("counted refusals %v, want one for full-client", limited)
	}
	if r := ts.do(t, "GET", path, platformReaderKey, nil); r.Code != http.StatusNoContent {
		t.Errorf("another client: %d, want its own bucket", r.Code)
	}
}
