package mapping

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/internal/suggest"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// Reference data: the configuration records requests refer to by name.
// They change rarely, so they are cached for ReferenceCacheTTL and re-read
// early only when a request names something the cache does not know.

type genderType struct {
	ID          int64
	Code, Value string
}

type idType struct {
	ID   int64
	Name string
	// Validation is g2p.id.type.id_validation anchored at the start like
	// Python's re.match; nil when empty or not valid RE2 (Odoo checks again).
	Validation *regexp.Regexp
	Pattern    string
}

type namedRef struct {
	ID     int64
	Name   string
	Unique bool // membership kinds: only one member per group may have it
}

type refKind string

const (
	refGenders     refKind = "gender.type"
	refIDTypes     refKind = "g2p.id.type"
	refGroupKinds  refKind = "g2p.group.kind"
	refMemberKinds refKind = "g2p.group.membership.kind"
)

type referenceData struct {
	odoo  Odoo
	cache *gocache.Cache
	sf    singleflight.Group
	log   *zap.Logger
}

func newReferenceData(o Odoo, ttl time.Duration, log *zap.Logger) *referenceData {
	return &referenceData{odoo: o, cache: gocache.New(ttl, 2*ttl), log: log}
}

// list returns the cached records of kind k, reading them (once, however
// many callers wait) when missing or when fresh is set.
func (d *referenceData) list(ctx context.Context, k refKind, fresh bool) (any, error) {
	if !fresh {
		if v, ok := d.cache.Get(string(k)); ok {
			return v, nil
		}
	}
	v, err, _ := d.sf.Do(string(k), func() (any, error) {
		v, err := d.load(context.WithoutCancel(ctx), k)
		if err != nil {
			return nil, err
		}
		d.cache.SetDefault(string(k), v)
		return v, nil
	})
	if err != nil {
		return nil, FromOdoo(err)
	}
	return v, nil
}

func (d *referenceData) load(ctx context.Context, k refKind) (any, error) {
	switch k {
	case refGenders:
		recs, err := d.odoo.SearchRead(ctx, string(k), odoo.Domain{}, []string{"code", "value"}, odoo.Options{Order: "id asc"})
		if err != nil {
			return nil, err
		}
		out := make([]genderType, 0, len(recs))
		for _, r := range recs {
			code, _ := r.String("code")
			value, _ := r.String("value")
			out = append(out, genderType{ID: r.ID(), Code: code, Value: value})
		}
		return out, nil
	case refIDTypes:
		recs, err := d.odoo.SearchRead(ctx, string(k), odoo.Domain{}, []string{"name", "id_validation"}, odoo.Options{Order: "id asc"})
		if err != nil {
			return nil, err
		}
		out := make([]idType, 0, len(recs))
		for _, r := range recs {
			t := idType{ID: r.ID()}
			t.Name, _ = r.String("name")
			if p, ok := r.String("id_validation"); ok && p != "" {
				t.Pattern = p
				re, err := regexp.Compile(`^(?:` + p + `)`)
				if err != nil {
					d.log.Warn("id type validation pattern is not RE2; only Odoo checks it",
						zap.String("id_type", t.Name), zap.Error(err))
				}
				t.Validation = re
			}
			out = append(out, t)
		}
		return out, nil
	default:
		fields := []string{"name"}
		if k == refMemberKinds {
			fields = append(fields, "is_unique")
		}
		recs, err := d.odoo.SearchRead(ctx, string(k), odoo.Domain{}, fields, odoo.Options{Order: "id asc"})
		if err != nil {
			return nil, err
		}
		out := make([]namedRef, 0, len(recs))
		for _, r := range recs {
			n := namedRef{ID: r.ID(), Unique: r.Bool("is_unique")}
			n.Name, _ = r.String("name")
			out = append(out, n)
		}
		return out, nil
	}
}

// find looks a name up in list k: exact match first, then case-insensitive
// (Odoo keeps these names unique case-insensitively). An unknown name makes
// one fresh read before the answer is "not found".
func find[T any](ctx context.Context, d *referenceData, k refKind, match func(T, bool) bool) (T, bool, error) {
	var zero T
	for _, fresh := range []bool{false, true} {
		v, err := d.list(ctx, k, fresh)
		if err != nil {
			return zero, false, err
		}
		items := v.([]T)
		for _, exact := range []bool{true, false} {
			for _, it := range items {
				if match(it, exact) {
					return it, true, nil
				}
			}
		}
	}
	return zero, false, nil
}

