package mapping

import (
	"context"
	"slices"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// IndividualIDs answers GET /get_individual_ids: the values of the valid
// registration ids of type include held by active individual registrants
// that hold no id of type exclude (optional). Values are de-duplicated and
// sorted.
//
// Difference from the original: type and status='valid' are checked on the
// same g2p.reg.id row (the original accepted a partner whose valid id was of
// another type and then returned all its ids of the include type, valid or
// not). Unknown type names are a 422 instead of an empty list.
//
// Cost: 1 Odoo call, 2 with exclude.
func (r *Registry) IndividualIDs(ctx context.Context, include, exclude string) ([]string, error) {
	var p problems
	inc, exc := cleanText(include), cleanText(exclude)
	var incType, excType idType
	if inc == "" {
		p.param("include_id_type", "is a required query parameter")
	} else if t, found, err := r.ref.idType(ctx, inc); err != nil {
		return nil, err
	} else if !found {
		p.refParam(LegacyIDType, "include_id_type", "unknown ID type %q%s", inc, r.ref.accepted(ctx, refIDTypes, inc))
	} else {
		incType = t
	}
	if exc != "" {
		if t, found, err := r.ref.idType(ctx, exc); err != nil {
			return nil, err
		} else if !found {
			p.refParam(LegacyIDType, "exclude_id_type", "unknown ID type %q%s", exc, r.ref.accepted(ctx, refIDTypes, exc))
		} else {
			excType = t
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	regs, err := r.odoo.SearchRead(ctx, "g2p.reg.id", odoo.Domain{
		odoo.Cond("id_type", "=", incType.ID),
		odoo.Cond("status", "=", "valid"),
		odoo.Cond("partner_id.active", "=", true),
		odoo.Cond("partner_id.is_registrant", "=", true),
		odoo.Cond("partner_id.is_group", "=", false),
	}, []string{"value", "partner_id"}, odoo.Options{Order: "id asc"})
	if err != nil {
		return nil, FromOdoo(err)
	}
	excluded := map[int64]bool{}
	if excType.ID != 0 && len(regs) > 0 {
		var partners []any
		for _, reg := range regs {
			if m, ok := reg.Many2One("partner_id"); ok {
				partners = append(partners, m.ID)
			}
		}
		ex, err := r.odoo.SearchRead(ctx, "g2p.reg.id", odoo.Domain{
			odoo.Cond("id_type", "=", excType.ID), odoo.Cond("partner_id", "in", partners),
		}, []string{"partner_id"}, odoo.Options{})
		if err != nil {
			return nil, FromOdoo(err)
		}
		for _, reg := range ex {
			if m, ok := reg.Many2One("partner_id"); ok {
				excluded[m.ID] = true
			}
		}
	}
	values := []string{}
	seen := map[string]bool{}
	for _, reg := range regs {
		m, _ := reg.Many2One("partner_id")
		v, ok := reg.String("value")
		if !ok || v == "" || excluded[m.ID] || seen[v] {
			continue
		}
		seen[v] = true
		values = append(values, v)
	}
	slices.Sort(values)
	return values, nil
}
