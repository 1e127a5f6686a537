package proxy

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// readFeed follows the feed from cursor to its end and returns its items
// and the last next_cursor.
func (h *accountsHarness) readFeed(t *testing.T, query, cursor string) ([]mapping.FeedAccount, string) {
	t.Helper()
	var items []mapping.FeedAccount
	for page := 0; page < 100; page++ {
		var fp mapping.FeedPage
		q := url.Values{"limit": {"50"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		h.do(t, acctFullKey, "GET", "/bank-accounts?"+q.Encode()+query, "").want(t, http.StatusOK, &fp)
		items = append(items, fp.Items...)
		if fp.NextCursor != nil {
			cursor = *fp.NextCursor
		}
		if !fp.HasMore {
			return items, cursor
		}
	}
	t.Fatal("the feed does not end")
	return nil, ""
}

// itemsOf returns the feed items of account id.
func itemsOf(items []mapping.FeedAccount, id int64) []mapping.FeedAccount {
	var out []mapping.FeedAccount
	for _, it := range items {
		if it.ID == id {
			out = append(out, it)
		}
	}
	return out
}

// An operator archiving a registrant in Odoo does not touch its accounts:
// the feed still brings them back, with active false, to a payment
// provider that already holds them (and to new readers), and again with
// active true when the registrant is reactivated.
func TestFeedReportsAccountsOfArchivedRegistrants(t *testing.T) {
	h := newAccountsHarness(t)
	ctx := context.Background()
	p := h.registrant(t, "ARCHIVED, REGISTRANT")
	other := h.registrant(t, "ACTIVE, REGISTRANT")
	var acc, kept mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"AR-1"}`).want(t, http.StatusCreated, &acc)
	h.do(t, acctFullKey, "POST", accountsPath(other), `{"bank_name":"Ecobank Sénégal","acc_number":"AR-2"}`).want(t, http.StatusCreated, &kept)

	h.clock.Set(acctT0.Add(time.Hour))
	items, cursor := h.readFeed(t, "", "")
	if got := itemsOf(items, acc.ID); len(got) != 1 || !got[0].Active {
		t.Fatalf("before archiving: %+v, want the account once, active", got)
	}

	h.clock.Set(acctT0.Add(2 * time.Hour))
	if err := h.odoo.Write(ctx, "res.partner", []int64{p}, odoo.Values{"active": false}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(acctT0.Add(3 * time.Hour))
	items, cursor = h.readFeed(t, "", cursor)
	if got := itemsOf(items, acc.ID); len(got) != 1 || got[0].Active {
		t.Errorf("after the registrant was archived, polling from the cursor: %+v, want the account once with active false", got)
	}
	if got := itemsOf(items, kept.ID); len(got) != 0 {
		t.Errorf("an account whose registrant did not change came again: %+v", got)
	}
	fresh, _ := h.readFeed(t, "", "")
	for _, it := range itemsOf(fresh, acc.ID) {
		if it.Active {
			t.Errorf("a new reader sees the archived registrant's account as active: %+v", it)
		}
	}
	if got := itemsOf(fresh, acc.ID); len(got) == 0 {
		t.Error("a new reader does not see the archived registrant's account at all")
	}
	filtered, _ := h.readFeed(t, "&acc_number=ar1", "")
	if len(filtered) == 0 || filtered[len(filtered)-1].ID != acc.ID || filtered[len(filtered)-1].Active {
		t.Errorf("the feed filtered by the number: %+v, want the account last with active false", filtered)
	}

	h.clock.Set(acctT0.Add(4 * time.Hour))
	if err := h.odoo.Write(ctx, "res.partner", []int64{p}, odoo.Values{"active": true}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(acctT0.Add(5 * time.Hour))
	items, _ = h.readFeed(t, "", cursor)
	if got := itemsOf(items, acc.ID); len(got) != 1 || !got[0].Active {
		t.Errorf("after the registrant was reactivated: %+v, want the account once, active", got)
	}
}

// A cursor is checked: one altered, hand-made or issued for another
// filter is a 422 naming what to fix; updated_since may come with it only
// when it is not later than the cursor.
func TestFeedCursorIsCheckedAndKeepsItsFilter(t *testing.T) {
	h := newAccountsHarness(t)
	p := h.registrant(t, "CURSOR, CHECKED")
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Ecobank Sénégal","acc_number":"CC-1"}`).want(t, http.StatusCreated, nil)
	h.clock.Set(acctT0.Add(time.Hour))
	_, cursor := h.readFeed(t, "&updated_since=2026-12-03", "")
	_, filtered := h.readFeed(t, "&acc_number=CC-1", "")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatalf("cursor %q is not base64url: %v", cursor, err)
	}
	flipped := []byte(cursor)
	flipped[len(flipped)/2] ^= 1
	for _, tt := range []struct{ query, param string }{
		{"cursor=" + string(flipped), "cursor"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString(append(raw[:len(raw)-1:len(raw)-1], '0')), "cursor"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("2026-12-03 10:00:00|1")), "cursor"},
		{"cursor=" + cursor + "AA", "cursor"},
		{"cursor=" + filtered, "acc_number"},
		{"cursor=" + filtered + "&acc_number=CC-2", "acc_number"},
		{"cursor=" + cursor + "&acc_number=CC-1", "acc_number"},
		{"cursor=" + cursor + "&updated_since=2026-12-04", "updated_since"},
	} {
		h.do(t, acctFullKey, "GET", "/bank-accounts?"+tt.query, "").wantParameterProblem(t, http.StatusUnprocessableEntity, "validation_failed", tt.param)
	}
	for _, ok := range []string{"cursor=" + cursor, "cursor=" + cursor + "&updated_since=2026-12-03",
		"cursor=" + filtered + "&acc_number=cc%201"} {
		h.do(t, acctFullKey, "GET", "/bank-accounts?"+ok, "").want(t, http.StatusOK, nil)
	}
}
