package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// checkAs runs check against emu logged in as a new user with role.
func checkAs(t *testing.T, emu *emulator.Server, role emulator.Role) (code int, out string) {
	t.Helper()
	login := "proxy-" + string(role)
	emu.AddUser("Proxy "+string(role), login, "user-password", role)
	path := writeCheckConfig(t, emu.URL(), "user-password")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(text), "login: admin", "login: "+login, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI("check", "--config", path)
	return code, out
}

// The groups the README asks for (Internal User, Contact Creation, G2P
// Registrar) pass every check, without a warning.
func TestCheckPassesTheRecommendedUserWithoutWarnings(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	code, out := checkAs(t, emu, emulator.RoleProxy)
	if code != exitOK || strings.Contains(out, "FAIL") || strings.Contains(out, "WARN") {
		t.Errorf("exit %d, want 0 without FAIL or WARN:\n%s", code, out)
	}
	for _, want := range []string{"PASS  res.bank create", "PASS  res.bank write", "PASS  g2p.phone.number create"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Exactly the rights used: phones and memberships are never written.
	for _, unneeded := range []string{"g2p.phone.number write", "g2p.group.membership write", "unlink"} {
		if strings.Contains(out, unneeded) {
			t.Errorf("check verifies %q, which the proxy never uses:\n%s", unneeded, out)
		}
	}
}

// A G2P Registrar without Contact Creation can write registrants but not
// bank accounts or banks: check fails on exactly those four rights and
// says which group grants them.
func TestCheckNamesTheRightsARegistrarLacks(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	code, out := checkAs(t, emu, emulator.RoleRegistrar)
	if code != exitError || strings.Count(out, "FAIL  ") != 4 {
		t.Fatalf("exit %d with %d failures, want 1 and 4:\n%s", code, strings.Count(out, "FAIL  "), out)
	}
	for _, want := range []string{
		"FAIL  res.partner.bank create: the Odoo user lacks this right: bank accounts are added, changed, archived and reactivated (grant Contact Creation)",
		"FAIL  res.partner.bank write:",
		"FAIL  res.bank create: the Odoo user lacks this right: a bank a request names is created once, and a missing BIC completed (grant Contact Creation)",
		"FAIL  res.bank write:",
		"PASS  res.partner create", "PASS  g2p.reg.id write",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A user with more than it needs passes, with a warning per surplus group.
func TestCheckWarnsAboutAnAdministrator(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedEmpty})
	code, out := checkAs(t, emu, emulator.RoleSettings)
	if code != exitOK || !strings.Contains(out, "WARN  res.users write: the user can manage users and access rights") ||
		strings.Contains(out, "WARN  g2p.id.type") {
		t.Errorf("Settings user: exit %d, want 0 and one warning about administration:\n%s", code, out)
	}
	code, out = checkAs(t, emu, emulator.RoleAdmin)
	if code != exitOK || strings.Count(out, "WARN  ") != 2 || !strings.Contains(out, "WARN  g2p.id.type write: the user can change ID types") {
		t.Errorf("admin: exit %d, want 0 and two warnings:\n%s", code, out)
	}
}

// The rights check verifies are enough: the proxy's writes, nested lines
// included, succeed as a user holding only the recommended groups.
func TestTheRecommendedRightsAreEnoughForEveryWrite(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	emu.AddUser("Proxy", "proxy", "user-password", emulator.RoleProxy)
	client, err := odoo.New(odoo.Config{URL: emu.URL(), DB: emu.DB(), Login: "proxy", Secret: "user-password", Timeout: 10 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reg := mapping.NewRegistry(client, mapping.RegistryOptions{}, zap.NewNop())
	accounts := mapping.NewAccounts(client, reg.Banks(), mapping.AccountsOptions{SettleDelay: -1}, zap.NewNop())
	decode := func(body string, v any) {
		t.Helper()
		if err := mapping.DecodeStrict([]byte(body), v); err != nil {
			t.Fatal(err)
		}
	}
	var ind mapping.IndividualRequest
	decode(`{"given_name":"Awa","family_name":"Rights","ids":[{"id_type":"National ID","value":"1000000123"}],
		"phone_numbers":[{"phone_no":"+221 77 000 00 01"}],"bank_ids":[{"bank_name":"A Bank Created By The Proxy","acc_number":"RIGHTS-1"}]}`, &ind)
	created, err := reg.CreateIndividual(ctx, &ind)
	if err != nil {
		t.Fatalf("create an individual: %v", err)
	}
	var upd []mapping.UpdateIndividualRequest
	decode(`[{"updateId":"1000000123","ids":[{"id_type":"National ID","value":"1000000123","status":"valid"}],
		"phone_numbers":[{"phone_no":"+221 77 000 00 02"}],"bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"RIGHTS-2"}]}]`, &upd)
	results, err := reg.UpdateIndividuals(ctx, "National ID", upd)
	if err == nil {
		err = mapping.BatchError(results)
	}
	if err != nil {
		t.Fatalf("update an individual: %v", err)
	}
	var grp mapping.GroupRequest
	decode(`{"name":"Ménage Rights","kind":"Household","bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"RIGHTS-3"}],
		"members":[{"given_name":"Moussa","family_name":"Rights","kind":[{"name":"Head"}]}]}`, &grp)
	if _, err := reg.CreateGroup(ctx, &grp); err != nil {
		t.Fatalf("create a group: %v", err)
	}
	var post, patch mapping.BankAccountRequest
	decode(`{"bic":"ZZZZSNDA","bank_name":"Banque Nouvelle","acc_number":"RIGHTS-4"}`, &post)
	acc, _, err := accounts.Create(ctx, created.ID, &post)
	if err != nil {
		t.Fatalf("add an account: %v", err)
	}
	decode(`{"acc_holder_name":"Awa R.","bank_name":"Caisse Rurale de Thiès"}`, &patch)
	if _, err := accounts.Update(ctx, created.ID, acc.ID, &patch); err != nil {
		t.Fatalf("change an account: %v", err)
	}
	if err := accounts.Archive(ctx, created.ID, acc.ID); err != nil {
		t.Fatalf("archive an account: %v", err)
	}
	if _, _, err := accounts.Create(ctx, created.ID, &post); err != nil {
		t.Fatalf("reactivate an account: %v", err)
	}
	if _, err := accounts.Feed(ctx, mapping.FeedQuery{}); err != nil {
		t.Fatalf("read the feed: %v", err)
	}
}
