package odoo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// replayFake answers every execute_kw with the recorded response of file
// (a corpus path without extension) and keeps the request for comparison.
func replayFake(t *testing.T, proto Protocol, file string) *fakeOdoo {
	dir, ext := corpusFor(proto)
	body := readCorpus(t, filepath.Join(dir, file+".response."+ext))
	return newFake(t, proto, func(rpcCall) reply { return reply{body: body} })
}

// recordedCall decodes the recorded request of file with the standard
// decoders.
func recordedCall(t *testing.T, proto Protocol, file string) rpcCall {
	t.Helper()
	dir, ext := corpusFor(proto)
	body := readCorpus(t, filepath.Join(dir, file+".request."+ext))
	if proto == JSONRPC {
		c, err := parseJSONCall(body)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	path := "/xmlrpc/2/object"
	if !strings.Contains(string(body), "execute_kw") {
		path = "/xmlrpc/2/common"
	}
	c, err := parseXMLCall(path, body)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sameCall compares a request the client built with a recorded one: same
// service, method, positional arguments and kwargs. The client always adds
// lang and tz to the context; offset 0 and limit 0 mean "none" in Odoo.
func sameCall(got, want rpcCall) error {
	if got.Service != want.Service || got.Method != want.Method {
		return fmt.Errorf("call %s.%s, want %s.%s", got.Service, got.Method, want.Service, want.Method)
	}
	if len(got.Args) != 7 || len(want.Args) < 6 {
		return fmt.Errorf("execute_kw with %d args (recorded %d)", len(got.Args), len(want.Args))
	}
	// db, uid, secret are the same in the fake and the recording.
	if !reflect.DeepEqual(got.Args[:6], want.Args[:6]) {
		return fmt.Errorf("args\n got %#v\nwant %#v", got.Args[:6], want.Args[:6])
	}
	gkw, _ := got.Args[6].(map[string]any)
	wkw := map[string]any{}
	if len(want.Args) > 6 {
		wkw, _ = want.Args[6].(map[string]any)
	}
	gcx, _ := gkw["context"].(map[string]any)
	if gcx["lang"] != "en_US" || gcx["tz"] != "UTC" {
		return fmt.Errorf("context %v lacks lang/tz", gcx)
	}
	wcx, _ := wkw["context"].(map[string]any)
	for k, v := range wcx {
		if !reflect.DeepEqual(gcx[k], v) {
			return fmt.Errorf("context[%s] = %#v, want %#v", k, gcx[k], v)
		}
	}
	strip := func(kw map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range kw {
			if k == "context" || ((k == "offset" || k == "limit") && v == int64(0)) {
				continue
			}
			out[k] = v
		}
		return out
	}
	if g, w := strip(gkw), strip(wkw); !reflect.DeepEqual(g, w) {
		return fmt.Errorf("kwargs\n got %#v\nwant %#v", g, w)
	}
	return nil
}

var no = false

// TestEncodeMatchesRecordedRequests builds calls with the typed API and
// checks they decode to the arguments of the recorded real requests.
func TestEncodeMatchesRecordedRequests(t *testing.T) {
	partnerFields := []string{"name", "display_name", "given_name", "family_name", "addl_name", "is_registrant",
		"is_group", "birthdate", "age", "gender", "bank_ids", "reg_ids", "phone_number_ids", "phone",
		"registration_date", "company_id", "active", "type", "email", "income", "kind", "create_date",
		"write_date", "create_uid", "write_uid"}
	tagDomain := Domain{Cond("is_registrant", "=", true), Cond("is_group", "=", false), Cond("name", "ilike", "X07QPYL")}
	webSpec := Spec{
		"name": Spec{}, "given_name": Spec{}, "family_name": Spec{}, "addl_name": Spec{}, "birthdate": Spec{},
		"gender": Spec{}, "is_group": Spec{}, "email": Spec{}, "write_date": Spec{},
		"bank_ids": Spec{"fields": Spec{
			"acc_number": Spec{}, "sanitized_acc_number": Spec{}, "acc_holder_name": Spec{}, "active": Spec{},
			"write_date": Spec{}, "bank_id": Spec{"fields": Fields("name", "bic")}}},
		"reg_ids":          Spec{"fields": Fields("value", "id_type_as_str", "status", "expiry_date")},
		"phone_number_ids": Spec{"fields": Fields("phone_no", "phone_sanitized", "date_collected")},
	}
	cases := []struct {
		file string
		call func(ctx context.Context, c *Client) error
	}{
		{"02-bank-lookup/05-search_read-name-eq-exact", func(ctx context.Context, c *Client) error {
			recs, err := c.SearchRead(ctx, "res.bank", Domain{Cond("name", "=", "Banque Atlantique X02QPYL")},
				[]string{"name", "bic", "active", "country", "display_name"}, Options{})
			if err == nil && (len(recs) != 1 || recs[0].ID() != 122) {
				err = fmt.Errorf("records %v", recs)
			}
			return err
		}},
		{"02-bank-lookup/29-search_read-archived-active_test-false", func(ctx context.Context, c *Client) error {
			_, err := c.SearchRead(ctx, "res.bank", Domain{Cond("name", "=", "Archived Bank X02QPYL")},
				[]string{"name", "bic", "active", "country", "display_name"}, Options{ActiveTest: &no})
			return err
		}},
		{"02-bank-lookup/27-bank-archive-write-active-false", func(ctx context.Context, c *Client) error {
			return c.Write(ctx, "res.bank", []int64{125}, Values{"active": false}, Options{})
		}},
		{"02-bank-lookup/33-search_count-tag-active_test-false", func(ctx context.Context, c *Client) error {
			n, err := c.SearchCount(ctx, "res.bank", Domain{Cond("name", "ilike", "X02QPYL")}, Options{ActiveTest: &no})
			if err == nil && n != 4 {
				err = fmt.Errorf("count %d", n)
			}
			return err
		}},
		{"03-individual-create/15-partner-create-nested", func(ctx context.Context, c *Client) error {
			id, err := c.Create(ctx, "res.partner", Values{
				"is_registrant": true, "is_group": false, "given_name": "Amina", "family_name": "Diallo",
				"addl_name": "X03QPYL", "name": "DIALLO, AMINA X03QPYL ", "birthdate": "1988-04-12", "gender": "female",
				"bank_ids": []any{
					CmdCreate(Values{"acc_number": "SN08 SN01 0152 0000 0012 3456 7890", "bank_id": int64(134)}),
					CmdCreate(Values{"acc_number": "X03QPYL-0002", "bank_id": 135}),
				},
				"reg_ids":          [][]any{CmdCreate(Values{"id_type": 45, "value": "X03QPYL-NID-0001"})},
				"phone_number_ids": []any{CmdCreate(Values{"phone_no": "+221 77 123 45 67"})},
			}, Options{})
			if err == nil && id != 252 {
				err = fmt.Errorf("id %d", id)
			}
			return err
		}},
		{"03-individual-create/16-partner-read-explicit-fields", func(ctx context.Context, c *Client) error {
			_, err := c.Read(ctx, "res.partner", []int64{252}, partnerFields, Options{})
			return err
		}},
		{"03-individual-create/24-partner-create-batch-list", func(ctx context.Context, c *Client) error {
			ids, err := c.CreateMany(ctx, "res.partner", []Values{
				{"is_registrant": true, "is_group": false, "given_name": "José", "family_name": "Núñez", "addl_name": "X03QPYL",
					"name": "NÚÑEZ, JOSÉ X03QPYL ", "birthdate": "1975-11-30", "gender": "male",
					"bank_ids": []any{CmdCreate(Values{"acc_number": "ES91 2100 0418 4502 0005 1332", "bank_id": 134})}},
				{"is_registrant": true, "is_group": false, "given_name": "An", "family_name": "Nguyễn Văn", "addl_name": "X03QPYL",
					"name": "NGUYỄN VĂN, AN X03QPYL ", "birthdate": "2001-02-03",
					"reg_ids": []any{CmdCreate(Values{"id_type": 45, "value": "X03QPYL-NID-0003"})}},
				{"is_registrant": true, "is_group": false, "given_name": "ليلى", "family_name": "حداد", "addl_name": "X03QPYL",
					"name": "حداد, ليلى X03QPYL ", "birthdate": "1992-07-21", "gender": "female"},
			}, Options{})
			if err == nil && !reflect.DeepEqual(ids, []int64{253, 254, 255}) {
				err = fmt.Errorf("ids %v", ids)
			}
			return err
		}},
		{"03-individual-create/28-gender.type-unlink-per-run", func(ctx context.Context, c *Client) error {
			return c.Unlink(ctx, "gender.type", []int64{21}, Options{})
		}},
		{"05-update-bank-commands/11-write-cmd1-update", func(ctx context.Context, c *Client) error {
			return c.Write(ctx, "res.partner", []int64{281}, Values{"bank_ids": []any{
				CmdUpdate(269, Values{"acc_number": "X05QPYL-A2-EDITED", "allow_out_payment": true})}}, Options{})
		}},
		{"05-update-bank-commands/13-write-cmd2-delete", func(ctx context.Context, c *Client) error {
			return c.Write(ctx, "res.partner", []int64{281}, Values{"bank_ids": []any{CmdDelete(267)}}, Options{})
		}},
		{"05-update-bank-commands/19-write-cmd3-unlink", func(ctx context.Context, c *Client) error {
			return c.Write(ctx, "res.partner", []int64{281}, Values{"bank_ids": []any{CmdUnlink(270)}}, Options{})
		}},
		{"05-update-bank-commands/22-write-cmd4-link-account-of-B", func(ctx context.Context, c *Client) error {
			return c.Write(ctx, "res.partner", []int64{281}, Values{"bank_ids": []any{CmdLink(268)}}, Options{})
		}},
		{"05-update-bank-commands/28-write-cmd6-replace", func(ctx context.Context, c *Client) error {
			return c.Write(ctx, "res.partner", []int64{281}, Values{"bank_ids": []any{CmdSet([]int64{271})}}, Options{})
		}},
		{"05-update-bank-commands/34-write-cmd5-clear-long", func(ctx context.Context, c *Client) error {
			return c.Write(ctx, "res.partner", []int64{281}, Values{"bank_ids": []any{CmdClear()}}, Options{})
		}},
		{"05-update-bank-commands/48-write-several-ids", func(ctx context.Context, c *Client) error {
			return c.Write(ctx, "res.partner", []int64{281, 282}, Values{"birthdate": "1990-01-01"}, Options{})
		}},
		{"08-faults/28-write-many2one-kind-false", func(ctx context.Context, c *Client) error {
			return c.Write(ctx, "res.partner", []int64{305}, Values{"kind": false}, Options{})
		}},
		{"07-search-paging/06-search_read-page-2-offset-2-limit-2", func(ctx context.Context, c *Client) error {
			_, err := c.SearchRead(ctx, "res.partner", tagDomain, []string{"name", "birthdate"},
				Options{Offset: 2, Limit: 2, Order: "id asc"})
			return err
		}},
		{"07-search-paging/05-search_read-page-1-offset-0-limit-2", func(ctx context.Context, c *Client) error {
			_, err := c.SearchRead(ctx, "res.partner", tagDomain, []string{"name", "birthdate"},
				Options{Limit: 2, Order: "id asc"})
			return err
		}},
		{"07-search-paging/11-search-ids-order-id-desc-limit-3", func(ctx context.Context, c *Client) error {
			_, err := c.Search(ctx, "res.partner", tagDomain, Options{Order: "id desc", Limit: 3})
			return err
		}},
		{"07-search-paging/30-search_read-or-domain", func(ctx context.Context, c *Client) error {
			_, err := c.SearchRead(ctx, "res.partner", Domain{"|", Cond("given_name", "=", "Amina"),
				Cond("given_name", "=", "Zainab"), Cond("addl_name", "=", "X07QPYL")}, []string{"given_name"}, Options{Order: "id asc"})
			return err
		}},
		{"07-search-paging/31-search_read-in-ids", func(ctx context.Context, c *Client) error {
			_, err := c.SearchRead(ctx, "res.partner", Domain{Cond("id", "in", []int64{293, 294, 295})}, []string{"name"}, Options{Order: "id asc"})
			return err
		}},
		{"11-web-read/07-web_read-nested-spec", func(ctx context.Context, c *Client) error {
			recs, err := c.WebRead(ctx, "res.partner", []int64{329}, webSpec, Options{})
			if err == nil && len(recs[0].Records("bank_ids")) != 2 {
				err = fmt.Errorf("records %v", recs)
			}
			return err
		}},
		{"11-web-read/13-web_search_read-bank-feed", func(ctx context.Context, c *Client) error {
			total, recs, err := c.WebSearchRead(ctx, "res.partner.bank",
				Domain{"|", Cond("partner_id", "in", []int64{329, 330}), Cond("active", "=", false)},
				Spec{"acc_number": Spec{}, "active": Spec{}, "write_date": Spec{},
					"partner_id": Spec{"fields": Fields("display_name")}, "bank_id": Spec{"fields": Fields("name", "bic")}},
				Options{Order: "write_date asc, id asc", Limit: 50, ActiveTest: &no})
			if err == nil && (total != 2 || len(recs) != 2) {
				err = fmt.Errorf("total %d, %d records", total, len(recs))
			}
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			f := replayFake(t, XMLRPC, tc.file)
			c := f.client(t, nil, nil)
			if err := tc.call(context.Background(), c); err != nil {
				t.Fatalf("call: %v", err)
			}
			if err := sameCall(f.lastCall(), recordedCall(t, XMLRPC, tc.file)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestEncodeReplaysCorpus replays every recorded execute_kw that one of the
// helpers can express (both protocols): the helper is called with the
// recorded arguments and must produce the same request.
func TestEncodeReplaysCorpus(t *testing.T) {
	root := corpusDir(t)
	for _, proto := range protocols {
		dir, ext := corpusFor(proto)
		files, _ := filepath.Glob(filepath.Join(root, dir, "*", "*.request."+ext))
		replayed, refused := 0, 0
		for _, path := range files {
			rel, _ := filepath.Rel(filepath.Join(root, dir), path)
			file := strings.TrimSuffix(rel, ".request."+ext)
			body, _ := os.ReadFile(path)
			var want rpcCall
			var err error
			if proto == JSONRPC {
				want, err = parseJSONCall(body)
			} else {
				want, err = parseXMLCall("/xmlrpc/2/object", body)
			}
			if err != nil || want.Method != "execute_kw" || len(want.Args) < 6 {
				continue // malformed on purpose, or not an execute_kw
			}
			if db, _ := want.Args[0].(string); db != "openspp" || want.Args[1] != int64(2) || want.Args[2] != "admin" {
				continue // other credentials (portal user, wrong password...)
			}
			call := helperFor(want)
			if call == nil {
				continue
			}
			f := replayFake(t, proto, file)
			c := f.client(t, nil, nil)
			err = call(context.Background(), c)
			if errors.Is(err, ErrInvalidValue) {
				// Recorded on purpose with nil or control characters: the
				// client refuses them before sending anything.
				if f.execCalls.Load() != 0 {
					t.Errorf("%s %s: refused value was sent", proto, file)
				}
				refused++
				continue
			}
			if err != nil && !isOdooFault(err) {
				t.Errorf("%s %s: %v", proto, file, err)
				continue
			}
			if err := sameCall(f.lastCall(), want); err != nil {
				t.Errorf("%s %s: %v", proto, file, err)
			}
			replayed++
		}
		t.Logf("%s: %d requests replayed, %d refused", proto, replayed, refused)
		if replayed < 250 || refused < 1 {
			t.Errorf("%s: only %d requests replayed, %d refused", proto, replayed, refused)
		}
	}
}

func isOdooFault(err error) bool {
	e, ok := AsError(err)
	return ok && e.Code != 0
}

// helperFor maps a recorded execute_kw onto the helper that should produce
// it, or nil when no helper does (positional options, load=, count_limit...).
func helperFor(rc rpcCall) func(context.Context, *Client) error {
	model, _ := rc.Args[3].(string)
	method, _ := rc.Args[4].(string)
	args, _ := rc.Args[5].([]any)
	kw := map[string]any{}
	if len(rc.Args) > 6 {
		kw, _ = rc.Args[6].(map[string]any)
	}
	o, ok := optionsFrom(kw)
	if !ok {
		return nil
	}
	known := func(keys ...string) bool {
		for k := range kw {
			if !slicesContains(append(keys, "context", "offset", "limit", "order"), k) {
				return false
			}
		}
		return true
	}
	paging := kw["offset"] != nil || kw["limit"] != nil || kw["order"] != nil
	switch method {
	case "search_read":
		fields, ok := strings_(kw["fields"])
		if len(args) != 1 || !ok || len(fields) == 0 || !known("fields") {
			return nil
		}
		d, _ := args[0].([]any)
		return func(ctx context.Context, c *Client) error {
			_, err := c.SearchRead(ctx, model, Domain(d), fields, o)
			return err
		}
	case "read":
		fields, ok := strings_(kw["fields"])
		ids, ok2 := ids_(args)
		if len(args) != 1 || !ok || !ok2 || len(fields) == 0 || paging || !known("fields") {
			return nil
		}
		return func(ctx context.Context, c *Client) error {
			_, err := c.Read(ctx, model, ids, fields, o)
			return err
		}
	case "search", "search_count":
		if len(args) != 1 || !known() || (method == "search_count" && paging) {
			return nil
		}
		d, _ := args[0].([]any)
		return func(ctx context.Context, c *Client) error {
			var err error
			if method == "search" {
				_, err = c.Search(ctx, model, Domain(d), o)
			} else {
				_, err = c.SearchCount(ctx, model, Domain(d), o)
			}
			return err
		}
	case "create":
		if len(args) != 1 || paging || !known() {
			return nil
		}
		switch v := args[0].(type) {
		case map[string]any:
			return func(ctx context.Context, c *Client) error {
				_, err := c.Create(ctx, model, Values(v), o)
				return err
			}
		case []any:
			vals := make([]Values, len(v))
			for i, x := range v {
				m, ok := x.(map[string]any)
				if !ok {
					return nil
				}
				vals[i] = m
			}
			if len(vals) == 0 {
				return nil
			}
			return func(ctx context.Context, c *Client) error {
				_, err := c.CreateMany(ctx, model, vals, o)
				return err
			}
		}
	case "write":
		ids, ok := ids_(args)
		if len(args) != 2 || !ok || paging || !known() {
			return nil
		}
		vals, ok := args[1].(map[string]any)
		if !ok || len(vals) == 0 {
			return nil
		}
		return func(ctx context.Context, c *Client) error { return c.Write(ctx, model, ids, vals, o) }
	case "unlink":
		ids, ok := ids_(args)
		if len(args) != 1 || !ok || paging || !known() {
			return nil
		}
		return func(ctx context.Context, c *Client) error { return c.Unlink(ctx, model, ids, o) }
	case "web_read":
		ids, ok := ids_(args)
		spec, ok2 := kw["specification"].(map[string]any)
		if len(args) != 1 || !ok || !ok2 || paging || !known("specification") {
			return nil
		}
		return func(ctx context.Context, c *Client) error {
			_, err := c.WebRead(ctx, model, ids, spec, o)
			return err
		}
	case "web_search_read":
		spec, ok := kw["specification"].(map[string]any)
		d, ok2 := kw["domain"].([]any)
		if len(args) != 0 || !ok || !ok2 || !known("specification", "domain") {
			return nil
		}
		return func(ctx context.Context, c *Client) error {
			_, _, err := c.WebSearchRead(ctx, model, d, spec, o)
			return err
		}
	}
	return nil
}

func optionsFrom(kw map[string]any) (Options, bool) {
	var o Options
	if v, ok := kw["offset"].(int64); ok {
		o.Offset = int(v)
	}
	if v, ok := kw["limit"].(int64); ok {
		o.Limit = int(v)
	}
	if v, ok := kw["order"].(string); ok {
		o.Order = v
	}
	if cx, ok := kw["context"].(map[string]any); ok {
		for k, v := range cx {
			if b, isBool := v.(bool); k == "active_test" && isBool {
				o.ActiveTest = &b
				continue
			}
			if o.Context == nil {
				o.Context = map[string]any{}
			}
			o.Context[k] = v
		}
	}
	return o, true
}

func strings_(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, x := range list {
		if out[i], ok = x.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

func ids_(args []any) ([]int64, bool) {
	if len(args) == 0 {
		return nil, false
	}
	list, ok := args[0].([]any)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(list))
	for i, x := range list {
		if out[i], ok = x.(int64); !ok {
			return nil, false
		}
	}
	return out, true
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
