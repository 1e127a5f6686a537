package config

import (
	"net"
	"time"
)

// Idempotency configures the Idempotency-Key support of write requests.
type Idempotency struct {
	// TTL is how long an answer is kept and replayed for its key.
	TTL time.Duration `mapstructure:"ttl"`
	// Lease is how long an unanswered attempt holds its key (other
	// attempts get 409); it frees keys of a crashed instance.
	Lease time.Duration `mapstructure:"lease"`
}

// Redis, when Addr is set, holds the idempotency keys and serialises bank
// creation for every proxy instance sharing it (several replicas). Without
// it keys live in memory, which is right for one instance only.
type Redis struct {
	Addr     string `mapstructure:"addr"` // host:port; empty = no Redis
	Username string `mapstructure:"username"`
	// Password, or the content of PasswordFile.
	Password     string `mapstructure:"password"`
	PasswordFile string `mapstructure:"password_file"`
	DB           int    `mapstructure:"db"`
	// KeyPrefix starts every key, so that several deployments can share a
	// Redis.
	KeyPrefix string `mapstructure:"key_prefix"`
	// LockTTL is the expiry of the bank-creation lock (and the longest
	// wait for it); keep it above odoo.timeout.
	LockTTL time.Duration `mapstructure:"lock_ttl"`
}

// Enabled reports whether a Redis is configured.
func (r Redis) Enabled() bool { return r.Addr != "" }

func (r *Redis) readPasswordFile(v *validator) {
	if r.PasswordFile == "" {
		return
	}
	if r.Password != "" {
		v.add("redis.password", "set either password or password_file, not both")
	} else if s, err := readSecret(r.PasswordFile); err != nil {
		v.add("redis.password_file", "%v", err)
	} else {
		r.Password = s
	}
}

// AnswerMargin is what a request keeps of server.write_timeout, after its
// deadline and its outcome look-up, to write its answer.
const AnswerMargin = time.Second

// RequestDeadline is how long a request may work: a write whose Odoo answer
// is lost at that moment still has registry.outcome_lookup to look for its
// record and AnswerMargin to answer before server.write_timeout cuts the
// connection (the client would get no answer at all).
func (c *Config) RequestDeadline() time.Duration {
	return c.Server.WriteTimeout - c.Registry.OutcomeLookup - AnswerMargin
}

func (c *Config) validateReliability(v *validator) {
	o := c.Odoo
	if o.RetryAttempts < 1 {
		v.add("odoo.retry_attempts", "must be at least 1 (1 = reads are not retried)")
	}
	if o.BreakerFailures < 0 {
		v.add("odoo.breaker_failures", "must not be negative (0 disables the circuit breaker)")
	}
	if o.BreakerFailures > 0 && o.BreakerCoolDown <= 0 {
		v.add("odoo.breaker_cooldown", "must be positive (e.g. 10s)")
	}
	if c.Registry.OutcomeLookup <= 0 {
		v.add("registry.outcome_lookup", "must be positive (e.g. 3s)")
	}
	i := c.Idempotency
	if i.TTL <= 0 {
		v.add("idempotency.ttl", "must be positive (e.g. 24h)")
	}
	if i.Lease <= 0 {
		v.add("idempotency.lease", "must be positive (e.g. 2m)")
	} else if c.Server.WriteTimeout > 0 && i.Lease < c.Server.WriteTimeout {
		// A key freed while its request still runs lets a repeat write twice.
		v.add("idempotency.lease", "must be at least server.write_timeout (%s)", c.Server.WriteTimeout)
	}
	r := c.Redis
	if r.Addr != "" {
		if _, _, err := net.SplitHostPort(r.Addr); err != nil {
			v.add("redis.addr", "must be host:port (e.g. redis:6379), got %q", r.Addr)
		}
		if r.LockTTL <= c.Odoo.Timeout {
			// The lock would expire during a slow create: another replica
			// could create the same bank.
			v.add("redis.lock_ttl", "must be longer than odoo.timeout (%s)", c.Odoo.Timeout)
		}
	}
	if r.DB < 0 {
		v.add("redis.db", "must not be negative")
	}
}
