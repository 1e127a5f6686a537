package proxy

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/audit"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

const (
	fullNumber1 = "SN04 SN01 0152 0000 0042 4242 4242"
	fullNumber2 = "0012345678"
)

// groupResponse is shaped like mapping.Group: a group with its own
// account and a member with another.
var groupResponse = `{"id":10,"name":"FALL household","reg_ids":[],"bank_ids":[{"id":100,"bank_name":"Ecobank","acc_number":"` + fullNumber1 + `"}],` +
	`"group_membership_ids":[{"id":5,"individual":{"id":11,"reg_ids":[],"bank_ids":[{"id":101,"acc_number":"` + fullNumber2 + `","acc_holder_name":null}]},"kind":[]}]}`

func TestMaskJSONMasksNumbersAndKeepsEverythingElse(t *testing.T) {
	got, err := maskJSON([]byte(groupResponse))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(fullNumber1, "****4242", fullNumber2, "****5678").Replace(groupResponse)
	if string(got) != want {
		t.Errorf("masked:\n%s\nwant:\n%s", got, want)
	}
	again, _ := maskJSON(got)
	if string(again) != string(got) {
		t.Errorf("masking twice changed the numbers: %s", again)
	}
	feed := `{"items":[{"id":1,"registrant_id":9,"acc_number":"12345678","acc_number_sanitized":"12345678","registration_ids":[]}],"next_cursor":"abc","has_more":false}` + "\n"
	got, _ = maskJSON([]byte(feed))
	if want := strings.ReplaceAll(feed, `"12345678"`, `"****5678"`); string(got) != want {
		t.Errorf("feed masked:\n%s\nwant\n%s", got, want)
	}
	if _, err := maskJSON([]byte(`{"acc_number":"1234567`)); err == nil {
		t.Error("malformed JSON: no error")
	}
}

func TestDiscloseJSONFindsAccountsAndTheirRegistrants(t *testing.T) {
	d := discloseJSON([]byte(groupResponse))
	if !slices.Equal(d.registrants, []int64{10, 11}) {
		t.Errorf("registrants %v, want [10 11]", d.registrants)
	}
	want := []disclosedAccount{{id: 100, registrant: 10, masked: "****4242", full: true}, {id: 101, registrant: 11, masked: "****5678", full: true}}
	if len(d.accounts) != 2 {
		t.Fatalf("accounts %+v", d.accounts)
	}
	for _, w := range want {
		if !slices.Contains(d.accounts, w) {
			t.Errorf("accounts %+v lack %+v", d.accounts, w)
		}
	}
}

// guardServer is a platform server whose test group runs the account
// guard (with an audit file) around handlers the test defines.
type guardServer struct {
	*platformServer
	auditPath string
	auditor   *audit.Auditor
	group     *gin.RouterGroup
}

