package odoo

// This file is the contract between package odoo and its users (mapping,
// proxy, cmd). Implementations live in the other files of the package.

import (
	"context"
	"crypto/tls"
	"time"
)

// Protocol selects the wire protocol used to reach Odoo.
type Protocol string

const (
	XMLRPC  Protocol = "xmlrpc"
	JSONRPC Protocol = "jsonrpc"
)

// Config says where Odoo is and how to log in. Secret is a password or,
// preferably, an API key; the client never puts it in errors or logs (and
// scrubs it from Odoo's answers when it is 8 characters or longer).
type Config struct {
	URL            string        // base URL, e.g. http://odoo:8069 (no /xmlrpc suffix)
	DB             string        // database name
	Login          string        // technical user login
	Secret         string        // API key or password
	Protocol       Protocol      // XMLRPC (default) or JSONRPC
	Timeout        time.Duration // per call, when the ctx has no earlier deadline
	ConnectTimeout time.Duration // dial timeout
	Lang           string        // context lang, default en_US
	TZ             string        // context tz, default UTC
	MaxConns       int           // max connections to Odoo (concurrent calls beyond it queue), default 32
	// AuthBackoff is the minimum wait after a refused authenticate before
	// another is attempted, default 15s. Odoo locks an IP out after 5
	// failures in a minute, so keep it above 12s.
	AuthBackoff time.Duration
	// Retry: how reads are retried after transport failures (retry.go).
	Retry RetryPolicy
	// Breaker: when calls fail fast because Odoo keeps failing (breaker.go).
	Breaker BreakerPolicy
	// Observe, when set, is called after every execute_kw attempt (a
	// metrics hook); err is the call's error, usually an *Error. It must be fast and safe for
	// concurrent use.
	Observe func(model, method string, d time.Duration, err error)
	// TLS, when set, verifies https URLs (e.g. system roots plus an
	// internal CA); nil uses Go's defaults.
	TLS *tls.Config
}

// Values are the field values of a create or write. Never put nil in them:
// clear a field with false.
type Values map[string]any

// Domain is an Odoo search domain in prefix notation.
type Domain []any

// Cond builds one domain leaf: [field, op, value].
func Cond(field, op string, value any) []any { return []any{field, op, value} }

// Spec is an Odoo 17 web_read / web_search_read specification:
// {"name": {}, "bank_ids": {"fields": {"acc_number": {}}}}.
type Spec map[string]any

// Options are the keyword arguments shared by the read helpers.
type Options struct {
	Offset     int
	Limit      int    // 0 = no limit
	Order      string // e.g. "id asc"
	ActiveTest *bool  // nil = Odoo default (true)
	Context    map[string]any
}

// Many2One is a decoded [id, "display name"] pair.
type Many2One struct {
	ID   int64
	Name string
}

// Record is one decoded Odoo record as returned by read/search_read/web_read.
// Values are as decoded from the wire (int64 for integers, float64, string,
// bool, []any, map[string]any); use the accessors to read them typed: Odoo's
// false becomes "absent" for non-boolean fields.
type Record map[string]any

// VersionInfo is what common.version answers.
type VersionInfo struct {
	ServerVersion   string
	ServerSerie     string
	ProtocolVersion int64
}

// FieldInfo is one entry of fields_get.
type FieldInfo struct {
	Name      string
	String    string
	Type      string
	Relation  string
	Required  bool
	Readonly  bool
	Store     bool
	Selection [][2]string
}

// Caller is the one primitive every helper is built on. Tests and
// decorators (metrics, call counting) can wrap it.
type Caller interface {
	ExecuteKw(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error)
}
