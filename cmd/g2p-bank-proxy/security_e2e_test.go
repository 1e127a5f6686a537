package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/auth"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// securedProxy is `serve` with a hashed-secret client that may read full
// numbers, an API key that may not, an audit file and debug logs, in front
// of an emulator that logs in with an API key (so that the Odoo secret is a
// string that appears nowhere else).
type securedProxy struct {
	emu   *emulator.Server
	base  string
	logs  *lockedBuffer
	audit string
}

const (
	odooAPIKey     = "odoo-technical-key-5e1f0c9a7b"
	paymentsSecret = "payments-secret-3d8a1f6c2e90"
	enrolKey       = "enrol-key-7c2b9e4d1a55"
)

func startSecuredProxy(t *testing.T) *securedProxy {
	t.Helper()
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	emu.AddAPIKey("admin", odooAPIKey)
	hash, err := auth.HashSecret(paymentsSecret)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "odoo-key")
	auditFile := filepath.Join(dir, "audit.jsonl")
	cfgFile := filepath.Join(dir, "config.yaml")
	os.WriteFile(secret, []byte(odooAPIKey+"\n"), 0o600)
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`
server:
  listen: 127.0.0.1:0
odoo:
  url: %s
  db: openspp
  login: admin
  secret_file: %s
auth:
  clients:
    - id: payments
      secret_hash: %q
      scopes: [registry:read, bank_accounts:read, bank_accounts:read_full]
  api_keys:
    - id: enrolment
      key: %s
      scopes: [registry:read, registry:write, bank_accounts:read, bank_accounts:write]
limits:
  failed_auth_per_minute: 5
audit:
  file: %s
log:
  level: debug
`, emu.URL(), secret, hash, enrolKey, auditFile)), 0o600)

	srv := startServe(t, cfgFile)
	t.Cleanup(func() {
		if err := srv.stop(); err != nil {
			t.Errorf("serve after cancel: %v", err)
		}
	})
	addr, logs := srv.addr, srv.logs
	return &securedProxy{emu: emu, base: "http://" + addr + "/api/v1/registry", logs: logs, audit: auditFile}
}

