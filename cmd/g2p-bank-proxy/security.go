package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/audit"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/auth"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/proxy"
)

// stdin is where hash-secret reads the secret (a variable for tests).
var stdin io.Reader = os.Stdin

// minSecretLen is the length below which hash-secret warns: a client
// secret is typed by no one, so it can be long and random.
const minSecretLen = 16

// runHashSecret prints the argon2id hash of a secret for auth.clients[].
// The secret comes from stdin (its first line), never from the command
// line, where it would land in the shell history and the process list.
// With --generate it makes a random secret and prints both.
func runHashSecret(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hash-secret", "hash-secret [--generate] < secret-file", stderr)
	generate := fs.Bool("generate", false, "generate a random secret and print it (once) with its hash")
	if err := parse(fs, args); err != nil {
		return err
	}
	var secret string
	if *generate {
		var b [32]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
		secret = base64.RawURLEncoding.EncodeToString(b[:])
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the secret from stdin: %w", err)
		}
		secret = strings.TrimRight(line, "\r\n")
		if secret == "" {
			return errors.New("no secret on stdin (e.g. g2p-bank-proxy hash-secret < secret.txt, or --generate)")
		}
		if len(secret) < minSecretLen {
			fmt.Fprintf(stderr, "warning: the secret has fewer than %d characters; prefer --generate\n", minSecretLen)
		}
	}
	hash, err := auth.HashSecret(secret)
	if err != nil {
		return err
	}
	if *generate {
		fmt.Fprintf(stdout, "secret: %s\nsecret_hash: %s\n", secret, hash)
		return nil
	}
	fmt.Fprintln(stdout, hash)
	return nil
}

// runAudit runs the audit sub-commands: verify [--key-file KEY] FILE.
func runAudit(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "Usage: g2p-bank-proxy audit verify [--key-file KEY] FILE")
		return errUsage
	}
	fs := newFlagSet("audit verify", "audit verify [--key-file KEY] FILE", stderr)
	keyFile := fs.String("key-file", "", "the audit.hmac_key_file the proxy sealed the records with")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	var key []byte
	if *keyFile != "" {
		var err error
		if key, err = readAuditKey(*keyFile); err != nil {
			return err
		}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := audit.Verify(f, key)
	if te := (*audit.TamperError)(nil); errors.As(err, &te) {
		fmt.Fprintf(stdout, "%s: TAMPERED at %v; the %d records before it are intact\n", path, te, s.Records)
		return errAuditTampered
	}
	if errors.Is(err, audit.ErrKeyNeeded) {
		return fmt.Errorf("%s: %w: give it with --key-file", path, err)
	}
	if err != nil {
		return err
	}
	printSummary(stdout, path, s)
	return nil
}

// printSummary reports an intact file with what an operator compares
// elsewhere: records cut off the end, or a whole previous file, leave no
// trace in the file itself.
func printSummary(w io.Writer, path string, s audit.Summary) {
	if s.Records == 0 {
		fmt.Fprintf(w, "%s: OK, empty\n", path)
		return
	}
	keyed := ""
	if s.Keyed {
		keyed = ", sealed with the key"
	}
	fmt.Fprintf(w, "%s: OK, %d records (seq %d to %d)%s\n", path, s.Records, s.FirstSeq, s.LastSeq, keyed)
	if s.ContinuesFrom != "" {
		fmt.Fprintf(w, "  continues a previous audit file: its first record follows seq %d, hash %s\n"+
			"  (that must be the last record of the previous file: check it with audit verify)\n", s.FirstSeq-1, s.ContinuesFrom)
	}
	fmt.Fprintf(w, "  last record: seq %d, hash %s\n"+
		"  (records cut off the end leave a valid chain: compare with a copy kept off this machine, e.g. the shipped audit log lines)\n",
		s.LastSeq, s.LastHash)
}

// errAuditTampered makes audit verify exit 1 after its report.
var errAuditTampered = errors.New("the audit file is not intact")

// minAuditKeyLen is the shortest audit key accepted (openssl rand -hex 32
// gives 64 characters).
const minAuditKeyLen = 32

// readAuditKey reads the HMAC key of the audit chain (audit.hmac_key_file,
// audit verify --key-file): the file's content without surrounding
// whitespace.
func readAuditKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	key := bytes.TrimSpace(b)
	if len(key) < minAuditKeyLen {
		return nil, fmt.Errorf("audit key %s: %d characters, at least %d needed (e.g. openssl rand -hex 32 > %s)", path, len(key), minAuditKeyLen, path)
	}
	return key, nil
}

// newAuditor opens the audit trail audit.* asks for: nil when neither the
// file nor the notes are enabled (the proxy then warns: writes are not
// audited).
func newAuditor(c config.Audit, client *odoo.Client, m *proxy.Metrics, log *zap.Logger) (*audit.Auditor, error) {
	if c.HMACKeyFile != "" && c.File == "" {
		return nil, errors.New("audit.hmac_key_file needs audit.file")
	}
	if c.File == "" && !c.OdooNotes {
		log.Warn("audit.file is not set: writes and reads of full account numbers are not recorded")
		return nil, nil
	}
	o := audit.Options{}
	if c.File != "" {
		fo := audit.FileOptions{Sync: c.Fsync, Log: log.Named("audit")}
		if c.HMACKeyFile != "" {
			var err error
			if fo.Key, err = readAuditKey(c.HMACKeyFile); err != nil {
				return nil, err
			}
		}
		f, err := audit.OpenFile(c.File, fo)
		if err != nil {
			return nil, err
		}
		o.File = f
	} else {
		log.Warn("audit.file is not set: only Odoo notes record writes, and reads of full numbers are not recorded")
	}
	if c.OdooNotes {
		o.Notes = audit.OdooNotes{Odoo: client}
	}
	a := audit.New(o, log.Named("audit"))
	if m != nil {
		m.Registry().MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "g2p_proxy", Name: "audit_write_failures_total",
				Help: "Audit records that could not be appended to audit.file when made (each was logged at ERROR)."},
				func() float64 { return float64(a.Failures()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "g2p_proxy", Name: "audit_pending_records",
				Help: "Audit records waiting in memory for audit.file; writes are refused while any wait."},
				func() float64 { return float64(a.Pending()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "g2p_proxy", Name: "audit_records_lost_total",
				Help: "Audit records that never reached audit.file (their ERROR log line is their only copy)."},
				func() float64 { return float64(a.Lost()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "g2p_proxy", Name: "audit_note_failures_total",
				Help: "Audit notes that could not be posted in Odoo (logged)."},
				func() float64 { return float64(a.NoteFailures()) }),
		)
	}
	return a, nil
}
