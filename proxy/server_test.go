package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// Test keys: "full" holds every scope, "reader" only registry:read.
const (
	platformFullKey   = "full-key-0123456789"
	platformReaderKey = "reader-key-0123456789"
)

// unusedRegistry satisfies RegistryService. These tests exercise the
// platform around the handlers; a handler that does call it panics, which
// the recovery answers with a 500.
type unusedRegistry struct{ RegistryService }

func platformConfig() *config.Config {
	cfg := config.Default()
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.Secret = "http://127.0.0.1:1", "openspp", "admin", "admin"
	cfg.Server.MaxBodyBytes = 64
	cfg.Auth.APIKeys = []config.APIKey{
		{ID: "full-client", Key: platformFullKey, Scopes: config.AllScopes()},
		{ID: "reader-client", Key: platformReaderKey, Scopes: []string{config.ScopeRegistryRead}},
	}
	return cfg
}

// platformServer builds a Server with extra routes under the base path (behind
// authentication), and a log observer.
type platformServer struct {
	*Server
	logs *observer.ObservedLogs
}

func newPlatformServer(t *testing.T, deps Deps) *platformServer {
	t.Helper()
	if deps.Registry == nil {
		deps.Registry = unusedRegistry{}
	}
	core, logs := observer.New(zapcore.DebugLevel)
	s, err := New(platformConfig(), deps, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	return &platformServer{Server: s, logs: logs}
}

// group returns a router group under the base path with authentication, as
// the API routes have.
func (ts *platformServer) group() *gin.RouterGroup {
	return ts.engine.Group(ts.cfg.Server.BasePath+"/test", ts.authenticate)
}

type platformResponse struct {
	*httptest.ResponseRecorder
	problem ProblemDetail
}

func (ts *platformServer) do(t *testing.T, method, path, key string, body io.Reader, header ...string) platformResponse {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	r := platformResponse{ResponseRecorder: rec}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), problemContentType) {
		if err := json.Unmarshal(rec.Body.Bytes(), &r.problem); err != nil {
			t.Fatalf("problem body %q: %v", rec.Body, err)
		}
	}
	return r
}

// requirePlatformProblem checks the status, the problem shape and that the body's
// request id is the one echoed in the header.
func requirePlatformProblem(t *testing.T, r platformResponse, status int, code string) {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status = %d, want %d; body %s", r.Code, status, r.Body)
	}
	if ct := r.Header().Get("Content-Type"); ct != problemContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, problemContentType)
	}
	p := r.problem
	if p.Code != code || p.Status != status || p.Type != problemTypeBase+code || p.Title == "" || p.Detail == "" {
		t.Errorf("problem = %+v, want code %s status %d with type, title and detail", p, code, status)
	}
	if p.RequestID == "" || p.RequestID != r.Header().Get(RequestIDHeader) {
		t.Errorf("problem request_id %q, header %q: want the same, non-empty", p.RequestID, r.Header().Get(RequestIDHeader))
	}
}

func TestProblemTableMapsEveryCode(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	var next error
	ts.group().GET("/err", func(c *gin.Context) { ts.fail(c, next) })
	tests := []struct {
		code       mapping.Code
		status     int
		retryAfter string
	}{
		{mapping.CodeInvalidJSON, 400, ""},
		{mapping.CodeValidationFailed, 422, ""},
		{mapping.CodeUnknownReference, 422, ""},
		{mapping.CodeDuplicateInRequest, 422, ""},
		{mapping.CodeNotFound, 404, ""},
		{mapping.CodeConflict, 409, ""},
		{mapping.CodeUnauthorized, 401, ""},
		{mapping.CodeForbidden, 403, ""},
		{mapping.CodePayloadTooLarge, 413, ""},
		{mapping.CodeRateLimited, 429, "1"},
		{mapping.CodeUpstreamForbidden, 502, ""},
		{mapping.CodeUpstreamAuthFailed, 503, "30"},
		{mapping.CodeUpstreamError, 502, ""},
		{mapping.CodeUpstreamUnavailable, 503, "5"},
		{mapping.CodeUpstreamTimeout, 504, "5"},
		{mapping.CodeInternal, 500, ""},
		{mapping.CodeUpstreamOutcomeUnknown, 504, "5"},
		{mapping.CodeIdempotencyKeyReused, 422, ""},
		{mapping.CodeIdempotencyInProgress, 409, "1"},
		{mapping.CodeUnsupportedMediaType, 415, ""},
		{codeAuditUnavailable, 503, "30"},
		{codeIdempotencyStoreUnavailable, 503, "5"},
	}
	if len(tests) != len(problemKinds)-1 { // -1: method_not_allowed is routing, tested below
		t.Errorf("the problem table has %d codes, this test %d", len(problemKinds)-1, len(tests))
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			next = &mapping.Error{Code: tt.code, Message: "something about " + string(tt.code)}
			r := ts.do(t, "GET", "/api/v1/registry/test/err", platformFullKey, nil)
			requirePlatformProblem(t, r, tt.status, string(tt.code))
			if got := r.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
		})
	}
}

