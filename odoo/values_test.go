package odoo

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRefusedValuesNeverReachOdoo(t *testing.T) {
	var nilStr *string
	for _, tc := range []struct {
		name string
		vals Values
		path string
	}{
		{"nil", Values{"email": nil}, "args[0].email"},
		{"nil in nested command", Values{"bank_ids": []any{CmdCreate(Values{"acc_number": nil})}}, "args[0].bank_ids[0][2].acc_number"},
		{"typed nil pointer", Values{"email": nilStr}, "args[0].email"},
		{"time.Time", Values{"birthdate": time.Now()}, "args[0].birthdate"},
		{"NaN", Values{"income": math.NaN()}, "args[0].income"},
		{"control character", Values{"name": "Amina\x01"}, "args[0].name"},
		{"invalid UTF-8", Values{"name": "\xff"}, "args[0].name"},
		{"key kolo would not escape", Values{"a<b": 1}, ""},
		{"bytes", Values{"name": []byte("x")}, "args[0].name"},
		{"struct", Values{"bank_id": Many2One{ID: 1}}, "args[0].bank_id"},
	} {
		for _, proto := range protocols {
			f := newFake(t, proto, func(rpcCall) reply { return reply{status: 500} })
			c := f.client(t, nil, nil)
			_, err := c.Create(context.Background(), "res.partner", tc.vals, Options{})
			if !errors.Is(err, ErrInvalidValue) {
				t.Errorf("%s/%s: got %v, want ErrInvalidValue", tc.name, proto, err)
				continue
			}
			if tc.path != "" && !strings.Contains(err.Error(), " at "+tc.path+":") {
				t.Errorf("%s: error %q does not name %s", tc.name, err, tc.path)
			}
			if n := f.execCalls.Load() + f.authCalls.Load(); n != 0 {
				t.Errorf("%s: %d requests sent", tc.name, n)
			}
		}
	}
}

// Accepted values are sent as the plain types both protocols carry; nil maps
// and slices go out empty (encoding/json alone would send null).
func TestAcceptedValuesAreNormalized(t *testing.T) {
	name := "Amina"
	for _, proto := range protocols {
		f := newFake(t, proto, nil)
		f.respond = func(rpcCall) reply { return f.result(int64(7)) }
		c := f.client(t, nil, nil)
		_, err := c.Create(context.Background(), "res.partner", Values{
			"name": &name, "age": uint8(3), "kind": int32(4), "income": json.Number("12.5"), "count": json.Number("12"),
			"tags":     CmdSet(nil),
			"bank_ids": []any{CmdClear(), CmdCreate(nil)},
			"reg_ids":  []int64(nil),
			"email":    false,
		}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := f.lastCall().Args[5].([]any)[0].(map[string]any)
		want := map[string]any{"name": "Amina", "age": int64(3), "kind": int64(4), "income": 12.5, "count": int64(12),
			"tags": []any{int64(6), int64(0), []any{}}, "bank_ids": []any{[]any{int64(5), int64(0), int64(0)},
				[]any{int64(0), int64(0), map[string]any{}}}, "reg_ids": []any{}, "email": false}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", proto, got, want)
		}
	}
}

