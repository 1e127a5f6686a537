package mapping

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// A write whose request reached Odoo but whose answer was lost (timeout,
// dropped connection, garbled answer: odoo.OutcomeUnknown) may have
// committed. Repeating it could duplicate a registrant or an account;
// reporting a plain failure would make the client repeat it. So the write
// is resolved before answering: the record is looked up by its natural key
// and, when found, the write counts as done. Otherwise the error is
// upstream_outcome_unknown (504), and the repeat of the request (the proxy
// recognises it by its Idempotency-Key, or without a key by being the same
// request) looks again before writing (WithPriorAttempt): it returns the
// record it finds, answers upstream_outcome_unknown again when the search
// fails, and writes only when Odoo answers that no such record exists.
//
// Natural keys, all "created since the attempt started":
//   - res.partner (registrant create): name, kind (group or individual),
//     given, family and additional name and birthdate when sent, every
//     registration id (type and value), phone number and account number of
//     the request, and the group of a new member; active records only;
//   - res.partner.bank: the registrant and the sanitized account number
//     (unique in Odoo, archived rows included; no time window);
//   - res.bank: the name;
//   - a write of plain values: the records already hold those values.
//
// "Since the attempt started" trusts the proxy's and Odoo's clocks to agree
// within outcomeClockSkew. What this cannot see: a first attempt that Odoo
// is still executing when the repeat searches (longer than odoo.timeout +
// the look-up budget + the client's wait); Odoo's limit_time_real ends such
// a request.

// outcomeClockSkew widens the creation-time window of a look-up.
const outcomeClockSkew = time.Minute

// DefaultOutcomeLookup is how long a lost write is looked for by default.
const DefaultOutcomeLookup = 3 * time.Second

// outcomeOdoo is an Odoo that resolves the outcome of lost writes.
type outcomeOdoo struct {
	Odoo
	budget time.Duration
	log    *zap.Logger
}

