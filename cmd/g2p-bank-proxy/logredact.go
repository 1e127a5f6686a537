package main

import (
	"fmt"

	"go.uber.org/zap/zapcore"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// redactingCore masks number-like runs in every log message and every
// text or error field before it is written. Handlers already log masked
// numbers; this catches what they cannot control, such as an Odoo error
// message or traceback that quotes an account number, or a query string.
type redactingCore struct{ zapcore.Core }

// unredacted fields hold identifiers the service makes itself (hex request
// ids and audit hashes look like numbers but must stay greppable; an audit
// record's time must match the file's) and the configuration file's path.
var unredacted = map[string]bool{"request_id": true, "config": true, "record_time": true, "record_hash": true, "last_hash": true}

func (c redactingCore) With(fields []zapcore.Field) zapcore.Core {
	return redactingCore{c.Core.With(redactFields(fields))}
}

func (c redactingCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c redactingCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = mapping.RedactNumbers(e.Message)
	return c.Core.Write(e, redactFields(fields))
}

func redactFields(fields []zapcore.Field) []zapcore.Field {
	out := make([]zapcore.Field, len(fields))
	for i, f := range fields {
		out[i] = f
		if unredacted[f.Key] {
			continue
		}
		switch f.Type {
		case zapcore.StringType:
			out[i].String = mapping.RedactNumbers(f.String)
		case zapcore.ErrorType, zapcore.StringerType:
			// Written as plain text: an error's verbose form (causes,
			// stack) would escape the redaction.
			out[i] = zapcore.Field{Key: f.Key, Type: zapcore.StringType, String: mapping.RedactNumbers(fmt.Sprint(f.Interface))}
		}
	}
	return out
}
