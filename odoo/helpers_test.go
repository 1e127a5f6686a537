package odoo

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
)

// corpusDir finds shared/odoo17 (the recorded wire corpus) walking up from
// the package directory; tests that need it skip when it is absent.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "odoo17")
		if st, err := os.Stat(filepath.Join(p, "transcripts")); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("wire corpus shared/odoo17 not found")
		}
		dir = parent
	}
}

func readCorpus(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rpcCall is a request as a standard decoder (encoding/xml, encoding/json)
// reads it, independent of the client's encoder.
type rpcCall struct {
	Service string // from the path (XML-RPC) or params.service (JSON-RPC)
	Method  string
	Args    []any
	ID      int64 // JSON-RPC id
}

// parseXMLCall decodes a methodCall with encoding/xml.
func parseXMLCall(path string, body []byte) (rpcCall, error) {
	var root xnode
	if err := xml.Unmarshal(body, &root); err != nil {
		return rpcCall{}, err
	}
	c := rpcCall{Service: strings.TrimPrefix(path, "/xmlrpc/2/"), Args: []any{}}
	for _, n := range root.Nodes {
		switch n.XMLName.Local {
		case "methodName":
			c.Method = strings.TrimSpace(n.Content)
		case "params":
			for _, p := range n.Nodes {
				for _, v := range p.Nodes {
					x, err := xvalue(v)
					if err != nil {
						return c, err
					}
					c.Args = append(c.Args, x)
				}
			}
		}
	}
	return c, nil
}

type xnode struct {
	XMLName xml.Name
	Content string  `xml:",chardata"`
	Nodes   []xnode `xml:",any"`
}

func xvalue(v xnode) (any, error) {
	if v.XMLName.Local != "value" {
		return nil, fmt.Errorf("want <value>, got <%s>", v.XMLName.Local)
	}
	if len(v.Nodes) == 0 {
		return v.Content, nil // untyped value is a string
	}
	t := v.Nodes[0]
	switch t.XMLName.Local {
	case "int", "i4", "i8":
		return strconv.ParseInt(strings.TrimSpace(t.Content), 10, 64)
	case "boolean":
		return strings.TrimSpace(t.Content) == "1", nil
	case "string":
		return t.Content, nil
	case "double":
		return strconv.ParseFloat(strings.TrimSpace(t.Content), 64)
	case "nil":
		return nil, nil
	case "array":
		out := []any{}
		for _, d := range t.Nodes {
			for _, e := range d.Nodes {
				x, err := xvalue(e)
				if err != nil {
					return nil, err
				}
				out = append(out, x)
			}
		}
		return out, nil
	case "struct":
		out := map[string]any{}
		for _, m := range t.Nodes {
			var name string
			var val any
			for _, f := range m.Nodes {
				switch f.XMLName.Local {
				case "name":
					name = f.Content
				case "value":
					x, err := xvalue(f)
					if err != nil {
						return nil, err
					}
					val = x
				}
			}
			out[name] = val
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown type <%s>", t.XMLName.Local)
}

// parseJSONCall decodes a JSON-RPC request with encoding/json; integer
// numbers become int64 like the XML side.
func parseJSONCall(body []byte) (rpcCall, error) {
	var req struct {
		ID     int64 `json:"id"`
		Params struct {
			Service string `json:"service"`
			Method  string `json:"method"`
			Args    []any  `json:"args"`
		} `json:"params"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return rpcCall{}, err
	}
	args, err := jsonNumbers(req.Params.Args)
	if err != nil {
		return rpcCall{}, err
	}
	list, _ := args.([]any)
	return rpcCall{Service: req.Params.Service, Method: req.Params.Method, Args: list, ID: req.ID}, nil
}

// reply is what the fake server answers.
type reply struct {
	status int
	body   []byte // XML, or JSON whose "id" is rewritten to the request's
	keepID bool   // send a JSON body as is
}

// fakeOdoo is an httptest server that decodes each request with the
// standard decoders, records it and answers with respond (or, for
// authenticate, with uid 2 unless authReply is set).
type fakeOdoo struct {
	t       testing.TB
	proto   Protocol
	srv     *httptest.Server
	respond func(c rpcCall) reply

	mu        sync.Mutex
	calls     []rpcCall
	bodies    [][]byte
	authCalls atomic.Int64
	execCalls atomic.Int64
	authReply func() reply
}

func newFake(t testing.TB, proto Protocol, respond func(c rpcCall) reply) *fakeOdoo {
	// Fakes answer with recorded replies from the handler goroutine, where
	// t.Skip cannot stop the test: skip here, before it starts.
	corpusDir(t)
	f := &fakeOdoo{t: t, proto: proto, respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

var jsonIDRe = regexp.MustCompile(`"id":\s*-?\d+`)

func (f *fakeOdoo) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var c rpcCall
	var err error
	if f.proto == JSONRPC {
		c, err = parseJSONCall(body)
	} else {
		c, err = parseXMLCall(r.URL.Path, body)
	}
	if err != nil {
		f.t.Errorf("fake odoo: undecodable request: %v\n%s", err, body)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	var rep reply
	switch c.Method {
	case "authenticate":
		f.authCalls.Add(1)
		if f.authReply != nil {
			rep = f.authReply()
		} else {
			rep = f.result(int64(2))
		}
	default:
		if c.Method == "execute_kw" {
			f.execCalls.Add(1)
		}
		rep = f.respond(c)
	}
	if f.proto == JSONRPC && !rep.keepID {
		rep.body = jsonIDRe.ReplaceAll(rep.body, []byte(`"id": `+strconv.FormatInt(c.ID, 10)))
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/xml")
	}
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	w.WriteHeader(rep.status)
	w.Write(rep.body)
}

func (f *fakeOdoo) lastCall() rpcCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		f.t.Fatal("no call recorded")
	}
	return f.calls[len(f.calls)-1]
}

// result encodes a simple result (int64, bool, string) in f's protocol.
func (f *fakeOdoo) result(v any) reply {
	if f.proto == JSONRPC {
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 0, "result": v})
		return reply{body: b}
	}
	var x string
	switch v := v.(type) {
	case int64:
		x = fmt.Sprintf("<int>%d</int>", v)
	case bool:
		x = "<boolean>0</boolean>"
		if v {
			x = "<boolean>1</boolean>"
		}
	case string:
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(v))
		x = "<string>" + b.String() + "</string>"
	default:
		f.t.Fatalf("result: unsupported %T", v)
	}
	return reply{body: []byte("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value>" + x +
		"</value>\n</param>\n</params>\n</methodResponse>\n")}
}

// fault encodes an Odoo fault: code for XML-RPC, name for JSON-RPC.
func (f *fakeOdoo) fault(code int, name, msg string) reply {
	if f.proto == JSONRPC {
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 0, "error": map[string]any{
			"code": 200, "message": "Odoo Server Error",
			"data": map[string]any{"name": name, "message": msg, "debug": "Traceback (most recent call last):\n" + msg}}})
		return reply{body: b}
	}
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(msg))
	return reply{body: []byte(fmt.Sprintf("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n"+
		"<member>\n<name>faultCode</name>\n<value><int>%d</int></value>\n</member>\n"+
		"<member>\n<name>faultString</name>\n<value><string>%s</string></value>\n</member>\n"+
		"</struct></value>\n</fault>\n</methodResponse>\n", code, b.String()))}
}

func (f *fakeOdoo) client(t testing.TB, mod func(*Config), log *zap.Logger) *Client {
	t.Helper()
	cfg := Config{URL: f.srv.URL, DB: "openspp", Login: "admin", Secret: "admin", Protocol: f.proto,
		Timeout: 10 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var protocols = []Protocol{XMLRPC, JSONRPC}

// ext is the corpus file extension and directory for a protocol.
func corpusFor(p Protocol) (dir, ext string) {
	if p == JSONRPC {
		return "transcripts-jsonrpc", "json"
	}
	return "transcripts", "xml"
}
