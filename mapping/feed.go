package mapping

import (
	"cmp"
	"context"
	"maps"
	"slices"
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
// registrant's registration ids. Active is false when the account or its
// registrant is archived: either way it must not be paid.
type FeedAccount struct {
	BankAccount
	RegistrationIDs []FeedRegistrationID `json:"registration_ids"`
}

// Masked returns the item with its numbers masked (see BankAccount.Masked).
func (f FeedAccount) Masked() FeedAccount {
	f.BankAccount = f.BankAccount.Masked()
	return f
}

// FeedPage is one page of the feed. NextCursor continues after the page
// (or repeats the request's cursor when nothing was read); keep it to poll
// for later changes. HasMore says whether more changes were already waiting
// when the page was read.
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

// feedKind is why an account is in the feed. Inside one second, accounts
// changed come before accounts whose registrant changed.
type feedKind uint8

const (
	// accountChanged: the account itself was written (write_date).
	accountChanged feedKind = iota
	// registrantChanged: its registrant was written after it (archived,
	// reactivated, registration ids changed, ...), which does not touch
	// the account's write_date.
	registrantChanged
)

// feedPosition is a place in the feed: every account whose event is at or
// before it was delivered. Events are ordered by the second of the write,
// then kind, then account id.
type feedPosition struct {
	sec  time.Time // write_date truncated to the second, UTC
	kind feedKind
	id   int64 // account id
}

func (p feedPosition) compare(q feedPosition) int {
	if c := p.sec.Compare(q.sec); c != 0 {
		return c
	}
	if c := cmp.Compare(p.kind, q.kind); c != 0 {
		return c
	}
	return cmp.Compare(p.id, q.id)
}

// endOfSecond is the last position of kind in second sec.
func endOfSecond(sec time.Time, kind feedKind) feedPosition {
	return feedPosition{sec: sec, kind: kind, id: MaxRecordID}
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

// feedSpec reads an account with its bank, and its registrant's state and
// registration ids, in one call: web_read follows the many2one partner_id
// into its one2many reg_ids (transcripts/11).
func feedSpec() odoo.Spec {
	spec := accountSpec()
	spec["partner_id"] = odoo.Spec{"fields": registrantFeedSpec()}
	return spec
}

// registrantFeedSpec is what the feed shows of an account's registrant.
func registrantFeedSpec() odoo.Spec {
	return odoo.Spec{
		"active":     odoo.Spec{},
		"write_date": odoo.Spec{},
		"reg_ids": odoo.Spec{"fields": odoo.Spec{
			"id_type": odoo.Spec{"fields": odoo.Fields("name")},
			"value":   odoo.Spec{},
		}},
	}
}

func toFeedAccount(r odoo.Record) FeedAccount {
	out := FeedAccount{BankAccount: toBankAccount(r), RegistrationIDs: []FeedRegistrationID{}}
	if p, ok := r.Record("partner_id"); ok {
		out.Active = out.Active && p.Bool("active")
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

// feedRow is a fetched account with its feed position. A redundant row
// holds a place in its source but is no event: an account whose
// registrant was not written after it is already in the feed at its own,
// later or same-second, change, with the same state.
type feedRow struct {
	pos       feedPosition
	rec       odoo.Record
	redundant bool
}

// feedScope is what one feed request reads: its filters, as Odoo domain
// leaves, and the page size.
type feedScope struct {
	accounts odoo.Domain   // leaves on res.partner.bank, apart from time
	partners odoo.Domain   // leaves on res.partner, apart from time
	number   AccountNumber // the acc_number filter; empty: none
	since    time.Time     // zero: none
	settled  time.Time     // writes at or after it are held back; zero: none
	limit    int
}

// timeBounds are the leaves on a write_date field for since, settled and
// the second range [from, to) (zero times: unbounded).
func (s feedScope) timeBounds(field string, from, to time.Time) odoo.Domain {
	var d odoo.Domain
	for _, lo := range []time.Time{s.since, from} {
		if !lo.IsZero() {
			d = append(d, odoo.Cond(field, ">=", odoo.FormatDatetime(lo)))
		}
	}
	for _, hi := range []time.Time{s.settled, to} {
		if !hi.IsZero() {
			d = append(d, odoo.Cond(field, "<", odoo.FormatDatetime(hi)))
		}
	}
	return d
}

// Feed returns the registrants' accounts changed since a time (archived
// ones included, with active false), one page at a time, ordered by the
// second of the change and then id. An account is in the feed when it was
// written, and again when its registrant was written after it: archiving a
// registrant in Odoo does not touch its accounts, and a payment provider
// must learn that they are no longer to be paid (active false then). The
// cursor never skips nor repeats an event, however many share a second.
//
// Why it is not one "write_date > t OR (write_date = t AND id > last)"
// search: Odoo shows write_date to the second, but PostgreSQL stores the
// transaction's timestamp with microseconds, so "=" on a displayed value
// matches nothing and "write_date, id" sorts a second's rows by their
// microseconds, not by id. The feed therefore treats each second as a
// bucket ordered by id. It reads two sources, accounts by their own
// write_date and accounts by their registrant's (see feedSource), and
// merges them up to the point both have read completely. A page costs 2
// or 3 Odoo calls, 5 at most (a cursor inside a second adds that second's
// rest), whatever its size.
//
// Accounts and registrants written during the last SettleDelay are held
// back until their transactions have surely committed (see
// AccountsOptions).
func (a *Accounts) Feed(ctx context.Context, q FeedQuery) (FeedPage, error) {
	var p problems
	number := AccountNumber(cleanText(q.AccNumber))
	if q.AccNumber != "" && number.Sanitized() == "" {
		p.param("acc_number", "must contain letters or digits")
	}
	filter := cursorFilter(number)
	var from feedPosition
	var hasCursor bool
	if s := strings.TrimSpace(q.Cursor); s != "" {
		var issuedFor string
		if from, issuedFor, hasCursor = parseCursor(s); !hasCursor {
			p.param("cursor", "is not a cursor of this feed; send back a next_cursor unchanged")
		} else if issuedFor != filter {
			p.param("acc_number", "differs from the acc_number of the request that returned the cursor; "+
				"send the cursor with the same acc_number (or none, if it had none)")
		}
	}
	scope := feedScope{accounts: odoo.Domain{odoo.Cond("partner_id.is_registrant", "=", true)},
		partners: odoo.Domain{odoo.Cond("is_registrant", "=", true)}}
	if s := strings.TrimSpace(q.UpdatedSince); s != "" {
		var ok bool
		if scope.since, ok = parseSince(s); !ok {
			p.param("updated_since", "must be a time in RFC 3339 (2026-12-03T18:41:43Z) or a date (2026-12-03)")
		} else if hasCursor && scope.since.After(from.sec) {
			p.param("updated_since", "is later than the cursor's position and would skip changes the cursor has not "+
				"delivered; send the cursor alone to continue, or updated_since alone to start again")
		}
	}
	if q.Limit < 0 {
		p.param("limit", "must not be negative")
	}
	if err := p.err(); err != nil {
		return FeedPage{}, err
	}
	scope.limit = q.Limit
	if scope.limit == 0 {
		scope.limit = a.opts.DefaultPageSize
	}
	scope.limit = min(scope.limit, a.opts.MaxPageSize)
	scope.number = number
	if number != "" {
		// Odoo sanitizes acc_number leaves itself, in sub-searches too
		// (transcripts/04 step 18).
		scope.accounts = append(scope.accounts, odoo.Cond("acc_number", "=", string(number)))
		scope.partners = append(scope.partners, odoo.Cond("bank_ids", "any", odoo.Domain{odoo.Cond("acc_number", "=", string(number))}))
	} else {
		scope.partners = append(scope.partners, odoo.Cond("bank_ids", "!=", false))
	}
	if a.opts.SettleDelay > 0 {
		scope.settled = a.opts.Now().Add(-a.opts.SettleDelay).UTC().Truncate(time.Second)
	}

	var rows []feedRow
	var upTo *feedPosition // what every source has read up to; nil: everything
	for _, src := range []feedSource{accountSource{a, scope}, registrantSource{a, scope}} {
		got, bound, done, err := readSource(ctx, src, from, hasCursor, scope.limit)
		if err != nil {
			return FeedPage{}, err
		}
		rows = append(rows, got...)
		if !done && (upTo == nil || bound.compare(*upTo) < 0) {
			upTo = &bound
		}
	}
	// A row past upTo may have events of the other source before it that
	// were not read yet: it waits for a later page.
	rows = slices.DeleteFunc(rows, func(r feedRow) bool { return r.redundant || upTo != nil && r.pos.compare(*upTo) > 0 })
	slices.SortFunc(rows, func(x, y feedRow) int { return x.pos.compare(y.pos) })
	page := FeedPage{Items: make([]FeedAccount, 0, min(len(rows), scope.limit)), HasMore: upTo != nil}
	var next *feedPosition
	switch {
	case len(rows) > scope.limit:
		rows, page.HasMore = rows[:scope.limit], true
		next = &rows[len(rows)-1].pos
	case upTo != nil:
		next = upTo
	case len(rows) > 0:
		next = &rows[len(rows)-1].pos
	case hasCursor:
		next = &from
	}
	for _, r := range rows {
		page.Items = append(page.Items, toFeedAccount(r.rec))
	}
	if next != nil {
		c := encodeCursor(*next, filter)
		page.NextCursor = &c
	}
	return page, nil
}

// feedSource is one ordered source of feed events, all of one kind.
type feedSource interface {
	kind() feedKind
	// bucket returns, by id, up to n events of second sec with an
	// account id above after; full reports that more remain.
	bucket(ctx context.Context, sec time.Time, after int64, n int) (rows []feedRow, full bool, err error)
	// from returns the first events at or after second t (zero: any
	// time), at least n of them when there are; done reports that there
	// are no more, otherwise every event up to bound is among rows.
	from(ctx context.Context, t time.Time, n int) (rows []feedRow, bound feedPosition, done bool, err error)
}

// readSource returns src's first events after the cursor c (all of them
// without a cursor): at least n when there are, complete up to bound
// unless done.
func readSource(ctx context.Context, src feedSource, c feedPosition, hasCursor bool, n int) ([]feedRow, feedPosition, bool, error) {
	var start time.Time
	var rows []feedRow
	if hasCursor {
		switch {
		case c.kind == src.kind():
			// The rest of the cursor's second, by id.
			var full bool
			var err error
			if rows, full, err = src.bucket(ctx, c.sec, c.id, n); err != nil {
				return nil, feedPosition{}, false, err
			}
			if full || len(rows) >= n {
				return rows, rows[len(rows)-1].pos, false, nil
			}
			start = c.sec.Add(time.Second)
		case c.kind < src.kind():
			start = c.sec // the second's events of this kind come after c
		default:
			start = c.sec.Add(time.Second)
		}
	}
	rest, bound, done, err := src.from(ctx, start, n-len(rows))
	if err != nil {
		return nil, feedPosition{}, false, err
	}
	return append(rows, rest...), bound, done, nil
}

// accountSource is the accounts, by their own write_date.
type accountSource struct {
	a     *Accounts
	scope feedScope
}

func (accountSource) kind() feedKind { return accountChanged }

func (s accountSource) bucket(ctx context.Context, sec time.Time, after int64, n int) ([]feedRow, bool, error) {
	recs, full, err := s.a.feedBucket(ctx, s.scope.bucketDomain("write_date", sec, after), n)
	return accountRows(recs), full, err
}

// accountRows places accounts as events at their own write second.
func accountRows(recs []odoo.Record) []feedRow {
	rows := make([]feedRow, len(recs))
	for i, r := range recs {
		rows[i] = feedRow{pos: feedPosition{sec: second(r), kind: accountChanged, id: r.ID()}, rec: r}
	}
	return rows
}

// from reads in write_date order, keeps the seconds it has completely, and
// reads the last, partial second again by id.
func (s accountSource) from(ctx context.Context, t time.Time, n int) ([]feedRow, feedPosition, bool, error) {
	domain := append(slices.Clone(s.scope.accounts), s.scope.timeBounds("write_date", t, time.Time{})...)
	recs, err := s.a.feedSearch(ctx, domain, "write_date asc, id asc", n+1)
	if err != nil {
		return nil, feedPosition{}, false, err
	}
	rows := accountRows(recs)
	sortFeed(rows)
	if len(rows) <= n {
		return rows, feedPosition{}, true, nil
	}
	// Every account of a second before the last row's was read (they sort
	// before it); the last row's second may continue past the page.
	partial := rows[n].pos.sec
	complete := slices.DeleteFunc(rows, func(r feedRow) bool { return !r.pos.sec.Before(partial) })
	if len(complete) == n {
		return complete, complete[n-1].pos, false, nil
	}
	bucket, full, err := s.bucket(ctx, partial, 0, n-len(complete))
	if err != nil {
		return nil, feedPosition{}, false, err
	}
	rows = append(complete, bucket...)
	if full {
		return rows, rows[len(rows)-1].pos, false, nil
	}
	return rows, endOfSecond(partial, accountChanged), false, nil
}

// registrantSource is the accounts of registrants written after them, by
// the registrant's write_date. Odoo cannot order accounts by their
// partner's write_date, so the registrants are read in write_date order,
// each with its accounts.
type registrantSource struct {
	a     *Accounts
	scope feedScope
}

func (registrantSource) kind() feedKind { return registrantChanged }

func (s registrantSource) bucket(ctx context.Context, sec time.Time, after int64, n int) ([]feedRow, bool, error) {
	recs, full, err := s.a.feedBucket(ctx, s.scope.bucketDomain("partner_id.write_date", sec, after), n)
	return registrantRows(recs, sec), full, err
}

// registrantRows places accounts as events at their registrant's write
// second sec, in the order given.
func registrantRows(recs []odoo.Record, sec time.Time) []feedRow {
	rows := make([]feedRow, len(recs))
	for i, r := range recs {
		rows[i] = feedRow{pos: feedPosition{sec: sec, kind: registrantChanged, id: r.ID()}, rec: r,
			redundant: !sec.After(second(r))}
	}
	return rows
}

// from reads the registrants and their accounts (archived ones too: the
// call's active_test=false also applies to the one2many) in one call.
func (s registrantSource) from(ctx context.Context, t time.Time, n int) ([]feedRow, feedPosition, bool, error) {
	domain := append(slices.Clone(s.scope.partners), s.scope.timeBounds("write_date", t, time.Time{})...)
	spec := registrantFeedSpec()
	spec["bank_ids"] = odoo.Spec{"fields": accountSpec()}
	_, partners, err := s.a.odoo.WebSearchRead(ctx, modelPartner, domain, spec,
		withArchived(odoo.Options{Order: "write_date asc, id asc", Limit: n + 1}))
	if err != nil {
		return nil, feedPosition{}, false, FromOdoo(err)
	}
	if len(partners) <= n {
		return s.accountsOf(partners), feedPosition{}, true, nil
	}
	// As for accounts: the last partner's second may continue.
	partial := second(partners[n])
	complete := slices.DeleteFunc(partners, func(r odoo.Record) bool { return !second(r).Before(partial) })
	if len(complete) == 0 {
		rows, full, err := s.bucket(ctx, partial, 0, n)
		switch {
		case err != nil:
			return nil, feedPosition{}, false, err
		case full:
			return rows, rows[len(rows)-1].pos, false, nil
		}
		return rows, endOfSecond(partial, registrantChanged), false, nil
	}
	return s.accountsOf(complete), endOfSecond(partial.Add(-time.Second), registrantChanged), false, nil
}

// accountsOf places the accounts read with the given registrants (those
// the number filter asks for) at the registrant's write second as the
// search saw it: a registrant written since is found again at its new
// second. Each account gets its registrant as feedSpec would have read it.
func (s registrantSource) accountsOf(partners []odoo.Record) []feedRow {
	var rows []feedRow
	want := s.scope.number.Sanitized()
	for _, p := range partners {
		registrant := maps.Clone(p)
		delete(registrant, "bank_ids")
		var recs []odoo.Record
		for _, acc := range p.Records("bank_ids") {
			number, _ := acc.String("acc_number")
			if want == "" || AccountNumber(number).Sanitized() == want {
				acc["partner_id"] = map[string]any(registrant)
				recs = append(recs, acc)
			}
		}
		rows = append(rows, registrantRows(recs, second(p))...)
	}
	sortFeed(rows)
	return rows
}

func second(r odoo.Record) time.Time {
	t, _ := r.Datetime("write_date")
	return t.UTC().Truncate(time.Second)
}

// bucketDomain selects the accounts whose field (a write_date) falls in
// second sec, with an id above after (0: any).
func (s feedScope) bucketDomain(field string, sec time.Time, after int64) odoo.Domain {
	domain := append(slices.Clone(s.accounts), s.timeBounds(field, sec, sec.Add(time.Second))...)
	if after > 0 {
		domain = append(domain, odoo.Cond("id", ">", after))
	}
	return domain
}

// feedBucket reads up to n accounts of a bucket by id; full reports that
// more remain.
func (a *Accounts) feedBucket(ctx context.Context, domain odoo.Domain, n int) ([]odoo.Record, bool, error) {
	recs, err := a.feedSearch(ctx, domain, "id asc", n+1)
	if len(recs) > n {
		return recs[:n], true, err
	}
	return recs, false, err
}

// feedSearch reads accounts as feed items (feedSpec), archived ones too.
func (a *Accounts) feedSearch(ctx context.Context, domain odoo.Domain, order string, limit int) ([]odoo.Record, error) {
	_, recs, err := a.odoo.WebSearchRead(ctx, modelAccount, domain, feedSpec(), withArchived(odoo.Options{Order: order, Limit: limit}))
	if err != nil {
		return nil, FromOdoo(err)
	}
	return recs, nil
}

func sortFeed(rows []feedRow) {
	slices.SortStableFunc(rows, func(x, y feedRow) int { return x.pos.compare(y.pos) })
}
