package mapping

import (
	"strconv"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// web_read specifications: one call returns a registrant with all its
// children (transcripts/11). Never "all fields" and never iban (it can raise,
// transcripts/09).

func registrantSpec() odoo.Spec {
	return odoo.Spec{
		"name": odoo.Spec{}, "is_registrant": odoo.Spec{}, "is_group": odoo.Spec{}, "active": odoo.Spec{},
		"registration_date": odoo.Spec{}, "email": odoo.Spec{}, "address": odoo.Spec{},
		"create_date": odoo.Spec{}, "write_date": odoo.Spec{},
		"reg_ids": odoo.Spec{"fields": odoo.Spec{
			"id_type":        odoo.Spec{"fields": odoo.Spec{"name": odoo.Spec{}}},
			"id_type_as_str": odoo.Spec{}, "value": odoo.Spec{}, "expiry_date": odoo.Spec{},
			"status": odoo.Spec{}, "description": odoo.Spec{},
		}},
		"phone_number_ids": odoo.Spec{"fields": odoo.Spec{
			"phone_no": odoo.Spec{}, "phone_sanitized": odoo.Spec{}, "date_collected": odoo.Spec{},
		}},
		"bank_ids": odoo.Spec{"fields": odoo.Spec{
			"acc_number": odoo.Spec{}, "sanitized_acc_number": odoo.Spec{}, "acc_holder_name": odoo.Spec{},
			"active":  odoo.Spec{},
			"bank_id": odoo.Spec{"fields": odoo.Spec{"name": odoo.Spec{}, "bic": odoo.Spec{}}},
		}},
	}
}

func individualSpec() odoo.Spec {
	s := registrantSpec()
	for _, f := range []string{"given_name", "family_name", "addl_name", "gender", "birthdate", "birth_place"} {
		s[f] = odoo.Spec{}
	}
	return s
}

func groupSpec(members bool) odoo.Spec {
	s := registrantSpec()
	s["kind"] = odoo.Spec{"fields": odoo.Spec{"name": odoo.Spec{}}}
	s["is_partial_group"] = odoo.Spec{}
	if members {
		s["group_membership_ids"] = odoo.Spec{"fields": odoo.Spec{
			"individual": odoo.Spec{"fields": individualSpec()},
			"kind":       odoo.Spec{"fields": odoo.Spec{"name": odoo.Spec{}}},
			"start_date": odoo.Spec{}, "ended_date": odoo.Spec{},
			"create_date": odoo.Spec{}, "write_date": odoo.Spec{},
		}}
	}
	return s
}

// str returns a char field, nil for Odoo's false.
func str(r odoo.Record, field string) *string {
	if s, ok := r.String(field); ok {
		return &s
	}
	return nil
}

func date(r odoo.Record, field string) *string {
	if t, ok := r.Date(field); ok {
		s := t.Format(dateLayout)
		return &s
	}
	return nil
}

// datetime renders Odoo's UTC "YYYY-MM-DD HH:MM:SS" as ISO 8601 with Z.
func datetime(r odoo.Record, field string) *string {
	if t, ok := r.Datetime(field); ok {
		s := t.UTC().Format(time.RFC3339)
		return &s
	}
	return nil
}

func toRegistrant(r odoo.Record) Registrant {
	out := Registrant{
		ID:               r.ID(),
		Name:             str(r, "name"),
		IsGroup:          r.Bool("is_group"),
		RegistrationDate: date(r, "registration_date"),
		Email:            str(r, "email"),
		Address:          str(r, "address"),
		CreateDate:       datetime(r, "create_date"),
		WriteDate:        datetime(r, "write_date"),
		RegIDs:           []RegistrationID{},
		PhoneNumberIDs:   []PhoneNumber{},
		BankIDs:          []BankAccountItem{},
	}
	for _, c := range r.Records("reg_ids") {
		item := RegistrationID{ID: c.ID(), IDTypeAsStr: str(c, "id_type_as_str"), Value: str(c, "value"),
			ExpiryDate: date(c, "expiry_date"), Status: str(c, "status"), Description: str(c, "description")}
		if item.IDTypeAsStr == nil {
			if t, ok := c.Record("id_type"); ok {
				item.IDTypeAsStr = str(t, "name")
			}
		}
		out.RegIDs = append(out.RegIDs, item)
	}
	for _, c := range r.Records("phone_number_ids") {
		out.PhoneNumberIDs = append(out.PhoneNumberIDs, PhoneNumber{ID: c.ID(), PhoneNo: str(c, "phone_no"),
			PhoneSanitized: str(c, "phone_sanitized"), DateCollected: date(c, "date_collected")})
	}
	for _, c := range r.Records("bank_ids") {
		if a, ok := c["active"].(bool); ok && !a {
			continue // archived accounts are not part of a registrant's answer
		}
		item := BankAccountItem{ID: c.ID(), AccNumber: str(c, "acc_number"), AccHolderName: str(c, "acc_holder_name")}
		if bank, ok := c.Record("bank_id"); ok {
			item.BankName, item.BIC = str(bank, "name"), str(bank, "bic")
		}
		out.BankIDs = append(out.BankIDs, item)
	}
	return out
}

func toIndividual(r odoo.Record, now time.Time) Individual {
	out := Individual{
		Registrant: toRegistrant(r),
		GivenName:  str(r, "given_name"),
		AddlName:   str(r, "addl_name"),
		FamilyName: str(r, "family_name"),
		Gender:     str(r, "gender"),
		Birthdate:  date(r, "birthdate"),
		BirthPlace: str(r, "birth_place"),
		Age:        "No Birthdate!",
	}
	if b, ok := r.Date("birthdate"); ok {
		out.Age = strconv.Itoa(age(b, now))
	}
	return out
}

// age in whole years on the day of now, as Odoo's computed field.
func age(birth, now time.Time) int {
	y := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		y--
	}
	return y
}

func toGroupShort(r odoo.Record) GroupShort {
	g := GroupShort{Registrant: toRegistrant(r), IsPartialGroup: r.Bool("is_partial_group")}
	if k, ok := r.Record("kind"); ok {
		g.Kind = str(k, "name")
	}
	return g
}

func toGroup(r odoo.Record, now time.Time) Group {
	g := Group{GroupShort: toGroupShort(r), GroupMembershipIDs: []Membership{}}
	for _, m := range r.Records("group_membership_ids") {
		item := Membership{ID: m.ID(), Kind: []MemberKind{}, StartDate: datetime(m, "start_date"),
			EndedDate: datetime(m, "ended_date"), CreateDate: datetime(m, "create_date"), WriteDate: datetime(m, "write_date")}
		if ind, ok := m.Record("individual"); ok {
			i := toIndividual(ind, now)
			item.Individual = &i
		}
		for _, k := range m.Records("kind") {
			if n, ok := k.String("name"); ok {
				item.Kind = append(item.Kind, MemberKind{Name: n})
			}
		}
		g.GroupMembershipIDs = append(g.GroupMembershipIDs, item)
	}
	return g
}
