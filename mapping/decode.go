package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DecodeStrict decodes a JSON request body into v (a pointer to one of the
// request types). It refuses, with one validation_failed error listing every
// problem as a JSON pointer, unknown fields and values of the wrong JSON type
// (an account number sent as a number, say). A body that is not JSON at all
// is invalid_json. The whole body is checked before anything is decoded, so
// a client sees all its mistakes at once.
//
// Also refused: bytes that are not UTF-8 (invalid_json; encoding/json
// would store U+FFFD in their place), null instead of the object or array,
// and a key repeated in one object (encoding/json would keep the last, so
// the client could not tell which value counts). A leading byte-order mark
// is ignored (RFC 8259 §8.1 allows it).
func DecodeStrict(body []byte, v any) error {
	body = bytes.TrimPrefix(body, []byte("\uFEFF"))
	if !utf8.Valid(body) {
		return &Error{Code: CodeInvalidJSON, Message: fmt.Sprintf("the body is not valid UTF-8 (at byte %d)", invalidUTF8At(body))}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return &Error{Code: CodeInvalidJSON, Message: "the body is not valid JSON: " + jsonSyntaxMessage(err), Cause: err}
	}
	if dec.More() {
		return &Error{Code: CodeInvalidJSON, Message: "the body holds more than one JSON value"}
	}
	var fe problems
	if raw == nil {
		want := "object"
		if reflect.TypeOf(v).Elem().Kind() == reflect.Slice {
			want = "array"
		}
		fe.add("", "the body must be a JSON %s, not null", want)
		return fe.err()
	}
	// The body parsed, so its nesting is within encoding/json's limit and
	// the token walk cannot fail or recurse deeper.
	_ = duplicateKeys(json.NewDecoder(bytes.NewReader(body)), "", &fe)
	checkWire(raw, reflect.TypeOf(v).Elem(), "", &fe)
	if err := fe.err(); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		// checkWire accepted it, so this is a value a custom type refused.
		return &Error{Code: CodeValidationFailed, Message: err.Error(), Cause: err}
	}
	return nil
}

// invalidUTF8At returns the offset of the first byte of b that is not
// UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// duplicateKeys walks the next JSON value of dec token by token and records
// every key that appears more than once in the same object.
func duplicateKeys(dec *json.Decoder, ptr string, fe *problems) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]int{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := kt.(string)
			kp := ptr + "/" + escapePointer(k)
			if seen[k]++; seen[k] == 2 { // reported once, however often repeated
				fe.add(kp, "the key %q appears more than once in this object", k)
			}
			if err := duplicateKeys(dec, kp, fe); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := duplicateKeys(dec, ptr+"/"+strconv.Itoa(i), fe); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

func jsonSyntaxMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.EOF) {
		return "empty body"
	}
	return err.Error()
}

// wireChecker is implemented by value types that decode themselves (Date,
// Nullable): checkWire asks them whether a raw JSON value fits.
type wireChecker interface {
	checkWire(raw any) string // "" = fine, otherwise the message
}

// nullableElem is implemented by Nullable[T] so that checkWire can look at T.
type nullableElem interface {
	elemType() reflect.Type
}

var (
	wireCheckerType  = reflect.TypeOf((*wireChecker)(nil)).Elem()
	nullableElemType = reflect.TypeOf((*nullableElem)(nil)).Elem()
)

// checkWire walks a decoded JSON value against the Go type it will be
// decoded into and records every mismatch with its JSON pointer.
func checkWire(raw any, t reflect.Type, ptr string, fe *problems) {
	if raw == nil {
		return // null: the validators decide whether the field may be empty
	}
	if t.Implements(nullableElemType) {
		checkWire(raw, reflect.Zero(t).Interface().(nullableElem).elemType(), ptr, fe)
		return
	}
	if t.Implements(wireCheckerType) {
		if msg := reflect.Zero(t).Interface().(wireChecker).checkWire(raw); msg != "" {
			fe.add(ptr, "%s", msg)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		checkWire(raw, t.Elem(), ptr, fe)
	case reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			fe.add(ptr, "must be a JSON object, not %s", jsonKind(raw))
			return
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(obj) {
			ft, known := fields[k]
			if !known {
				fe.add(ptr+"/"+escapePointer(k), "unknown field")
				continue
			}
			if s, ok := obj[k].(string); ok && multiLineKeys[k] {
				if msg := checkMultiLineText(s); msg != "" {
					fe.add(ptr+"/"+escapePointer(k), "%s", msg)
				}
				continue
			}
			checkWire(obj[k], ft, ptr+"/"+escapePointer(k), fe)
		}
	case reflect.Slice:
		arr, ok := raw.([]any)
		if !ok {
			fe.add(ptr, "must be a JSON array, not %s", jsonKind(raw))
			return
		}
		for i, item := range arr {
			checkWire(item, t.Elem(), ptr+"/"+strconv.Itoa(i), fe)
		}
	case reflect.String:
		s, ok := raw.(string)
		if !ok {
			fe.add(ptr, "must be a JSON string, not %s", jsonKind(raw))
			return
		}
		if msg := checkText(s); msg != "" {
			fe.add(ptr, "%s", msg)
		}
	case reflect.Bool:
		if _, ok := raw.(bool); !ok {
			fe.add(ptr, "must be true or false, not %s", jsonKind(raw))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := raw.(json.Number)
		if !ok {
			fe.add(ptr, "must be an integer, not %s", jsonKind(raw))
			return
		}
		if _, err := n.Int64(); err != nil {
			fe.add(ptr, "must be an integer")
		}
	case reflect.Interface:
		// any: accepted as is
	default:
		fe.add(ptr, "unsupported value")
	}
}

// multiLineKeys are the request keys whose text may span lines.
var multiLineKeys = map[string]bool{"address": true}

// checkText refuses, in a single-line value (a name, a number), characters
// the registry cannot store or the wire cannot carry — control characters
// (U+0000 cannot be stored by PostgreSQL, XML 1.0 cannot carry the others),
// the non-characters U+FFFE/U+FFFF — and those that make a value look
// other than it is: tabs and line breaks (U+0085, U+2028/9 included) and
// the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), which can make a name or number read backwards. U+FFFD
// is refused too: it stands for characters already lost.
func checkText(s string) string {
	for _, r := range s {
		switch {
		case unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF || r == 0x2028 || r == 0x2029:
			return fmt.Sprintf("must not contain the control character %U", r)
		case (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069):
			return fmt.Sprintf("must not contain the bidirectional control character %U", r)
		case r == utf8.RuneError:
			// What a lone surrogate escape ("\ud800") decodes to, and
			// what text damaged before it was sent holds.
			return "must not contain U+FFFD, the replacement character (damaged text or a lone surrogate escape)"
		}
	}
	return ""
}

// checkMultiLineText is checkText for text that may span lines: tabs and
// line breaks are allowed.
func checkMultiLineText(s string) string {
	return checkText(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s))
}

// TextProblem says what is wrong with s as a single-line text value
// (invalid UTF-8, control characters; see checkText), "" when nothing is.
// Query parameters are checked with it like body text.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	return checkText(s)
}

func jsonKind(raw any) string {
	switch raw.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// jsonFields maps the JSON keys of struct t (embedded structs flattened) to
// their Go types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// escapePointer escapes one JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
