package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeHTTP feeds arbitrary bodies to both protocols: the emulator
// must answer (a fault, an HTTP error) and never crash.
func FuzzServeHTTP(f *testing.F) {
	f.Add(uint8(0), `{"jsonrpc":"2.0","method":"call","id":1,"params":{"service":"object","method":"execute_kw","args":["openspp",2,"admin","res.partner","search_read",[[["name","ilike","a"]]],{"fields":["name","bank_ids"]}]}}`)
	f.Add(uint8(0), `{"params":{"service":"object","method":"execute_kw","args":["openspp",2,"admin","res.partner","create",[{"name":"x","bank_ids":[[0,0,{"acc_number":"1"}],[6,0,[1,2]],[5],[4]]}]]}}`)
	f.Add(uint8(1), `<methodCall><methodName>execute_kw</methodName><params><param><value>openspp</value></param><param><value><int>2</int></value></param><param><value>admin</value></param><param><value>res.partner</value></param><param><value>write</value></param><param><value><array><data><value><array><data><value><int>3</int></value></data></array></value><value><struct><member><name>bank_ids</name><value><array><data><value><int>1</int></value></data></array></value></member></struct></value></data></array></value></param></params></methodCall>`)
	f.Add(uint8(2), `<methodCall><methodName>authenticate</methodName><params><param><value><nil/></value></param></params></methodCall>`)
	s := New(Options{Seed: SeedDemo, NoLoginCooldown: true})
	paths := []string{"/jsonrpc", "/xmlrpc/2/object", "/xmlrpc/2/common", "/xmlrpc/object"}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, "http://emulator"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		s.ServeHTTP(httptest.NewRecorder(), req)
	})
}
