package odoo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func recordedReply(t *testing.T, proto Protocol, file string) reply {
	dir, ext := corpusFor(proto)
	return reply{body: readCorpus(t, dir+"/"+file+".response."+ext)}
}

func TestAuthenticateFalseIsAuthFailed(t *testing.T) {
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) {
			f := newFake(t, proto, nil)
			refused := recordedReply(t, proto, "01-handshake/03-authenticate-wrong-password")
			f.authReply = func() reply { return refused }
			c := f.client(t, nil, nil)
			uid, err := c.Authenticate(context.Background())
			if uid != 0 || !IsKind(err, KindAuthFailed) {
				t.Fatalf("uid %d, err %v; want KindAuthFailed", uid, err)
			}
			// The request carried db, login, secret and an empty user agent env.
			got := f.lastCall()
			if got.Service != "common" || got.Method != "authenticate" || len(got.Args) != 4 ||
				got.Args[0] != "openspp" || got.Args[1] != "admin" || got.Args[2] != "admin" {
				t.Errorf("authenticate call %#v", got)
			}
			if m, ok := got.Args[3].(map[string]any); !ok || len(m) != 0 {
				t.Errorf("user_agent_env %#v", got.Args[3])
			}
		})
	}
}

func TestAuthenticateCachesUID(t *testing.T) {
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) {
			f := newFake(t, proto, func(rpcCall) reply { return recordedReply(t, proto, "01-handshake/07-execute_kw-ok") })
			ok := recordedReply(t, proto, "01-handshake/02-authenticate-ok")
			f.authReply = func() reply { return ok }
			c := f.client(t, nil, nil)
			for range 3 {
				n, err := c.SearchCount(context.Background(), "res.partner", nil, Options{})
				if err != nil || n != 1 {
					t.Fatalf("count %d, %v", n, err)
				}
			}
			if a, e := f.authCalls.Load(), f.execCalls.Load(); a != 1 || e != 3 {
				t.Errorf("%d authenticate, %d execute_kw; want 1, 3", a, e)
			}
			if uid := f.lastCall().Args[1]; uid != int64(2) {
				t.Errorf("uid sent %v", uid)
			}
		})
	}
}

func TestAuthBackoffNoSecondAttempt(t *testing.T) {
	f := newFake(t, XMLRPC, func(rpcCall) reply { return recordedReply(t, XMLRPC, "01-handshake/07-execute_kw-ok") })
	var accept atomic.Bool
	f.authReply = func() reply {
		if accept.Load() {
			return f.result(int64(2))
		}
		return f.result(false)
	}
	c := f.client(t, func(cfg *Config) { cfg.AuthBackoff = time.Hour }, nil)
	var mu sync.Mutex
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx := context.Background()

	_, err := c.Authenticate(ctx)
	first, _ := AsError(err)
	if !IsKind(err, KindAuthFailed) {
		t.Fatalf("first: %v", err)
	}
	accept.Store(true) // Odoo would now accept, but we are inside the back-off
	for range 5 {
		if _, err := c.Authenticate(ctx); !IsKind(err, KindAuthFailed) {
			t.Fatalf("during back-off: %v", err)
		}
		if _, err := c.SearchCount(ctx, "res.partner", nil, Options{}); !IsKind(err, KindAuthFailed) {
			t.Fatalf("call during back-off: %v", err)
		}
	}
	if _, err := c.Authenticate(ctx); err != first {
		e, _ := AsError(err)
		t.Errorf("back-off must serve the cached failure, got %+v", e)
	}
	if n := f.authCalls.Load(); n != 1 {
		t.Fatalf("%d authenticate calls during back-off, want 1", n)
	}
	if n := f.execCalls.Load(); n != 0 {
		t.Fatalf("%d execute_kw sent without a uid", n)
	}
	mu.Lock()
	now = now.Add(time.Hour + time.Second)
	mu.Unlock()
	if uid, err := c.Authenticate(ctx); err != nil || uid != 2 {
		t.Fatalf("after back-off: %d %v", uid, err)
	}
	if n := f.authCalls.Load(); n != 2 {
		t.Errorf("%d authenticate calls, want 2", n)
	}
}

