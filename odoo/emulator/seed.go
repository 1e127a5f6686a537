package emulator

import "fmt"

// seed loads module data and, for SeedDemo, the demo registry. Module data
// uses the ids the recorded lab has (company 1, users 1/2, admin partner 3,
// group kinds 1/2, membership kind Head 1, groups 1/10).
func (s *Server) seed() {
	e := &env{reg: s.reg, j: newJournal(s.st), uid: odooBotUID, now: s.opts.Now()}
	put := func(model string, id int64, vals row) {
		r := row{}
		e.applyDefaults(s.reg[model], r)
		e.stamp(r, true)
		for k, v := range vals {
			r[k] = v
		}
		e.j.insertWithID(model, id, r)
		e.recompute(s.reg[model], id)
	}
	put("res.partner", 1, row{"name": "My Company", "is_company": true})
	put("res.partner", 2, row{"name": "OdooBot", "active": false})
	put("res.partner", 3, row{"name": "Administrator", "email": "admin@example.com"})
	put("res.company", companyID, row{"name": "My Company", "partner_id": int64(1), "sequence": int64(10)})
	for _, g := range seededGroups {
		put("res.groups", g.id, row{"name": g.name, "full_name": g.full})
	}
	put("res.users", odooBotUID, row{"name": "OdooBot", "login": "__system__", "active": false, "partner_id": int64(2), "groups_id": []int64{groupInternal}})
	put("res.users", adminUID, row{"name": "Administrator", "login": "admin", "password": "admin", "active": true, "partner_id": int64(3), "groups_id": []int64{groupInternal}})
	// Ids 1-3 as before the groups beyond Internal User and Portal came.
	put("ir.model.data", 3, row{"module": "g2p_registry_membership", "name": "group_membership_kind_head", "model": "g2p.group.membership.kind", "res_id": headKindID})
	imd := int64(1)
	for _, g := range seededGroups {
		if imd == 3 {
			imd++
		}
		put("ir.model.data", imd, row{"module": g.module, "name": g.xmlID, "model": "res.groups", "res_id": g.id})
		imd++
	}
	put("g2p.group.kind", householdKind, row{"name": "Household"})
	put("g2p.group.kind", familyKind, row{"name": "Family"})
	put("g2p.group.membership.kind", headKindID, row{"name": "Head", "is_unique": true})
	// Countries with the ids of Odoo's base data (transcripts/09 steps 2-3).
	for _, c := range []struct {
		id         int64
		code, name string
	}{{57, "DE", "Germany"}, {75, "FR", "France"}, {204, "SN", "Senegal"}, {20, "BE", "Belgium"}, {233, "GB", "United Kingdom"}, {166, "NL", "Netherlands"}, {68, "ES", "Spain"}, {113, "KE", "Kenya"}} {
		put("res.country", c.id, row{"name": c.name, "code": c.code})
	}
	for i, name := range sortedModelNames(s.reg) {
		mod := modelModules[name]
		if mod == "" {
			mod = "base"
		}
		put("ir.model", int64(i+1), row{"model": name, "name": s.reg[name].description, "modules": mod})
	}
	if s.opts.Seed == SeedDemo {
		s.seedDemo()
	}
}

// Demo data ids (stable: the demo seed always creates them in this order).
const (
	demoGenderFemale int64 = 1
	demoGenderMale   int64 = 2
	demoGenderOther  int64 = 3
)