func TestContextOnEveryCall(t *testing.T) {
	f := newFake(t, XMLRPC, nil)
	f.respond = func(rpcCall) reply { return f.result(int64(0)) }
	c := f.client(t, func(cfg *Config) { cfg.Lang = "fr_FR" }, nil)
	ctx := context.Background()
	kwCtx := func() map[string]any {
		kw := f.lastCall().Args[6].(map[string]any)
		return kw["context"].(map[string]any)
	}
	if _, err := c.SearchCount(ctx, "res.partner", nil, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := kwCtx(); !reflect.DeepEqual(got, map[string]any{"lang": "fr_FR", "tz": "UTC"}) {
		t.Errorf("default context %v", got)
	}
	if got := f.lastCall().Args[5]; !reflect.DeepEqual(got, []any{[]any{}}) {
		t.Errorf("nil domain sent as %#v, want []", got)
	}
	yes := true
	if _, err := c.SearchCount(ctx, "res.partner", nil, Options{ActiveTest: &yes, Context: map[string]any{"tz": "Africa/Dakar", "x": 1}}); err != nil {
		t.Fatal(err)
	}
	if got := kwCtx(); !reflect.DeepEqual(got, map[string]any{"lang": "fr_FR", "tz": "Africa/Dakar", "x": int64(1), "active_test": true}) {
		t.Errorf("merged context %v", got)
	}
	given := map[string]any{"context": map[string]any{"lang": "en_GB"}, "limit": 1}
	if _, err := c.ExecuteKw(ctx, "res.partner", "search", []any{[]any{}}, given); err != nil {
		t.Fatal(err)
	}
	if got := kwCtx(); !reflect.DeepEqual(got, map[string]any{"lang": "en_GB", "tz": "UTC"}) {
		t.Errorf("ExecuteKw context %v", got)
	}
	if len(given) != 2 || len(given["context"].(map[string]any)) != 1 {
		t.Errorf("caller's kwargs modified: %v", given)
	}
}

func TestCallCounterAndObserve(t *testing.T) {
	type obs struct {
		model, method string
		err           error
	}
	var mu sync.Mutex
	var seen []obs
	f := newFake(t, JSONRPC, nil)
	calls := 0
	f.respond = func(rpcCall) reply {
		calls++
		if calls == 2 {
			return f.fault(2, excMissing, missingPrefix+"\n(Record: res.partner(9,), User: 2)")
		}
		return f.result(true)
	}
	c := f.client(t, func(cfg *Config) {
		cfg.Observe = func(model, method string, d time.Duration, err error) {
			mu.Lock()
			seen = append(seen, obs{model, method, err})
			mu.Unlock()
		}
	}, nil)
	outer, all := WithCallCounter(context.Background())
	if err := c.Write(outer, "res.partner", []int64{1}, Values{"name": "x"}, Options{}); err != nil {
		t.Fatal(err)
	}
	inner, part := WithCallCounter(outer)
	err := c.Write(inner, "res.partner", []int64{9}, Values{"name": "y"}, Options{})
	if !IsKind(err, KindMissing) {
		t.Fatalf("want KindMissing, got %v", err)
	}
	if err := c.Write(inner, "res.partner", []int64{9}, Values{}, Options{}); err != nil {
		t.Fatal(err) // empty write: no call
	}
	if all.Count() != 2 || part.Count() != 1 {
		t.Errorf("counters %d/%d, want 2/1", all.Count(), part.Count())
	}
	if len(seen) != 2 || seen[0] != (obs{"res.partner", "write", nil}) || seen[1].method != "write" || !IsKind(seen[1].err, KindMissing) {
		t.Errorf("observed %+v", seen)
	}
}

func TestReadsNeedExplicitFields(t *testing.T) {
	f := newFake(t, XMLRPC, func(rpcCall) reply { return reply{status: 500} })
	c := f.client(t, nil, nil)
	ctx := context.Background()
	_, err1 := c.SearchRead(ctx, "res.partner.bank", nil, nil, Options{})
	_, err2 := c.Read(ctx, "res.partner.bank", []int64{1}, []string{}, Options{})
	_, err3 := c.WebRead(ctx, "res.partner.bank", []int64{1}, Spec{}, Options{})
	_, _, err4 := c.WebSearchRead(ctx, "res.partner.bank", nil, nil, Options{})
	for i, err := range []error{err1, err2, err3, err4} {
		if !errors.Is(err, ErrInvalidValue) {
			t.Errorf("read %d without fields: %v", i, err)
		}
	}
	if n := f.execCalls.Load(); n != 0 {
		t.Errorf("%d calls sent", n)
	}
}

func TestRecordAccessorsOnOddShapes(t *testing.T) {
	r := Record{
		"pair_bad":  []any{"x", "y"},
		"pair_long": []any{int64(1), "a", "b"},
		"int_float": int64(3),
		"obj_name":  map[string]any{"id": int64(4), "name": "Bank"},
		"obj_noid":  map[string]any{"name": "Bank"},
		"dt_frac":   "2026-12-03 18:41:38.123456",
		"bad_date":  "03/12/2026",
		"none":      nil,
	}
	if _, ok := r.Many2One("pair_bad"); ok {
		t.Error("pair with a non-int id")
	}
	if _, ok := r.Many2One("pair_long"); ok {
		t.Error("triple is no many2one")
	}
	if f, ok := r.Float("int_float"); !ok || f != 3 {
		t.Errorf("Float of int %v", f)
	}
	if m, ok := r.Many2One("obj_name"); !ok || m != (Many2One{4, "Bank"}) {
		t.Errorf("object with name %+v", m)
	}
	if _, ok := r.Many2One("obj_noid"); ok {
		t.Error("object without id")
	}
	if d, ok := r.Datetime("dt_frac"); !ok || d.Nanosecond() != 123456000 {
		t.Errorf("fractional datetime %v %v", d, ok)
	}
	if _, ok := r.Date("bad_date"); ok {
		t.Error("bad date accepted")
	}
	if _, ok := r.String("none"); ok || r.Bool("none") || r.IDs("none") != nil || r.Records("none") != nil {
		t.Error("null must be absent")
	}
	if r.ID() != 0 {
		t.Error("ID of a record without id")
	}
	if FormatDate(time.Date(2026, 1, 2, 23, 0, 0, 0, time.UTC)) != "2026-01-02" ||
		FormatDatetime(time.Date(2026, 1, 2, 23, 30, 0, 0, time.FixedZone("x", 3600))) != "2026-01-02 22:30:00" {
		t.Error("Format helpers")
	}
}

func TestLastExceptionEdgeCases(t *testing.T) {
	for _, tc := range []struct{ tb, name, msg string }{
		{"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\n    g()\nStopIteration\n", "builtins.StopIteration", ""},
		{"Traceback (most recent call last):\n  File \"a.py\", line 1\nKeyError: 'x'\n\nDuring handling of the above exception, another exception occurred:\n\n" +
			"Traceback (most recent call last):\n  File \"b.py\", line 2\nodoo.exceptions.CacheMiss: 'res.partner(1,).name'\n", "odoo.exceptions.CacheMiss", "'res.partner(1,).name'"},
		{"cannot marshal None unless allow_none is enabled", "", "cannot marshal None unless allow_none is enabled"},
		{"Traceback (most recent call last):\n  File \"c.py\", line 3\npsycopg2.errors.UniqueViolation: duplicate key\nDETAIL:  Key (x)=(1) already exists.\n", "psycopg2.errors.UniqueViolation", "duplicate key"},
	} {
		name, msg := lastException(tc.tb)
		if name != tc.name || msg != tc.msg {
			t.Errorf("lastException(%q) = %q, %q; want %q, %q", tc.tb, name, msg, tc.name, tc.msg)
		}
	}
}
