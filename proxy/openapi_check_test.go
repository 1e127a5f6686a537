package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file checks real HTTP exchanges against openapi.json: a small
// validator for the JSON Schema subset the document uses, and an
// http.Handler wrapper that validates every response it passes on.

// schemaValidator validates decoded JSON (numbers as json.Number) against
// the document's schemas. It is stricter than JSON Schema in one way, on
// purpose: an object whose schema lists properties may not carry others, so
// a key the server sends but the document does not describe is an error.
type schemaValidator struct{ doc *openAPI }

// validate returns one message per problem, each starting with the JSON
// pointer of the offending value.
func (v schemaValidator) validate(s *schema, val any, ptr string) []string {
	if s == nil {
		return nil
	}
	if s.Ref != "" {
		target, err := v.doc.schemaRef(s.Ref)
		if err != nil {
			return []string{ptr + ": " + err.Error()}
		}
		return v.validate(target, val, ptr)
	}
	if len(s.AnyOf) > 0 {
		var first []string
		for i, alt := range s.AnyOf {
			probs := v.validate(alt, val, ptr)
			if len(probs) == 0 {
				first = nil
				break
			}
			if i == 0 {
				first = probs
			}
		}
		if first != nil {
			return append([]string{ptr + ": matches none of anyOf; first alternative says:"}, first...)
		}
	}
	if len(s.Type) > 0 && !slices.ContainsFunc(s.Type, func(t string) bool { return hasJSONType(t, val) }) {
		return []string{fmt.Sprintf("%s: %s is not of type %s", ptr, describeJSON(val), strings.Join(s.Type, " | "))}
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(val) }) {
		return []string{fmt.Sprintf("%s: %v is not one of %v", ptr, val, s.Enum)}
	}
	var probs []string
	switch x := val.(type) {
	case string:
		if msg := checkFormat(s.Format, x); msg != "" {
			probs = append(probs, ptr+": "+msg)
		}
	case json.Number:
		if f, err := x.Float64(); err == nil && s.Minimum != nil && f < *s.Minimum {
			probs = append(probs, fmt.Sprintf("%s: %s is below the minimum %v", ptr, x, *s.Minimum))
		}
	case []any:
		for i, item := range x {
			probs = append(probs, v.validate(s.Items, item, fmt.Sprintf("%s/%d", ptr, i))...)
		}
	case map[string]any:
		probs = append(probs, v.validateObject(s, x, ptr)...)
	}
	return probs
}

// validateObject checks an object against the properties and required
// keys of s and of every allOf part (resolved), merged.
func (v schemaValidator) validateObject(s *schema, obj map[string]any, ptr string) []string {
	props, required, err := v.shape(s)
	if err != nil {
		return []string{ptr + ": " + err.Error()}
	}
	var probs []string
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			probs = append(probs, fmt.Sprintf("%s: required key %q is missing", ptr, k))
		}
	}
	if len(props) == 0 {
		return probs // a free-form object
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ps, ok := props[k]
		if !ok {
			probs = append(probs, fmt.Sprintf("%s: key %q is not in the document", ptr, k))
			continue
		}
		probs = append(probs, v.validate(ps, obj[k], ptr+"/"+k)...)
	}
	return probs
}

func (v schemaValidator) shape(s *schema) (map[string]*schema, []string, error) {
	props := map[string]*schema{}
	var required []string
	for _, p := range s.Properties {
		props[p.Key] = p.Value
	}
	required = append(required, s.Required...)
	for _, part := range s.AllOf {
		if part.Ref != "" {
			target, err := v.doc.schemaRef(part.Ref)
			if err != nil {
				return nil, nil, err
			}
			part = target
		}
		pp, pr, err := v.shape(part)
		if err != nil {
			return nil, nil, err
		}
		for k, ps := range pp {
			props[k] = ps
		}
		required = append(required, pr...)
	}
	return props, required, nil
}

