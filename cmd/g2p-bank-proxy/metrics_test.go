package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

func get(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// serve with metrics.listen: the metrics are on their own listener only,
// and count the API's requests, the Odoo calls, the circuit breaker and
// the bank cache.
func TestServeMetricsOnTheirOwnListener(t *testing.T) {
	emu := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := free.Addr().String()
	free.Close()
	cfgFile := writeServeConfig(t, emu.URL(), fmt.Sprintf(`
metrics: {listen: %q}
auth:
  api_keys:
    - {id: integrator, key: integrator-key-123, scopes: [registry:read]}
`, metricsAddr))

	srv := startServe(t, cfgFile)
	addr := srv.addr

	if code, body := get(t, "http://"+addr+"/api/v1/registry/individual?limit=2", "integrator-key-123"); code != 200 {
		t.Fatalf("GET /individual: %d %s", code, body)
	}
	if code, _ := get(t, "http://"+addr+"/metrics", ""); code != http.StatusNotFound {
		t.Errorf("/metrics on the API listener: %d, want 404 when metrics.listen is set", code)
	}
	code, text := get(t, "http://"+metricsAddr+"/metrics", "")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`g2p_proxy_http_requests_total{method="GET",route="/api/v1/registry/individual",status="200"} 1`,
		`g2p_proxy_odoo_calls_total{method="web_search_read",model="res.partner",outcome="ok"}`,
		`g2p_proxy_odoo_circuit_state{state="closed"} 1`,
		`g2p_proxy_bank_cache_entries`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if err := srv.stop(); err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
}

// The demo serves the API description and the metrics its banner names.
func TestDemoServesDocsAndMetrics(t *testing.T) {
	d, _ := startTestDemo(t, demoOptions{})
	if code, body := get(t, d.docsURL, ""); code != 200 || !strings.Contains(body, "<title>g2p-bank-proxy API</title>") {
		t.Errorf("GET %s: %d %.100s", d.docsURL, code, body)
	}
	root := strings.TrimSuffix(d.docsURL, "/docs")
	if code, body := get(t, root+"/metrics", ""); code != 200 || !strings.Contains(body, "g2p_proxy_http_requests_total") {
		t.Errorf("GET /metrics: %d %.100s", code, body)
	}
	if code, body := get(t, root+"/openapi.json", ""); code != 200 || !strings.Contains(body, `"openapi": "3.1.0"`) {
		t.Errorf("GET /openapi.json: %d %.100s", code, body)
	}
}
