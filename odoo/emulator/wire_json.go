package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonRequest is the body of POST /jsonrpc.
type jsonRequest struct {
	ID     any
	HasID  bool
	Params map[string]any
}

// decodeJSONRequest parses the JSON-RPC envelope. Numbers become int64 when
// they are integral in the text (Python's json does the same), float64
// otherwise. ok=false means the body is not JSON at all (Odoo answers a bare
// HTTP 400 "Invalid JSON data").
func decodeJSONRequest(body []byte) (*jsonRequest, bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var raw any
	if err := d.Decode(&raw); err != nil {
		return nil, false
	}
	env, ok := fromJSON(raw).(map[string]any)
	if !ok {
		return nil, false
	}
	req := &jsonRequest{}
	req.ID, req.HasID = env["id"]
	if p, ok := env["params"].(map[string]any); ok {
		req.Params = p
	}
	return req, true
}

func fromJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = fromJSON(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = fromJSON(x[k])
		}
		return x
	}
	return v
}

// encodePyJSON renders v like Python's json.dumps(v, ensure_ascii=False):
// ", " and ": " separators, raw UTF-8, control characters as \uXXXX.
// encodePyJSONList writes a list with Python json.dumps's ", " separator.
func encodePyJSONList[T any](b *bytes.Buffer, xs []T) {
	b.WriteByte('[')
	for i, e := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		encodePyJSON(b, e)
	}
	b.WriteByte(']')
}

func encodePyJSON(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		s := pyFloat(x)
		switch s {
		case "inf":
			s = "Infinity"
		case "-inf":
			s = "-Infinity"
		case "nan":
			s = "NaN"
		}
		b.WriteString(s)
	case string:
		pyJSONString(b, x)
	case xmlrpcDateTime:
		pyJSONString(b, string(x))
	case []int64:
		encodePyJSONList(b, x)
	case []any:
		encodePyJSONList(b, x)
	case []object:
		encodePyJSONList(b, x)
	case object:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			pyJSONString(b, m.Key)
			b.WriteString(": ")
			encodePyJSON(b, m.Value)
		}
		b.WriteByte('}')
	case map[string]any:
		encodePyJSON(b, sortedObject(x))
	default:
		pyJSONString(b, fmt.Sprint(v))
	}
}

func pyJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

func sortedObject(m map[string]any) object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := make(object, 0, len(keys))
	for _, k := range keys {
		o = append(o, member{k, m[k]})
	}
	return o
}

// jsonResult renders {"jsonrpc": "2.0", "id": …, "result": …}.
func jsonResult(id any, result any) []byte {
	var b bytes.Buffer
	encodePyJSON(&b, object{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}})
	return b.Bytes()
}

// jsonError renders Odoo 17's error envelope (code 200, "Odoo Server
// Error", data with name/debug/message/arguments/context).
func jsonError(id any, f *Fault) []byte {
	var b bytes.Buffer
	data := object{
		{"name", f.Class},
		{"debug", f.Traceback()},
		{"message", f.Message},
		{"arguments", []any{f.Message}},
		{"context", object{}},
	}
	encodePyJSON(&b, object{{"jsonrpc", "2.0"}, {"id", id}, {"error", object{
		{"code", int64(200)}, {"message", "Odoo Server Error"}, {"data", data},
	}}})
	return b.Bytes()
}