func hasJSONType(t string, val any) bool {
	switch t {
	case "null":
		return val == nil
	case "boolean":
		_, ok := val.(bool)
		return ok
	case "string":
		_, ok := val.(string)
		return ok
	case "number":
		_, ok := val.(json.Number)
		return ok
	case "integer":
		n, ok := val.(json.Number)
		return ok && !strings.ContainsAny(n.String(), ".eE")
	case "array":
		_, ok := val.([]any)
		return ok
	case "object":
		_, ok := val.(map[string]any)
		return ok
	}
	return false
}

func describeJSON(val any) string {
	switch val.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", val)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T %v", val, val)
}

func checkFormat(format, s string) string {
	layout := map[string]string{"date": time.DateOnly, "date-time": time.RFC3339}[format]
	if layout == "" {
		return ""
	}
	if _, err := time.Parse(layout, s); err != nil {
		return fmt.Sprintf("%q is not a %s", s, format)
	}
	return ""
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// openAPIChecker wraps a handler and validates every exchange against the
// document: the route and method must be documented (or the answer a 404 /
// 405 problem), the status listed for the operation, the content type and
// the body as described; the request body of a successful call must match
// the request schema. It remembers which operations answered with a 2xx.
type openAPIChecker struct {
	t    testing.TB
	doc  *openAPI
	next http.Handler

	mu        sync.Mutex
	succeeded map[string]bool // "METHOD template"
}

func newOpenAPIChecker(t testing.TB, next http.Handler) *openAPIChecker {
	t.Helper()
	doc, err := parseOpenAPI(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	return &openAPIChecker{t: t, doc: doc, next: next, succeeded: map[string]bool{}}
}

func (c *openAPIChecker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var reqBody []byte
	if r.Body != nil {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, r)
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	at := fmt.Sprintf("%s %s → %d", r.Method, r.URL.RequestURI(), rec.Code)
	for _, p := range c.check(r.Method, r.URL.Path, reqBody, rec) {
		c.t.Errorf("%s: %s\nbody: %.600s", at, p, rec.Body.String())
	}
}

// operationFor finds the documented operation of a request path.
func (c *openAPIChecker) operationFor(method, path string) (template string, op *operation, pathKnown bool) {
	for _, p := range c.doc.Paths {
		full := c.doc.serverURL(p.Value) + p.Key
		if !matchTemplate(full, path) {
			continue
		}
		o, _ := p.Value.Operations.get(strings.ToLower(method))
		return full, o, true
	}
	return "", nil, false
}

// matchTemplate matches /a/{id}/b against /a/7/b: a {param} matches one
// non-empty segment.
func matchTemplate(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, seg := range ts {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if ps[i] == "" {
				return false
			}
		} else if seg != ps[i] {
			return false
		}
	}
	return true
}

func (c *openAPIChecker) check(method, path string, reqBody []byte, rec *httptest.ResponseRecorder) []string {
	template, op, known := c.operationFor(method, path)
	if !known || op == nil {
		if !known && rec.Code != http.StatusNotFound || known && rec.Code != http.StatusMethodNotAllowed {
			return []string{"undocumented route or method answered other than 404/405"}
		}
		return c.checkBody(c.doc.Components.Responses["Problem"], rec)
	}
	r, ok := op.Responses.get(fmt.Sprint(rec.Code))
	if !ok {
		return []string{fmt.Sprintf("status %d is not documented for %s %s", rec.Code, method, template)}
	}
	res, err := c.doc.response(r)
	if err != nil {
		return []string{err.Error()}
	}
	probs := c.checkBody(res, rec)
	if rec.Code < 300 {
		c.mu.Lock()
		c.succeeded[method+" "+template] = true
		c.mu.Unlock()
		if op.RequestBody != nil {
			probs = append(probs, c.checkRequest(op.RequestBody, reqBody)...)
		}
	}
	return probs
}

func (c *openAPIChecker) checkBody(res response, rec *httptest.ResponseRecorder) []string {
	if len(res.Content) == 0 {
		if rec.Body.Len() > 0 {
			return []string{"the document says no body, the server sent one"}
		}
		return nil
	}
	media, _, err := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	if err != nil {
		return []string{"no valid Content-Type: " + err.Error()}
	}
	mt, ok := res.Content.get(media)
	if !ok {
		return []string{fmt.Sprintf("content type %s is not documented for this status", media)}
	}
	if media != "application/json" && media != problemContentType {
		return nil // text and HTML bodies: the type was enough
	}
	body, err := decodeJSON(rec.Body.Bytes())
	if err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	return schemaValidator{c.doc}.validate(mt.Schema, body, "")
}

func (c *openAPIChecker) checkRequest(rb *requestBody, raw []byte) []string {
	mt, ok := rb.Content.get("application/json")
	if !ok {
		return []string{"request body of a successful call is not documented as application/json"}
	}
	body, err := decodeJSON(raw)
	if err != nil {
		return []string{"a successful call had a request body that is not JSON: " + err.Error()}
	}
	var out []string
	for _, p := range (schemaValidator{c.doc}).validate(mt.Schema, body, "") {
		out = append(out, "request body: "+p)
	}
	return out
}

// unexercised lists the documented operations that never answered 2xx,
// leaving out those for which skip is true.
func (c *openAPIChecker) unexercised(skip func(template string, op *operation) bool) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, p := range c.doc.Paths {
		full := c.doc.serverURL(p.Value) + p.Key
		for _, o := range p.Value.Operations {
			key := strings.ToUpper(o.Key) + " " + full
			if !c.succeeded[key] && !skip(full, o.Value) {
				out = append(out, key)
			}
		}
	}
	return out
}

