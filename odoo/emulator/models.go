package emulator

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Fixed ids of module data (the same on every Odoo with these modules).
const (
	companyID     int64 = 1
	odooBotUID    int64 = 1
	adminUID      int64 = 2
	headKindID    int64 = 1
	householdKind int64 = 1
	familyKind    int64 = 2
)

// applyDefaults fills the field defaults of a new record.
func (e *env) applyDefaults(m *model, r row) {
	switch m.name {
	case "res.partner":
		r["active"] = true
		r["type"] = "contact"
		r["lang"] = "en_US"
		r["company_id"] = companyID
		r["registration_date"] = e.todayString()
		r["partner_share"] = true
		r["is_registrant"] = false
		r["is_group"] = false
		r["is_company"] = false
	case "res.bank", "gender.type", "res.users":
		r["active"] = true
	case "res.partner.bank":
		r["active"] = true
		r["allow_out_payment"] = false
		r["sequence"] = int64(10)
	case "g2p.phone.number":
		r["date_collected"] = e.todayString()
	case "g2p.group.membership":
		r["start_date"] = e.nowString()
	case "g2p.group.membership.kind":
		r["is_unique"] = false
	}
}

// displayName is the display_name of a record, also the text of the
// many2one pairs pointing at it (transcripts/02, 03).
func (e *env) displayName(m *model, r row) any {
	str := func(k string) (string, bool) { s, ok := r[k].(string); return s, ok }
	switch m.name {
	case "res.partner":
		if n := e.completeName(r); n != nil {
			return n
		}
		return ""
	case "res.bank":
		name, _ := str("name")
		if bic, ok := str("bic"); ok && bic != "" {
			return name + " - " + bic
		}
		return name
	case "res.partner.bank":
		acc, _ := str("acc_number")
		if bid, ok := r["bank_id"].(int64); ok {
			if br, ok := e.j.get("res.bank", bid); ok {
				if bn, _ := br["name"].(string); bn != "" {
					return acc + " - " + bn
				}
			}
		}
		return acc
	case "g2p.reg.id":
		// The partner's stored name, trailing blank included (transcripts/03 step 22).
		if pid, ok := r["partner_id"].(int64); ok {
			if pr, ok := e.j.get("res.partner", pid); ok {
				if n, ok := pr["name"].(string); ok {
					return n
				}
			}
		}
		return ""
	case "g2p.group.membership":
		if gid, ok := r["group"].(int64); ok {
			if gr, ok := e.j.get("res.partner", gid); ok {
				return e.displayName(e.reg["res.partner"], gr)
			}
		}
		return ""
	}
	if m.recName != "" {
		if s, ok := str(m.recName); ok {
			return s
		}
		return false
	}
	return m.name + "," + strconv.FormatInt(r["id"].(int64), 10)
}

