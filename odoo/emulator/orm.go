package emulator

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// env is one execute_kw in progress: the caller, its context and the
// journal that undoes its writes if it fails.
type env struct {
	reg  registry
	j    *journal
	uid  int64
	ctx  map[string]any
	now  time.Time
	srv  *Server // nil while seeding
	user row     // the caller's res.users row (nil while seeding)

	// lines indexes one2many lines by parent for this call ("model.inverse"
	// -> parent id -> line ids), rebuilt when the journal changed.
	lines        map[string]map[int64][]int64
	linesVersion int
}

func (e *env) nowString() string   { return e.now.UTC().Format(datetimeLayout) }
func (e *env) todayString() string { return e.now.UTC().Format(dateLayout) }

func (e *env) activeTest() bool {
	if v, ok := e.ctx["active_test"]; ok {
		return truthy(v)
	}
	return true
}

// relatedIDs lists the ids a relational field points to. x2many lists
// follow the comodel's _order and, like Odoo's convert_to_record, leave out
// archived lines unless the context has active_test false.
func (e *env) relatedIDs(m *model, r row, f *field) []int64 {
	switch f.Type {
	case "many2one":
		if id, ok := r[f.Name].(int64); ok {
			return []int64{id}
		}
		return nil
	case "many2many":
		ids, _ := r[f.Name].([]int64)
		co := e.reg[f.Relation]
		out := []int64{}
		for _, id := range ids {
			if co == nil || e.visible(co, id) {
				out = append(out, id)
			}
		}
		if co != nil {
			e.sortDefault(co, out)
		}
		return out
	case "one2many":
		co := e.reg[f.Relation]
		if co == nil || f.Inverse == "" {
			return nil
		}
		var out []int64
		for _, cid := range e.linesOf(co, f.Inverse, r["id"].(int64)) {
			if e.visible(co, cid) {
				out = append(out, cid)
			}
		}
		e.sortDefault(co, out)
		return out
	}
	return nil
}

// linesOf returns the ids of co whose many2one inverse points at parent,
// through an index built once per call and state: searching registrants
// by reg_ids.value stays linear instead of quadratic.
func (e *env) linesOf(co *model, inverse string, parent int64) []int64 {
	if e.lines == nil || e.linesVersion != e.j.version {
		e.lines = map[string]map[int64][]int64{}
		e.linesVersion = e.j.version
	}
	key := co.name + "." + inverse
	idx, ok := e.lines[key]
	if !ok {
		idx = map[int64][]int64{}
		for cid, cr := range e.j.st.tables[co.name].rows {
			if p, ok := cr[inverse].(int64); ok {
				idx[p] = append(idx[p], cid)
			}
		}
		e.lines[key] = idx
	}
	return idx[parent]
}

// visible is false for an archived record while active_test is on.
func (e *env) visible(m *model, id int64) bool {
	if !m.hasActive || !e.activeTest() {
		return true
	}
	r, ok := e.j.get(m.name, id)
	return ok && r["active"] == true
}

func (e *env) sortDefault(m *model, ids []int64) {
	terms, _ := parseOrder(m, m.order)
	e.sortIDs(m, ids, terms)
}

// search runs a domain with Odoo's implicit active filter.
func (e *env) search(m *model, domain any, offset, limit int64, order string) ([]int64, *Fault) {
	tree, f := parseDomain(m, domain)
	if f != nil {
		return nil, f
	}
	if m.name == "res.partner.bank" {
		rewriteAccNumber(tree)
	}
	if order == "" {
		order = m.order
	}
	terms, f := parseOrder(m, order)
	if f != nil {
		return nil, f
	}
	filterActive := m.hasActive && e.activeTest() && !tree.mentionsField("active")
	var ids []int64
	for _, id := range e.j.st.tables[m.name].ids() {
		r := e.j.st.tables[m.name].rows[id]
		if filterActive && r["active"] != true {
			continue
		}
		ok, f := e.match(m, r, tree)
		if f != nil {
			return nil, f
		}
		if ok {
			ids = append(ids, id)
		}
	}
	e.sortIDs(m, ids, terms)
	if offset > 0 {
		if offset >= int64(len(ids)) {
			return []int64{}, nil
		}
		ids = ids[offset:]
	}
	if limit > 0 && limit < int64(len(ids)) {
		ids = ids[:limit]
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids, nil
}

// rewriteAccNumber mirrors res.partner.bank._search: leaves on acc_number
// search sanitized_acc_number with a sanitized value (transcripts/04).
func rewriteAccNumber(n *dnode) {
	if n == nil {
		return
	}
	if n.op == "leaf" && n.leaf.path == "acc_number" {
		n.leaf.path = "sanitized_acc_number"
		switch v := n.leaf.value.(type) {
		case string:
			n.leaf.value = sanitizeAccNumber(v)
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				if s, ok := x.(string); ok {
					out[i] = sanitizeAccNumber(s)
				} else {
					out[i] = x
				}
			}
			n.leaf.value = out
		}
		if n.leaf.value == nil {
			n.leaf.value = false
		}
	}
	for _, k := range n.kids {
		rewriteAccNumber(k)
	}
}

