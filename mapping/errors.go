package mapping

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// Code is a stable, machine-readable error code. The HTTP layer maps each
// code to a status in exactly one table; clients may rely on the values.
type Code string

const (
	CodeInvalidJSON         Code = "invalid_json"
	CodeValidationFailed    Code = "validation_failed"
	CodeUnknownReference    Code = "unknown_reference"
	CodeDuplicateInRequest  Code = "duplicate_in_request"
	CodeNotFound            Code = "not_found"
	CodeConflict            Code = "conflict"
	CodeUnauthorized        Code = "unauthorized"
	CodeForbidden           Code = "forbidden"
	CodePayloadTooLarge     Code = "payload_too_large"
	CodeRateLimited         Code = "rate_limited"
	CodeUpstreamForbidden   Code = "upstream_forbidden"
	CodeUpstreamAuthFailed  Code = "upstream_auth_failed"
	CodeUpstreamError       Code = "upstream_error"
	CodeUpstreamUnavailable Code = "upstream_unavailable"
	CodeUpstreamTimeout     Code = "upstream_timeout"
	CodeInternal            Code = "internal"
	// CodeUpstreamOutcomeUnknown: a write was sent but its answer lost, and
	// looking the record up did not settle whether it was carried out.
	CodeUpstreamOutcomeUnknown Code = "upstream_outcome_unknown"
	// CodeIdempotencyKeyReused: an Idempotency-Key sent again with another
	// request (method, path or body).
	CodeIdempotencyKeyReused Code = "idempotency_key_reused"
	// CodeIdempotencyInProgress: the first request with this
	// Idempotency-Key is still being processed.
	CodeIdempotencyInProgress Code = "idempotency_in_progress"
	// CodeUnsupportedMediaType: a body that is not JSON in UTF-8 by its
	// Content-Type (another media type or charset).
	CodeUnsupportedMediaType Code = "unsupported_media_type"
)

// Legacy error codes of the original module (G2PErrorCodes), sent beside our
// own code where the original had one.
const (
	LegacyGroupKind      = "G2P-REQ-003" // "Group type Not Found"
	LegacyMembershipKind = "G2P-REQ-004" // "Member's kind not found."
	LegacyIDType         = "G2P-REQ-005" // "Invalid ID field."
	LegacyGender         = "G2P-REQ-008" // "Invalid gender."
	LegacyNotPresent     = "G2P-REQ-010" // "ID/Name not present."
)

// FieldError says what is wrong with one value of a request and where it
// is: a query parameter (Parameter, e.g. "limit"), a request header
// (Header), or otherwise the body, by a JSON pointer (RFC 6901: Pointer,
// e.g. "/bank_ids/1/acc_number"; "" is the whole body).
type FieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Header    string `json:"header,omitempty"`
	Message   string `json:"message"`
}

// Where names the value for a sentence: the parameter, the header or the
// pointer ("" for the whole body).
func (f FieldError) Where() string {
	switch {
	case f.Parameter != "":
		return f.Parameter
	case f.Header != "":
		return f.Header
	}
	return f.Pointer
}

// Error is the error every mapping operation returns: a stable Code, a human
// Message safe to show to the caller (clients of the original read it as
// `detail`), the original's code where it had one, the field errors and the
// internal cause (for logs only).
type Error struct {
	Code       Code
	Message    string
	LegacyCode string
	Fields     []FieldError
	Cause      error
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// problems collects what is wrong with a request while it is validated, so
// that the client sees every mistake at once.
type problems struct {
	fields []FieldError
	code   Code
	legacy string
}

func (p *problems) addCode(code Code, legacy string, at FieldError, format string, args ...any) {
	if len(p.fields) == 0 {
		p.code, p.legacy = code, legacy
	}
	at.Message = fmt.Sprintf(format, args...)
	p.fields = append(p.fields, at)
}

// add records an invalid value of the body.
func (p *problems) add(pointer, format string, args ...any) {
	p.addCode(CodeValidationFailed, "", FieldError{Pointer: pointer}, format, args...)
}

// param records an invalid query parameter.
func (p *problems) param(name, format string, args ...any) {
	p.addCode(CodeValidationFailed, "", FieldError{Parameter: name}, format, args...)
}

// ref records a name of the body that matches nothing in the registry.
func (p *problems) ref(legacy, pointer, format string, args ...any) {
	p.addCode(CodeUnknownReference, legacy, FieldError{Pointer: pointer}, format, args...)
}

// refParam records a query parameter naming nothing in the registry.
func (p *problems) refParam(legacy, name, format string, args ...any) {
	p.addCode(CodeUnknownReference, legacy, FieldError{Parameter: name}, format, args...)
}

// dup records a value repeated inside one request.
func (p *problems) dup(pointer, format string, args ...any) {
	p.addCode(CodeDuplicateInRequest, "", FieldError{Pointer: pointer}, format, args...)
}

// err returns nil when nothing was collected, otherwise one error naming
// every field; its code is the first problem's.
func (p *problems) err() error {
	if len(p.fields) == 0 {
		return nil
	}
	msg := p.fields[0].Message
	if at := p.fields[0].Where(); at != "" {
		msg = at + ": " + msg
	}
	if len(p.fields) > 1 {
		more := "problems"
		if len(p.fields) == 2 {
			more = "problem"
		}
		msg = fmt.Sprintf("%s (and %d more %s)", msg, len(p.fields)-1, more)
	}
	return &Error{Code: p.code, Message: msg, LegacyCode: p.legacy, Fields: p.fields}
}

func notFound(format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf(format, args...), LegacyCode: LegacyNotPresent}
}

