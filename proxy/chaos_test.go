package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// chaosOdoo injects, into about a third of the object calls, a delay past
// the client's deadline (the call still runs), a dropped connection (before
// the call runs), a server fault or a gateway 503.
func chaosOdoo(srv *emulator.Server, seed uint64) (stop func()) {
	var mu sync.Mutex
	rnd := rand.New(rand.NewPCG(seed, seed))
	srv.InjectFault(func(c emulator.Call) *emulator.Injected {
		if c.Service != "object" {
			return nil
		}
		mu.Lock()
		p := rnd.IntN(100)
		mu.Unlock()
		switch {
		case p < 10:
			return &emulator.Injected{Delay: time.Minute}
		case p < 20:
			return &emulator.Injected{Drop: true}
		case p < 25:
			return &emulator.Injected{Fault: emulator.ServerFault("psycopg2.errors.SerializationFailure", "could not serialize access")}
		case p < 30:
			return &emulator.Injected{HTTPStatus: http.StatusServiceUnavailable}
		}
		return nil
	})
	return func() { srv.InjectFault(nil) }
}

// chaosWrite is one logical write of the chaos client and what became of it.
type chaosWrite struct {
	key, method, path, body string
	nationalID, account     string // the natural key it writes
	registrant              int64  // for account creates and updates
	update                  bool   // PUT /update_individual: the answer is a list
	status                  int
	code                    string
	id                      int64 // id answered on success
}

// A bounded mixed load while Odoo misbehaves; a client that retries 5xx
// answers (once, same Idempotency-Key), as the API asks. Then, with
// Odoo healthy: every success exists exactly once and as answered; every
// definite failure left nothing; every unknown outcome is settled by one
// more repeat of its key, to exactly one record. Nothing else was written.
func TestChaos(t *testing.T) {
	h := newRelHarness(t, relOptions{odoo: odoo.Config{Timeout: 200 * time.Millisecond}, outcomeLookup: 300 * time.Millisecond})
	// Set-up and checks use their own client: the proxy's short deadline
	// is for the chaos, not for a busy test machine.
	check, err := odoo.New(odoo.Config{URL: h.srv.URL(), DB: h.srv.DB(), Login: "admin", Secret: "admin"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	regs := registrants(t, check, 4)
	// Warm the reference data and bank caches (misses are legitimate
	// failures, but they would make most registrant creates fail alike).
	warm := h.do(t, "POST", "/individual", individualBody("4100000000", "CHAOS-WARM"), IdempotencyKeyHeader, "warm")
	for attempt := 0; attempt < 3 && warm.Code >= 500; attempt++ {
		warm = h.do(t, "POST", "/individual", individualBody("4100000000", "CHAOS-WARM"), IdempotencyKeyHeader, "warm")
	}
	if warm.Code != 200 {
		t.Fatalf("warm-up: %d %s", warm.Code, warm.Body)
	}
	warmID := warm.id(t)
	var writes []*chaosWrite
	for i := range 60 {
		w := &chaosWrite{key: fmt.Sprintf("chaos-%d", i)}
		switch i % 3 {
		case 0:
			w.nationalID, w.account = fmt.Sprintf("40000%05d", i), fmt.Sprintf("CHAOS-I-%d", i)
			w.method, w.path, w.body = "POST", "/individual", individualBody(w.nationalID, w.account)
		case 1:
			// Concurrent updates of one registrant, each adding an account.
			w.registrant, w.account, w.update = warmID, fmt.Sprintf("CHAOS-U-%d", i), true
			w.method, w.path = "PUT", "/update_individual?id_type=National%20ID"
			w.body = fmt.Sprintf(`[{"updateId":"4100000000","bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":%q}]}]`, w.account)
		default:
			w.registrant, w.account = regs[i%4], fmt.Sprintf("CHAOS-A-%d", i)
			w.method, w.path = "POST", fmt.Sprintf("/registrants/%d/bank-accounts", w.registrant)
			w.body = fmt.Sprintf(`{"acc_number":%q,"bank_name":"Ecobank Sénégal"}`, w.account)
		}
		writes = append(writes, w)
	}
	stop := chaosOdoo(h.srv, 7)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, w := range writes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			for attempt := 0; attempt < 2; attempt++ {
				r := h.do(t, w.method, w.path, w.body, IdempotencyKeyHeader, w.key)
				w.status, w.code, w.id = r.Code, "", 0
				if r.Code < 300 {
					if !w.update {
						w.id = r.id(t)
					}
					return
				}
				var p ProblemDetail
				_ = json.Unmarshal(r.Body.Bytes(), &p)
				w.code = p.Code
				if r.Code < 500 {
					return
				}
			}
		})
		// Reads go on meanwhile; they may fail, never with a 500.
		wg.Go(func() { h.do(t, "GET", fmt.Sprintf("/registrants/%d/bank-accounts", regs[0]), "") })
	}
	wg.Wait()
	stop()

	ok, failed, unknown := 0, 0, 0
	for _, w := range writes {
		n, ids := stored(t, check, w)
		switch {
		case w.status < 300:
			ok++
			if n != 1 || (!w.update && ids[0] != w.id) {
				t.Errorf("%s answered %d id %d; stored %d times (%v), want exactly that record once", w.key, w.status, w.id, n, ids)
			}
		case w.code == "upstream_outcome_unknown":
			unknown++
			if n > 1 {
				t.Errorf("%s (outcome unknown) stored %d times", w.key, n)
			}
		case w.status >= 500 && w.nationalID == "" && !w.update:
			// An account answer lost after a successful create is a 5xx
			// with the account stored (mapping/accounts read-back); a
			// repeat returns it (below). Never twice.
			failed++
			if n > 1 {
				t.Errorf("%s (%d %s) stored %d times", w.key, w.status, w.code, n)
			}
		default:
			failed++
			if n != 0 {
				t.Errorf("%s failed definitely (%d %s) but left %d records", w.key, w.status, w.code, n)
			}
		}
	}
	t.Logf("under chaos: %d succeeded, %d failed, %d outcome unknown (of %d writes)", ok, failed, unknown, len(writes))
	if ok == 0 || ok == len(writes) {
		t.Errorf("%d of %d writes succeeded: the chaos did not bite or nothing got through", ok, len(writes))
	}

	// Odoo is healthy again: repeating every key settles it (a busy
	// machine may still miss the proxy's short deadline now and then).
	for _, w := range writes {
		r := h.do(t, w.method, w.path, w.body, IdempotencyKeyHeader, w.key)
		for attempt := 0; attempt < 3 && r.Code >= 500; attempt++ {
			r = h.do(t, w.method, w.path, w.body, IdempotencyKeyHeader, w.key)
		}
		if r.Code >= 300 {
			t.Errorf("%s repeated with Odoo healthy: %d %s", w.key, r.Code, r.Body)
			continue
		}
		var id int64
		if !w.update {
			id = r.id(t)
		}
		if n, ids := stored(t, check, w); n != 1 || (!w.update && ids[0] != id) {
			t.Errorf("%s after the repeat: stored %d times (%v), answered id %d", w.key, n, ids, id)
		}
		if w.status < 300 && (id != w.id || r.Header().Get(ReplayedHeader) != "true") {
			t.Errorf("%s: a success must be replayed as it was (id %d, now %d, replayed %q)", w.key, w.id, id, r.Header().Get(ReplayedHeader))
		}
	}
	// Nothing else: chaos accounts and registrants are exactly the writes.
	n, err := check.SearchCount(context.Background(), "res.partner.bank",
		odoo.Domain{odoo.Cond("sanitized_acc_number", "=like", "CHAOS%")}, odoo.Options{ActiveTest: new(bool)})
	if err != nil || n != int64(len(writes))+1 { // + the warm-up's
		t.Errorf("%d chaos accounts stored (%v), want %d", n, err, len(writes)+1)
	}
}

