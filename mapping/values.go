package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Nullable is a request value that tells "absent" (Set false), "explicit
// null" (Null true) and a value apart. Create treats null like absent; an
// update clears the stored value on null and leaves it alone when absent.
type Nullable[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON runs only when the key is present.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Null = true
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}

func (Nullable[T]) elemType() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

// Present reports whether a (non-null) value was sent.
func (n Nullable[T]) Present() bool { return n.Set && !n.Null }

// Cleared reports whether the key was sent with null.
func (n Nullable[T]) Cleared() bool { return n.Set && n.Null }

// Date is a calendar date as sent and stored by Odoo: "YYYY-MM-DD". The
// empty string is accepted as "no date", like the original.
type Date string

const dateLayout = "2006-01-02"

func (Date) checkWire(raw any) string {
	s, ok := raw.(string)
	if !ok {
		return "must be a date string YYYY-MM-DD, not " + jsonKind(raw)
	}
	if s == "" {
		return ""
	}
	if _, err := time.Parse(dateLayout, s); err != nil {
		return "must be a date YYYY-MM-DD"
	}
	return ""
}

// Time parses the date; ok is false for the empty date.
func (d Date) Time() (time.Time, bool) {
	t, err := time.Parse(dateLayout, string(d))
	return t, err == nil
}

// AccountNumber is a bank account number as the client sent it (trimmed).
// It must arrive as a JSON string: a number would lose leading zeros.
type AccountNumber string

func (AccountNumber) checkWire(raw any) string {
	s, ok := raw.(string)
	if !ok {
		return "must be a JSON string, not " + jsonKind(raw) + " (a number would lose leading zeros)"
	}
	return checkText(s)
}

var upperCaser = cases.Upper(language.Und)

// Sanitized returns the number as Odoo compares it: every non-word character
// removed, upper-cased — Python's re.sub(r'\W+', ”, x).upper() on a str,
// where word characters are Unicode letters, numbers and '_' and upper()
// uses full case mapping (ß → SS). Two accounts of one registrant may not
// share a sanitized number.
func (a AccountNumber) Sanitized() string {
	var b strings.Builder
	for _, r := range string(a) {
		if isPythonWordRune(r) {
			b.WriteRune(r)
		}
	}
	return upperCaser.String(b.String())
}

// Masked returns the number for logs: only the last four characters of its
// sanitized form.
func (a AccountNumber) Masked() string {
	r := []rune(a.Sanitized())
	if len(r) <= 4 {
		return "****"
	}
	return "****" + string(r[len(r)-4:])
}