// seedDemo creates the demo registry through the ORM, so that every
// computed field and constraint applies as for client-made data.
func (s *Server) seedDemo() {
	e := &env{reg: s.reg, j: newJournal(s.st), uid: adminUID, now: s.opts.Now()}
	mustCreate := func(model string, vals map[string]any) int64 {
		id, f := e.create(s.reg[model], vals)
		if f != nil {
			panic(fmt.Sprintf("emulator: demo seed %s: %v", model, f))
		}
		return id
	}
	mustCreate("gender.type", map[string]any{"code": "Female", "value": "female"})
	mustCreate("gender.type", map[string]any{"code": "Male", "value": "male"})
	mustCreate("gender.type", map[string]any{"code": "Other", "value": "other"})

	nid := mustCreate("g2p.id.type", map[string]any{"name": "National ID", "id_validation": `^\d{10}$`})
	pass := mustCreate("g2p.id.type", map[string]any{"name": "Passport"})
	mustCreate("g2p.id.type", map[string]any{"name": "Tax ID", "id_validation": `^TX-\d{6}$`})
	mustCreate("g2p.id.type", map[string]any{"name": "Birth Certificate"})

	bhs := mustCreate("res.bank", map[string]any{"name": "Banque de l'Habitat du Sénégal", "bic": "BHSNSNDA", "country": int64(204)})
	eco := mustCreate("res.bank", map[string]any{"name": "Ecobank Sénégal", "bic": "ECOCSNDA", "country": int64(204)})
	crt := mustCreate("res.bank", map[string]any{"name": "Caisse Rurale de Thiès"})
	mustCreate("res.bank", map[string]any{"name": "Commerzbank", "bic": "COBADEFFXXX", "country": int64(57)})

	acc := func(number string, bank int64) []any {
		return []any{int64(0), int64(0), map[string]any{"acc_number": number, "bank_id": bank}}
	}
	// National IDs are checked (status valid), so get_individual_ids has
	// something to return; passports are left unchecked.
	regID := func(typ int64, value string) []any {
		vals := map[string]any{"id_type": typ, "value": value}
		if typ == nid {
			vals["status"] = "valid"
		}
		return []any{int64(0), int64(0), vals}
	}
	phone := func(no string) []any {
		return []any{int64(0), int64(0), map[string]any{"phone_no": no}}
	}
	person := func(family, given, gender, birth string, ids, phones, accounts []any) int64 {
		return mustCreate("res.partner", map[string]any{
			"is_registrant": true, "is_group": false,
			"family_name": family, "given_name": given,
			"name":   composeName(family, given, ""),
			"gender": gender, "birthdate": birth,
			"reg_ids": ids, "phone_number_ids": phones, "bank_ids": accounts,
		})
	}
	amina := person("Diallo", "Amina", "female", "1988-04-12",
		[]any{regID(nid, "1000000001")}, []any{phone("+221 77 123 45 67")},
		[]any{acc("SN06 SN01 0152 0000 0012 3456 7890", bhs), acc("SN12 0001 2345", eco)})
	moussa := person("Diallo", "Moussa", "male", "1985-09-30",
		[]any{regID(nid, "1000000002"), regID(pass, "A1234567")}, nil,
		[]any{acc("SN82 SN01 0152 0000 0099 8877 6655", bhs)})
	awa := person("Diallo", "Awa", "female", "2012-01-15", []any{regID(nid, "1000000003")}, nil, nil)
	person("Ndiaye", "Cheikh", "male", "1979-06-02",
		[]any{regID(nid, "1000000004")}, []any{phone("+221 76 555 44 33")},
		[]any{acc("CRT-000123", crt)})
	person("Sow", "Fatou", "other", "1992-11-23", []any{regID(pass, "B7654321")}, nil, nil)

	mustCreate("res.partner", map[string]any{
		"is_registrant": true, "is_group": true, "name": "Ménage Diallo", "kind": householdKind,
		"bank_ids": []any{acc("SN31 SN01 0152 0000 0055 0000 1111", eco)},
		"group_membership_ids": []any{
			[]any{int64(0), int64(0), map[string]any{"individual": amina, "kind": []any{[]any{int64(6), int64(0), []any{headKindID}}}}},
			[]any{int64(0), int64(0), map[string]any{"individual": moussa}},
			[]any{int64(0), int64(0), map[string]any{"individual": awa}},
		},
	})
}

// composeName is OpenSPP's form onchange: "FAMILY, GIVEN ADDL " upper-cased
// with its trailing blank (transcripts/03 step 14).
func composeName(family, given, addl string) string {
	name := ""
	if family != "" {
		name += family + ", "
	}
	if given != "" {
		name += given + " "
	}
	if addl != "" {
		name += addl + " "
	}
	return pyUpperString(name)
}