// ResolveOutcomes wraps o so that creates and writes whose answer was lost
// are looked up before they are reported (see above). The look-up runs,
// with short pauses, for at most budget (DefaultOutcomeLookup when zero),
// on a context detached from the caller's spent deadline. Wrapping twice is
// harmless.
func ResolveOutcomes(o Odoo, budget time.Duration, log *zap.Logger) Odoo {
	if w, ok := o.(*outcomeOdoo); ok {
		return w
	}
	if budget <= 0 {
		budget = DefaultOutcomeLookup
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &outcomeOdoo{Odoo: o, budget: budget, log: log}
}

type priorAttemptKey struct{}

// WithPriorAttempt tells the writes made with ctx that an earlier attempt
// of the same request, started at since, ended with an unknown outcome:
// creates look for its record first and return it instead of creating a
// twin.
func WithPriorAttempt(ctx context.Context, since time.Time) context.Context {
	return context.WithValue(ctx, priorAttemptKey{}, since)
}

func priorAttempt(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(priorAttemptKey{}).(time.Time)
	return t, ok
}

// outcomeUnknown is the error of a write that could not be resolved. The
// proxy adds what the client should do, which depends on the request.
func outcomeUnknown(model string, cause error) *Error {
	return &Error{Code: CodeUpstreamOutcomeUnknown, Cause: cause,
		Message: fmt.Sprintf("the registry did not confirm the write (%s) and it could not be verified: it may have been carried out", model)}
}

func (w *outcomeOdoo) Create(ctx context.Context, model string, vals odoo.Values, o odoo.Options) (int64, error) {
	ids, err := w.create(ctx, model, []odoo.Values{vals}, func() ([]int64, error) {
		id, err := w.Odoo.Create(ctx, model, vals, o)
		return []int64{id}, err
	})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

func (w *outcomeOdoo) CreateMany(ctx context.Context, model string, vals []odoo.Values, o odoo.Options) ([]int64, error) {
	return w.create(ctx, model, vals, func() ([]int64, error) { return w.Odoo.CreateMany(ctx, model, vals, o) })
}

// create runs send, the create of records vals (one Odoo transaction). A
// repeat of an attempt whose outcome is unknown first looks for that
// attempt's records; a lost answer is resolved by looking for them.
func (w *outcomeOdoo) create(ctx context.Context, model string, vals []odoo.Values, send func() ([]int64, error)) ([]int64, error) {
	start := time.Now()
	if since, ok := priorAttempt(ctx); ok {
		keys, ok := naturalKeys(model, vals, since)
		if !ok {
			// Creating could make a twin, and nothing can tell.
			w.log.Warn("repeat of a create whose outcome is unknown; no natural key to look for it", zap.String("model", model))
			return nil, outcomeUnknown(model, errNoNaturalKey)
		}
		ids, found, err := w.findAll(ctx, keys)
		if err != nil {
			// Creating without knowing could make a twin, and the
			// earlier attempt's outcome is still unknown.
			return nil, outcomeUnknown(model, err)
		}
		if found {
			w.log.Info("earlier attempt's records found; not creating again", zap.String("model", model), zap.Int64s("ids", ids))
			return ids, nil
		}
	}
	ids, err := send()
	if err == nil || !odoo.OutcomeUnknown(err) {
		return ids, err
	}
	keys, ok := naturalKeys(model, vals, start)
	if !ok {
		w.log.Warn("create outcome unknown; no natural key to verify it", zap.String("model", model), zap.Error(err))
		return nil, outcomeUnknown(model, err)
	}
	var found bool
	w.settle(ctx, func(ctx context.Context) (bool, error) {
		var ferr error
		ids, found, ferr = w.findAll(ctx, keys)
		return found, ferr
	})
	if !found {
		w.log.Warn("create outcome unknown; records not found", zap.String("model", model), zap.Int("records", len(vals)), zap.Error(err))
		return nil, outcomeUnknown(model, err)
	}
	w.log.Warn("create outcome resolved: the records exist", zap.String("model", model), zap.Int64s("ids", ids), zap.Error(err))
	return ids, nil
}

// errNoNaturalKey is the cause of an unknown outcome nothing can resolve.
var errNoNaturalKey = errors.New("the create has no natural key to look for its record")

func (w *outcomeOdoo) Write(ctx context.Context, model string, ids []int64, vals odoo.Values, o odoo.Options) error {
	err := w.Odoo.Write(ctx, model, ids, vals, o)
	if err == nil || !odoo.OutcomeUnknown(err) {
		return err
	}
	fields, ok := plainFields(vals)
	if !ok {
		w.log.Warn("write outcome unknown; it holds commands that cannot be verified", zap.String("model", model), zap.Error(err))
		return outcomeUnknown(model, err)
	}
	applied := false
	w.settle(ctx, func(ctx context.Context) (bool, error) {
		inactive := false
		recs, rerr := w.Odoo.SearchRead(ctx, model, odoo.Domain{odoo.Cond("id", "in", idList(ids))}, fields, odoo.Options{ActiveTest: &inactive})
		if rerr != nil {
			return false, rerr
		}
		applied = len(recs) == len(ids)
		for _, r := range recs {
			applied = applied && holds(r, vals)
		}
		return applied, nil
	})
	if !applied {
		w.log.Warn("write outcome unknown; records do not hold the values", zap.String("model", model), zap.Error(err))
		return outcomeUnknown(model, err)
	}
	w.log.Warn("write outcome resolved: the records hold the values", zap.String("model", model), zap.Error(err))
	return nil
}

// settle runs look until it reports done or the look-up budget is spent,
// pausing between tries: a write whose client gave up may still be
// committing in Odoo.
func (w *outcomeOdoo) settle(ctx context.Context, look func(context.Context) (bool, error)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.budget)
	defer cancel()
	pause := 50 * time.Millisecond
	for {
		done, err := look(ctx)
		if done {
			return
		}
		if err != nil {
			w.log.Info("outcome look-up failed", zap.Error(err))
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause *= 2
	}
}

// lookup is a search for the record a create would have made.
type lookup struct {
	model  string
	domain odoo.Domain
	unique bool // at most one record can match (a SQL constraint)
}

// naturalKeys builds the look-up of each record of a create, if its model
// has a natural key that every one of vals carries.
func naturalKeys(model string, vals []odoo.Values, since time.Time) ([]lookup, bool) {
	keys := make([]lookup, len(vals))
	for i, v := range vals {
		k, ok := naturalKey(model, v, since)
		if !ok {
			return nil, false
		}
		keys[i] = k
	}
	return keys, len(keys) > 0
}

// naturalKey builds the look-up of a create, if its model has a natural key
// that vals carry.
func naturalKey(model string, vals odoo.Values, since time.Time) (lookup, bool) {
	created := odoo.Cond("create_date", ">=", since.Add(-outcomeClockSkew).UTC().Format("2006-01-02 15:04:05"))
	switch model {
	case modelAccount:
		p, okP := intValue(vals["partner_id"])
		n, okN := vals["acc_number"].(string)
		if !okP || !okN {
			return lookup{}, false
		}
		// Odoo rewrites acc_number to the sanitized column (transcripts/04).
		return lookup{model: model, unique: true,
			domain: odoo.Domain{odoo.Cond("partner_id", "=", p), odoo.Cond("acc_number", "=", n)}}, true
	case "res.bank":
		n, ok := vals["name"].(string)
		if !ok {
			return lookup{}, false
		}
		return lookup{model: model, domain: odoo.Domain{odoo.Cond("name", "=", n), created}}, true
	case modelPartner:
		return partnerKey(vals, created)
	}
	return lookup{}, false
}

// partnerKey is a registrant's natural key: every value of the request
// that Odoo stores as sent. Registration ids, phone and account numbers
// tell registrants apart, exactly (no more and no fewer than the request
// has); the names and birthdate keep a registrant without them from
// matching another one.
func partnerKey(vals odoo.Values, created []any) (lookup, bool) {
	name, ok := vals["name"].(string)
	if !ok {
		return lookup{}, false
	}
	isGroup, _ := vals["is_group"].(bool)
	d := odoo.Domain{odoo.Cond("name", "=", name), odoo.Cond("is_registrant", "=", true),
		odoo.Cond("is_group", "=", isGroup), odoo.Cond("active", "=", true), created}
	for _, f := range []string{"given_name", "family_name", "addl_name", "birthdate"} {
		if v, ok := vals[f].(string); ok {
			d = append(d, odoo.Cond(f, "=", v))
		}
	}
	for _, r := range regIDs(vals["reg_ids"]) {
		d = append(d, odoo.Cond("reg_ids", "any", []any{odoo.Cond("id_type", "=", r.typeID), odoo.Cond("value", "=", r.value)}))
	}
	children := []struct{ field, key string }{{"reg_ids", "value"}, {"phone_number_ids", "phone_no"}, {"bank_ids", "acc_number"}}
	for _, c := range children {
		sent := []any{}
		for _, v := range createdChildren(vals[c.field]) {
			if x, ok := v[c.key]; ok {
				sent = append(sent, x)
				if c.field != "reg_ids" { // matched with their type above
					d = append(d, odoo.Cond(c.field, "any", []any{odoo.Cond(c.key, "=", x)}))
				}
			}
		}
		d = append(d, odoo.Cond(c.field, "not any", []any{odoo.Cond(c.key, "not in", sent)}))
	}
	// A new member belongs to the group just created. The field exists only
	// with the membership module: named only when sent.
	for _, m := range createdChildren(vals["individual_membership_ids"]) {
		if g, ok := m["group"]; ok {
			d = append(d, odoo.Cond("individual_membership_ids", "any", []any{odoo.Cond("group", "=", g)}))
		}
	}
	return lookup{model: modelPartner, domain: d}, true
}

// findAll looks up the records of one create: found when every key has its
// own record (ids in the order of keys), not found when none has. Some
// found and not others cannot come from one transaction; it is reported as
// an error, so that nothing is created on it.
func (w *outcomeOdoo) findAll(ctx context.Context, keys []lookup) ([]int64, bool, error) {
	ids := make([]int64, 0, len(keys))
	taken := map[int64]bool{}
	for _, q := range keys {
		id, found, err := w.find(ctx, q, taken)
		if err != nil {
			return nil, false, err
		}
		if found {
			taken[id] = true
			ids = append(ids, id)
		}
	}
	switch len(ids) {
	case len(keys):
		return ids, true, nil
	case 0:
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("%d of the %d records of one create were found", len(ids), len(keys))
}

// find runs q and returns the newest match not in taken (two identical
// records of one batch each get their own). Several matches (the same
// registrant sent twice within the window by other requests) are logged:
// the newest is the likeliest to be ours, and creating yet another would
// only add a twin.
func (w *outcomeOdoo) find(ctx context.Context, q lookup, taken map[int64]bool) (int64, bool, error) {
	inactive := false
	recs, err := w.Odoo.SearchRead(ctx, q.model, q.domain, []string{"id"},
		odoo.Options{Order: "id desc", Limit: len(taken) + 2, ActiveTest: &inactive})
	if err != nil {
		return 0, false, err
	}
	var free []int64
	for _, r := range recs {
		if !taken[r.ID()] {
			free = append(free, r.ID())
		}
	}
	if len(free) == 0 {
		return 0, false, nil
	}
	if len(free) > 1 && !q.unique {
		w.log.Warn("several records match a lost write's natural key; taking the newest",
			zap.String("model", q.model), zap.Int64("id", free[0]), zap.Int64("other_id", free[1]))
	}
	return free[0], true, nil
}

type regKey struct {
	typeID int64
	value  string
}

// regIDs extracts (type, value) from reg_ids create commands [0, 0, vals].
func regIDs(v any) []regKey {
	var out []regKey
	for _, vals := range createdChildren(v) {
		t, okT := intValue(vals["id_type"])
		val, okV := vals["value"].(string)
		if okT && okV {
			out = append(out, regKey{t, val})
		}
	}
	return out
}

// createdChildren returns the values of the create commands [0, 0, vals]
// of an x2many value.
func createdChildren(v any) []map[string]any {
	cmds, _ := v.([]any)
	var out []map[string]any
	for _, c := range cmds {
		cmd, ok := c.([]any)
		if !ok || len(cmd) != 3 {
			continue
		}
		if op, _ := intValue(cmd[0]); op != 0 {
			continue
		}
		if vals := valuesOf(cmd[2]); vals != nil {
			out = append(out, vals)
		}
	}
	return out
}

func valuesOf(v any) map[string]any {
	switch m := v.(type) {
	case odoo.Values:
		return m
	case map[string]any:
		return m
	}
	return nil
}

func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	}
	return 0, false
}

func idList(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// plainFields lists the fields of vals when every value is a scalar that a
// read can confirm (no x2many commands).
func plainFields(vals odoo.Values) ([]string, bool) {
	fields := make([]string, 0, len(vals))
	for k, v := range vals {
		switch v.(type) {
		case string, bool, int, int64, float64:
			fields = append(fields, k)
		default:
			return nil, false
		}
	}
	return fields, len(fields) > 0
}

// holds reports whether record r has the values of vals (a many2one
// compares by id; false matches an empty value).
func holds(r odoo.Record, vals odoo.Values) bool {
	for k, want := range vals {
		got := r[k]
		switch w := want.(type) {
		case bool:
			if b, ok := got.(bool); !ok || b != w {
				return false
			}
		case string:
			if s, _ := r.String(k); s != w {
				return false
			}
		case int, int64:
			n, _ := intValue(w)
			if m, ok := r.Many2One(k); ok {
				if m.ID != n {
					return false
				}
			} else if i, ok := r.Int64(k); !ok || i != n {
				return false
			}
		case float64:
			if f, ok := r.Float(k); !ok || math.Abs(f-w) > 1e-9 {
				return false
			}
		}
	}
	return true
}

// savedButUnread turns the failure of the read-back after a successful
// write into upstream_outcome_unknown: the client must not take the 5xx for
// "nothing happened" and send another write (the repeat of the request
// finds the record). Other errors (nil, not found) pass.
func savedButUnread(what string, id int64, err error) error {
	e, ok := AsError(err)
	if !ok {
		return err
	}
	switch e.Code {
	case CodeUpstreamError, CodeUpstreamUnavailable, CodeUpstreamTimeout, CodeUpstreamAuthFailed, CodeUpstreamForbidden:
	default:
		return err
	}
	saved := fmt.Sprintf("the %s was saved", what)
	if id != 0 {
		saved = fmt.Sprintf("the %s was saved (id %d)", what, id)
	}
	return &Error{Code: CodeUpstreamOutcomeUnknown, Cause: e,
		Message: saved + " but could not be read back from the registry"}
}

// StillUnknown keeps an unknown outcome unknown: when ctx carries an
// earlier attempt whose outcome is unknown (WithPriorAttempt), this
// attempt's upstream failure does not mean "nothing was written", so it is
// reported as upstream_outcome_unknown. Other errors pass unchanged.
func StillUnknown(ctx context.Context, err error) error {
	if _, ok := priorAttempt(ctx); !ok || err == nil {
		return err
	}
	e, ok := AsError(err)
	if !ok {
		if _, isOdoo := odoo.AsError(err); !isOdoo {
			return err
		}
		e, _ = AsError(FromOdoo(err))
	}
	switch e.Code {
	case CodeUpstreamError, CodeUpstreamUnavailable, CodeUpstreamTimeout, CodeUpstreamAuthFailed, CodeUpstreamForbidden:
		return &Error{Code: CodeUpstreamOutcomeUnknown, Cause: e,
			Message: "an earlier attempt of this request may have been carried out, and this repeat failed before it could tell (" + e.Message + ")"}
	}
	return err
}
