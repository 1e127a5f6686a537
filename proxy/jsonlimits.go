package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// jsonLimits bound the shape of request bodies before they are decoded:
// a body under max_body_bytes can still nest deep enough to exhaust the
// decoder, or list more registrants or accounts than one Odoo call should
// carry.
type jsonLimits struct {
	maxDepth int
	// maxItems caps any array; byKey caps the arrays under these keys
	// (members, bank_ids, ids); maxBatch caps a top-level array (the
	// update_individual batch).
	maxItems int
	byKey    map[string]int
	maxBatch int
}

// jsonLimitError names the first limit a body exceeds, with a JSON pointer
// to where.
type jsonLimitError struct {
	pointer string
	message string
}

func (e *jsonLimitError) Error() string {
	if e.pointer == "" {
		return e.message
	}
	return e.pointer + ": " + e.message
}

// frame is one open array or object while scanning.
type frame struct {
	array   bool
	wantKey bool   // object: the next token is a member key
	key     string // object: the current member's key
	index   int    // array: items seen
	pointer string // where this container is
	limit   int    // array: its item limit
	label   string // array: what its items are, for the message
}

// check scans body and returns the first exceeded limit, or nil. Syntax
// errors are not its business: it returns nil and lets the strict decoder
// of the handler report them with the proper code.
func (l jsonLimits) check(body []byte) *jsonLimitError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or malformed
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		var at, key string
		switch {
		case top == nil:
		case top.array:
			at = top.pointer + "/" + strconv.Itoa(top.index)
			top.index++
			if top.index > top.limit {
				return &jsonLimitError{pointer: top.pointer,
					message: fmt.Sprintf("at most %d %s are accepted in one request", top.limit, top.label)}
			}
		case top.wantKey:
			top.key, top.wantKey = tok.(string), false
			continue
		default:
			key = top.key
			at = top.pointer + "/" + escapePointer(key)
			top.wantKey = true
		}
		d, ok := tok.(json.Delim)
		if !ok {
			continue // a scalar value
		}
		if len(stack)+1 > l.maxDepth {
			return &jsonLimitError{pointer: at, message: fmt.Sprintf("the body nests deeper than %d levels", l.maxDepth)}
		}
		f := &frame{array: d == '[', wantKey: d == '{', pointer: at}
		if f.array {
			f.limit, f.label = l.arrayLimit(top == nil, key)
		}
		stack = append(stack, f)
	}
}

// arrayLimit is the item limit of an array under key (top: the body
// itself is the array).
func (l jsonLimits) arrayLimit(top bool, key string) (int, string) {
	if top && l.maxBatch > 0 {
		return l.maxBatch, "items"
	}
	if n, ok := l.byKey[key]; ok && n > 0 {
		return n, key + " items"
	}
	return l.maxItems, "array items"
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// handler reads the body of a write (already capped by limitBody), answers
// 413 with a pointer when it exceeds a limit, and otherwise hands the same
// bytes on to the handler (and to the audit record, ctxRequestBody).
func (l jsonLimits) handler(fail func(*gin.Context, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !isWrite(c.Request.Method) || c.Request.Body == nil {
			c.Next()
			return
		}
		body, err := io.ReadAll(c.Request.Body)
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			fail(c, &mapping.Error{Code: mapping.CodePayloadTooLarge, Message: fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit)})
			return
		case err != nil:
			fail(c, &mapping.Error{Code: mapping.CodeInvalidJSON, Message: "the request body could not be read", Cause: err})
			return
		}
		if e := l.check(body); e != nil {
			fail(c, &mapping.Error{Code: mapping.CodePayloadTooLarge, Message: e.Error(),
				Fields: []mapping.FieldError{{Pointer: e.pointer, Message: e.message}}})
			return
		}
		c.Set(ctxRequestBody, body)
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		c.Next()
	}
}
