package main

import (
	"github.com/redis/go-redis/v9"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// sharedState returns where Idempotency-Key answers live and the lock that
// serialises bank creation: in Redis when one is configured (several
// replicas), otherwise in memory and no cross-instance lock (one replica).
// The Redis client connects lazily: nothing is dialled here.
func sharedState(c config.Redis) (idempotency.Store, mapping.Locker) {
	if !c.Enabled() {
		return idempotency.NewMemory(), nil
	}
	client := redis.NewClient(&redis.Options{Addr: c.Addr, Username: c.Username, Password: c.Password, DB: c.DB})
	return idempotency.NewRedis(client, c.KeyPrefix), idempotency.NewRedisLocker(client, c.KeyPrefix, c.LockTTL)
}

// breakerPolicy: odoo.breaker_failures 0 disables the breaker, which the
// client spells as a negative count (its zero means "default").
func breakerPolicy(c config.Odoo) odoo.BreakerPolicy {
	if c.BreakerFailures == 0 {
		return odoo.BreakerPolicy{Failures: -1}
	}
	return odoo.BreakerPolicy{Failures: c.BreakerFailures, CoolDown: c.BreakerCoolDown}
}
