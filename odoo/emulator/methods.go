package emulator

import (
	"sort"
	"strings"
)

// method is one ORM method callable through execute_kw.
type method struct {
	params []string // Python positional parameters, after ids for record methods
	writes bool     // takes the write lock and may change data
	run    func(e *env, m *model, p args) (any, *Fault)
}

// args are the bound arguments of a call.
type args map[string]any

func (a args) has(k string) bool { _, ok := a[k]; return ok }

func (a args) int(k string, def int64) int64 {
	switch v := a[k].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return def
}

func (a args) str(k string) string {
	s, _ := a[k].(string)
	return s
}

func (a args) strings(k string) []string {
	var out []string
	switch v := a[k].(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case string:
		out = []string{v}
	}
	return out
}

func (a args) ids() []int64 { return toIDList(a["ids"]) }

var methods = map[string]method{
	"create":              {params: []string{"vals_list"}, writes: true, run: rpcCreate},
	"write":               {params: []string{"ids", "vals"}, writes: true, run: rpcWrite},
	"unlink":              {params: []string{"ids"}, writes: true, run: rpcUnlink},
	"read":                {params: []string{"ids", "fields", "load"}, run: rpcRead},
	"search":              {params: []string{"domain", "offset", "limit", "order"}, run: rpcSearch},
	"search_read":         {params: []string{"domain", "fields", "offset", "limit", "order", "load"}, run: rpcSearchRead},
	"search_count":        {params: []string{"domain", "limit"}, run: rpcSearchCount},
	"fields_get":          {params: []string{"allfields", "attributes"}, run: rpcFieldsGet},
	"name_search":         {params: []string{"name", "args", "operator", "limit"}, run: rpcNameSearch},
	"web_read":            {params: []string{"ids", "specification"}, run: rpcWebRead},
	"web_search_read":     {params: []string{"domain", "specification", "offset", "limit", "order", "count_limit"}, run: rpcWebSearchRead},
	"action_archive":      {params: []string{"ids"}, writes: true, run: rpcArchive(false)},
	"action_unarchive":    {params: []string{"ids"}, writes: true, run: rpcArchive(true)},
	"exists":              {params: []string{"ids"}, run: rpcExists},
	"default_get":         {params: []string{"fields_list"}, run: rpcDefaultGet},
	"read_group":          {params: []string{"domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"}, run: rpcReadGroup},
	"onchange":            {params: []string{"ids", "values", "field_names", "fields_spec"}, run: rpcOnchange},
	"check_access_rights": {params: []string{"operation", "raise_exception"}, run: rpcCheckAccessRights},
}

// bind maps positional and keyword arguments onto the method's parameters
// and refuses what Python would refuse.
func bind(name string, mt method, pos []any, kw map[string]any) (args, *Fault) {
	a := args{}
	if len(pos) > len(mt.params) {
		return nil, newFault(excType, "BaseModel.%s() takes from 2 to %d positional arguments but %d were given", name, len(mt.params)+1, len(pos)+1)
	}
	for i, v := range pos {
		a[mt.params[i]] = v
	}
	for k, v := range kw {
		if k == "context" {
			continue
		}
		known := false
		for _, p := range mt.params {
			if p == k {
				known = true
			}
		}
		if !known {
			return nil, newFault(excType, "BaseModel.%s() got an unexpected keyword argument %s", name, pyRepr(k))
		}
		if a.has(k) {
			return nil, newFault(excType, "BaseModel.%s() got multiple values for argument %s", name, pyRepr(k))
		}
		a[k] = v
	}
	return a, nil
}

