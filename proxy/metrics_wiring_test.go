package proxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The wired server counts its requests by route template, its Odoo calls
// (through odoo.Config.Observe, wired in cmd) and idempotent replays.
func TestServerRecordsMetrics(t *testing.T) {
	h := newDocsHarness(t)
	post := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, h.base+"/individual", strings.NewReader(`{"given_name": "Ousmane", "family_name": "Ba"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+docsFullKey)
		req.Header.Set("Idempotency-Key", "metrics-test-0001")
		rec := httptest.NewRecorder()
		h.server.Handler().ServeHTTP(rec, req)
		return rec
	}
	first := post()
	again := post()
	if first.Code != 200 || again.Code != 200 || again.Header().Get(ReplayedHeader) != "true" {
		t.Fatalf("POST twice with one Idempotency-Key: %d then %d (replayed %q)", first.Code, again.Code, again.Header().Get(ReplayedHeader))
	}
	h.call(t, docsFullKey, "GET", fmt.Sprintf("/individual/%d", id(t, first)), "", 200)
	text := scrape(t, h.server.deps.Metrics)
	assertContains(t, text,
		`g2p_proxy_http_requests_total{method="POST",route="/api/v1/registry/individual",status="200"} 2`,
		`g2p_proxy_http_requests_total{method="GET",route="/api/v1/registry/individual/:id",status="200"} 1`,
		"g2p_proxy_idempotency_replays_total 1",
	)
}
