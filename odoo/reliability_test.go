package odoo

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// emulatorClient is a client of a fresh demo emulator with fast retries.
func emulatorClient(t *testing.T, cfg Config) (*Client, *emulator.Server) {
	t.Helper()
	srv := emulator.NewTestServer(t, emulator.Options{})
	cfg.URL, cfg.DB, cfg.Login, cfg.Secret = srv.URL(), "openspp", "admin", "admin"
	setDefault(&cfg.Retry.BaseDelay, time.Millisecond)
	setDefault(&cfg.Retry.MaxDelay, 5*time.Millisecond)
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Authenticate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// failFirst injects inj into the first n object calls of method.
func failFirst(srv *emulator.Server, method string, n int64, inj emulator.Injected) {
	var seen atomic.Int64
	srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Service != "object" || c.Method != method || seen.Add(1) > n {
			return nil
		}
		return &inj
	})
}

func TestReadsAreRetriedAfterTransportFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		inj  emulator.Injected
	}{
		{"dropped connection", emulator.Injected{Drop: true}},
		{"gateway 502", emulator.Injected{HTTPStatus: http.StatusBadGateway}},
		{"500", emulator.Injected{HTTPStatus: http.StatusInternalServerError}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv := emulatorClient(t, Config{Breaker: BreakerPolicy{Failures: -1}})
			failFirst(srv, "search_read", 2, tc.inj)
			recs, err := c.SearchRead(context.Background(), "res.bank", nil, []string{"name"}, Options{})
			if err != nil || len(recs) == 0 {
				t.Fatalf("search_read after 2 failures: %d records, %v; want the banks", len(recs), err)
			}
			if n := srv.CallsTo("res.bank", "search_read"); n != 3 {
				t.Errorf("Odoo saw %d search_read calls, want 3 (2 failed + 1 retry that worked)", n)
			}
		})
	}
}

func TestReadRetriesAreBounded(t *testing.T) {
	c, srv := emulatorClient(t, Config{Retry: RetryPolicy{Attempts: 4}, Breaker: BreakerPolicy{Failures: -1}})
	failFirst(srv, "search_count", 1000, emulator.Injected{Drop: true})
	_, err := c.SearchCount(context.Background(), "res.bank", nil, Options{})
	if !IsKind(err, KindTransport) {
		t.Fatalf("err = %v, want a transport error", err)
	}
	if n := srv.CallsTo("res.bank", "search_count"); n != 4 {
		t.Errorf("Odoo saw %d calls, want 4 (Attempts)", n)
	}
}

