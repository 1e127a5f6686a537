package emulator

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestPyFloat(t *testing.T) {
	tenth, fifth := 0.1, 0.2 // variables: constants would be added exactly
	cases := map[float64]string{0: "0.0", 1: "1.0", 12.25: "12.25", 1099511627776: "1099511627776.0",
		1e16: "1e+16", 0.0001: "0.0001", 0.00001: "1e-05", -3.5: "-3.5", tenth + fifth: "0.30000000000000004"}
	for in, want := range cases {
		if got := pyFloat(in); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeXMLRPCLikePython(t *testing.T) {
	body := `<methodCall><methodName>m</methodName><params>
<param><value>untyped</value></param>
<param><value/></param>
<param><value><nil/></value></param>
<param><value><i4> 42 </i4></value></param>
<param><value><i8>1099511627776</i8></value></param>
<param><value><double>1e3</double></value></param>
<param><value><boolean>1</boolean></value></param>
<param><value><string>cr&#xD;lf&#xA;&amp;</string></value></param>
<param><value><struct/></value></param>
<param><value><array><data/></array></value></param>
<param><value><dateTime.iso8601>20260102T03:04:05</dateTime.iso8601></value></param>
</params></methodCall>`
	call, f := decodeXMLRPCCall([]byte(body))
	if f != nil {
		t.Fatal(f)
	}
	want := []any{"untyped", "", nil, int64(42), int64(1099511627776), 1000.0, true, "cr\rlf\n&",
		map[string]any{}, []any{}, xmlrpcDateTime("20260102T03:04:05")}
	if !reflect.DeepEqual(call.Params, want) {
		t.Fatalf("params %#v\nwant %#v", call.Params, want)
	}
	_, f = decodeXMLRPCCall([]byte(`<methodCall><methodName>m</methodName><params><param><value><foo>1</foo></value></param></params></methodCall>`))
	if f == nil || f.Message != `ResponseError("unknown tag 'foo'")` {
		t.Fatalf("unknown tag: %v", f)
	}
	if _, f = decodeXMLRPCCall([]byte("<methodCall><methodName>")); f == nil || f.Class != excExpat {
		t.Fatalf("truncated body: %v", f)
	}
}

func TestEncodeXMLRPCLikePython(t *testing.T) {
	got, f := encodeXMLRPCResponse(object{{"a", []any{int64(1), false, "x<&>\"'\x01\t"}}, {"b", 0.5}})
	if f != nil {
		t.Fatal(f)
	}
	want := "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n<name>a</name>\n" +
		"<value><array><data>\n<value><int>1</int></value>\n<value><boolean>0</boolean></value>\n" +
		"<value><string>x&lt;&amp;&gt;\"'\t</string></value>\n</data></array></value>\n</member>\n<member>\n<name>b</name>\n" +
		"<value><double>0.5</double></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodResponse>\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if _, f := encodeXMLRPCResponse(nil); f == nil || f.Message != "cannot marshal None unless allow_none is enabled" {
		t.Fatalf("None: %v", f)
	}
	fault := string(encodeXMLRPCFault(ValidationFault("bad <x>")))
	if !strings.Contains(fault, "<name>faultCode</name>\n<value><int>2</int></value>") || !strings.Contains(fault, "<string>bad &lt;x&gt;</string>") {
		t.Fatalf("fault body %s", fault)
	}
}

func TestPyJSON(t *testing.T) {
	var b bytes.Buffer
	encodePyJSON(&b, object{{"s", "é\u0001\"\\\n"}, {"l", []any{int64(1), 2.0, nil, true}}, {"o", object{}}})
	want := `{"s": "é\u0001\"\\\n", "l": [1, 2.0, null, true], "o": {}}`
	if b.String() != want {
		t.Fatalf("got %s, want %s", b.String(), want)
	}
	if got := string(jsonError(int64(7), MissingFault("gone"))); !strings.HasPrefix(got,
		`{"jsonrpc": "2.0", "id": 7, "error": {"code": 200, "message": "Odoo Server Error", "data": {"name": "odoo.exceptions.MissingError", "debug": "Traceback`) {
		t.Fatalf("error envelope %s", got)
	}
}

func TestFaultCodes(t *testing.T) {
	cases := map[*Fault]int{
		ValidationFault("x"): 2, UserFault("x"): 2, MissingFault("x"): 2,
		AccessErrorFault("x"): 4, AccessDeniedFault(): 3, ServerFault("builtins.ValueError", "x"): 1,
	}
	for f, code := range cases {
		if f.XMLRPCCode() != code {
			t.Errorf("%s: code %d, want %d", f.Class, f.XMLRPCCode(), code)
		}
	}
}
