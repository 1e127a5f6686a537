package mapping

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// MaxUpdateBatch bounds an update batch: every item costs one Odoo write.
const MaxUpdateBatch = 500

// UpdateResult is the outcome of one item of an update batch, in input order.
type UpdateResult struct {
	Index      int
	UpdateID   string
	Individual *Individual // set when the item was written
	Err        error       // set when the item's write failed
}

// UpdateIndividuals applies a PUT /update_individual batch.
//
// Batch semantics: every item is validated, and every target looked up,
// before anything is written; any problem there fails the whole batch
// (422 with JSON pointers into the array, 404 for an updateId that matches no
// active individual, 409 when it matches several) and nothing is written.
// Then each item is written with one Odoo write, which is atomic: an item
// is applied completely or not at all. A write that Odoo refuses (a
// constraint the proxy could not check, a concurrent change) fails only
// that item; the others stay applied. The results say which; BatchError
// turns failures into one error. Re-sending a whole batch is safe: ids are
// upserted by type, known phones and accounts are not added twice.
//
// Per item: the target is the active individual registrant owning a
// registration id of type idType with value updateId (both on the same
// g2p.reg.id row). Fields present are written, explicit null clears (false),
// absent keys are left alone; registration ids are upserted by type; phone
// numbers are appended when new (compared by digits); bank accounts are
// matched by sanitized number among all the registrant's accounts, archived
// ones included: known ones are kept (moved to the bank the item names
// when it differs), archived ones reactivated, new ones added. When name is
// not sent but its parts change, and the stored name is the one composed
// from the stored parts, the name is composed again.
//
// Cost with cached banks and reference data: 1 search + 1 read before the
// writes, 1 write per item, 1 read of the results.
func (r *Registry) UpdateIndividuals(ctx context.Context, idTypeName string, items []UpdateIndividualRequest) (results []UpdateResult, err error) {
	r.withFreshReferences(func() error {
		results, err = r.updateIndividuals(ctx, idTypeName, items)
		for _, res := range results {
			if err == nil && isReferenceFault(res.Err) {
				return res.Err // the batch runs again: re-sending it is safe
			}
		}
		return err
	})
	return results, err
}

func (r *Registry) updateIndividuals(ctx context.Context, idTypeName string, items []UpdateIndividualRequest) ([]UpdateResult, error) {
	v := r.validator()
	typeName := cleanText(idTypeName)
	var t idType
	if typeName == "" {
		v.p.param("id_type", "is a required query parameter")
	} else {
		var found bool
		var err error
		if t, found, err = r.ref.idType(ctx, typeName); err != nil {
			return nil, err
		} else if !found {
			v.p.refParam(LegacyIDType, "id_type", "unknown ID type %q%s", typeName, r.ref.accepted(ctx, refIDTypes, typeName))
		}
	}
	if len(items) == 0 {
		v.p.add("", "the body must be a non-empty array of updates")
	}
	if len(items) > MaxUpdateBatch {
		v.p.add("", "at most %d updates per request (one Odoo write each); split the batch", MaxUpdateBatch)
		return nil, v.p.err()
	}
	drafts := make([]*registrantDraft, len(items))
	seen := map[string]int{}
	for i := range items {
		ptr := "/" + strconv.Itoa(i)
		it := &items[i]
		it.UpdateID = cleanText(it.UpdateID)
		if it.UpdateID == "" {
			v.p.add(ptr+"/updateId", "is required")
		} else if prev, dup := seen[it.UpdateID]; dup {
			v.p.dup(ptr+"/updateId", "the same registrant is already updated by /%d", prev)
		} else {
			seen[it.UpdateID] = i
		}
		d, err := v.registrant(ctx, &it.RegistrantFields, ptr, modeUpdate)
		if err != nil {
			return nil, err
		}
		if err := v.person(ctx, &it.PersonFields, ptr, d, modeUpdate); err != nil {
			return nil, err
		}
		delete(d.vals, "is_registrant")
		delete(d.vals, "is_group")
		drafts[i] = d
	}
	if err := v.p.err(); err != nil {
		return nil, err
	}
	targets, err := r.findTargets(ctx, t, items)
	if err != nil {
		return nil, err
	}
	banks, err := resolveBanks(ctx, r.banks, drafts...)
	if err != nil {
		return nil, err
	}
	results := make([]UpdateResult, len(items))
	var written []int64
	for i, it := range items {
		results[i] = UpdateResult{Index: i, UpdateID: it.UpdateID}
		target := targets[i]
		err := r.writeUpdate(ctx, target, drafts[i], banks)
		if err != nil {
			results[i].Err = FromOdoo(err)
			r.log.Warn("individual update failed", zap.Int("item", i), zap.Int64("partner_id", target.ID()),
				zap.String("client_id", ClientID(ctx)), zap.Error(err))
			continue
		}
		r.logWrite(ctx, "individual updated", zap.Int64("partner_id", target.ID()), zap.Strings("accounts", describeAccounts(drafts[i])))
		written = append(written, target.ID())
	}
	if len(written) == 0 {
		return results, nil
	}
	recs, err := r.odoo.WebRead(ctx, modelPartner, written, individualSpec(), odoo.Options{})
	if err != nil {
		return nil, savedButUnread("update", 0, FromOdoo(err))
	}
	byID := map[int64]odoo.Record{}
	for _, rec := range recs {
		byID[rec.ID()] = rec
	}
	now := r.opts.Now()
	for i := range results {
		if results[i].Err != nil {
			continue
		}
		if rec, ok := byID[targets[i].ID()]; ok {
			ind := toIndividual(rec, now)
			results[i].Individual = &ind
		}
	}
	return results, nil
}

