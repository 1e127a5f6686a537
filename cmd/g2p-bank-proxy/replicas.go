package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// sharedState returns where Idempotency-Key answers live and the lock that
// serialises bank creation: in Redis when one is configured (several
// replicas), otherwise in memory and no cross-instance lock (one replica).
// The Redis client connects lazily: nothing is dialled here.
func sharedState(c config.Redis, log *zap.Logger) (idempotency.Store, mapping.Locker) {
	if !c.Enabled() {
		return idempotency.NewMemory(), nil
	}
	redis.SetLogger(redisLog{log.Named("redis")})
	client := redis.NewClient(&redis.Options{Addr: c.Addr, Username: c.Username, Password: c.Password, DB: c.DB})
	return idempotency.NewRedis(client, c.KeyPrefix), idempotency.NewRedisLocker(client, c.KeyPrefix, c.LockTTL)
}

// redisLog takes go-redis's own log lines (failed dials and the like),
// which it would print as plain text on stderr, into the JSON log. The
// failures they report also reach the requests and /readyz: a warning.
type redisLog struct{ log *zap.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(strings.TrimSpace(fmt.Sprintf(format, v...)))
}

// breakerPolicy: odoo.breaker_failures 0 disables the breaker, which the
// client spells as a negative count (its zero means "default").
func breakerPolicy(c config.Odoo) odoo.BreakerPolicy {
	if c.BreakerFailures == 0 {
		return odoo.BreakerPolicy{Failures: -1}
	}
	return odoo.BreakerPolicy{Failures: c.BreakerFailures, CoolDown: c.BreakerCoolDown}
}