// stored returns how many records a write's natural key has, and their ids
// (registrant ids for individuals, account ids for accounts).
func stored(t *testing.T, c *odoo.Client, w *chaosWrite) (int, []int64) {
	t.Helper()
	ctx := context.Background()
	var (
		model  string
		domain odoo.Domain
	)
	if w.nationalID != "" {
		model, domain = "res.partner", odoo.Domain{odoo.Cond("reg_ids", "any", []any{odoo.Cond("value", "=", w.nationalID)})}
	} else {
		model, domain = "res.partner.bank", odoo.Domain{odoo.Cond("partner_id", "=", w.registrant), odoo.Cond("acc_number", "=", w.account)}
	}
	ids, err := c.Search(ctx, model, domain, odoo.Options{ActiveTest: new(bool), Order: "id asc"})
	if err != nil {
		t.Fatal(err)
	}
	if w.nationalID != "" && len(ids) == 1 {
		// The registrant carries exactly its one account.
		accs, err := c.SearchRead(ctx, "res.partner.bank", odoo.Domain{odoo.Cond("partner_id", "=", ids[0])}, []string{"acc_number"}, odoo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(accs) != 1 || !hasAccount(accs[0], w.account) {
			t.Errorf("%s: registrant %d has accounts %v, want only %s", w.key, ids[0], accs, w.account)
		}
	}
	return len(ids), ids
}

func hasAccount(r odoo.Record, number string) bool {
	n, _ := r.String("acc_number")
	return n == number
}
