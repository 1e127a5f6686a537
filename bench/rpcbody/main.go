// Command rpcbody prints the body of the first execute_kw call the proxy
// makes for one REST request, in XML-RPC or JSON-RPC, so that bench/load.sh
// can send the very same call to Odoo directly and measure what the proxy
// adds.
//
//	go run ./bench/rpcbody -odoo http://127.0.0.1:18069 -path /individual/12 > body.xml
//	go run ./bench/rpcbody -protocol jsonrpc -odoo ... -path /individual/12 > body.json
//
// It runs the real proxy in-process in front of a recording reverse proxy
// to the given Odoo; nothing is written to Odoo for a GET.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/proxy"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rpcbody:", err)
		os.Exit(1)
	}
}

// recorder keeps the bodies of object-service calls on their way to Odoo.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (r *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if isObjectCall(req.URL.Path, body) {
			r.mu.Lock()
			r.bodies = append(r.bodies, body)
			r.mu.Unlock()
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, req)
	})
}

// isObjectCall: execute_kw goes to /xmlrpc/2/object, or to /jsonrpc with
// service "object" (authenticate shares that path with service "common").
func isObjectCall(path string, body []byte) bool {
	switch path {
	case "/xmlrpc/2/object":
		return true
	case "/jsonrpc":
		var call struct {
			Params struct {
				Service string `json:"service"`
			} `json:"params"`
		}
		return json.Unmarshal(body, &call) == nil && call.Params.Service == "object"
	}
	return false
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("rpcbody", flag.ContinueOnError)
	odooURL := fs.String("odoo", "http://127.0.0.1:8069", "Odoo (or emulator) base `URL`")
	db := fs.String("db", "openspp", "database")
	login := fs.String("login", "admin", "login")
	secret := fs.String("password", "admin", "password or API key")
	protocol := fs.String("protocol", string(odoo.XMLRPC), "wire `protocol`: xmlrpc or jsonrpc")
	path := fs.String("path", "", "REST `path` under the base path, e.g. /individual/12 (GET)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("-path is required")
	}
	target, err := url.Parse(*odooURL)
	if err != nil {
		return err
	}
	rec := &recorder{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	relay := &http.Server{Handler: rec.wrap(httputil.NewSingleHostReverseProxy(target)), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = relay.Serve(ln) }()
	defer relay.Close()

	client, err := odoo.New(odoo.Config{URL: "http://" + ln.Addr().String(), DB: *db, Login: *login, Secret: *secret, Protocol: odoo.Protocol(*protocol)}, zap.NewNop())
	if err != nil {
		return err
	}
	const key = "rpcbody-capture-key"
	cfg := config.Default()
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.Secret = *odooURL, *db, *login, *secret
	cfg.Auth.APIKeys = []config.APIKey{{ID: "capture", Key: key, Scopes: config.AllScopes()}}
	reg := mapping.NewRegistry(client, mapping.RegistryOptions{DefaultPageSize: cfg.Registry.DefaultPageSize, MaxPageSize: cfg.Registry.MaxPageSize}, zap.NewNop())
	accounts := mapping.NewAccounts(client, reg.Banks(), mapping.AccountsOptions{MaxPageSize: cfg.Registry.MaxPageSize}, zap.NewNop())
	srv, err := proxy.New(cfg, proxy.Deps{Registry: reg, Accounts: accounts}, zap.NewNop())
	if err != nil {
		return err
	}
	req := httptest.NewRequest(http.MethodGet, cfg.Server.BasePath+*path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res := httptest.NewRecorder()
	srv.Handler().ServeHTTP(res, req)
	if res.Code != http.StatusOK {
		return fmt.Errorf("GET %s answered %d: %s", *path, res.Code, strings.TrimSpace(res.Body.String()))
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.bodies) == 0 {
		return fmt.Errorf("GET %s made no execute_kw call", *path)
	}
	if len(rec.bodies) > 1 {
		fmt.Fprintf(os.Stderr, "rpcbody: GET %s made %d calls; printing the first\n", *path, len(rec.bodies))
	}
	_, err = out.Write(rec.bodies[0])
	return err
}
