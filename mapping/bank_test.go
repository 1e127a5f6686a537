package mapping

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// banksNamed counts res.bank rows (archived included) whose name has key.
func banksNamed(t *testing.T, env *testEnv, name string) []Bank {
	t.Helper()
	inactive := false
	recs, err := env.odoo.SearchRead(context.Background(), "res.bank", odoo.Domain{}, []string{"name", "bic", "active"},
		odoo.Options{ActiveTest: &inactive, Order: "id asc"})
	if err != nil {
		t.Fatal(err)
	}
	var out []Bank
	for _, r := range recs {
		n, _ := r.String("name")
		if bankNameKey(n) == bankNameKey(name) {
			bic, _ := r.String("bic")
			out = append(out, Bank{ID: r.ID(), Name: n, BIC: bic, Active: r.Bool("active")})
		}
	}
	return out
}

func TestBankResolverSpellingsAreOneBank(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	r := env.reg.Banks()
	ctx := context.Background()
	first, err := r.Resolve(ctx, BankRef{Name: "Crédit Rural du Sénégal"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"crédit rural du sénégal", "  CRÉDIT   RURAL DU\tSÉNÉGAL ", "Cre\u0301dit Rural du Se\u0301ne\u0301gal"} {
		b, err := r.Resolve(ctx, BankRef{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if b.ID != first.ID {
			t.Errorf("%q resolved to %d, want %d", name, b.ID, first.ID)
		}
	}
	if n := env.srv.CallsTo("res.bank", "create"); n != 1 {
		t.Errorf("%d banks created for one name in four spellings", n)
	}
	if got := banksNamed(t, env, "Crédit Rural du Sénégal"); len(got) != 1 || got[0].Name != "Crédit Rural du Sénégal" {
		t.Errorf("banks in Odoo: %+v", got)
	}
}

func TestBankResolverWildcardsAreLiteral(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	r := env.reg.Banks()
	ctx := context.Background()
	plain, err := r.Resolve(ctx, BankRef{Name: "Bank X1"})
	if err != nil {
		t.Fatal(err)
	}
	under, err := r.Resolve(ctx, BankRef{Name: "Bank_X1"})
	if err != nil {
		t.Fatal(err)
	}
	pct, err := r.Resolve(ctx, BankRef{Name: "Bank%"})
	if err != nil {
		t.Fatal(err)
	}
	if plain.ID == under.ID || under.ID == pct.ID || plain.ID == pct.ID {
		t.Errorf("'_' or '%%' acted as a wildcard: %d %d %d", plain.ID, under.ID, pct.ID)
	}
}

func TestBankResolverConcurrentNewBankCreatedOnce(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	r := env.reg.Banks()
	spellings := []string{"Banque Nouvelle Concurrence", "banque nouvelle concurrence", " BANQUE  Nouvelle CONCURRENCE "}
	var wg sync.WaitGroup
	ids := make([]int64, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := r.Resolve(context.Background(), BankRef{Name: spellings[i%len(spellings)]})
			ids[i], errs[i] = b.ID, err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("resolve %d: id %d err %v, want id %d", i, ids[i], errs[i], ids[0])
		}
	}
	if got := banksNamed(t, env, spellings[0]); len(got) != 1 {
		t.Errorf("50 concurrent requests created %d banks: %+v", len(got), got)
	}
	if n := env.srv.CallsTo("res.bank", "create"); n != 1 {
		t.Errorf("res.bank.create called %d times, want 1", n)
	}
}

func TestBankResolverLowestIDWins(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	a, err := env.odoo.Create(ctx, "res.bank", odoo.Values{"name": "Twin Bank"}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.odoo.Create(ctx, "res.bank", odoo.Values{"name": "TWIN BANK"}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	b, err := env.reg.Banks().Resolve(ctx, BankRef{Name: "twin bank"})
	if err != nil || b.ID != a {
		t.Errorf("got %d (%v), want the lowest id %d", b.ID, err, a)
	}
}

func TestBankResolverByBIC(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	r := env.reg.Banks()
	// A bank known by name only gets the BIC instead of a twin.
	byName, err := r.Resolve(ctx, BankRef{Name: "Banque BIC Test"})
	if err != nil {
		t.Fatal(err)
	}
	withBIC, err := r.Resolve(ctx, BankRef{Name: "BANQUE BIC TEST", BIC: "bbtt sn da"})
	if err != nil {
		t.Fatal(err)
	}
	onlyBIC, err := r.Resolve(ctx, BankRef{BIC: "BBTTSNDA"})
	if err != nil {
		t.Fatal(err)
	}
	alias, err := r.Resolve(ctx, BankRef{Name: "BBT Senegal", BIC: "BBTTSNDA"})
	if err != nil {
		t.Fatal(err)
	}
	if withBIC.ID != byName.ID || onlyBIC.ID != byName.ID || alias.ID != byName.ID {
		t.Errorf("ids %d %d %d %d, want all %d", byName.ID, withBIC.ID, onlyBIC.ID, alias.ID, byName.ID)
	}
	if got := banksNamed(t, env, "Banque BIC Test"); len(got) != 1 || got[0].BIC != "BBTTSNDA" {
		t.Errorf("banks: %+v", got)
	}
	// Same name, another BIC: another bank.
	other, err := r.Resolve(ctx, BankRef{Name: "Banque BIC Test", BIC: "BBTTCIAB"})
	if err != nil || other.ID == byName.ID {
		t.Errorf("another BIC resolved to %d (%v)", other.ID, err)
	}
}

func TestBankResolverArchivedIsNotReusedNorDuplicated(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	id, err := env.odoo.Create(ctx, "res.bank", odoo.Values{"name": "Closed Bank", "bic": "CLOSSNDA"}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.odoo.Write(ctx, "res.bank", []int64{id}, odoo.Values{"active": false}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	env.srv.ResetCalls()
	for _, ref := range []BankRef{{Name: "closed bank"}, {BIC: "CLOSSNDA"}, {Name: "Closed Bank", BIC: "CLOSSNDA"}} {
		if _, err := env.reg.Banks().Resolve(ctx, ref); errCode(err) != CodeUnknownReference {
			t.Errorf("%v: %v, want unknown_reference", ref, err)
		}
	}
	_, err = env.reg.CreateIndividual(ctx, decode[IndividualRequest](t,
		`{"given_name":"A","bank_ids":[{"bank_name":"Closed  BANK","acc_number":"123"}]}`))
	if errCode(err) != CodeUnknownReference || !hasPointer(err, "/bank_ids/0/bank_name") {
		t.Errorf("create with an archived bank: %v", err)
	}
	if n := env.srv.CallsTo("res.bank", "create") + env.srv.CallsTo("res.partner", "create"); n != 0 {
		t.Errorf("%d creates happened", n)
	}
}

func TestBankResolverCacheTTLAndFailures(t *testing.T) {
	srv := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	c, err := odoo.New(odoo.Config{URL: srv.URL(), DB: srv.DB(), Login: "admin", Secret: "admin"}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var fail sync.Mutex
	failing := true
	srv.InjectFault(func(call emulator.Call) *emulator.Injected {
		fail.Lock()
		defer fail.Unlock()
		if failing && call.Model == "res.bank" && call.Method == "search_read" {
			failing = false
			return &emulator.Injected{Fault: emulator.ServerFault("psycopg2.OperationalError", "server closed the connection")}
		}
		return nil
	})
	r := NewBankResolver(c, 250*time.Millisecond, zap.NewNop())
	if _, err := r.Resolve(ctx, BankRef{Name: "TTL Bank"}); errCode(err) != CodeUpstreamError {
		t.Fatalf("first resolve: %v, want upstream_error", err)
	}
	b, err := r.Resolve(ctx, BankRef{Name: "TTL Bank"})
	if err != nil {
		t.Fatalf("the failure must not be cached: %v", err)
	}
	srv.ResetCalls()
	if again, err := r.Resolve(ctx, BankRef{Name: "ttl bank"}); err != nil || again.ID != b.ID || srv.Calls() != 0 {
		t.Errorf("cached resolve: id %d err %v calls %d, want %d, nil, 0", again.ID, err, srv.Calls(), b.ID)
	}
	time.Sleep(400 * time.Millisecond) // past the TTL
	if again, err := r.Resolve(ctx, BankRef{Name: "TTL Bank"}); err != nil || again.ID != b.ID || srv.Calls() != 1 {
		t.Errorf("after the TTL: id %d err %v calls %d, want %d, nil, 1 (one directory read)", again.ID, err, srv.Calls(), b.ID)
	}
}

func TestStaleCachedBankIsResolvedAgain(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	b, err := env.reg.Banks().Resolve(ctx, BankRef{Name: "Short Lived Bank"})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.odoo.Unlink(ctx, "res.bank", []int64{b.ID}, odoo.Options{}); err != nil {
		t.Fatal(err)
	}
	ind, err := env.reg.CreateIndividual(ctx, decode[IndividualRequest](t,
		`{"given_name":"A","bank_ids":[{"bank_name":"short lived bank","acc_number":"42-42"}]}`))
	if err != nil {
		t.Fatalf("create with a deleted cached bank: %v", err)
	}
	if len(ind.BankIDs) != 1 || *ind.BankIDs[0].BankName != "short lived bank" {
		t.Errorf("accounts %+v", ind.BankIDs)
	}
	if got := banksNamed(t, env, "Short Lived Bank"); len(got) != 1 || got[0].ID == b.ID {
		t.Errorf("banks now %+v", got)
	}
}

func TestStaleCachedBankInUpdateAndGroup(t *testing.T) {
	env := newTestEnv(t, RegistryOptions{})
	ctx := context.Background()
	createForUpdate(t, env, "6666666666", "")
	forget := func(name string) {
		b, err := env.reg.Banks().Resolve(ctx, BankRef{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.odoo.Unlink(ctx, "res.bank", []int64{b.ID}, odoo.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	forget("Stale Update Bank")
	items := decode[[]UpdateIndividualRequest](t, `[{"updateId":"6666666666","bank_ids":[{"bank_name":"Stale Update Bank","acc_number":"SU-1"}]}]`)
	results, err := env.reg.UpdateIndividuals(ctx, "National ID", *items)
	if err != nil || BatchError(results) != nil {
		t.Fatalf("update with a deleted cached bank: %v %v", err, BatchError(results))
	}
	if len(banksNamed(t, env, "Stale Update Bank")) != 1 {
		t.Error("the bank was not created again")
	}
	forget("Stale Group Bank")
	g, err := env.reg.CreateGroup(ctx, decode[GroupRequest](t,
		`{"name":"Stale G","members":[{"name":"SM","bank_ids":[{"bank_name":"Stale Group Bank","acc_number":"SG-1"}]}]}`))
	if err != nil || len(g.GroupMembershipIDs) != 1 || len(g.GroupMembershipIDs[0].Individual.BankIDs) != 1 {
		t.Fatalf("group with a deleted cached bank: %v %+v", err, g)
	}
}