// updateSpec reads what an update compares against: stored name parts, the
// registration ids by type, the phones and every bank account (the read runs
// with active_test false so archived accounts are included).
func updateSpec() odoo.Spec {
	return odoo.Spec{
		"name": odoo.Spec{}, "given_name": odoo.Spec{}, "family_name": odoo.Spec{}, "addl_name": odoo.Spec{},
		"is_registrant": odoo.Spec{}, "is_group": odoo.Spec{}, "active": odoo.Spec{},
		"reg_ids":          odoo.Spec{"fields": odoo.Spec{"id_type": odoo.Spec{"fields": odoo.Spec{"name": odoo.Spec{}}}, "value": odoo.Spec{}}},
		"phone_number_ids": odoo.Spec{"fields": odoo.Spec{"phone_no": odoo.Spec{}}},
		"bank_ids":         odoo.Spec{"fields": odoo.Spec{"acc_number": odoo.Spec{}, "sanitized_acc_number": odoo.Spec{}, "active": odoo.Spec{}, "bank_id": odoo.Spec{}}},
	}
}

// findTargets finds the registrant of every item with one search on
// g2p.reg.id (type and value on the same row) and one batched read.
func (r *Registry) findTargets(ctx context.Context, t idType, items []UpdateIndividualRequest) ([]odoo.Record, error) {
	values := make([]any, len(items))
	for i, it := range items {
		values[i] = it.UpdateID
	}
	regs, err := r.odoo.SearchRead(ctx, "g2p.reg.id",
		odoo.Domain{odoo.Cond("id_type", "=", t.ID), odoo.Cond("value", "in", values)},
		[]string{"value", "partner_id"}, odoo.Options{Order: "id asc"})
	if err != nil {
		return nil, FromOdoo(err)
	}
	partnersOf := map[string][]int64{}
	var ids []int64
	for _, reg := range regs {
		val, _ := reg.String("value")
		p, ok := reg.Many2One("partner_id")
		if !ok {
			continue
		}
		partnersOf[val] = append(partnersOf[val], p.ID)
		ids = append(ids, p.ID)
	}
	byID := map[int64]odoo.Record{}
	if len(ids) > 0 {
		inactive := false
		recs, err := r.odoo.WebRead(ctx, modelPartner, ids, updateSpec(), odoo.Options{ActiveTest: &inactive})
		if err != nil {
			return nil, FromOdoo(err)
		}
		for _, rec := range recs {
			if rec.Bool("is_registrant") && !rec.Bool("is_group") && rec.Bool("active") {
				byID[rec.ID()] = rec
			}
		}
	}
	var p problems
	out := make([]odoo.Record, len(items))
	for i, it := range items {
		var matches []odoo.Record
		seen := map[int64]bool{}
		for _, id := range partnersOf[it.UpdateID] {
			if rec, ok := byID[id]; ok && !seen[id] {
				seen[id] = true
				matches = append(matches, rec)
			}
		}
		ptr := "/" + strconv.Itoa(i) + "/updateId"
		switch len(matches) {
		case 0:
			p.addCode(CodeNotFound, LegacyNotPresent, FieldError{Pointer: ptr}, "Individual with the given ID %s not found.", it.UpdateID)
		case 1:
			out[i] = matches[0]
		default:
			p.addCode(CodeConflict, "", FieldError{Pointer: ptr}, "%d individuals have the %s %s; the update would be ambiguous", len(matches), idLabel(t.Name), it.UpdateID)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// writeUpdate writes one item in one call. A bank id that vanished since it
// was cached is resolved again and the write retried once.
//
// The write is computed against the record as read before; a concurrent
// update of the same registrant may have added one of the same accounts
// since, and Odoo then refuses the whole write (unique constraint, one
// transaction: nothing applied, so this item's other accounts would be
// lost). The record is read again and the write recomputed, a few times.
func (r *Registry) writeUpdate(ctx context.Context, target odoo.Record, d *registrantDraft, banks map[string]Bank) error {
	for attempt := 1; ; attempt++ {
		err := r.retryStaleBank(ctx, []*registrantDraft{d}, &banks, func() error {
			vals := updateValues(target, d, banks)
			if len(vals) == 0 {
				return nil
			}
			return r.odoo.Write(ctx, modelPartner, []int64{target.ID()}, vals, odoo.Options{})
		})
		if attempt == maxStaleWrites || !odoo.IsKind(err, odoo.KindUnique) {
			return err
		}
		inactive := false
		recs, rerr := r.odoo.WebRead(ctx, modelPartner, []int64{target.ID()}, updateSpec(), odoo.Options{ActiveTest: &inactive})
		if rerr != nil || len(recs) == 0 {
			return err
		}
		target = recs[0]
	}
}

// maxStaleWrites bounds the recomputed writes of one update item.
const maxStaleWrites = 3

// updateValues computes the write of one item against the stored record.
func updateValues(target odoo.Record, d *registrantDraft, banks map[string]Bank) odoo.Values {
	vals := odoo.Values{}
	for k, x := range d.vals {
		vals[k] = x
	}
	if !d.nameSent {
		if name, ok := recomposedName(target, vals); ok {
			vals["name"] = name
		}
	}
	rowOfType := map[int64]int64{}
	for _, reg := range target.Records("reg_ids") {
		if t, ok := reg.Record("id_type"); ok {
			rowOfType[t.ID()] = reg.ID()
		} else if m, ok := reg.Many2One("id_type"); ok {
			rowOfType[m.ID] = reg.ID()
		}
	}
	var ids []any
	for _, id := range d.ids {
		if row, ok := rowOfType[id.typeID]; ok {
			upd := odoo.Values{}
			for k, x := range id.vals {
				if k != "id_type" {
					upd[k] = x
				}
			}
			ids = append(ids, odoo.CmdUpdate(row, upd))
		} else {
			ids = append(ids, odoo.CmdCreate(id.vals))
		}
	}
	if len(ids) > 0 {
		vals["reg_ids"] = ids
	}
	knownPhones := map[string]bool{}
	for _, ph := range target.Records("phone_number_ids") {
		no, _ := ph.String("phone_no")
		knownPhones[phoneKey(no)] = true
	}
	var phones []any
	for _, ph := range d.phones {
		if !knownPhones[phoneKey(ph.number)] {
			phones = append(phones, odoo.CmdCreate(ph.vals))
		}
	}
	if len(phones) > 0 {
		vals["phone_number_ids"] = phones
	}
	type stored struct {
		id     int64
		active bool
		bankID int64
	}
	known := map[string]stored{}
	for _, acc := range target.Records("bank_ids") {
		s, ok := acc.String("sanitized_acc_number")
		if !ok {
			n, _ := acc.String("acc_number")
			s = AccountNumber(n).Sanitized()
		}
		k := stored{id: acc.ID(), active: acc.Bool("active")}
		if b, ok := acc.Many2One("bank_id"); ok {
			k.bankID = b.ID
		}
		known[s] = k
	}
	var accounts []any
	for _, a := range d.accounts {
		k, ok := known[a.number.Sanitized()]
		if !ok {
			accounts = append(accounts, odoo.CmdCreate(a.values(banks)))
			continue
		}
		// The item is the client's statement of truth: a known number sent
		// with another bank moves to that bank.
		upd := odoo.Values{}
		if !k.active {
			upd["active"] = true
		}
		if bank := banks[a.bank.key()].ID; bank != k.bankID {
			upd["bank_id"] = bank
		}
		if len(upd) > 0 {
			accounts = append(accounts, odoo.CmdUpdate(k.id, upd))
		}
	}
	if len(accounts) > 0 {
		vals["bank_ids"] = accounts
	}
	return vals
}

// recomposedName returns the new composed name when a name part changes and
// the stored name is the composed one (a hand-written name is kept).
func recomposedName(target odoo.Record, vals odoo.Values) (string, bool) {
	parts := []string{"family_name", "given_name", "addl_name"}
	changed := false
	stored := map[string]string{}
	merged := map[string]string{}
	for _, p := range parts {
		s, _ := target.String(p)
		stored[p], merged[p] = s, s
		if x, ok := vals[p]; ok {
			changed = true
			ns, _ := x.(string) // false clears
			merged[p] = ns
		}
	}
	if !changed {
		return "", false
	}
	name, _ := target.String("name")
	if name != composeIndividualName(stored["family_name"], stored["given_name"], stored["addl_name"]) {
		return "", false
	}
	composed := composeIndividualName(merged["family_name"], merged["given_name"], merged["addl_name"])
	if strings.TrimSpace(composed) == "" || composed == name {
		return "", false
	}
	return composed, true
}

// BatchError summarises the failed items of an update batch as one error
// (nil when every item succeeded). Its code is the first failure's; each
// failed item is a field error pointing at its index.
func BatchError(results []UpdateResult) error {
	var failed, applied []string
	var first *Error
	var fields []FieldError
	for _, res := range results {
		ptr := "/" + strconv.Itoa(res.Index)
		if res.Err == nil {
			applied = append(applied, ptr)
			continue
		}
		e, ok := AsError(res.Err)
		if !ok {
			e = &Error{Code: CodeInternal, Message: "internal error", Cause: res.Err}
		}
		if first == nil {
			first = e
		}
		failed = append(failed, ptr)
		fields = append(fields, FieldError{Pointer: ptr, Message: fmt.Sprintf("updateId %s: %s", res.UpdateID, e.Message)})
	}
	if first == nil {
		return nil
	}
	msg := fmt.Sprintf("%d of %d updates failed (%s): %s", len(failed), len(results), strings.Join(failed, ", "), fields[0].Message)
	if len(applied) > 0 {
		msg += fmt.Sprintf("; the other items were applied (%s) and sending the batch again is safe", strings.Join(applied, ", "))
	}
	return &Error{Code: first.Code, Message: msg, LegacyCode: first.LegacyCode, Fields: fields, Cause: first.Cause}
}
