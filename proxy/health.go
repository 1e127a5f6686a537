package proxy

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// healthz is the liveness probe: the process answers HTTP. It needs no
// credentials and never calls Odoo, so a slow registry does not get the
// proxy restarted.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// The readiness probe, /readyz, is in ready.go.

// noRoute answers unknown paths with a 404 problem.
func (s *Server) noRoute(c *gin.Context) {
	s.problem(c, mapping.CodeNotFound, "no such endpoint: "+c.Request.URL.Path)
}

// noMethod answers a known path with the wrong method: 405 with the Allow
// header RFC 9110 asks for.
func (s *Server) noMethod(c *gin.Context) {
	if allowed := s.allowedMethods(c.Request.URL.Path); len(allowed) > 0 {
		c.Header("Allow", strings.Join(allowed, ", "))
	}
	s.problem(c, codeMethodNotAllowed, c.Request.Method+" is not allowed on "+c.Request.URL.Path)
}

// allowedMethods lists the methods registered for a path, matching ":param"
// segments against any non-empty segment.
func (s *Server) allowedMethods(path string) []string {
	var out []string
	want := strings.Split(path, "/")
	for _, r := range s.engine.Routes() {
		if matchRoute(strings.Split(r.Path, "/"), want) && !slices.Contains(out, r.Method) {
			out = append(out, r.Method)
		}
	}
	return out
}

func matchRoute(route, path []string) bool {
	if len(route) != len(path) {
		return false
	}
	for i, seg := range route {
		isParam := strings.HasPrefix(seg, ":") && path[i] != ""
		if seg != path[i] && !isParam {
			return false
		}
	}
	return true
}
