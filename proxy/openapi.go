package proxy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument is the hand-written OpenAPI 3.1 description of every
// route. TestOpenAPIDescribesEveryRoute and the response validation in
// openapi_test.go keep it true.
//
//go:embed openapi.json
var openAPIDocument []byte

// apiDocs are the API description as served: /openapi.json with the
// configured base path as its server URL, and /docs, a self-contained HTML
// rendering of it. Both are built once, at start-up.
type apiDocs struct {
	json []byte
	html []byte
}

// newAPIDocs parses the embedded document, points its server at basePath
// and renders the HTML page. It fails only if the embedded document is
// broken, which the tests catch.
func newAPIDocs(basePath string) (*apiDocs, error) {
	server := basePath
	if server == "" {
		server = "/"
	}
	doc, err := parseOpenAPI(openAPIDocument)
	if err != nil {
		return nil, err
	}
	doc.Servers = []openAPIServer{{URL: server, Description: "the API under server.base_path"}}
	page, err := renderDocs(doc)
	if err != nil {
		return nil, err
	}
	served, err := withServer(openAPIDocument, doc.Servers)
	if err != nil {
		return nil, err
	}
	return &apiDocs{json: served, html: page}, nil
}

// withServer returns the document with its top-level servers replaced,
// every key kept in the document's order.
func withServer(document []byte, servers []openAPIServer) ([]byte, error) {
	var top ordered[json.RawMessage]
	if err := json.Unmarshal(document, &top); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	var out bytes.Buffer
	out.WriteString("{")
	for i, e := range top {
		v := e.Value
		if e.Key == "servers" {
			var err error
			if v, err = json.Marshal(servers); err != nil {
				return nil, err
			}
		}
		k, _ := json.Marshal(e.Key) // a string always marshals
		if i > 0 {
			out.WriteString(",")
		}
		out.Write(k)
		out.WriteString(":")
		out.Write(v)
	}
	out.WriteString("}")
	var indented bytes.Buffer
	if err := json.Indent(&indented, out.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	return indented.Bytes(), nil
}

// serveJSON answers GET /openapi.json.
func (d *apiDocs) serveJSON(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/json; charset=utf-8", d.json)
}

// serveHTML answers GET /docs. The page loads nothing from elsewhere, so it
// works offline and under a strict Content-Security-Policy.
func (d *apiDocs) serveHTML(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	c.Data(http.StatusOK, "text/html; charset=utf-8", d.html)
}
