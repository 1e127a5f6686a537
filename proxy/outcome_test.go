package proxy

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// Lost answers of creates whose request has no registration id: the
// registrant is looked up by its name, person fields, phones and account
// numbers, so a repeat never makes a second payee.

// countByName counts registrants (archived ones too) whose name starts
// with name (a composed name ends with a space).
func countByName(t testing.TB, c *odoo.Client, name string) int64 {
	t.Helper()
	n, err := c.SearchCount(context.Background(), "res.partner",
		odoo.Domain{odoo.Cond("name", "=like", name+"%")}, odoo.Options{ActiveTest: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// countAccounts counts bank accounts (archived ones too) with the number.
func countAccounts(t testing.TB, c *odoo.Client, number string) int64 {
	t.Helper()
	n, err := c.SearchCount(context.Background(), "res.partner.bank",
		odoo.Domain{odoo.Cond("acc_number", "=", number)}, odoo.Options{ActiveTest: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// loseAnswers makes the nth res.partner create (counting from 1) commit
// after the proxy gave up, and every res.partner search fail, so that the
// proxy cannot see the write: its outcome stays unknown.
func loseAnswers(srv *emulator.Server, nth int64) {
	var creates atomic.Int64
	srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		switch {
		case c.Service != "object" || c.Model != "res.partner":
		case c.Method == "create" && creates.Add(1) == nth:
			return &emulator.Injected{Delay: time.Minute, AfterCall: true, Drop: true}
		case c.Method == "search_read":
			return &emulator.Injected{Drop: true}
		}
		return nil
	})
}

// unknownHarness is a proxy whose Odoo calls time out quickly, with warm
// bank and reference caches so that injected faults hit the writes only.
func unknownHarness(t *testing.T) *relHarness {
	t.Helper()
	h := newRelHarness(t, relOptions{odoo: odoo.Config{Timeout: 500 * time.Millisecond}, outcomeLookup: 300 * time.Millisecond})
	if r := h.do(t, "POST", "/individual", individualBody("2000000090", "WARM-0090")); r.Code != 200 {
		t.Fatalf("warm-up: %d %s", r.Code, r.Body)
	}
	return h
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the delayed write never ran")
		}
	}
}

func TestRepeatAfterUnknownOutcomeWithoutRegistrationIDsMakesNoTwin(t *testing.T) {
	for _, tc := range []struct {
		name, body, name2, account string
		header                     []string
		repeatWithoutKey           bool // the client drops its key for the repeat
	}{
		{name: "key, bank account", name2: "PAYEE, DUP", account: "+254722333444", header: []string{IdempotencyKeyHeader, "dup-1"},
			body: `{"given_name":"Dup","family_name":"Payee","bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"+254722333444"}]}`},
		{name: "key, no account", name2: "UNKNOWN, OUTCOME", header: []string{IdempotencyKeyHeader, "dup-2"},
			body: `{"given_name":"Outcome","family_name":"Unknown","birthdate":"1990-05-01","phone_numbers":[{"phone_no":"+221 77 000 11 22"}]}`},
		{name: "key, repeated without it", name2: "PAYEE, DROPPED", account: "+254722333666", header: []string{IdempotencyKeyHeader, "dup-3"},
			repeatWithoutKey: true,
			body:             `{"given_name":"Dropped","family_name":"Payee","bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"+254722333666"}]}`},
		{name: "no key, bank account", name2: "PAYEE, KEYLESS", account: "+254722333555",
			body: `{"given_name":"Keyless","family_name":"Payee","bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"+254722333555"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := unknownHarness(t)
			loseAnswers(h.srv, 1)
			first := h.do(t, "POST", "/individual", tc.body, tc.header...)
			if first.Code != 504 || first.problem(t).Code != "upstream_outcome_unknown" {
				t.Fatalf("first: %d %s, want 504 upstream_outcome_unknown", first.Code, first.Body)
			}
			advice := "same Idempotency-Key"
			if len(tc.header) == 0 {
				advice = "check whether"
			}
			if !strings.Contains(first.problem(t).Detail, advice) {
				t.Errorf("detail %q does not say %q", first.problem(t).Detail, advice)
			}
			waitUntil(t, func() bool { return countByName(t, h.client, tc.name2) == 1 })
			h.srv.InjectFault(nil)

			repeat := tc.header
			if tc.repeatWithoutKey {
				repeat = nil
			}
			again := h.do(t, "POST", "/individual", tc.body, repeat...)
			if again.Code != 200 {
				t.Fatalf("repeat: %d %s, want 200 with the first attempt's registrant", again.Code, again.Body)
			}
			if n := countByName(t, h.client, tc.name2); n != 1 {
				t.Errorf("%d registrants named %s after the repeat, want 1", n, tc.name2)
			}
			if tc.account != "" {
				if n := countAccounts(t, h.client, tc.account); n != 1 {
					t.Errorf("%d accounts %s after the repeat, want 1 (two payees)", n, tc.account)
				}
			}
			if c := h.srv.CallsTo("res.partner", "create"); c != 2 { // warm-up + the first attempt
				t.Errorf("%d creates, want 2: the repeat must find the first attempt's registrant", c)
			}
		})
	}
}

// A write that never reached Odoo's database: the repeat finds nothing
// and creates it, once.
func TestRepeatAfterAnUncommittedCreateCreatesOnce(t *testing.T) {
	h := unknownHarness(t)
	var dropped atomic.Bool
	onObject(h.srv, "res.partner", "create", func(emulator.Call) *emulator.Injected {
		if dropped.CompareAndSwap(false, true) {
			return &emulator.Injected{Drop: true}
		}
		return nil
	})
	body := `{"given_name":"Never","family_name":"Written","bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"NW-0001"}]}`
	if r := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "nw"); r.Code != 504 {
		t.Fatalf("first: %d %s, want 504", r.Code, r.Body)
	}
	if r := h.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "nw"); r.Code != 200 {
		t.Fatalf("repeat: %d %s, want 200", r.Code, r.Body)
	}
	if n := countAccounts(t, h.client, "NW-0001"); n != 1 {
		t.Errorf("%d accounts, want 1", n)
	}
}

const lostGroupBody = `{"name":"Drop Group","kind":"Household","bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"GRP-DROP-1"}],
"members":[{"given_name":"Awa","family_name":"Drop","kind":[{"name":"Head"}],"bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"GRP-DROP-2"}]},
{"given_name":"Ousmane","family_name":"Drop"}]}`

// groupMembers returns the members (individual ids) of the active groups
// named name, one list per group.
func groupMembers(t testing.TB, c *odoo.Client, name string) [][]int64 {
	t.Helper()
	recs, err := c.SearchRead(context.Background(), "res.partner",
		odoo.Domain{odoo.Cond("name", "=", name), odoo.Cond("is_group", "=", true)}, []string{"group_membership_ids"}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]int64
	for _, g := range recs {
		ms := g.IDs("group_membership_ids")
		var members []int64
		if len(ms) > 0 {
			rows, err := c.SearchRead(context.Background(), "g2p.group.membership",
				odoo.Domain{odoo.Cond("id", "in", ms)}, []string{"individual"}, odoo.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				m, _ := r.Many2One("individual")
				members = append(members, m.ID)
			}
		}
		out = append(out, members)
	}
	return out
}

// The answer of the group's own create, or of its members' create, is
// lost: the group is neither left without its members nor made twice.
func TestLostGroupAnswersLeaveNoOrphanAndNoTwin(t *testing.T) {
	for _, tc := range []struct {
		name string
		nth  int64 // which res.partner create loses its answer
	}{{"group create", 1}, {"members create", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			h := unknownHarness(t)
			h.srv.ResetCalls()
			loseAnswers(h.srv, tc.nth)
			first := h.do(t, "POST", "/group", lostGroupBody, IdempotencyKeyHeader, "grp")
			if first.Code != 504 || first.problem(t).Code != "upstream_outcome_unknown" {
				t.Fatalf("first: %d %s, want 504 upstream_outcome_unknown", first.Code, first.Body)
			}
			waitUntil(t, func() bool {
				return h.srv.CallsTo("res.partner", "create") == tc.nth && countByName(t, h.client, "Drop Group") == 1
			})
			if tc.nth == 2 {
				waitUntil(t, func() bool { return countByName(t, h.client, "DROP, OUSMANE") == 1 })
			}
			h.srv.InjectFault(nil)
			again := h.do(t, "POST", "/group", lostGroupBody, IdempotencyKeyHeader, "grp")
			if again.Code != 200 {
				t.Fatalf("repeat: %d %s, want 200", again.Code, again.Body)
			}
			groups := groupMembers(t, h.client, "Drop Group")
			if len(groups) != 1 || len(groups[0]) != 2 {
				t.Errorf("active groups and their members: %v, want one group with 2 members", groups)
			}
			for name, want := range map[string]int64{"Drop Group": 1, "DROP, AWA": 1, "DROP, OUSMANE": 1} {
				if n := countByName(t, h.client, name); n != want {
					t.Errorf("%d registrants named %s, want %d", n, name, want)
				}
			}
			for _, acc := range []string{"GRP-DROP-1", "GRP-DROP-2"} {
				if n := countAccounts(t, h.client, acc); n != 1 {
					t.Errorf("%d accounts %s, want 1", n, acc)
				}
			}
		})
	}
}

// When the group's create is lost but the look-up sees it, the first
// attempt goes on with the members: one complete group, no 504.
func TestLostGroupAnswerIsResolvedByItsNaturalKey(t *testing.T) {
	h := unknownHarness(t)
	var lost atomic.Bool
	onObject(h.srv, "res.partner", "create", func(emulator.Call) *emulator.Injected {
		if lost.CompareAndSwap(false, true) {
			return &emulator.Injected{AfterCall: true, Drop: true}
		}
		return nil
	})
	if r := h.do(t, "POST", "/group", lostGroupBody); r.Code != 200 {
		t.Fatalf("%d %s, want 200: the group is found and its members created", r.Code, r.Body)
	}
	if groups := groupMembers(t, h.client, "Drop Group"); len(groups) != 1 || len(groups[0]) != 2 {
		t.Errorf("groups and members: %v, want one group with 2 members", groups)
	}
}
