// Command g2p-bank-proxy serves the registry REST API in front of OpenSPP.
// Sub-commands: serve, demo, check, version (see usage). This file only wires the
// pieces together; cli.go parses the command line.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/proxy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// newServer builds the Odoo client, the registry and bank-account services
// and the HTTP server from a validated configuration, and returns the
// server and its Odoo client. It makes no network call.
func newServer(cfg *config.Config, log *zap.Logger) (*proxy.Server, *odoo.Client, error) {
	oc, err := odooConfig(cfg.Odoo)
	if err != nil {
		return nil, nil, err
	}
	metrics := newMetrics(cfg.Metrics, &oc)
	client, err := odoo.New(oc, log)
	if err != nil {
		return nil, nil, err
	}
	store, locker := sharedState(cfg.Redis, log)
	// Lost write answers are resolved for every service (outcome.go).
	upstream := mapping.ResolveOutcomes(client, cfg.Registry.OutcomeLookup, log.Named("outcome"))
	registry := mapping.NewRegistry(upstream, mapping.RegistryOptions{
		DefaultPageSize:   cfg.Registry.DefaultPageSize,
		MaxPageSize:       cfg.Registry.MaxPageSize,
		BankCacheTTL:      cfg.Registry.BankCacheTTL,
		ReferenceCacheTTL: cfg.Registry.ReferenceCacheTTL,
		OutcomeLookup:     cfg.Registry.OutcomeLookup,
		BankLocker:        locker,
	}, log.Named("registry"))
	accounts := mapping.NewAccounts(upstream, registry.Banks(), mapping.AccountsOptions{
		DefaultPageSize: cfg.Registry.DefaultPageSize,
		MaxPageSize:     cfg.Registry.MaxPageSize,
		SettleDelay:     settleDelay(cfg.Registry.FeedSettleDelay),
	}, log.Named("accounts"))
	watchServices(metrics, client, registry.Banks())
	auditor, err := newAuditor(cfg.Audit, client, metrics, log)
	if err != nil {
		return nil, nil, err
	}
	srv, err := proxy.New(cfg, proxy.Deps{Registry: registry, Accounts: accounts, Upstream: client, Idempotency: store, Metrics: metrics,
		Auditor: auditor}, log)
	return srv, client, err
}

// odooConfig is the Odoo client configuration of every command that talks
// to Odoo (serve, check), TLS included, so that check tests what serve
// will do.
func odooConfig(c config.Odoo) (odoo.Config, error) {
	tlsCfg, err := config.TLSClientConfig(c.CAFile)
	if err != nil {
		return odoo.Config{}, fmt.Errorf("odoo.%w", err)
	}
	return odoo.Config{
		URL:            c.URL,
		DB:             c.DB,
		Login:          c.Login,
		Secret:         c.Secret,
		Protocol:       odoo.Protocol(c.Protocol),
		Timeout:        c.Timeout,
		ConnectTimeout: c.ConnectTimeout,
		Lang:           c.Lang,
		MaxConns:       c.MaxConns,
		AuthBackoff:    c.AuthBackoff,
		Retry:          odoo.RetryPolicy{Attempts: c.RetryAttempts},
		Breaker:        breakerPolicy(c),
		TLS:            tlsCfg,
	}, nil
}

// newLogger builds the zap logger log.level and log.format ask for, writing
// to w (stderr: stdout stays for the commands' own output).
func newLogger(c config.Log, w io.Writer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "time"
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	// "backoff":"15s" rather than a bare 15 whose unit the reader must guess.
	ec.EncodeDuration = zapcore.StringDurationEncoder
	enc := zapcore.NewJSONEncoder(ec)
	if c.Format == "console" {
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	}
	// No sampling: an access log that drops lines under load is no access log.
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), level)
	return zap.New(redactingCore{core}, zap.AddCaller()), nil
}

// settleDelay maps the config's "0 serves at once" onto AccountsOptions,
// where zero means the default and a negative value means none.
func settleDelay(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
