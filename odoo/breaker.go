package odoo

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// BreakerPolicy configures the circuit breaker around the transport. After
// Failures consecutive calls that did not get an answer from Odoo
// (unreachable, timed out, connection broken, gateway 5xx) every call fails
// at once with KindUnavailable for CoolDown, without contacting Odoo; then
// one call is let through as a probe: its success closes the circuit, its
// failure opens it for another CoolDown. Faults do not count: an Odoo that
// refuses a value is up. Zero fields get defaults.
type BreakerPolicy struct {
	Failures int           // default 5; negative disables the breaker
	CoolDown time.Duration // default 10s
}

// Defaults of BreakerPolicy.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCoolDown = 10 * time.Second
)

func (p *BreakerPolicy) defaults() {
	setDefault(&p.Failures, DefaultBreakerFailures)
	setDefault(&p.CoolDown, DefaultBreakerCoolDown)
}

// Circuit states, as CircuitState.State names them.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half_open"
)

// CircuitState is a snapshot of the breaker, e.g. for a readiness probe.
type CircuitState struct {
	State    string    // CircuitClosed, CircuitOpen or CircuitHalfOpen
	Failures int       // consecutive failures counted
	Until    time.Time // end of the cool-down while open
}

// breaker is a transport that fails fast while Odoo is failing.
type breaker struct {
	next   transport
	policy BreakerPolicy
	now    func() time.Time

	mu       sync.Mutex
	failures int
	openAt   time.Time // zero: closed
	probing  bool      // a half-open probe is in flight
}

func newBreaker(next transport, p BreakerPolicy, now func() time.Time) *breaker {
	return &breaker{next: next, policy: p, now: now}
}

func (b *breaker) call(ctx context.Context, service, method string, args []any) (any, error) {
	if err := b.admit(); err != nil {
		return nil, err
	}
	res, err := b.next.call(ctx, service, method, args)
	b.record(ctx, err)
	return res, err
}

// admit lets a call through, or refuses it while the circuit is open or
// its half-open probe is running.
func (b *breaker) admit() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openAt.IsZero() {
		return nil
	}
	until := b.openAt.Add(b.policy.CoolDown)
	if wait := until.Sub(b.now()); wait > 0 || b.probing {
		if wait <= 0 {
			wait = time.Second // the probe decides soon
		}
		return &Error{Kind: KindUnavailable, RetryAfter: wait,
			Message: "Odoo is failing; calls are suspended for a cool-down (circuit open)"}
	}
	b.probing = true
	return nil
}

// record counts a call's outcome.
func (b *breaker) record(ctx context.Context, err error) {
	failed, known := breakerFailure(ctx, err)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if !known {
		return
	}
	if !failed {
		b.failures, b.openAt = 0, time.Time{}
		return
	}
	b.failures++
	if b.failures >= b.policy.Failures || !b.openAt.IsZero() {
		b.openAt = b.now() // a failed probe re-opens for a full cool-down
	}
}

// breakerFailure: did Odoo fail to answer? known is false when the call
// says nothing about Odoo: its caller gave up before any deadline.
func breakerFailure(ctx context.Context, err error) (failed, known bool) {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return false, false
	}
	e, ok := AsError(err)
	if !ok {
		return false, true
	}
	switch e.Kind {
	case KindTransport, KindUnavailable, KindTimeout:
		return true, true
	case KindBadResponse:
		return e.status >= http.StatusInternalServerError, true
	}
	return false, true
}

func (b *breaker) state() CircuitState {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := CircuitState{State: CircuitClosed, Failures: b.failures}
	if !b.openAt.IsZero() {
		s.Until = b.openAt.Add(b.policy.CoolDown)
		s.State = CircuitOpen
		if b.probing || !b.now().Before(s.Until) {
			s.State = CircuitHalfOpen
		}
	}
	return s
}

// Circuit returns the state of the client's circuit breaker (always
// closed when the breaker is disabled).
func (c *Client) Circuit() CircuitState {
	if b, ok := c.tr.(*breaker); ok {
		return b.state()
	}
	return CircuitState{State: CircuitClosed}
}
