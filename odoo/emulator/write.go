package emulator

import (
	"sort"
)

// ondeleteCascade lists the many2one fields declared ondelete='cascade';
// other required many2ones restrict, optional ones set NULL (Odoo's
// defaults, see fields/README.md).
var ondeleteCascade = map[string]bool{
	"res.partner.bank.partner_id": true,
}

// create inserts one record with its nested x2many commands.
func (e *env) create(m *model, vals map[string]any) (int64, *Fault) {
	for name := range vals {
		if _, ok := m.fields[name]; !ok {
			return 0, faultInvalidField(m.name, name)
		}
	}
	r := row{}
	e.applyDefaults(m, r)
	e.stamp(r, true)
	x2m, f := e.convertVals(m, vals, r)
	if f != nil {
		return 0, f
	}
	for k, v := range r {
		if v == nil {
			delete(r, k)
		}
	}
	if f := e.checkRequired(m, r); f != nil {
		return 0, f
	}
	if f := e.checkForeignKeys(m, r); f != nil {
		return 0, f
	}
	id := e.j.insert(m.name, r)
	if f := e.applyRelated(m, id, vals); f != nil {
		return 0, f
	}
	if f := e.applyX2many(m, id, x2m); f != nil {
		return 0, f
	}
	e.recompute(m, id)
	if f := e.checkConstraints(m, id, vals, true); f != nil {
		return 0, f
	}
	return id, nil
}

// write updates records; missing ids are a MissingError (transcripts/08).
func (e *env) write(m *model, ids []int64, vals map[string]any) *Fault {
	if miss := e.missing(m, ids); len(miss) > 0 {
		return faultMissing(m.name, miss, e.uid)
	}
	for name := range vals {
		if _, ok := m.fields[name]; !ok {
			return faultInvalidField(m.name, name)
		}
	}
	if m.name == "g2p.group.membership.kind" {
		for _, id := range ids {
			if id == headKindID {
				return newFault(excValidation, "Can't edit default kinds")
			}
		}
	}
	if len(vals) == 0 {
		return nil
	}
	for _, id := range ids {
		upd := row{}
		x2m, f := e.convertVals(m, vals, upd)
		if f != nil {
			return f
		}
		e.stamp(upd, false)
		if f := e.checkForeignKeys(m, upd); f != nil {
			return f
		}
		e.j.update(m.name, id, upd)
		r, _ := e.j.get(m.name, id)
		if f := e.checkRequired(m, r); f != nil {
			return f
		}
		if f := e.applyRelated(m, id, vals); f != nil {
			return f
		}
		if f := e.applyX2many(m, id, x2m); f != nil {
			return f
		}
		e.recompute(m, id)
		if f := e.checkConstraints(m, id, vals, false); f != nil {
			return f
		}
	}
	return nil
}

func (e *env) stamp(r row, create bool) {
	if create {
		r["create_uid"] = e.uid
		r["create_date"] = e.nowString()
	}
	r["write_uid"] = e.uid
	r["write_date"] = e.nowString()
}

// x2manyCmds are the x2many values of a create/write, applied after the
// record itself is stored.
type x2manyCmds map[string]any

// convertVals converts the plain values into r and returns the x2many ones.
func (e *env) convertVals(m *model, vals map[string]any, r row) (x2manyCmds, *Fault) {
	x2m := x2manyCmds{}
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f := m.fields[name]
		v := vals[name]
		if f.x2many() {
			x2m[name] = v
			continue
		}
		if !f.Store || name == "id" || magicField(name) {
			continue // computed without inverse, or log fields: ignored
		}
		cv, fl := e.convertValue(m, f, v)
		if fl != nil {
			return nil, fl
		}
		r[name] = cv
	}
	return x2m, nil
}

func magicField(name string) bool {
	switch name {
	case "create_uid", "create_date", "write_uid", "write_date":
		return true
	}
	return false
}

// convertValue is convert_to_column for one field.
func (e *env) convertValue(m *model, f *field, v any) (any, *Fault) {
	switch f.Type {
	case "char", "text", "html":
		return toChar(v), nil
	case "boolean":
		return truthy(v), nil
	case "integer":
		return toInteger(v)
	case "float", "monetary":
		return toFloat(v)
	case "date":
		return toDate(v)
	case "datetime":
		return toDatetime(v)
	case "selection":
		if !truthy(v) {
			return nil, nil
		}
		s := pyStr(v)
		if !e.selectionHas(m, f, s) {
			return nil, newFault(excValue, "Wrong value for %s.%s: %s", m.name, f.Name, pyValueRepr(v))
		}
		return s, nil
	case "many2one":
		switch x := v.(type) {
		case int64:
			if x == 0 {
				return nil, nil
			}
			if x > maxInt32 || x < 0 {
				return nil, newFault(excOutOfRange, "integer out of range\n")
			}
			return x, nil
		case float64:
			return int64(x), nil
		}
		// A string or an [id, name] pair is not an id: Odoo stores NULL
		// without complaint (transcripts/08 steps 22-26).
		return nil, nil
	case "binary":
		return nil, nil
	}
	return v, nil
}