func TestAuthConcurrentCallersShareOneAttempt(t *testing.T) {
	for _, accept := range []bool{true, false} {
		f := newFake(t, JSONRPC, func(rpcCall) reply { return recordedReply(t, JSONRPC, "01-handshake/07-execute_kw-ok") })
		release := make(chan struct{})
		f.authReply = func() reply {
			<-release
			if accept {
				return f.result(int64(2))
			}
			return f.result(false)
		}
		c := f.client(t, func(cfg *Config) { cfg.AuthBackoff = time.Hour }, nil)
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.SearchCount(context.Background(), "res.partner", nil, Options{})
				errs <- err
			}()
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if accept && err != nil {
				t.Errorf("accept: %v", err)
			}
			if !accept && !IsKind(err, KindAuthFailed) {
				t.Errorf("refuse: %v", err)
			}
		}
		if n := f.authCalls.Load(); n != 1 {
			t.Errorf("accept=%v: %d authenticate calls for 20 callers, want 1", accept, n)
		}
	}
}

func TestReauthenticateOnceOnAccessDenied(t *testing.T) {
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) {
			denied := recordedReply(t, proto, "01-handshake/08-execute_kw-wrong-password")
			okReply := recordedReply(t, proto, "01-handshake/07-execute_kw-ok")
			var n atomic.Int64
			f := newFake(t, proto, func(rpcCall) reply {
				if n.Add(1) == 1 {
					return denied
				}
				return okReply
			})
			c := f.client(t, nil, nil)
			ctx, counter := WithCallCounter(context.Background())
			got, err := c.SearchCount(ctx, "res.partner", nil, Options{})
			if err != nil || got != 1 {
				t.Fatalf("count %d, %v", got, err)
			}
			if a, e := f.authCalls.Load(), f.execCalls.Load(); a != 2 || e != 2 {
				t.Errorf("%d authenticate, %d execute_kw; want 2, 2", a, e)
			}
			if counter.Count() != 2 {
				t.Errorf("counter %d, want 2 (the retry counts)", counter.Count())
			}
		})
	}
}

func TestReauthenticateOnlyOnce(t *testing.T) {
	f := newFake(t, XMLRPC, nil)
	f.respond = func(rpcCall) reply { return f.fault(3, "", "Access Denied") }
	c := f.client(t, nil, nil)
	_, err := c.SearchCount(context.Background(), "res.partner", nil, Options{})
	if !IsKind(err, KindAccessDenied) {
		t.Fatalf("want KindAccessDenied, got %v", err)
	}
	if a, e := f.authCalls.Load(), f.execCalls.Load(); a != 2 || e != 2 {
		t.Errorf("%d authenticate, %d execute_kw; want 2, 2", a, e)
	}
}

func TestReauthenticateRefusedIsAuthFailed(t *testing.T) {
	f := newFake(t, XMLRPC, nil)
	f.respond = func(rpcCall) reply { return f.fault(3, "", "Access Denied") }
	var auths atomic.Int64
	f.authReply = func() reply {
		if auths.Add(1) == 1 {
			return f.result(int64(2))
		}
		return f.result(false) // the key was revoked
	}
	c := f.client(t, nil, nil)
	_, err := c.SearchCount(context.Background(), "res.partner", nil, Options{})
	if !IsKind(err, KindAuthFailed) {
		t.Fatalf("want KindAuthFailed, got %v", err)
	}
	if e := f.execCalls.Load(); e != 1 {
		t.Errorf("%d execute_kw; want 1", e)
	}
}

