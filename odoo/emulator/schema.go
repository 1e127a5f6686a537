package emulator

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// fields/*.json are the fields_get dumps of the membership lab
// (/work/shared/odoo17/fields/membership-lab): the emulator answers
// fields_get with them and uses their type/required/store/relation.
//
//go:embed fields/*.json
var fieldsFS embed.FS

// field is one column of a model.
type field struct {
	Name      string
	Type      string
	String    string
	Relation  string
	Required  bool
	Store     bool
	Selection []any
	// Inverse is the many2one on Relation that a one2many lists.
	Inverse string
	// attrs is the fields_get entry as recorded.
	attrs map[string]any
}

func (f *field) relational() bool {
	return f.Type == "many2one" || f.Type == "one2many" || f.Type == "many2many"
}

func (f *field) x2many() bool { return f.Type == "one2many" || f.Type == "many2many" }

// model is the emulated schema of one Odoo model.
type model struct {
	name        string
	description string
	fields      map[string]*field
	readOrder   []string
	order       string // _order
	recName     string // field shown as display_name (when no special rule)
	hasActive   bool
}

// table is the PostgreSQL table name, used in constraint names.
func (m *model) table() string { return strings.ReplaceAll(m.name, ".", "_") }

// modelDescriptions are the _description values that faults quote
// ("Model: Bank Accounts (res.partner.bank)").
var modelDescriptions = map[string]string{
	"res.partner":               "Contact",
	"res.bank":                  "Bank",
	"res.partner.bank":          "Bank Accounts",
	"g2p.reg.id":                "Registrant ID",
	"g2p.id.type":               "ID Type",
	"g2p.phone.number":          "Phone Number",
	"gender.type":               "Gender Type",
	"g2p.group.kind":            "Group Kind",
	"g2p.group.membership":      "Group Membership",
	"g2p.group.membership.kind": "Group Membership Kind",
	"res.users":                 "User",
	"res.company":               "Companies",
	"res.country":               "Country",
	"res.groups":                "Access Groups",
	"ir.model.data":             "Model Data",
	"ir.model":                  "Models",
}

// modelOrders are the models' _order (transcripts 05, 06, 06b, 07 and the
// OpenG2P sources).
var modelOrders = map[string]string{
	"res.partner":               "complete_name asc, id desc",
	"res.bank":                  "name",
	"res.partner.bank":          "sequence, id",
	"g2p.reg.id":                "id desc",
	"g2p.id.type":               "name asc",
	"g2p.phone.number":          "id desc",
	"gender.type":               "id",
	"g2p.group.kind":            "id desc",
	"g2p.group.membership":      "id desc",
	"g2p.group.membership.kind": "id desc",
	"res.users":                 "name, login",
	"res.company":               "sequence, name",
	"res.country":               "name",
	"res.groups":                "name",
	"ir.model.data":             "module",
	"ir.model":                  "model",
}

// modelModules is ir.model.modules: the module defining each model.
var modelModules = map[string]string{
	"res.partner": "base, contacts, g2p_registry_base", "res.bank": "base", "res.partner.bank": "base, g2p_bank",
	"g2p.reg.id": "g2p_registry_base", "g2p.id.type": "g2p_registry_base", "g2p.phone.number": "g2p_registry_base",
	"gender.type": "g2p_registry_individual", "g2p.group.kind": "g2p_registry_group",
	"g2p.group.membership": "g2p_registry_membership", "g2p.group.membership.kind": "g2p_registry_membership",
}

// one2manyInverse names the many2one each one2many lists.
var one2manyInverse = map[string]string{
	"res.partner.bank_ids":                  "partner_id",
	"res.partner.reg_ids":                   "partner_id",
	"res.partner.phone_number_ids":          "partner_id",
	"res.partner.group_membership_ids":      "group",
	"res.partner.individual_membership_ids": "individual",
	"res.partner.child_ids":                 "parent_id",
}

// registry holds every emulated model. It is read-only once loaded, so
// all servers share one.
type registry map[string]*model

// sharedRegistry parses the embedded schema once per process.
var sharedRegistry = sync.OnceValues(loadRegistry)

func loadRegistry() (registry, error) {
	reg := registry{}
	entries, err := fieldsFS.ReadDir("fields")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		data, err := fieldsFS.ReadFile("fields/" + e.Name())
		if err != nil {
			return nil, err
		}
		var raw map[string]map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("fields/%s: %w", e.Name(), err)
		}
		m := &model{name: name, fields: map[string]*field{}, readOrder: readAllOrder[name]}
		for fname, attrs := range raw {
			m.fields[fname] = newField(name, fname, attrs)
		}
		reg[name] = m
	}
	reg.addSmall("res.users", map[string]string{"name": "char", "login": "char", "password": "char", "active": "boolean",
		"partner_id": "many2one:res.partner", "groups_id": "many2many:res.groups"})
	reg.addSmall("res.groups", map[string]string{"name": "char", "full_name": "char"})
	reg.addSmall("ir.model", map[string]string{"model": "char", "name": "char", "modules": "char"})
	reg.addSmall("ir.model.data", map[string]string{"module": "char", "name": "char", "model": "char", "res_id": "integer"})
	reg.addSmall("res.company", map[string]string{"name": "char", "sequence": "integer", "partner_id": "many2one:res.partner"})
	reg.addSmall("res.country", map[string]string{"name": "char", "code": "char"})
	for name, m := range reg {
		m.description = modelDescriptions[name]
		m.order = modelOrders[name]
		_, m.hasActive = m.fields["active"]
		m.recName = "name"
		if _, ok := m.fields["name"]; !ok {
			m.recName = ""
		}
		if m.readOrder == nil {
			for f := range m.fields {
				m.readOrder = append(m.readOrder, f)
			}
			sort.Strings(m.readOrder)
		}
	}
	reg["gender.type"].recName = "code"
	reg["g2p.phone.number"].recName = "phone_no"
	reg["res.partner.bank"].recName = "acc_number"
	return reg, nil
}

func newField(modelName, name string, attrs map[string]any) *field {
	f := &field{Name: name, attrs: attrs}
	f.Type, _ = attrs["type"].(string)
	f.String, _ = attrs["string"].(string)
	f.Relation, _ = attrs["relation"].(string)
	f.Required, _ = attrs["required"].(bool)
	f.Store, _ = attrs["store"].(bool)
	f.Selection, _ = attrs["selection"].([]any)
	f.Inverse = one2manyInverse[modelName+"."+name]
	return f
}

// addSmall declares a support model (users, companies, countries) that the
// emulator needs for many2one targets; spec values are "type" or
// "many2one:relation".
func (r registry) addSmall(name string, spec map[string]string) {
	m := &model{name: name, fields: map[string]*field{}}
	all := map[string]string{"id": "integer", "display_name": "char", "create_uid": "many2one:res.users",
		"create_date": "datetime", "write_uid": "many2one:res.users", "write_date": "datetime"}
	for k, v := range spec {
		all[k] = v
	}
	for fname, t := range all {
		typ, rel, _ := strings.Cut(t, ":")
		attrs := map[string]any{"type": typ, "string": fname, "store": fname != "display_name",
			"readonly": fname == "id" || fname == "display_name" || strings.HasPrefix(fname, "create_") || strings.HasPrefix(fname, "write_"),
			"required": false}
		if rel != "" {
			attrs["relation"] = rel
		}
		m.fields[fname] = newField(name, fname, attrs)
	}
	r[name] = m
}
