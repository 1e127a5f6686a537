package proxy

import (
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// authenticate checks the request's credentials (Bearer API key or JWT,
// HTTP Basic; see authenticateWith) and puts the client's id and scopes
// into the gin context and the request context (mapping.ClientID).
func (s *Server) authenticate(c *gin.Context) {
	s.authenticateWith(s.sec.authn, s.sec.failures)(c)
}

// requireScope lets the request through only when the client holds scope;
// otherwise it answers 403. Every API route has exactly one.
func (s *Server) requireScope(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		scopes, _ := c.Get(ctxScopes)
		granted, _ := scopes.([]string)
		if !slices.Contains(granted, scope) {
			s.problem(c, mapping.CodeForbidden, "the client lacks the scope "+scope)
			return
		}
		c.Next()
	}
}
