package odoo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout        = 60 * time.Second // Odoo retries serialization failures server-side for up to ~30 s
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxConns       = 32
	DefaultAuthBackoff    = 15 * time.Second
	DefaultLang           = "en_US" // messages (and IsAccountNumberUnique) depend on it
	DefaultTZ             = "UTC"
)

// Client talks to one Odoo database as one user. It is safe for concurrent
// use; calls run in parallel over a pooled HTTP client.
type Client struct {
	cfg Config
	tr  transport
	log *zap.Logger
	now func() time.Time

	authFlight singleflight.Group
	mu         sync.Mutex
	uid        int64 // 0 = not authenticated
	gen        uint64
	failErr    error // last authentication refusal, served during back-off
	failedAt   time.Time
	failures   int // consecutive refusals: the back-off doubles with each
}

// maxAuthBackoff caps the doubling back-off after refused logins. Even at
// the base back-off, two replicas behind one IP would approach Odoo's
// 5-failures-a-minute lock-out; doubling keeps any number of replicas well
// below it once the secret is known to be wrong.
const maxAuthBackoff = 10 * time.Minute

// authBackoffLocked is the wait after the current run of refusals:
// cfg.AuthBackoff, doubled for every further consecutive refusal, capped
// at maxAuthBackoff. c.mu must be held.
func (c *Client) authBackoffLocked() time.Duration {
	d := c.cfg.AuthBackoff
	for i := 1; i < c.failures && d < maxAuthBackoff; i++ {
		d *= 2
	}
	return min(d, maxAuthBackoff)
}

// New validates cfg, fills in defaults and returns a client. It does not
// contact Odoo; the first call authenticates. log may be nil.
func New(cfg Config, log *zap.Logger) (*Client, error) {
	base, err := baseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.DB == "":
		return nil, errors.New("odoo: config: DB is empty")
	case cfg.Login == "":
		return nil, errors.New("odoo: config: Login is empty")
	case cfg.Secret == "":
		return nil, errors.New("odoo: config: Secret is empty")
	case cfg.Timeout < 0 || cfg.ConnectTimeout < 0 || cfg.AuthBackoff < 0 || cfg.MaxConns < 0 ||
		cfg.Retry.Attempts < 0 || cfg.Retry.BaseDelay < 0 || cfg.Retry.MaxDelay < 0 || cfg.Breaker.CoolDown < 0:
		return nil, errors.New("odoo: config: negative timeout, back-off or connection count")
	}
	setDefault(&cfg.Timeout, DefaultTimeout)
	setDefault(&cfg.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&cfg.AuthBackoff, DefaultAuthBackoff)
	setDefault(&cfg.MaxConns, DefaultMaxConns)
	setDefault(&cfg.Lang, DefaultLang)
	setDefault(&cfg.TZ, DefaultTZ)
	cfg.Retry.defaults()
	cfg.Breaker.defaults()
	if log == nil {
		log = zap.NewNop()
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	httpClient := &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: cfg.ConnectTimeout,
		TLSClientConfig:     cfg.TLS,
		MaxIdleConns:        cfg.MaxConns,
		MaxIdleConnsPerHost: cfg.MaxConns,
		MaxConnsPerHost:     cfg.MaxConns,
		IdleConnTimeout:     90 * time.Second,
	}}
	p := poster{http: httpClient, base: base}
	c := &Client{cfg: cfg, log: log.Named("odoo"), now: time.Now}
	switch cfg.Protocol {
	case "", XMLRPC:
		c.cfg.Protocol = XMLRPC
		c.tr = &xmlRPC{poster: p}
	case JSONRPC:
		c.tr = &jsonRPC{poster: p}
	default:
		return nil, fmt.Errorf("odoo: config: unknown protocol %q (want %q or %q)", cfg.Protocol, XMLRPC, JSONRPC)
	}
	if cfg.Breaker.Failures > 0 {
		c.tr = newBreaker(c.tr, cfg.Breaker, time.Now)
	}
	return c, nil
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// baseURL accepts only a base URL: the client appends /xmlrpc/2/... or
// /jsonrpc itself, so a configured RPC path is most likely the legacy
// /xmlrpc/<service> endpoint, whose string fault codes lose every fault.
func baseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("odoo: config: URL must be an http(s) base URL such as http://odoo:8069")
	}
	if u.User != nil {
		return "", errors.New("odoo: config: URL must not carry credentials; use Login and Secret")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("odoo: config: URL must not have a query or fragment")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "xmlrpc" || seg == "jsonrpc" {
			return "", errors.New("odoo: config: URL must be the base URL without /xmlrpc or /jsonrpc (the client adds /xmlrpc/2/... itself)")
		}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Version returns common.version; it needs no authentication.
func (c *Client) Version(ctx context.Context) (VersionInfo, error) {
	res, err := c.withRetries(ctx, "", "version", func() (any, error) { return c.common(ctx, "version", []any{}) })
	if err != nil {
		return VersionInfo{}, err
	}
	m, ok := res.(map[string]any)
	if !ok {
		return VersionInfo{}, shapeError("", "version", res)
	}
	r := Record(m)
	v := VersionInfo{}
	v.ServerVersion, _ = r.String("server_version")
	v.ServerSerie, _ = r.String("server_serie")
	v.ProtocolVersion, _ = r.Int64("protocol_version")
	return v, nil
}

func (c *Client) common(ctx context.Context, method string, args []any) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	res, err := c.tr.call(ctx, "common", method, args)
	return res, c.annotate(err, "", method)
}

