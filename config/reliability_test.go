package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReliabilityKeysLoadFromFileAndEnvironment(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "redis-pw")
	os.WriteFile(pw, []byte("hunter2\n"), 0o600)
	t.Setenv("G2P_PROXY_REDIS_ADDR", "redis:6379")
	t.Setenv("G2P_PROXY_ODOO_BREAKER_COOLDOWN", "20s")
	cfg, err := Load(writeFile(t, "c.yaml", minimal+`
idempotency:
  ttl: 12h
redis:
  password_file: `+pw+`
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Idempotency.TTL != 12*time.Hour || cfg.Idempotency.Lease != 2*time.Minute || !cfg.Redis.Enabled() ||
		cfg.Redis.Password != "hunter2" || cfg.Odoo.BreakerCoolDown != 20*time.Second || cfg.Odoo.RetryAttempts != 3 ||
		cfg.Registry.OutcomeLookup != 3*time.Second || cfg.Redis.KeyPrefix != "g2p-bank-proxy:" {
		t.Errorf("loaded %+v %+v %+v", cfg.Idempotency, cfg.Redis, cfg.Odoo)
	}
}

func TestReliabilityKeysAreValidated(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Odoo.RetryAttempts = 0 }, "odoo.retry_attempts"},
		{func(c *Config) { c.Odoo.BreakerFailures = -1 }, "odoo.breaker_failures"},
		{func(c *Config) { c.Odoo.BreakerCoolDown = 0 }, "odoo.breaker_cooldown"},
		{func(c *Config) { c.Registry.OutcomeLookup = 0 }, "registry.outcome_lookup"},
		{func(c *Config) { c.Idempotency.TTL = 0 }, "idempotency.ttl"},
		{func(c *Config) { c.Idempotency.Lease = time.Second }, "idempotency.lease: must be at least server.write_timeout"},
		// A stalled write answered after the connection is cut: no answer.
		{func(c *Config) {
			c.Server.WriteTimeout, c.Odoo.Timeout, c.Registry.OutcomeLookup = 5*time.Second, 2*time.Second, 3*time.Second
		},
			"server.write_timeout: must be at least odoo.timeout + registry.outcome_lookup + 1s (2s + 3s + 1s)"},
		{func(c *Config) { c.Redis.Addr = "redis" }, "redis.addr"},
		{func(c *Config) { c.Redis.Addr, c.Redis.LockTTL = "redis:6379", 10*time.Second }, "redis.lock_ttl"},
	} {
		cfg := Default()
		cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.Secret = "https://odoo:8069", "openspp", "proxy", "s"
		cfg.Auth.APIKeys = []APIKey{{ID: "app", Key: "app-key-0123456789", Scopes: []string{ScopeRegistryRead}}}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("base config: %v", err)
		}
		tc.edit(cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %q", err, tc.want)
		}
	}
}
