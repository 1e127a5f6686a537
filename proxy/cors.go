package proxy

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// corsPolicy lets browser applications of the listed origins call the
// API. Without origins there is no CORS at all (the default): browsers
// then refuse cross-origin calls, and server-to-server clients, the usual
// callers, are not affected either way.
type corsPolicy struct {
	origins []string // exact origins: scheme://host[:port]
	maxAge  time.Duration
}

// CORS vocabulary of the API.
var (
	corsMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	corsHeaders = []string{"Authorization", "Content-Type", RequestIDHeader, "Idempotency-Key"}
	// corsExposed are the response headers a browser script may read.
	corsExposed = []string{RequestIDHeader, totalCountHeader, "Location", "Retry-After", "RateLimit", "RateLimit-Policy"}
)

// handler answers preflights itself and adds the CORS headers to every
// answer to an allowed origin. Origins are compared exactly: no
// wildcards, no suffix matching (a classic hole).
func (s *Server) corsHandler(p corsPolicy) gin.HandlerFunc {
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" {
			c.Next()
			return
		}
		c.Writer.Header().Add("Vary", "Origin")
		allowed := slices.Contains(p.origins, origin)
		preflight := c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != ""
		if preflight {
			c.Writer.Header().Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			if !allowed {
				s.problem(c, mapping.CodeForbidden, "cross-origin requests from "+origin+" are not allowed")
				return
			}
			h := c.Writer.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", strings.Join(corsMethods, ", "))
			h.Set("Access-Control-Allow-Headers", strings.Join(corsHeaders, ", "))
			if p.maxAge > 0 {
				h.Set("Access-Control-Max-Age", strconv.Itoa(int(p.maxAge.Seconds())))
			}
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		if allowed {
			c.Header("Access-Control-Allow-Origin", origin)
			c.Header("Access-Control-Expose-Headers", strings.Join(corsExposed, ", "))
		}
		c.Next()
	}
}
