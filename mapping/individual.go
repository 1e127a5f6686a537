package mapping

import (
	"context"

	"go.uber.org/zap"
	"golang.org/x/text/unicode/norm"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// CreateIndividual validates the whole request, resolves its banks and
// creates the individual with all its registration ids, phone numbers and
// bank accounts in one Odoo create (one transaction: all or nothing), then
// reads it back. Cost with cached banks and reference data: 2 Odoo calls.
func (r *Registry) CreateIndividual(ctx context.Context, req *IndividualRequest) (ind Individual, err error) {
	r.withFreshReferences(func() error {
		ind, err = r.createIndividual(ctx, req)
		return err
	})
	return ind, err
}

func (r *Registry) createIndividual(ctx context.Context, req *IndividualRequest) (Individual, error) {
	v := r.validator()
	d, err := v.registrant(ctx, &req.RegistrantFields, "", modeCreate)
	if err != nil {
		return Individual{}, err
	}
	if err := v.person(ctx, &req.PersonFields, "", d, modeCreate); err != nil {
		return Individual{}, err
	}
	if err := v.p.err(); err != nil {
		return Individual{}, err
	}
	banks, err := resolveBanks(ctx, r.banks, d)
	if err != nil {
		return Individual{}, err
	}
	var id int64
	err = r.retryStaleBank(ctx, []*registrantDraft{d}, &banks, func() error {
		var err error
		id, err = r.odoo.Create(ctx, modelPartner, d.createValues(banks), odoo.Options{})
		return err
	})
	if err != nil {
		return Individual{}, FromOdoo(err)
	}
	r.logWrite(ctx, "individual created", zap.Int64("partner_id", id), zap.Strings("accounts", describeAccounts(d)))
	ind, err := r.readIndividual(ctx, id)
	return ind, savedButUnread("individual", id, err)
}

// GetIndividual returns the active individual registrant id (one Odoo call).
func (r *Registry) GetIndividual(ctx context.Context, id int64) (Individual, error) {
	return r.readIndividual(ctx, id)
}

func (r *Registry) readIndividual(ctx context.Context, id int64) (Individual, error) {
	recs, err := r.odoo.WebRead(ctx, modelPartner, []int64{id}, individualSpec(), odoo.Options{})
	if err != nil {
		return Individual{}, FromOdoo(err)
	}
	// read ignores active and type: check them here
	if len(recs) == 0 || !recs[0].Bool("is_registrant") || recs[0].Bool("is_group") || !recs[0].Bool("active") {
		return Individual{}, notFound("individual %d not found", id)
	}
	return toIndividual(recs[0], r.opts.Now()), nil
}

// searchDomain is the domain of GET /individual and GET /group: active
// registrants of the kind, optionally one id, optionally a case-sensitive
// substring of the name in which '%' and '_' are literal.
func searchDomain(group bool, q SearchQuery) odoo.Domain {
	d := odoo.Domain{odoo.Cond("is_registrant", "=", true), odoo.Cond("is_group", "=", group)}
	if q.ID != 0 {
		d = append(d, odoo.Cond("id", "=", q.ID))
	}
	if q.Name != "" {
		// Names are stored NFC (cleanText): "Zoe\u0301" must find "Zoé".
		d = append(d, odoo.Cond("name", "like", likeLiteral(norm.NFC.String(q.Name))))
	}
	return d
}

// searchTotal counts the registrants of domain. web_search_read answers a
// length of 0 for a page past the end (it counts only when a page is full),
// so a search past the end asks for the total this way: with limit 1 any
// match fills the page, and Odoo runs search_count. One Odoo call.
func (r *Registry) searchTotal(ctx context.Context, domain odoo.Domain) (int64, error) {
	total, _, err := r.odoo.WebSearchRead(ctx, modelPartner, domain, odoo.Fields("id"), odoo.Options{Limit: 1})
	return total, err
}

// searchOrder is res.partner's default order, which the original's
// unpaged search returned; id desc breaks ties so pages are stable.
const searchOrder = "complete_name asc, id desc"

// SearchIndividuals returns one page of active individuals and the total
// count, all children included, in one Odoo call (web_search_read; two for
// a page past the end, see searchTotal).
func (r *Registry) SearchIndividuals(ctx context.Context, q SearchQuery) (Page[Individual], error) {
	total, recs, err := r.odoo.WebSearchRead(ctx, modelPartner, searchDomain(false, q), individualSpec(),
		odoo.Options{Limit: r.page(q.Limit), Offset: q.Offset, Order: searchOrder})
	if err == nil && len(recs) == 0 && q.Offset > 0 {
		total, err = r.searchTotal(ctx, searchDomain(false, q))
	}
	if err != nil {
		return Page[Individual]{}, FromOdoo(err)
	}
	out := Page[Individual]{Total: total, Items: make([]Individual, 0, len(recs))}
	now := r.opts.Now()
	for _, rec := range recs {
		out.Items = append(out.Items, toIndividual(rec, now))
	}
	return out, nil
}
