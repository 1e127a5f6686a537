package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// Reliability tests: the whole HTTP stack (proxy.New, the registry and
// account services, the Odoo client) against the emulator, whose
// fault-injection hook plays a failing Odoo or network.

const (
	relKeyA = "reliability-key-a-0123456789"
	relKeyB = "reliability-key-b-0123456789"
)

// relOptions tune a harness; zero values are fine.
type relOptions struct {
	srv           *emulator.Server // share an emulator (several replicas)
	odoo          odoo.Config      // timeouts, retry, breaker (URL etc. are filled in)
	store         idempotency.Store
	locker        mapping.Locker
	outcomeLookup time.Duration
	cfg           func(*config.Config) // adjusts the proxy's configuration
}

type relHarness struct {
	srv     *emulator.Server
	client  *odoo.Client
	server  *Server
	handler http.Handler
	logs    *observer.ObservedLogs
}

func newRelHarness(t testing.TB, o relOptions) *relHarness {
	t.Helper()
	srv := o.srv
	if srv == nil {
		srv = emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo, NoLoginCooldown: true})
	}
	oc := o.odoo
	if oc.URL == "" {
		oc.URL = srv.URL()
	}
	oc.DB, oc.Login, oc.Secret = srv.DB(), "admin", "admin"
	if oc.Timeout == 0 {
		oc.Timeout = 10 * time.Second
	}
	if oc.Retry.BaseDelay == 0 {
		oc.Retry.BaseDelay, oc.Retry.MaxDelay = time.Millisecond, 5*time.Millisecond
	}
	if oc.Breaker.Failures == 0 {
		oc.Breaker.Failures = -1
	}
	core, logs := observer.New(zapcore.InfoLevel)
	log := zap.New(core)
	client, err := odoo.New(oc, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.Secret = "http://127.0.0.1:1", "openspp", "admin", "admin"
	cfg.Auth.APIKeys = []config.APIKey{
		{ID: "client-a", Key: relKeyA, Scopes: config.AllScopes()},
		{ID: "client-b", Key: relKeyB, Scopes: config.AllScopes()},
	}
	lookup := o.outcomeLookup
	if lookup == 0 {
		lookup = 2 * time.Second
	}
	if o.cfg != nil {
		o.cfg(cfg)
	}
	resolving := mapping.ResolveOutcomes(client, lookup, log)
	reg := mapping.NewRegistry(resolving, mapping.RegistryOptions{OutcomeLookup: lookup, BankLocker: o.locker}, log)
	accounts := mapping.NewAccounts(resolving, reg.Banks(), mapping.AccountsOptions{}, log)
	s, err := New(cfg, Deps{Registry: reg, Accounts: accounts, Upstream: client, Idempotency: o.store}, log)
	if err != nil {
		t.Fatal(err)
	}
	return &relHarness{srv: srv, client: client, server: s, handler: s.Handler(), logs: logs}
}

type relResponse struct {
	*httptest.ResponseRecorder
}

// do sends a request as client A; header pairs are added (an
// "Authorization" pair replaces the key).
func (h *relHarness) do(t testing.TB, method, path, body string, header ...string) relResponse {
	t.Helper()
	req := httptest.NewRequest(method, "/api/v1/registry"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+relKeyA)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	if rec.Code == http.StatusInternalServerError {
		t.Errorf("%s %s: 500 %s", method, path, rec.Body)
	}
	return relResponse{rec}
}

