package mapping

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// outcomeEnv is a Registry whose Odoo calls time out after 500ms, so that
// an injected delay makes a write's answer get lost while the write still
// runs in the emulator (it finishes calls whose client gave up).
func outcomeEnv(t *testing.T, lookup time.Duration) *testEnv {
	t.Helper()
	srv := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	c, err := odoo.New(odoo.Config{URL: srv.URL(), DB: srv.DB(), Login: "admin", Secret: "admin",
		Timeout: 500 * time.Millisecond, Breaker: odoo.BreakerPolicy{Failures: -1}}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	EnsureTestReferenceData(t, c)
	env := &testEnv{reg: NewRegistry(c, RegistryOptions{OutcomeLookup: lookup,
		Now: func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }}, zap.NewNop()), srv: srv, odoo: c}
	// Warm the caches so the injected failures hit only the write.
	if _, err := env.reg.CreateIndividual(context.Background(), decode[IndividualRequest](t, strings.NewReplacer(
		"1234567890", "9999999999", "A1234567", "Z9999999").Replace(aminaBody))); err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	return env
}

// inject applies inj to the object calls that match, at most n times
// (n < 0: always).
func inject(srv *emulator.Server, model, method string, n int64, inj emulator.Injected) {
	var seen atomic.Int64
	srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Service != "object" || c.Model != model || c.Method != method || (n >= 0 && seen.Add(1) > n) {
			return nil
		}
		return &inj
	})
}

// registrantsWithNationalID counts the registrants carrying the id.
func registrantsWithNationalID(t *testing.T, c *odoo.Client, value string) int64 {
	t.Helper()
	n, err := c.SearchCount(context.Background(), "res.partner",
		odoo.Domain{odoo.Cond("reg_ids", "any", []any{odoo.Cond("value", "=", value)})}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLostCreateAnswerIsResolvedByNaturalKey(t *testing.T) {
	env := outcomeEnv(t, 5*time.Second)
	inject(env.srv, "res.partner", "create", 1, emulator.Injected{Delay: time.Minute})
	ind, err := env.reg.CreateIndividual(context.Background(), decode[IndividualRequest](t, aminaBody))
	if err != nil {
		t.Fatalf("create whose answer was lost: %v; want it found by its registration ids", err)
	}
	if got := env.srv.CallsTo("res.partner", "create"); got != 1 {
		t.Errorf("creates sent = %d, want 1 (never repeated)", got)
	}
	if n := registrantsWithNationalID(t, env.odoo, "1234567890"); n != 1 || ind.ID == 0 {
		t.Errorf("registrants with the id: %d (answer id %d), want exactly the one answered", n, ind.ID)
	}
}

func TestUnresolvedCreateIsOutcomeUnknownAndARetryDoesNotDuplicate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inj       emulator.Injected
		committed int64
	}{
		// The create runs after the client gave up; the look-ups fail.
		{"committed", emulator.Injected{Delay: time.Minute}, 1},
		// The connection drops before Odoo runs anything.
		{"not committed", emulator.Injected{Drop: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := outcomeEnv(t, 300*time.Millisecond)
			var created atomic.Bool
			env.srv.InjectFault(func(c emulator.Call) *emulator.Injected {
				switch {
				case c.Service != "object" || c.Model != "res.partner":
				case c.Method == "create" && created.CompareAndSwap(false, true):
					return &tc.inj
				case c.Method == "search_read":
					return &emulator.Injected{HTTPStatus: 503} // look-ups fail
				}
				return nil
			})
			start := time.Now()
			_, err := env.reg.CreateIndividual(context.Background(), decode[IndividualRequest](t, aminaBody))
			if errCode(err) != CodeUpstreamOutcomeUnknown {
				t.Fatalf("err = %v, want %s", err, CodeUpstreamOutcomeUnknown)
			}
			waitFor(t, func() bool { return registrantsWithNationalID(t, env.odoo, "1234567890") == tc.committed })
			env.srv.InjectFault(nil)

			// The client retries (same Idempotency-Key: the proxy passes the
			// first attempt's start).
			ctx := WithPriorAttempt(context.Background(), start)
			ind, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, aminaBody))
			if err != nil {
				t.Fatal(err)
			}
			if n := registrantsWithNationalID(t, env.odoo, "1234567890"); n != 1 {
				t.Errorf("registrants after the retry = %d, want 1", n)
			}
			if want := 2 - tc.committed; env.srv.CallsTo("res.partner", "create") != want {
				t.Errorf("creates = %d, want %d", env.srv.CallsTo("res.partner", "create"), want)
			}
			if len(ind.BankIDs) != 2 || len(ind.RegIDs) != 2 {
				t.Errorf("answer %+v lacks the accounts or ids", ind)
			}
		})
	}
}

