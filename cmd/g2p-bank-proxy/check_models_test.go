package main

import (
	"os"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

func TestCheckFindsEveryFieldTheProxyUses(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	code, out, errOut := runCLI("check", "--config", writeCheckConfig(t, emu.URL(), "admin"))
	if code != exitOK {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, m := range modelFields {
		if want := "PASS  " + m.model + " fields"; !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The emulator's admin holds every right, more than the proxy needs.
	for _, want := range []string{"WARN  res.users write", "WARN  g2p.id.type write"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckReportsAMissingModel(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	emu.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Model == "g2p.group.membership" && c.Method == "fields_get" {
			return &emulator.Injected{Fault: emulator.UserFault("Object g2p.group.membership doesn't exist")}
		}
		return nil
	})
	code, out, _ := runCLI("check", "--config", writeCheckConfig(t, emu.URL(), "admin"))
	if code != exitError || !strings.Contains(out, "FAIL  g2p.group.membership fields") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestCheckRefusesAPortalUser(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	emu.AddUser("Portal", "portal", "portal-password", emulator.RolePortal)
	path := writeCheckConfig(t, emu.URL(), "portal-password")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(text), "login: admin", "login: portal", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI("check", "--config", path)
	if code != exitError || !strings.Contains(out, "FAIL  res.partner.bank create") || !strings.Contains(out, "FAIL  res.partner create") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	if strings.Contains(out, "WARN  ") {
		t.Errorf("a portal user was warned about a right it lacks:\n%s", out)
	}
}
