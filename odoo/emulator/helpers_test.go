package emulator

import (
	"bytes"
	"net/http"
	"testing"
)

// rpc calls execute_kw over JSON-RPC as admin and returns the decoded
// result or the fault (name and message).
func rpc(t testing.TB, s *Server, model, method string, args []any, kw map[string]any) (any, *Fault) {
	t.Helper()
	params := []any{s.DB(), int64(2), "admin", model, method, args}
	if kw != nil {
		params = append(params, kw)
	}
	return rpcRaw(t, s, "object", "execute_kw", params)
}

func rpcRaw(t testing.TB, s *Server, service, method string, params []any) (any, *Fault) {
	t.Helper()
	var b bytes.Buffer
	encodePyJSON(&b, map[string]any{"jsonrpc": "2.0", "method": "call", "id": int64(1),
		"params": map[string]any{"service": service, "method": method, "args": params}})
	resp, err := http.Post(s.URL()+"/jsonrpc", "application/json", &b)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	v, f, err := decodeAnswer(true, buf.Bytes())
	if err != nil {
		t.Fatalf("%s.%s: undecodable answer %q: %v", service, method, buf.String(), err)
	}
	if f != nil {
		data, _ := f["data"].(map[string]any)
		name, _ := data["name"].(string)
		msg, _ := data["message"].(string)
		return nil, &Fault{Class: name, Message: msg}
	}
	return v, nil
}

// mustRPC is rpc that fails the test on a fault.
func mustRPC(t testing.TB, s *Server, model, method string, args []any, kw map[string]any) any {
	t.Helper()
	v, f := rpc(t, s, model, method, args, kw)
	if f != nil {
		t.Fatalf("%s.%s: unexpected fault %s: %s", model, method, f.Class, f.Message)
	}
	return v
}

// wantFault fails unless the call faults with class and message.
func wantFault(t *testing.T, s *Server, class, msg, model, method string, args []any, kw map[string]any) {
	t.Helper()
	v, f := rpc(t, s, model, method, args, kw)
	if f == nil {
		t.Fatalf("%s.%s answered %v, want fault %s: %q", model, method, v, class, msg)
	}
	if f.Class != class || f.Message != msg {
		t.Fatalf("%s.%s fault %s: %q, want %s: %q", model, method, f.Class, f.Message, class, msg)
	}
}

func cmd(code int64, id int64, vals any) []any { return []any{code, id, vals} }

func list(v ...any) []any { return v }

func kw(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func asInt(t testing.TB, v any) int64 {
	t.Helper()
	n, ok := v.(int64)
	if !ok {
		t.Fatalf("got %T %v, want an integer", v, v)
	}
	return n
}

func records(t *testing.T, v any) []map[string]any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("got %T %v, want a list of records", v, v)
	}
	out := make([]map[string]any, len(l))
	for i, r := range l {
		out[i] = r.(map[string]any)
	}
	return out
}
