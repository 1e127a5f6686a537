package mapping

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// microsecondOdoo answers the feed's searches like PostgreSQL behind Odoo
// 17 does: write_date is stored with microseconds, compared and sorted with
// them, and shown to the second. Only the domain leaves the feed sends are
// understood; anything else fails the test.
type microsecondOdoo struct {
	Odoo     // the feed calls WebSearchRead only
	t        *testing.T
	rows     []fakeAccount
	partners map[int64]time.Time // registrant id -> write_date; absent: 7, written long ago
	calls    int
}

type fakeAccount struct {
	id      int64
	wrote   time.Time // with microseconds
	partner int64     // 0: registrant 7
}

var longAgo = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func (f *microsecondOdoo) partnerOf(r fakeAccount) (int64, time.Time) {
	if r.partner == 0 {
		return 7, longAgo
	}
	return r.partner, f.partners[r.partner]
}

func sortByMicroseconds[T any](rows []T, order string, id func(T) int64, wrote func(T) time.Time) {
	slices.SortFunc(rows, func(x, y T) int {
		if order == "write_date asc, id asc" {
			if c := wrote(x).Compare(wrote(y)); c != 0 {
				return c
			}
		}
		return cmp.Compare(id(x), id(y))
	})
}

func (f *microsecondOdoo) WebSearchRead(_ context.Context, model string, domain odoo.Domain, _ odoo.Spec, o odoo.Options) (int64, []odoo.Record, error) {
	f.calls++
	if o.ActiveTest == nil || *o.ActiveTest {
		f.t.Fatalf("feed read %s with active_test %v; want archived rows too", model, o.ActiveTest)
	}
	switch model {
	case modelPartner:
		return f.partnersWithAccounts(domain, o)
	case modelAccount:
	default:
		f.t.Fatalf("feed read %s", model)
	}
	var match []fakeAccount
	for _, r := range f.rows {
		pid, pwrote := f.partnerOf(r)
		if f.matches(domain, map[string]any{"id": r.id, "write_date": r.wrote, "partner_id": pid, "partner_id.write_date": pwrote}) {
			match = append(match, r)
		}
	}
	f.checkOrder(o.Order)
	sortByMicroseconds(match, o.Order, func(r fakeAccount) int64 { return r.id }, func(r fakeAccount) time.Time { return r.wrote })
	if o.Limit > 0 && len(match) > o.Limit {
		match = match[:o.Limit]
	}
	recs := make([]odoo.Record, len(match))
	for i, r := range match {
		recs[i] = f.accountRecord(r)
	}
	return int64(len(match)), recs, nil
}

func (f *microsecondOdoo) accountRecord(r fakeAccount) odoo.Record {
	pid, pwrote := f.partnerOf(r)
	return odoo.Record{"id": r.id, "acc_number": fmt.Sprint("ACC", r.id), "active": true,
		"write_date": odoo.FormatDatetime(r.wrote),
		"partner_id": map[string]any{"id": pid, "active": true, "write_date": odoo.FormatDatetime(pwrote), "reg_ids": []any{}}}
}

// partnersWithAccounts is the registrant search: write_date and the
// accounts (bank_ids) of each registrant.
func (f *microsecondOdoo) partnersWithAccounts(domain odoo.Domain, o odoo.Options) (int64, []odoo.Record, error) {
	type partner struct {
		id    int64
		wrote time.Time
	}
	var match []partner
	for id, wrote := range f.partners {
		if f.matches(domain, map[string]any{"id": id, "write_date": wrote}) {
			match = append(match, partner{id, wrote})
		}
	}
	f.checkOrder(o.Order)
	sortByMicroseconds(match, o.Order, func(p partner) int64 { return p.id }, func(p partner) time.Time { return p.wrote })
	if o.Limit > 0 && len(match) > o.Limit {
		match = match[:o.Limit]
	}
	recs := make([]odoo.Record, len(match))
	for i, p := range match {
		accounts := []any{}
		for _, r := range f.rows {
			if pid, _ := f.partnerOf(r); pid == p.id {
				accounts = append(accounts, map[string]any(f.accountRecord(r)))
			}
		}
		recs[i] = odoo.Record{"id": p.id, "write_date": odoo.FormatDatetime(p.wrote), "bank_ids": accounts}
	}
	return int64(len(match)), recs, nil
}

func (f *microsecondOdoo) checkOrder(order string) {
	if order != "id asc" && order != "write_date asc, id asc" {
		f.t.Fatalf("unexpected order %q", order)
	}
}