func TestReadsAreNotRetriedAfterFaultsOrTimeouts(t *testing.T) {
	c, srv := emulatorClient(t, Config{Breaker: BreakerPolicy{Failures: -1}})
	failFirst(srv, "search_read", 1, emulator.Injected{Fault: emulator.ServerFault("builtins.ValueError", "boom")})
	if _, err := c.SearchRead(context.Background(), "res.bank", nil, []string{"name"}, Options{}); !IsKind(err, KindServer) {
		t.Fatalf("err = %v, want the server fault", err)
	}
	failFirst(srv, "search_count", 1, emulator.Injected{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.SearchCount(ctx, "res.bank", nil, Options{}); !IsKind(err, KindTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if a, b := srv.CallsTo("res.bank", "search_read"), srv.CallsTo("res.bank", "search_count"); a != 1 || b != 1 {
		t.Errorf("calls: search_read %d, search_count %d; want 1 each (no retry)", a, b)
	}
}

func TestWritesAreNeverRetried(t *testing.T) {
	c, srv := emulatorClient(t, Config{Breaker: BreakerPolicy{Failures: -1}})
	for _, inj := range []emulator.Injected{{Drop: true}, {HTTPStatus: http.StatusBadGateway}, {HTTPStatus: http.StatusInternalServerError}} {
		srv.ResetCalls()
		failFirst(srv, "create", 1, inj)
		_, err := c.Create(context.Background(), "res.bank", Values{"name": "Retry Test Bank"}, Options{})
		if err == nil {
			t.Fatalf("%+v: create succeeded, want the injected failure", inj)
		}
		if !OutcomeUnknown(err) {
			t.Errorf("%+v: OutcomeUnknown(%v) = false; the create may have run", inj, err)
		}
		if n := srv.CallsTo("res.bank", "create"); n != 1 {
			t.Errorf("%+v: Odoo saw %d creates, want exactly 1 (never repeated, not even by net/http)", inj, n)
		}
	}
}

func TestOutcomeUnknown(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&Error{Kind: KindTimeout}, true},
		{&Error{Kind: KindTransport}, true},
		{&Error{Kind: KindBadResponse}, true},
		{statusError(http.StatusBadGateway), true},
		{statusError(http.StatusServiceUnavailable), false},
		{&Error{Kind: KindUnavailable, Message: "cannot reach Odoo"}, false},
		{&Error{Kind: KindValidation}, false},
		{&Error{Kind: KindServer}, false},
		{&Error{Kind: KindUnavailable, RetryAfter: time.Second}, false},
		{context.DeadlineExceeded, true},
		{errors.New("other"), false},
	} {
		if got := OutcomeUnknown(tc.err); got != tc.want {
			t.Errorf("OutcomeUnknown(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRefusedConnectionIsUnavailableNotUnknown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{URL: "http://" + addr, DB: "openspp", Login: "admin", Secret: "admin",
		Retry: RetryPolicy{BaseDelay: time.Millisecond}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ExecuteKw(context.Background(), "res.bank", "create", []any{map[string]any{"name": "x"}}, nil)
	if !IsKind(err, KindUnavailable) || OutcomeUnknown(err) {
		t.Errorf("err = %v (unknown outcome %v); want unavailable with a definite outcome: nothing was sent", err, OutcomeUnknown(err))
	}
}

// fakeClock is a settable clock for the breaker.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestBreakerOpensFailsFastAndProbes(t *testing.T) {
	c, srv := emulatorClient(t, Config{Retry: RetryPolicy{Attempts: 1}, Breaker: BreakerPolicy{Failures: 3, CoolDown: time.Minute}})
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c.tr.(*breaker).now = clock.Now
	ctx := context.Background()
	count := func() error { _, err := c.SearchCount(ctx, "res.bank", nil, Options{}); return err }

	var down atomic.Bool
	srv.InjectFault(func(call emulator.Call) *emulator.Injected {
		if call.Service == "object" && down.Load() {
			return &emulator.Injected{HTTPStatus: http.StatusServiceUnavailable}
		}
		return nil
	})
	// Faults are answers: they never open the circuit.
	for range 5 {
		if _, err := c.Read(ctx, "res.bank", []int64{1}, []string{"no_such_field"}, Options{}); err == nil {
			t.Fatal("read of an unknown field succeeded")
		}
	}
	if s := c.Circuit(); s.State != CircuitClosed || s.Failures != 0 {
		t.Fatalf("after faults: %+v, want closed with no failures", s)
	}

	down.Store(true)
	for i := range 3 {
		if err := count(); !IsKind(err, KindUnavailable) {
			t.Fatalf("call %d: %v, want unavailable", i, err)
		}
	}
	seen := srv.CallsTo("", "")
	err := count()
	e, _ := AsError(err)
	if e == nil || e.Kind != KindUnavailable || e.RetryAfter != time.Minute {
		t.Fatalf("open circuit: %v, want unavailable with RetryAfter 1m", err)
	}
	if srv.CallsTo("", "") != seen {
		t.Error("an open circuit contacted Odoo")
	}
	if s := c.Circuit(); s.State != CircuitOpen || !s.Until.Equal(clock.Now().Add(time.Minute)) {
		t.Errorf("state = %+v, want open until now+1m", s)
	}

	// Half-open: one probe; it fails, so the circuit opens again.
	clock.Add(time.Minute)
	if s := c.Circuit(); s.State != CircuitHalfOpen {
		t.Errorf("after the cool-down: %+v, want half_open", s)
	}
	if err := count(); !IsKind(err, KindUnavailable) || srv.CallsTo("", "") != seen+1 {
		t.Fatalf("probe: %v, Odoo calls %d; want one call that fails", err, srv.CallsTo("", "")-seen)
	}
	if err := count(); err == nil || srv.CallsTo("", "") != seen+1 {
		t.Fatalf("after a failed probe the circuit must be open again: %v", err)
	}

	// Odoo is back: the next probe closes the circuit.
	down.Store(false)
	clock.Add(time.Minute)
	if err := count(); err != nil {
		t.Fatalf("probe against a healthy Odoo: %v", err)
	}
	if s := c.Circuit(); s.State != CircuitClosed || s.Failures != 0 {
		t.Errorf("after a good probe: %+v, want closed", s)
	}
}

func TestBreakerIgnoresCallersThatGiveUp(t *testing.T) {
	c, srv := emulatorClient(t, Config{Retry: RetryPolicy{Attempts: 1}, Breaker: BreakerPolicy{Failures: 2}})
	srv.InjectFault(func(call emulator.Call) *emulator.Injected {
		if call.Service == "object" {
			return &emulator.Injected{Delay: time.Minute}
		}
		return nil
	})
	for range 4 {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(5 * time.Millisecond); cancel() }()
		_, _ = c.SearchCount(ctx, "res.bank", nil, Options{})
		cancel()
	}
	if s := c.Circuit(); s.State != CircuitClosed {
		t.Errorf("cancelled calls opened the circuit: %+v", s)
	}
}

// dialTimeout is what a dial that hit odoo.connect_timeout returns.
type dialTimeout struct{}

func (dialTimeout) Error() string   { return "i/o timeout" }
func (dialTimeout) Timeout() bool   { return true }
func (dialTimeout) Temporary() bool { return true }

func TestRetryable(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: dialTimeout{}}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{transportError(context.Background(), dial), false}, // down: answer 503 after one connect timeout
		{&Error{Kind: KindUnavailable, Message: "cannot reach Odoo"}, true},
		{&Error{Kind: KindTransport}, true},
		{statusError(http.StatusInternalServerError), true},
		{statusError(http.StatusBadGateway), true},
		{&Error{Kind: KindBadResponse, Message: "undecodable"}, false},
		{&Error{Kind: KindTimeout}, false},
		{&Error{Kind: KindServer}, false},
		{&Error{Kind: KindUnavailable, RetryAfter: time.Second}, false},
		{&Error{Kind: KindTransport, Err: context.Canceled}, false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if e, _ := AsError(transportError(context.Background(), dial)); e.Kind != KindUnavailable {
		t.Errorf("a dial timeout is %s, want unavailable (503, not 504)", e.Kind)
	}
}
