package proxy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// fakeUpstream counts probes and fails as told. Its errors carry internals
// (URL, database) that must never reach a /readyz answer.
type fakeUpstream struct {
	versionErr, authErr error
	circuit             string // "" = closed
	versions, auths     atomic.Int64
	release             chan struct{} // when set, Version waits for it
}

func (f *fakeUpstream) Version(context.Context) (odoo.VersionInfo, error) {
	f.versions.Add(1)
	if f.release != nil {
		<-f.release
	}
	return odoo.VersionInfo{ServerVersion: "17.0"}, f.versionErr
}

func (f *fakeUpstream) Circuit() odoo.CircuitState {
	if f.circuit == "" {
		return odoo.CircuitState{State: odoo.CircuitClosed}
	}
	return odoo.CircuitState{State: f.circuit}
}

func (f *fakeUpstream) Authenticate(context.Context) (int64, error) {
	f.auths.Add(1)
	return 2, f.authErr
}

// fakeClock is a settable clock for the probe interval.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newProbeEngine(up *fakeUpstream) (*gin.Engine, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newReadinessProbe(up, zap.NewNop())
	p.now = clock.now
	e := gin.New()
	e.GET("/readyz", p.handle)
	return e, clock
}

func getReady(t *testing.T, e http.Handler) (int, ReadyReport, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var r ReadyReport
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("/readyz body %q: %v", rec.Body, err)
	}
	return rec.Code, r, rec.Body.String()
}

func TestReadyzStates(t *testing.T) {
	leaky := "http://odoo.internal:8069 database prod_registry: connection refused"
	cases := []struct {
		name       string
		up         *fakeUpstream
		wantStatus int
		wantOdoo   string
	}{
		{"ready", &fakeUpstream{}, 200, "ok"},
		{"unreachable", &fakeUpstream{versionErr: &odoo.Error{Kind: odoo.KindUnavailable, Message: leaky}}, 503, "unavailable"},
		{"login refused", &fakeUpstream{authErr: &odoo.Error{Kind: odoo.KindAuthFailed, Message: leaky}}, 503, "auth_failed"},
		{"login timed out", &fakeUpstream{authErr: &odoo.Error{Kind: odoo.KindTimeout, Message: leaky}}, 503, "unavailable"},
		{"circuit open", &fakeUpstream{circuit: odoo.CircuitOpen}, 503, "unavailable"},
		{"circuit half open: the probe goes through", &fakeUpstream{circuit: odoo.CircuitHalfOpen}, 200, "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newProbeEngine(tc.up)
			code, r, body := getReady(t, e)
			if code != tc.wantStatus || r.Checks["odoo"] != tc.wantOdoo {
				t.Fatalf("got %d %s, want %d with odoo %q", code, body, tc.wantStatus, tc.wantOdoo)
			}
			wantOverall := "ok"
			if tc.wantStatus != 200 {
				wantOverall = "unavailable"
			}
			if r.Status != wantOverall || len(r.Checks) != 1 {
				t.Errorf("body %s: want status %q and only the odoo check", body, wantOverall)
			}
			for _, secret := range []string{"odoo.internal", "prod_registry", "refused", "17.0"} {
				if strings.Contains(body, secret) {
					t.Errorf("/readyz leaks %q: %s", secret, body)
				}
			}
		})
	}
}

func TestReadyzProbesOdooAtMostOncePerInterval(t *testing.T) {
	up := &fakeUpstream{release: make(chan struct{})}
	e, clock := newProbeEngine(up)

	// Twenty concurrent callers while the first probe is still waiting on
	// Odoo: they share it.
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			codes[i] = rec.Code
		}()
	}
	for up.versions.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(up.release)
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("caller %d got %d", i, c)
		}
	}
	if n := up.versions.Load(); n != 1 {
		t.Fatalf("20 concurrent callers made %d version calls, want 1", n)
	}

	// Within the interval the cached answer serves; after it, one new probe.
	clock.advance(readyInterval - time.Millisecond)
	getReady(t, e)
	if n := up.versions.Load(); n != 1 {
		t.Fatalf("a call within the interval probed again (%d version calls)", n)
	}
	clock.advance(time.Millisecond)
	getReady(t, e)
	getReady(t, e)
	if n := up.versions.Load(); n != 2 {
		t.Fatalf("after the interval: %d version calls, want 2", n)
	}
}

func TestReadyzLeavesOdooAloneWhileTheCircuitIsOpen(t *testing.T) {
	up := &fakeUpstream{circuit: odoo.CircuitOpen}
	e, _ := newProbeEngine(up)
	if code, _, _ := getReady(t, e); code != 503 || up.versions.Load() != 0 {
		t.Fatalf("open circuit: got %d after %d version calls, want 503 without calling Odoo", code, up.versions.Load())
	}
}

func TestReadyzRecoversWhenOdooComesBack(t *testing.T) {
	up := &fakeUpstream{versionErr: &odoo.Error{Kind: odoo.KindUnavailable}}
	e, clock := newProbeEngine(up)
	if code, _, _ := getReady(t, e); code != 503 {
		t.Fatalf("Odoo down: got %d, want 503", code)
	}
	up.versionErr = nil
	clock.advance(readyInterval)
	if code, r, _ := getReady(t, e); code != 200 || r.Checks["odoo"] != "ok" {
		t.Fatalf("Odoo back: got %d %+v, want 200 ok", code, r)
	}
}
