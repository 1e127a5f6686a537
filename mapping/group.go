package mapping

import (
	"context"
	"fmt"
	"strconv"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

type memberDraft struct {
	*registrantDraft
	kinds []int64
}

// CreateGroup validates the group and all its members completely (names,
// ids, phones, accounts, group kind, member kinds, at most one member with a
// unique kind such as Head) before the first write, then creates:
//  1. the group with its own ids, phones and accounts (one create);
//  2. all members in one batched create, each with its ids, phones, accounts
//     and its membership (individual_membership_ids) — all or nothing.
//
// If step 2 fails the group and its bank accounts are archived (one write),
// so neither an orphan group, its accounts nor orphan members remain
// visible. When the answer of step 1 or 2 is lost and the records cannot be
// found, the group stays as it is and the error is upstream_outcome_unknown:
// the repeat of the request finds what was written and completes the group.
// Otherwise the group is read back with its members. Cost with
// cached banks and reference data: 3 Odoo calls (2 without members).
func (r *Registry) CreateGroup(ctx context.Context, req *GroupRequest) (grp Group, err error) {
	r.withFreshReferences(func() error {
		grp, err = r.createGroup(ctx, req)
		return err
	})
	return grp, err
}

func (r *Registry) createGroup(ctx context.Context, req *GroupRequest) (Group, error) {
	v := r.validator()
	g, err := v.registrant(ctx, &req.RegistrantFields, "", modeCreate)
	if err != nil {
		return Group{}, err
	}
	if _, ok := g.vals["name"]; !ok {
		v.p.add("/name", "is required")
	}
	g.vals["is_group"] = true
	if kindName := cleanText(req.Kind.Value); req.Kind.Present() && kindName != "" {
		k, found, err := r.ref.groupKind(ctx, kindName)
		if err != nil {
			return Group{}, err
		}
		if !found {
			v.p.ref(LegacyGroupKind, "/kind", "Group type Not Found: %q%s", kindName, r.ref.accepted(ctx, refGroupKinds, kindName))
		} else {
			g.vals["kind"] = k.ID
		}
	}
	if req.IsPartialGroup.Present() {
		g.vals["is_partial_group"] = req.IsPartialGroup.Value
	}
	members := make([]memberDraft, len(req.Members))
	uniqueHolder := map[int64]string{}
	for i := range req.Members {
		m := &req.Members[i]
		ptr := "/members/" + strconv.Itoa(i)
		d, err := v.registrant(ctx, &m.RegistrantFields, ptr, modeCreate)
		if err != nil {
			return Group{}, err
		}
		if err := v.person(ctx, &m.PersonFields, ptr, d, modeCreate); err != nil {
			return Group{}, err
		}
		members[i] = memberDraft{registrantDraft: d}
		seenKind := map[int64]bool{}
		for j, k := range m.Kind {
			kp := ptr + "/kind/" + strconv.Itoa(j) + "/name"
			kindName := cleanText(k.Name.Value)
			if !k.Name.Present() || kindName == "" {
				continue // the original skips kinds without a name
			}
			kind, found, err := r.ref.memberKind(ctx, kindName)
			if err != nil {
				return Group{}, err
			}
			if !found {
				v.p.ref(LegacyMembershipKind, kp, "Member's kind not found: %q%s", kindName, r.ref.accepted(ctx, refMemberKinds, kindName))
				continue
			}
			if seenKind[kind.ID] {
				continue
			}
			seenKind[kind.ID] = true
			if kind.Unique {
				if prev, taken := uniqueHolder[kind.ID]; taken {
					v.p.add(kp, "only one member of a group may be %s; %s already is", kind.Name, prev)
					continue
				}
				uniqueHolder[kind.ID] = ptr
			}
			members[i].kinds = append(members[i].kinds, kind.ID)
		}
	}
	if err := v.p.err(); err != nil {
		return Group{}, err
	}
	drafts := []*registrantDraft{g}
	for _, m := range members {
		drafts = append(drafts, m.registrantDraft)
	}
	banks, err := resolveBanks(ctx, r.banks, drafts...)
	if err != nil {
		return Group{}, err
	}
	var groupID int64
	err = r.retryStaleBank(ctx, drafts, &banks, func() error {
		var err error
		groupID, err = r.odoo.Create(ctx, modelPartner, g.createValues(banks), odoo.Options{})
		return err
	})
	if err != nil {
		return Group{}, FromOdoo(err)
	}
	r.logWrite(ctx, "group created", zap.Int64("group_id", groupID), zap.Strings("accounts", describeAccounts(g)))
	if len(members) > 0 {
		var memberIDs []int64
		err = r.retryStaleBank(ctx, drafts, &banks, func() error {
			vals := make([]odoo.Values, len(members))
			for i, m := range members {
				vals[i] = m.createValues(banks)
				vals[i]["individual_membership_ids"] = []any{odoo.CmdCreate(odoo.Values{
					"group": groupID, "kind": []any{odoo.CmdSet(m.kinds)},
				})}
			}
			var err error
			memberIDs, err = r.odoo.CreateMany(ctx, modelPartner, vals, odoo.Options{})
			return err
		})
		if e, ok := AsError(err); ok && e.Code == CodeUpstreamOutcomeUnknown {
			// The members may exist or still be committing: archiving the
			// group could strand them. The repeat of the request finds
			// the group and its members (outcome.go) and completes it.
			return Group{}, err
		}
		if err != nil {
			if cerr := r.compensateGroup(ctx, groupID, len(g.accounts) > 0, err); cerr != nil {
				return Group{}, cerr
			}
			return Group{}, FromOdoo(err)
		}
		r.logWrite(ctx, "group members created", zap.Int64("group_id", groupID), zap.Int64s("partner_ids", memberIDs))
	}
	grp, err := r.readGroup(ctx, groupID)
	return grp, savedButUnread("group", groupID, err)
}

// retryStaleBank runs write; when Odoo refuses a cached bank id that no
// longer exists, the banks are resolved again and write runs once more.
func (r *Registry) retryStaleBank(ctx context.Context, drafts []*registrantDraft, banks *map[string]Bank, write func() error) error {
	err := write()
	if err == nil || !isForeignKeyFault(err, accountBankFK) {
		return err
	}
	r.log.Warn("a cached bank no longer exists in the registry; resolving again", zap.Error(err))
	r.banks.Forget(bankIDs(*banks)...)
	fresh, rerr := resolveBanks(ctx, r.banks, drafts...)
	if rerr != nil {
		return rerr
	}
	*banks = fresh
	return write()
}

// compensateGroup archives a group whose members could not be created,
// with its own bank accounts in the same write: an archived partner's
// accounts stay active otherwise, and the payment feed would offer them.
// When the compensation fails too, the returned error tells the client
// that the group may remain (a plain 502 would invite a blind retry and a
// twin group).
func (r *Registry) compensateGroup(ctx context.Context, groupID int64, hasAccounts bool, cause error) error {
	ctx = context.WithoutCancel(ctx)
	vals := odoo.Values{"active": false}
	var err error
	if hasAccounts {
		var accs []odoo.Record
		accs, err = r.odoo.SearchRead(ctx, modelAccount, odoo.Domain{odoo.Cond("partner_id", "=", groupID)}, []string{"id"}, odoo.Options{})
		cmds := make([]any, 0, len(accs))
		for _, a := range accs {
			cmds = append(cmds, odoo.CmdUpdate(a.ID(), odoo.Values{"active": false}))
		}
		vals["bank_ids"] = cmds
	}
	if err == nil {
		err = r.odoo.Write(ctx, modelPartner, []int64{groupID}, vals, odoo.Options{})
	}
	if err != nil {
		r.log.Error("group members failed and archiving the group failed too: an orphan group remains",
			zap.Int64("group_id", groupID), zap.String("client_id", ClientID(ctx)), zap.NamedError("cause", cause), zap.Error(err))
		return &Error{Code: CodeUpstreamOutcomeUnknown, Cause: cause, Message: fmt.Sprintf(
			"the group's members could not be created and the group (id %d) could not be archived afterwards: "+
				"it may exist without its members, active or archived (GET /group/%d)", groupID, groupID)}
	}
	r.log.Warn("group members failed; the group and its bank accounts were archived", zap.Int64("group_id", groupID),
		zap.String("client_id", ClientID(ctx)), zap.Error(cause))
	return nil
}

// GetGroup returns the active group id with its members (one Odoo call).
func (r *Registry) GetGroup(ctx context.Context, id int64) (Group, error) {
	return r.readGroup(ctx, id)
}

func (r *Registry) readGroup(ctx context.Context, id int64) (Group, error) {
	recs, err := r.odoo.WebRead(ctx, modelPartner, []int64{id}, groupSpec(true), odoo.Options{})
	if err != nil {
		return Group{}, FromOdoo(err)
	}
	if len(recs) == 0 || !recs[0].Bool("is_registrant") || !recs[0].Bool("is_group") || !recs[0].Bool("active") {
		return Group{}, notFound("group %d not found", id)
	}
	return toGroup(recs[0], r.opts.Now()), nil
}

// SearchGroups returns one page of active groups and the total count in one
// Odoo call (two for a page past the end, see searchTotal); members (with
// all their children) only when withMembers.
func (r *Registry) SearchGroups(ctx context.Context, q SearchQuery, withMembers bool) (Page[Group], error) {
	total, recs, err := r.odoo.WebSearchRead(ctx, modelPartner, searchDomain(true, q), groupSpec(withMembers),
		odoo.Options{Limit: r.page(q.Limit), Offset: q.Offset, Order: searchOrder})
	if err == nil && len(recs) == 0 && q.Offset > 0 {
		total, err = r.searchTotal(ctx, searchDomain(true, q))
	}
	if err != nil {
		return Page[Group]{}, FromOdoo(err)
	}
	out := Page[Group]{Total: total, Items: make([]Group, 0, len(recs))}
	now := r.opts.Now()
	for _, rec := range recs {
		out.Items = append(out.Items, toGroup(rec, now))
	}
	return out, nil
}
