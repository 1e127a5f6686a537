package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// problemContentType is RFC 9457's media type; every error response uses it.
const problemContentType = "application/problem+json"

// problemTypeBase prefixes the code to form the problem "type" URI.
const problemTypeBase = "urn:g2p-bank-proxy:problem:"

// codeMethodNotAllowed is HTTP routing vocabulary, not a domain error, so it
// lives here rather than in mapping.
const codeMethodNotAllowed mapping.Code = "method_not_allowed"

// problemKind is how one error code is shown over HTTP.
type problemKind struct {
	status int
	title  string
	// retryAfter, when non-zero, is sent as Retry-After (seconds): the
	// client may try again, and this is a sensible first wait.
	retryAfter int
}

// problemKinds is the one table mapping error codes to HTTP (DESIGN.md §4.3).
var problemKinds = map[mapping.Code]problemKind{
	mapping.CodeInvalidJSON:         {http.StatusBadRequest, "Malformed request body", 0},
	mapping.CodeValidationFailed:    {http.StatusUnprocessableEntity, "Invalid request", 0},
	mapping.CodeUnknownReference:    {http.StatusUnprocessableEntity, "Unknown reference", 0},
	mapping.CodeDuplicateInRequest:  {http.StatusUnprocessableEntity, "Duplicate in request", 0},
	mapping.CodeNotFound:            {http.StatusNotFound, "Not found", 0},
	mapping.CodeConflict:            {http.StatusConflict, "Conflict", 0},
	mapping.CodeUnauthorized:        {http.StatusUnauthorized, "Unauthorized", 0},
	mapping.CodeForbidden:           {http.StatusForbidden, "Forbidden", 0},
	mapping.CodePayloadTooLarge:     {http.StatusRequestEntityTooLarge, "Payload too large", 0},
	mapping.CodeRateLimited:         {http.StatusTooManyRequests, "Too many requests", 1},
	mapping.CodeUpstreamForbidden:   {http.StatusBadGateway, "Registry refused the proxy's rights", 0},
	mapping.CodeUpstreamAuthFailed:  {http.StatusServiceUnavailable, "Proxy cannot log in to the registry", 30},
	mapping.CodeUpstreamError:       {http.StatusBadGateway, "Registry error", 0},
	mapping.CodeUpstreamUnavailable: {http.StatusServiceUnavailable, "Registry unavailable", 5},
	mapping.CodeUpstreamTimeout:     {http.StatusGatewayTimeout, "Registry timeout", 5},
	mapping.CodeInternal:            {http.StatusInternalServerError, "Internal error", 0},
	// The write may or may not have happened: the repeat of the request
	// looks the record up before writing again (outcomeAdvice).
	mapping.CodeUpstreamOutcomeUnknown: {http.StatusGatewayTimeout, "Registry outcome unknown", 5},
	mapping.CodeIdempotencyKeyReused:   {http.StatusUnprocessableEntity, "Idempotency key reused", 0},
	mapping.CodeIdempotencyInProgress:  {http.StatusConflict, "Request in progress", 1},
	mapping.CodeUnsupportedMediaType:   {http.StatusUnsupportedMediaType, "Unsupported media type", 0},
	codeMethodNotAllowed:               {http.StatusMethodNotAllowed, "Method not allowed", 0},
	codeAuditUnavailable:               {http.StatusServiceUnavailable, "Audit trail unavailable", 30},
	codeIdempotencyStoreUnavailable:    {http.StatusServiceUnavailable, "Idempotency store unavailable", 5},
}

