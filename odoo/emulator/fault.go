package emulator

import (
	"fmt"
	"strings"
)

// Python exception classes the emulator raises, by the name Odoo 17 puts in
// JSON-RPC error.data.name. The XML-RPC fault code is derived from them the
// way odoo/addons/base/controllers/rpc.py does (xmlrpc_handle_exception_int).
const (
	excUser        = "odoo.exceptions.UserError"
	excValidation  = "odoo.exceptions.ValidationError"
	excMissing     = "odoo.exceptions.MissingError"
	excAccessError = "odoo.exceptions.AccessError"
	excAccessDenid = "odoo.exceptions.AccessDenied"
	excValue       = "builtins.ValueError"
	excType        = "builtins.TypeError"
	excKey         = "builtins.KeyError"
	excAttribute   = "builtins.AttributeError"
	excException   = "builtins.Exception"
	excOperational = "psycopg2.OperationalError"
	excDatetimeFmt = "psycopg2.errors.InvalidDatetimeFormat"
	excOutOfRange  = "psycopg2.errors.NumericValueOutOfRange"
	excExpat       = "xml.parsers.expat.ExpatError"
	excResponse    = "xmlrpc.client.ResponseError"
)

// Fault is an Odoo server-side exception as it travels on the wire.
// Class is the Python exception class ("odoo.exceptions.ValidationError"),
// Message its text. It implements error so ORM code can return it.
type Fault struct {
	Class   string
	Message string
}

func (f *Fault) Error() string { return f.Class + ": " + f.Message }

// XMLRPCCode is the faultCode Odoo 17 answers on /xmlrpc/2/: 4 for
// AccessError, 3 for AccessDenied, 2 for any other UserError (validation,
// missing record), 1 for everything else (the string is a traceback).
func (f *Fault) XMLRPCCode() int {
	switch f.Class {
	case excAccessError:
		return 4
	case excAccessDenid:
		return 3
	case excUser, excValidation, excMissing:
		return 2
	}
	return 1
}

// Traceback is the text Odoo puts in faultString (code 1) and
// error.data.debug. The frames are the emulator's own; only the last line
// (class and message, formatted like Python) is meant to be compared.
func (f *Fault) Traceback() string {
	var b strings.Builder
	b.WriteString("Traceback (most recent call last):\n")
	b.WriteString("  File \"odoo/emulator\", line 1, in execute_kw\n")
	b.WriteString("    (emulated Odoo 17 server)\n")
	b.WriteString(pythonExcName(f.Class))
	b.WriteString(": ")
	if f.Class == excKey {
		b.WriteString(pyRepr(f.Message))
	} else {
		b.WriteString(f.Message)
	}
	if !strings.HasSuffix(f.Message, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

// pythonExcName is how a traceback's last line names the class: builtins
// without their module, others fully qualified.
func pythonExcName(class string) string {
	return strings.TrimPrefix(class, "builtins.")
}

func newFault(class, format string, args ...any) *Fault {
	if len(args) == 0 {
		return &Fault{Class: class, Message: format}
	}
	return &Fault{Class: class, Message: fmt.Sprintf(format, args...)}
}

// plainFault is a fault whose message is used verbatim.
func plainFault(class, msg string) *Fault { return &Fault{Class: class, Message: msg} }

// Messages copied from the recorded faults (transcripts 02, 03, 04, 08).
const (
	msgCannotComplete = "The operation cannot be completed: "
	msgFKText         = "another model requires the record being deleted. If possible, archive it instead."
)

func faultMissing(model string, ids []int64, uid int64) *Fault {
	return newFault(excMissing, "Record does not exist or has been deleted.\n(Record: %s(%s), User: %d)", model, pyTupleIDs(ids), uid)
}

func faultRequired(m *model, field string) *Fault {
	return newFault(excValidation, "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: "+msgFKText+"\n\nModel: %s (%s)\nField: %s (%s)\n",
		m.description, m.name, m.fields[field].String, field)
}

// faultFK is what Odoo answers for every foreign-key violation, on insert,
// update and delete alike (transcripts 04/07, 08/52).
func faultFK(m *model, field string) *Fault {
	return newFault(excValidation, msgCannotComplete+msgFKText+"\n\nModel: %s (%s)\nConstraint: %s_%s_fkey\n",
		m.description, m.name, m.table(), field)
}

func faultInvalidField(model, field string) *Fault {
	return newFault(excValue, "Invalid field %s on model %s", pyRepr(field), pyRepr(model))
}

func pyTupleIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", id)
	}
	if len(ids) == 1 {
		b.WriteString(",")
	}
	return b.String()
}

// pyRepr formats a string the way Python's repr() does for the common cases
// (single quotes unless the text holds a single quote and no double quote).
func pyRepr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, "\"") {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pyValueRepr renders a decoded wire value like Python's repr (used in
// messages that echo a domain leaf).
func pyValueRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return pyRepr(x)
	case int64:
		return fmt.Sprintf("%d", x)
	case float64:
		return pyFloat(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyValueRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "{...}"
	}
	return fmt.Sprint(v)
}
