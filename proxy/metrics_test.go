package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// scrape returns the text exposition of m.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func assertContains(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("metrics lack %s", w)
		}
	}
}

func TestHTTPMetricsUseRouteTemplates(t *testing.T) {
	m := NewMetrics()
	e := gin.New()
	e.Use(m.observeHTTP)
	e.GET("/registrants/:id/bank-accounts", func(c *gin.Context) { c.Status(200) })
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/registrants/4711/bank-accounts", nil),
		httptest.NewRequest(http.MethodGet, "/registrants/4712/bank-accounts", nil),
		httptest.NewRequest(http.MethodGet, "/SN08-SN01-0152-0000-0042", nil),
		httptest.NewRequest("BREW", "/registrants/1/bank-accounts", nil),
	} {
		e.ServeHTTP(httptest.NewRecorder(), r)
	}
	text := scrape(t, m)
	assertContains(t, text,
		`g2p_proxy_http_requests_total{method="GET",route="/registrants/:id/bank-accounts",status="200"} 2`,
		`g2p_proxy_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`g2p_proxy_http_requests_total{method="OTHER",route="unmatched",status="404"} 1`,
		`g2p_proxy_http_request_duration_seconds_count{method="GET",route="/registrants/:id/bank-accounts"} 2`,
		`g2p_proxy_http_requests_in_flight 0`,
		// the runtime and process collectors are in the private registry
		`go_goroutines`, `process_resident_memory_bytes`,
	)
	// Only label values are checked: a sample value (bytes of memory, say)
	// may contain any digits.
	var labels strings.Builder
	for line := range strings.Lines(text) {
		if _, rest, ok := strings.Cut(line, "{"); ok {
			set, _, _ := strings.Cut(rest, "}")
			labels.WriteString(set + "\n")
		}
	}
	for _, raw := range []string{"4711", "SN08", "BREW"} {
		if strings.Contains(labels.String(), raw) {
			t.Errorf("a raw path or method leaked into the labels: %q", raw)
		}
	}
}

func TestOdooMetricsByOutcome(t *testing.T) {
	m := NewMetrics()
	m.ObserveOdoo("res.partner", "create", 30*time.Millisecond, nil)
	m.ObserveOdoo("res.partner", "create", 10*time.Millisecond, &odoo.Error{Kind: odoo.KindValidation, Message: "Contacts require a name"})
	m.ObserveOdoo("res.bank", "search_read", time.Millisecond, errors.New("boom"))
	text := scrape(t, m)
	assertContains(t, text,
		`g2p_proxy_odoo_calls_total{method="create",model="res.partner",outcome="ok"} 1`,
		`g2p_proxy_odoo_calls_total{method="create",model="res.partner",outcome="validation"} 1`,
		`g2p_proxy_odoo_calls_total{method="search_read",model="res.bank",outcome="error"} 1`,
		`g2p_proxy_odoo_call_duration_seconds_count{method="create",model="res.partner"} 2`,
		`g2p_proxy_odoo_call_duration_seconds_sum{method="create",model="res.partner"} 0.04`,
	)
	if strings.Contains(text, "Contacts require") {
		t.Error("an Odoo message leaked into the metrics")
	}
}

func TestCacheAndCounterMetrics(t *testing.T) {
	m := NewMetrics()
	stats := CacheStats{Hits: 7, Misses: 2, Size: 5}
	m.RegisterCache("bank", "bank resolver", func() CacheStats { return stats })
	m.IdempotencyReplay()
	m.RateLimited("payment-provider")
	m.RateLimited("payment-provider")
	assertContains(t, scrape(t, m),
		"g2p_proxy_bank_cache_hits_total 7",
		"g2p_proxy_bank_cache_misses_total 2",
		"g2p_proxy_bank_cache_entries 5",
		"g2p_proxy_idempotency_replays_total 1",
		`g2p_proxy_rate_limited_total{client="payment-provider",policy="client"} 2`,
	)
	stats.Hits = 9 // read at scrape time, not at registration
	assertContains(t, scrape(t, m), "g2p_proxy_bank_cache_hits_total 9")
}

func TestCircuitMetrics(t *testing.T) {
	m := NewMetrics()
	state := odoo.CircuitState{State: odoo.CircuitClosed}
	m.RegisterCircuit(func() odoo.CircuitState { return state })
	assertContains(t, scrape(t, m),
		`g2p_proxy_odoo_circuit_state{state="closed"} 1`,
		`g2p_proxy_odoo_circuit_state{state="open"} 0`,
		`g2p_proxy_odoo_circuit_failures 0`)
	state = odoo.CircuitState{State: odoo.CircuitOpen, Failures: 5}
	assertContains(t, scrape(t, m),
		`g2p_proxy_odoo_circuit_state{state="closed"} 0`,
		`g2p_proxy_odoo_circuit_state{state="open"} 1`,
		`g2p_proxy_odoo_circuit_state{state="half_open"} 0`,
		`g2p_proxy_odoo_circuit_failures 5`)
}

func TestTwoMetricsDoNotCollide(t *testing.T) {
	a, b := NewMetrics(), NewMetrics()
	a.IdempotencyReplay()
	assertContains(t, scrape(t, b), "g2p_proxy_idempotency_replays_total 0")
}

func TestServeMetricsOnItsOwnListener(t *testing.T) {
	m := NewMetrics()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.ServeMetrics(ctx, ln, zap.NewNop()) }()
	base := "http://" + ln.Addr().String()

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "g2p_proxy_http_requests_in_flight") {
		t.Fatalf("GET /metrics: %d %.200s", resp.StatusCode, body)
	}
	// Only the metrics: the API is not reachable through this listener.
	resp, err = http.Get(base + "/api/v1/registry/individual")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the metrics listener answered an API path with %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
