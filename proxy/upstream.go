package proxy

import (
	"math"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// retryAfter is the Retry-After (seconds) of a problem: the table's value,
// or, when the Odoo client knows better (its circuit breaker is cooling
// down), that wait rounded up.
func retryAfter(kind problemKind, me *mapping.Error) int {
	if kind.retryAfter == 0 {
		return 0
	}
	if oe, ok := odoo.AsError(me.Cause); ok && oe.RetryAfter > 0 {
		return int(math.Ceil(oe.RetryAfter.Seconds()))
	}
	return kind.retryAfter
}
