package proxy

import (
	"bytes"
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"
)

// docsTemplate lays out the /docs page. It is rendered once, server-side,
// so the page needs no script and nothing from the network.
//
//go:embed openapi_docs.html
var docsTemplate string

var docsPageTemplate = template.Must(template.New("docs").Parse(docsTemplate))

// The view of the document the template shows.
type (
	docsPage struct {
		Info    openAPIInfo
		Intro   template.HTML
		Auth    template.HTML
		Groups  []docsGroup
		Schemas []docsSchema
	}
	docsGroup struct {
		Name        string
		Description template.HTML
		Ops         []docsOp
	}
	docsOp struct {
		Anchor, Method, Path, Summary string
		Description                   template.HTML
		Access                        string
		Params                        []docsField
		Body                          template.HTML
		Responses                     []docsResponse
	}
	docsResponse struct {
		Status      string
		Description template.HTML
		Media       string
		Type        template.HTML
		Headers     []string
	}
	docsSchema struct {
		Name        string
		Description template.HTML
		Includes    []template.HTML
		Type        template.HTML // for schemas that are not plain objects
		Fields      []docsField
	}
	// docsField is a parameter or a property.
	docsField struct {
		Name, In    string
		Required    bool
		Type        template.HTML
		Description template.HTML
	}
)

// renderDocs renders the HTML page of the document.
func renderDocs(d *openAPI) ([]byte, error) {
	page := docsPage{Info: d.Info, Intro: prose(d.Info.Description)}
	if s, ok := d.Components.SecuritySchemes["apiKey"]; ok {
		page.Auth = prose(s.Description)
	}
	byTag := map[string]*docsGroup{}
	for _, t := range d.Tags {
		page.Groups = append(page.Groups, docsGroup{Name: t.Name, Description: prose(t.Description)})
	}
	for i := range page.Groups {
		byTag[page.Groups[i].Name] = &page.Groups[i]
	}
	for _, p := range d.Paths {
		for _, o := range p.Value.Operations {
			op, err := d.docsOperation(p.Key, p.Value, o.Key, o.Value)
			if err != nil {
				return nil, err
			}
			tag := "other"
			if len(o.Value.Tags) > 0 {
				tag = o.Value.Tags[0]
			}
			g, ok := byTag[tag]
			if !ok {
				return nil, fmt.Errorf("openapi.json: %s %s: tag %q is not declared", o.Key, p.Key, tag)
			}
			g.Ops = append(g.Ops, op)
		}
	}
	for _, s := range d.Components.Schemas {
		page.Schemas = append(page.Schemas, d.docsSchema(s.Key, s.Value))
	}
	var out bytes.Buffer
	if err := docsPageTemplate.Execute(&out, page); err != nil {
		return nil, fmt.Errorf("docs page: %w", err)
	}
	return out.Bytes(), nil
}

func (d *openAPI) docsOperation(path string, item pathItem, method string, o *operation) (docsOp, error) {
	op := docsOp{
		Anchor:      "op-" + o.OperationID,
		Method:      strings.ToUpper(method),
		Path:        d.serverURL(item) + path,
		Summary:     o.Summary,
		Description: prose(o.Description),
		Access:      access(o.Security, d.Security),
	}
	for _, raw := range o.Parameters {
		p, err := d.parameter(raw)
		if err != nil {
			return docsOp{}, err
		}
		op.Params = append(op.Params, docsField{Name: p.Name, In: p.In, Required: p.Required, Type: typeHTML(p.Schema), Description: prose(p.Description)})
	}
	if b := o.RequestBody; b != nil {
		for _, mt := range b.Content {
			op.Body = template.HTML(html.EscapeString(mt.Key)+": ") + typeHTML(mt.Value.Schema)
		}
	}
	for i, r := range o.Responses {
		res, err := d.response(r.Value)
		if err != nil {
			return docsOp{}, err
		}
		// Statuses answered with the same shared response (the problem
		// body) share one row.
		if i > 0 && r.Value.Ref != "" && o.Responses[i-1].Value.Ref == r.Value.Ref {
			op.Responses[len(op.Responses)-1].Status += ", " + r.Key
			continue
		}
		dr := docsResponse{Status: r.Key, Description: prose(res.Description)}
		for _, mt := range res.Content {
			dr.Media, dr.Type = mt.Key, typeHTML(mt.Value.Schema)
		}
		for name, h := range res.Headers {
			dr.Headers = append(dr.Headers, name+": "+d.header(h).Description)
		}
		slices.Sort(dr.Headers)
		op.Responses = append(op.Responses, dr)
	}
	return op, nil
}

// access says who may call an operation: its own security requirement, or
// the document's when it has none.
func access(own, global []map[string][]string) string {
	req := own
	if req == nil {
		req = global
	}
	if len(req) == 0 {
		return "no credentials"
	}
	var scopes []string
	for _, alt := range req {
		for _, s := range alt {
			scopes = append(scopes, s...)
		}
	}
	if len(scopes) == 0 {
		return "API key"
	}
	return "API key with scope " + strings.Join(scopes, ", ")
}

func (d *openAPI) docsSchema(name string, s *schema) docsSchema {
	out := docsSchema{Name: name, Description: prose(s.Description)}
	parts := append([]*schema{s}, s.AllOf...)
	for _, p := range parts {
		if p.Ref != "" {
			out.Includes = append(out.Includes, typeHTML(p))
			continue
		}
		for _, prop := range p.Properties {
			out.Fields = append(out.Fields, docsField{
				Name: prop.Key, Required: slices.Contains(p.Required, prop.Key),
				Type: typeHTML(prop.Value), Description: prose(prop.Value.Description),
			})
		}
	}
	if len(out.Fields) == 0 && len(out.Includes) == 0 {
		out.Type = typeHTML(s)
	}
	return out
}

// typeHTML writes a schema's type the way a reader scans it: "string |
// null (date)", "array of <Individual>", with links to named schemas.
func typeHTML(s *schema) template.HTML {
	if s == nil {
		return "any"
	}
	if name, ok := strings.CutPrefix(s.Ref, refSchemas); ok {
		n := html.EscapeString(name)
		return template.HTML(`<a href="#schema-` + n + `">` + n + `</a>`)
	}
	var alts []string
	for _, sub := range s.AnyOf {
		alts = append(alts, string(typeHTML(sub)))
	}
	for _, t := range s.Type {
		switch {
		case t == "array":
			alts = append(alts, "array of "+string(typeHTML(s.Items)))
		case t == "object" && len(s.Properties) > 0:
			var props []string
			for _, p := range s.Properties {
				props = append(props, html.EscapeString(p.Key)+": "+string(typeHTML(p.Value)))
			}
			alts = append(alts, "{"+strings.Join(props, ", ")+"}")
		default:
			alts = append(alts, html.EscapeString(t))
		}
	}
	text := strings.Join(alts, " | ")
	if text == "" {
		text = "any"
	}
	if s.Format != "" {
		text += " (" + html.EscapeString(s.Format) + ")"
	}
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = "<code>" + html.EscapeString(fmt.Sprint(v)) + "</code>"
		}
		text += ", one of " + strings.Join(vals, " ")
	}
	return template.HTML(text)
}

// prose escapes a description and shows `backquoted` parts as code, the
// one piece of Markdown the document uses.
func prose(s string) template.HTML {
	parts := strings.Split(html.EscapeString(s), "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + p + "</code>")
			continue
		}
		if i%2 == 1 { // an unpaired backquote stays as it was
			b.WriteString("`")
		}
		b.WriteString(p)
	}
	return template.HTML(b.String())
}
