package proxy

import (
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/auth"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// realm names the proxy in authentication challenges.
const realm = `realm="g2p-bank-proxy"`

// authenticateWith checks the Authorization header with a (API key,
// Basic, or JWT) and puts the client's id and scopes into the context.
// Refusals are 401 with a challenge per accepted scheme (RFC 9110 §11.6.1,
// RFC 6750 §3). failures, when set, limits per remote address the failed
// attempts that cost a secret hash (see auth.Authenticate for why only
// those): an address that keeps failing gets 429 for every credential
// that would need a fresh hash, and no hash is computed for it.
func (s *Server) authenticateWith(a *auth.Authenticator, failures *rateLimiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		var budget auth.Budget
		var addr *addressBudget
		if failures != nil {
			addr = &addressBudget{limiter: failures, addr: c.ClientIP()}
			budget = addr
		}
		var p auth.Principal
		var err error
		if len(c.Request.Header.Values("Authorization")) > 1 {
			// Proxies on the way may pick different ones; which identity
			// is meant is not ours to guess.
			err = &auth.Error{Message: "send one Authorization header, not several"}
		} else {
			p, err = a.Authenticate(c.Request.Context(), c.GetHeader("Authorization"), budget)
		}
		var ae *auth.Error
		switch {
		case errors.Is(err, auth.ErrThrottled):
			if s.deps.Metrics != nil {
				s.deps.Metrics.FailedAuthLimited()
			}
			s.refuseRate(c, addr.refused, failedAuthPolicyName, "too many failed authentication attempts from this address; "+
				"retry later (API keys, JWTs and secrets accepted recently are still checked)")
			return
		case errors.As(err, &ae):
			challenge(c, ae)
			s.problem(c, mapping.CodeUnauthorized, ae.Message)
			return
		case errors.Is(err, auth.ErrJWKSUnavailable):
			s.fail(c, &mapping.Error{Code: mapping.CodeUpstreamUnavailable,
				Message: "the identity provider's keys cannot be fetched to check the token; retry later", Cause: err})
			return
		case err != nil:
			s.fail(c, err)
			return
		}
		c.Set(ctxClientID, p.ClientID)
		c.Set(ctxScopes, p.Scopes)
		c.Request = c.Request.WithContext(mapping.WithClientID(c.Request.Context(), p.ClientID))
		c.Next()
	}
}

// addressBudget is one request's auth.Budget: the failed-authentication
// bucket of its remote address. A reservation takes a token at once (so a
// burst of concurrent attempts cannot all pass the last one); a right
// secret gives it back.
type addressBudget struct {
	limiter *rateLimiter
	addr    string
	refused rateDecision // the bucket when Reserve refused, for the 429
}

func (b *addressBudget) Reserve() bool {
	d := b.limiter.take(b.addr)
	if !d.allowed {
		b.refused = d
	}
	return d.allowed
}

func (b *addressBudget) Refund() { b.limiter.refund(b.addr) }

// challenge sets one WWW-Authenticate per scheme; the scheme the client
// tried carries the error (RFC 6750: none when no credentials were sent).
func challenge(c *gin.Context, e *auth.Error) {
	bearer := "Bearer " + realm
	switch {
	case e.Expired:
		// A client that reads this fetches a new token instead of failing.
		bearer += `, error="invalid_token", error_description="the token has expired"`
	case e.Scheme == "Bearer":
		bearer += `, error="invalid_token"`
	}
	h := c.Writer.Header()
	h.Add("WWW-Authenticate", bearer)
	h.Add("WWW-Authenticate", "Basic "+realm+`, charset="UTF-8"`)
}