func (r relResponse) problem(t testing.TB) ProblemDetail {
	t.Helper()
	var p ProblemDetail
	if ct := r.Header().Get("Content-Type"); ct != problemContentType {
		t.Fatalf("status %d, content type %q, want problem+json: %s", r.Code, ct, r.Body)
	}
	if err := json.Unmarshal(r.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (r relResponse) id(t testing.TB) int64 {
	t.Helper()
	var v struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(r.Body.Bytes(), &v); err != nil || v.ID == 0 {
		t.Fatalf("no id in %d %s (%v)", r.Code, r.Body, err)
	}
	return v.ID
}

// individualBody is a POST /individual payload with a National ID and one
// account at a seeded bank.
func individualBody(nationalID, account string) string {
	return fmt.Sprintf(`{"given_name":"Rel","family_name":"Test %s","ids":[{"id_type":"National ID","value":%q}],
"bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":%q}]}`, nationalID, nationalID, account)
}

// onObject installs a hook for object calls of model.method ("" = any).
func onObject(srv *emulator.Server, model, method string, f func(emulator.Call) *emulator.Injected) {
	srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Service != "object" || (model != "" && c.Model != model) || (method != "" && c.Method != method) {
			return nil
		}
		return f(c)
	})
}

func always(inj emulator.Injected) func(emulator.Call) *emulator.Injected {
	return func(emulator.Call) *emulator.Injected { return &inj }
}

// countPartners counts registrants with a registration id value.
func countPartners(t testing.TB, c *odoo.Client, value string) int64 {
	t.Helper()
	n, err := c.SearchCount(context.Background(), "res.partner",
		odoo.Domain{odoo.Cond("reg_ids", "any", []any{odoo.Cond("value", "=", value)})}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestUpstreamFailuresThroughTheStack(t *testing.T) {
	tests := []struct {
		name       string
		opts       relOptions
		hook       func(emulator.Call) *emulator.Injected
		status     int
		code       string
		retryAfter bool
		logged     string // in the logged cause
	}{
		{name: "Odoo down", status: 503, code: "upstream_unavailable", retryAfter: true, logged: "cannot reach Odoo"},
		{name: "Odoo slow", opts: relOptions{odoo: odoo.Config{Timeout: 100 * time.Millisecond}},
			hook: always(emulator.Injected{Delay: time.Minute}), status: 504, code: "upstream_timeout", retryAfter: true, logged: "did not answer in time"},
		{name: "Odoo answers 500", hook: always(emulator.Injected{HTTPStatus: 500}), status: 502, code: "upstream_error", logged: "unexpected HTTP status 500"},
		{name: "unparseable answer", hook: always(emulator.Injected{HTTPStatus: 200}), status: 502, code: "upstream_error", logged: "undecodable XML-RPC"},
		{name: "gateway 503", hook: always(emulator.Injected{HTTPStatus: 503}), status: 503, code: "upstream_unavailable", retryAfter: true, logged: "status 503"},
		{name: "server fault", hook: always(emulator.Injected{Fault: emulator.ServerFault("psycopg2.OperationalError", "server closed the connection")}),
			status: 502, code: "upstream_error", logged: "server closed the connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "Odoo down" {
				tt.opts.odoo.URL = closedPort(t)
			}
			h := newRelHarness(t, tt.opts)
			if tt.hook != nil {
				if _, err := h.client.Authenticate(context.Background()); err != nil {
					t.Fatal(err)
				}
				onObject(h.srv, "", "", tt.hook)
			}
			r := h.do(t, "GET", "/individual/1", "", RequestIDHeader, "rel-"+strings.ReplaceAll(tt.name, " ", "-"))
			if r.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Code, tt.status, r.Body)
			}
			p := r.problem(t)
			if p.Code != tt.code || p.RequestID != r.Header().Get(RequestIDHeader) {
				t.Errorf("problem %+v, want code %s with the request id", p, tt.code)
			}
			if strings.Contains(r.Body.String(), "Traceback") || strings.Contains(r.Body.String(), "psycopg2") {
				t.Errorf("internals leaked: %s", r.Body)
			}
			if got := r.Header().Get("Retry-After"); (got != "") != tt.retryAfter {
				t.Errorf("Retry-After %q, want present=%v", got, tt.retryAfter)
			}
			entries := h.logs.FilterMessage("request failed").FilterField(zap.String("request_id", p.RequestID)).All()
			if len(entries) != 1 || !strings.Contains(fmt.Sprint(entries[0].ContextMap()), tt.logged) {
				t.Errorf("log lines for the request: %+v, want one naming %q", entries, tt.logged)
			}
		})
	}
}

