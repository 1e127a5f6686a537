package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// SIGTERM while a request is being served: the proxy stops accepting
// connections, the request still gets its answer, and serve exits cleanly
// with its logs written.
func TestSIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	emu.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Service == "object" && c.Method == "web_search_read" {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	})
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`
server:
  listen: 127.0.0.1:0
  shutdown_timeout: 30s
odoo:
  url: %s
  db: openspp
  login: admin
  secret: admin
auth:
  api_keys:
    - id: integrator
      key: integrator-key-123
      scopes: [registry:read]
`, emu.URL())), 0o600)

	// run, not runServe: the signal handling is under test. Its exit code
	// arrives on code, so nothing reports an early exit to waitForLog.
	srv := &serving{logs: &lockedBuffer{}}
	logs := srv.logs
	code := make(chan int, 1)
	go func() { code <- run([]string{"serve", "--config", cfgFile}, io.Discard, logs) }()
	addr := srv.listening(t)

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/registry/individual?limit=1", nil)
		req.Header.Set("Authorization", "Bearer integrator-key-123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- answer{status: resp.StatusCode, body: string(b)}
	}()
	<-entered // the request is inside Odoo
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once the listener is closed.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after SIGTERM")
		}
	}
	close(release)
	a := <-answered
	if a.err != nil || a.status != 200 || !strings.HasPrefix(a.body, "[") {
		t.Errorf("in-flight request: %d %q %v, want its 200 answer", a.status, a.body, a.err)
	}
	if c := <-code; c != exitOK {
		t.Errorf("exit code %d, want %d\n%s", c, exitOK, logs)
	}
	if out := logs.String(); !strings.Contains(out, `"msg":"shutting down"`) || !strings.Contains(out, `"msg":"stopped"`) ||
		!strings.Contains(out, `"status":200`) {
		t.Errorf("logs lack the shutdown or the in-flight request's access line:\n%s", out)
	}
}