// computeField renders the non-stored (or emulated stored-compute)
// fields; handled=false means "read it as a plain stored column".
func (e *env) computeField(m *model, r row, name string, o readOptions) (v any, handled bool, f *Fault) {
	if name == "display_name" {
		return e.displayName(m, r), true, nil
	}
	key := m.name + "." + name
	switch key {
	case "res.partner.complete_name":
		if n := e.completeName(r); n != nil {
			return n, true, nil
		}
		return false, true, nil
	case "res.partner.age":
		return e.age(r), true, nil
	case "res.partner.kind_as_str":
		return e.relatedChar("g2p.group.kind", r["kind"], "name"), true, nil
	case "res.partner.company_type":
		if r["is_company"] == true {
			return "company", true, nil
		}
		return "person", true, nil
	case "res.partner.commercial_partner_id", "res.partner.self":
		return e.many2oneOrFalse("res.partner", r["id"], o), true, nil
	case "res.partner.tz_offset":
		return "+0000", true, nil
	case "res.partner.active_lang_count":
		return int64(1), true, nil
	case "res.partner.im_status":
		return "im_partner", true, nil
	case "res.partner.bank.bank_name":
		return e.relatedChar("res.bank", r["bank_id"], "name"), true, nil
	case "res.partner.bank.bank_bic":
		return e.relatedChar("res.bank", r["bank_id"], "bic"), true, nil
	case "res.partner.bank.acc_type":
		return "bank", true, nil
	case "res.partner.bank.iban":
		s, f := e.iban(r)
		return s, true, f
	case "g2p.reg.id.id_type_as_str":
		return e.relatedChar("g2p.id.type", r["id_type"], "name"), true, nil
	case "g2p.group.membership.individual_birthdate":
		return e.relatedChar("res.partner", r["individual"], "birthdate"), true, nil
	case "g2p.group.membership.individual_gender":
		return e.relatedChar("res.partner", r["individual"], "gender"), true, nil
	case "g2p.group.membership.is_ended":
		return e.membershipEnded(r), true, nil
	case "g2p.group.membership.status":
		if e.membershipEnded(r) {
			return "inactive", true, nil
		}
		return "active", true, nil
	}
	if m.fields[name].Store {
		return nil, false, nil
	}
	// Other non-stored fields (chatter, avatars, activity) read as empty.
	switch m.fields[name].Type {
	case "one2many", "many2many":
		return []int64{}, true, nil
	case "integer":
		return int64(0), true, nil
	case "float", "monetary":
		return 0.0, true, nil
	}
	return false, true, nil
}

func (e *env) relatedChar(model string, id any, field string) any {
	n, ok := id.(int64)
	if !ok {
		return false
	}
	r, ok := e.j.get(model, n)
	if !ok {
		return false
	}
	if v, ok := r[field]; ok && v != nil {
		return v
	}
	return false
}

// age is g2p_registry_individual's computed age: whole years between the
// birthdate and today as text (relativedelta, so a future birthdate gives
// a negative age), or "No Birthdate!" without one.
func (e *env) age(r row) any {
	b, ok := r["birthdate"].(string)
	if !ok {
		return "No Birthdate!"
	}
	bd, err := time.Parse(dateLayout, b)
	if err != nil {
		return "No Birthdate!"
	}
	today := e.now.UTC().Truncate(24 * time.Hour)
	if bd.After(today) {
		return strconv.Itoa(-wholeYears(today, bd))
	}
	return strconv.Itoa(wholeYears(bd, today))
}

// wholeYears counts the complete years from a to b (a <= b).
func wholeYears(a, b time.Time) int {
	years := b.Year() - a.Year()
	if b.Month() < a.Month() || (b.Month() == a.Month() && b.Day() < a.Day()) {
		years--
	}
	return years
}

func (e *env) membershipEnded(r row) bool {
	end, ok := r["ended_date"].(string)
	return ok && end <= e.nowString()
}

// recompute maintains the stored computed fields after a create/write.
func (e *env) recompute(m *model, id int64) {
	r, _ := e.j.get(m.name, id)
	switch m.name {
	case "res.partner.bank":
		upd := row{}
		if acc, ok := r["acc_number"].(string); ok {
			upd["sanitized_acc_number"] = sanitizeAccNumber(acc)
		} else {
			upd["sanitized_acc_number"] = nil
		}
		// acc_holder_name is set in applyRelated: a row without it may be
		// one whose holder a client cleared, which Odoo keeps.
		// company_id is a stored related of partner_id.company_id.
		upd["company_id"] = e.relatedOrNil("res.partner", r["partner_id"], "company_id")
		e.j.update(m.name, id, upd)
	case "g2p.phone.number":
		e.j.update(m.name, id, row{"phone_sanitized": r["phone_no"]})
	case "g2p.group.membership":
		// g2p_registry_membership flags the group for its queue_job
		// indicator recomputation (transcripts/06b steps 17, 20).
		if gid, ok := r["group"].(int64); ok {
			upd := row{"force_recompute_canary": e.nowString()}
			e.stamp(upd, false)
			e.j.update("res.partner", gid, upd)
		}
	case "res.partner":
		upd := row{"complete_name": e.completeName(r), "email_normalized": nil}
		if n, ok := r["email"].(string); ok {
			upd["email_normalized"] = strings.ToLower(strings.TrimSpace(n))
		}
		e.j.update(m.name, id, upd)
	}
}

