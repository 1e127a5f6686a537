package emulator

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Role is what a user may do, by the groups Odoo would give it.
type Role string

const (
	// RoleAdmin has every group below (and so every right).
	RoleAdmin Role = "admin"
	// RoleProxy is what the README asks for the proxy's technical user:
	// Internal User, Contact Creation (base.group_partner_manager) and
	// G2P Registrar.
	RoleProxy Role = "proxy"
	// RoleRegistrar is an internal user in G2P Registrar only: it writes
	// registrants, their ids and phones, but not bank accounts or banks.
	RoleRegistrar Role = "registrar"
	// RoleSettings is RoleProxy plus Administration / Settings (which
	// implies Access Rights): more than the proxy needs.
	RoleSettings Role = "settings"
	// RolePortal is a portal user (group base.group_portal): it can log in
	// but gets AccessError on registrant data (transcripts/08 steps 89-94).
	RolePortal Role = "portal"
	// RoleNoGroups is a user without any group (transcripts/08 steps 97-98).
	RoleNoGroups Role = "nogroups"
)

// Seeded res.groups. base.group_user and base.group_portal have the ids of
// the recorded lab; the others are the emulator's choice.
const (
	groupInternal       int64 = 1  // base.group_user
	groupErpManager     int64 = 2  // base.group_erp_manager, "Access Rights"
	groupSystem         int64 = 3  // base.group_system, "Settings"
	groupPartnerManager int64 = 8  // base.group_partner_manager, "Contact Creation"
	groupPortal         int64 = 10 // base.group_portal
	groupRegistrar      int64 = 20 // g2p_registry_base.group_g2p_registrar
	groupG2PAdmin       int64 = 21 // g2p_registry_base.group_g2p_admin
)

// seededGroups are the res.groups rows: id, name, full name (as access
// faults list them), module and xml id.
var seededGroups = []struct {
	id                        int64
	name, full, module, xmlID string
}{
	{groupInternal, "Internal User", "User types / Internal User", "base", "group_user"},
	{groupPortal, "Portal", "User types / Portal", "base", "group_portal"},
	{groupErpManager, "Access Rights", "Administration / Access Rights", "base", "group_erp_manager"},
	{groupSystem, "Settings", "Administration / Settings", "base", "group_system"},
	{groupPartnerManager, "Contact Creation", "Extra Rights / Contact Creation", "base", "group_partner_manager"},
	{groupRegistrar, "Registrar", "OpenG2P Module Access / Registrar", "g2p_registry_base", "group_g2p_registrar"},
	{groupG2PAdmin, "Admin", "OpenG2P Module Access / Admin", "g2p_registry_base", "group_g2p_admin"},
}

var roleGroups = map[Role][]int64{
	RoleAdmin:     {groupInternal, groupErpManager, groupSystem, groupPartnerManager, groupRegistrar, groupG2PAdmin},
	RoleProxy:     {groupInternal, groupPartnerManager, groupRegistrar},
	RoleRegistrar: {groupInternal, groupRegistrar},
	RoleSettings:  {groupInternal, groupErpManager, groupSystem, groupPartnerManager, groupRegistrar},
	RolePortal:    {groupPortal},
	RoleNoGroups:  {},
}

// grant is one line of ir.model.access: a group (0: every user) and the
// operations it allows, among "r" (read), "w" (write), "c" (create) and
// "u" (unlink).
type grant struct {
	group int64
	ops   string
}

// modelAccess are the access lines of Odoo 17 base
// (security/ir.model.access.csv) and the OpenG2P registry modules
// (reference/original-api-spec.md §5.4) for the models internal users
// reach; models not listed are readable by everyone and writable with
// Settings.
var modelAccess = map[string][]grant{
	"res.partner":               {{groupInternal, "r"}, {groupPartnerManager, "rwcu"}, {groupRegistrar, "rwc"}, {groupG2PAdmin, "rwcu"}},
	"res.partner.bank":          {{groupInternal, "r"}, {groupPartnerManager, "rwcu"}},
	"res.bank":                  {{groupInternal, "r"}, {groupPartnerManager, "rwcu"}, {groupSystem, "rwcu"}},
	"g2p.reg.id":                {{groupRegistrar, "rwc"}, {groupG2PAdmin, "rwcu"}},
	"g2p.phone.number":          {{groupRegistrar, "rwc"}, {groupG2PAdmin, "rwcu"}},
	"g2p.group.membership":      {{groupRegistrar, "rwc"}, {groupG2PAdmin, "rwcu"}},
	"g2p.id.type":               {{groupRegistrar, "r"}, {groupG2PAdmin, "rwcu"}},
	"g2p.group.kind":            {{groupRegistrar, "r"}, {groupG2PAdmin, "rwcu"}},
	"g2p.group.membership.kind": {{groupRegistrar, "r"}, {groupG2PAdmin, "rwcu"}},
	"gender.type":               {{0, "r"}, {groupG2PAdmin, "rwcu"}},
	"res.users":                 {{0, "r"}, {groupErpManager, "rwcu"}},
	"res.groups":                {{groupInternal, "r"}, {groupErpManager, "rwcu"}},
}

