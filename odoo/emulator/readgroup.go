package emulator

import (
	"strings"
)

// rpcReadGroup is read_group(domain, fields, groupby, offset, limit,
// orderby, lazy) for plain and many2one group-bys: one row per distinct
// value with its count, __domain, and the sum of numeric fields asked for
// (transcripts/07 step 36). Date granularities (field:month) are refused.
func rpcReadGroup(e *env, m *model, a args) (any, *Fault) {
	groupby := a.strings("groupby")
	if len(groupby) == 0 {
		return nil, newFault(excValue, "read_group() requires a groupby")
	}
	lazy := !a.has("lazy") || truthy(a["lazy"])
	if lazy {
		groupby = groupby[:1]
	}
	for _, g := range groupby {
		f, ok := m.fields[g]
		if !ok || strings.Contains(g, ":") {
			return nil, faultInvalidField(m.name, g)
		}
		if !f.Store || f.x2many() {
			return nil, newFault(excValue, "Field %s is not a stored field, only stored fields (regular or many2many) are valid for the 'groupby' parameter", pyRepr(m.name+"."+g))
		}
	}
	order := a.str("orderby")
	if order == "" {
		order = strings.Join(groupby, ", ")
	}
	ids, f := e.search(m, a["domain"], 0, 0, order+", id")
	if f != nil {
		return nil, f
	}
	var sums []string
	for _, spec := range a.strings("fields") {
		name, agg, _ := strings.Cut(spec, ":")
		fd, ok := m.fields[name]
		if ok && (fd.Type == "integer" || fd.Type == "float" || fd.Type == "monetary") && name != "id" && (agg == "" || agg == "sum") && !containsString(groupby, name) {
			sums = append(sums, name)
		}
	}
	type group struct {
		key  []any
		rows []row
	}
	var groups []*group
	index := map[string]*group{}
	for _, id := range ids {
		r, _ := e.j.get(m.name, id)
		key := make([]any, len(groupby))
		for i, g := range groupby {
			key[i] = r[g]
		}
		k := pyValueRepr(key)
		gr, ok := index[k]
		if !ok {
			gr = &group{key: key}
			index[k] = gr
			groups = append(groups, gr)
		}
		gr.rows = append(gr.rows, r)
	}
	base := normalizedDomain(a["domain"])
	out := []any{}
	for _, gr := range groups {
		rec := object{}
		leaves := []any{}
		for i, g := range groupby {
			fd := m.fields[g]
			v := gr.key[i]
			switch {
			case v == nil:
				rec.set(g, false)
				leaves = append(leaves, []any{g, "=", false})
			case fd.Type == "many2one":
				rec.set(g, e.many2oneValue(fd, v.(int64), readOptions{classic: true}))
				leaves = append(leaves, []any{g, "=", v})
			default:
				rec.set(g, v)
				leaves = append(leaves, []any{g, "=", v})
			}
		}
		for _, s := range sums {
			var total float64
			isInt := m.fields[s].Type == "integer"
			for _, r := range gr.rows {
				switch x := r[s].(type) {
				case int64:
					total += float64(x)
				case float64:
					total += x
				}
			}
			if isInt {
				rec.set(s, int64(total))
			} else {
				rec.set(s, total)
			}
		}
		if lazy {
			rec.set(groupby[0]+"_count", int64(len(gr.rows)))
		} else {
			rec.set("__count", int64(len(gr.rows)))
		}
		rec.set("__domain", andDomains(base, leaves))
		out = append(out, rec)
	}
	offset, limit := a.int("offset", 0), a.int("limit", 0)
	if offset > 0 {
		if offset >= int64(len(out)) {
			return []any{}, nil
		}
		out = out[offset:]
	}
	if limit > 0 && limit < int64(len(out)) {
		out = out[:limit]
	}
	return out, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// normalizedDomain inserts the implicit "&" operators of a domain, like
// odoo.osv.expression.normalize_domain.
func normalizedDomain(v any) []any {
	items, _ := v.([]any)
	if len(items) == 0 {
		return nil
	}
	expected := 1
	var out []any
	for _, it := range items {
		if expected == 0 {
			out = append([]any{"&"}, out...)
			expected = 1
		}
		switch it {
		case "&", "|":
			expected++
		case "!":
		default:
			expected--
		}
		out = append(out, it)
	}
	return out
}

// andDomains is expression.AND(domain, [leaf], [leaf]...): one "&" per
// extra operand, then the operands.
func andDomains(base []any, leaves []any) []any {
	operands := len(leaves)
	if len(base) > 0 {
		operands++
	}
	var out []any
	for i := 1; i < operands; i++ {
		out = append(out, "&")
	}
	out = append(out, base...)
	return append(out, leaves...)
}