func (e *env) relatedOrNil(model string, id any, field string) any {
	v := e.relatedChar(model, id, field)
	if v == false {
		return nil
	}
	return v
}

// applyRelated handles writes that spill onto other records: a related
// field's inverse (res.partner.bank.bank_name renames the shared bank,
// DESIGN §3), and acc_holder_name, a stored compute on partner_id only with
// readonly=False (Odoo 17 base/models/res_bank.py): computed when an
// account is created or moved to another partner without a holder in the
// same call, never when the partner is renamed, and a written value, false
// included, is kept until then.
func (e *env) applyRelated(m *model, id int64, vals map[string]any) *Fault {
	r, _ := e.j.get(m.name, id)
	switch m.name {
	case "res.users":
		// Like Odoo, a user without a partner gets one named after it.
		if _, ok := r["partner_id"]; !ok {
			pid, f := e.create(e.reg["res.partner"], map[string]any{"name": r["name"]})
			if f != nil {
				return f
			}
			e.j.update(m.name, id, row{"partner_id": pid})
		}
	case "res.partner.bank":
		if _, ok := vals["acc_holder_name"]; !ok {
			if _, changed := vals["partner_id"]; changed {
				e.j.update(m.name, id, row{"acc_holder_name": e.relatedOrNil("res.partner", r["partner_id"], "name")})
			}
		}
		for _, rel := range []struct{ field, target string }{{"bank_name", "name"}, {"bank_bic", "bic"}} {
			v, ok := vals[rel.field]
			if !ok {
				continue
			}
			bid, ok := r["bank_id"].(int64)
			if !ok {
				continue
			}
			if f := e.write(e.reg["res.bank"], []int64{bid}, map[string]any{rel.target: v}); f != nil {
				return f
			}
		}
	}
	return nil
}

// checkConstraints runs the Python and SQL constraints of the model after
// a create (all fields) or write (the fields written).
func (e *env) checkConstraints(m *model, id int64, vals map[string]any, created bool) *Fault {
	r, _ := e.j.get(m.name, id)
	has := func(k string) bool { _, ok := vals[k]; return created || ok }
	switch m.name {
	case "res.partner":
		if has("registration_date") {
			if f := e.checkRegistrationDate(r); f != nil {
				return f
			}
		}
		if _, ok := vals["group_membership_ids"]; ok {
			if f := e.checkUniqueKinds(m, r); f != nil {
				return f
			}
		}
	case "res.partner.bank":
		// SQL unique(sanitized_acc_number, partner_id); archived rows count.
		san, ok := r["sanitized_acc_number"]
		if !ok || san == nil {
			return nil
		}
		for oid, or := range e.j.st.tables[m.name].rows {
			if oid != id && or["sanitized_acc_number"] == san && or["partner_id"] == r["partner_id"] {
				return newFault(excValidation, msgCannotComplete+"The combination Account Number/Partner must be unique.")
			}
		}
	case "g2p.reg.id":
		for oid, or := range e.j.st.tables[m.name].rows {
			if oid != id && or["partner_id"] == r["partner_id"] && or["id_type"] == r["id_type"] {
				return newFault(excValidation, "ID Type must be unique.")
			}
		}
		if has("value") {
			return e.checkIDValidation(r)
		}
	case "gender.type":
		if c, _ := r["code"].(string); c == "" {
			return newFault(excValidation, "Gender type should not empty.")
		}
		return e.uniqueCaseless(m, id, "code", "Gender type should be unique")
	case "g2p.id.type":
		if has("name") {
			if n, _ := r["name"].(string); n == "" {
				return newFault(excValidation, "Id type should not empty.")
			}
			return e.uniqueCaseless(m, id, "name", "Id type already exists")
		}
	case "g2p.group.kind", "g2p.group.membership.kind":
		return e.uniqueCaseless(m, id, "name", "kind already exists")
	case "g2p.group.membership":
		if end, ok := r["ended_date"].(string); ok {
			if start, ok := r["start_date"].(string); ok && end < start {
				return newFault(excValidation, "End Date cannot be earlier than Start Date")
			}
		}
		for oid, or := range e.j.st.tables[m.name].rows {
			if oid != id && or["group"] == r["group"] && or["individual"] == r["individual"] {
				return newFault(excValidation, "Duplication of Member is not allowed ")
			}
		}
	}
	return nil
}