func TestAccessDeniedIs503WithoutAnAuthenticationStorm(t *testing.T) {
	h := newRelHarness(t, relOptions{})
	if _, err := h.client.Authenticate(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The key was revoked: every call and every login is refused.
	h.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Service == "object" || c.Method == "authenticate" {
			return &emulator.Injected{Fault: emulator.AccessDeniedFault()}
		}
		return nil
	})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			r := h.do(t, "GET", "/individual/1", "")
			if r.Code != 503 || r.problem(t).Code != "upstream_auth_failed" || r.Header().Get("Retry-After") == "" {
				t.Errorf("status %d %s, want 503 upstream_auth_failed with Retry-After", r.Code, r.Body)
			}
		})
	}
	wg.Wait()
	logins := 0
	for _, c := range h.srv.CallLog() {
		if c.Method == "authenticate" {
			logins++
		}
	}
	if logins > 2 { // the set-up login + at most one re-login shared by all
		t.Errorf("%d authenticate calls for 20 requests; Odoo locks an IP out after 5", logins)
	}
}

func TestOpenCircuitFailsFastWithItsRetryAfter(t *testing.T) {
	h := newRelHarness(t, relOptions{odoo: odoo.Config{Retry: odoo.RetryPolicy{Attempts: 1},
		Breaker: odoo.BreakerPolicy{Failures: 3, CoolDown: 42 * time.Second}}})
	if _, err := h.client.Authenticate(context.Background()); err != nil {
		t.Fatal(err)
	}
	onObject(h.srv, "", "", always(emulator.Injected{Drop: true}))
	for range 3 {
		h.do(t, "GET", "/individual/1", "")
	}
	seen := h.srv.Calls()
	r := h.do(t, "GET", "/individual/1", "")
	if r.Code != 503 || r.problem(t).Code != "upstream_unavailable" || r.Header().Get("Retry-After") != "42" {
		t.Errorf("open circuit: %d %s Retry-After %q; want 503 with Retry-After 42", r.Code, r.Body, r.Header().Get("Retry-After"))
	}
	if h.srv.Calls() != seen {
		t.Error("an open circuit still called Odoo")
	}
	if s := h.client.Circuit(); s.State != odoo.CircuitOpen {
		t.Errorf("circuit %+v, want open", s)
	}
}

func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	h := newRelHarness(t, relOptions{})
	body := individualBody("2000000001", "REL-0001")
	first := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "key-1")
	if first.Code != 200 {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	calls := h.srv.Calls()
	again := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "key-1")
	if again.Code != 200 || again.Body.String() != first.Body.String() || again.Header().Get(ReplayedHeader) != "true" ||
		again.Header().Get("Content-Type") != first.Header().Get("Content-Type") {
		t.Errorf("replay: %d %q %s\nwant the first answer %s", again.Code, again.Header(), again.Body, first.Body)
	}
	if h.srv.Calls() != calls {
		t.Errorf("the replay made %d Odoo calls, want 0", h.srv.Calls()-calls)
	}
	if n := countPartners(t, h.client, "2000000001"); n != 1 {
		t.Errorf("%d registrants, want 1", n)
	}

	other := h.do(t, "POST", "/individual", individualBody("2000000002", "REL-0002"), IdempotencyKeyHeader, "key-1")
	if other.Code != 422 || other.problem(t).Code != "idempotency_key_reused" {
		t.Errorf("same key, other body: %d %s, want 422 idempotency_key_reused", other.Code, other.Body)
	}
	if n := countPartners(t, h.client, "2000000002"); n != 0 {
		t.Errorf("the refused request wrote %d registrants", n)
	}
	// Keys are per client: client B's "key-1" is another key.
	b := h.do(t, "POST", "/individual", individualBody("2000000003", "REL-0003"), IdempotencyKeyHeader, "key-1",
		"Authorization", "Bearer "+relKeyB)
	if b.Code != 200 || b.Header().Get(ReplayedHeader) != "" {
		t.Errorf("client B with client A's key: %d %s, want its own 200", b.Code, b.Body)
	}
	// Validation failures are answers too: replayed, not re-validated.
	bad := h.do(t, "POST", "/individual", `{"ids":[{"id_type":"Nope","value":"1"}]}`, IdempotencyKeyHeader, "key-2")
	badAgain := h.do(t, "POST", "/individual", `{"ids":[{"id_type":"Nope","value":"1"}]}`, IdempotencyKeyHeader, "key-2")
	if bad.Code != 422 || badAgain.Code != 422 || badAgain.Header().Get(ReplayedHeader) != "true" {
		t.Errorf("422 then replay: %d, %d (replayed %q)", bad.Code, badAgain.Code, badAgain.Header().Get(ReplayedHeader))
	}
	if r := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, strings.Repeat("k", 256)); r.Code != 422 {
		t.Errorf("a 256-character key: %d, want 422", r.Code)
	}
}

