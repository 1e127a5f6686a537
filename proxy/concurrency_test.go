package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency/redistest"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// accountAnswer is the part of a bank-account answer the tests check.
type accountAnswer struct {
	ID           int64  `json:"id"`
	RegistrantID int64  `json:"registrant_id"`
	AccNumber    string `json:"acc_number"`
	Bank         *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"bank"`
}

func registrants(t testing.TB, c *odoo.Client, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		id, err := c.Create(context.Background(), "res.partner", odoo.Values{"name": fmt.Sprintf("CONCURRENT, %d", i), "is_registrant": true}, odoo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func banksNamed(t testing.TB, c *odoo.Client, name string) int64 {
	t.Helper()
	n, err := c.SearchCount(context.Background(), "res.bank", odoo.Domain{odoo.Cond("name", "=", name)}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// underLoad gives the proxy generous deadlines: under -race on two busy
// cores, hundreds of requests wait for Odoo connections far longer than in
// a deployment. These tests check what is written and answered, not how
// fast, so a slow machine must not turn answers into 504s.
func underLoad(o relOptions) relOptions {
	o.odoo.Timeout = 2 * time.Minute
	o.cfg = func(c *config.Config) {
		c.Server.WriteTimeout = 5 * time.Minute
		c.Server.ReadTimeout = 5 * time.Minute
		c.Idempotency.Lease = 5 * time.Minute
	}
	return o
}

// 200 concurrent creates over 20 registrants and 5 new banks, every
// account asked for twice: 5 banks, 100 accounts, every answer right.
func TestConcurrentAccountCreates(t *testing.T) {
	h := newRelHarness(t, underLoad(relOptions{}))
	regs := registrants(t, h.client, 20)
	type result struct {
		reg       int64
		num, bank string
		status    int
		acc       accountAnswer
	}
	results := make([]result, 200)
	var wg sync.WaitGroup
	for i := range results {
		r := result{reg: regs[i%20], num: fmt.Sprintf("CC%02d%02d", i%20, (i/20)%5), bank: fmt.Sprintf("Banque Concurrente %d", i%5)}
		wg.Go(func() {
			res := h.do(t, "POST", fmt.Sprintf("/registrants/%d/bank-accounts", r.reg),
				fmt.Sprintf(`{"acc_number":%q,"bank_name":%q}`, r.num, r.bank))
			r.status = res.Code
			_ = json.Unmarshal(res.Body.Bytes(), &r.acc)
			if res.Code != 200 && res.Code != 201 {
				t.Errorf("%s for %d: %d %s", r.num, r.reg, res.Code, res.Body)
			}
			results[i] = r
		})
	}
	wg.Wait()
	byKey := map[string]int64{}
	created := 0
	for _, r := range results {
		if r.acc.RegistrantID != r.reg || r.acc.AccNumber != r.num || r.acc.Bank == nil || r.acc.Bank.Name != r.bank {
			t.Errorf("answer %+v for %s at %q of %d", r.acc, r.num, r.bank, r.reg)
		}
		k := fmt.Sprint(r.reg, r.num)
		if id, ok := byKey[k]; ok && id != r.acc.ID {
			t.Errorf("%s of %d answered as accounts %d and %d", r.num, r.reg, id, r.acc.ID)
		}
		byKey[k] = r.acc.ID
		if r.status == 201 {
			created++
		}
	}
	if created != 100 {
		t.Errorf("%d answers said created, want 100 (one per account)", created)
	}
	for b := range 5 {
		if n := banksNamed(t, h.client, fmt.Sprintf("Banque Concurrente %d", b)); n != 1 {
			t.Errorf("bank %d exists %d times, want once", b, n)
		}
	}
	n, err := h.client.SearchCount(context.Background(), "res.partner.bank", odoo.Domain{odoo.Cond("sanitized_acc_number", "=like", "CC%")}, odoo.Options{})
	if err != nil || n != 100 {
		t.Errorf("%d accounts stored (%v), want 100", n, err)
	}
}

// Concurrent updates of one registrant, each adding its own account: none
// is lost.
func TestConcurrentUpdatesOfOneRegistrantKeepEveryAccount(t *testing.T) {
	h := newRelHarness(t, underLoad(relOptions{}))
	if r := h.do(t, "POST", "/individual", individualBody("2000000031", "UPD-BASE")); r.Code != 200 {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`[{"updateId":"2000000031","bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"UPD-%02d"},{"bank_name":"Ecobank Sénégal","acc_number":"UPD-SHARED"}]}]`, i)
			r := h.do(t, "PUT", "/update_individual?id_type="+url.QueryEscape("National ID"), body)
			if r.Code != 200 {
				t.Errorf("update %d: %d %s", i, r.Code, r.Body)
			}
		})
	}
	wg.Wait()
	recs, err := h.client.SearchRead(context.Background(), "res.partner.bank",
		odoo.Domain{odoo.Cond("partner_id.reg_ids.value", "=", "2000000031")}, []string{"acc_number"}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range recs {
		s, _ := r.String("acc_number")
		got[s]++
	}
	if len(recs) != n+2 || got["UPD-SHARED"] != 1 || got["UPD-BASE"] != 1 {
		t.Errorf("accounts after %d concurrent updates: %v, want UPD-BASE, UPD-SHARED and UPD-00..%02d once each", n, got, n-1)
	}
}

