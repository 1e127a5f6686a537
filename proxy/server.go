// Package proxy is the HTTP side of g2p-bank-proxy: the gin router, its
// middleware (request id, recovery, access log, body limit, API-key auth and
// scopes), the error → problem+json mapping and the handlers.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/audit"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// Deps are the services the handlers use. Registry is required; Accounts,
// when set, serves the bank-account resources; Upstream, when set, backs
// the /readyz probe; Metrics, when set, records every request and is
// served at /metrics (or on metrics.listen, see Run).
type Deps struct {
	Registry RegistryService
	Accounts AccountsService
	Upstream Pinger
	// Idempotency stores Idempotency-Key answers; nil = in memory (one
	// instance). Several instances share an idempotency.Redis.
	Idempotency idempotency.Store
	Metrics     *Metrics
	// Auditor records writes and reads of full account numbers; nil
	// records nothing (the demo, tests). Shutdown closes it.
	Auditor *audit.Auditor
}

// Pinger is the part of the Odoo client the readiness probe needs;
// *odoo.Client satisfies it.
type Pinger interface {
	Version(ctx context.Context) (odoo.VersionInfo, error)
	Authenticate(ctx context.Context) (uid int64, err error)
	Circuit() odoo.CircuitState
}

// Server is the proxy's HTTP server. Build it with New; serve it with Run or
// Serve, or mount Handler in a test server.
type Server struct {
	cfg    *config.Config
	deps   Deps
	log    *zap.Logger
	sec    *security
	engine *gin.Engine
	http   *http.Server
	idem   *idempotencyKeeper
	ready  *readinessProbe // nil without Deps.Upstream
	docs   *apiDocs
}

func init() {
	// gin's debug mode prints every route and warnings to stdout; the
	// service logs through zap only.
	gin.SetMode(gin.ReleaseMode)
}

// New builds the server and its routes from a validated configuration. It
// fails when the configuration is invalid or a dependency is missing.
func New(cfg *config.Config, deps Deps, log *zap.Logger) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("proxy: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	if deps.Registry == nil {
		return nil, errors.New("proxy: Deps.Registry is required")
	}
	if log == nil {
		log = zap.NewNop()
	}
	s := &Server{cfg: cfg, deps: deps, log: log}
	sec, err := s.newSecurity()
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	s.sec = sec
	s.idem = newIdempotencyKeeper(cfg.Idempotency, deps.Idempotency)
	docs, err := newAPIDocs(cfg.Server.BasePath)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	s.docs = docs
	if deps.Upstream != nil {
		s.ready = newReadinessProbe(deps.Upstream, log.Named("readyz"))
		s.ready.audit = deps.Auditor
		s.ready.store, _ = deps.Idempotency.(storePinger)
	}
	s.engine = s.routes()
	// The proxy is usually behind an ingress. X-Forwarded-For names the
	// client (for the failed-login limit and the logs) only when the peer
	// is one of server.trusted_proxies; with none, the peer is the client.
	if err := s.engine.SetTrustedProxies(cfg.Server.TrustedProxies); err != nil {
		return nil, fmt.Errorf("proxy: server.trusted_proxies: %w", err)
	}
	sc := cfg.Server
	s.http = &http.Server{
		Addr:              sc.Listen,
		Handler:           s.engine,
		ReadTimeout:       sc.ReadTimeout,
		ReadHeaderTimeout: min(sc.ReadTimeout, 10*time.Second),
		WriteTimeout:      sc.WriteTimeout,
		IdleTimeout:       sc.IdleTimeout,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	return s, nil
}

// Handler returns the proxy as an http.Handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.engine }

// routes builds the router: global middleware, probes, the API group under
// the base path, and problem+json answers for unknown routes and methods.
func (s *Server) routes() *gin.Engine {
	e := gin.New()
	// Paths are matched as registered: a redirect would drop POST bodies in
	// some clients; the aliases the original had are registered explicitly.
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	if s.deps.Metrics != nil {
		e.Use(s.deps.Metrics.observeHTTP) // first: its latency covers the other middleware
	}
	e.Use(s.requestIDMiddleware, s.deadline, s.accessLog, s.recovery, s.cors, s.limitBody)
	e.NoRoute(s.noRoute)
	e.NoMethod(s.noMethod)

	s.registerOperationsRoutes(e)
	// The guard sits inside idempotency, so stored answers are already
	// masked and a replay (which writes nothing) is not audited twice.
	api := e.Group(s.cfg.Server.BasePath, noStore, s.authenticate, s.rateLimit, s.checkQuery, s.limitJSON, s.idempotency, s.guardAccounts)
	s.registerRegistryRoutes(api)
	if s.deps.Accounts != nil {
		s.registerAccountRoutes(api, s.deps.Accounts)
	}
	return e
}

// noStore keeps every API answer, errors included, out of browser and
// shared caches: they carry personal and bank data.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// Run listens on server.listen and serves until ctx is cancelled, then
// shuts down gracefully within server.shutdown_timeout.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("proxy: listen: %w", err)
	}
	if err := s.serveSeparateMetrics(ctx); err != nil {
		ln.Close()
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln (HTTPS when TLS files are configured) until ctx is
// cancelled, then shuts down gracefully: in-flight requests get
// server.shutdown_timeout to finish. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() {
		if s.cfg.Server.TLS() {
			errc <- s.http.ServeTLS(ln, s.cfg.Server.TLSCertFile, s.cfg.Server.TLSKeyFile)
		} else {
			errc <- s.http.Serve(ln)
		}
	}()
	s.log.Info("listening", zap.String("addr", ln.Addr().String()), zap.String("base_path", s.cfg.Server.BasePath), zap.Bool("tls", s.cfg.Server.TLS()))
	select {
	case err := <-errc:
		return fmt.Errorf("proxy: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Server.ShutdownTimeout)
	defer cancel()
	err := s.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.log.Info("shutting down")
	err := s.http.Shutdown(ctx)
	// No request runs any more (or ctx has ended): the audit file closes
	// either way (queued notes are posted first).
	if err := errors.Join(err, s.deps.Auditor.Close(ctx)); err != nil {
		return fmt.Errorf("proxy: shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}