// ProblemDetail is the RFC 9457 body of every error response.
type ProblemDetail struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	// Detail is a sentence for people; clients of the original module read it.
	Detail string `json:"detail"`
	// Code is the stable machine code (mapping.Code).
	Code string `json:"code"`
	// ErrorCode is the original module's G2P-REQ-0xx code, where it had one.
	ErrorCode string         `json:"error_code,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
	RequestID string         `json:"request_id"`
}

// ProblemField is one invalid value and what is wrong with it. Where it is
// takes one key: "parameter" (a query parameter), "header" (a request
// header) or "pointer" (a JSON pointer into the body, "" for the whole
// body), as RFC 9457's examples do.
type ProblemField struct {
	Pointer   string `json:"pointer"`
	Parameter string `json:"parameter"`
	Header    string `json:"header"`
	Detail    string `json:"detail"`
}

// MarshalJSON writes the one location key that is set (see ProblemField).
func (f ProblemField) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	var err error
	switch {
	case f.Parameter != "":
		err = enc.Encode(struct {
			Parameter string `json:"parameter"`
			Detail    string `json:"detail"`
		}{f.Parameter, f.Detail})
	case f.Header != "":
		err = enc.Encode(struct {
			Header string `json:"header"`
			Detail string `json:"detail"`
		}{f.Header, f.Detail})
	default:
		err = enc.Encode(struct {
			Pointer string `json:"pointer"`
			Detail  string `json:"detail"`
		}{f.Pointer, f.Detail})
	}
	return bytes.TrimRight(b.Bytes(), "\n"), err
}

// fail answers the request with the problem+json for err and aborts the
// handler chain. A *mapping.Error keeps its code and message; an odoo or
// context error is converted by mapping.FromOdoo; anything else is a 500
// whose cause is logged and never shown.
func (s *Server) fail(c *gin.Context, err error) {
	if clientGone(c.Request.Context()) && errors.Is(err, context.Canceled) {
		// The client went away: nobody reads the answer; 499 marks it in
		// the access log as nginx does.
		s.requestLog(c).Info("client closed the request", zap.Error(err))
		c.AbortWithStatus(499)
		return
	}
	err = mapping.StillUnknown(c.Request.Context(), err) // a repeat's failure does not settle an unknown outcome
	me, ok := mapping.AsError(err)
	if !ok {
		me, _ = mapping.AsError(mapping.FromOdoo(err))
	}
	kind, known := problemKinds[me.Code]
	if !known {
		s.requestLog(c).Error("error code missing from the problem table", zap.String("code", string(me.Code)))
		me = &mapping.Error{Code: mapping.CodeInternal, Cause: err}
		kind = problemKinds[mapping.CodeInternal]
	}
	s.logFailure(c, kind.status, me)
	if c.Writer.Written() {
		c.Abort() // a handler already started its answer: the log has the error
		return
	}
	p := ProblemDetail{
		Type:      problemTypeBase + string(me.Code),
		Title:     kind.title,
		Status:    kind.status,
		Detail:    me.Message,
		Code:      string(me.Code),
		ErrorCode: me.LegacyCode,
	}
	switch {
	case me.Code == mapping.CodeInternal:
		// Internal messages may name Go types or upstream details.
		p.Detail = "An internal error occurred; quote the request id when reporting it."
	case me.Code == mapping.CodeUpstreamOutcomeUnknown:
		p.Detail += "; " + outcomeAdvice(c)
	case p.Detail == "":
		p.Detail = kind.title
	}
	for _, f := range me.Fields {
		p.Errors = append(p.Errors, ProblemField{Pointer: f.Pointer, Parameter: f.Parameter, Header: f.Header, Detail: f.Message})
	}
	s.writeProblem(c, p, retryAfter(kind, me))
}

// outcomeAdvice tells the client of an unknown outcome what is safe to do
// next; the repeat is recognised by its key, or without one by being the
// same request (keylessWrite).
func outcomeAdvice(c *gin.Context) string {
	if c.GetHeader(IdempotencyKeyHeader) != "" {
		return "repeat the request with the same Idempotency-Key: the repeat looks for this write before writing again"
	}
	return "check whether the record exists before sending another request; this same request sent again unchanged " +
		"looks for this write before writing again"
}

// problem answers with a problem of the given code and message: for the
// proxy's own refusals (auth, routing, limits).
func (s *Server) problem(c *gin.Context, code mapping.Code, message string) {
	s.fail(c, &mapping.Error{Code: code, Message: message})
}

func (s *Server) writeProblem(c *gin.Context, p ProblemDetail, retryAfter int) {
	p.RequestID = requestID(c)
	if retryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(retryAfter))
	}
	c.Header("Cache-Control", "no-store")
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // details quote "<key>" and the like; this is not HTML
	_ = enc.Encode(p)        // strings and ints only: cannot fail
	c.Abort()
	c.Data(p.Status, problemContentType, body.Bytes())
}

// logFailure logs server-side failures with their cause (an Odoo traceback
// included); client mistakes are logged at debug level only, since the
// access log already records their status.
func (s *Server) logFailure(c *gin.Context, status int, me *mapping.Error) {
	fields := []zap.Field{zap.String("code", string(me.Code)), zap.String("detail", me.Message)}
	if me.Cause != nil {
		fields = append(fields, zap.NamedError("cause", me.Cause))
	}
	var oe *odoo.Error
	if errors.As(me.Cause, &oe) && oe.Debug != "" {
		fields = append(fields, zap.String("odoo_debug", oe.Debug))
	}
	log := s.requestLog(c)
	switch {
	case status >= 500:
		log.Error("request failed", fields...)
	case me.Cause != nil:
		log.Info("request refused", fields...)
	default:
		log.Debug("request refused", fields...)
	}
}
