package mapping

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// FeedRegistrationID is one registration id of an account's registrant.
type FeedRegistrationID struct {
	IDType *string `json:"id_type"`
	Value  *string `json:"value"`
}

// FeedAccount is one item of the account feed: the account and its
// registrant's registration ids.
type FeedAccount struct {
	BankAccount
	RegistrationIDs []FeedRegistrationID `json:"registration_ids"`
}

// Masked returns the item with its numbers masked (see BankAccount.Masked).
func (f FeedAccount) Masked() FeedAccount {
	f.BankAccount = f.BankAccount.Masked()
	return f
}

// FeedPage is one page of the feed. NextCursor continues after the last
// item (or repeats the request's cursor when the page is empty); keep it to
// poll for later changes. HasMore says whether more changes were already
// waiting when the page was read.
type FeedPage struct {
	Items      []FeedAccount `json:"items"`
	NextCursor *string       `json:"next_cursor"`
	HasMore    bool          `json:"has_more"`
}

// FeedQuery are the parameters of GET /bank-accounts, as sent.
type FeedQuery struct {
	UpdatedSince string // RFC 3339 or YYYY-MM-DD (UTC), inclusive
	Cursor       string // a NextCursor
	Limit        int    // 0 = default page size; larger than the maximum = the maximum
	AccNumber    string // only this number, in any formatting
}

// feedPosition is what a cursor encodes: every account whose write_date
// second and id are at or before (sec, id) was delivered.
type feedPosition struct {
	sec time.Time // write_date truncated to the second, UTC
	id  int64
}

// cursorSep separates the write_date and the id inside a cursor.
const cursorSep = "|"