func TestProblemCarriesFieldsAndLegacyCode(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	ts.group().GET("/err", func(c *gin.Context) {
		ts.fail(c, &mapping.Error{Code: mapping.CodeUnknownReference, Message: "Invalid ID field.", LegacyCode: "G2P-REQ-005",
			Fields: []mapping.FieldError{{Pointer: "/reg_ids/0/id_type", Message: "unknown id type \"Pasport\""}}})
	})
	r := ts.do(t, "GET", "/api/v1/registry/test/err", platformFullKey, nil)
	requirePlatformProblem(t, r, 422, "unknown_reference")
	want := ProblemDetail{Type: problemTypeBase + "unknown_reference", Title: "Unknown reference", Status: 422,
		Detail: "Invalid ID field.", Code: "unknown_reference", ErrorCode: "G2P-REQ-005",
		Errors:    []ProblemField{{Pointer: "/reg_ids/0/id_type", Detail: "unknown id type \"Pasport\""}},
		RequestID: r.problem.RequestID}
	got, _ := json.Marshal(r.problem)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("problem\n%s\nwant\n%s", got, wantJSON)
	}
	if !strings.Contains(r.Body.String(), `"error_code":"G2P-REQ-005"`) {
		t.Errorf("body %s lacks the legacy error_code", r.Body)
	}
}

func TestUnknownAndUpstreamErrorsHideInternals(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	var next error
	ts.group().GET("/err", func(c *gin.Context) { ts.fail(c, next) })
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"plain Go error", errors.New("sql: connection refused at 10.0.0.5"), 500, "internal"},
		{"odoo traceback", &odoo.Error{Kind: odoo.KindServer, Code: 1, Message: "KeyError: 'x'",
			Debug: "Traceback (most recent call last): secret internals"}, 502, "upstream_error"},
		{"odoo unreachable", &odoo.Error{Kind: odoo.KindUnavailable, Debug: "dial tcp 10.0.0.5:8069: refused"}, 503, "upstream_unavailable"},
		{"deadline", context.DeadlineExceeded, 504, "upstream_timeout"},
		{"odoo rights", &odoo.Error{Kind: odoo.KindAccessError, Code: 4, Message: "You are not allowed to modify 'Bank Accounts'"}, 502, "upstream_forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next = tt.err
			ts.logs.TakeAll()
			r := ts.do(t, "GET", "/api/v1/registry/test/err", platformFullKey, nil)
			requirePlatformProblem(t, r, tt.status, tt.code)
			for _, leak := range []string{"10.0.0.5", "Traceback", "KeyError", "sql:"} {
				if strings.Contains(r.Body.String(), leak) {
					t.Errorf("body leaks %q: %s", leak, r.Body)
				}
			}
			failed := ts.logs.FilterMessage("request failed").All()
			if len(failed) != 1 || failed[0].ContextMap()["cause"] == nil || failed[0].ContextMap()["request_id"] != r.problem.RequestID {
				t.Errorf("want one error log line with the cause and request id, got %v", failed)
			}
		})
	}
}

func TestTracebackIsLogged(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	ts.group().GET("/err", func(c *gin.Context) {
		ts.fail(c, &odoo.Error{Kind: odoo.KindServer, Code: 1, Debug: "Traceback: boom"})
	})
	ts.do(t, "GET", "/api/v1/registry/test/err", platformFullKey, nil)
	if n := ts.logs.FilterField(zap.String("odoo_debug", "Traceback: boom")).Len(); n != 1 {
		t.Errorf("the Odoo traceback was logged %d times, want once", n)
	}
}

func TestRequestID(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"uuid kept", "0b7e7c1e-5a4c-4d43-9d5e-3c3f7bb0f0a1", true},
		{"trace id kept", "svc.a:42_x", true},
		{"absent", "", false},
		{"spaces replaced", "a b", false},
		{"log forging replaced", "x\",\"level\":\"error", false},
		{"too long replaced", strings.Repeat("a", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, "GET", "/no/such/route", "", nil, RequestIDHeader, tt.sent)
			got := r.Header().Get(RequestIDHeader)
			if tt.kept && got != tt.sent {
				t.Errorf("X-Request-ID = %q, want the sent %q", got, tt.sent)
			}
			if !tt.kept && (got == tt.sent || len(got) != 32) {
				t.Errorf("X-Request-ID = %q, want a new 32-hex id", got)
			}
			if r.problem.RequestID != got {
				t.Errorf("problem request_id %q != header %q", r.problem.RequestID, got)
			}
		})
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	ts.group().GET("/panic", func(c *gin.Context) { panic("nil map write") })
	r := ts.do(t, "GET", "/api/v1/registry/test/panic", platformFullKey, nil)
	requirePlatformProblem(t, r, 500, "internal")
	if strings.Contains(r.Body.String(), "nil map") {
		t.Errorf("body leaks the panic: %s", r.Body)
	}
	logged := ts.logs.FilterMessage("panic in handler").All()
	if len(logged) != 1 || !strings.Contains(logged[0].ContextMap()["stack"].(string), "TestPanicBecomesProblem") {
		t.Errorf("want the panic logged once with its stack, got %v", logged)
	}
	// The server keeps serving.
	if r := ts.do(t, "GET", "/healthz", "", nil); r.Code != 200 {
		t.Errorf("after a panic /healthz = %d", r.Code)
	}
}

