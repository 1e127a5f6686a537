package main

import (
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

func writeCheckConfig(t *testing.T, url, secret string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf(`
odoo:
  url: %s
  db: openspp
  login: admin
  secret: %s
  auth_backoff: 0s
auth:
  api_keys:
    - {id: app, key: app-key-1234, scopes: [registry:read]}
`, url, secret)), 0o600)
	return path
}

func TestCheckPassesAgainstAWellConfiguredOdoo(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	code, out, errOut := runCLI("check", "--config", writeCheckConfig(t, emu.URL(), "admin"))
	if code != exitOK {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"PASS  configuration", "PASS  Odoo reachable at " + emu.URL(), `PASS  login "admin" on database "openspp" (uid 2)`,
		"PASS  res.partner.bank create", "PASS  gender.type read", "all checks passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	rights := 0
	for _, r := range requiredRights {
		rights += len(r.ops)
	}
	if want := 3 + len(modelFields) + rights; strings.Count(out, "PASS  ") != want {
		t.Errorf("%d PASS lines, want %d (config, reachable, login, %d models' fields, %d rights):\n%s",
			strings.Count(out, "PASS  "), want, len(modelFields), rights, out)
	}
}

func TestCheckReportsAMissingRight(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	emu.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Model == "res.partner.bank" && c.Method == "check_access_rights" && len(c.Args) > 0 && c.Args[0] == "create" {
			return &emulator.Injected{Fault: emulator.AccessErrorFault("You are not allowed to create 'Bank Accounts' (res.partner.bank) records.")}
		}
		return nil
	})
	code, out, errOut := runCLI("check", "--config", writeCheckConfig(t, emu.URL(), "admin"))
	if code != exitError || !strings.Contains(errOut, "1 check(s) failed") {
		t.Errorf("exit %d, stderr %q; want 1 and one failure", code, errOut)
	}
	if !strings.Contains(out, "FAIL  res.partner.bank create: the Odoo user lacks this right") {
		t.Errorf("output does not name the missing right:\n%s", out)
	}
}

func TestCheckStopsAtAFailedLogin(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	code, out, _ := runCLI("check", "--config", writeCheckConfig(t, emu.URL(), "wrong"))
	if code != exitError || !strings.Contains(out, `FAIL  login "admin" on database "openspp"`) ||
		!strings.Contains(out, "wrong login or secret") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	if strings.Contains(out, "res.partner") {
		t.Errorf("rights were checked after a failed login:\n%s", out)
	}
	if strings.Contains(out, "uid 0") {
		t.Errorf("a failed login shows a uid:\n%s", out)
	}
}

// When the environment set the secret, check says so: the file is not to blame.
func TestCheckNamesTheVariableThatSetTheSecret(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	t.Setenv("G2P_PROXY_ODOO_SECRET", "wrong-from-env")
	code, out, _ := runCLI("check", "--config", writeCheckConfig(t, emu.URL(), "admin"))
	if want := "wrong login or secret (odoo.login, odoo.secret; set by G2P_PROXY_ODOO_SECRET)"; code != exitError || !strings.Contains(out, want) {
		t.Errorf("exit %d, output lacks %q:\n%s", code, want, out)
	}
}

func TestCheckReportsAnUnreachableOdoo(t *testing.T) {
	code, out, _ := runCLI("check", "--config", writeCheckConfig(t, "http://127.0.0.1:1", "admin"))
	if code != exitError || !strings.Contains(out, "FAIL  Odoo reachable at http://127.0.0.1:1") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestCheckNeedsAConfig(t *testing.T) {
	code, _, errOut := runCLI("check")
	if code != exitUsage || !strings.Contains(errOut, "check needs --config FILE") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// check uses odoo.ca_file as serve does: an Odoo behind TLS with a private
// CA fails without the CA file and passes with it.
func TestCheckTrustsTheConfiguredCAFile(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	target, err := url.Parse(emu.URL())
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(target))
	front.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	front.StartTLS()
	t.Cleanup(front.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeCheckConfig(t, front.URL, "admin")
	code, out, _ := runCLI("check", "--config", path)
	if code != exitError || !strings.Contains(out, "FAIL  Odoo reachable at "+front.URL) {
		t.Fatalf("without the CA file: exit %d, output:\n%s", code, out)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	withCA := strings.Replace(string(text), "  auth_backoff: 0s\n", "  auth_backoff: 0s\n  ca_file: "+ca+"\n", 1)
	if err := os.WriteFile(path, []byte(withCA), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI("check", "--config", path)
	if code != exitOK || !strings.Contains(out, "PASS  Odoo reachable at "+front.URL) {
		t.Fatalf("with the CA file: exit %d, output:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
