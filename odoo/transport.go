package odoo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/kolo/xmlrpc"
)

// transport sends one RPC (service "common" or "object") and decodes the
// answer into plain Go values: map[string]any, []any, int64, float64,
// string, bool (and nil for a JSON null). Faults come back as *Error.
// args are already normalized.
type transport interface {
	call(ctx context.Context, service, method string, args []any) (any, error)
}

// maxResponseBytes bounds what one answer may hold; a search_read of a whole
// table should fail loudly rather than exhaust memory.
const maxResponseBytes = 256 << 20

// presizeLimit: a 100-record page is about 0.4 MB of XML-RPC; a declared
// length beyond this grows the buffer as the bytes come instead.
const presizeLimit = 16 << 20

// poster is the HTTP part both protocols share: one pooled *http.Client,
// so calls run in parallel (kolo's own Client serialises them).
type poster struct {
	http *http.Client
	base string // base URL without trailing slash
}

func (p *poster) post(ctx context.Context, path, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Kind: KindTransport, Message: "cannot build request", Err: err}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "g2p-bank-proxy")
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := readBody(ctx, resp)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp.StatusCode)
	}
	return data, nil
}

// readBody reads the whole answer. Odoo states the Content-Length of every
// RPC answer, so the buffer is sized from it once, where io.ReadAll's
// doubling would allocate and copy about twice a large page. The declared
// length reserves at most presizeLimit before the bytes arrive.
func readBody(ctx context.Context, resp *http.Response) ([]byte, error) {
	if resp.ContentLength > maxResponseBytes {
		return nil, errTooLarge()
	}
	size := min(max(resp.ContentLength, 0), presizeLimit)
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxResponseBytes+1)); err != nil {
		return nil, transportError(ctx, err)
	}
	if buf.Len() > maxResponseBytes {
		return nil, errTooLarge()
	}
	return buf.Bytes(), nil
}

func errTooLarge() *Error {
	return &Error{Kind: KindBadResponse, Message: "response larger than " + strconv.Itoa(maxResponseBytes) + " bytes"}
}

// statusError: Odoo answers every RPC, faults included, with 200. A gateway
// in front of it answers 502/503 when Odoo is down and 504 when it is slow;
// those are reported as such so the proxy can say "retry later".
func statusError(code int) *Error {
	msg := "unexpected HTTP status " + strconv.Itoa(code)
	switch code {
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return &Error{Kind: KindUnavailable, Message: msg, status: code}
	case http.StatusGatewayTimeout:
		return &Error{Kind: KindTimeout, Message: msg, status: code}
	}
	return &Error{Kind: KindBadResponse, Message: msg, status: code}
}

// transportError classifies a failed round trip. The *url.Error text names
// the URL, which never carries credentials (New refuses user info).
func transportError(ctx context.Context, err error) *Error {
	var ne net.Error
	switch {
	case isUnreachable(err):
		// Checked first: a dial that timed out never sent the request, so
		// it is "down" (503 after the connect timeout), not "slow".
		return &Error{Kind: KindUnavailable, Message: "cannot reach Odoo", Debug: err.Error(), Err: err}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &Error{Kind: KindTimeout, Message: "Odoo did not answer in time", Debug: err.Error(), Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindTransport, Message: "call cancelled", Debug: err.Error(), Err: err}
	case errors.As(err, &ne) && ne.Timeout():
		return &Error{Kind: KindTimeout, Message: "Odoo did not answer in time", Debug: err.Error(), Err: err}
	}
	return &Error{Kind: KindTransport, Message: "connection to Odoo failed", Debug: err.Error(), Err: err}
}

func isUnreachable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.As(err, &dns) ||
		(errors.As(err, &op) && op.Op == "dial")
}

// xmlRPC speaks XML-RPC on /xmlrpc/2/<service>, using kolo/xmlrpc only to
// encode the methodCall and decode the methodResponse.
type xmlRPC struct{ poster }

func (t *xmlRPC) call(ctx context.Context, service, method string, args []any) (any, error) {
	body, err := xmlrpc.EncodeMethodCall(method, args...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidValue, err)
	}
	data, err := t.post(ctx, "/xmlrpc/2/"+service, "text/xml", body)
	if err != nil {
		return nil, err
	}
	return decodeXMLRPC(data)
}

// faultTag: markup in XML-RPC values is escaped, so a literal "<fault>" is
// the fault element.
var faultTag = []byte("<fault>")

