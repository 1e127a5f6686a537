package odoo

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// x2many commands (Odoo's Command tuples). They go inside a one2many or
// many2many value: Values{"bank_ids": []any{CmdCreate(v), CmdUnlink(7)}}.

// CmdCreate creates a child record from vals: [0, 0, vals].
func CmdCreate(vals Values) []any { return []any{0, 0, vals} }

// CmdUpdate writes vals on the linked child id: [1, id, vals].
func CmdUpdate(id int64, vals Values) []any { return []any{1, id, vals} }

// CmdDelete deletes the child id from the database: [2, id, 0].
func CmdDelete(id int64) []any { return []any{2, id, 0} }

// CmdUnlink removes the link to id without deleting it (for a one2many
// with a required inverse such as bank_ids Odoo deletes it anyway): [3, id, 0].
func CmdUnlink(id int64) []any { return []any{3, id, 0} }

// CmdLink links the existing record id: [4, id, 0].
func CmdLink(id int64) []any { return []any{4, id, 0} }

// CmdClear removes all links: [5, 0, 0].
func CmdClear() []any { return []any{5, 0, 0} }

// CmdSet replaces all links with ids: [6, 0, ids].
func CmdSet(ids []int64) []any {
	if ids == nil {
		ids = []int64{}
	}
	return []any{6, 0, ids}
}

// Fields builds a web_read specification that reads the given plain fields:
// Fields("name", "bic") is {"name": {}, "bic": {}}. Nest with
// Spec{"bank_id": Spec{"fields": Fields("name")}}.
func Fields(names ...string) Spec {
	s := make(Spec, len(names))
	for _, n := range names {
		s[n] = Spec{}
	}
	return s
}

// FormatDate renders t's calendar date as Odoo expects in a Date field.
// Never send a time.Time: XML-RPC would turn it into a dateTime that Odoo 17
// refuses (transcripts/10 step 17).
func FormatDate(t time.Time) string { return t.Format(time.DateOnly) }

// FormatDatetime renders t in UTC as Odoo expects in a Datetime field.
func FormatDatetime(t time.Time) string { return t.UTC().Format(time.DateTime) }

// normalize checks v recursively and returns a copy made only of the values
// both wire protocols carry faithfully: nil-free []any, map[string]any,
// int64, float64, string and bool. kolo/xmlrpc turns nil into "" (or drops a
// nil argument) and encoding/json turns nil slices into null, so nothing nil
// may pass.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, &valueError{msg: "nil (clear a field with false)"}
	case string:
		return x, checkString(x)
	case bool:
		return x, nil
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case float64:
		return x, checkFloat(x)
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, &valueError{msg: "malformed number"}
		}
		return f, checkFloat(f)
	case time.Time:
		return nil, &valueError{msg: "time.Time (send FormatDate or FormatDatetime strings)"}
	case []byte:
		return nil, &valueError{msg: "[]byte (send a string)"}
	case []any:
		return normalizeList(len(x), func(i int) any { return x[i] })
	case map[string]any:
		return normalizeMap(x)
	}
	return normalizeReflect(reflect.ValueOf(v))
}

func normalizeReflect(rv reflect.Value) (any, error) {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, &valueError{msg: "nil " + rv.Type().String() + " (clear a field with false)"}
		}
		return normalize(rv.Elem().Interface())
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		s := rv.String()
		return s, checkString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, &valueError{msg: "integer out of range"}
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		return f, checkFloat(f)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return nil, &valueError{msg: "[]byte (send a string)"}
		}
		return normalizeList(rv.Len(), func(i int) any { return rv.Index(i).Interface() })
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, &valueError{msg: "map keys must be strings"}
		}
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[it.Key().String()] = it.Value().Interface()
		}
		return normalizeMap(m)
	}
	return nil, &valueError{msg: "unsupported type " + rv.Type().String()}
}

func normalizeList(n int, at func(int) any) (any, error) {
	out := make([]any, n)
	for i := range n {
		v, err := normalize(at(i))
		if err != nil {
			return nil, prependPath(err, "["+strconv.Itoa(i)+"]")
		}
		out[i] = v
	}
	return out, nil
}

func normalizeMap(m map[string]any) (any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if err := checkKey(k); err != nil {
			return nil, err
		}
		nv, err := normalize(v)
		if err != nil {
			return nil, prependPath(err, "."+k)
		}
		out[k] = nv
	}
	return out, nil
}

func prependPath(err error, p string) error {
	if ve, ok := err.(*valueError); ok {
		ve.path = append([]string{p}, ve.path...)
	}
	return err
}

// checkString refuses what XML cannot carry: kolo's xml.Escape silently
// turns C0 control characters into U+FFFD (reference B.2) and invalid UTF-8
// makes Odoo's parser fail. Tab, LF and CR are fine.
func checkString(s string) error {
	if !utf8.ValidString(s) {
		return &valueError{msg: "invalid UTF-8"}
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return &valueError{msg: fmt.Sprintf("control character %U", r)}
		}
	}
	return nil
}

// checkKey refuses map keys kolo would write unescaped into <name>.
func checkKey(k string) error {
	if k == "" || strings.ContainsAny(k, "<>&") {
		return &valueError{msg: fmt.Sprintf("bad key %q", k)}
	}
	if err := checkString(k); err != nil {
		return err
	}
	return nil
}

func checkFloat(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return &valueError{msg: "NaN or infinite float"}
	}
	return nil
}
