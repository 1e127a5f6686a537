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
	var raw map[string]any
	if err := json.Unmarshal(openAPIDocument, &raw); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	server := basePath
	if server == "" {
		server = "/"
	}
	raw["servers"] = []any{map[string]any{"url": server, "description": "the API under server.base_path"}}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(raw); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	doc, err := parseOpenAPI(out.Bytes())
	if err != nil {
		return nil, err
	}
	page, err := renderDocs(doc)
	if err != nil {
		return nil, err
	}
	return &apiDocs{json: out.Bytes(), html: page}, nil
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
