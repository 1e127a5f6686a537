package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// demoOptions are the demo command's flags.
type demoOptions struct {
	listen         string // proxy address
	apiKey         string // "" = random
	emulatorListen string // "" = a free loopback port (the proxy reaches it over HTTP either way)
}

// The emulator's fixed credentials (odoo/emulator).
const (
	demoDB       = "openspp"
	demoLogin    = "admin"
	demoPassword = "admin"
	demoClientID = "demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "demo [--listen ADDR] [--api-key KEY] [--emulator-listen ADDR]", stderr)
	var o demoOptions
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "`address` the proxy listens on")
	fs.StringVar(&o.apiKey, "api-key", "", "API `key` of the demo client (random when empty; it has every scope)")
	fs.StringVar(&o.emulatorListen, "emulator-listen", "", "`address` of the emulated Odoo (db openspp, admin/admin), which the proxy calls over HTTP (default: a free loopback port, printed at start)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := newLogger(config.Log{Level: "info", Format: "console"}, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	d, err := startDemo(ctx, o, log)
	if err != nil {
		return err
	}
	d.printBanner(stdout)
	return d.wait()
}

// demo is a running demo: the emulated Odoo and the proxy in front of it.
type demo struct {
	apiURL      string // proxy base URL including the base path
	docsURL     string // the API description page
	apiKey      string
	emulatorURL string
	done        chan error
}

// startDemo starts the emulator seeded with demo data and the proxy against
// it, both serving until ctx is cancelled. Use wait to learn when both have
// shut down.
func startDemo(ctx context.Context, o demoOptions, log *zap.Logger) (*demo, error) {
	if o.apiKey == "" {
		o.apiKey = randomKey()
	}
	emuAddr := o.emulatorListen
	if emuAddr == "" {
		emuAddr = "127.0.0.1:0"
	}
	emuLn, err := net.Listen("tcp", emuAddr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen: %w", err)
	}
	emuURL := "http://" + emuLn.Addr().String()

	cfg := config.Default()
	cfg.Server.Listen = o.listen
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.Secret = emuURL, demoDB, demoLogin, demoPassword
	cfg.Auth.APIKeys = []config.APIKey{{ID: demoClientID, Key: o.apiKey, Scopes: config.AllScopes()}}
	if err := cfg.Validate(); err != nil {
		emuLn.Close()
		return nil, err
	}
	srv, _, err := newServer(cfg, log)
	if err != nil {
		emuLn.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		emuLn.Close()
		return nil, fmt.Errorf("listen: %w (choose another address with --listen)", err)
	}

	emu := &http.Server{Handler: emulator.New(emulator.Options{Seed: emulator.SeedDemo, DB: demoDB}),
		ErrorLog: zap.NewStdLog(log.Named("emulator"))}
	emuDone := make(chan error, 1)
	go func() { emuDone <- emu.Serve(emuLn) }()

	d := &demo{
		apiURL:      "http://" + ln.Addr().String() + cfg.Server.BasePath,
		docsURL:     "http://" + ln.Addr().String() + "/docs",
		apiKey:      o.apiKey,
		emulatorURL: emuURL,
		done:        make(chan error, 1),
	}
	go func() {
		// The proxy drains first: its in-flight requests still need Odoo.
		// Then nothing calls the emulator any more, so it can close at once.
		err := srv.Serve(ctx, ln)
		err = errors.Join(err, emu.Close())
		if emuErr := <-emuDone; !errors.Is(emuErr, http.ErrServerClosed) {
			err = errors.Join(err, emuErr)
		}
		d.done <- err
	}()
	return d, nil
}

// wait blocks until the demo has shut down and returns what failed, if anything.
func (d *demo) wait() error { return <-d.done }

func randomKey() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return "demo-" + hex.EncodeToString(b[:])
}

// printBanner tells a newcomer where the API is and how to call it.
func (d *demo) printBanner(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "g2p-bank-proxy demo: the registry API runs against an emulated OpenSPP with demo data.\n\n")
	fmt.Fprintf(&b, "  API:      %s\n", d.apiURL)
	fmt.Fprintf(&b, "  API key:  %s  (every scope)\n", d.apiKey)
	fmt.Fprintf(&b, "  Docs:     %s  (OpenAPI at /openapi.json, metrics at /metrics)\n", d.docsURL)
	fmt.Fprintf(&b, "  Odoo:     %s  (database %s, login %s, password %s)\n\n", d.emulatorURL, demoDB, demoLogin, demoPassword)
	fmt.Fprintf(&b, "Try:\n\n")
	for _, c := range d.exampleCalls() {
		fmt.Fprintf(&b, "  # %s\n  %s\n\n", c.title, c.curl(d.apiURL, d.apiKey))
	}
	fmt.Fprintf(&b, "Press Ctrl-C to stop.\n")
	fmt.Fprint(w, b.String())
}

// exampleCall is one request the banner shows (and the tests make).
type exampleCall struct {
	title, method, path, body string
}

// exampleCalls are the banner's examples; they use the demo seed's
// reference data (id type, gender, bank).
func (d *demo) exampleCalls() []exampleCall {
	return []exampleCall{
		{title: "list five individuals", method: "GET", path: "/individual?limit=5"},
		{title: "create an individual with a national id, a phone and a bank account", method: "POST", path: "/individual",
			body: `{"given_name":"Ibrahima","family_name":"Fall","gender":"Male","birthdate":"1991-03-08",` +
				`"ids":[{"id_type":"National ID","value":"1000000042","status":"valid"}],"phone_numbers":[{"phone_no":"+221 77 987 65 43"}],` +
				`"bank_ids":[{"bank_name":"Ecobank Sénégal","bic":"ECOCSNDA","acc_number":"SN04 SN01 0152 0000 0042 4242 4242"}]}`}}
}

func (c exampleCall) curl(apiURL, key string) string {
	s := fmt.Sprintf("curl -sS -H 'Authorization: Bearer %s'", key)
	if c.method != "GET" {
		s += fmt.Sprintf(" -X %s -H 'Content-Type: application/json' -d '%s'", c.method, c.body)
	}
	return s + fmt.Sprintf(" '%s%s'", apiURL, c.path)
}
