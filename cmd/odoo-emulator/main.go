// Command odoo-emulator serves the in-memory Odoo 17 + OpenG2P emulator of
// package odoo/emulator on XML-RPC (/xmlrpc/2/*) and JSON-RPC (/jsonrpc):
// database "openspp", login "admin", password "admin".
//
//	odoo-emulator --listen 127.0.0.1:8169 [--seed demo|empty] [--db openspp]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "odoo-emulator:", err)
		os.Exit(2)
	}
}

// run parses args, serves until ctx ends, and reports the address on out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("odoo-emulator", flag.ContinueOnError)
	fs.SetOutput(out)
	listen := fs.String("listen", "127.0.0.1:8169", "address to listen on")
	seed := fs.String("seed", "demo", "initial data: demo or empty")
	db := fs.String("db", "openspp", "database name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var s emulator.Seed
	switch *seed {
	case "demo":
		s = emulator.SeedDemo
	case "empty":
		s = emulator.SeedEmpty
	default:
		return fmt.Errorf("--seed must be demo or empty, not %q", *seed)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: emulator.New(emulator.Options{Seed: s, DB: *db}), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(out, "odoo-emulator: http://%s (db %q, admin/admin, seed %s)\n", ln.Addr(), *db, *seed)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
