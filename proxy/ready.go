package proxy

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/audit"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// Check results of the readiness probe. They name a state, never a cause:
// the probe is unauthenticated, so it shows no URL, database or Odoo message
// (those go to the log).
const (
	checkOK          = "ok"
	checkUnavailable = "unavailable"
	checkAuthFailed  = "auth_failed"
)

// Readiness timing: one probe of Odoo at most every readyInterval, shared
// by every caller (a Kubernetes kubelet per pod, load balancers, people);
// a probe gives up after readyTimeout.
const (
	readyInterval = 5 * time.Second
	readyTimeout  = 5 * time.Second
	// readyStoreTimeout bounds the ping of the shared store: a healthy
	// Redis answers within a millisecond.
	readyStoreTimeout = time.Second
)

// storePinger is an idempotency store shared by the replicas (Redis), whose
// reachability is part of readiness: without it keyed writes and bank
// creation are refused.
type storePinger interface {
	Ping(ctx context.Context) error
}

// ReadyReport is the /readyz body: Status "ok" (HTTP 200) or "unavailable"
// (HTTP 503), and one state per dependency.
type ReadyReport struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readinessProbe answers /readyz from a cached probe of Odoo: common.version
// (one unauthenticated round trip, no database work) and the client's
// cached login; and of Redis (a PING) when the replicas share one. At most one probe runs at a time, and its result serves
// every caller for readyInterval.
type readinessProbe struct {
	upstream Pinger
	audit    *audit.Auditor // nil: no audit check
	store    storePinger    // nil: no shared store to check
	log      *zap.Logger
	now      func() time.Time

	flight singleflight.Group
	mu     sync.Mutex
	last   ReadyReport
	at     time.Time // when last was probed; zero = never
}

func newReadinessProbe(upstream Pinger, log *zap.Logger) *readinessProbe {
	return &readinessProbe{upstream: upstream, log: log, now: time.Now}
}

// handle is the /readyz handler.
func (p *readinessProbe) handle(c *gin.Context) {
	r := p.report(c.Request.Context())
	status := http.StatusOK
	if r.Status != checkOK {
		status = http.StatusServiceUnavailable
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, r)
}

// report returns the cached report while it is fresh, otherwise probes
// (callers arriving meanwhile share that probe). A caller that gives up
// does not cancel the probe the others wait for.
func (p *readinessProbe) report(ctx context.Context) ReadyReport {
	if r, ok := p.cached(); ok {
		return r
	}
	ch := p.flight.DoChan("probe", func() (any, error) {
		if r, ok := p.cached(); ok {
			return r, nil
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
		defer cancel()
		r := p.probe(pctx)
		p.mu.Lock()
		p.last, p.at = r, p.now()
		p.mu.Unlock()
		return r, nil
	})
	select {
	case res := <-ch:
		return res.Val.(ReadyReport)
	case <-ctx.Done():
		return ReadyReport{Status: checkUnavailable, Checks: map[string]string{"odoo": checkUnavailable}}
	}
}

func (p *readinessProbe) cached() (ReadyReport, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.at.IsZero() || p.now().Sub(p.at) >= readyInterval {
		return ReadyReport{}, false
	}
	return p.last, true
}

// probe asks Odoo once. The login is the client's cached uid, so a ready
// proxy costs one version call per interval; after a refused login the
// client's back-off answers without contacting Odoo, so probes can never
// add to Odoo's failed-login count. While the client's circuit breaker is
// open every call would fail fast anyway: the proxy is not ready and Odoo
// is left alone.
func (p *readinessProbe) probe(ctx context.Context) ReadyReport {
	state := checkOK
	if p.upstream.Circuit().State == odoo.CircuitOpen {
		state = checkUnavailable
	} else if _, err := p.upstream.Version(ctx); err != nil {
		state = checkUnavailable
		p.log.Warn("readiness: Odoo unreachable", zap.Error(err))
	} else if _, err := p.upstream.Authenticate(ctx); err != nil {
		state = checkUnavailable
		if odoo.IsKind(err, odoo.KindAuthFailed) {
			state = checkAuthFailed
		}
		p.log.Warn("readiness: Odoo login failed", zap.Error(err))
	}
	r := ReadyReport{Status: checkOK, Checks: map[string]string{"odoo": state}}
	if state != checkOK {
		r.Status = checkUnavailable
	}
	if p.store != nil {
		sctx, cancel := context.WithTimeout(ctx, readyStoreTimeout)
		err := p.store.Ping(sctx)
		cancel()
		r.Checks["redis"] = checkOK
		if err != nil {
			r.Checks["redis"], r.Status = checkUnavailable, checkUnavailable
			p.log.Warn("readiness: Redis unreachable", zap.Error(err))
		}
	}
	if p.audit != nil {
		// Writes are refused while the audit file cannot be written.
		r.Checks["audit"] = checkOK
		if err := p.audit.Ready(); err != nil {
			r.Checks["audit"], r.Status = checkUnavailable, checkUnavailable
			p.log.Error("readiness: the audit trail cannot be written", zap.Error(err))
		}
	}
	return r
}
