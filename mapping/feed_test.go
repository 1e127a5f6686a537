package mapping

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// microsecondOdoo answers the feed's web_search_read like PostgreSQL behind
// Odoo 17 does: write_date is stored with microseconds, compared and sorted
// with them, and shown to the second. Only the domain leaves the feed sends
// are understood; anything else fails the test.
type microsecondOdoo struct {
	Odoo  // the feed calls WebSearchRead only
	t     *testing.T
	rows  []fakeAccount
	calls int
}

type fakeAccount struct {
	id    int64
	wrote time.Time // with microseconds
}

func (f *microsecondOdoo) WebSearchRead(_ context.Context, model string, domain odoo.Domain, _ odoo.Spec, o odoo.Options) (int64, []odoo.Record, error) {
	f.calls++
	if model != modelAccount || o.ActiveTest == nil || *o.ActiveTest {
		f.t.Fatalf("feed read %s with active_test %v; want res.partner.bank with archived rows", model, o.ActiveTest)
	}
	var match []fakeAccount
	for _, r := range f.rows {
		if f.matches(r, domain) {
			match = append(match, r)
		}
	}
	switch o.Order {
	case "id asc":
		slices.SortFunc(match, func(x, y fakeAccount) int { return cmp.Compare(x.id, y.id) })
	case "write_date asc, id asc":
		slices.SortFunc(match, func(x, y fakeAccount) int {
			if c := x.wrote.Compare(y.wrote); c != 0 {
				return c
			}
			return cmp.Compare(x.id, y.id)
		})
	default:
		f.t.Fatalf("unexpected order %q", o.Order)
	}
	if o.Limit > 0 && len(match) > o.Limit {
		match = match[:o.Limit]
	}
	recs := make([]odoo.Record, len(match))
	for i, r := range match {
		recs[i] = odoo.Record{"id": r.id, "acc_number": fmt.Sprint("ACC", r.id), "active": true,
			"write_date": odoo.FormatDatetime(r.wrote), "partner_id": map[string]any{"id": int64(7), "reg_ids": []any{}}}
	}
	return int64(len(match)), recs, nil
}

func (f *microsecondOdoo) matches(r fakeAccount, domain odoo.Domain) bool {
	for _, d := range domain {
		leaf := d.([]any)
		field, op := leaf[0].(string), leaf[1].(string)
		switch field {
		case "partner_id.is_registrant":
			continue
		case "id":
			if op != ">" {
				f.t.Fatalf("unexpected leaf %v", leaf)
			}
			if r.id <= leaf[2].(int64) {
				return false
			}
		case "write_date":
			bound, err := time.Parse(time.DateTime, leaf[2].(string))
			if err != nil {
				f.t.Fatalf("leaf %v: %v", leaf, err)
			}
			switch op {
			case ">=":
				if r.wrote.Before(bound) {
					return false
				}
			case "<":
				if !r.wrote.Before(bound) {
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

// TestFeedWithMicrosecondTimestamps pages through accounts whose ids do not
// follow their write order inside a second (as when transactions overlap):
// every account comes exactly once, in (second, id) order, within 3 calls a
// page, whatever the page size.
func TestFeedWithMicrosecondTimestamps(t *testing.T) {
	base := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	fake := &microsecondOdoo{t: t}
	for id := int64(1); id <= 240; id++ {
		// 4 seconds; most accounts in one busy second.
		sec := time.Duration(min(rng.IntN(6), 3)) * time.Second
		fake.rows = append(fake.rows, fakeAccount{id: id, wrote: base.Add(sec + time.Duration(rng.IntN(1e6))*time.Microsecond)})
	}
	want := slices.Clone(fake.rows)
	slices.SortFunc(want, func(x, y fakeAccount) int {
		if c := x.wrote.Truncate(time.Second).Compare(y.wrote.Truncate(time.Second)); c != 0 {
			return c
		}
		return cmp.Compare(x.id, y.id)
	})
	for _, size := range []int{1, 7, 50, 500} {
		t.Run(fmt.Sprint("pages of ", size), func(t *testing.T) {
			acc := NewAccounts(fake, nil, AccountsOptions{SettleDelay: -1}, zap.NewNop())
			var got []int64
			cursor := ""
			for page := 0; ; page++ {
				if page > len(want)+1 {
					t.Fatal("the feed does not end")
				}
				fake.calls = 0
				p, err := acc.Feed(context.Background(), FeedQuery{Cursor: cursor, Limit: size})
				if err != nil {
					t.Fatal(err)
				}
				if fake.calls > 3 {
					t.Errorf("page %d took %d Odoo calls, want at most 3", page, fake.calls)
				}
				for _, it := range p.Items {
					got = append(got, it.ID)
				}
				if p.NextCursor != nil {
					cursor = *p.NextCursor
				}
				if !p.HasMore {
					break
				}
			}
			if len(got) != len(want) {
				t.Fatalf("got %d accounts, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i].id {
					t.Fatalf("account %d is id %d, want %d (order by second, then id)", i, got[i], want[i].id)
				}
			}
		})
	}
}

func TestFeedRefusesBadParameters(t *testing.T) {
	acc := NewAccounts(&microsecondOdoo{t: t}, nil, AccountsOptions{}, zap.NewNop())
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		q       FeedQuery
		pointer string
	}{
		{"cursor not base64", FeedQuery{Cursor: "not a cursor!"}, "?cursor"},
		{"cursor without id", FeedQuery{Cursor: b64("2026-12-03 10:00:00")}, "?cursor"},
		{"cursor with a bad time", FeedQuery{Cursor: b64("2026-13-03 10:00:00|5")}, "?cursor"},
		{"cursor with id 0", FeedQuery{Cursor: b64("2026-12-03 10:00:00|0")}, "?cursor"},
		{"cursor with a negative id", FeedQuery{Cursor: b64("2026-12-03 10:00:00|-4")}, "?cursor"},
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

func TestCursorRoundTrip(t *testing.T) {
	pos := feedPosition{sec: time.Date(2026, 12, 3, 10, 0, 7, 0, time.UTC), id: 42}
	got, ok := parseCursor(pos.cursor())
	if !ok || got != pos {
		t.Errorf("parseCursor(cursor(%v)) = %v, %v", pos, got, ok)
	}
	if _, ok := parseCursor(pos.cursor() + "=="); !ok {
		t.Error("a cursor with base64 padding added should still parse")
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