// matches evaluates the leaves the feed sends against a row's values.
func (f *microsecondOdoo) matches(domain odoo.Domain, row map[string]any) bool {
	for _, d := range domain {
		leaf := d.([]any)
		field, op := leaf[0].(string), leaf[1].(string)
		switch {
		case field == "partner_id.is_registrant" || field == "is_registrant" || field == "bank_ids" && op == "!=":
			continue // every fake partner is a registrant with accounts
		case field == "id" && op == ">":
			if row["id"].(int64) <= leaf[2].(int64) {
				return false
			}
		case field == "write_date" || field == "partner_id.write_date":
			bound, err := time.Parse(time.DateTime, leaf[2].(string))
			if err != nil {
				f.t.Fatalf("leaf %v: %v", leaf, err)
			}
			wrote := row[field].(time.Time)
			switch op {
			case ">=":
				if wrote.Before(bound) {
					return false
				}
			case "<":
				if !wrote.Before(bound) {
					return false
				}
			default:
				f.t.Fatalf("unexpected leaf %v (equality on a displayed write_date matches nothing in PostgreSQL)", leaf)
			}
		default:
			f.t.Fatalf("unexpected leaf %v", leaf)
		}
	}
	return true
}

// event is an expected feed item: an account at a second, for its own
// change or its registrant's.
type event struct {
	sec  time.Time
	kind feedKind
	id   int64
}

// pageThrough follows the feed to its end with pages of size and returns
// its items as (second, id) pairs; each page may cost at most 5 calls.
func pageThrough(t *testing.T, fake *microsecondOdoo, acc *Accounts, size int) []FeedAccount {
	t.Helper()
	var got []FeedAccount
	cursor := ""
	for page := 0; ; page++ {
		if page > 2*len(fake.rows)+len(fake.partners)+2 {
			t.Fatal("the feed does not end")
		}
		fake.calls = 0
		p, err := acc.Feed(context.Background(), FeedQuery{Cursor: cursor, Limit: size})
		if err != nil {
			t.Fatal(err)
		}
		if fake.calls > 5 {
			t.Errorf("page %d took %d Odoo calls, want at most 5", page, fake.calls)
		}
		if len(p.Items) > size {
			t.Errorf("page %d has %d items, more than the limit %d", page, len(p.Items), size)
		}
		got = append(got, p.Items...)
		if p.NextCursor != nil {
			cursor = *p.NextCursor
		}
		if !p.HasMore {
			return got
		}
	}
}

// TestFeedWithMicrosecondTimestamps pages through accounts whose ids do not
// follow their write order inside a second (as when transactions overlap),
// some of whose registrants were written after them: every account comes
// exactly once for its own change and once more when its registrant
// changed later, in (second, kind, id) order, within 6 calls a page,
// whatever the page size.
func TestFeedWithMicrosecondTimestamps(t *testing.T) {
	base := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	fake := &microsecondOdoo{t: t, partners: map[int64]time.Time{}}
	at := func(maxSec int) time.Time {
		// Most writes in one busy second.
		sec := time.Duration(min(rng.IntN(maxSec+2), maxSec)) * time.Second
		return base.Add(sec + time.Duration(rng.IntN(1e6))*time.Microsecond)
	}
	var want []event
	for id := int64(1); id <= 240; id++ {
		a := fakeAccount{id: id, wrote: at(3)}
		if id%3 != 0 {
			// Registrants 100..139, each with several accounts, written
			// at random: before, in the same second as, or after them.
			a.partner = 100 + id%40
			if _, ok := fake.partners[a.partner]; !ok {
				fake.partners[a.partner] = at(5)
			}
		}
		fake.rows = append(fake.rows, a)
	}
	for _, a := range fake.rows {
		sec := a.wrote.Truncate(time.Second)
		want = append(want, event{sec, accountChanged, a.id})
		if _, pwrote := fake.partnerOf(a); pwrote.Truncate(time.Second).After(sec) {
			want = append(want, event{pwrote.Truncate(time.Second), registrantChanged, a.id})
		}
	}
	slices.SortFunc(want, func(x, y event) int {
		return feedPosition{x.sec, x.kind, x.id}.compare(feedPosition{y.sec, y.kind, y.id})
	})
	if n := len(want) - len(fake.rows); n < 20 {
		t.Fatalf("only %d registrant events: the test data does not exercise them", n)
	}
	for _, size := range []int{1, 7, 50, 500} {
		t.Run(fmt.Sprint("pages of ", size), func(t *testing.T) {
			acc := NewAccounts(fake, nil, AccountsOptions{SettleDelay: -1}, zap.NewNop())
			got := pageThrough(t, fake, acc, size)
			if len(got) != len(want) {
				t.Fatalf("got %d items, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].ID != want[i].id {
					t.Fatalf("item %d is account %d, want %d (order by second, own change before registrant's, then id)", i, got[i].ID, want[i].id)
				}
			}
		})
	}
}