func (p feedPosition) cursor() string {
	raw := odoo.FormatDatetime(p.sec) + cursorSep + strconv.FormatInt(p.id, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseCursor(s string) (feedPosition, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return feedPosition{}, false
	}
	ts, idText, ok := strings.Cut(string(raw), cursorSep)
	if !ok {
		return feedPosition{}, false
	}
	t, err := time.Parse(time.DateTime, ts)
	id, idOK := ParseRecordID(idText)
	if err != nil || !idOK {
		return feedPosition{}, false
	}
	return feedPosition{sec: t.UTC(), id: id}, true
}

func parseSince(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		// Odoo keeps whole seconds on the wire: rounding down keeps the
		// bound inclusive.
		return t.UTC().Truncate(time.Second), true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// feedSpec reads an account with its bank and its registrant's
// registration ids in one call: web_read follows the many2one partner_id
// into its one2many reg_ids (transcripts/11).
func feedSpec() odoo.Spec {
	spec := accountSpec()
	spec["partner_id"] = odoo.Spec{"fields": odoo.Spec{
		"reg_ids": odoo.Spec{"fields": odoo.Spec{
			"id_type": odoo.Spec{"fields": odoo.Fields("name")},
			"value":   odoo.Spec{},
		}},
	}}
	return spec
}

func toFeedAccount(r odoo.Record) FeedAccount {
	out := FeedAccount{BankAccount: toBankAccount(r), RegistrationIDs: []FeedRegistrationID{}}
	if p, ok := r.Record("partner_id"); ok {
		for _, id := range p.Records("reg_ids") {
			item := FeedRegistrationID{Value: str(id, "value")}
			if t, ok := id.Record("id_type"); ok {
				item.IDType = str(t, "name")
			}
			out.RegistrationIDs = append(out.RegistrationIDs, item)
		}
	}
	return out
}

// feedRow is a fetched account with its feed position.
type feedRow struct {
	pos feedPosition
	rec odoo.Record
}

// Feed returns the registrants' accounts changed since a time (archived
// ones included, with active false), in (write_date, id) order, one page
// at a time. The cursor never skips nor repeats an account, however many
// share a write_date.
//
// Why it is not one "write_date > t OR (write_date = t AND id > last)"
// search: Odoo shows write_date to the second, but PostgreSQL stores the
// transaction's timestamp with microseconds, so "=" on a displayed value
// matches nothing and "write_date, id" sorts a second's rows by their
// microseconds, not by id. The feed therefore treats each second as a
// bucket ordered by id: the rest of the cursor's second (1 call), then the
// following rows in time order (1 call); when that page ends inside a
// second, the second's rows are read again by id (1 call). At most 3 Odoo
// calls per page, whatever its size.
//
// Accounts written during the last SettleDelay are held back until their
// transactions have surely committed (see AccountsOptions).
func (a *Accounts) Feed(ctx context.Context, q FeedQuery) (FeedPage, error) {
	var p problems
	var from feedPosition
	var hasCursor, hasSince bool
	var since time.Time
	if s := strings.TrimSpace(q.Cursor); s != "" {
		if from, hasCursor = parseCursor(s); !hasCursor {
			p.param("cursor", "is not a cursor of this feed; send back a next_cursor unchanged")
		}
	}
	if s := strings.TrimSpace(q.UpdatedSince); s != "" {
		if since, hasSince = parseSince(s); !hasSince {
			p.param("updated_since", "must be a time in RFC 3339 (2026-12-03T18:41:43Z) or a date (2026-12-03)")
		}
	}
	if q.Limit < 0 {
		p.param("limit", "must not be negative")
	}
	number := AccountNumber(cleanText(q.AccNumber))
	if q.AccNumber != "" && number.Sanitized() == "" {
		p.param("acc_number", "must contain letters or digits")
	}
	if err := p.err(); err != nil {
		return FeedPage{}, err
	}
	limit := q.Limit
	if limit == 0 {
		limit = a.opts.DefaultPageSize
	}
	limit = min(limit, a.opts.MaxPageSize)

	base := odoo.Domain{odoo.Cond("partner_id.is_registrant", "=", true)}
	if number != "" {
		// Odoo sanitizes acc_number leaves itself (transcripts/04 step 18).
		base = append(base, odoo.Cond("acc_number", "=", string(number)))
	}
	if hasSince {
		base = append(base, odoo.Cond("write_date", ">=", odoo.FormatDatetime(since)))
	}
	if a.opts.SettleDelay > 0 {
		settled := a.opts.Now().Add(-a.opts.SettleDelay).UTC().Truncate(time.Second)
		base = append(base, odoo.Cond("write_date", "<", odoo.FormatDatetime(settled)))
	}

	var rows []feedRow
	var more bool
	next := time.Time{} // lower bound of the time-ordered search; zero = none
	if hasCursor {
		// The rest of the cursor's second, by id.
		tail, full, err := a.feedBucket(ctx, base, from.sec, from.id, limit)
		if err != nil {
			return FeedPage{}, err
		}
		rows, more = tail, full
		next = from.sec.Add(time.Second)
	}
	if !more {
		rest, full, err := a.feedAfter(ctx, base, next, limit-len(rows))
		if err != nil {
			return FeedPage{}, err
		}
		rows, more = append(rows, rest...), full
	}

	page := FeedPage{Items: make([]FeedAccount, 0, len(rows)), HasMore: more}
	for _, r := range rows {
		page.Items = append(page.Items, toFeedAccount(r.rec))
	}
	switch {
	case len(rows) > 0:
		c := rows[len(rows)-1].pos.cursor()
		page.NextCursor = &c
	case hasCursor:
		c := from.cursor()
		page.NextCursor = &c
	}
	return page, nil
}

// feedBucket returns, by id, up to n accounts of the second sec with an id
// above after; full reports that more remain.
func (a *Accounts) feedBucket(ctx context.Context, base odoo.Domain, sec time.Time, after int64, n int) ([]feedRow, bool, error) {
	domain := append(slices.Clone(base),
		odoo.Cond("write_date", ">=", odoo.FormatDatetime(sec)),
		odoo.Cond("write_date", "<", odoo.FormatDatetime(sec.Add(time.Second))))
	if after > 0 {
		domain = append(domain, odoo.Cond("id", ">", after))
	}
	rows, err := a.feedSearch(ctx, domain, "id asc", n+1)
	if err != nil {
		return nil, false, err
	}
	if len(rows) > n {
		return rows[:n], true, nil
	}
	return rows, false, nil
}

// feedAfter returns up to n accounts written at or after the second from
// (zero: any time), in (second, id) order; full reports that more remain.
// It reads them in write_date order, keeps the seconds it has completely,
// and reads the last, partial second again by id.
func (a *Accounts) feedAfter(ctx context.Context, base odoo.Domain, from time.Time, n int) ([]feedRow, bool, error) {
	domain := slices.Clone(base)
	if !from.IsZero() {
		domain = append(domain, odoo.Cond("write_date", ">=", odoo.FormatDatetime(from)))
	}
	rows, err := a.feedSearch(ctx, domain, "write_date asc, id asc", n+1)
	if err != nil || len(rows) <= n {
		sortFeed(rows)
		return rows, false, err
	}
	// Every account of a second before the last row's was read (they sort
	// before it); the last row's second may continue past the page.
	partial := rows[n].pos.sec
	complete := slices.DeleteFunc(rows, func(r feedRow) bool { return !r.pos.sec.Before(partial) })
	sortFeed(complete)
	if len(complete) == n {
		return complete, true, nil
	}
	bucket, _, err := a.feedBucket(ctx, base, partial, 0, n-len(complete))
	if err != nil {
		return nil, false, err
	}
	return append(complete, bucket...), true, nil
}

func (a *Accounts) feedSearch(ctx context.Context, domain odoo.Domain, order string, limit int) ([]feedRow, error) {
	_, recs, err := a.odoo.WebSearchRead(ctx, modelAccount, domain, feedSpec(), withArchived(odoo.Options{Order: order, Limit: limit}))
	if err != nil {
		return nil, FromOdoo(err)
	}
	rows := make([]feedRow, 0, len(recs))
	for _, r := range recs {
		t, _ := r.Datetime("write_date")
		rows = append(rows, feedRow{pos: feedPosition{sec: t.UTC().Truncate(time.Second), id: r.ID()}, rec: r})
	}
	return rows, nil
}

func sortFeed(rows []feedRow) {
	slices.SortStableFunc(rows, func(x, y feedRow) int {
		if c := x.pos.sec.Compare(y.pos.sec); c != 0 {
			return c
		}
		return cmp.Compare(x.pos.id, y.pos.id)
	})
}
