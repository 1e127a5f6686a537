package odoo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type step struct {
	File       string `json:"file"`
	HTTPStatus int    `json:"http_status"`
	Outcome    string `json:"outcome"`
	Proto      string `json:"proto"`
	Fault      *struct {
		FaultCode int    `json:"faultCode"`
		Name      string `json:"name"`
		Message   string `json:"message"`
	} `json:"fault"`
}

// decodeRecorded decodes a recorded response body the way the client does.
func decodeRecorded(ext string, status int, body []byte) (any, error) {
	if status != 200 {
		return nil, statusError(status)
	}
	if ext == "json" {
		return decodeJSONRPC(body, -1)
	}
	return decodeXMLRPC(body)
}

// TestCorpusEveryResponseDecodes decodes every recorded response of both
// protocols and checks faults against steps.json: the Kind matches the
// fault code / exception class and the message is the clean one.
func TestCorpusEveryResponseDecodes(t *testing.T) {
	root := corpusDir(t)
	var n, faults int
	for _, dir := range []string{"transcripts", "transcripts-jsonrpc"} {
		scenarios, err := filepath.Glob(filepath.Join(root, dir, "*", "steps.json"))
		if err != nil || len(scenarios) == 0 {
			t.Fatalf("no scenarios in %s", dir)
		}
		for _, sj := range scenarios {
			raw, err := os.ReadFile(sj)
			if err != nil {
				t.Fatal(err)
			}
			var steps []step
			if err := json.Unmarshal(raw, &steps); err != nil {
				t.Fatal(err)
			}
			for _, s := range steps {
				ext := "xml"
				if dir == "transcripts-jsonrpc" || s.Proto == "json" {
					ext = "json"
				}
				name := filepath.Join(filepath.Dir(sj), s.File+".response."+ext)
				body, err := os.ReadFile(name)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				n++
				rel, _ := filepath.Rel(root, name)
				v, err := decodeRecorded(ext, s.HTTPStatus, body)
				switch {
				case s.Outcome == "result":
					if err != nil {
						t.Errorf("%s: result decodes with error %v", rel, err)
					}
					if v == nil && ext == "xml" {
						t.Errorf("%s: XML-RPC result decoded to nil", rel)
					}
				case s.Fault != nil:
					faults++
					checkFault(t, rel, ext, s, err)
				default:
					t.Errorf("%s: unknown outcome %q", rel, s.Outcome)
				}
			}
		}
	}
	if n < 800 || faults < 150 {
		t.Fatalf("walked only %d responses (%d faults)", n, faults)
	}
}

func checkFault(t *testing.T, rel, ext string, s step, err error) {
	t.Helper()
	e, ok := AsError(err)
	if !ok {
		t.Errorf("%s: want *Error, got %v", rel, err)
		return
	}
	f := s.Fault
	if f.Name == "" && f.FaultCode == 0 { // HTTP 400 on a malformed JSON body
		if e.Kind != KindBadResponse {
			t.Errorf("%s: kind %s, want bad_response", rel, e.Kind)
		}
		return
	}
	code := f.FaultCode
	if ext == "json" {
		code = e.Code
		if e.Name != f.Name {
			t.Errorf("%s: name %q, want %q", rel, e.Name, f.Name)
		}
	} else if e.Code != code {
		t.Errorf("%s: code %d, want %d", rel, e.Code, code)
	}
	want := map[int][]Kind{1: {KindServer}, 2: {KindValidation, KindMissing, KindUnique},
		3: {KindAccessDenied}, 4: {KindAccessError}}[code]
	if !containsKind(want, e.Kind) {
		t.Errorf("%s: kind %s for code %d (%s)", rel, e.Kind, code, f.Name)
	}
	if strings.Contains(e.Message, "Traceback") || strings.Contains(e.Message, `File "`) {
		t.Errorf("%s: message carries a traceback: %q", rel, e.Message)
	}
	switch {
	case ext == "xml" && code == 1:
		// steps.json summarises a traceback as "Traceback ... Class: message".
		wantLast := strings.TrimPrefix(f.Message, "Traceback ... ")
		gotLast := strings.TrimPrefix(e.Name, "builtins.") + ": " + e.Message
		if e.Message == "" {
			gotLast = strings.TrimPrefix(e.Name, "builtins.")
		}
		if gotLast != strings.TrimSpace(wantLast) {
			t.Errorf("%s: last exception line %q, want %q", rel, gotLast, wantLast)
		}
		if !strings.HasPrefix(e.Debug, "Traceback") {
			t.Errorf("%s: traceback not kept in Debug", rel)
		}
	case code == 1:
		if e.Message != firstLine(f.Message) {
			t.Errorf("%s: message %q, want %q", rel, e.Message, firstLine(f.Message))
		}
	default:
		if e.Message != strings.TrimSpace(f.Message) {
			t.Errorf("%s: message %q, want %q", rel, e.Message, f.Message)
		}
	}
	if strings.Contains(f.Message, "Record does not exist or has been deleted") && e.Kind != KindMissing {
		t.Errorf("%s: missing record classified %s", rel, e.Kind)
	}
	if strings.Contains(f.Message, accountUniqueMessage) != e.IsAccountNumberUnique() {
		t.Errorf("%s: IsAccountNumberUnique=%v for %q", rel, e.IsAccountNumberUnique(), f.Message)
	}
}

func containsKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func decodeFile(t *testing.T, rel string) any {
	t.Helper()
	ext := strings.TrimPrefix(filepath.Ext(rel), ".")
	v, err := decodeRecorded(ext, 200, readCorpus(t, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return v
}

func decodeRecords(t *testing.T, rel string) []Record {
	t.Helper()
	recs, err := records("", "", decodeFile(t, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return recs
}

func decodeFault(t *testing.T, rel string) *Error {
	t.Helper()
	ext := strings.TrimPrefix(filepath.Ext(rel), ".")
	_, err := decodeRecorded(ext, 200, readCorpus(t, rel))
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("%s: want *Error, got %v", rel, err)
	}
	return e
}
