package config

import "time"

// Default returns the default configuration, unvalidated: what Load starts
// from, and the base for configurations built in code (the demo, tests).
// deploy/config.example.yaml documents the same values.
func Default() *Config {
	return &Config{
		Server: Server{
			Listen:          "127.0.0.1:8080",
			BasePath:        "/api/v1/registry",
			ReadTimeout:     30 * time.Second,
			WriteTimeout:    60 * time.Second,
			IdleTimeout:     120 * time.Second,
			ShutdownTimeout: 20 * time.Second,
			MaxBodyBytes:    1 << 20,
			CORSMaxAge:      10 * time.Minute,
		},
		Odoo: Odoo{
			Protocol:       "jsonrpc",
			Timeout:        30 * time.Second,
			ConnectTimeout: 5 * time.Second,
			Lang:           "en_US",
			MaxConns:       16,
			// Odoo locks an IP out for a minute after 5 failed logins;
			// one attempt per 15 s stays below that.
			AuthBackoff:     15 * time.Second,
			RetryAttempts:   3,
			BreakerFailures: 5,
			BreakerCoolDown: 10 * time.Second,
		},
		Registry: Registry{
			DefaultPageSize:   50,
			MaxPageSize:       500,
			BankCacheTTL:      10 * time.Minute,
			ReferenceCacheTTL: 10 * time.Minute,
			FeedSettleDelay:   5 * time.Second,
			OutcomeLookup:     3 * time.Second,
		},
		Log:         Log{Level: "info", Format: "json"},
		Idempotency: Idempotency{TTL: 24 * time.Hour, Lease: 2 * time.Minute},
		Redis:       Redis{KeyPrefix: "g2p-bank-proxy:", LockTTL: 45 * time.Second},
		Auth: Auth{
			VerifyCacheTTL: 5 * time.Minute,
			OIDC: OIDC{ScopeClaim: "scope", ClientIDClaim: "azp", Leeway: 30 * time.Second,
				JWKSCacheTTL: 10 * time.Minute, JWKSMinRefresh: 30 * time.Second},
		},
		Limits: Limits{
			// The request rate limit is off unless configured (the example
			// configuration sets it): a sensible rate depends on the clients.
			FailedAuthPerMinute: 30,
			MaxJSONDepth:        32,
			MaxArrayItems:       1000,
			MaxBatchItems:       100,
			MaxMembers:          100,
			MaxBankAccounts:     20,
			MaxIDs:              20,
		},
		Audit:   Audit{Fsync: true},
		Metrics: Metrics{Enabled: true},
	}
}
