package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// Benchmarks of the main requests through the whole proxy (router,
// middleware, mapping, Odoo client over loopback XML-RPC and JSON-RPC)
// against the emulator. They report odoo_calls/op, the round trips a
// request costs, which matters more against a real Odoo than the time
// measured here.
// Run: go test -run '^$' -bench . -benchmem ./proxy/

const benchKey = "bench-key-0123456789abcdef"

// benchIndividuals is how many individuals the harness creates: enough for
// a full 100-item page.
const benchIndividuals = 120

type benchHarness struct {
	protocol odoo.Protocol
	handler  http.Handler
	emu      *emulator.Server
	base     string
	ids      []int64
	calls    int64 // Odoo calls of emulators already replaced by restart
}

func newBenchHarness(b *testing.B, protocol odoo.Protocol) *benchHarness {
	b.Helper()
	h := &benchHarness{protocol: protocol}
	h.start(b, benchIndividuals)
	return h
}

// start builds a fresh emulator and proxy and creates n individuals.
func (h *benchHarness) start(b *testing.B, n int) {
	b.Helper()
	emu := emulator.NewTestServer(b, emulator.Options{Seed: emulator.SeedDemo})
	client, err := odoo.New(odoo.Config{URL: emu.URL(), DB: emu.DB(), Login: "admin", Secret: "admin", Protocol: h.protocol, Timeout: 30 * time.Second}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	cfg.Odoo.URL, cfg.Odoo.DB, cfg.Odoo.Login, cfg.Odoo.Secret = emu.URL(), emu.DB(), "admin", "admin"
	cfg.Auth.APIKeys = []config.APIKey{{ID: "bench", Key: benchKey, Scopes: config.AllScopes()}}
	reg := mapping.NewRegistry(client, mapping.RegistryOptions{DefaultPageSize: cfg.Registry.DefaultPageSize, MaxPageSize: cfg.Registry.MaxPageSize}, zap.NewNop())
	accounts := mapping.NewAccounts(client, reg.Banks(), mapping.AccountsOptions{SettleDelay: -1, MaxPageSize: cfg.Registry.MaxPageSize}, zap.NewNop())
	s, err := New(cfg, Deps{Registry: reg, Accounts: accounts, Upstream: client}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	h.handler, h.emu, h.base, h.ids = s.Handler(), emu, cfg.Server.BasePath, nil
	for i := range n {
		rec := h.do(b, http.MethodPost, "/individual", benchIndividual(1_000_000+i))
		var created struct{ ID int64 }
		decodeInto(b, rec, &created)
		h.ids = append(h.ids, created.ID)
	}
	emu.ResetCalls()
}

// restart replaces the emulator and the proxy by fresh ones, keeping the
// count of Odoo calls made so far.
func (h *benchHarness) restart(b *testing.B) {
	h.calls += h.emu.Calls()
	h.start(b, 0)
}

// benchIndividual is an individual with a national id, a phone and two
// bank accounts at two banks; n makes its id and account numbers unique.
func benchIndividual(n int) string {
	return fmt.Sprintf(`{"given_name": "Mariama", "family_name": "Diop", "gender": "Female", "birthdate": "1988-04-12",
		"ids": [{"id_type": "National ID", "value": "%010d"}],
		"phone_numbers": [{"phone_no": "+221 77 000 %04d"}],
		"bank_ids": [{"bank_name": "Ecobank Sénégal", "bic": "ECOCSNDA", "acc_number": "0152 0000 %010d"},
		             {"bank_name": "Caisse Rurale de Thiès", "acc_number": "CRT-%08d"}]}`, n, n%10000, n, n)
}

func (h *benchHarness) do(b *testing.B, method, path, body string) *httptest.ResponseRecorder {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, h.base+path, nil)
	} else {
		req = httptest.NewRequest(method, h.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+benchKey)
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec
}

func decodeInto(b *testing.B, rec *httptest.ResponseRecorder, v any) {
	b.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		b.Fatalf("body %.200s: %v", rec.Body, err)
	}
}

// bench runs f against a fresh harness for each wire protocol, timing
// b.N iterations and reporting the Odoo calls each made. The protocols
// differ mostly in how costly the answers are to decode.
func bench(b *testing.B, f func(b *testing.B, h *benchHarness, i int)) {
	for _, p := range []odoo.Protocol{odoo.XMLRPC, odoo.JSONRPC} {
		b.Run(string(p), func(b *testing.B) {
			h := newBenchHarness(b, p)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				f(b, h, i)
			}
			b.ReportMetric(float64(h.calls+h.emu.Calls())/float64(b.N), "odoo_calls/op")
		})
	}
}

// createBatch is how many individuals a benchmark creates in one emulator.
// The emulator scans its tables linearly, so creates slow down as rows pile
// up (Odoo's indexes do not); a fresh emulator every createBatch creates
// keeps the iterations comparable.
const createBatch = 500

func BenchmarkCreateIndividualTwoAccounts(b *testing.B) {
	bench(b, func(b *testing.B, h *benchHarness, i int) {
		if i > 0 && i%createBatch == 0 {
			b.StopTimer()
			h.restart(b)
			b.StartTimer()
		}
		h.do(b, http.MethodPost, "/individual", benchIndividual(2_000_000+i))
	})
}

func BenchmarkGetIndividual(b *testing.B) {
	bench(b, func(b *testing.B, h *benchHarness, i int) {
		h.do(b, http.MethodGet, fmt.Sprintf("/individual/%d", h.ids[i%len(h.ids)]), "")
	})
}

func BenchmarkSearchIndividualsPage100(b *testing.B) {
	bench(b, func(b *testing.B, h *benchHarness, _ int) {
		rec := h.do(b, http.MethodGet, "/individual?limit=100", "")
		if n := strings.Count(rec.Body.String(), `"age"`); n != 100 {
			b.Fatalf("page has %d individuals, want 100", n)
		}
	})
}

func BenchmarkBankAccountFeedPage100(b *testing.B) {
	bench(b, func(b *testing.B, h *benchHarness, _ int) {
		rec := h.do(b, http.MethodGet, "/bank-accounts?limit=100", "")
		// A page may stop short of the limit (with has_more) where the
		// registrants changed end inside a second: the cursor never splits one.
		if n := strings.Count(rec.Body.String(), `"registrant_id"`); n == 0 || n > 100 {
			b.Fatalf("feed page has %d accounts, want 1 to 100", n)
		}
	})
}