// Two proxy instances (separate caches) share one Odoo and one Redis: 20
// concurrent requests on each for the same new bank create it once, and an
// Idempotency-Key used on one instance is honoured by the other.
func TestTwoReplicasShareOneRedis(t *testing.T) {
	rc := redistest.Start(t)
	srv := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo, NoLoginCooldown: true})
	replica := func() *relHarness {
		return newRelHarness(t, underLoad(relOptions{srv: srv, store: idempotency.NewRedis(rc, "test:"),
			locker: idempotency.NewRedisLocker(rc, "test:", 10*time.Second)}))
	}
	a, b := replica(), replica()
	regs := registrants(t, a.client, 4)
	var wg sync.WaitGroup
	for i := range 40 {
		h := a
		if i%2 == 1 {
			h = b
		}
		wg.Go(func() {
			r := h.do(t, "POST", fmt.Sprintf("/registrants/%d/bank-accounts", regs[i%4]),
				fmt.Sprintf(`{"acc_number":"RP-%02d","bank_name":"Banque Répliquée"}`, i))
			if r.Code != 201 {
				t.Errorf("request %d: %d %s", i, r.Code, r.Body)
			}
		})
	}
	wg.Wait()
	if n := banksNamed(t, a.client, "Banque Répliquée"); n != 1 {
		t.Errorf("the new bank exists %d times, want once", n)
	}
	if n := srv.CallsTo("res.bank", "create"); n != 1 {
		t.Errorf("%d res.bank creates, want 1", n)
	}

	body := individualBody("2000000041", "RP-IND")
	first := a.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "shared-key")
	calls := srv.Calls()
	replay := b.do(t, "POST", "/individual", body, IdempotencyKeyHeader, "shared-key")
	if first.Code != 200 || replay.Header().Get(ReplayedHeader) != "true" || replay.Body.String() != first.Body.String() || srv.Calls() != calls {
		t.Errorf("key used on replica A, repeated on B: %d, replayed %q, %d Odoo calls", replay.Code, replay.Header().Get(ReplayedHeader), srv.Calls()-calls)
	}
}

// Without its Redis, an instance refuses what it cannot do safely (writes
// with an Idempotency-Key, creating a bank) and serves the rest.
func TestRedisDownFailsClosed(t *testing.T) {
	rc := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(closedPort(t), "http://"), MaxRetries: -1})
	t.Cleanup(func() { rc.Close() })
	h := newRelHarness(t, relOptions{store: idempotency.NewRedis(rc, "test:"), locker: idempotency.NewRedisLocker(rc, "test:", time.Second)})
	regs := registrants(t, h.client, 1)
	if r := h.do(t, "POST", "/individual", individualBody("2000000061", "RD-1"), IdempotencyKeyHeader, "k"); r.Code != 503 || r.Header().Get("Retry-After") == "" {
		t.Errorf("write with a key: %d %s, want 503 with Retry-After", r.Code, r.Body)
	}
	if r := h.do(t, "POST", fmt.Sprintf("/registrants/%d/bank-accounts", regs[0]), `{"acc_number":"RD-2","bank_name":"Banque Sans Redis"}`); r.Code != 503 {
		t.Errorf("account at a new bank: %d %s, want 503", r.Code, r.Body)
	}
	if n := banksNamed(t, h.client, "Banque Sans Redis"); n != 0 {
		t.Errorf("the bank was created %d times without the lock", n)
	}
	if r := h.do(t, "POST", "/individual", individualBody("2000000062", "RD-3")); r.Code != 200 {
		t.Errorf("write without a key at a known bank: %d %s, want 200", r.Code, r.Body)
	}
}