// maxAcceptedNames caps the names an unknown-reference message lists.
const maxAcceptedNames = 20

// accepted is what a message about the unknown name of kind k adds, so
// that a client can fix it without asking the registry's administrators:
// the closest accepted name when name looks like a typo of it, then the
// accepted names (at most maxAcceptedNames). It reads the cached list,
// which find has just read again; without it the message goes without.
func (d *referenceData) accepted(ctx context.Context, k refKind, name string) string {
	v, err := d.list(ctx, k, false)
	if err != nil {
		return ""
	}
	names := refNames(v)
	if len(names) == 0 {
		return "; none is configured in the registry"
	}
	var b strings.Builder
	if best := suggest.Closest(name, names); best != "" {
		fmt.Fprintf(&b, " (did you mean %q?)", best)
	}
	b.WriteString("; accepted: ")
	for i, n := range names[:min(len(names), maxAcceptedNames)] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	if len(names) > maxAcceptedNames {
		fmt.Fprintf(&b, ", … (%d in all)", len(names))
	}
	return b.String()
}

// refNames lists the names a client may send for the records of a cached
// list (genders: code and value), sorted and each once, case ignored.
func refNames(list any) []string {
	var names []string
	switch l := list.(type) {
	case []genderType:
		for _, g := range l {
			names = append(names, g.Code, g.Value)
		}
	case []idType:
		for _, t := range l {
			names = append(names, t.Name)
		}
	case []namedRef:
		for _, n := range l {
			names = append(names, n.Name)
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return strings.TrimSpace(n) == "" })
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(strings.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
	})
	return slices.CompactFunc(names, strings.EqualFold)
}

// flush forgets every cached list: the next lookups read Odoo again.
func (d *referenceData) flush() { d.cache.Flush() }

// referenceFKs name the foreign keys that point at reference data (id
// types, group and membership kinds, genders); Odoo names the violated
// constraint in its fault (transcripts/04 step 07).
var referenceFKs = []string{"id_type_fkey", "kind_fkey", "kind_id_fkey", "gender_fkey"}

// isReferenceFault reports whether Odoo refused a write because a
// referenced configuration record no longer exists: a foreign key, or the
// gender selection (built from gender.type) refusing a value. A write whose
// outcome is unknown (e.g. a failed compensation) is never repeated.
func isReferenceFault(err error) bool {
	if e, ok := AsError(err); ok && e.Code == CodeUpstreamOutcomeUnknown {
		return false
	}
	var oe *odoo.Error
	if errors.As(err, &oe) && strings.Contains(oe.Message, "Wrong value for res.partner.gender") {
		return true
	}
	for _, fk := range referenceFKs {
		if isForeignKeyFault(err, fk) {
			return true
		}
	}
	return false
}

// withFreshReferences runs op, which validates a request against the
// cached reference data and writes it. When Odoo refuses the write because
// a cached record was deleted since (an id type deleted or re-created under
// the same name), the cache is dropped and op runs once more against fresh
// data, so the client gets the success or a 422 pointing at the name that
// no longer exists, not a pointer-less "a referenced record does not
// exist". op reports its outcome through its closure; its error is what
// decides the retry.
func (r *Registry) withFreshReferences(op func() error) {
	if err := op(); !isReferenceFault(err) {
		return
	}
	r.log.Warn("cached reference data no longer exists in the registry; validating again")
	r.ref.flush()
	_ = op()
}

func sameName(a, b string, exact bool) bool {
	if exact {
		return a == b
	}
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func (d *referenceData) idType(ctx context.Context, name string) (idType, bool, error) {
	return find(ctx, d, refIDTypes, func(t idType, exact bool) bool { return sameName(t.Name, name, exact) })
}

// gender accepts a gender.type code (what the original expects) or its
// stored value (what responses show), so a read record can be sent back.
func (d *referenceData) gender(ctx context.Context, s string) (genderType, bool, error) {
	return find(ctx, d, refGenders, func(g genderType, exact bool) bool {
		return sameName(g.Code, s, exact) || sameName(g.Value, s, exact)
	})
}

func (d *referenceData) groupKind(ctx context.Context, name string) (namedRef, bool, error) {
	return find(ctx, d, refGroupKinds, func(n namedRef, exact bool) bool { return sameName(n.Name, name, exact) })
}

func (d *referenceData) memberKind(ctx context.Context, name string) (namedRef, bool, error) {
	return find(ctx, d, refMemberKinds, func(n namedRef, exact bool) bool { return sameName(n.Name, name, exact) })
}