func TestAccessLogOneLinePerRequest(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	ts.group().GET("/item/:id", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r := ts.do(t, "GET", "/api/v1/registry/test/item/7", platformReaderKey, nil)
	lines := ts.logs.FilterMessage("request").All()
	if len(lines) != 1 {
		t.Fatalf("want 1 access log line, got %d", len(lines))
	}
	f := lines[0].ContextMap()
	want := map[string]any{
		"request_id": r.Header().Get(RequestIDHeader), "client": "reader-client", "method": "GET",
		"route": "/api/v1/registry/test/item/:id", "status": int64(204), "odoo_calls": int64(0),
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("access log %s = %v, want %v", k, f[k], v)
		}
	}
	if _, ok := f["latency_ms"]; !ok {
		t.Error("access log lacks latency_ms")
	}
}

func TestAuthentication(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	ts.group().GET("/who", func(c *gin.Context) {
		c.String(200, mapping.ClientID(c.Request.Context())+"|"+c.GetString(ctxClientID))
	})
	tests := []struct {
		name, header string
		challenge    string
	}{
		{"no header", "", `Bearer realm="g2p-bank-proxy"`},
		{"basic scheme", "Basic YWRtaW46YWRtaW4=", `Bearer realm="g2p-bank-proxy"`},
		{"empty token", "Bearer ", `Bearer realm="g2p-bank-proxy"`},
		{"wrong key", "Bearer nope", `Bearer realm="g2p-bank-proxy", error="invalid_token"`},
		{"prefix of a key", "Bearer " + platformFullKey[:10], `Bearer realm="g2p-bank-proxy", error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, "GET", "/api/v1/registry/test/who", "", nil, "Authorization", tt.header)
			requirePlatformProblem(t, r, 401, "unauthorized")
			if got := r.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
		})
	}
	r := ts.do(t, "GET", "/api/v1/registry/test/who", "", nil, "Authorization", "bearer "+platformFullKey)
	if r.Code != 200 || r.Body.String() != "full-client|full-client" {
		t.Errorf("valid key: %d %q, want 200 with the client id in request and gin context", r.Code, r.Body)
	}
}

func TestRequireScope(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	ts.group().POST("/write", ts.requireScope(config.ScopeRegistryWrite), func(c *gin.Context) { c.Status(204) })
	requirePlatformProblem(t, ts.do(t, "POST", "/api/v1/registry/test/write", platformReaderKey, nil), 403, "forbidden")
	if r := ts.do(t, "POST", "/api/v1/registry/test/write", platformFullKey, nil); r.Code != 204 {
		t.Errorf("full key: status %d, want 204", r.Code)
	}
}

func TestBodyLimit(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	ts.group().POST("/echo", func(c *gin.Context) {
		body, ok := ts.readBody(c)
		if !ok {
			return
		}
		c.Data(200, "text/plain", body)
	})
	if r := ts.do(t, "POST", "/api/v1/registry/test/echo", platformFullKey, strings.NewReader(strings.Repeat("x", 64))); r.Code != 200 || r.Body.Len() != 64 {
		t.Errorf("a body at the limit: %d, %d bytes", r.Code, r.Body.Len())
	}
	r := ts.do(t, "POST", "/api/v1/registry/test/echo", platformFullKey, strings.NewReader(strings.Repeat("x", 65)))
	requirePlatformProblem(t, r, 413, "payload_too_large")
	// Without a Content-Length (chunked), readBody notices the overflow.
	r = ts.do(t, "POST", "/api/v1/registry/test/echo", platformFullKey, io.MultiReader(strings.NewReader(strings.Repeat("x", 65))))
	requirePlatformProblem(t, r, 413, "payload_too_large")
}

func TestUnknownRouteAndMethod(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	ts.group().GET("/thing/:id", func(c *gin.Context) {})
	ts.group().DELETE("/thing/:id", func(c *gin.Context) {})
	ts.group().POST("/thing/", func(c *gin.Context) {})
	requirePlatformProblem(t, ts.do(t, "GET", "/api/v1/registry/nothing", platformFullKey, nil), 404, "not_found")
	r := ts.do(t, "PUT", "/api/v1/registry/test/thing/3", platformFullKey, nil)
	requirePlatformProblem(t, r, 405, "method_not_allowed")
	if got := r.Header().Get("Allow"); got != "GET, DELETE" {
		t.Errorf("Allow = %q, want %q", got, "GET, DELETE")
	}
	// An empty segment is no :id.
	r = ts.do(t, "GET", "/api/v1/registry/test/thing/", platformFullKey, nil)
	requirePlatformProblem(t, r, 405, "method_not_allowed")
	if got := r.Header().Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
}

func TestHealthzNeedsNoAuth(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	r := ts.do(t, "GET", "/healthz", "", nil)
	if r.Code != 200 || !strings.Contains(r.Body.String(), `"ok"`) {
		t.Errorf("/healthz: %d %s", r.Code, r.Body)
	}
	if r := ts.do(t, "GET", "/readyz", "", nil); r.Code != 404 {
		t.Errorf("/readyz without an upstream: %d, want 404", r.Code)
	}
}

type stubPinger struct{ err error }

func (f stubPinger) Version(context.Context) (odoo.VersionInfo, error) {
	return odoo.VersionInfo{ServerVersion: "17.0"}, f.err
}

func (f stubPinger) Authenticate(context.Context) (int64, error) { return 2, nil }

func (f stubPinger) Circuit() odoo.CircuitState { return odoo.CircuitState{State: odoo.CircuitClosed} }

// The probe's states and caching are tested in ready_test.go.
func TestReadyz(t *testing.T) {
	ok := newPlatformServer(t, Deps{Upstream: stubPinger{}})
	if r := ok.do(t, "GET", "/readyz", "", nil); r.Code != 200 || r.Body.String() != `{"status":"ok","checks":{"odoo":"ok"}}` {
		t.Errorf("ready: %d %s", r.Code, r.Body)
	}
	down := newPlatformServer(t, Deps{Upstream: stubPinger{err: &odoo.Error{Kind: odoo.KindUnavailable}}})
	if r := down.do(t, "GET", "/readyz", "", nil); r.Code != 503 || r.Body.String() != `{"status":"unavailable","checks":{"odoo":"unavailable"}}` {
		t.Errorf("not ready: %d %s", r.Code, r.Body)
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	cfg := platformConfig()
	if _, err := New(cfg, Deps{}, nil); err == nil || !strings.Contains(err.Error(), "Registry") {
		t.Errorf("missing registry: %v", err)
	}
	cfg.Odoo.URL = "odoo"
	if _, err := New(cfg, Deps{Registry: unusedRegistry{}}, nil); err == nil || !strings.Contains(err.Error(), "odoo.url") {
		t.Errorf("invalid config: %v", err)
	}
}

// Serve finishes the requests in flight when its context is cancelled.
func TestServeShutsDownGracefully(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	entered, release := make(chan struct{}), make(chan struct{})
	ts.group().GET("/slow", func(c *gin.Context) {
		close(entered)
		<-release
		c.String(200, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ts.Serve(ctx, ln) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/v1/registry/test/slow", nil)
		req.Header.Set("Authorization", "Bearer "+platformFullKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-entered
	cancel()
	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("in-flight request: %q, %v; want it answered", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after a clean shutdown", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("the server still accepts connections after shutdown")
	}
}

func TestScopeNames(t *testing.T) {
	// The route table and config share the scope vocabulary.
	for _, s := range []string{"registry:read", "registry:write", "bank_accounts:read", "bank_accounts:read_full", "bank_accounts:write"} {
		if !slices.Contains(config.AllScopes(), s) {
			t.Errorf("scope %s missing", s)
		}
	}
}

func TestProblemFallbacks(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	var next error
	ts.group().GET("/err", func(c *gin.Context) { ts.fail(c, next) })

	next = &mapping.Error{Code: mapping.CodeNotFound}
	r := ts.do(t, "GET", "/api/v1/registry/test/err", platformFullKey, nil)
	requirePlatformProblem(t, r, 404, "not_found")
	if r.problem.Detail != "Not found" {
		t.Errorf("detail of a message-less error = %q, want the title", r.problem.Detail)
	}

	next = &mapping.Error{Code: "no_such_code", Message: "internal detail"}
	r = ts.do(t, "GET", "/api/v1/registry/test/err", platformFullKey, nil)
	requirePlatformProblem(t, r, 500, "internal")
	if strings.Contains(r.Body.String(), "internal detail") {
		t.Errorf("an unmapped code leaks its message: %s", r.Body)
	}
}