// readOptions says how read renders relational values.
type readOptions struct {
	classic bool // load="_classic_read": many2one as [id, name]
}

// readRecords renders existing records among ids, in the order given.
func (e *env) readRecords(m *model, ids []int64, fields []string, o readOptions) ([]object, *Fault) {
	if len(fields) == 0 {
		fields = m.readOrder
	}
	for _, name := range fields {
		if _, ok := m.fields[name]; !ok {
			return nil, faultInvalidField(m.name, name)
		}
	}
	out := []object{}
	seen := map[int64]bool{}
	for _, id := range ids {
		r, ok := e.j.get(m.name, id)
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		rec := object{{"id", id}}
		for _, name := range fields {
			if name == "id" {
				continue
			}
			if _, dup := rec.get(name); dup {
				continue
			}
			v, f := e.readValue(m, r, name, o)
			if f != nil {
				return nil, f
			}
			rec.set(name, v)
		}
		out = append(out, rec)
	}
	return out, nil
}

// readValue is convert_to_read: false for NULL, [id, name] pairs, id lists.
func (e *env) readValue(m *model, r row, name string, o readOptions) (any, *Fault) {
	f := m.fields[name]
	if !f.Store || name == "complete_name" || name == "status" || name == "is_ended" {
		if v, handled, fl := e.computeField(m, r, name, o); handled {
			return v, fl
		}
	}
	if f.x2many() {
		ids := e.relatedIDs(m, r, f)
		if ids == nil {
			ids = []int64{}
		}
		return ids, nil
	}
	v, ok := r[name]
	if !ok || v == nil {
		switch f.Type {
		case "integer":
			return int64(0), nil
		case "float", "monetary":
			return 0.0, nil
		}
		return false, nil
	}
	if f.Type == "many2one" {
		return e.many2oneValue(f, v.(int64), o), nil
	}
	return v, nil
}

func (e *env) many2oneValue(f *field, id int64, o readOptions) any {
	if !o.classic {
		return id
	}
	co := e.reg[f.Relation]
	cr, ok := e.j.get(f.Relation, id)
	if co == nil || !ok {
		// Odoo's display of a record without a name: "model,id".
		return []any{id, fmt.Sprintf("%s,%d", f.Relation, id)}
	}
	return []any{id, e.displayName(co, cr)}
}

// many2oneOrFalse renders a stored id for computed many2one fields.
func (e *env) many2oneOrFalse(rel string, id any, o readOptions) any {
	n, ok := id.(int64)
	if !ok {
		return false
	}
	return e.many2oneValue(&field{Relation: rel}, n, o)
}

// exists reports whether every id is a record of m, and which are not.
func (e *env) missing(m *model, ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if _, ok := e.j.get(m.name, id); !ok {
			out = append(out, id)
		}
	}
	return out
}

// fieldsGet answers fields_get(allfields, attributes).
func (e *env) fieldsGet(m *model, allfields []string, attributes []string) object {
	names := allfields
	if len(names) == 0 {
		names = make([]string, 0, len(m.fields))
		for n := range m.fields {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	out := object{}
	for _, n := range names {
		f, ok := m.fields[n]
		if !ok {
			continue // unknown names are silently left out (transcripts/06 step 18)
		}
		attrs := map[string]any{}
		for k, v := range f.attrs {
			attrs[k] = v
		}
		if m.name == "res.partner" && n == "gender" {
			attrs["selection"] = e.genderSelection()
		}
		if len(attributes) > 0 {
			keep := map[string]any{}
			for _, a := range attributes {
				if v, ok := attrs[a]; ok {
					keep[a] = v
				}
			}
			attrs = keep
		}
		out.set(n, attrs)
	}
	return out
}

// genderSelection is res.partner.gender's selection: [value, code] of each
// gender.type (transcripts/03 step 7).
func (e *env) genderSelection() []any {
	gt := e.reg["gender.type"]
	ids, _ := e.search(gt, nil, 0, 0, "")
	out := []any{}
	for _, id := range ids {
		r, _ := e.j.get(gt.name, id)
		v, _ := r["value"].(string)
		c, _ := r["code"].(string)
		out = append(out, []any{v, c})
	}
	return out
}

func (e *env) completeName(r row) any {
	n, ok := r["name"].(string)
	if !ok {
		return nil
	}
	return strings.TrimSpace(n)
}
