package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kolo/xmlrpc"
)

func TestConcurrentNestedCreates(t *testing.T) {
	s := newEmpty(t)
	bank := newBank(t, s, "Shared", "SHRD")
	const workers = 50
	var wg sync.WaitGroup
	ids := make([]int64, workers)
	errs := make(chan error, workers*2)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			v, f := rpc(t, s, "res.partner", "create", list(map[string]any{
				"name": fmt.Sprintf("P%02d", i), "is_registrant": true,
				"bank_ids": list(
					cmd(0, 0, map[string]any{"acc_number": fmt.Sprintf("ACC-%02d-1", i), "bank_id": bank}),
					cmd(0, 0, map[string]any{"acc_number": fmt.Sprintf("ACC-%02d-2", i), "bank_id": bank}),
				)}), nil)
			if f != nil {
				errs <- f
				return
			}
			ids[i] = v.(int64)
			// Every other worker also makes a failing call: it must leave nothing.
			if i%2 == 0 {
				if _, f := rpc(t, s, "res.partner", "create", list(map[string]any{"name": "dup", "bank_ids": list(
					cmd(0, 0, map[string]any{"acc_number": "SAME"}), cmd(0, 0, map[string]any{"acc_number": "same"}))}), nil); f == nil {
					errs <- errors.New("duplicate accounts were accepted")
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("id %d handed out twice", id)
		}
		seen[id] = true
	}
	if n := mustRPC(t, s, "res.partner", "search_count", list(list(list("name", "=like", "P%"))), nil); n != int64(workers) {
		t.Fatalf("%v partners, want %d", n, workers)
	}
	if n := mustRPC(t, s, "res.partner.bank", "search_count", list(list()), nil); n != int64(2*workers) {
		t.Fatalf("%v accounts, want %d", n, 2*workers)
	}
	if n := mustRPC(t, s, "res.partner", "search_count", list(list(list("name", "=", "dup"))), nil); n != int64(0) {
		t.Fatalf("%v partners of failed creates survived", n)
	}
}

func TestInjectedFaultsAndCallLog(t *testing.T) {
	s := newEmpty(t)
	s.InjectFault(func(c Call) *Injected {
		if c.Model == "res.bank" && c.Method == "create" {
			return &Injected{Fault: ValidationFault("injected")}
		}
		return nil
	})
	wantFault(t, s, excValidation, "injected", "res.bank", "create", list(map[string]any{"name": "x"}), nil)
	if n := mustRPC(t, s, "res.bank", "search_count", list(list()), nil); n != int64(0) {
		t.Fatalf("an injected fault must not run the call; %v banks", n)
	}
	if got := s.CallsTo("res.bank", "create"); got != 1 {
		t.Fatalf("CallsTo = %d, want 1", got)
	}
	if got := s.Calls(); got != 2 {
		t.Fatalf("Calls = %d, want 2", got)
	}
	s.ResetCalls()
	if s.Calls() != 0 || len(s.CallLog()) != 0 {
		t.Fatal("ResetCalls kept calls")
	}

	s.InjectFault(func(c Call) *Injected { return &Injected{Drop: true} })
	if _, err := http.Post(s.URL()+"/jsonrpc", "application/json", strings.NewReader(`{}`)); err != nil {
		t.Fatalf("a body that is not an RPC is answered before the hook: %v", err)
	}
	_, err := http.Post(s.URL()+"/jsonrpc", "application/json",
		strings.NewReader(`{"jsonrpc":"2.0","method":"call","id":1,"params":{"service":"common","method":"version","args":[]}}`))
	if err == nil {
		t.Fatal("a dropped connection answered")
	}

	s.InjectFault(func(c Call) *Injected { return &Injected{HTTPStatus: http.StatusBadGateway} })
	resp, err := http.Post(s.URL()+"/xmlrpc/2/common", "text/xml", strings.NewReader(`<methodCall><methodName>version</methodName></methodCall>`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}

	s.InjectFault(func(c Call) *Injected { return &Injected{Delay: time.Hour} })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/xmlrpc/2/common",
		strings.NewReader(`<methodCall><methodName>version</methodName></methodCall>`))
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a delayed call should run into the client's deadline, got %v", err)
	}
	s.InjectFault(nil)
}

