package odoo

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind classifies an Odoo or transport failure so that callers can map it
// without parsing messages.
type Kind string

const (
	// KindValidation: UserError / ValidationError (XML-RPC fault 2); the
	// message is meant for humans.
	KindValidation Kind = "validation"
	// KindMissing: MissingError, a record that does not exist or was deleted.
	KindMissing Kind = "missing"
	// KindAccessDenied: AccessDenied (fault 3), bad credentials on a call.
	KindAccessDenied Kind = "access_denied"
	// KindAccessError: AccessError (fault 4), the Odoo user lacks rights.
	KindAccessError Kind = "access_error"
	// KindUnique: a uniqueness rule refused the write (a ValidationError).
	KindUnique Kind = "unique"
	// KindServer: any other server exception (fault 1, traceback in Debug).
	KindServer Kind = "server"
	// KindTransport: the call broke on the wire (reset, cancelled, ...).
	KindTransport Kind = "transport"
	// KindTimeout: the deadline passed before Odoo answered.
	KindTimeout Kind = "timeout"
	// KindBadResponse: a non-200 answer or a body that is not a valid
	// XML-RPC / JSON-RPC response.
	KindBadResponse Kind = "bad_response"
	// KindAuthFailed: authenticate answered false (wrong login or secret),
	// or it is refused during the back-off that follows such an answer.
	KindAuthFailed Kind = "auth_failed"
	// KindUnavailable: Odoo cannot be reached (connection refused, DNS,
	// 502/503 from a gateway in front of it).
	KindUnavailable Kind = "unavailable"
)

