package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI("version")
	if code != 0 || !strings.HasPrefix(out, "g2p-bank-proxy dev (go") {
		t.Errorf("version: exit %d, output %q", code, out)
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := runCLI("help")
	if code != 0 || !strings.Contains(out, "g2p-bank-proxy demo [--listen ADDR]") {
		t.Errorf("help: exit %d, output %q", code, out)
	}
}

func TestCommandLineMistakes(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{nil, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"serve"}, "serve needs --config FILE"},
		{[]string{"serve", "config.yaml"}, `unexpected argument "config.yaml"`},
		{[]string{"serve", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"demo", "--listen"}, "flag needs an argument: -listen"},
		{[]string{"demo", "--nope"}, "Usage: g2p-bank-proxy demo [--listen ADDR] [--api-key KEY] [--emulator-listen ADDR]"},
		{[]string{"version", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(tt.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.want)
			}
		})
	}
}

func TestServeRefusesAnInvalidConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("odoo:\n  url: odoo:8069\n"), 0o600)
	code, _, errOut := runCLI("serve", "--config", path)
	if code != exitError {
		t.Errorf("exit code %d, want %d", code, exitError)
	}
	for _, want := range []string{"odoo.url: must be an http(s) URL", "odoo.db: is required", "auth.clients: at least one client"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not contain %q", errOut, want)
		}
	}
}

func TestServeReportsAMissingFile(t *testing.T) {
	code, _, errOut := runCLI("serve", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != exitError || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
