package emulator

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

const (
	dateLayout     = "2006-01-02"
	datetimeLayout = "2006-01-02 15:04:05"
	maxInt32       = math.MaxInt32
)

// truthy is Python's bool(value).
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case xmlrpcDateTime:
		return true
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// pyStr is Python's str(value) for the scalar types a client may send.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return pyFloat(x)
	case xmlrpcDateTime:
		return string(x)
	}
	return pyValueRepr(v)
}

func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case xmlrpcDateTime:
		return "DateTime"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

var datePattern = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)

// toDate converts a value written to a Date field the way
// odoo.fields.Date.to_date does (transcripts/08 steps 8-13, 10 step 17).
func toDate(v any) (any, *Fault) {
	if !truthy(v) {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, newFault(excType, "'%s' object is not subscriptable", pyTypeName(v))
	}
	if len(s) > 10 {
		s = s[:10]
	}
	d, f := parsePyDate(s, "%Y-%m-%d")
	if f != nil {
		return nil, f
	}
	return d.Format(dateLayout), nil
}

func parsePyDate(s, format string) (time.Time, *Fault) {
	m := datePattern.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, newFault(excValue, "time data %s does not match format %s", pyRepr(s), pyRepr(format))
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, newFault(excValue, "time data %s does not match format %s", pyRepr(s), pyRepr(format))
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, newFault(excValue, "day is out of range for month")
	}
	return t, nil
}

var datetimePattern = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$`)

// toDatetime converts a value written to a Datetime field like
// odoo.fields.Datetime.to_datetime: a date alone means midnight, anything
// but "%Y-%m-%d %H:%M:%S" is refused (transcripts/10 steps 18-20).
func toDatetime(v any) (any, *Fault) {
	if !truthy(v) {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, newFault(excType, "object of type '%s' has no len()", pyTypeName(v))
	}
	if len(s) <= 10 {
		d, f := parsePyDate(s, "%Y-%m-%d")
		if f != nil {
			return nil, f
		}
		return d.Format(datetimeLayout), nil
	}
	if i := strings.IndexByte(s, '.'); i > 0 {
		s = s[:i]
	}
	m := datetimePattern.FindStringSubmatch(s)
	if m == nil {
		return nil, newFault(excValue, "time data %s does not match format '%%Y-%%m-%%d %%H:%%M:%%S'", pyRepr(s))
	}
	n := make([]int, 6)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], 0, time.UTC)
	if t.Day() != n[2] || n[1] < 1 || n[1] > 12 || n[3] > 23 || n[4] > 59 || n[5] > 59 {
		return nil, newFault(excValue, "day is out of range for month")
	}
	return t.Format(datetimeLayout), nil
}

// toInteger is int(value or 0).
func toInteger(v any) (any, *Fault) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case int64:
		if x > maxInt32 || x < -maxInt32-1 {
			return nil, newFault(excOutOfRange, "integer out of range\n")
		}
		return x, nil
	case float64:
		return int64(x), nil
	case string:
		if x == "" {
			return int64(0), nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return nil, newFault(excValue, "invalid literal for int() with base 10: %s", pyRepr(x))
		}
		return n, nil
	}
	return nil, newFault(excType, "int() argument must be a string, a bytes-like object or a real number, not '%s'", pyTypeName(v))
}

// toFloat is float(value or 0.0) (transcripts/10 steps 23-29).
func toFloat(v any) (any, *Fault) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		if x == "" {
			return 0.0, nil
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, newFault(excValue, "could not convert string to float: %s", pyRepr(x))
		}
		return f, nil
	}
	return nil, newFault(excType, "float() argument must be a string or a real number, not '%s'", pyTypeName(v))
}

// toChar stores False/None as NULL and anything else as str(value)
// (transcripts/08 step 14: an int becomes "12345").
func toChar(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case bool:
		if !x {
			return nil
		}
	}
	return pyStr(v)
}

// sanitizeAccNumber is res.partner.bank's sanitize_account_number:
// re.sub(r'\W+', ”, x).upper() with Python's Unicode \w (letters,
// numbers, underscore; combining marks are not word characters) and
// str.upper()'s full case mapping (ß becomes SS). Only an empty input is
// NULL: " - . / " sanitizes to "" (transcripts/04 step 23, 08 step 81).
func sanitizeAccNumber(s string) any {
	if s == "" {
		return nil
	}
	var b strings.Builder
	for _, r := range s {
		if r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) {
			b.WriteRune(r)
		}
	}
	return pyUpperString(b.String())
}

// pyUpperString is Python's str.upper(): full Unicode case mapping, so
// "ß" becomes "SS" (Go's strings.ToUpper keeps it).
func pyUpperString(s string) string {
	return cases.Upper(language.Und).String(s)
}