// checkRegistrationDate is g2p_registry_base's _check_registration_date.
func (e *env) checkRegistrationDate(r row) *Fault {
	reg, ok := r["registration_date"].(string)
	if !ok {
		return nil
	}
	if reg > e.todayString() {
		return newFault(excValidation, "Registration date must be less than the current date.")
	}
	if b, ok := r["birthdate"].(string); ok && reg < b {
		return newFault(excValidation, "Registration date must be later than the birth date.")
	}
	return nil
}

// checkIDValidation applies g2p.id.type.id_validation with re.match
// semantics (anchored at the start only).
func (e *env) checkIDValidation(r row) *Fault {
	value, _ := r["value"].(string)
	if value == "" {
		return nil
	}
	tid, _ := r["id_type"].(int64)
	tr, ok := e.j.get("g2p.id.type", tid)
	if !ok {
		return nil
	}
	pattern, _ := tr["id_validation"].(string)
	if pattern == "" {
		return nil
	}
	rx, err := regexp.Compile("^(?:" + pyUnicodeClasses(pattern) + ")")
	if err != nil {
		// A Python pattern Go's RE2 cannot run (look-around, back
		// references): not checked rather than wrongly refused.
		return nil
	}
	if !rx.MatchString(value) {
		name, _ := tr["name"].(string)
		return newFault(excValidation, "The provided %s ID '%s' is invalid.", name, value)
	}
	return nil
}

// pyUnicodeClasses rewrites \d, \D, \w and \W to the Unicode classes
// they mean in Python 3's re (Go's RE2 gives them their ASCII meaning).
func pyUnicodeClasses(pattern string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '\\' && i+1 < len(pattern) {
			next := pattern[i+1]
			i++
			switch {
			case next == 'd':
				b.WriteString(`\p{Nd}`)
			case next == 'D' && !inClass:
				b.WriteString(`\P{Nd}`)
			case next == 'w' && inClass:
				b.WriteString(`\p{L}\p{N}_`)
			case next == 'w':
				b.WriteString(`[\p{L}\p{N}_]`)
			case next == 'W' && !inClass:
				b.WriteString(`[^\p{L}\p{N}_]`)
			default:
				b.WriteByte(c)
				b.WriteByte(next)
			}
			continue
		}
		switch c {
		case '[':
			inClass = true
		case ']':
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (e *env) uniqueCaseless(m *model, id int64, field, msg string) *Fault {
	r, _ := e.j.get(m.name, id)
	v, ok := r[field].(string)
	if !ok {
		return nil
	}
	for oid, or := range e.j.st.tables[m.name].rows {
		if s, ok := or[field].(string); ok && oid != id && strings.EqualFold(s, v) {
			return plainFault(excValidation, msg)
		}
	}
	return nil
}

// checkUniqueKinds refuses two memberships with the same unique kind (Head)
// in one group; only checked through the group's one2many (transcripts/06b
// steps 27-28).
func (e *env) checkUniqueKinds(m *model, r row) *Fault {
	km := e.reg["g2p.group.membership.kind"]
	count := map[int64]int{}
	for _, mid := range e.relatedIDs(m, r, m.fields["group_membership_ids"]) {
		mr, _ := e.j.get("g2p.group.membership", mid)
		kinds, _ := mr["kind"].([]int64)
		for _, k := range kinds {
			kr, ok := e.j.get(km.name, k)
			if ok && kr["is_unique"] == true {
				count[k]++
				if count[k] > 1 {
					name, _ := kr["name"].(string)
					return newFault(excValidation, "Only one %s is allowed per group", name)
				}
			}
		}
	}
	return nil
}