// TestKoloClient checks the XML-RPC answers decode with kolo/xmlrpc, the
// library the odoo client uses for encoding.
func TestKoloClient(t *testing.T) {
	s := NewTestServer(t, Options{})
	common, err := xmlrpc.NewClient(s.URL()+"/xmlrpc/2/common", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer common.Close()
	var uid int64
	if err := common.Call("authenticate", []any{"openspp", "admin", "admin", map[string]any{}}, &uid); err != nil || uid != 2 {
		t.Fatalf("authenticate: uid %d, err %v", uid, err)
	}
	object, err := xmlrpc.NewClient(s.URL()+"/xmlrpc/2/object", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer object.Close()
	var recs []map[string]any
	err = object.Call("execute_kw", []any{"openspp", uid, "admin", "res.partner", "search_read",
		[]any{[]any{[]any{"is_registrant", "=", true}}},
		map[string]any{"fields": []any{"name", "bank_ids", "kind", "income", "birthdate"}, "limit": 2}}, &recs)
	if err != nil || len(recs) != 2 {
		t.Fatalf("search_read: %v, %v", recs, err)
	}
	var n int64
	err = object.Call("execute_kw", []any{"openspp", uid, "admin", "res.partner", "write",
		[]any{[]any{int64(999999)}, map[string]any{"name": "x"}}}, &n)
	// kolo's client goes through net/rpc, which turns the fault into text.
	if err == nil || !strings.HasPrefix(err.Error(), "Fault(2): Record does not exist or has been deleted.") {
		t.Fatalf("write on a missing id: %v", err)
	}
}

func TestLegacyXMLRPCTextFaultCodes(t *testing.T) {
	s := newEmpty(t)
	body := `<?xml version='1.0'?><methodCall><methodName>execute_kw</methodName><params>` +
		`<param><value><string>openspp</string></value></param><param><value><int>2</int></value></param>` +
		`<param><value><string>admin</string></value></param><param><value><string>res.partner</string></value></param>` +
		`<param><value><string>write</string></value></param><param><value><array><data>` +
		`<value><array><data><value><int>999999</int></value></data></array></value>` +
		`<value><struct><member><name>name</name><value><string>x</string></value></member></struct></value>` +
		`</data></array></value></param></params></methodCall>`
	resp, err := http.Post(s.URL()+"/xmlrpc/object", "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf strings.Builder
	_, _ = io.Copy(&buf, resp.Body)
	_, fault, err := decodeAnswer(false, []byte(buf.String()))
	if err != nil || fault == nil {
		t.Fatalf("want a fault, got %s (%v)", buf.String(), err)
	}
	want := "warning -- MissingError\n\nRecord does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)"
	if fault["faultCode"] != want || fault["faultString"] != "" {
		t.Fatalf("legacy fault %#v", fault)
	}
}

func TestJSONRPCNeedsJSONContentType(t *testing.T) {
	s := newEmpty(t)
	resp, err := http.Post(s.URL()+"/jsonrpc", "text/plain",
		strings.NewReader(`{"jsonrpc":"2.0","method":"call","id":1,"params":{"service":"common","method":"version","args":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400 like Odoo's type=json route", resp.StatusCode)
	}
}

func TestInjectedLossAfterCommit(t *testing.T) {
	s := newEmpty(t)
	s.InjectFault(func(c Call) *Injected {
		if c.Model == "res.bank" && c.Method == "create" {
			return &Injected{Drop: true, AfterCall: true}
		}
		return nil
	})
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","method":"call","id":1,"params":{"service":"object","method":"execute_kw",` +
		`"args":["openspp",2,"admin","res.bank","create",[{"name":"Lost answer"}]]}}`)
	if _, err := http.Post(s.URL()+"/jsonrpc", "application/json", strings.NewReader(b.String())); err == nil {
		t.Fatal("the answer should have been dropped")
	}
	s.InjectFault(nil)
	if n := mustRPC(t, s, "res.bank", "search_count", list(list(list("name", "=", "Lost answer"))), nil); n != int64(1) {
		t.Fatalf("the create should have been committed before the drop; %v banks", n)
	}
}

func TestWebClientProbes(t *testing.T) {
	s := newEmpty(t)
	for path, want := range map[string]string{
		"/web/database/list":          `"result": ["openspp"]`,
		"/web/webclient/version_info": `"server_serie": "17.0"`,
	} {
		resp, err := http.Post(s.URL()+path, "application/json", strings.NewReader(`{"jsonrpc":"2.0","method":"call","id":3,"params":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), want) {
			t.Errorf("%s answered %s", path, body)
		}
	}
}
