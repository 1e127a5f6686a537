package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"runtime"
	"sync"
	"syscall"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `g2p-bank-proxy: REST API for registrants and bank accounts in front of OpenSPP.

Usage:
  g2p-bank-proxy serve --config FILE
  g2p-bank-proxy demo [--listen ADDR] [--api-key KEY] [--emulator-listen ADDR]
  g2p-bank-proxy check --config FILE
  g2p-bank-proxy hash-secret [--generate] < SECRET_FILE
  g2p-bank-proxy audit verify [--key-file KEY] FILE
  g2p-bank-proxy version

Commands:
  serve    run against a real OpenSPP/Odoo, configured by a YAML file
           (a key can be overridden by G2P_PROXY_<SECTION>_<KEY>)
  demo     run against an embedded Odoo emulator with demo data
  check    check a configuration: Odoo reachable, login, the rights the proxy needs
  hash-secret
           print the hash of a client secret read from stdin, for auth.clients
  audit    verify FILE: check an audit file's hash chain, report the first bad line
  version  print the version

Run "g2p-bank-proxy COMMAND -h" for a command's flags.
`

// exit codes: 2 for command-line mistakes (as flag does), 1 for failures.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run executes the command line args (without the program name) and returns
// the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal starts the graceful shutdown, a second one
		// gets Go's default behaviour: exit at once.
		<-ctx.Done()
		stop()
	}()
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stderr)
	case "demo":
		err = runDemo(ctx, args[1:], stdout, stderr)
	case "check":
		err = runCheck(ctx, args[1:], stdout, stderr)
	case "hash-secret":
		err = runHashSecret(args[1:], stdout, stderr)
	case "audit":
		err = runAudit(args[1:], stdout, stderr)
	case "version":
		err = runVersion(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	}
	fmt.Fprintln(stderr, "g2p-bank-proxy:", err)
	return exitError
}

// errUsage marks a command-line mistake already reported with the usage.
var errUsage = errors.New("usage")

// parse parses a sub-command's flags; it refuses positional arguments,
// which are always a mistake here (e.g. a forgotten --config).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: g2p-bank-proxy %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve --config FILE", stderr)
	path := fs.String("config", "", "YAML configuration `file` (see deploy/config.example.yaml)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *path == "" {
		fmt.Fprintln(stderr, "serve needs --config FILE")
		fs.Usage()
		return errUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }() // stderr may not support sync: nothing to do
	log.Info("starting", zap.String("version", version), zap.String("config", *path),
		zap.String("odoo_url", cfg.Odoo.URL), zap.String("odoo_db", cfg.Odoo.DB),
		zap.String("odoo_login", cfg.Odoo.Login), zap.String("odoo_protocol", cfg.Odoo.Protocol),
		zap.Strings("clients", clientIDs(cfg.Auth)), zap.Bool("oidc", cfg.Auth.OIDC.Enabled()))
	srv, client, err := newServer(cfg, log)
	if err != nil {
		return err
	}
	loginCtx, stopLogin := context.WithCancel(ctx)
	var login sync.WaitGroup
	login.Go(func() { logInAtStart(loginCtx, client, cfg.Odoo, log) })
	err = srv.Run(ctx)
	stopLogin()
	login.Wait()
	return err
}

// clientIDs lists the configured clients for the start-up log (never keys
// or hashes).
func clientIDs(a config.Auth) []string {
	ids := make([]string, 0, len(a.APIKeys)+len(a.Clients))
	for _, k := range a.APIKeys {
		ids = append(ids, k.ID)
	}
	for _, c := range a.Clients {
		ids = append(ids, c.ID)
	}
	return ids
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "g2p-bank-proxy %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