func rpcCreate(e *env, m *model, a args) (any, *Fault) {
	switch v := a["vals_list"].(type) {
	case map[string]any:
		return e.create(m, v)
	case []any:
		ids := []int64{}
		for _, x := range v {
			vals, ok := x.(map[string]any)
			if !ok {
				return nil, newFault(excValue, "dictionary update sequence element #0 has length 1; 2 is required")
			}
			id, f := e.create(m, vals)
			if f != nil {
				return nil, f
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	return nil, newFault(excType, "create() missing 1 required positional argument: 'vals_list'")
}

func rpcWrite(e *env, m *model, a args) (any, *Fault) {
	vals, ok := a["vals"].(map[string]any)
	if !ok {
		return nil, newFault(excType, "write() missing 1 required positional argument: 'vals'")
	}
	if f := e.write(m, a.ids(), vals); f != nil {
		return nil, f
	}
	return true, nil
}

func rpcUnlink(e *env, m *model, a args) (any, *Fault) {
	if f := e.unlink(m, a.ids()); f != nil {
		return nil, f
	}
	return true, nil
}

func loadOption(a args) readOptions {
	if !a.has("load") {
		return readOptions{classic: true}
	}
	return readOptions{classic: a["load"] == "_classic_read"}
}

func rpcRead(e *env, m *model, a args) (any, *Fault) {
	return e.readRecords(m, a.ids(), a.strings("fields"), loadOption(a))
}

func rpcSearch(e *env, m *model, a args) (any, *Fault) {
	return e.search(m, a["domain"], a.int("offset", 0), a.int("limit", 0), a.str("order"))
}

func rpcSearchRead(e *env, m *model, a args) (any, *Fault) {
	fields := a.strings("fields")
	for _, name := range fields {
		if _, ok := m.fields[name]; !ok {
			return nil, faultInvalidField(m.name, name)
		}
	}
	ids, f := e.search(m, a["domain"], a.int("offset", 0), a.int("limit", 0), a.str("order"))
	if f != nil {
		return nil, f
	}
	return e.readRecords(m, ids, fields, loadOption(a))
}

func rpcSearchCount(e *env, m *model, a args) (any, *Fault) {
	ids, f := e.search(m, a["domain"], 0, a.int("limit", 0), "id")
	if f != nil {
		return nil, f
	}
	return int64(len(ids)), nil
}

func rpcFieldsGet(e *env, m *model, a args) (any, *Fault) {
	return e.fieldsGet(m, a.strings("allfields"), a.strings("attributes")), nil
}

// rpcNameSearch answers [[id, display_name]]; res.bank also matches a BIC
// prefix (transcripts/02 step 16).
func rpcNameSearch(e *env, m *model, a args) (any, *Fault) {
	name := a.str("name")
	op := a.str("operator")
	if op == "" {
		op = "ilike"
	}
	domain := []any{}
	if extra, ok := a["args"].([]any); ok {
		domain = append(domain, extra...)
	}
	if name != "" || (op != "ilike" && op != "like") {
		rec := m.recName
		if m.name == "res.partner" {
			rec = "complete_name"
		}
		if rec == "" {
			rec = "id"
		}
		if m.name == "res.bank" {
			domain = append(domain, "|", []any{"bic", "=ilike", name + "%"}, []any{"name", op, name})
		} else {
			domain = append(domain, []any{rec, op, name})
		}
	}
	limit := a.int("limit", 100)
	ids, f := e.search(m, domain, 0, limit, "")
	if f != nil {
		return nil, f
	}
	out := []any{}
	for _, id := range ids {
		r, _ := e.j.get(m.name, id)
		out = append(out, []any{id, e.displayName(m, r)})
	}
	return out, nil
}

func rpcWebRead(e *env, m *model, a args) (any, *Fault) {
	spec, _ := a["specification"].(map[string]any)
	return e.webRead(m, a.ids(), spec)
}

// rpcWebSearchRead answers {length, records}: length is a search_count
// (capped by count_limit) only when the page is full, like Odoo 17's
// _format_web_search_read_results.
func rpcWebSearchRead(e *env, m *model, a args) (any, *Fault) {
	spec, _ := a["specification"].(map[string]any)
	offset, limit, countLimit := a.int("offset", 0), a.int("limit", 0), a.int("count_limit", 0)
	ids, f := e.search(m, a["domain"], offset, limit, a.str("order"))
	if f != nil {
		return nil, f
	}
	recs, f := e.webRead(m, ids, spec)
	if f != nil {
		return nil, f
	}
	if len(recs) == 0 {
		return object{{"length", int64(0)}, {"records", recs}}, nil
	}
	length := offset + int64(len(recs))
	countLimitReached := countLimit > 0 && countLimit <= length
	if limit > 0 && int64(len(recs)) == limit && !countLimitReached {
		all, f := e.search(m, a["domain"], 0, countLimit, "id")
		if f != nil {
			return nil, f
		}
		length = int64(len(all))
	}
	return object{{"length", length}, {"records", recs}}, nil
}

// withContext is a copy of e whose context is extended by ctx.
func (e *env) withContext(ctx map[string]any) *env {
	merged := map[string]any{}
	for k, v := range e.ctx {
		merged[k] = v
	}
	for k, v := range ctx {
		merged[k] = v
	}
	c := *e
	c.ctx = merged
	return &c
}

// webRead is Odoo 17's web_read: a many2one with a non-empty "fields"
// sub-spec becomes an {id, ...} object (an empty one keeps the bare id); an
// x2many with a spec becomes a list of objects, honouring the spec's
// "order" and "limit" (lines past the limit are {id} only).
func (e *env) webRead(m *model, ids []int64, spec map[string]any) ([]object, *Fault) {
	names := make([]string, 0, len(spec))
	for n := range spec {
		if _, ok := m.fields[n]; !ok {
			return nil, faultInvalidField(m.name, n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	recs, f := e.readRecords(m, ids, append([]string{"id"}, names...), readOptions{})
	if f != nil {
		return nil, f
	}
	for i, rec := range recs {
		for j, mem := range rec {
			sub, _ := spec[mem.Key].(map[string]any)
			fd := m.fields[mem.Key]
			co := e.reg[fd.Relation]
			if co == nil || len(sub) == 0 {
				continue
			}
			subFields, _ := sub["fields"].(map[string]any)
			switch fd.Type {
			case "many2one":
				id, ok := mem.Value.(int64)
				if !ok || len(subFields) == 0 {
					continue
				}
				sr, f := e.webRead(co, []int64{id}, subFields)
				if f != nil {
					return nil, f
				}
				if len(sr) == 1 {
					recs[i][j].Value = sr[0]
				}
			case "one2many", "many2many":
				lines := mem.Value.([]int64)
				if subCtx, ok := sub["context"].(map[string]any); ok {
					// The spec's context applies to the lines, e.g.
					// {"active_test": false} to include archived ones.
					sube := e.withContext(subCtx)
					r, _ := e.j.get(m.name, rec[0].Value.(int64))
					lines = sube.relatedIDs(m, r, fd)
				}
				if order, _ := sub["order"].(string); order != "" {
					terms, f := parseOrder(co, order)
					if f != nil {
						return nil, f
					}
					lines = append([]int64(nil), lines...)
					e.sortIDs(co, lines, terms)
				}
				full := lines
				if limit, ok := sub["limit"].(int64); ok && limit >= 0 && int(limit) < len(lines) {
					full = lines[:limit]
				}
				sr, f := e.webRead(co, full, subFields)
				if f != nil {
					return nil, f
				}
				out := make([]object, len(lines))
				for k, id := range lines {
					out[k] = object{{"id", id}}
					if k < len(sr) {
						out[k] = sr[k]
					}
				}
				recs[i][j].Value = out
			}
		}
	}
	return recs, nil
}

func rpcArchive(active bool) func(e *env, m *model, a args) (any, *Fault) {
	return func(e *env, m *model, a args) (any, *Fault) {
		if !m.hasActive {
			return nil, newFault(excAttribute, "The method '%s.action_archive' does not exist", m.name)
		}
		if f := e.write(m, a.ids(), map[string]any{"active": active}); f != nil {
			return nil, f
		}
		return nil, nil // Odoo returns None (transcripts/08 step 62)
	}
}

func rpcExists(e *env, m *model, a args) (any, *Fault) {
	out := []int64{}
	for _, id := range a.ids() {
		if _, ok := e.j.get(m.name, id); ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// rpcDefaultGet answers the emulated defaults of the fields asked for
// (many2one defaults are bare ids, as in Odoo).
func rpcDefaultGet(e *env, m *model, a args) (any, *Fault) {
	r := row{}
	e.applyDefaults(m, r)
	out := object{}
	for _, n := range a.strings("fields_list") {
		if v, ok := r[n]; ok {
			out.set(n, v)
		}
	}
	return out, nil
}

// rpcOnchange emulates only OpenSPP's individual name onchange, which
// composes name from family/given/additional names (transcripts/03 step 14).
func rpcOnchange(e *env, m *model, a args) (any, *Fault) {
	vals, _ := a["values"].(map[string]any)
	value := object{}
	trigger := false
	for _, f := range a.strings("field_names") {
		if f == "given_name" || f == "family_name" || f == "addl_name" {
			trigger = true
		}
	}
	if m.name == "res.partner" && trigger && !truthy(vals["is_group"]) {
		str := func(k string) string { s, _ := vals[k].(string); return s }
		value.set("name", composeName(str("family_name"), str("given_name"), str("addl_name")))
	}
	return object{{"value", value}}, nil
}

// rpcCheckAccessRights answers check_access_rights(operation,
// raise_exception=True) with the emulated ACLs of the caller.
func rpcCheckAccessRights(e *env, m *model, a args) (any, *Fault) {
	op := a.str("operation")
	method := map[string]string{"read": "read", "write": "write", "create": "create", "unlink": "unlink"}[op]
	if method == "" {
		return nil, newFault(excValue, "Invalid access mode")
	}
	if e.srv == nil || e.user == nil {
		return true, nil
	}
	acc := e.srv.checkAccess(e.user, m, method)
	if acc.fault == nil || (method == "read" && m.name == "res.partner" && userRole(e.user) == RolePortal) {
		return true, nil
	}
	if a.has("raise_exception") && !truthy(a["raise_exception"]) {
		return false, nil
	}
	return nil, acc.fault
}

// callMethod runs model.method for execute_kw.
func (e *env) callMethod(m *model, name string, pos []any, kw map[string]any) (any, *Fault) {
	if strings.HasPrefix(name, "_") {
		return nil, newFault(excAccessError, "Private methods (such as '%s.%s') cannot be called remotely.", m.name, name)
	}
	mt, ok := methods[name]
	if !ok {
		return nil, newFault(excAttribute, "The method '%s.%s' does not exist", m.name, name)
	}
	a, f := bind(name, mt, pos, kw)
	if f != nil {
		return nil, f
	}
	if mt.params[0] == "ids" && !a.has("ids") {
		return nil, newFault(excType, "%s() missing 1 required positional argument: 'ids'", name)
	}
	return mt.run(e, m, a)
}
