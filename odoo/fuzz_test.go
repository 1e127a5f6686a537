package odoo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecodeResponse feeds arbitrary bytes to both response decoders, as a
// broken or hostile server (or a proxy in front of Odoo) could send them:
// they must never panic, and every failure must be an *Error the proxy can
// map. Seeded with every recorded response of the wire corpus.
func FuzzDecodeResponse(f *testing.F) {
	for _, dir := range []string{"transcripts", "transcripts-jsonrpc"} {
		files, _ := filepath.Glob(filepath.Join(corpusDirOrEmpty(), dir, "*", "*.response.*"))
		for _, p := range files {
			if strings.HasSuffix(p, ".http") {
				continue
			}
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`<?xml version="1.0"?><methodResponse><params><param><value><int>7</int></value></param></params></methodResponse>`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":[{"id":1,"name":false}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, decode := range []func([]byte) (any, error){
			decodeXMLRPC,
			func(b []byte) (any, error) { return decodeJSONRPC(b, -1) },
		} {
			_, err := decode(data)
			if err == nil {
				continue
			}
			if _, ok := AsError(err); !ok {
				t.Fatalf("decoder error %T %v is not an *Error", err, err)
			}
		}
	})
}

// corpusDirOrEmpty is corpusDir for seeding: without the corpus the fuzz
// target still runs on its committed seeds.
func corpusDirOrEmpty() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "odoo17")
		if st, err := os.Stat(filepath.Join(p, "transcripts")); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
