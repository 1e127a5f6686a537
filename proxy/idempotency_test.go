package proxy

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// The same JSON sent again with other white space, key order or string
// escapes is the same request: its key replays the first answer.
func TestIdempotencyFingerprintIgnoresJSONLayout(t *testing.T) {
	h := newRelHarness(t, relOptions{})
	first := h.do(t, "POST", "/individual", `{"given_name":"Layout","family_name":"Test","ids":[{"id_type":"National ID","value":"2000000081"}]}`,
		IdempotencyKeyHeader, "layout")
	if first.Code != 200 {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	again := h.do(t, "POST", "/individual", "{\n  \"ids\": [ {\"value\": \"2000000081\", \"id_type\": \"National\\u0020ID\"} ],\n  \"family_name\" : \"Test\", \"given_name\":\"Layout\"\n}\n",
		IdempotencyKeyHeader, "layout")
	if again.Code != 200 || again.Header().Get(ReplayedHeader) != "true" || again.Body.String() != first.Body.String() {
		t.Errorf("re-encoded body: %d replayed %q %s, want the first answer replayed", again.Code, again.Header().Get(ReplayedHeader), again.Body)
	}
	other := h.do(t, "POST", "/individual", `{"given_name":"Layout","family_name":"Other","ids":[{"id_type":"National ID","value":"2000000081"}]}`,
		IdempotencyKeyHeader, "layout")
	if other.Code != 422 || other.problem(t).Code != "idempotency_key_reused" {
		t.Errorf("another value: %d %s, want 422 idempotency_key_reused", other.Code, other.Body)
	}
}

func TestRequestFingerprint(t *testing.T) {
	fp := func(target, body string) string {
		return requestFingerprint(httptest.NewRequest("POST", target, nil), []byte(body))
	}
	same := [][2]string{
		{`{"a":1,"b":[true,null,"x"]}`, " { \"b\" : [ true , null , \"\\u0078\" ] ,\n\"a\" : 1 } "},
		{`{"n":{"z":1,"y":{"b":2,"a":1}}}`, `{"n":{"y":{"a":1,"b":2},"z":1}}`},
		{`[{"b":1,"a":2}]`, `[ {"a":2, "b":1} ]`},
	}
	for _, p := range same {
		if fp("/x", p[0]) != fp("/x", p[1]) {
			t.Errorf("%s and %s fingerprint differently", p[0], p[1])
		}
	}
	if fp("/x?a=1&b=2", `{}`) != fp("/x?b=2&a=1", `{}`) {
		t.Error("the order of query parameters changes the fingerprint")
	}
	differ := [][2]string{
		{`{"a":1}`, `{"a":1.0}`},       // numbers are compared as written
		{`{"a":1}`, `{"a":"1"}`},       // types count
		{`{"a":[1,2]}`, `{"a":[2,1]}`}, // array order counts
		{`{"a":1,"a":2}`, `{"a":2}`},   // duplicate keys: raw bytes (the body is refused anyway)
		{`{"a":1`, `{"a": 1`},          // not JSON: raw bytes
		{`{"a":"x"}`, `{"a":"X"}`},
	}
	for _, p := range differ {
		if fp("/x", p[0]) == fp("/x", p[1]) {
			t.Errorf("%s and %s fingerprint alike", p[0], p[1])
		}
	}
	if fp("/x", `{}`) == fp("/y", `{}`) || fp("/x?a=1", `{}`) == fp("/x?a=2", `{}`) {
		t.Error("path or query do not count")
	}
	if len(fp("/x", strings.Repeat(" ", 10)+"{}")) != 64 {
		t.Error("fingerprint length")
	}
}

// The canonical form is a fixed point: valid JSON whose canonical form is
// itself.
func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{`{"b":[1,{"d":null,"c":"\u00e9"}],"a":-0.5e3}`, `[]`, `"x"`, `{"a":1,"a":2}`, ` 7 `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		canon, ok := canonicalJSON(body)
		if !ok {
			return
		}
		if !json.Valid(canon) {
			t.Fatalf("%q: canonical form %q is not JSON", body, canon)
		}
		if again, ok := canonicalJSON(canon); !ok || !bytes.Equal(again, canon) {
			t.Fatalf("%q: canonical form %q is not canonical (%q)", body, canon, again)
		}
	})
}