func TestLostAccountCreateAndArchiveAreResolved(t *testing.T) {
	env := outcomeEnv(t, 5*time.Second)
	accounts := NewAccounts(ResolveOutcomes(env.odoo, 5*time.Second, nil), env.reg.Banks(), AccountsOptions{}, nil)
	ctx := context.Background()
	p, err := env.odoo.Create(ctx, "res.partner", odoo.Values{"name": "OUTCOME, TEST", "is_registrant": true}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inject(env.srv, "res.partner.bank", "create", 1, emulator.Injected{Delay: time.Minute})
	acc, created, err := accounts.Create(ctx, p, decode[BankAccountRequest](t, `{"acc_number": "0170 2938 44105", "bank_name": "Banque Test Atlantique"}`))
	if err != nil || !created || acc.ID == 0 {
		t.Fatalf("create whose answer was lost: %+v created=%v err=%v; want the account found", acc, created, err)
	}
	inject(env.srv, "res.partner.bank", "write", 1, emulator.Injected{Delay: time.Minute})
	if err := accounts.Archive(ctx, p, acc.ID); err != nil {
		t.Fatalf("archive whose answer was lost: %v; want it confirmed by a read", err)
	}
	all, err := accounts.List(ctx, p, true)
	if err != nil || len(all) != 1 || all[0].Active {
		t.Errorf("accounts = %+v (%v), want the one account, archived", all, err)
	}
}

func TestWriteWithCommandsIsOutcomeUnknown(t *testing.T) {
	env := outcomeEnv(t, 200*time.Millisecond)
	inject(env.srv, "res.partner", "write", 1, emulator.Injected{Drop: true})
	o := ResolveOutcomes(env.odoo, 200*time.Millisecond, nil)
	err := o.Write(context.Background(), "res.partner", []int64{1},
		odoo.Values{"bank_ids": []any{odoo.CmdCreate(odoo.Values{"acc_number": "1"})}}, odoo.Options{})
	if errCode(err) != CodeUpstreamOutcomeUnknown {
		t.Errorf("err = %v, want %s", err, CodeUpstreamOutcomeUnknown)
	}
}

// waitFor polls cond (the emulator finishes a delayed call on its own
// schedule); it fails the test after 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}

func TestFailedReadBackAfterACreateIsOutcomeUnknown(t *testing.T) {
	env := outcomeEnv(t, 200*time.Millisecond)
	inject(env.srv, "res.partner", "web_read", -1, emulator.Injected{HTTPStatus: 503})
	_, err := env.reg.CreateIndividual(context.Background(), decode[IndividualRequest](t, aminaBody))
	if errCode(err) != CodeUpstreamOutcomeUnknown || !strings.Contains(err.Error(), "was saved") {
		t.Errorf("err = %v; the registrant was created, so the client must not read a plain 503", err)
	}
	if n := registrantsWithNationalID(t, env.odoo, "1234567890"); n != 1 {
		t.Errorf("%d registrants, want 1", n)
	}
}

func TestRetryWhoseLookupFailsDoesNotCreate(t *testing.T) {
	env := outcomeEnv(t, 200*time.Millisecond)
	inject(env.srv, "res.partner", "search_read", -1, emulator.Injected{Fault: emulator.ServerFault("builtins.Exception", "boom")})
	ctx := WithPriorAttempt(context.Background(), time.Now())
	_, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, aminaBody))
	if errCode(err) != CodeUpstreamOutcomeUnknown {
		t.Errorf("err = %v, want %s: the earlier attempt may have written", err, CodeUpstreamOutcomeUnknown)
	}
	if n := env.srv.CallsTo("res.partner", "create"); n != 0 {
		t.Errorf("%d creates without knowing whether the first attempt wrote", n)
	}
}

// The natural key of a registrant without registration ids is its names,
// birthdate, phones and accounts: a repeat takes only a registrant with all
// of them for its own, never a namesake.
func TestRepeatTakesNoNamesakeForItsEarlierAttempt(t *testing.T) {
	env := outcomeEnv(t, 200*time.Millisecond)
	ctx := context.Background()
	const first = `{"given_name":"Dup","family_name":"Payee","birthdate":"1990-05-01",
"phone_numbers":[{"phone_no":"+221 77 000 11 22"}],"bank_ids":[{"bank_name":"Banque Test Atlantique","acc_number":"DUP-0001"}]}`
	orig, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t, first))
	if err != nil {
		t.Fatal(err)
	}
	repeat := WithPriorAttempt(ctx, time.Now().Add(-time.Second))
	for _, other := range []string{
		strings.Replace(first, `,"bank_ids":[{"bank_name":"Banque Test Atlantique","acc_number":"DUP-0001"}]`, "", 1),
		strings.Replace(first, "DUP-0001", "DUP-0002", 1),
		strings.Replace(first, "1990-05-01", "1990-05-02", 1),
		strings.Replace(first, "+221 77 000 11 22", "+221 77 000 11 23", 1),
	} {
		ind, err := env.reg.CreateIndividual(repeat, decode[IndividualRequest](t, other))
		if err != nil || ind.ID == orig.ID {
			t.Errorf("repeat of %s: id %d (%v), want a new registrant, not %d", other, ind.ID, err, orig.ID)
		}
	}
	ind, err := env.reg.CreateIndividual(repeat, decode[IndividualRequest](t, first))
	if err != nil || ind.ID != orig.ID {
		t.Errorf("repeat of the same request: id %d (%v), want the earlier attempt's %d", ind.ID, err, orig.ID)
	}
}
