package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/audit"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/auth"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
)

func withStdin(t *testing.T, s string) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(s)
	t.Cleanup(func() { stdin = old })
}

func TestHashSecretReadsTheSecretFromStdin(t *testing.T) {
	withStdin(t, "a-long-client-secret-0123456789\n")
	code, out, errOut := runCLI("hash-secret")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	hash := strings.TrimSpace(out)
	if ok, err := auth.VerifySecret(hash, "a-long-client-secret-0123456789"); !ok || err != nil {
		t.Errorf("printed %q does not verify the secret: %v", hash, err)
	}
	if strings.Contains(out+errOut, "a-long-client-secret") {
		t.Error("the secret was printed")
	}
}

func TestHashSecretRefusesTheSecretAsAnArgumentOrEmpty(t *testing.T) {
	withStdin(t, "")
	if code, _, errOut := runCLI("hash-secret", "my-secret"); code != exitUsage || !strings.Contains(errOut, "unexpected argument") {
		t.Errorf("secret as argument: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI("hash-secret"); code != exitError || !strings.Contains(errOut, "no secret on stdin") {
		t.Errorf("empty stdin: exit %d, %q", code, errOut)
	}
	withStdin(t, "short\n")
	if code, _, errOut := runCLI("hash-secret"); code != exitOK || !strings.Contains(errOut, "warning") {
		t.Errorf("short secret: exit %d, %q; want a warning", code, errOut)
	}
}

func TestHashSecretGenerate(t *testing.T) {
	code, out, _ := runCLI("hash-secret", "--generate")
	var secret, hash string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if v, ok := strings.CutPrefix(line, "secret: "); ok {
			secret = v
		}
		if v, ok := strings.CutPrefix(line, "secret_hash: "); ok {
			hash = v
		}
	}
	if code != 0 || len(secret) < 40 {
		t.Fatalf("exit %d, output %q", code, out)
	}
	if ok, _ := auth.VerifySecret(hash, secret); !ok {
		t.Errorf("generated hash does not verify the generated secret: %q", out)
	}
}

func TestAuditVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.OpenFile(path, audit.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 2, 3} {
		if _, err := l.Append(audit.Record{ClientID: "app", Action: "POST /individual", RegistrantIDs: []int64{id}, Outcome: audit.OutcomeSuccess, Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	code, out, errOut := runCLI("audit", "verify", path)
	if code != 0 || !strings.Contains(out, "OK, 3 records (seq 1 to 3)") || !strings.Contains(out, "last record: seq 3, hash ") ||
		strings.Contains(out, "continues") {
		t.Fatalf("intact file: exit %d, %q %q", code, out, errOut)
	}
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(path, []byte(lines[0]+lines[2]), 0o600) // line 2 deleted
	code, out, _ = runCLI("audit", "verify", path)
	if code != exitError || !strings.Contains(out, "TAMPERED at line 2") || !strings.Contains(out, "1 records before it") {
		t.Errorf("tampered file: exit %d, %q", code, out)
	}
	for _, args := range [][]string{{"audit"}, {"audit", "verify"}, {"audit", "check", path}} {
		if code, _, _ := runCLI(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// A file the proxy started after the previous one was rotated away
// verifies, and the output names the hash it continues from, so that an
// operator can match it with the previous file's last record.
func TestAuditVerifyOfARotatedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.OpenFile(path, audit.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rec := audit.Record{ClientID: "app", Action: "POST /individual", Outcome: audit.OutcomeSuccess, Status: 200}
	last, err := l.Append(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(rec); err != nil {
		t.Fatal(err)
	}
	_, old, _ := runCLI("audit", "verify", path+".1")
	code, out, errOut := runCLI("audit", "verify", path)
	if code != 0 || !strings.Contains(out, "OK, 2 records (seq 2 to 3)") ||
		!strings.Contains(out, "continues a previous audit file: its first record follows seq 1, hash "+last.Hash) {
		t.Fatalf("rotated file: exit %d, %q %q", code, out, errOut)
	}
	if !strings.Contains(old, "last record: seq 1, hash "+last.Hash) {
		t.Errorf("the previous file's output does not show the hash to match: %q", old)
	}
}

// audit.hmac_key_file seals the file with the key; audit verify needs the
// same key to call it intact.
func TestKeyedAuditFile(t *testing.T) {
	dir := t.TempDir()
	keyFile, shortKey := filepath.Join(dir, "audit.key"), filepath.Join(dir, "short.key")
	os.WriteFile(keyFile, []byte("9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c\n"), 0o600)
	os.WriteFile(shortKey, []byte("too-short\n"), 0o600)
	path := filepath.Join(dir, "audit.jsonl")
	if _, err := newAuditor(config.Audit{HMACKeyFile: keyFile}, nil, nil, zap.NewNop()); err == nil {
		t.Error("hmac_key_file without audit.file accepted")
	}
	if _, err := newAuditor(config.Audit{File: path, HMACKeyFile: shortKey}, nil, nil, zap.NewNop()); err == nil {
		t.Error("a 9-character key accepted")
	}
	a, err := newAuditor(config.Audit{File: path, HMACKeyFile: keyFile}, nil, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Record(t.Context(), audit.Record{ClientID: "app", Action: "POST /individual", Outcome: audit.OutcomeSuccess, Status: 200}); err != nil {
		t.Fatal(err)
	}
	a.Close(t.Context())

	code, out, errOut := runCLI("audit", "verify", "--key-file", keyFile, path)
	if code != exitOK || !strings.Contains(out, "OK, 1 records (seq 1 to 1), sealed with the key") {
		t.Errorf("verify with the key: exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut = runCLI("audit", "verify", path)
	if code != exitError || !strings.Contains(errOut, "--key-file") {
		t.Errorf("verify without the key: exit %d, stderr %q", code, errOut)
	}
	os.WriteFile(shortKey, []byte("another-key-another-key-another-key\n"), 0o600)
	code, out, _ = runCLI("audit", "verify", "--key-file", shortKey, path)
	if code != exitError || !strings.Contains(out, "TAMPERED at line 1") {
		t.Errorf("verify with another key: exit %d, %q", code, out)
	}
}
