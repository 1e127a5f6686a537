package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// lockedBuffer is a bytes.Buffer safe for the logger and the test to share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serving is a `serve` run by a test, with what it logs.
type serving struct {
	addr   string // where it listens
	logs   *lockedBuffer
	cancel context.CancelFunc
	exited chan error
	once   sync.Once
	err    error
}

// startServe runs `serve --config cfgFile` until stop or the end of the
// test and returns once it logged its address.
func startServe(t *testing.T, cfgFile string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{logs: &lockedBuffer{}, cancel: cancel, exited: make(chan error, 1)}
	go func() { s.exited <- runServe(ctx, []string{"--config", cfgFile}, s.logs) }()
	t.Cleanup(func() { _ = s.stop() })
	s.addr = s.listening(t)
	return s
}

// writeServeConfig writes a config for a `serve` on a free port in front of
// the emulator at odooURL (logged in as admin/admin), followed by extra
// YAML (the auth section and whatever the test needs), and returns its path.
func writeServeConfig(t *testing.T, odooURL, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	text := fmt.Sprintf(`
server: {listen: "127.0.0.1:0"}
odoo: {url: %q, db: openspp, login: admin, secret: admin}
`, odooURL) + extra
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// listening waits for the "listening" log line and returns its address.
func (s *serving) listening(t *testing.T) string {
	t.Helper()
	line := s.waitForLog(t, "its address", func(l map[string]any) bool { return l["msg"] == "listening" })
	addr, _ := line["addr"].(string)
	return addr
}

// stop cancels serve's context and returns what serve returned.
func (s *serving) stop() error {
	s.once.Do(func() {
		s.cancel()
		s.err = <-s.exited
	})
	return s.err
}

// waitForLog waits for a JSON log line that match accepts and returns it,
// failing the test if serve exits first or the line never comes.
func (s *serving) waitForLog(t *testing.T, what string, match func(line map[string]any) bool) map[string]any {
	t.Helper()
	for range 1000 {
		sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && match(line) {
				return line
			}
		}
		select {
		case err := <-s.exited:
			s.once.Do(func() { s.err = err })
			t.Fatalf("serve exited early: %v\n%s", err, s.logs)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("serve never logged %s:\n%s", what, s.logs)
	return nil
}

// serve --config runs the proxy from a file (with an environment override)
// until it is told to stop, and logs JSON lines.
func TestServeFromConfig(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	dir := t.TempDir()
	secret := filepath.Join(dir, "odoo-secret")
	os.WriteFile(secret, []byte("admin\n"), 0o600)
	cfgFile := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`
server:
  listen: 127.0.0.1:0
odoo:
  url: http://127.0.0.1:1
  db: openspp
  login: admin
  secret_file: %s
auth:
  api_keys:
    - id: integrator
      key: integrator-key-123
      scopes: [registry:read]
`, secret)), 0o600)
	t.Setenv("G2P_PROXY_ODOO_URL", emu.URL())

	srv := startServe(t, cfgFile)
	logs, addr := srv.logs, srv.addr

	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/registry/individual?limit=2", nil)
	req.Header.Set("Authorization", "Bearer integrator-key-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || len(list) != 2 {
		t.Errorf("GET /individual?limit=2: %d, %d items, %v", resp.StatusCode, len(list), err)
	}

	if err := srv.stop(); err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"starting"`) || !strings.Contains(out, `"client":"integrator"`) || !strings.Contains(out, `"msg":"stopped"`) {
		t.Errorf("logs lack start, access or stop lines:\n%s", out)
	}
	if strings.Contains(out, "integrator-key-123") {
		t.Error("the logs contain a client key")
	}
}

// A wrong Odoo secret shows in serve's log at start, not only with the
// first request; serve keeps running (Odoo may be fixed without a
// restart), and the refused login's back-off spares Odoo's lock-out.
func TestServeLogsARefusedOdooLoginAtStart(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`
server:
  listen: 127.0.0.1:0
odoo:
  url: %s
  db: openspp
  login: admin
  secret: wrong
auth:
  api_keys:
    - {id: app, key: app-key-123456, scopes: [registry:read]}
`, emu.URL())), 0o600)

	srv := startServe(t, cfgFile)
	addr := srv.addr
	line := srv.waitForLog(t, "the refused login", func(l map[string]any) bool {
		msg, _ := l["msg"].(string)
		return strings.HasPrefix(msg, "cannot log in to Odoo")
	})
	msg := line["msg"].(string)
	for _, want := range []string{`as "admin" on database "openspp"`, "wrong login or secret (odoo.login, odoo.secret)",
		"/readyz reports not ready", "503 upstream_auth_failed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("start-up log %q lacks %q", msg, want)
		}
	}
	if line["level"] != "error" {
		t.Errorf("level %v, want error", line["level"])
	}
	refused := srv.waitForLog(t, "the back-off", func(l map[string]any) bool { return l["msg"] == "authentication refused; backing off" })
	if refused["backoff"] != "15s" {
		t.Errorf(`"backoff": %v, want "15s" (a duration with its unit)`, refused["backoff"])
	}

	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/registry/individual", nil)
	req.Header.Set("Authorization", "Bearer app-key-123456")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a request after the refused login: %d, want 503", resp.StatusCode)
	}
	logins := 0
	for _, c := range emu.CallLog() {
		if c.Method == "authenticate" {
			logins++
		}
	}
	if logins != 1 {
		t.Errorf("Odoo saw %d logins, want 1: the request must wait out the back-off", logins)
	}
	if err := srv.stop(); err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
}