// Error is every error the client returns for a failed Odoo call, except
// programming errors such as ErrInvalidValue.
type Error struct {
	Kind    Kind
	Code    int    // XML-RPC fault code 1..4 (derived from the exception for JSON-RPC); 0 if not a fault
	Name    string // Python exception class when known, e.g. "odoo.exceptions.ValidationError"
	Message string // clean message without traceback; safe to show once mapped
	Debug   string // raw traceback or transport detail: for logs only
	Model   string
	Method  string
	Err     error // underlying transport error (context.Canceled, *url.Error, ...), if any
	// RetryAfter, when set, is how long until a retry may succeed (the
	// circuit breaker's remaining cool-down).
	RetryAfter time.Duration

	status int // HTTP status of a non-200 answer (statusError), 0 otherwise
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("odoo")
	if e.Model != "" || e.Method != "" {
		b.WriteString(" ")
		if e.Model != "" {
			b.WriteString(e.Model)
			b.WriteString(".")
		}
		b.WriteString(e.Method)
	}
	b.WriteString(": ")
	b.WriteString(string(e.Kind))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap exposes the transport cause, so errors.Is(err, context.Canceled) works.
func (e *Error) Unwrap() error { return e.Err }

// IsKind reports whether err is (or wraps) an *Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// accountUniqueMessage is the res.partner.bank SQL constraint text
// (unique(sanitized_acc_number, partner_id)); transcripts/04 steps 04, 15.
const accountUniqueMessage = "Account Number/Partner must be unique"

// IsAccountNumberUnique reports whether e is the res.partner.bank
// unique(sanitized_acc_number, partner_id) violation: the partner already has
// this account number, possibly archived or spelt differently.
func (e *Error) IsAccountNumberUnique() bool {
	return e != nil && e.Kind == KindUnique && strings.Contains(e.Message, accountUniqueMessage)
}

// Python exception classes as JSON-RPC names them in error.data.name.
const (
	excAccessDenied = "odoo.exceptions.AccessDenied"
	excAccessError  = "odoo.exceptions.AccessError"
	excMissing      = "odoo.exceptions.MissingError"
	excValidation   = "odoo.exceptions.ValidationError"
	excUser         = "odoo.exceptions.UserError"
	excRedirect     = "odoo.exceptions.RedirectWarning"
)

// missingPrefix starts every MissingError message (transcripts/08 38-41).
const missingPrefix = "Record does not exist or has been deleted."

// faultFromXMLRPC builds the error for an XML-RPC fault of /xmlrpc/2, where
// Odoo 17 encodes the exception family in the code (rpc.py): 1 = anything
// unexpected with the traceback as string, 2 = UserError and subclasses,
// 3 = AccessDenied, 4 = AccessError.
func faultFromXMLRPC(code int, s string) *Error {
	e := &Error{Code: code}
	switch code {
	case 2:
		e.Message = strings.TrimSpace(s)
		if strings.HasPrefix(e.Message, missingPrefix) {
			e.Name = excMissing
		}
	case 3:
		e.Name, e.Message = excAccessDenied, strings.TrimSpace(s)
	case 4:
		e.Name, e.Message = excAccessError, strings.TrimSpace(s)
	default:
		e.Debug = s
		e.Name, e.Message = lastException(s)
	}
	e.Kind = kindOf(code, e.Name, e.Message)
	return e
}

// faultFromJSONRPC builds the error for a JSON-RPC error object. Odoo puts
// the class in data.name, str(exc) in data.message and the traceback in
// data.debug; the XML-RPC code is derived so that Code means the same for
// both protocols.
func faultFromJSONRPC(name, message, debug, fallback string) *Error {
	e := &Error{Name: name, Debug: debug}
	switch name {
	case excAccessDenied:
		e.Code = 3
	case excAccessError:
		e.Code = 4
	case excMissing, excValidation, excUser, excRedirect:
		e.Code = 2
	default:
		e.Code = 1
	}
	e.Message = strings.TrimSpace(message)
	if e.Message == "" {
		e.Message = strings.TrimSpace(fallback)
	}
	if e.Code == 1 {
		// str(exc) of database errors carries SQL ("LINE 1: ..."): keep
		// only the first line, like the XML-RPC traceback's last line.
		e.Message = firstLine(e.Message)
	}
	e.Kind = kindOf(e.Code, name, e.Message)
	return e
}

func kindOf(code int, name, message string) Kind {
	switch code {
	case 2:
		switch {
		case name == excMissing:
			return KindMissing
		case isUniqueMessage(message):
			return KindUnique
		}
		return KindValidation
	case 3:
		return KindAccessDenied
	case 4:
		return KindAccessError
	}
	return KindServer
}

// isUniqueMessage recognises uniqueness refusals: the SQL unique constraints
// that retrying() turns into "The operation cannot be completed: ... must be
// unique." and the Python constraints of g2p modules ("ID Type must be
// unique.", "Gender type should be unique", "Id type already exists").
func isUniqueMessage(m string) bool {
	l := strings.ToLower(m)
	return strings.Contains(l, "must be unique") || strings.Contains(l, "should be unique") ||
		strings.Contains(l, "already exists")
}

// lastException extracts "Class: message" from the end of a Python
// traceback. With chained exceptions the last traceback block is the one that
// reached the RPC layer. Builtin classes are qualified as JSON-RPC does
// ("builtins.ValueError") so Name compares across protocols.
func lastException(tb string) (name, message string) {
	lines := strings.Split(strings.TrimRight(tb, "\n"), "\n")
	start := -1
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "Traceback (most recent call last):") {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return "", firstLine(strings.TrimSpace(tb))
	}
	for _, l := range lines[start:] {
		if l == "" || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			continue // frame lines are indented
		}
		cls, msg, ok := strings.Cut(l, ": ")
		if !ok || strings.ContainsAny(cls, " ()'\"") {
			cls, msg = strings.TrimSuffix(l, ":"), ""
			if strings.ContainsAny(cls, " ()'\"") {
				return "", l
			}
		}
		if !strings.Contains(cls, ".") {
			cls = "builtins." + cls
		}
		return cls, strings.TrimSpace(msg)
	}
	return "", ""
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}

// ErrInvalidValue is returned (wrapped, with the path of the offending value)
// when a request would carry something Odoo cannot receive faithfully: nil,
// time.Time, NaN, a control character... It is a programming error, never
// sent to Odoo.
var ErrInvalidValue = errors.New("odoo: invalid value")

type valueError struct {
	path []string // innermost last after unwinding
	msg  string
}

func (e *valueError) Error() string {
	return fmt.Sprintf("%v at %s: %s", ErrInvalidValue, strings.Join(e.path, ""), e.msg)
}

func (e *valueError) Unwrap() error { return ErrInvalidValue }
