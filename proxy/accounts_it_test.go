package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// TestAccountsAgainstRealOdoo runs the bank-account scenario against a real
// OpenSPP when G2P_PROXY_IT_ODOO_URL, _DB, _USER and _PASSWORD are set: the
// facts the emulator only imitates (sanitized search, archived rows in the
// unique constraint, write_date stored with sub-second precision) are
// checked there. Every name carries a random tag; the records stay behind.
func TestAccountsAgainstRealOdoo(t *testing.T) {
	u := os.Getenv("G2P_PROXY_IT_ODOO_URL")
	if u == "" {
		t.Skip("G2P_PROXY_IT_ODOO_{URL,DB,USER,PASSWORD} not set")
	}
	c, err := odoo.New(odoo.Config{URL: u, DB: os.Getenv("G2P_PROXY_IT_ODOO_DB"), Login: os.Getenv("G2P_PROXY_IT_ODOO_USER"),
		Secret: os.Getenv("G2P_PROXY_IT_ODOO_PASSWORD"), Timeout: 60 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	// No settle delay: this test is the only writer of its tagged rows.
	h := newAccountsHarnessOn(t, c, mapping.AccountsOptions{SettleDelay: -1})
	var b [4]byte
	_, _ = rand.Read(b[:])
	tag := "IT" + hex.EncodeToString(b[:])
	ctx := context.Background()
	start := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)

	p := h.registrant(t, "ACCOUNTS, TEST "+tag)
	var acc, again mapping.BankAccount
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Bank `+tag+`","acc_number":"`+tag+` 0001"}`).want(t, http.StatusCreated, &acc)
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"bank `+tag+`","acc_number":"`+tag+`-0001"}`).want(t, http.StatusOK, &again)
	if again.ID != acc.ID {
		t.Errorf("same number again: account %d, want %d", again.ID, acc.ID)
	}
	h.do(t, acctFullKey, "DELETE", accountPath(p, acc.ID), "").want(t, http.StatusNoContent, nil)
	h.do(t, acctFullKey, "DELETE", accountPath(p, acc.ID), "").want(t, http.StatusNoContent, nil)
	h.do(t, acctFullKey, "POST", accountsPath(p), `{"bank_name":"Bank `+tag+`","acc_number":"`+tag+`0001"}`).want(t, http.StatusOK, &again)
	if again.ID != acc.ID || !again.Active {
		t.Errorf("re-added number: %+v, want account %d reactivated", again, acc.ID)
	}
	h.do(t, acctFullKey, "PATCH", accountPath(p, acc.ID), `{"bank_name":"Other Bank `+tag+`"}`).want(t, http.StatusOK, &again)
	recs, err := c.Read(ctx, "res.bank", []int64{acc.Bank.ID}, []string{"name"}, odoo.Options{})
	if err != nil || len(recs) != 1 {
		t.Fatal(err)
	}
	if name, _ := recs[0].String("name"); name != "Bank "+tag || again.Bank.ID == acc.Bank.ID {
		t.Errorf("after re-pointing, the old bank is named %q and the account's bank is %+v", name, again.Bank)
	}

	// Three accounts in one transaction share write_date to the microsecond.
	vals := []odoo.Values{}
	for _, n := range []string{"A", "B", "C"} {
		vals = append(vals, odoo.Values{"partner_id": p, "acc_number": tag + "-" + n})
	}
	if _, err := c.CreateMany(ctx, "res.partner.bank", vals, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	cursor := ""
	for page := 0; page < 20; page++ {
		var fp mapping.FeedPage
		h.do(t, acctFullKey, "GET", "/bank-accounts?limit=1&updated_since="+url.QueryEscape(start)+"&cursor="+cursor, "").want(t, http.StatusOK, &fp)
		for _, it := range fp.Items {
			if it.RegistrantID == p {
				seen[it.ID]++
			}
		}
		if fp.NextCursor != nil {
			cursor = *fp.NextCursor
		}
		if !fp.HasMore {
			break
		}
	}
	if len(seen) != 4 {
		t.Errorf("the feed delivered %d of the registrant's 4 accounts: %v", len(seen), seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("account %d delivered %d times", id, n)
		}
	}
}