// Authenticate returns the uid for the configured login and secret. The uid
// is cached. A refusal (authenticate answers false) is *Error{Kind:
// KindAuthFailed}; for cfg.AuthBackoff afterwards (doubling with every
// further consecutive refusal, up to maxAuthBackoff) every call gets that
// error without contacting Odoo, so the proxy can never trip Odoo's
// 5-failures-per-IP lock-out. Concurrent callers share one authenticate.
func (c *Client) Authenticate(ctx context.Context) (int64, error) {
	uid, _, err := c.auth(ctx)
	return uid, err
}

type authResult struct {
	uid int64
	gen uint64
}

func (c *Client) auth(ctx context.Context) (int64, uint64, error) {
	if uid, gen, err, ok := c.cachedAuth(); ok {
		return uid, gen, err
	}
	ch := c.authFlight.DoChan("authenticate", func() (any, error) {
		if uid, gen, err, ok := c.cachedAuth(); ok {
			return authResult{uid, gen}, err
		}
		// Detached from the first caller: its cancellation must not fail
		// the others waiting on this flight.
		actx := context.WithoutCancel(ctx)
		res, err := c.common(actx, "authenticate", []any{c.cfg.DB, c.cfg.Login, c.cfg.Secret, map[string]any{}})
		return c.storeAuth(res, err)
	})
	select {
	case <-ctx.Done():
		return 0, 0, c.annotate(transportError(ctx, ctx.Err()), "", "authenticate")
	case r := <-ch:
		if r.Err != nil {
			return 0, 0, r.Err
		}
		a := r.Val.(authResult)
		return a.uid, a.gen, nil
	}
}

func (c *Client) cachedAuth() (uid int64, gen uint64, err error, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.uid != 0 {
		return c.uid, c.gen, nil, true
	}
	if c.failErr != nil && c.now().Sub(c.failedAt) < c.authBackoffLocked() {
		return 0, 0, c.failErr, true
	}
	return 0, 0, nil, false
}

// storeAuth records the outcome of common.authenticate. Refusals (false, or
// AccessDenied such as Odoo's "Too many login failures") start the
// back-off; transport errors do not, as Odoo did not count them.
func (c *Client) storeAuth(res any, err error) (authResult, error) {
	if err == nil {
		switch v := res.(type) {
		case int64:
			if v > 0 {
				c.mu.Lock()
				c.uid, c.failErr, c.failures = v, nil, 0
				c.gen++
				a := authResult{v, c.gen}
				c.mu.Unlock()
				c.log.Info("authenticated", zap.String("db", c.cfg.DB), zap.String("login", c.cfg.Login), zap.Int64("uid", v))
				return a, nil
			}
		case bool:
			if !v {
				err = &Error{Kind: KindAuthFailed, Method: "authenticate",
					Message: fmt.Sprintf("Odoo refused login %q on database %q (wrong login or secret)", c.cfg.Login, c.cfg.DB)}
			}
		}
		if err == nil {
			err = shapeError("", "authenticate", res)
		}
	}
	var e *Error
	if errors.As(err, &e) && (e.Kind == KindAuthFailed || e.Kind == KindAccessDenied) {
		if e.Kind == KindAccessDenied {
			e.Kind = KindAuthFailed
		}
		c.mu.Lock()
		c.uid, c.failErr, c.failedAt = 0, err, c.now()
		c.failures++
		backoff := c.authBackoffLocked()
		c.mu.Unlock()
		c.log.Warn("authentication refused; backing off", zap.String("db", c.cfg.DB),
			zap.String("login", c.cfg.Login), zap.Duration("backoff", backoff), zap.Error(err))
	}
	return authResult{}, err
}