func (e *env) selectionHas(m *model, f *field, s string) bool {
	sel := f.Selection
	if m.name == "res.partner" && f.Name == "gender" {
		sel = e.genderSelection()
	}
	for _, p := range sel {
		if pair, ok := p.([]any); ok && len(pair) > 0 && pair[0] == s {
			return true
		}
	}
	return false
}

func (e *env) checkRequired(m *model, r row) *Fault {
	if m.name == "res.partner" {
		// SQL check res_partner_check_name (transcripts/03 step 12).
		if t, _ := r["type"].(string); t == "contact" || t == "" {
			if _, ok := r["name"]; !ok {
				return newFault(excValidation, msgCannotComplete+"Contacts require a name")
			}
		}
	}
	for _, name := range m.readOrder {
		f := m.fields[name]
		if !f.Required || !f.Store {
			continue
		}
		if _, ok := r[name]; !ok {
			return faultRequired(m, name)
		}
	}
	return nil
}

func (e *env) checkForeignKeys(m *model, r row) *Fault {
	for _, name := range m.readOrder {
		f := m.fields[name]
		if f.Type != "many2one" || magicField(name) {
			continue
		}
		id, ok := r[name].(int64)
		if !ok || e.reg[f.Relation] == nil {
			continue // a comodel the emulator does not hold (res.currency...): not checked
		}
		if _, exists := e.j.get(f.Relation, id); !exists {
			return faultFK(m, name)
		}
	}
	return nil
}

// applyX2many runs the x2many commands of a create/write on record id.
func (e *env) applyX2many(m *model, id int64, cmds x2manyCmds) *Fault {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f := m.fields[name]
		co := e.reg[f.Relation]
		if co == nil || (f.Type == "one2many" && f.Inverse == "") {
			continue // a relation the emulator does not model: ignored
		}
		list, ok := cmds[name].([]any)
		switch {
		case !ok && truthy(cmds[name]):
			return newFault(excValue, "Wrong value for %s.%s: %s", m.name, name, pyValueRepr(cmds[name]))
		case !ok:
			list = []any{[]any{int64(5)}} // False/None clears
		case len(list) > 0:
			if _, isCmd := list[0].([]any); !isCmd {
				list = []any{[]any{int64(6), int64(0), list}} // bare ids replace (write_batch)
			}
		}
		for _, c := range list {
			if f := e.applyCommand(m, id, f, co, c); f != nil {
				return f
			}
		}
	}
	return nil
}

func (e *env) applyCommand(m *model, id int64, f *field, co *model, c any) *Fault {
	cmd, ok := c.([]any)
	if !ok || len(cmd) == 0 {
		return newFault(excValue, "Wrong value for %s.%s: %s", m.name, f.Name, pyValueRepr(c))
	}
	code, _ := cmd[0].(int64)
	arg := func(i int) any {
		if i < len(cmd) {
			return cmd[i]
		}
		return nil
	}
	targetID, _ := arg(1).(int64)
	// Lines are created, written and deleted with the caller's rights on
	// their own model, as Odoo does: a Registrar cannot add bank accounts
	// through res.partner.
	if op := lineMethods[code]; op != "" {
		if f := e.lineAccess(co, op); f != nil {
			return f
		}
	}
	switch code {
	case 0:
		vals, _ := arg(2).(map[string]any)
		if vals == nil {
			vals = map[string]any{}
		}
		if f.Type == "one2many" {
			vals = withValue(vals, f.Inverse, id)
			_, fl := e.create(co, vals)
			return fl
		}
		nid, fl := e.create(co, vals)
		if fl != nil {
			return fl
		}
		return e.m2mLink(m, id, f, nid)
	case 1:
		vals, _ := arg(2).(map[string]any)
		return e.write(co, []int64{targetID}, vals)
	case 2:
		if miss := e.missing(co, []int64{targetID}); len(miss) > 0 {
			return faultMissing(co.name, miss, e.uid)
		}
		if f.Type == "many2many" {
			if fl := e.m2mUnlink(m, id, f, targetID); fl != nil {
				return fl
			}
		}
		return e.unlink(co, []int64{targetID})
	case 3:
		if f.Type == "many2many" {
			return e.m2mUnlink(m, id, f, targetID)
		}
		return e.o2mRelease(co, f, targetID)
	case 4:
		if f.Type == "many2many" {
			if _, ok := e.j.get(co.name, targetID); !ok {
				return faultMissing(co.name, []int64{targetID}, e.uid)
			}
			return e.m2mLink(m, id, f, targetID)
		}
		return e.write(co, []int64{targetID}, map[string]any{f.Inverse: id})
	case 5:
		r, _ := e.j.get(m.name, id)
		for _, cid := range e.relatedIDs(m, r, f) {
			var fl *Fault
			if f.Type == "many2many" {
				fl = e.m2mUnlink(m, id, f, cid)
			} else {
				fl = e.o2mRelease(co, f, cid)
			}
			if fl != nil {
				return fl
			}
		}
		return nil
	case 6:
		want := toIDList(arg(2))
		r, _ := e.j.get(m.name, id)
		if f.Type == "many2many" {
			for _, w := range want {
				if _, ok := e.j.get(co.name, w); !ok {
					return faultFK(m, f.Name)
				}
			}
			e.j.update(m.name, id, row{f.Name: dedupe(want)})
			return nil
		}
		for _, cid := range e.relatedIDs(m, r, f) {
			if !containsID(want, cid) {
				if fl := e.o2mRelease(co, f, cid); fl != nil {
					return fl
				}
			}
		}
		for _, w := range want {
			if fl := e.write(co, []int64{w}, map[string]any{f.Inverse: id}); fl != nil {
				return fl
			}
		}
		return nil
	}
	return newFault(excValue, "Wrong value for %s.%s: %s", m.name, f.Name, pyValueRepr(c))
}

