package proxy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/audit"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// codeAuditUnavailable refuses writes while the audit trail cannot be
// written (HTTP vocabulary of the proxy itself, like method_not_allowed).
const codeAuditUnavailable mapping.Code = "audit_unavailable"

// ctxRequestBody holds the request body read by the JSON limits, for the
// audit record of a refused write.
const ctxRequestBody = "g2p.request_body"

// accountGuard sits around every API handler. It masks account numbers in
// responses for clients without bank_accounts:read_full (whatever the
// handler did: a new route cannot leak them), masks the numbers of the
// request in error bodies for everyone, and records every write and every
// read of full numbers in the audit trail.
//
// It buffers the response, which the pages' size bound (registry and feed
// max_page_size) keeps small.
type accountGuard struct {
	auditor  *audit.Auditor // nil: nothing is recorded
	basePath string
	fail     func(c *gin.Context, err error)
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

func (g *accountGuard) handle(c *gin.Context) {
	if isWrite(c.Request.Method) && g.auditor != nil {
		if err := g.auditor.Ready(); err != nil {
			g.fail(c, &mapping.Error{Code: codeAuditUnavailable,
				Message: "writes are refused while the audit trail cannot be written; try again later", Cause: err})
			return
		}
	}
	orig := c.Writer
	bw := &bufferedWriter{ResponseWriter: orig, status: http.StatusOK}
	c.Writer = bw
	defer func() { c.Writer = orig }() // also when the handler panics: recovery then answers on orig
	c.Next()
	c.Writer = orig

	body := bw.buf.Bytes()
	var found disclosure
	if mayHoldNumbers(body) && strings.Contains(orig.Header().Get("Content-Type"), "json") {
		found = discloseJSON(body)
		if !fullNumbers(c) {
			masked, err := maskJSON(body)
			if err != nil {
				// Unparseable output that mentions account numbers: send
				// nothing of it rather than risk full numbers.
				g.fail(c, &mapping.Error{Code: mapping.CodeInternal, Cause: err})
				return
			}
			body = masked
		}
	}
	reqBody, _ := c.Get(ctxRequestBody)
	reqNumbers := requestNumbers(asBytes(reqBody))
	if bw.status >= 400 {
		body = maskLiterals(body, reqNumbers)
	}
	g.record(c, bw.status, body, found, reqNumbers)

	orig.WriteHeader(bw.status)
	if len(body) > 0 {
		_, _ = orig.Write(body) // the client went away: nothing to do
	} else if bw.wrote {
		orig.WriteHeaderNow()
	}
}

func asBytes(v any) []byte {
	b, _ := v.([]byte)
	return b
}

// maskLiterals replaces the request's account numbers (as sent and
// sanitized) wherever an error body quotes them.
func maskLiterals(body []byte, numbers []string) []byte {
	for _, n := range numbers {
		for _, form := range []string{strings.TrimSpace(n), mapping.AccountNumber(n).Sanitized()} {
			if len([]rune(form)) > 4 {
				body = bytes.ReplaceAll(body, []byte(form), []byte(maskNumber(n)))
			}
		}
	}
	return body
}

// record writes the audit record of a write, or of a successful read that
// showed full numbers.
func (g *accountGuard) record(c *gin.Context, status int, body []byte, found disclosure, reqNumbers []string) {
	if g.auditor == nil || c.FullPath() == "" {
		return
	}
	route := strings.TrimPrefix(c.FullPath(), g.basePath)
	write := isWrite(c.Request.Method)
	var fullShown bool
	for _, a := range found.accounts {
		fullShown = fullShown || (a.full && fullNumbers(c))
	}
	if !write && (!fullShown || status >= 400) {
		return
	}
	r := audit.Record{
		RequestID: requestID(c),
		ClientID:  c.GetString(ctxClientID),
		Action:    c.Request.Method + " " + route,
		Status:    status,
		Outcome:   outcomeOf(status),
	}
	if !write {
		r.Action = audit.ActionReadFullPrefix + r.Action
	}
	if id, err := strconv.ParseInt(c.Param("id"), 10, 64); err == nil && id > 0 {
		r.RegistrantIDs = append(r.RegistrantIDs, id)
	}
	if id, err := strconv.ParseInt(c.Param("account_id"), 10, 64); err == nil && id > 0 {
		r.AccountIDs = append(r.AccountIDs, id)
	}
	for _, id := range found.registrants {
		r.RegistrantIDs = appendNew(r.RegistrantIDs, id)
	}
	for _, a := range found.accounts {
		if a.registrant > 0 {
			r.RegistrantIDs = appendNew(r.RegistrantIDs, a.registrant)
		}
		if a.id > 0 {
			r.AccountIDs = appendNew(r.AccountIDs, a.id)
		}
		r.MaskedNumbers = appendNew(r.MaskedNumbers, a.masked)
	}
	if write {
		for _, n := range reqNumbers {
			r.MaskedNumbers = appendNew(r.MaskedNumbers, maskNumber(n))
		}
	}
	if status >= 400 {
		var p ProblemDetail
		if json.Unmarshal(body, &p) == nil {
			// The detail may quote Odoo, whose text can hold any number
			// (not only the request's, masked above): the record keeps
			// none in full.
			r.Code, r.Detail = p.Code, mapping.RedactNumbers(p.Detail)
		}
	}
	// The error, if any, is logged with the whole record by the auditor;
	// the client still gets the result of what was done (see audit.Auditor).
	_ = g.auditor.Record(c.Request.Context(), r)
}

func appendNew[T comparable](s []T, v T) []T {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func outcomeOf(status int) audit.Outcome {
	switch {
	case status < 400:
		return audit.OutcomeSuccess
	case status < 500:
		return audit.OutcomeRefused
	}
	return audit.OutcomeError
}

// bufferedWriter holds a handler's response until the guard has looked at
// it. Flush is a no-op: nothing may reach the client before masking.
type bufferedWriter struct {
	gin.ResponseWriter
	status int
	wrote  bool
	buf    bytes.Buffer
}

func (w *bufferedWriter) WriteHeader(code int) {
	if code > 0 {
		w.status = code
	}
}

func (w *bufferedWriter) WriteHeaderNow() { w.wrote = true }

func (w *bufferedWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.buf.Write(b)
}

func (w *bufferedWriter) WriteString(s string) (int, error) {
	w.wrote = true
	return w.buf.WriteString(s)
}

func (w *bufferedWriter) Status() int   { return w.status }
func (w *bufferedWriter) Written() bool { return w.wrote }
func (w *bufferedWriter) Flush()        {}

func (w *bufferedWriter) Size() int {
	if !w.wrote {
		return -1
	}
	return w.buf.Len()
}
