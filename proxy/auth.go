package proxy

import (
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// clientKey is one configured API key, kept as a SHA-256 digest so every
// comparison has the same length and takes the same time.
type clientKey struct {
	id     string
	digest [sha256.Size]byte
	scopes []string
}

func newClientKeys(keys []config.APIKey) []clientKey {
	out := make([]clientKey, len(keys))
	for i, k := range keys {
		out[i] = clientKey{id: k.ID, digest: sha256.Sum256([]byte(k.Key)), scopes: k.Scopes}
	}
	return out
}

// wwwAuthenticate is the challenge sent with every 401 (RFC 6750).
const wwwAuthenticate = `Bearer realm="g2p-bank-proxy"`

// authenticate accepts `Authorization: Bearer <key>` for a configured key.
// All keys are compared, in constant time, so the answer time does not tell
// how much of a key was right or which one matched. The client's id goes
// into the gin context and the request context (ClientID).
func (s *Server) authenticate(c *gin.Context) {
	scheme, token, _ := strings.Cut(c.GetHeader("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		c.Header("WWW-Authenticate", wwwAuthenticate)
		s.problem(c, mapping.CodeUnauthorized, "send the API key as: Authorization: Bearer <key>")
		return
	}
	digest := sha256.Sum256([]byte(token))
	var match *clientKey
	for i := range s.keys {
		if subtle.ConstantTimeCompare(digest[:], s.keys[i].digest[:]) == 1 {
			match = &s.keys[i]
		}
	}
	if match == nil {
		c.Header("WWW-Authenticate", wwwAuthenticate+`, error="invalid_token"`)
		s.problem(c, mapping.CodeUnauthorized, "the API key is not valid")
		return
	}
	c.Set(ctxClientID, match.id)
	c.Set(ctxScopes, match.scopes)
	c.Request = c.Request.WithContext(mapping.WithClientID(c.Request.Context(), match.id))
	c.Next()
}

// requireScope lets the request through only when the client's key holds
// scope; otherwise it answers 403. Every API route has exactly one.
func (s *Server) requireScope(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		scopes, _ := c.Get(ctxScopes)
		granted, _ := scopes.([]string)
		if !slices.Contains(granted, scope) {
			s.problem(c, mapping.CodeForbidden, "the API key lacks the scope "+scope)
			return
		}
		c.Next()
	}
}