func newGuardServer(t *testing.T) *guardServer {
	t.Helper()
	ts := newPlatformServer(t, Deps{})
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	file, err := audit.OpenFile(path, audit.FileOptions{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	a := audit.New(audit.Options{File: file}, nil)
	t.Cleanup(func() { a.Close(t.Context()) })
	g := ts.group()
	guard := &accountGuard{auditor: a, basePath: ts.cfg.Server.BasePath + "/test", fail: ts.fail}
	g.Use(guard.handle, testJSONLimits.handler(ts.fail))
	return &guardServer{platformServer: ts, auditPath: path, auditor: a, group: g}
}

func (gs *guardServer) records(t *testing.T) []audit.Record {
	t.Helper()
	f, err := os.Open(gs.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []audit.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestGuardMasksResponsesForClientsWithoutReadFull(t *testing.T) {
	gs := newGuardServer(t)
	gs.group.GET("/group/:id", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/json; charset=utf-8", []byte(groupResponse))
	})
	path := gs.cfg.Server.BasePath + "/test/group/10"
	r := gs.do(t, "GET", path, platformReaderKey, nil)
	if r.Code != http.StatusOK || strings.Contains(r.Body.String(), fullNumber2) || !strings.Contains(r.Body.String(), `"acc_number":"****5678"`) {
		t.Fatalf("reader: %d %s, want masked numbers", r.Code, r.Body)
	}
	if recs := gs.records(t); len(recs) != 0 {
		t.Errorf("a masked read was audited: %+v", recs)
	}
	r = gs.do(t, "GET", path, platformFullKey, nil)
	if r.Body.String() != groupResponse {
		t.Fatalf("full client: %s, want the response unchanged", r.Body)
	}
	recs := gs.records(t)
	if len(recs) != 1 {
		t.Fatalf("records = %+v, want one for the full read", recs)
	}
	rec := recs[0]
	if rec.Action != "read_full GET /group/:id" || rec.ClientID != "full-client" || rec.Outcome != audit.OutcomeSuccess ||
		!slices.Equal(rec.RegistrantIDs, []int64{10, 11}) || !slices.Equal(rec.AccountIDs, []int64{100, 101}) ||
		!slices.Equal(rec.MaskedNumbers, []string{"****4242", "****5678"}) || rec.RequestID != r.Header().Get(RequestIDHeader) {
		t.Errorf("record = %+v", rec)
	}
}

func TestGuardAuditsWritesWithTheirOutcome(t *testing.T) {
	gs := newGuardServer(t)
	gs.group.POST("/registrants/:id/bank-accounts", func(c *gin.Context) {
		body, _ := gs.readBody(c)
		if strings.Contains(string(body), "bad") {
			// A handler whose error message quotes the number.
			gs.fail(c, &mapping.Error{Code: mapping.CodeConflict, Message: "account 0099887766 already exists"})
			return
		}
		c.JSON(http.StatusCreated, mapping.BankAccount{ID: 200, RegistrantID: 12, AccNumber: fullNumber2, AccNumberSanitized: fullNumber2})
	})
	path := gs.cfg.Server.BasePath + "/test/registrants/12/bank-accounts"
	r := gs.do(t, "POST", path, platformFullKey, strings.NewReader(`{"acc_number":"`+fullNumber2+`"}`))
	if r.Code != http.StatusCreated || !strings.Contains(r.Body.String(), fullNumber2) {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	r = gs.do(t, "POST", path, platformFullKey, strings.NewReader(`{"acc_number":"0099887766","x":"bad"}`))
	if r.Code != http.StatusConflict || strings.Contains(r.Body.String(), "0099887766") || !strings.Contains(r.problem.Detail, "****7766") {
		t.Fatalf("refused create: %d %s, want the number masked in the problem", r.Code, r.Body)
	}
	recs := gs.records(t)
	if len(recs) != 2 {
		t.Fatalf("records %+v, want 2", recs)
	}
	ok, refused := recs[0], recs[1]
	if ok.Action != "POST /registrants/:id/bank-accounts" || ok.Outcome != audit.OutcomeSuccess || ok.Status != 201 ||
		!slices.Equal(ok.RegistrantIDs, []int64{12}) || !slices.Equal(ok.AccountIDs, []int64{200}) || !slices.Equal(ok.MaskedNumbers, []string{"****5678"}) {
		t.Errorf("success record %+v", ok)
	}
	if refused.Outcome != audit.OutcomeRefused || refused.Code != "conflict" || !slices.Equal(refused.MaskedNumbers, []string{"****7766"}) ||
		strings.Contains(refused.Detail, "0099887766") {
		t.Errorf("refused record %+v", refused)
	}
	data, _ := os.ReadFile(gs.auditPath)
	if strings.Contains(string(data), fullNumber2) || strings.Contains(string(data), "0099887766") {
		t.Errorf("the audit file holds a full number:\n%s", data)
	}
}

// An error detail quoting a number the request did not carry (Odoo's text
// about another account) is kept in the audit record with that number
// masked.
func TestGuardAuditRecordMasksNumbersInTheDetail(t *testing.T) {
	gs := newGuardServer(t)
	const other = "SN06SN0101520000001234567890"
	gs.group.POST("/registrants/:id/bank-accounts", func(c *gin.Context) {
		gs.fail(c, &mapping.Error{Code: mapping.CodeValidationFailed, Message: "The IBAN " + other + " of DIALLO AMINA is invalid"})
	})
	gs.do(t, "POST", gs.cfg.Server.BasePath+"/test/registrants/12/bank-accounts", platformFullKey, strings.NewReader(`{"acc_number":"`+fullNumber1+`"}`))
	recs := gs.records(t)
	if len(recs) != 1 || recs[0].Detail != "The IBAN ****7890 of DIALLO AMINA is invalid" {
		t.Fatalf("records %+v, want the refused write with the other number masked in its detail", recs)
	}
	if data, _ := os.ReadFile(gs.auditPath); strings.Contains(string(data), "1234567890") {
		t.Errorf("the audit file holds a full number:\n%s", data)
	}
}

// When the audit file cannot be written, writes are refused before the
// handler (and so Odoo) is reached; reads go on.
func TestGuardRefusesWritesWhileTheAuditTrailIsDown(t *testing.T) {
	gs := newGuardServer(t)
	var calls int
	handler := func(c *gin.Context) { calls++; c.Status(http.StatusNoContent) }
	gs.group.DELETE("/registrants/:id/bank-accounts/:account_id", handler)
	gs.group.GET("/registrants/:id/bank-accounts", handler)
	base := gs.cfg.Server.BasePath + "/test/registrants/12/bank-accounts"
	// The file goes away and a directory takes its path: the open file is
	// closed and reopening it fails.
	if err := os.Remove(gs.auditPath); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(gs.auditPath, 0o700); err != nil {
		t.Fatal(err)
	}
	gs.auditor.Close(t.Context())
	r := gs.do(t, "DELETE", base+"/7", platformFullKey, nil)
	requirePlatformProblem(t, r, http.StatusServiceUnavailable, string(codeAuditUnavailable))
	if calls != 0 {
		t.Errorf("the write handler ran %d times while the audit trail was down", calls)
	}
	if r := gs.do(t, "GET", base, platformFullKey, nil); r.Code != http.StatusNoContent {
		t.Errorf("read while the audit trail is down: %d, want it served", r.Code)
	}
}

func TestGuardPassesEmptyAnswersAndPanics(t *testing.T) {
	gs := newGuardServer(t)
	gs.group.DELETE("/registrants/:id/bank-accounts/:account_id", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	gs.group.GET("/boom", func(c *gin.Context) { panic("boom") })
	r := gs.do(t, "DELETE", gs.cfg.Server.BasePath+"/test/registrants/12/bank-accounts/7", platformFullKey, nil)
	if r.Code != http.StatusNoContent || r.Body.Len() != 0 {
		t.Errorf("DELETE: %d %q, want an empty 204", r.Code, r.Body)
	}
	recs := gs.records(t)
	if len(recs) != 1 || !slices.Equal(recs[0].RegistrantIDs, []int64{12}) || !slices.Equal(recs[0].AccountIDs, []int64{7}) ||
		recs[0].Action != "DELETE /registrants/:id/bank-accounts/:account_id" {
		t.Errorf("records %+v, want the archive with registrant 12 and account 7", recs)
	}
	requirePlatformProblem(t, gs.do(t, "GET", gs.cfg.Server.BasePath+"/test/boom", platformFullKey, nil), http.StatusInternalServerError, "internal")
}

// maskTree is the same masking done on a decoded value: the reference
// maskJSON is checked against.
func maskTree(v any) any {
	switch t := v.(type) {
	case []any:
		for i := range t {
			t[i] = maskTree(t[i])
		}
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && slices.Contains(accountNumberKeys, k) {
				t[k] = maskNumber(s)
				continue
			}
			t[k] = maskTree(x)
		}
	}
	return v
}

func FuzzMaskJSON(f *testing.F) {
	for _, seed := range []string{groupResponse, `[]`, `{"acc_number":null}`, `{"a":[1,2.5e3,true,false,null,"x"]}`,
		`{"acc_number":"12\u00e9 34 567","nested":{"acc_number_sanitized":["not a string"]}}`, `"acc_number"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) || !mayHoldNumbers(in) {
			return
		}
		out, err := maskJSON(in)
		if err != nil {
			t.Fatalf("valid input %q: %v", in, err)
		}
		var got, want any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("output %q of %q is not JSON: %v", out, in, err)
		}
		_ = json.Unmarshal(in, &want)
		if !reflect.DeepEqual(got, maskTree(want)) {
			t.Fatalf("maskJSON(%q) = %q, want the same document with masked numbers", in, out)
		}
	})
}

func FuzzJSONLimitsNeverPanic(f *testing.F) {
	for _, seed := range []string{`{"members":[{},{},{}]}`, `[[[[[[[[]]]]]]]]`, `{"":{"":[]}}`, `{"a"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if e := testJSONLimits.check(in); e != nil && e.message == "" {
			t.Fatalf("limit error without a message for %q", in)
		}
	})
}
