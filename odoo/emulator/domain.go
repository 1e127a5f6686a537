package emulator

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dnode is a parsed domain: "&", "|", "!" or a leaf.
type dnode struct {
	op   string
	kids []*dnode
	leaf *leaf
}

type leaf struct {
	path  string
	op    string
	value any
	raw   []any
}

var domainOperators = map[string]bool{
	"=": true, "!=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true,
	"in": true, "not in": true, "like": true, "not like": true, "ilike": true, "not ilike": true,
	"=like": true, "=ilike": true, "=?": true, "any": true, "not any": true,
}

// parseDomain turns a prefix-notation domain into a tree; consecutive
// terms are and-ed implicitly, like odoo.osv.expression.normalize_domain.
func parseDomain(m *model, v any) (*dnode, *Fault) {
	items, ok := v.([]any)
	if v == nil || v == false {
		return nil, nil
	}
	if !ok {
		return nil, newFault(excValue, "Invalid domain %s", pyValueRepr(v))
	}
	pos := 0
	var terms []*dnode
	for pos < len(items) {
		n, f := parseTerm(m, items, &pos)
		if f != nil {
			return nil, f
		}
		terms = append(terms, n)
	}
	if len(terms) == 0 {
		return nil, nil
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &dnode{op: "&", kids: terms}, nil
}

func parseTerm(m *model, items []any, pos *int) (*dnode, *Fault) {
	if *pos >= len(items) {
		return nil, newFault(excValue, "Domain %s is syntactically not correct.", pyValueRepr(items))
	}
	it := items[*pos]
	*pos++
	switch x := it.(type) {
	case string:
		arity := map[string]int{"&": 2, "|": 2, "!": 1}[x]
		if arity == 0 {
			return nil, newFault(excValue, "Invalid leaf %s", pyValueRepr(x))
		}
		n := &dnode{op: x}
		for i := 0; i < arity; i++ {
			k, f := parseTerm(m, items, pos)
			if f != nil {
				return nil, f
			}
			n.kids = append(n.kids, k)
		}
		return n, nil
	case []any:
		return parseLeaf(m, x)
	case bool:
		return &dnode{op: "const", leaf: &leaf{value: x}}, nil
	}
	return nil, newFault(excValue, "Invalid leaf %s", pyValueRepr(it))
}

func leafRepr(raw []any) string {
	parts := make([]string, len(raw))
	for i, e := range raw {
		parts[i] = pyValueRepr(e)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func parseLeaf(m *model, raw []any) (*dnode, *Fault) {
	if len(raw) != 3 {
		return nil, newFault(excValue, "Invalid leaf %s", pyValueRepr(raw))
	}
	// (1, '=', 1) and (0, '=', 1) are Odoo's TRUE_LEAF / FALSE_LEAF.
	if n, ok := raw[0].(int64); ok {
		return &dnode{op: "const", leaf: &leaf{value: n == 1 && raw[2] == int64(1)}}, nil
	}
	path, ok1 := raw[0].(string)
	op, ok2 := raw[1].(string)
	if !ok1 || !ok2 {
		return nil, newFault(excValue, "Invalid leaf %s", leafRepr(raw))
	}
	op = strings.ToLower(op)
	if !domainOperators[op] {
		return nil, newFault(excValue, "Invalid leaf %s", leafRepr(raw))
	}
	if op == "<>" {
		op = "!="
	}
	first, _, _ := strings.Cut(path, ".")
	if _, ok := m.fields[first]; !ok {
		return nil, newFault(excValue, "Invalid field %s.%s in leaf %s", m.name, first, leafRepr(raw))
	}
	return &dnode{op: "leaf", leaf: &leaf{path: path, op: op, value: raw[2], raw: raw}}, nil
}

// mentionsField reports whether a domain has a leaf on field name (Odoo
// skips the implicit active filter then).
func (n *dnode) mentionsField(name string) bool {
	if n == nil {
		return false
	}
	if n.op == "leaf" {
		first, _, _ := strings.Cut(n.leaf.path, ".")
		return first == name
	}
	for _, k := range n.kids {
		if k.mentionsField(name) {
			return true
		}
	}
	return false
}

// match evaluates the domain on one record.
func (e *env) match(m *model, r row, n *dnode) (bool, *Fault) {
	if n == nil {
		return true, nil
	}
	switch n.op {
	case "const":
		return n.leaf.value == true, nil
	case "!":
		ok, f := e.match(m, r, n.kids[0])
		return !ok, f
	case "&":
		for _, k := range n.kids {
			ok, f := e.match(m, r, k)
			if f != nil || !ok {
				return false, f
			}
		}
		return true, nil
	case "|":
		for _, k := range n.kids {
			ok, f := e.match(m, r, k)
			if f != nil {
				return false, f
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	}
	return e.matchLeaf(m, r, n.leaf.path, n.leaf.op, n.leaf.value, n.leaf.raw)
}

// relatedPaths are non-stored related fields that Odoo can still search,
// rewritten to their target path.
var relatedPaths = map[string]string{
	"res.partner.kind_as_str":                   "kind.name",
	"g2p.reg.id.id_type_as_str":                 "id_type.name",
	"res.partner.bank.bank_name":                "bank_id.name",
	"res.partner.bank.bank_bic":                 "bank_id.bic",
	"res.partner.display_name":                  "complete_name",
	"res.partner.bank.company_id":               "partner_id.company_id",
	"g2p.group.membership.individual_birthdate": "individual.birthdate",
	"g2p.group.membership.individual_gender":    "individual.gender",
}

func (e *env) matchLeaf(m *model, r row, path, op string, value any, raw []any) (bool, *Fault) {
	name, rest, dotted := strings.Cut(path, ".")
	f, ok := m.fields[name]
	if !ok {
		return false, newFault(excValue, "Invalid field %s.%s in leaf %s", m.name, name, leafRepr(raw))
	}
	if rp, ok := relatedPaths[m.name+"."+name]; ok {
		if dotted {
			rp += "." + rest
		}
		return e.matchLeaf(m, r, rp, op, value, raw)
	}
	if !f.Store && name != "id" && !f.x2many() {
		if name == "display_name" && m.recName != "" {
			return e.matchLeaf(m, r, m.recName, op, value, raw)
		}
		// A non-stored field without a search method: Odoo logs and drops
		// the leaf (transcripts/09 step 30).
		return true, nil
	}
	if op == "any" || op == "not any" {
		return e.matchAny(m, r, f, op, value, raw)
	}
	if dotted {
		if !f.relational() {
			return false, newFault(excValue, "Invalid field %s.%s in leaf %s", m.name, path, leafRepr(raw))
		}
		co := e.reg[f.Relation]
		// Odoo 17 turns a path into an "any" sub-search on the comodel, so
		// res.partner.bank's acc_number rewrite applies there too.
		if co.name == "res.partner.bank" && rest == "acc_number" {
			n := &dnode{op: "leaf", leaf: &leaf{path: rest, op: op, value: value}}
			rewriteAccNumber(n)
			rest, value = n.leaf.path, n.leaf.value
		}
		for _, id := range e.relatedIDs(m, r, f) {
			cr, ok := e.j.get(co.name, id)
			if !ok {
				continue
			}
			ok, fl := e.matchLeaf(co, cr, rest, op, value, raw)
			if fl != nil {
				return false, fl
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	}
	if f.x2many() {
		return e.matchX2many(m, r, f, op, value)
	}
	if f.Type == "many2one" {
		if s, ok := value.(string); ok && op != "=?" {
			// Searching a many2one with text compares the target's name.
			return e.matchM2OByName(r, f, op, s)
		}
	}
	var cur any
	if name == "id" {
		cur = r["id"]
	} else {
		cur = r[name]
	}
	return e.compare(m, f, cur, op, value)
}

// matchAny is Odoo 17's "any" / "not any": some related record matches the
// sub-domain given as value.
func (e *env) matchAny(m *model, r row, f *field, op string, value any, raw []any) (bool, *Fault) {
	co := e.reg[f.Relation]
	if !f.relational() || co == nil {
		return false, newFault(excValue, "Invalid leaf %s", leafRepr(raw))
	}
	sub, fl := parseDomain(co, value)
	if fl != nil {
		return false, fl
	}
	if co.name == "res.partner.bank" {
		rewriteAccNumber(sub)
	}
	hit := false
	for _, id := range e.relatedIDs(m, r, f) {
		cr, ok := e.j.get(co.name, id)
		if !ok {
			continue
		}
		ok, fl := e.match(co, cr, sub)
		if fl != nil {
			return false, fl
		}
		if ok {
			hit = true
			break
		}
	}
	return hit == (op == "any"), nil
}

func (e *env) matchM2OByName(r row, f *field, op, s string) (bool, *Fault) {
	co := e.reg[f.Relation]
	id, ok := r[f.Name].(int64)
	if !ok {
		return op == "!=" || strings.HasPrefix(op, "not"), nil
	}
	cr, ok := e.j.get(co.name, id)
	if !ok {
		return false, nil
	}
	name := e.displayName(co, cr)
	return e.compare(co, &field{Type: "char"}, name, op, s)
}

func (e *env) matchX2many(m *model, r row, f *field, op string, value any) (bool, *Fault) {
	ids := e.relatedIDs(m, r, f)
	switch op {
	case "=", "!=":
		var hit bool
		if !truthy(value) {
			hit = len(ids) == 0
		} else if n, ok := value.(int64); ok {
			hit = containsID(ids, n)
		}
		return hit == (op == "="), nil
	case "in", "not in":
		want := toIDList(value)
		hit := false
		for _, id := range ids {
			if containsID(want, id) {
				hit = true
			}
		}
		return hit == (op == "in"), nil
	}
	// like-style operators on an x2many compare the lines' display names.
	co := e.reg[f.Relation]
	for _, id := range ids {
		cr, _ := e.j.get(co.name, id)
		ok, fl := e.compare(co, &field{Type: "char"}, e.displayName(co, cr), op, value)
		if fl != nil || ok {
			return ok, fl
		}
	}
	return false, nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func toIDList(v any) []int64 {
	var out []int64
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if n, ok := e.(int64); ok {
				out = append(out, n)
			}
		}
	case int64:
		out = append(out, x)
	}
	return out
}

// compare evaluates one SQL comparison on a stored value (nil = NULL).
func (e *env) compare(m *model, f *field, cur any, op string, value any) (bool, *Fault) {
	if op == "=?" {
		if !truthy(value) {
			return true, nil
		}
		op = "="
	}
	if fl := checkIntRange(f, value); fl != nil {
		return false, fl
	}
	switch op {
	case "in", "not in":
		list, ok := value.([]any)
		if !ok {
			list = []any{value}
		}
		hit := false
		for _, v := range list {
			if v == false || v == nil {
				if cur == nil || (f.Type == "boolean" && cur == false) {
					hit = true
				}
				continue
			}
			nv, fl := e.normalizeValue(f, v, "=")
			if fl != nil {
				return false, fl
			}
			if cur != nil && compareValues(cur, nv) == 0 {
				hit = true
			}
		}
		return hit == (op == "in"), nil
	case "=", "!=":
		if value == false || value == nil {
			isNull := cur == nil || (f.Type == "boolean" && cur == false)
			return isNull == (op == "="), nil
		}
		if f.Type == "boolean" {
			return (truthy(cur) == truthy(value)) == (op == "="), nil
		}
		nv, fl := e.normalizeValue(f, value, op)
		if fl != nil {
			return false, fl
		}
		if cur == nil {
			// Odoo writes "!=" as "(col != v OR col IS NULL)".
			return op == "!=", nil
		}
		return (compareValues(cur, nv) == 0) == (op == "="), nil
	case "<", "<=", ">", ">=":
		nv, fl := e.normalizeValue(f, value, op)
		if fl != nil {
			return false, fl
		}
		if cur == nil || nv == nil {
			return false, nil
		}
		c := compareValues(cur, nv)
		switch op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	}
	// like family
	negative := strings.HasPrefix(op, "not ")
	base := strings.TrimPrefix(op, "not ")
	if cur == nil {
		return negative, nil
	}
	pattern := pyStr(value)
	if value == false || value == nil {
		pattern = ""
	}
	if base == "like" || base == "ilike" {
		pattern = "%" + pattern + "%"
	}
	insensitive := base == "ilike" || base == "=ilike"
	ok := likeMatch(pyStr(cur), pattern, insensitive)
	return ok != negative, nil
}

func checkIntRange(f *field, v any) *Fault {
	if f.Type != "integer" && f.Type != "many2one" && f.Type != "one2many" && f.Type != "many2many" {
		return nil
	}
	check := func(x any) *Fault {
		if n, ok := x.(int64); ok && (n > maxInt32 || n < -maxInt32-1) {
			return newFault(excOutOfRange, "value \"%d\" is out of range for type integer\n", n)
		}
		return nil
	}
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if fl := check(x); fl != nil {
				return fl
			}
		}
		return nil
	}
	return check(v)
}

// normalizeValue converts a domain value to the stored representation of
// the field, the way PostgreSQL casts the query parameter.
func (e *env) normalizeValue(f *field, v any, op string) (any, *Fault) {
	if dt, ok := v.(xmlrpcDateTime); ok {
		v = isoToOdoo(string(dt))
	}
	switch f.Type {
	case "datetime":
		s, ok := v.(string)
		if !ok {
			return v, nil
		}
		if len(s) == 10 {
			if op == ">" || op == "<=" {
				s += " 23:59:59"
			} else {
				s += " 00:00:00"
			}
		}
		return e.pgTimestamp(s)
	case "date":
		s, ok := v.(string)
		if !ok {
			return v, nil
		}
		t, fl := e.pgTimestamp(s)
		if fl != nil {
			return nil, newFault(excDatetimeFmt, "invalid input syntax for type date: \"%s\"\n", s)
		}
		return t.(string)[:10], nil
	case "integer", "many2one", "one2many", "many2many":
		switch x := v.(type) {
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, newFault(excValue, "invalid input syntax for type integer: \"%s\"\n", x)
			}
			return n, nil
		case float64:
			return x, nil
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case "float", "monetary":
		if n, ok := v.(int64); ok {
			return float64(n), nil
		}
	case "char", "text", "html", "selection":
		if _, ok := v.(string); !ok {
			return pyStr(v), nil
		}
	}
	return v, nil
}

func isoToOdoo(s string) string {
	if t, err := time.Parse("20060102T15:04:05", s); err == nil {
		return t.Format(datetimeLayout)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(datetimeLayout)
	}
	return s
}

var pgTimestampLayouts = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999", "2006-01-02T15:04:05.999999", "2006-01-02 15:04", "2006-01-02"}

// pgTimestamp parses a timestamp literal like PostgreSQL does for the
// forms clients send, including the special words (transcripts/07 step 21).
func (e *env) pgTimestamp(s string) (any, *Fault) {
	word, clock, _ := strings.Cut(strings.TrimSpace(s), " ")
	today := e.now.UTC().Truncate(24 * time.Hour)
	special := map[string]time.Time{"today": today, "yesterday": today.AddDate(0, 0, -1), "tomorrow": today.AddDate(0, 0, 1), "now": e.now.UTC(), "epoch": time.Unix(0, 0).UTC()}
	if t, ok := special[strings.ToLower(word)]; ok {
		if clock != "" && word != "now" {
			if c, err := time.Parse("15:04:05", clock); err == nil {
				t = t.Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute + time.Duration(c.Second())*time.Second)
			}
		}
		return t.Format(datetimeLayout), nil
	}
	for _, l := range pgTimestampLayouts {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t.Format(datetimeLayout), nil
		}
	}
	return nil, newFault(excDatetimeFmt, "invalid input syntax for type timestamp: \"%s\"\n", s)
}

// compareValues orders two non-NULL stored values.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case string:
		y := pyStr(b)
		return strings.Compare(x, y)
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpOrdered(x, y)
		case float64:
			return cmpOrdered(float64(x), y)
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmpOrdered(x, float64(y))
		case float64:
			return cmpOrdered(x, y)
		}
	case bool:
		y := truthy(b)
		if x == y {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	}
	return strings.Compare(pyStr(a), pyStr(b))
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// likeMatch implements SQL LIKE/ILIKE (% any run, _ one character,
// backslash escapes); ILIKE folds case with Unicode rules.
func likeMatch(s, pattern string, insensitive bool) bool {
	var re strings.Builder
	re.WriteString("(?s)^")
	if insensitive {
		re.WriteString("(?i)")
	}
	esc := false
	for _, r := range pattern {
		switch {
		case esc:
			re.WriteString(regexp.QuoteMeta(string(r)))
			esc = false
		case r == '\\':
			esc = true
		case r == '%':
			re.WriteString(".*")
		case r == '_':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	rx, err := likeRegexp(re.String())
	if err != nil {
		return false
	}
	return rx.MatchString(s)
}

// likeCache keeps compiled LIKE patterns (a search evaluates the same one
// on every row); it is emptied when it grows past likeCacheSize so that a
// long-running server does not keep every pattern ever searched.
var likeCache = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

const likeCacheSize = 4096

func likeRegexp(expr string) (*regexp.Regexp, error) {
	likeCache.Lock()
	defer likeCache.Unlock()
	if rx, ok := likeCache.m[expr]; ok {
		return rx, nil
	}
	rx, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	if len(likeCache.m) >= likeCacheSize {
		likeCache.m = map[string]*regexp.Regexp{}
	}
	likeCache.m[expr] = rx
	return rx, nil
}

// orderTerm is one "field [asc|desc]" of an order clause.
type orderTerm struct {
	field string
	desc  bool
}

func parseOrder(m *model, spec string) ([]orderTerm, *Fault) {
	var out []orderTerm
	for _, part := range strings.Split(spec, ",") {
		words := strings.Fields(part)
		if len(words) == 0 {
			continue
		}
		t := orderTerm{field: words[0]}
		if len(words) > 1 {
			switch strings.ToLower(words[1]) {
			case "desc":
				t.desc = true
			case "asc":
			default:
				return nil, newFault(excValue, "Invalid \"order\" specified (%s). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)", spec)
			}
		}
		f, ok := m.fields[t.field]
		if !ok {
			return nil, faultInvalidField(m.name, t.field)
		}
		if !f.Store && t.field != "display_name" {
			return nil, newFault(excValue, "Cannot convert %s to SQL because it is not stored", pyRepr(m.name+"."+t.field))
		}
		out = append(out, t)
	}
	return out, nil
}

// sortIDs orders record ids by terms; NULLs sort last ascending and first
// descending (PostgreSQL defaults); text compares byte-wise (the C.UTF-8
// collation of the recorded lab, transcripts/07 step 14).
func (e *env) sortIDs(m *model, ids []int64, terms []orderTerm) {
	keys := make(map[int64][]any, len(ids))
	for _, id := range ids {
		r, _ := e.j.get(m.name, id)
		k := make([]any, len(terms))
		for i, t := range terms {
			k[i] = e.sortKey(m, r, t.field)
		}
		keys[id] = k
	}
	sort.SliceStable(ids, func(a, b int) bool {
		ka, kb := keys[ids[a]], keys[ids[b]]
		for i, t := range terms {
			x, y := ka[i], kb[i]
			var c int
			switch {
			case x == nil && y == nil:
				c = 0
			case x == nil:
				c = 1
			case y == nil:
				c = -1
			default:
				c = compareValues(x, y)
			}
			if t.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return ids[a] < ids[b]
	})
}

func (e *env) sortKey(m *model, r row, name string) any {
	f := m.fields[name]
	if name == "id" {
		return r["id"]
	}
	if name == "complete_name" && m.name == "res.partner" {
		return e.completeName(r)
	}
	if name == "display_name" {
		return e.displayName(m, r)
	}
	v := r[name]
	if f.Type == "many2one" && v != nil {
		co := e.reg[f.Relation]
		if cr, ok := e.j.get(co.name, v.(int64)); ok {
			return e.displayName(co, cr)
		}
	}
	return v
}