// TestSecretNeverInErrorsOrLogs drives every error path with a distinctive
// secret and looks for it in error strings, Debug fields and every logged
// entry, including one where Odoo echoes it back in a traceback.
func TestSecretNeverInErrorsOrLogs(t *testing.T) {
	const secret = "s3cr3t-API-KEY-0123456789"
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	var errs []error
	check := func(err error) {
		if err == nil {
			t.Error("expected an error")
			return
		}
		errs = append(errs, err)
	}
	for _, proto := range protocols {
		f := newFake(t, proto, nil)
		step := 0
		f.respond = func(c rpcCall) reply {
			if c.Args[2] != secret {
				t.Errorf("the request did not carry the secret: %#v", c.Args[2])
			}
			step++
			switch step {
			case 1:
				return f.fault(1, "builtins.TypeError", "Traceback (most recent call last):\n  File \"x.py\", line 1, in check\n    check('"+secret+"')\nTypeError: bad secret '"+secret+"'")
			case 2:
				return f.fault(2, excValidation, "value "+secret+" refused")
			case 3:
				return reply{status: 500, body: []byte(secret)}
			case 4:
				return reply{body: []byte("<html>" + secret)}
			}
			return f.fault(3, excAccessDenied, "Access Denied")
		}
		var auths atomic.Int64
		f.authReply = func() reply {
			if auths.Add(1) == 1 {
				return f.result(int64(2))
			}
			return f.result(false)
		}
		c := f.client(t, func(cfg *Config) { cfg.Secret = secret }, log)
		ctx := context.Background()
		for range 5 {
			_, err := c.SearchCount(ctx, "res.partner", nil, Options{})
			check(err)
		}
		_, err := c.Create(ctx, "res.partner", Values{"email": nil}, Options{})
		check(err)
		_, err = c.Authenticate(ctx)
		check(err)
	}
	// Transport failures: refused connection and timeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{URL: "http://" + addr, DB: "openspp", Login: "admin", Secret: secret}, log)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Authenticate(context.Background())
	check(err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Version(ctx)
	check(err)

	for _, err := range errs {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("secret in error: %v", err)
		}
		if e, ok := AsError(err); ok && (strings.Contains(e.Debug, secret) || strings.Contains(e.Message, secret)) {
			t.Errorf("secret in Debug/Message: %+v", e)
		}
		if e, ok := AsError(err); ok && e.Err != nil && strings.Contains(e.Err.Error(), secret) {
			t.Errorf("secret in cause: %v", e.Err)
		}
	}
	if logs.Len() == 0 {
		t.Fatal("nothing logged: the log check would prove nothing")
	}
	for _, entry := range logs.All() {
		if strings.Contains(entry.Message, secret) {
			t.Errorf("secret in log message %q", entry.Message)
		}
		for k, v := range entry.ContextMap() {
			if strings.Contains(k, secret) || strings.Contains(anyString(v), secret) {
				t.Errorf("secret in log field %s=%v", k, v)
			}
		}
	}
	if !errors.Is(errs[5], ErrInvalidValue) {
		t.Errorf("nil value: %v", errs[5])
	}
}

func anyString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// A wrong secret stays wrong: each further refusal doubles the wait, so a
// fleet of replicas behind one IP cannot keep Odoo's lock-out going.
func TestAuthBackoffDoublesWhileRefusedAndResetsOnSuccess(t *testing.T) {
	f := newFake(t, XMLRPC, func(rpcCall) reply { return recordedReply(t, XMLRPC, "01-handshake/07-execute_kw-ok") })
	var accept atomic.Bool
	f.authReply = func() reply {
		if accept.Load() {
			return f.result(int64(2))
		}
		return f.result(false)
	}
	c := f.client(t, func(cfg *Config) { cfg.AuthBackoff = 10 * time.Second }, nil)
	var mu sync.Mutex
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ctx := context.Background()

	// Refusal n is followed by a wait of 10s * 2^(n-1).
	for n, wait := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second} {
		if _, err := c.Authenticate(ctx); !IsKind(err, KindAuthFailed) {
			t.Fatalf("attempt %d: %v", n+1, err)
		}
		advance(wait - time.Second)
		c.Authenticate(ctx) // still inside the back-off: served from cache
		if got := f.authCalls.Load(); got != int64(n+1) {
			t.Fatalf("after refusal %d: %d authenticate calls, want %d (back-off %v)", n+1, got, n+1, wait)
		}
		advance(time.Second)
	}
	accept.Store(true)
	if _, err := c.Authenticate(ctx); err != nil {
		t.Fatalf("accepted: %v", err)
	}
	// A success resets the run: the next refusal waits the base back-off.
	c.forget(c.gen)
	accept.Store(false)
	c.Authenticate(ctx)
	calls := f.authCalls.Load()
	advance(10 * time.Second)
	c.Authenticate(ctx)
	if got := f.authCalls.Load(); got != calls+1 {
		t.Errorf("after a success the back-off did not reset: %d calls, want %d", got, calls+1)
	}
}

func TestAuthBackoffIsCapped(t *testing.T) {
	c := &Client{cfg: Config{AuthBackoff: 15 * time.Second}, failures: 60}
	if got := c.authBackoffLocked(); got != maxAuthBackoff {
		t.Errorf("back-off after 60 refusals = %v, want the cap %v", got, maxAuthBackoff)
	}
}