// forget drops the cached uid obtained in generation gen, unless another
// caller already re-authenticated since.
func (c *Client) forget(gen uint64) {
	c.mu.Lock()
	if c.gen == gen {
		c.uid = 0
	}
	c.mu.Unlock()
}

// ExecuteKw calls model.method(*args, **kwargs) through object.execute_kw,
// authenticating first if needed. kwargs["context"] is completed with lang
// and tz (caller keys win). On AccessDenied (the key was revoked, the
// database restored...) it re-authenticates once and retries once. Nothing
// else is retried, except reads (IsReadMethod) after a transport failure,
// per cfg.Retry: a create that timed out may have committed.
func (c *Client) ExecuteKw(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	nargs, nkw, err := c.prepare(args, kwargs)
	if err != nil {
		return nil, err
	}
	res, gen, err := c.execute(ctx, model, method, nargs, nkw)
	if !IsKind(err, KindAccessDenied) {
		return res, err
	}
	c.log.Info("access denied; re-authenticating once", zap.String("model", model), zap.String("method", method))
	c.forget(gen)
	res, _, err = c.execute(ctx, model, method, nargs, nkw)
	return res, err
}

func (c *Client) prepare(args []any, kwargs map[string]any) ([]any, map[string]any, error) {
	if args == nil {
		args = []any{}
	}
	na, err := normalize(args)
	if err != nil {
		return nil, nil, prependPath(err, "args")
	}
	kw := make(map[string]any, len(kwargs)+1)
	for k, v := range kwargs {
		kw[k] = v
	}
	cx := map[string]any{"lang": c.cfg.Lang, "tz": c.cfg.TZ}
	switch given := kwargs["context"].(type) {
	case nil:
	case map[string]any:
		for k, v := range given {
			cx[k] = v
		}
	default:
		return nil, nil, &valueError{path: []string{"kwargs.context"}, msg: "context must be a map[string]any"}
	}
	kw["context"] = cx
	nkw, err := normalize(kw)
	if err != nil {
		return nil, nil, prependPath(err, "kwargs")
	}
	return na.([]any), nkw.(map[string]any), nil
}

func (c *Client) executeOnce(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, uint64, error) {
	uid, gen, err := c.auth(ctx)
	if err != nil {
		return nil, gen, err
	}
	counterFrom(ctx).inc()
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	start := c.now()
	res, err := c.tr.call(cctx, "object", "execute_kw",
		[]any{c.cfg.DB, uid, c.cfg.Secret, model, method, args, kwargs})
	d := c.now().Sub(start)
	err = c.annotate(err, model, method)
	if c.cfg.Observe != nil {
		c.cfg.Observe(model, method, d, err)
	}
	if err != nil {
		c.log.Debug("call failed", zap.String("model", model), zap.String("method", method),
			zap.Duration("took", d), zap.Error(err))
	} else {
		c.log.Debug("call", zap.String("model", model), zap.String("method", method), zap.Duration("took", d))
	}
	return res, gen, err
}

// minScrubbedSecret: shorter secrets (a dev password such as "admin") would
// mangle ordinary words ("Administrator") if scrubbed.
const minScrubbedSecret = 8

// annotate names the call on an *Error and scrubs the secret from anything
// Odoo echoed back (tracebacks may quote arguments).
func (c *Client) annotate(err error, model, method string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	if e.Model == "" && e.Method == "" {
		e.Model, e.Method = model, method
	}
	if len(c.cfg.Secret) >= minScrubbedSecret {
		e.Message = strings.ReplaceAll(e.Message, c.cfg.Secret, "[secret]")
		e.Debug = strings.ReplaceAll(e.Debug, c.cfg.Secret, "[secret]")
	}
	return err
}

func shapeError(model, method string, got any) *Error {
	return &Error{Kind: KindBadResponse, Model: model, Method: method,
		Message: fmt.Sprintf("unexpected result shape %T", got)}
}
