package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The part of OpenAPI 3.1 that openapi.json uses, decoded for the /docs
// page and for the tests that validate responses against the document.
// Objects whose key order matters to a reader (paths, properties, schemas,
// responses) keep the document's order.

type openAPI struct {
	Info       openAPIInfo           `json:"info"`
	Servers    []openAPIServer       `json:"servers"`
	Tags       []openAPITag          `json:"tags"`
	Security   []map[string][]string `json:"security"`
	Paths      ordered[pathItem]     `json:"paths"`
	Components struct {
		SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
		Headers         map[string]header         `json:"headers"`
		Parameters      map[string]parameter      `json:"parameters"`
		Responses       map[string]response       `json:"responses"`
		Schemas         ordered[*schema]          `json:"schemas"`
	} `json:"components"`
}

type openAPIInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
}

type openAPIServer struct {
	URL         string `json:"url"`
	Description string `json:"description"`
}

type openAPITag struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type securityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme"`
	Description string `json:"description"`
}

// pathItem holds the operations of one path by method (lower case, as in
// the document) and the path's own servers, if any.
type pathItem struct {
	Servers    []openAPIServer
	Operations ordered[*operation]
}

// httpMethods are the operation keys of a path item.
var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

func (p *pathItem) UnmarshalJSON(b []byte) error {
	var all ordered[json.RawMessage]
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for _, e := range all {
		switch {
		case e.Key == "servers":
			if err := json.Unmarshal(e.Value, &p.Servers); err != nil {
				return err
			}
		case httpMethods[e.Key]:
			op := &operation{}
			if err := json.Unmarshal(e.Value, op); err != nil {
				return fmt.Errorf("%s: %w", e.Key, err)
			}
			p.Operations = append(p.Operations, entry[*operation]{e.Key, op})
		default:
			return fmt.Errorf("unsupported path item key %q", e.Key)
		}
	}
	return nil
}

type operation struct {
	Tags        []string `json:"tags"`
	OperationID string   `json:"operationId"`
	Summary     string   `json:"summary"`
	Description string   `json:"description"`
	// Security is nil when the operation uses the document's; an empty
	// list means no credentials.
	Security    []map[string][]string `json:"security"`
	Parameters  []parameter           `json:"parameters"`
	RequestBody *requestBody          `json:"requestBody"`
	Responses   ordered[response]     `json:"responses"`
}

type parameter struct {
	Ref         string  `json:"$ref"`
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Required    bool    `json:"required"`
	Description string  `json:"description"`
	Schema      *schema `json:"schema"`
}

type requestBody struct {
	Required bool               `json:"required"`
	Content  ordered[mediaType] `json:"content"`
}

type response struct {
	Ref         string             `json:"$ref"`
	Description string             `json:"description"`
	Headers     map[string]header  `json:"headers"`
	Content     ordered[mediaType] `json:"content"`
}

type header struct {
	Ref         string  `json:"$ref"`
	Description string  `json:"description"`
	Schema      *schema `json:"schema"`
}

type mediaType struct {
	Schema *schema `json:"schema"`
}

// schema is the JSON Schema subset the document uses: $ref, type (one or
// several, "null" for nullable), format, enum, properties, required, items,
// allOf, anyOf, minimum, default.
type schema struct {
	Ref         string           `json:"$ref"`
	Type        schemaTypes      `json:"type"`
	Format      string           `json:"format"`
	Description string           `json:"description"`
	Enum        []any            `json:"enum"`
	Properties  ordered[*schema] `json:"properties"`
	Required    []string         `json:"required"`
	Items       *schema          `json:"items"`
	AllOf       []*schema        `json:"allOf"`
	AnyOf       []*schema        `json:"anyOf"`
	Minimum     *float64         `json:"minimum"`
	Default     any              `json:"default"`
}

// schemaTypes is "type": a single name or a list of names.
type schemaTypes []string

func (t *schemaTypes) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*t = schemaTypes{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("type must be a string or a list of strings: %s", b)
	}
	*t = many
	return nil
}

// entry is one key and value of an ordered object.
type entry[T any] struct {
	Key   string
	Value T
}

// ordered is a JSON object decoded in document order.
type ordered[T any] []entry[T]

