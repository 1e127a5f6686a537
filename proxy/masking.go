package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// accountNumberKeys are the wire keys that hold account numbers, in every
// response shape (registry bank_ids items, bank-account resources, feed).
var accountNumberKeys = []string{"acc_number", "acc_number_sanitized"}

// maskedPrefix starts every masked number (mapping.AccountNumber.Masked).
const maskedPrefix = "****"

// maskNumber masks a full number; an already masked one is kept (masking
// it again would lose its last four characters).
func maskNumber(n string) string {
	if strings.HasPrefix(n, maskedPrefix) {
		return n
	}
	return mapping.AccountNumber(n).Masked()
}

// mayHoldNumbers is the cheap test run before any parsing.
func mayHoldNumbers(body []byte) bool {
	return bytes.Contains(body, []byte(`"acc_number`))
}

// maskJSON returns body with the value of every account-number member
// replaced by its masked form, members and order otherwise unchanged. It
// fails only on malformed JSON (the caller then sends nothing of body).
func maskJSON(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type level struct {
		array   bool
		n       int
		wantKey bool
		key     string
	}
	var stack []*level
	var out bytes.Buffer
	out.Grow(len(body))
	writeString := func(s string) {
		b, _ := json.Marshal(s) // a string always encodes
		out.Write(b)
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) && len(stack) == 0 {
			break
		}
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		valueKey := ""
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			switch {
			case top.array:
				if top.n > 0 {
					out.WriteByte(',')
				}
				top.n++
			case top.wantKey:
				if top.n > 0 {
					out.WriteByte(',')
				}
				top.n++
				top.key, top.wantKey = tok.(string), false
				writeString(top.key)
				out.WriteByte(':')
				continue
			default:
				valueKey, top.wantKey = top.key, true
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(t))
			stack = append(stack, &level{array: t == '[', wantKey: t == '{'})
		case string:
			if slices.Contains(accountNumberKeys, valueKey) {
				t = maskNumber(t)
			}
			writeString(t)
		case json.Number:
			out.WriteString(t.String())
		case bool:
			if t {
				out.WriteString("true")
			} else {
				out.WriteString("false")
			}
		case nil:
			out.WriteString("null")
		}
	}
	if bytes.HasSuffix(body, []byte("\n")) {
		out.WriteByte('\n') // gin's JSON ends without one, encoders with one: keep what was there
	}
	return out.Bytes(), nil
}

// disclosedAccount is one account found in a response.
type disclosedAccount struct {
	id         int64
	registrant int64 // 0 when neither the item nor an enclosing registrant says
	masked     string
	full       bool // the response shows the whole number
}

// disclosure is what a response body reveals: the accounts in it and the
// registrants (objects with bank_ids or reg_ids) it describes.
type disclosure struct {
	accounts    []disclosedAccount
	registrants []int64
}

// discloseJSON collects the accounts and registrants of a response body.
func discloseJSON(body []byte) disclosure {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var d disclosure
	if dec.Decode(&v) != nil {
		return d
	}
	d.walk(v, 0)
	return d
}

func (d *disclosure) walk(v any, registrant int64) {
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			d.walk(x, registrant)
		}
	case map[string]any:
		_, hasBanks := t["bank_ids"]
		_, hasRegIDs := t["reg_ids"]
		if id, ok := numberValue(t["id"]); ok && (hasBanks || hasRegIDs) {
			registrant = id
			if !slices.Contains(d.registrants, id) {
				d.registrants = append(d.registrants, id)
			}
		}
		if n, ok := t["acc_number"].(string); ok {
			a := disclosedAccount{registrant: registrant, masked: maskNumber(n), full: !strings.HasPrefix(n, maskedPrefix)}
			a.id, _ = numberValue(t["id"])
			if r, ok := numberValue(t["registrant_id"]); ok {
				a.registrant = r
			}
			d.accounts = append(d.accounts, a)
		}
		for _, x := range t {
			d.walk(x, registrant)
		}
	}
}

func numberValue(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// requestNumbers returns the account numbers a request body carries (in
// bank_ids items or a bank-account body), full, for masking error messages
// and listing them masked in audit records of refused writes.
func requestNumbers(body []byte) []string {
	if !mayHoldNumbers(body) {
		return nil
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case []any:
			for _, x := range t {
				walk(x)
			}
		case map[string]any:
			if n, ok := t["acc_number"].(string); ok && strings.TrimSpace(n) != "" && !slices.Contains(out, n) {
				out = append(out, n)
			}
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}
