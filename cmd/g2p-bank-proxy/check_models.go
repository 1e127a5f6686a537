package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// fieldNeed is a field the proxy reads, writes or searches on; Relation,
// when set, is the model a relational field must point at.
type fieldNeed struct {
	name, relation string
}

// modelFields are the fields package mapping uses, per model (read.go,
// validate.go, update.go, group.go, accounts.go, feed.go, ids.go,
// refdata.go, bank.go). Keep it in step with mapping: a field missing here
// is one the check cannot promise.
var modelFields = []struct {
	model  string
	fields []fieldNeed
}{
	{"res.partner", append(plainFields("name", "is_registrant", "is_group", "active", "registration_date", "email",
		"address", "phone", "image_1920", "create_date", "write_date", "given_name", "family_name", "addl_name",
		"gender", "birthdate", "birth_place", "is_partial_group"),
		fieldNeed{"reg_ids", "g2p.reg.id"}, fieldNeed{"phone_number_ids", "g2p.phone.number"},
		fieldNeed{"bank_ids", "res.partner.bank"}, fieldNeed{"kind", "g2p.group.kind"},
		fieldNeed{"group_membership_ids", "g2p.group.membership"},
		fieldNeed{"individual_membership_ids", "g2p.group.membership"})},
	{"res.partner.bank", append(plainFields("acc_number", "sanitized_acc_number", "acc_holder_name", "active",
		"allow_out_payment", "write_date"),
		fieldNeed{"partner_id", "res.partner"}, fieldNeed{"bank_id", "res.bank"})},
	{"res.bank", plainFields("name", "bic", "active")},
	{"g2p.reg.id", append(plainFields("id_type_as_str", "value", "expiry_date", "status", "description"),
		fieldNeed{"partner_id", "res.partner"}, fieldNeed{"id_type", "g2p.id.type"})},
	{"g2p.phone.number", append(plainFields("phone_no", "phone_sanitized", "date_collected"),
		fieldNeed{"partner_id", "res.partner"})},
	{"g2p.group.membership", append(plainFields("start_date", "ended_date", "create_date", "write_date"),
		fieldNeed{"group", "res.partner"}, fieldNeed{"individual", "res.partner"},
		fieldNeed{"kind", "g2p.group.membership.kind"})},
	{"g2p.id.type", plainFields("name", "id_validation")},
	{"gender.type", plainFields("code", "value")},
	{"g2p.group.kind", plainFields("name")},
	{"g2p.group.membership.kind", plainFields("name", "is_unique")},
}

func plainFields(names ...string) []fieldNeed {
	out := make([]fieldNeed, len(names))
	for i, n := range names {
		out[i] = fieldNeed{name: n}
	}
	return out
}

// checkFields asks fields_get for the model and returns an error naming
// every field that is missing or points at another model than expected;
// nil when all are there.
func checkFields(ctx context.Context, client *odoo.Client, model string, need []fieldNeed) error {
	got, err := client.FieldsGet(ctx, model, []string{"type", "relation"})
	if err != nil {
		return err
	}
	var missing, wrong []string
	for _, f := range need {
		info, ok := got[f.name]
		switch {
		case !ok:
			missing = append(missing, f.name)
		case f.relation != "" && info.Relation != f.relation:
			wrong = append(wrong, fmt.Sprintf("%s points at %q, not %s", f.name, info.Relation, f.relation))
		}
	}
	if len(missing) > 0 {
		wrong = append([]string{"missing " + strings.Join(missing, ", ")}, wrong...)
	}
	if len(wrong) > 0 {
		return fmt.Errorf("%s (is the OpenG2P module that adds them installed?)", strings.Join(wrong, "; "))
	}
	return nil
}

// surplusRights are rights beyond the groups the proxy needs: each one
// probes a group that only over-privileged users hold. Holding them only
// widens what a leaked secret can do. The deletes that Contact Creation
// grants on res.partner, res.partner.bank and res.bank are not warned
// about: the proxy needs that group for bank accounts, and Odoo has no
// group that grants their writes without the deletes.
var surplusRights = []struct{ model, op, why string }{
	// Only Administration / Access Rights (base.group_erp_manager, implied
	// by Settings) may write res.users.
	{"res.users", "write", "the user can manage users and access rights (Administration: Access Rights or Settings)"},
	// G2P Registrar only reads id types; G2P Admin may change them.
	{"g2p.id.type", "write", "the user can change ID types and their validation patterns (OpenG2P Admin)"},
}

// warnSurplusRights prints a WARN line per right the proxy's user holds
// but never needs; they do not fail the check.
func warnSurplusRights(ctx context.Context, client *odoo.Client, w io.Writer) {
	for _, r := range surplusRights {
		if hasRight(ctx, client, r.model, r.op) == nil {
			fmt.Fprintf(w, "WARN  %s %s: %s; the proxy needs only Contact Creation and G2P Registrar\n", r.model, r.op, r.why)
		}
	}
}