func (o *ordered[T]) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("want a JSON object, got %.40s", b)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string) // object keys are always strings
		var v T
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		*o = append(*o, entry[T]{key, v})
	}
	return nil
}

// get returns the value under key.
func (o ordered[T]) get(key string) (T, bool) {
	for _, e := range o {
		if e.Key == key {
			return e.Value, true
		}
	}
	var zero T
	return zero, false
}

// parseOpenAPI decodes the document and checks that every local reference
// resolves, so a typo fails at start-up (and in tests), not in a reader's
// browser.
func parseOpenAPI(b []byte) (*openAPI, error) {
	var doc openAPI
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	var problems []string
	for _, p := range doc.Paths {
		for _, o := range p.Value.Operations {
			at := strings.ToUpper(o.Key) + " " + p.Key
			for _, prm := range o.Value.Parameters {
				if _, err := doc.parameter(prm); err != nil {
					problems = append(problems, at+": "+err.Error())
				}
			}
			if o.Value.RequestBody != nil {
				for _, mt := range o.Value.RequestBody.Content {
					problems = append(problems, doc.checkSchemaRefs(at, mt.Value.Schema)...)
				}
			}
			for _, r := range o.Value.Responses {
				res, err := doc.response(r.Value)
				if err != nil {
					problems = append(problems, at+" "+r.Key+": "+err.Error())
					continue
				}
				for _, mt := range res.Content {
					problems = append(problems, doc.checkSchemaRefs(at, mt.Value.Schema)...)
				}
			}
		}
	}
	for _, s := range doc.Components.Schemas {
		problems = append(problems, doc.checkSchemaRefs("schema "+s.Key, s.Value)...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("openapi.json: %s", strings.Join(problems, "; "))
	}
	return &doc, nil
}

const (
	refSchemas    = "#/components/schemas/"
	refParameters = "#/components/parameters/"
	refResponses  = "#/components/responses/"
	refHeaders    = "#/components/headers/"
)

// schemaRef resolves a $ref to a component schema.
func (d *openAPI) schemaRef(ref string) (*schema, error) {
	name, ok := strings.CutPrefix(ref, refSchemas)
	if !ok {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	s, ok := d.Components.Schemas.get(name)
	if !ok {
		return nil, fmt.Errorf("$ref %q names no schema", ref)
	}
	return s, nil
}

func (d *openAPI) parameter(p parameter) (parameter, error) {
	if p.Ref == "" {
		return p, nil
	}
	name, _ := strings.CutPrefix(p.Ref, refParameters)
	if q, ok := d.Components.Parameters[name]; ok {
		return q, nil
	}
	return parameter{}, fmt.Errorf("$ref %q names no parameter", p.Ref)
}

func (d *openAPI) response(r response) (response, error) {
	if r.Ref == "" {
		return r, nil
	}
	name, _ := strings.CutPrefix(r.Ref, refResponses)
	if q, ok := d.Components.Responses[name]; ok {
		return q, nil
	}
	return response{}, fmt.Errorf("$ref %q names no response", r.Ref)
}

func (d *openAPI) header(h header) header {
	if name, ok := strings.CutPrefix(h.Ref, refHeaders); ok {
		return d.Components.Headers[name]
	}
	return h
}

// checkSchemaRefs lists the references under s that resolve to nothing.
func (d *openAPI) checkSchemaRefs(at string, s *schema) []string {
	if s == nil {
		return nil
	}
	var out []string
	if s.Ref != "" {
		if _, err := d.schemaRef(s.Ref); err != nil {
			out = append(out, at+": "+err.Error())
		}
	}
	for _, p := range s.Properties {
		out = append(out, d.checkSchemaRefs(at, p.Value)...)
	}
	out = append(out, d.checkSchemaRefs(at, s.Items)...)
	for _, sub := range append(append([]*schema{}, s.AllOf...), s.AnyOf...) {
		out = append(out, d.checkSchemaRefs(at, sub)...)
	}
	return out
}

// serverURL is the server an operation under path is served from: the
// path's own, or the document's.
func (d *openAPI) serverURL(p pathItem) string {
	servers := p.Servers
	if len(servers) == 0 {
		servers = d.Servers
	}
	if len(servers) == 0 {
		return ""
	}
	return strings.TrimSuffix(servers[0].URL, "/")
}
