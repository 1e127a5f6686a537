// Command odoo-emulator serves the in-memory Odoo 17 + OpenG2P emulator of
// package odoo/emulator on XML-RPC (/xmlrpc/2/*) and JSON-RPC (/jsonrpc):
// database "openspp", login "admin", password "admin".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8169", "address to listen on")
	seed := flag.String("seed", "demo", "initial data: demo or empty")
	db := flag.String("db", "openspp", "database name")
	flag.Parse()
	if err := run(*listen, *seed, *db); err != nil {
		fmt.Fprintln(os.Stderr, "odoo-emulator:", err)
		os.Exit(1)
	}
}

func run(listen, seed, db string) error {
	var s emulator.Seed
	switch seed {
	case "demo":
		s = emulator.SeedDemo
	case "empty":
		s = emulator.SeedEmpty
	default:
		return fmt.Errorf("--seed must be demo or empty, not %q", seed)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: emulator.New(emulator.Options{Seed: s, DB: db}), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("odoo-emulator: http://%s (db %q, admin/admin, seed %s)", ln.Addr(), db, seed)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
