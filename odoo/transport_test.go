package odoo

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCallsRunConcurrently: N calls against a server that holds every
// request until N are in flight. A serialising transport (kolo's Client)
// would never get past 1.
func TestCallsRunConcurrently(t *testing.T) {
	const n = 8
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) {
			var inFlight, maxSeen atomic.Int64
			all := make(chan struct{})
			var once sync.Once
			f := newFake(t, proto, nil)
			f.respond = func(rpcCall) reply {
				cur := inFlight.Add(1)
				for {
					m := maxSeen.Load()
					if cur <= m || maxSeen.CompareAndSwap(m, cur) {
						break
					}
				}
				if cur == n {
					once.Do(func() { close(all) })
				}
				select {
				case <-all:
				case <-time.After(5 * time.Second): // safety net so a serial transport fails instead of hanging
				}
				inFlight.Add(-1)
				return f.result(int64(1))
			}
			c := f.client(t, nil, nil)
			if _, err := c.Authenticate(context.Background()); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := c.SearchCount(context.Background(), "res.partner", nil, Options{}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if got := maxSeen.Load(); got != n {
				t.Errorf("max in flight %d, want %d", got, n)
			}
		})
	}
}

func hangingServer(t *testing.T) *httptest.Server {
	closing := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a closed connection only once the body is read.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-closing: // never outlive the test, whatever the client did
		}
	}))
	t.Cleanup(func() {
		close(closing)
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

func TestTimeoutAndCancel(t *testing.T) {
	srv := hangingServer(t)
	newClient := func(timeout time.Duration) *Client {
		c, err := New(Config{URL: srv.URL, DB: "openspp", Login: "admin", Secret: "admin", Timeout: timeout}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := newClient(20 * time.Millisecond).Version(context.Background()); !IsKind(err, KindTimeout) {
		t.Errorf("config timeout: %v", err)
	}
	// Authenticate runs detached from its first caller (other callers may
	// share it) but the caller still stops waiting at its own deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := newClient(200 * time.Millisecond).Authenticate(ctx); !IsKind(err, KindTimeout) {
		t.Errorf("caller deadline on authenticate: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := newClient(time.Hour).Version(ctx); !IsKind(err, KindTimeout) {
		t.Errorf("caller deadline: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err := newClient(time.Hour).Version(ctx)
	if !IsKind(err, KindTransport) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestUnreachableAndBadResponses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{URL: "http://" + addr, DB: "openspp", Login: "admin", Secret: "admin"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Version(context.Background()); !IsKind(err, KindUnavailable) {
		t.Errorf("connection refused: %v", err)
	}

	for _, tc := range []struct {
		proto  Protocol
		status int
		body   string
		kind   Kind
	}{
		{XMLRPC, 500, "oops", KindBadResponse},
		{XMLRPC, 404, "<html>not found</html>", KindBadResponse},
		{XMLRPC, 502, "bad gateway", KindUnavailable},
		{XMLRPC, 503, "", KindUnavailable},
		{XMLRPC, 504, "", KindTimeout},
		{XMLRPC, 200, "<html><body>login</body></html>", KindBadResponse},
		{XMLRPC, 200, "", KindBadResponse},
		{JSONRPC, 200, "<html>", KindBadResponse},
		{JSONRPC, 200, `{"jsonrpc": "2.0", "id": 999999, "result": 1}`, KindBadResponse}, // id mismatch
		{JSONRPC, 400, "Invalid JSON data", KindBadResponse},
	} {
		f := newFake(t, tc.proto, nil)
		f.respond = func(rpcCall) reply { return reply{status: tc.status, body: []byte(tc.body), keepID: true} }
		c := f.client(t, nil, nil)
		_, err := c.SearchCount(context.Background(), "res.partner", nil, Options{})
		if !IsKind(err, tc.kind) {
			t.Errorf("%s %d %q: got %v, want %s", tc.proto, tc.status, tc.body, err, tc.kind)
		}
		if e, _ := AsError(err); e != nil && (e.Model != "res.partner" || e.Method != "search_count") {
			t.Errorf("error not annotated with the call: %+v", e)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	good := Config{URL: "http://odoo:8069", DB: "openspp", Login: "admin", Secret: "k"}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"legacy xmlrpc object", func(c *Config) { c.URL = "http://odoo:8069/xmlrpc/object" }},
		{"xmlrpc 2 path", func(c *Config) { c.URL = "http://odoo:8069/xmlrpc/2/object" }},
		{"xmlrpc root", func(c *Config) { c.URL = "http://odoo:8069/xmlrpc/" }},
		{"jsonrpc", func(c *Config) { c.URL = "https://odoo/jsonrpc" }},
		{"credentials in URL", func(c *Config) { c.URL = "http://admin:pw@odoo:8069" }},
		{"no scheme", func(c *Config) { c.URL = "odoo:8069" }},
		{"query", func(c *Config) { c.URL = "http://odoo:8069/?db=x" }},
		{"no db", func(c *Config) { c.DB = "" }},
		{"no login", func(c *Config) { c.Login = "" }},
		{"no secret", func(c *Config) { c.Secret = "" }},
		{"bad protocol", func(c *Config) { c.Protocol = "soap" }},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }},
	} {
		cfg := good
		tc.mod(&cfg)
		if _, err := New(cfg, nil); err == nil {
			t.Errorf("%s: accepted %+v", tc.name, cfg)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: error echoes credentials: %v", tc.name, err)
		}
	}
	c, err := New(good, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.Protocol != XMLRPC || c.cfg.Lang != "en_US" || c.cfg.TZ != "UTC" || c.cfg.AuthBackoff != DefaultAuthBackoff ||
		c.cfg.Timeout != DefaultTimeout || c.cfg.MaxConns != DefaultMaxConns {
		t.Errorf("defaults not applied: %+v", c.cfg)
	}
}

func TestBaseURLWithPathPrefix(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	version := readCorpus(t, "transcripts/01-handshake/01-version.response.xml")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Write(version)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL + "/odoo/", DB: "openspp", Login: "admin", Secret: "admin"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Version(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 || paths[0] != "/odoo/xmlrpc/2/common" {
		t.Errorf("paths %v", paths)
	}
}

func TestVersion(t *testing.T) {
	for _, proto := range protocols {
		f := newFake(t, proto, nil)
		f.respond = func(rpcCall) reply { return recordedReply(t, proto, "01-handshake/01-version") }
		c := f.client(t, nil, nil)
		v, err := c.Version(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if v != (VersionInfo{ServerVersion: "17.0", ServerSerie: "17.0", ProtocolVersion: 1}) {
			t.Errorf("%s: %+v", proto, v)
		}
		got := f.lastCall()
		if got.Service != "common" || got.Method != "version" || len(got.Args) != 0 {
			t.Errorf("%s: version call %#v", proto, got)
		}
		if f.authCalls.Load() != 0 {
			t.Errorf("version must not authenticate")
		}
	}
}

// TestAnswerLengths: the body is read into a buffer sized from
// Content-Length, so the declared length must be honoured in every
// direction: an answer declared over the bound is refused unread, one cut
// short is a transport failure, and one without a length (a compressing
// gateway answers chunked) is read whole.
func TestAnswerLengths(t *testing.T) {
	version := `<?xml version='1.0'?><methodResponse><params><param><value><struct>` +
		`<member><name>server_version</name><value><string>17.0` + strings.Repeat(" ", 64<<10) + `</string></value></member>` +
		`</struct></value></param></params></methodResponse>`
	for _, tc := range []struct {
		name  string
		serve func(w http.ResponseWriter)
		kind  Kind // "" = decodes
	}{
		{"declared too large", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "300000000")
			io.WriteString(w, version)
		}, KindBadResponse},
		{"cut short", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "100000")
			io.WriteString(w, version[:1000])
		}, KindTransport},
		{"chunked", func(w http.ResponseWriter) {
			for i := 0; i < len(version); i += 4096 {
				io.WriteString(w, version[i:min(i+4096, len(version))])
				w.(http.Flusher).Flush()
			}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { tc.serve(w) }))
			t.Cleanup(srv.Close)
			c, err := New(Config{URL: srv.URL, DB: "openspp", Login: "admin", Secret: "admin"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			v, err := c.Version(context.Background())
			switch {
			case tc.kind == "" && err != nil:
				t.Fatalf("got %v", err)
			case tc.kind == "" && strings.TrimSpace(v.ServerVersion) != "17.0":
				t.Errorf("server_version %.20q", v.ServerVersion)
			case tc.kind != "" && !IsKind(err, tc.kind):
				t.Errorf("got %v, want %s", err, tc.kind)
			}
		})
	}
}

// TestJSONRPCTrailingDataRefused: the answer is decoded in one pass from a
// stream, which would stop after the first value; what follows it must
// still make the answer undecodable, as a truncated or spliced body would.
func TestJSONRPCTrailingDataRefused(t *testing.T) {
	for _, tc := range []struct {
		body string
		kind Kind // "" = decodes
	}{
		{`{"jsonrpc": "2.0", "id": 1, "result": 7}` + "\n", ""},
		{`{"jsonrpc": "2.0", "id": 1, "result": 7} 8`, KindBadResponse},
		{`{"jsonrpc": "2.0", "id": 1, "result": 7}}`, KindBadResponse},
		{`{"jsonrpc": "2.0", "id": 1, "result": 7}{"jsonrpc": "2.0", "id": 1, "result": 8}`, KindBadResponse},
	} {
		f := newFake(t, JSONRPC, func(rpcCall) reply { return reply{body: []byte(tc.body)} })
		n, err := f.client(t, nil, nil).SearchCount(context.Background(), "res.partner", nil, Options{})
		switch {
		case tc.kind == "" && (err != nil || n != 7):
			t.Errorf("%q: got %d, %v", tc.body, n, err)
		case tc.kind != "" && !IsKind(err, tc.kind):
			t.Errorf("%q: got %d, %v, want %s", tc.body, n, err, tc.kind)
		}
	}
}