func TestFeedRefusesBadParameters(t *testing.T) {
	acc := NewAccounts(&microsecondOdoo{t: t}, nil, AccountsOptions{}, zap.NewNop())
	pos := feedPosition{sec: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), kind: accountChanged, id: 5}
	good := encodeCursor(pos, "")
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	// signed makes a cursor of payload with a correct check: only the
	// parser's strictness refuses it.
	signed := func(payload string) string { return b64(payload + "." + cursorCheck(payload)) }
	tests := []struct {
		name    string
		q       FeedQuery
		pointer string
	}{
		{"cursor not base64", FeedQuery{Cursor: "not a cursor!"}, "?cursor"},
		{"cursor of an older format", FeedQuery{Cursor: b64("2026-12-03 10:00:00|5")}, "?cursor"},
		{"cursor with base64 padding", FeedQuery{Cursor: good + "=="}, "?cursor"},
		{"cursor truncated", FeedQuery{Cursor: good[:len(good)-3]}, "?cursor"},
		{"cursor with another id", FeedQuery{Cursor: b64(strings.Replace(string(raw), ".a.5.", ".a.6.", 1))}, "?cursor"},
		{"cursor with another check", FeedQuery{Cursor: b64(string(raw[:len(raw)-1]) + "0")}, "?cursor"},
		{"cursor with id 0", FeedQuery{Cursor: signed("f1.1796292000.a.0.")}, "?cursor"},
		{"cursor with a padded id", FeedQuery{Cursor: signed("f1.1796292000.a.05.")}, "?cursor"},
		{"cursor with a 33-bit id", FeedQuery{Cursor: signed("f1.1796292000.a.2147483648.")}, "?cursor"},
		{"cursor of an unknown kind", FeedQuery{Cursor: signed("f1.1796292000.x.5.")}, "?cursor"},
		{"cursor of another version", FeedQuery{Cursor: signed("f2.1796292000.a.5.")}, "?cursor"},
		{"cursor with a bad filter", FeedQuery{Cursor: signed("f1.1796292000.a.5.zz")}, "?cursor"},
		{"cursor of a feed filtered by number", FeedQuery{Cursor: encodeCursor(pos, cursorFilter("DE89"))}, "?acc_number"},
		{"cursor of another number", FeedQuery{Cursor: encodeCursor(pos, cursorFilter("DE89")), AccNumber: "DE90"}, "?acc_number"},
		{"cursor of the unfiltered feed", FeedQuery{Cursor: good, AccNumber: "DE89"}, "?acc_number"},
		{"updated_since after the cursor", FeedQuery{Cursor: good, UpdatedSince: "2026-12-03T10:00:01Z"}, "?updated_since"},
		{"updated_since not a time", FeedQuery{UpdatedSince: "yesterday"}, "?updated_since"},
		{"updated_since without zone", FeedQuery{UpdatedSince: "2026-12-03T10:00:00"}, "?updated_since"},
		{"acc_number of punctuation", FeedQuery{AccNumber: "--"}, "?acc_number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := acc.Feed(context.Background(), tt.q)
			if errCode(err) != CodeValidationFailed || !hasPointer(err, tt.pointer) {
				t.Errorf("Feed(%+v) = %v, want validation_failed on %s", tt.q, err, tt.pointer)
			}
		})
	}
}

// A cursor comes back as it was issued, with the same filter, in any
// spelling of the number; updated_since at or before it is redundant.
func TestCursorRoundTrip(t *testing.T) {
	for _, pos := range []feedPosition{
		{sec: time.Date(2026, 12, 3, 10, 0, 7, 0, time.UTC), kind: accountChanged, id: 42},
		{sec: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), kind: registrantChanged, id: MaxRecordID},
	} {
		for _, filter := range []string{"", cursorFilter("DE89 3704")} {
			got, gotFilter, ok := parseCursor(encodeCursor(pos, filter))
			if !ok || got != pos || gotFilter != filter {
				t.Errorf("parseCursor(encodeCursor(%v, %q)) = %v, %q, %v", pos, filter, got, gotFilter, ok)
			}
		}
	}
	if cursorFilter("de89-3704") != cursorFilter("DE89 3704") {
		t.Error("the filter of a cursor depends on the number's spelling")
	}
	fake := &microsecondOdoo{t: t}
	acc := NewAccounts(fake, nil, AccountsOptions{SettleDelay: -1}, zap.NewNop())
	c := encodeCursor(feedPosition{sec: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), id: 5}, cursorFilter("de89-3704"))
	for _, since := range []string{"", "2026-12-03", "2026-12-03T10:00:00Z"} {
		if _, err := acc.Feed(context.Background(), FeedQuery{Cursor: c, AccNumber: "DE89 3704", UpdatedSince: since}); err != nil {
			t.Errorf("cursor with updated_since %q: %v", since, err)
		}
	}
}

func TestFeedPageSize(t *testing.T) {
	base := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	fake := &microsecondOdoo{t: t}
	for id := int64(1); id <= 10; id++ {
		fake.rows = append(fake.rows, fakeAccount{id: id, wrote: base.Add(time.Duration(id) * time.Second)})
	}
	acc := NewAccounts(fake, nil, AccountsOptions{DefaultPageSize: 2, MaxPageSize: 3, SettleDelay: -1}, zap.NewNop())
	for _, tt := range []struct{ limit, want int }{{0, 2}, {1, 1}, {3, 3}, {1000, 3}} {
		p, err := acc.Feed(context.Background(), FeedQuery{Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != tt.want || !p.HasMore {
			t.Errorf("limit %d: %d items (has_more %v), want %d and more", tt.limit, len(p.Items), p.HasMore, tt.want)
		}
	}
}