func withValue(vals map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(vals)+1)
	for kk, vv := range vals {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func dedupe(ids []int64) []int64 {
	out := []int64{}
	for _, id := range ids {
		if !containsID(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// o2mRelease removes a line from a one2many (commands 3, 5, 6): a line
// whose inverse is ondelete=cascade is deleted (transcripts/05 step 19),
// otherwise its inverse is set to False, which a required inverse refuses
// with the mandatory-field fault.
func (e *env) o2mRelease(co *model, f *field, cid int64) *Fault {
	if ondeleteCascade[co.name+"."+f.Inverse] {
		return e.unlink(co, []int64{cid})
	}
	return e.write(co, []int64{cid}, map[string]any{f.Inverse: false})
}

func (e *env) m2mLink(m *model, id int64, f *field, target int64) *Fault {
	r, _ := e.j.get(m.name, id)
	ids, _ := r[f.Name].([]int64)
	if containsID(ids, target) {
		return nil
	}
	e.j.update(m.name, id, row{f.Name: append(append([]int64(nil), ids...), target)})
	return nil
}

func (e *env) m2mUnlink(m *model, id int64, f *field, target int64) *Fault {
	r, _ := e.j.get(m.name, id)
	ids, _ := r[f.Name].([]int64)
	out := []int64{}
	for _, x := range ids {
		if x != target {
			out = append(out, x)
		}
	}
	e.j.update(m.name, id, row{f.Name: out})
	return nil
}

// unlink deletes records, applying each referencing many2one's ondelete:
// cascade, restrict (fault with the FK constraint name) or set NULL.
func (e *env) unlink(m *model, ids []int64) *Fault {
	if miss := e.missing(m, ids); len(miss) > 0 {
		return faultMissing(m.name, miss, e.uid)
	}
	if m.name == "g2p.group.membership.kind" && containsID(ids, headKindID) {
		return newFault(excValidation, "Can't delete default kinds")
	}
	for _, id := range ids {
		if _, ok := e.j.get(m.name, id); !ok {
			continue // already removed by a cascade in this call
		}
		for _, refName := range sortedModelNames(e.reg) {
			ref := e.reg[refName]
			for _, fname := range ref.readOrder {
				f := ref.fields[fname]
				if f.Relation != m.name || !f.Store {
					continue
				}
				if f.Type == "many2many" {
					for rid, rr := range e.j.st.tables[ref.name].rows {
						if list, _ := rr[fname].([]int64); containsID(list, id) {
							_ = e.m2mUnlink(ref, rid, f, id)
						}
					}
					continue
				}
				if f.Type != "many2one" {
					continue
				}
				for _, rid := range e.j.st.tables[ref.name].ids() {
					rr := e.j.st.tables[ref.name].rows[rid]
					if rr[fname] != id {
						continue
					}
					switch {
					case ondeleteCascade[ref.name+"."+fname]:
						if fl := e.unlink(ref, []int64{rid}); fl != nil {
							return fl
						}
					case f.Required:
						return faultFK(ref, fname)
					default:
						e.j.update(ref.name, rid, row{fname: nil})
					}
				}
			}
		}
		e.j.delete(m.name, id)
	}
	return nil
}

func sortedModelNames(reg registry) []string {
	out := make([]string, 0, len(reg))
	for n := range reg {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// lineMethods are the methods whose rights the x2many commands 0, 1 and 2
// need on the lines' model.
var lineMethods = map[int64]string{0: "create", 1: "write", 2: "unlink"}

// lineAccess is the caller's right to do method on the lines' model co
// (nil while seeding and for the emulator's own calls).
func (e *env) lineAccess(co *model, method string) *Fault {
	if e.srv == nil || e.user == nil {
		return nil
	}
	return e.srv.checkAccess(e.user, co, method).fault
}
