package odoo

import (
	"context"
	"sync/atomic"
)

// CallCounter counts the execute_kw calls made with a context, for request
// logs and round-trip budgets. Counters nest: a call counts in every
// counter up the context chain.
type CallCounter struct {
	n      atomic.Int64
	parent *CallCounter
}

type counterKey struct{}

// WithCallCounter returns a context whose execute_kw calls (retries
// included) are counted by the returned counter.
func WithCallCounter(ctx context.Context) (context.Context, *CallCounter) {
	c := &CallCounter{parent: counterFrom(ctx)}
	return context.WithValue(ctx, counterKey{}, c), c
}

// Count returns the number of execute_kw calls counted so far.
func (c *CallCounter) Count() int64 { return c.n.Load() }

func counterFrom(ctx context.Context) *CallCounter {
	c, _ := ctx.Value(counterKey{}).(*CallCounter)
	return c
}

func (c *CallCounter) inc() {
	for ; c != nil; c = c.parent {
		c.n.Add(1)
	}
}