// FromOdoo converts an error of package odoo (or a context error) into an
// *Error with a clean message: Odoo's validation text is kept (it is meant
// for users), tracebacks, SQL and transport details never are — they stay in
// Cause for the logs. An *Error passes through unchanged.
func FromOdoo(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := AsError(err); ok {
		return e
	}
	var oe *odoo.Error
	if !errors.As(err, &oe) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return &Error{Code: CodeUpstreamTimeout, Message: "the registry did not answer in time", Cause: err}
		case errors.Is(err, context.Canceled):
			return &Error{Code: CodeUpstreamUnavailable, Message: "the request was cancelled", Cause: err}
		}
		return &Error{Code: CodeInternal, Message: "internal error", Cause: err}
	}
	switch oe.Kind {
	case odoo.KindUnique:
		if oe.IsAccountNumberUnique() {
			return &Error{Code: CodeConflict, Message: "the registrant already has a bank account with this number", Cause: err}
		}
		return &Error{Code: CodeConflict, Message: cleanOdooMessage(oe.Message), Cause: err}
	case odoo.KindValidation:
		return &Error{Code: CodeValidationFailed, Message: cleanOdooMessage(oe.Message), Cause: err}
	case odoo.KindMissing:
		return &Error{Code: CodeNotFound, Message: "the record does not exist or has been deleted", Cause: err}
	case odoo.KindAccessError:
		return &Error{Code: CodeUpstreamForbidden, Message: "the proxy's registry user lacks the rights for this operation", Cause: err}
	case odoo.KindAccessDenied, odoo.KindAuthFailed:
		return &Error{Code: CodeUpstreamAuthFailed, Message: "the proxy could not log in to the registry", Cause: err}
	case odoo.KindTimeout:
		return &Error{Code: CodeUpstreamTimeout, Message: "the registry did not answer in time", Cause: err}
	case odoo.KindUnavailable, odoo.KindTransport:
		return &Error{Code: CodeUpstreamUnavailable, Message: "the registry is unreachable", Cause: err}
	}
	return &Error{Code: CodeUpstreamError, Message: "the registry failed to process the request", Cause: err}
}

// cleanOdooMessage keeps the human part of a UserError/ValidationError text.
// Odoo appends model/constraint/field details on further lines
// (transcripts/04 steps 07-10); those name database internals.
func cleanOdooMessage(m string) string {
	m = strings.TrimSpace(m)
	m = strings.TrimPrefix(m, "The operation cannot be completed: ")
	if strings.Contains(m, "another model requires the record being deleted") {
		return "a referenced record does not exist in the registry"
	}
	if strings.Contains(m, "a mandatory field is not set") {
		return "a mandatory field is not set"
	}
	line, _, _ := strings.Cut(m, "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		return "the registry refused the data"
	}
	// Clients see the message; a number it quotes is shown masked, as in
	// every answer (the client may not be allowed full numbers).
	return RedactNumbers(line)
}

// isForeignKeyFault reports whether err is Odoo's FK text for the given
// constraint (transcripts/04 step 07: a bank_id that no longer exists).
func isForeignKeyFault(err error, constraint string) bool {
	var oe *odoo.Error
	return errors.As(err, &oe) && (oe.Kind == odoo.KindValidation || oe.Kind == odoo.KindMissing) &&
		strings.Contains(oe.Message, constraint)
}
