package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

func TestCORS(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.Use(ts.requestIDMiddleware, ts.corsHandler(corsPolicy{origins: []string{"https://app.example"}, maxAge: 10 * time.Minute}))
	e.GET("/x", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	e.NoMethod(ts.noMethod)
	ts.engine = e
	tests := []struct {
		name, method, origin, preflight string
		status                          int
		allowOrigin                     string
	}{
		{"no origin: no CORS", "GET", "", "", http.StatusNoContent, ""},
		{"allowed origin", "GET", "https://app.example", "", http.StatusNoContent, "https://app.example"},
		{"other origin: served without CORS headers", "GET", "https://evil.example", "", http.StatusNoContent, ""},
		{"origin differing by suffix", "GET", "https://app.example.evil.example", "", http.StatusNoContent, ""},
		{"preflight of an allowed origin", "OPTIONS", "https://app.example", "PUT", http.StatusNoContent, "https://app.example"},
		{"preflight of another origin", "OPTIONS", "https://evil.example", "PUT", http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			if tt.origin != "" {
				h = append(h, "Origin", tt.origin)
			}
			if tt.preflight != "" {
				h = append(h, "Access-Control-Request-Method", tt.preflight)
			}
			r := ts.do(t, tt.method, "/x", "", nil, h...)
			if r.Code != tt.status || r.Header().Get("Access-Control-Allow-Origin") != tt.allowOrigin {
				t.Fatalf("status %d, allow-origin %q; want %d, %q", r.Code, r.Header().Get("Access-Control-Allow-Origin"), tt.status, tt.allowOrigin)
			}
			if tt.preflight != "" && tt.status == http.StatusNoContent &&
				(r.Header().Get("Access-Control-Allow-Methods") == "" || r.Header().Get("Access-Control-Allow-Headers") == "" ||
					r.Header().Get("Access-Control-Max-Age") != "600") {
				t.Errorf("preflight headers %v", r.Header())
			}
			if tt.allowOrigin != "" && tt.preflight == "" && r.Header().Get("Access-Control-Expose-Headers") == "" {
				t.Error("no Access-Control-Expose-Headers")
			}
			if tt.origin != "" && r.Header().Get("Vary") == "" {
				t.Error("no Vary: Origin")
			}
		})
	}
}