func TestIdempotencyKeyInFlightIs409(t *testing.T) {
	h := newRelHarness(t, relOptions{})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	onObject(h.srv, "res.partner", "create", func(emulator.Call) *emulator.Injected {
		once.Do(func() { close(entered); <-release })
		return nil
	})
	body := individualBody("2000000011", "REL-0011")
	done := make(chan relResponse)
	go func() { done <- h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "slow") }()
	<-entered
	r := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "slow")
	if r.Code != 409 || r.problem(t).Code != "idempotency_in_progress" || r.Header().Get("Retry-After") == "" {
		t.Errorf("repeat while in flight: %d %s, want 409 idempotency_in_progress with Retry-After", r.Code, r.Body)
	}
	close(release)
	if first := <-done; first.Code != 200 {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	if r := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "slow"); r.Code != 200 || r.Header().Get(ReplayedHeader) != "true" {
		t.Errorf("after the first finished: %d, replayed %q", r.Code, r.Header().Get(ReplayedHeader))
	}
	if n := countPartners(t, h.client, "2000000011"); n != 1 {
		t.Errorf("%d registrants, want 1", n)
	}
}

// E19(b): the first attempt times out while Odoo still commits the create;
// the repeat with the same key returns that registrant, never a twin.
func TestRetryAfterUnknownOutcomeReturnsTheSameRegistrant(t *testing.T) {
	h := newRelHarness(t, relOptions{odoo: odoo.Config{Timeout: 500 * time.Millisecond}, outcomeLookup: 300 * time.Millisecond})
	if _, err := h.client.Authenticate(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := individualBody("2000000021", "REL-0021")
	// Warm the bank and reference caches.
	if r := h.do(t, "POST", "/individual", individualBody("2000000020", "REL-0020"), IdempotencyKeyHeader, "warm"); r.Code != 200 {
		t.Fatalf("warm-up: %d %s", r.Code, r.Body)
	}
	var createdOnce atomic.Bool
	h.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		switch {
		case c.Service != "object" || c.Model != "res.partner":
		case c.Method == "create" && createdOnce.CompareAndSwap(false, true):
			return &emulator.Injected{Delay: time.Minute} // runs once the proxy gave up
		case c.Method == "search_read":
			return &emulator.Injected{Drop: true} // and the look-up cannot see it
		}
		return nil
	})
	first := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "e19")
	if first.Code != 504 || first.problem(t).Code != "upstream_outcome_unknown" || first.Header().Get("Retry-After") == "" {
		t.Fatalf("first: %d %s, want 504 upstream_outcome_unknown", first.Code, first.Body)
	}
	for deadline := time.Now().Add(5 * time.Second); countPartners(t, h.client, "2000000021") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the delayed create never ran")
		}
	}
	h.srv.InjectFault(nil)
	again := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "e19")
	if again.Code != 200 || again.Header().Get(ReplayedHeader) != "" {
		t.Fatalf("repeat: %d %s, want a fresh 200 (the 504 was not final)", again.Code, again.Body)
	}
	if n := countPartners(t, h.client, "2000000021"); n != 1 {
		t.Errorf("%d registrants after the repeat, want 1", n)
	}
	if c := h.srv.CallsTo("res.partner", "create"); c != 2 { // warm-up + the first attempt
		t.Errorf("%d creates, want 2 (the repeat found the first attempt's registrant)", c)
	}
	if final := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "e19"); final.Header().Get(ReplayedHeader) != "true" ||
		final.Body.String() != again.Body.String() {
		t.Errorf("third send: replayed %q, want the stored 200", final.Header().Get(ReplayedHeader))
	}
}

