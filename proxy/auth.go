package proxy

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// authenticate checks the request's credentials (Bearer API key or JWT,
// HTTP Basic; see authenticateWith) and puts the client's id and scopes
// into the gin context and the request context (mapping.ClientID).
func (s *Server) authenticate(c *gin.Context) {
	s.authenticateWith(s.sec.authn, s.sec.failures)(c)
}

// hasScope reports whether the authenticated client holds scope.
func hasScope(c *gin.Context, scope string) bool {
	scopes, _ := c.Get(ctxScopes)
	granted, _ := scopes.([]string)
	return slices.Contains(granted, scope)
}

// requireScope lets the request through only when the client holds scope;
// otherwise it answers 403. Every API route has exactly one.
func (s *Server) requireScope(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !hasScope(c, scope) {
			s.problem(c, mapping.CodeForbidden, "the client lacks the scope "+scope)
			return
		}
		c.Next()
	}
}

// requireScopeForParam refuses the query parameter param (403) to
// clients without scope. The feed's acc_number filter is one: it answers
// whether a full number exists, which a client that sees only the last
// four characters must not be able to ask, guess after guess.
func (s *Server) requireScopeForParam(param, scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, sent := c.GetQuery(param); sent && !hasScope(c, scope) {
			s.problem(c, mapping.CodeForbidden, "the query parameter "+param+" needs the scope "+scope)
			return
		}
		c.Next()
	}
}

// requireAccountsWrite guards the registry writes (POST /individual,
// POST /group, PUT /update_individual): a body that carries bank accounts
// (bank_ids with anything in it, at any depth: the registrant, a group
// member, an update item) also needs bank_accounts:write. Those items add
// accounts and move known numbers to another bank, which is what
// POST /registrants/{id}/bank-accounts does under that scope; without this
// rule registry:write alone could re-point a payee's account.
func (s *Server) requireAccountsWrite(c *gin.Context) {
	body, _ := c.Get(ctxRequestBody)
	raw, _ := body.([]byte)
	if carriesKey(raw, "bank_ids") && !hasScope(c, config.ScopeBankAccountsWrite) {
		s.problem(c, mapping.CodeForbidden, "the body carries bank_ids, which also needs the scope "+config.ScopeBankAccountsWrite)
		return
	}
	c.Next()
}

// carriesKey reports whether a JSON body holds key (in any letter case,
// as encoding/json matches keys) at any depth with a value other than null
// or an empty array. It parses as mapping.DecodeStrict does (BOM dropped,
// numbers kept as text), so a body it cannot read is one the handler
// refuses too.
func carriesKey(body []byte, key string) bool {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF"))))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return false
	}
	return holds(v, key)
}

func holds(v any, key string) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if strings.EqualFold(k, key) {
				if arr, isArr := val.([]any); val != nil && (!isArr || len(arr) > 0) {
					return true
				}
			}
			if holds(val, key) {
				return true
			}
		}
	case []any:
		for _, item := range x {
			if holds(item, key) {
				return true
			}
		}
	}
	return false
}