// userTable holds the API keys; users themselves are res.users rows.
type userTable struct {
	mu   sync.Mutex
	keys map[string]map[string]bool // login -> keys
}

func newUserTable() *userTable { return &userTable{keys: map[string]map[string]bool{}} }

// AddAPIKey lets login authenticate with key instead of its password, as
// an Odoo 17 API key does.
func (s *Server) AddAPIKey(login, key string) {
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	if s.users.keys[login] == nil {
		s.users.keys[login] = map[string]bool{}
	}
	s.users.keys[login][key] = true
}

// AddUser creates a user (res.users and its res.partner) with the groups
// of role and returns its uid. It panics if name is empty (a user needs a
// name, as a contact does) or role is unknown.
func (s *Server) AddUser(name, login, password string, role Role) int64 {
	groups, ok := roleGroups[role]
	if !ok {
		panic(fmt.Sprintf("emulator: AddUser: unknown role %q", role))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &env{reg: s.reg, j: newJournal(s.st), uid: adminUID, now: s.opts.Now()}
	id, f := e.create(s.reg["res.users"], map[string]any{"name": name, "login": login, "password": password,
		"groups_id": []any{[]any{int64(6), int64(0), toAnyIDs(groups)}}})
	if f != nil {
		panic(fmt.Sprintf("emulator: AddUser: %v", f))
	}
	return id
}

func toAnyIDs(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// Odoo's defaults for base.login_cooldown_after / _duration.
const (
	loginCooldownAfter    = 5
	loginCooldownDuration = 60 * time.Second
)

type loginFailures struct {
	count int
	last  time.Time
}

// login is authenticate with Odoo's per-IP cooldown: while it lasts every
// attempt fails without being counted; a success forgets the failures.
func (s *Server) login(ip, login, secret string) (int64, bool) {
	now := s.opts.Now()
	if !s.opts.NoLoginCooldown {
		s.logMu.Lock()
		f := s.failures[ip]
		s.logMu.Unlock()
		if f.count >= loginCooldownAfter && now.Sub(f.last) < loginCooldownDuration {
			return 0, false
		}
	}
	uid, ok := s.authenticate(login, secret)
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if ok {
		delete(s.failures, ip)
	} else {
		f := s.failures[ip]
		s.failures[ip] = loginFailures{count: f.count + 1, last: now}
	}
	return uid, ok
}

// authenticate returns the uid for login and a password or API key.
func (s *Server) authenticate(login, secret string) (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, id := range s.st.tables["res.users"].ids() {
		r := s.st.tables["res.users"].rows[id]
		if r["login"] == login && r["active"] == true && s.secretOK(r, secret) {
			return id, true
		}
	}
	return 0, false
}

func (s *Server) secretOK(r row, secret string) bool {
	if secret == "" {
		return false
	}
	if pw, ok := r["password"].(string); ok && pw == secret {
		return true
	}
	login, _ := r["login"].(string)
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	return s.users.keys[login][secret]
}

// userRow returns the res.users row of uid (nil if none).
func (s *Server) userRow(uid int64) row {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.st.tables["res.users"].rows[uid]
	if !ok {
		return nil
	}
	return cloneRow(r)
}

// superuser reports whether r is OdooBot or the admin of the recorded lab,
// who hold every group in Odoo.
func superuser(r row) bool { return r["id"] == adminUID || r["id"] == odooBotUID }

func userGroups(r row) []int64 {
	groups, _ := r["groups_id"].([]int64)
	return groups
}

// userRole classifies a user for the recorded faults of users outside the
// internal users (portal, no groups); internal users are RoleAdmin here,
// their rights come from modelAccess.
func userRole(r row) Role {
	groups := userGroups(r)
	if superuser(r) || containsID(groups, groupInternal) {
		return RoleAdmin
	}
	if containsID(groups, groupPortal) {
		return RolePortal
	}
	return RoleNoGroups
}

// Access texts recorded in transcripts/08 (steps 89-98).
const (
	accessContactCreation = "\t- Extra Rights/Contact Creation\n"
	accessRegistrar       = "\t- OpenG2P Module Access/Registrar\n"
	accessInternal        = "\t- User types/Internal User\n"
)

func accessFault(op, model, desc, groups string) *Fault {
	return newFault(excAccessError, "You are not allowed to %s '%s' (%s) records.\n\nThis operation is allowed for the following groups:\n%s\nContact your administrator to request access if necessary.", op, desc, model, groups)
}

// accessResult says how a restricted user's call ends: with a fault, with
// an empty answer (record rules hide everything), or normally.
type accessResult struct {
	fault *Fault
	empty any
}

// accessOps are the operations ir.model.access checks per method; methods
// not listed check none (fields_get, check_access_rights).
var accessOps = map[string]string{
	"read": "r", "search": "r", "search_read": "r", "search_count": "r", "name_search": "r", "web_read": "r",
	"web_search_read": "r", "exists": "r", "default_get": "r", "read_group": "r", "onchange": "r",
	"write": "w", "action_archive": "w", "action_unarchive": "w", "create": "c", "unlink": "u",
}

// accessVerbs are the words of Odoo 17's ACL fault per operation.
var accessVerbs = map[string]string{"r": "access", "w": "modify", "c": "create", "u": "delete"}

// checkAccess emulates the ACLs and record rules that matter for the
// proxy's user: internal users get modelAccess, portal users and users
// without groups the recorded faults; OdooBot and admin pass.
func (s *Server) checkAccess(user row, m *model, method string) accessResult {
	if superuser(user) {
		return accessResult{}
	}
	if containsID(userGroups(user), groupInternal) {
		op := accessOps[method]
		if op == "" || allowed(userGroups(user), m.name, op) {
			return accessResult{}
		}
		return accessResult{fault: accessFault(accessVerbs[op], m.name, m.description, grantingGroups(m.name, op))}
	}
	return s.checkOutsiderAccess(user, m, method)
}

// allowed reports whether one of groups may do op on model.
func allowed(groups []int64, model, op string) bool {
	lines, listed := modelAccess[model]
	if !listed {
		lines = []grant{{0, "r"}, {groupSystem, "rwcu"}}
	}
	for _, g := range lines {
		if (g.group == 0 || containsID(groups, g.group)) && strings.Contains(g.ops, op) {
			return true
		}
	}
	return false
}

// grantingGroups lists the groups that may do op on model, as Odoo's fault
// does ("\t- Extra Rights/Contact Creation\n", sorted).
func grantingGroups(model, op string) string {
	var names []string
	for _, g := range modelAccess[model] {
		if g.group == 0 || !strings.Contains(g.ops, op) {
			continue
		}
		for _, sg := range seededGroups {
			if sg.id == g.group {
				names = append(names, "\t- "+strings.ReplaceAll(sg.full, " / ", "/")+"\n")
			}
		}
	}
	sort.Strings(names)
	return strings.Join(names, "")
}

// checkOutsiderAccess gives portal users and users without groups the
// faults and empty answers recorded in transcripts/08.
func (s *Server) checkOutsiderAccess(user row, m *model, method string) accessResult {
	role := userRole(user)
	write := method == "create" || method == "write" || method == "unlink"
	name, _ := user["name"].(string)
	switch m.name {
	case "res.partner.bank", "g2p.reg.id", "g2p.phone.number", "g2p.group.membership":
		if method == "create" || role == RoleNoGroups && write {
			return accessResult{fault: accessFault("create", m.name, m.description, accessContactCreation)}
		}
		return accessResult{fault: accessFault("access", m.name, m.description, accessContactCreation+accessInternal)}
	case "res.partner":
		if method == "create" {
			return accessResult{fault: accessFault("create", m.name, m.description, accessContactCreation+accessRegistrar)}
		}
		if role == RoleNoGroups {
			return accessResult{fault: accessFault("access", m.name, m.description,
				accessContactCreation+accessRegistrar+accessInternal+"\t- User types/Portal\n\t- User types/Public\n")}
		}
		switch method {
		case "search", "search_read", "name_search":
			return accessResult{empty: []any{}}
		case "search_count":
			return accessResult{empty: int64(0)}
		case "fields_get":
			return accessResult{}
		}
		return accessResult{fault: newFault(excAccessError, "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, %s (id=%d) doesn't have 'read' access to:\n- %s (%s)\n\nIf you really, really need access, perhaps you can win over your friendly administrator with a batch of freshly baked cookies.",
			name, user["id"], m.description, m.name)}
	}
	if write {
		return accessResult{fault: accessFault("create", m.name, m.description, accessContactCreation)}
	}
	return accessResult{}
}