// call sends a request with an Authorization header and returns the status
// and body.
func (p *securedProxy) call(t *testing.T, method, path, authz, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// withoutRequestID drops the request id so two problem bodies compare.
func withoutRequestID(t *testing.T, body string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	delete(m, "request_id")
	b, _ := json.Marshal(m)
	return string(b)
}

// The proxy is not an oracle for Odoo logins: the technical user's login
// and key sent as client credentials are refused exactly like a wrong
// guess, none of the attempts reaches Odoo, and an address that keeps
// guessing is slowed down.
func TestCredentialGuessingNeverReachesOdoo(t *testing.T) {
	p := startSecuredProxy(t)
	before := len(p.emu.CallLog())

	right, rightBody := p.call(t, "GET", "/individual?limit=1", basic("admin", odooAPIKey), "")
	wrong, wrongBody := p.call(t, "GET", "/individual?limit=1", basic("admin", "admin"), "")
	if right != http.StatusUnauthorized || wrong != http.StatusUnauthorized {
		t.Fatalf("Odoo's own credentials: %d, a wrong guess: %d; want 401 for both", right, wrong)
	}
	if withoutRequestID(t, rightBody) != withoutRequestID(t, wrongBody) {
		t.Errorf("the answers differ, so they tell whether a guess is Odoo's password:\n%s\n%s", rightBody, wrongBody)
	}
	if s, _ := p.call(t, "GET", "/individual?limit=1", "Bearer "+odooAPIKey, ""); s != http.StatusUnauthorized {
		t.Errorf("Odoo's API key as a bearer token: %d, want 401", s)
	}

	// failed_auth_per_minute is 5: three attempts were made above.
	var statuses []int
	for i := range 6 {
		s, _ := p.call(t, "GET", "/individual?limit=1", basic("payments", fmt.Sprintf("guess-%d", i)), "")
		statuses = append(statuses, s)
	}
	if statuses[0] != http.StatusUnauthorized || statuses[len(statuses)-1] != http.StatusTooManyRequests {
		t.Errorf("guessing the payments secret: statuses %v, want 401 first and 429 at the end", statuses)
	}
	// Even the right secret waits once the address is throttled.
	if s, _ := p.call(t, "GET", "/individual?limit=1", basic("payments", paymentsSecret), ""); s != http.StatusTooManyRequests {
		t.Errorf("right secret from a throttled address: %d, want 429", s)
	}
	if after := p.emu.CallLog()[before:]; len(after) != 0 {
		t.Errorf("refused attempts reached Odoo: %+v", after)
	}
}

// Full account numbers reach only clients allowed to see them; logs, the
// audit trail and error answers never hold a full number, a client secret,
// a client key or the Odoo key.
func TestNoSecretOrFullAccountNumberLeaks(t *testing.T) {
	p := startSecuredProxy(t)
	const number = "0048 1234 5678 9013"
	const sanitized = "0048123456789013"
	enrol := "Bearer " + enrolKey
	payments := basic("payments", paymentsSecret)

	status, body := p.call(t, "POST", "/individual", enrol, fmt.Sprintf(`{
		"name": "Diallo, Awa", "given_name": "Awa", "family_name": "Diallo",
		"bank_ids": [{"acc_number": %q, "bank_name": "Ecobank Sénégal"}]}`, number))
	if status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var created struct {
		ID      int64 `json:"id"`
		BankIDs []struct {
			AccNumber string `json:"acc_number"`
		} `json:"bank_ids"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil || len(created.BankIDs) != 1 {
		t.Fatalf("create answer: %v %s", err, body)
	}
	if !strings.HasSuffix(created.BankIDs[0].AccNumber, "9013") || strings.Contains(created.BankIDs[0].AccNumber, "5678") {
		t.Errorf("the enrolment client (no read_full) got %q, want it masked to the last 4", created.BankIDs[0].AccNumber)
	}

	path := fmt.Sprintf("/individual/%d", created.ID)
	if _, b := p.call(t, "GET", path, enrol, ""); strings.Contains(b, "5678") {
		t.Errorf("GET %s without read_full shows the full number: %s", path, b)
	}
	if _, b := p.call(t, "GET", fmt.Sprintf("/registrants/%d/bank-accounts", created.ID), enrol, ""); strings.Contains(b, "5678") {
		t.Errorf("bank accounts without read_full show the full number: %s", b)
	}
	if s, b := p.call(t, "GET", path, payments, ""); s != http.StatusOK || !strings.Contains(b, "5678 9013") {
		t.Errorf("GET %s with read_full: %d %s, want the full number", path, s, b)
	}

	// A refused write that repeats the number, and an Odoo failure whose
	// message carries it, must not echo it either.
	s, b := p.call(t, "POST", fmt.Sprintf("/registrants/%d/bank-accounts", created.ID), enrol,
		fmt.Sprintf(`{"acc_number": %q, "bank": {"name": "Ecobank Sénégal"}, "surprise": 1}`, number))
	if s != http.StatusUnprocessableEntity || strings.Contains(b, "5678") {
		t.Errorf("refused write: %d %s", s, b)
	}
	p.emu.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Method == "create" {
			return &emulator.Injected{Fault: emulator.ServerFault("psycopg2.errors.CheckViolation",
				"new row violates check constraint for acc_number "+sanitized)}
		}
		return nil
	})
	s, b = p.call(t, "POST", "/individual", enrol, fmt.Sprintf(`{"name": "Ba, Moussa",
		"bank_ids": [{"acc_number": %q, "bank_name": "Ecobank Sénégal"}]}`, number))
	p.emu.InjectFault(nil)
	if s < 500 || strings.Contains(b, "5678") || strings.Contains(b, "psycopg2") {
		t.Errorf("Odoo failure answer: %d %s", s, b)
	}

	// Wrong credentials of every kind, to tempt the logs.
	p.call(t, "GET", "/individual?limit=1", basic("payments", "not-"+paymentsSecret), "")
	p.call(t, "GET", "/individual?limit=1", "Bearer "+enrolKey+"x", "")

	auditText, err := os.ReadFile(p.audit)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(auditText, []byte(`"client_id":"enrolment"`)) || !bytes.Contains(auditText, []byte(`"client_id":"payments"`)) {
		t.Errorf("the audit file lacks the write or the full-number read:\n%s", auditText)
	}
	for name, text := range map[string]string{"logs": p.logs.String(), "audit file": string(auditText)} {
		for _, secret := range []string{sanitized, "5678 9013", odooAPIKey, paymentsSecret, enrolKey} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s contain %q:\n%s", name, secret, text)
			}
		}
	}
}