func decodeXMLRPC(data []byte) (any, error) {
	resp := xmlrpc.Response(data)
	// resp.Err runs a regular expression over the whole answer (0.3 ms for
	// a 100-record page); a plain search rules faults out first.
	if bytes.Contains(data, faultTag) {
		if err := resp.Err(); err != nil {
			var f xmlrpc.FaultError
			if errors.As(err, &f) {
				return nil, faultFromXMLRPC(f.Code, f.String)
			}
			return nil, badResponse("undecodable XML-RPC fault", err)
		}
	}
	var v any
	if err := resp.Unmarshal(&v); err != nil {
		return nil, badResponse("undecodable XML-RPC response", err)
	}
	return xmlEmptyStrings(v), nil
}

// xmlEmptyStrings: kolo decodes <string></string> (and an untyped empty
// <value/>) to nil, where Python means "". Odoo never sends <nil/>
// (allow_none=False), so every nil in an XML-RPC answer is an empty string.
func xmlEmptyStrings(v any) any {
	switch x := v.(type) {
	case nil:
		return ""
	case []any:
		for i := range x {
			x[i] = xmlEmptyStrings(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = xmlEmptyStrings(x[k])
		}
	}
	return v
}

func badResponse(msg string, err error) *Error {
	return &Error{Kind: KindBadResponse, Message: msg, Debug: err.Error()}
}

// jsonRPC speaks JSON-RPC 2.0 on /jsonrpc (method "call" with service,
// method and args in params).
type jsonRPC struct {
	poster
	seq atomic.Int64
}

type jsonRequest struct {
	JSONRPC string     `json:"jsonrpc"`
	Method  string     `json:"method"`
	ID      int64      `json:"id"`
	Params  jsonParams `json:"params"`
}

type jsonParams struct {
	Service string `json:"service"`
	Method  string `json:"method"`
	Args    []any  `json:"args"`
}

type jsonResponse struct {
	ID     json.RawMessage `json:"id"`
	Result any             `json:"result"` // numbers as json.Number
	Error  *jsonError      `json:"error"`
}

type jsonError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    *struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		Debug   string `json:"debug"`
	} `json:"data"`
}

func (t *jsonRPC) call(ctx context.Context, service, method string, args []any) (any, error) {
	id := t.seq.Add(1)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(jsonRequest{JSONRPC: "2.0", Method: "call", ID: id,
		Params: jsonParams{Service: service, Method: method, Args: args}})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidValue, err)
	}
	data, err := t.post(ctx, "/jsonrpc", "application/json", buf.Bytes())
	if err != nil {
		return nil, err
	}
	return decodeJSONRPC(data, id)
}

var errTrailingData = errors.New("data after the JSON-RPC response")

// decodeJSONRPC decodes a JSON-RPC answer in one pass (the result is not
// kept raw and decoded again); wantID < 0 skips the id check.
func decodeJSONRPC(data []byte, wantID int64) (any, error) {
	var r jsonResponse
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return nil, badResponse("undecodable JSON-RPC response", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badResponse("undecodable JSON-RPC response", errTrailingData)
	}
	if wantID >= 0 && string(r.ID) != strconv.FormatInt(wantID, 10) {
		return nil, &Error{Kind: KindBadResponse, Message: "JSON-RPC response id does not match the request"}
	}
	if r.Error != nil {
		if r.Error.Data == nil {
			return nil, faultFromJSONRPC("", r.Error.Message, "", "")
		}
		d := r.Error.Data
		return nil, faultFromJSONRPC(d.Name, d.Message, d.Debug, r.Error.Message)
	}
	// A missing "result" (Odoo leaves it out when the method returned
	// None, transcripts-jsonrpc/08 step 62, action_archive) decodes to nil.
	return jsonNumbers(r.Result)
}

// jsonNumbers turns json.Number into int64 for integer literals and float64
// otherwise: Python's json writes floats with a point or exponent ("7.0"),
// so the Go types match what XML-RPC's <int>/<double> give.
func jsonNumbers(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, badResponse("bad number in JSON-RPC result", err)
		}
		return f, nil
	case []any:
		for i := range x {
			n, err := jsonNumbers(x[i])
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
	case map[string]any:
		for k := range x {
			n, err := jsonNumbers(x[k])
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
	}
	return v, nil
}