// An instance died after its create and before answering: once its lease
// lapses, the client's repeat finds that registrant instead of a twin.
func TestRepeatAfterADeadInstanceLooksForItsWrite(t *testing.T) {
	store := idempotency.NewMemory()
	h := newRelHarness(t, relOptions{store: store})
	body := individualBody("2000000051", "REL-0051")
	start := time.Now()
	id := h.do(t, "POST", "/individual", body).id(t) // the dead instance's create
	fp := requestFingerprint(httptest.NewRequest("POST", "/api/v1/registry/individual", nil), []byte(body))
	dead := idempotency.Entry{State: idempotency.InFlight, Fingerprint: fp, UnknownSince: start, LeaseUntil: time.Now().Add(-time.Second)}
	if _, _, claimed, err := store.Claim(context.Background(), "client-a\x1fdead", dead, time.Hour); err != nil || !claimed {
		t.Fatal(claimed, err)
	}
	creates := h.srv.CallsTo("res.partner", "create")
	r := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "dead")
	if r.Code != 200 || r.id(t) != id {
		t.Errorf("repeat: %d %s, want 200 with registrant %d", r.Code, r.Body, id)
	}
	if h.srv.CallsTo("res.partner", "create") != creates || countPartners(t, h.client, "2000000051") != 1 {
		t.Error("the repeat created a twin of the dead attempt's registrant")
	}
}

// A slow Odoo: every call takes 0.9s, within odoo.timeout, but a create
// makes several calls. The answer (504) must still reach the client before
// server.write_timeout cuts the connection ("Empty reply from server").
func TestStalledOdooIsAnsweredBeforeTheWriteTimeout(t *testing.T) {
	h := newRelHarness(t, relOptions{odoo: odoo.Config{Timeout: time.Second}, outcomeLookup: time.Second,
		cfg: func(c *config.Config) {
			c.Server.WriteTimeout, c.Odoo.Timeout, c.Registry.OutcomeLookup = 3*time.Second, time.Second, time.Second
		}})
	if _, err := h.client.Authenticate(context.Background()); err != nil {
		t.Fatal(err)
	}
	onObject(h.srv, "", "", always(emulator.Injected{Delay: 900 * time.Millisecond}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.server.Serve(ctx, ln) }()
	t.Cleanup(func() { stop(); <-served })
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/api/v1/registry/individual",
		strings.NewReader(individualBody("2000000071", "STALL-1")))
	req.Header.Set("Authorization", "Bearer "+relKeyA)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("no answer (%v); want a 504 before the connection is cut", err)
	}
	defer resp.Body.Close()
	var p ProblemDetail
	_ = json.NewDecoder(resp.Body).Decode(&p)
	if resp.StatusCode != 504 || !strings.HasPrefix(p.Code, "upstream_") {
		t.Errorf("%d %+v, want a 504 problem", resp.StatusCode, p)
	}
}