func TestSchemaValidatorCatchesDrift(t *testing.T) {
	doc, err := parseOpenAPI(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	v := schemaValidator{doc}
	bank := &schema{Ref: refSchemas + "BankEntry"}
	cases := []struct {
		name, body, want string
	}{
		{"valid", `{"id": 1, "name": "Ecobank", "bic": null, "active": true}`, ""},
		{"missing key", `{"id": 1, "name": "Ecobank", "active": true}`, `required key "bic" is missing`},
		{"undocumented key", `{"id": 1, "name": "E", "bic": null, "active": true, "iban": "x"}`, `key "iban" is not in the document`},
		{"wrong type", `{"id": "1", "name": "E", "bic": null, "active": true}`, `/id: string "1" is not of type integer`},
		{"null where not nullable", `{"id": 1, "name": null, "bic": null, "active": true}`, "/name: null is not of type string"},
		{"float for integer", `{"id": 1.5, "name": "E", "bic": null, "active": true}`, "is not of type integer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, err := decodeJSON([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			probs := strings.Join(v.validate(bank, body, ""), "\n")
			if tc.want == "" && probs != "" || !strings.Contains(probs, tc.want) {
				t.Errorf("got %q, want %q", probs, tc.want)
			}
		})
	}
	// allOf parts merge; formats and enums are checked; anyOf picks any.
	ind, _ := decodeJSON([]byte(`{"id": 7, "name": "X", "reg_ids": [], "is_group": false, "registration_date": "2024-02-30",
		"phone_number_ids": [], "email": null, "address": null, "create_date": "2024-01-01T10:00:00Z", "write_date": null,
		"bank_ids": [], "given_name": null, "addl_name": null, "family_name": null, "gender": null, "birthdate": null,
		"age": "No Birthdate!", "birth_place": null}`))
	probs := strings.Join(v.validate(&schema{Ref: refSchemas + "Individual"}, ind, ""), "\n")
	if !strings.Contains(probs, `/registration_date: "2024-02-30" is not a date`) || strings.Count(probs, "\n") != 0 {
		t.Errorf("Individual with an impossible date: %q", probs)
	}
	ready, _ := decodeJSON([]byte(`{"status": "ok", "checks": {"odoo": "fine"}}`))
	if probs := v.validate(&schema{Ref: refSchemas + "Ready"}, ready, ""); len(probs) != 1 || !strings.Contains(probs[0], "/checks/odoo") {
		t.Errorf("enum: %q", probs)
	}
}
