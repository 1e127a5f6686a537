package emulator

import (
	"fmt"
	"sync"
	"time"
)

// Role is what a user may do, by the groups Odoo would give it.
type Role string

const (
	// RoleAdmin has every right (admin, uid 2).
	RoleAdmin Role = "admin"
	// RolePortal is a portal user (group base.group_portal): it can log in
	// but gets AccessError on registrant data (transcripts/08 steps 89-94).
	RolePortal Role = "portal"
	// RoleNoGroups is a user without any group (transcripts/08 steps 97-98).
	RoleNoGroups Role = "nogroups"
)

// Group ids of the seeded res.groups (base.group_user, base.group_portal).
const (
	groupInternal int64 = 1
	groupPortal   int64 = 10
)

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
// of role and returns its uid. It panics only if name is empty (a user
// needs a name, as a contact does).
func (s *Server) AddUser(name, login, password string, role Role) int64 {
	groups := []int64{groupInternal}
	switch role {
	case RolePortal:
		groups = []int64{groupPortal}
	case RoleNoGroups:
		groups = []int64{}
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

func userRole(r row) Role {
	groups, _ := r["groups_id"].([]int64)
	if r["id"] == adminUID || r["id"] == odooBotUID || containsID(groups, groupInternal) {
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

// checkAccess emulates the ACLs and record rules that matter for the
// proxy's user; admin-like users pass.
func (s *Server) checkAccess(user row, m *model, method string) accessResult {
	role := userRole(user)
	if role == RoleAdmin {
		return accessResult{}
	}
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
