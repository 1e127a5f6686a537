package odoo

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// RetryPolicy says how idempotent reads are retried after a failure that a
// second attempt may not meet (a broken connection, Odoo briefly
// unreachable, a 5xx from a gateway). Writes are never retried: a create
// whose answer was lost may have committed. Zero fields get defaults.
type RetryPolicy struct {
	// Attempts is the total number of tries of one read, default 3; 1
	// disables retries.
	Attempts int
	// BaseDelay is the first back-off, doubled per retry up to MaxDelay,
	// each wait drawn at random between half and all of it (jitter, so
	// that replicas do not retry in step). Defaults 50ms and 1s.
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

// Defaults of RetryPolicy.
const (
	DefaultRetryAttempts  = 3
	DefaultRetryBaseDelay = 50 * time.Millisecond
	DefaultRetryMaxDelay  = time.Second
)

func (p *RetryPolicy) defaults() {
	setDefault(&p.Attempts, DefaultRetryAttempts)
	setDefault(&p.BaseDelay, DefaultRetryBaseDelay)
	setDefault(&p.MaxDelay, DefaultRetryMaxDelay)
}

// readMethods change nothing in Odoo, so running one twice is harmless.
var readMethods = map[string]bool{
	"read": true, "search_read": true, "search": true, "search_count": true,
	"web_read": true, "web_search_read": true, "fields_get": true, "version": true,
	"name_search": true, "read_group": true, "check_access_rights": true,
}

// IsReadMethod reports whether method only reads, so that a call to it may
// be repeated after a failure. Everything else (create, write, unlink,
// message_post, any business method) may have changed data.
func IsReadMethod(method string) bool { return readMethods[method] }

// retryable reports whether a read that failed with err may succeed on a
// second attempt: the request did not reach Odoo or Odoo's answer was lost
// on the way. Faults (Odoo answered), timeouts (the deadline is spent), the
// caller's cancellation and an open circuit (failing fast is its point)
// are final.
func retryable(err error) bool {
	e, ok := AsError(err)
	if !ok || e.RetryAfter > 0 || errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	switch {
	case e.Kind == KindUnavailable && errors.As(e.Err, &ne) && ne.Timeout():
		// A connect timeout already took odoo.connect_timeout: Odoo is
		// down or unroutable, and the client should hear so now.
		return false
	case e.Kind == KindTransport, e.Kind == KindUnavailable:
		return true
	case e.Kind == KindBadResponse:
		return e.status >= http.StatusInternalServerError
	}
	return false
}

// OutcomeUnknown reports whether a call that failed with err may
// nevertheless have been carried out by Odoo: the request was sent but the
// answer was lost (timeout, connection dropped, garbled or 5xx answer from a
// gateway). For a write this means "maybe committed": look the record up
// before reporting failure, never blindly repeat the write. A fault, a
// refused connection, a 503 or an open circuit mean the call did not run.
func OutcomeUnknown(err error) bool {
	e, ok := AsError(err)
	if !ok {
		return errors.Is(err, context.DeadlineExceeded)
	}
	switch e.Kind {
	case KindTimeout, KindTransport, KindBadResponse:
		return true
	case KindUnavailable:
		return e.status == http.StatusBadGateway
	}
	return false
}

// backoff is the jittered wait before retry number n (1-based).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay << (n - 1)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// withRetries runs call, a read, again after a retryable failure while
// attempts remain and the back-off still fits before ctx's deadline.
func (c *Client) withRetries(ctx context.Context, model, method string, call func() (any, error)) (any, error) {
	res, err := call()
	for n := 1; n < c.cfg.Retry.Attempts && retryable(err); n++ {
		wait := c.cfg.Retry.backoff(n)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			break
		}
		c.log.Info("retrying read", zap.String("model", model), zap.String("method", method),
			zap.Int("attempt", n+1), zap.Duration("after", wait), zap.Error(err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, err
		case <-t.C:
		}
		res, err = call()
	}
	return res, err
}

// execute is executeOnce, retried per c.cfg.Retry when method is a read.
func (c *Client) execute(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, uint64, error) {
	if !IsReadMethod(method) {
		return c.executeOnce(ctx, model, method, args, kwargs)
	}
	var gen uint64
	res, err := c.withRetries(ctx, model, method, func() (any, error) {
		res, g, err := c.executeOnce(ctx, model, method, args, kwargs)
		gen = g
		return res, err
	})
	return res, gen, err
}
