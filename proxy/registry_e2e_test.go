package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// The end-to-end test posts every registrant of testdata/registrants through
// the HTTP handler and then checks, by reading Odoo directly, that every
// registrant, account and bank exists exactly once. It runs against the
// emulator, or against a real OpenSPP when G2P_PROXY_IT_ODOO_URL, _DB, _USER
// and _PASSWORD are set.

type corpusAccount struct {
	AccNumberTrimmed string `json:"acc_number_trimmed"`
	Sanitized        string `json:"sanitized"`
	Bank             string `json:"bank"`
	BIC              string `json:"bic"`
}

type corpusKey struct {
	IDType string `json:"id_type"`
	Value  string `json:"value"`
}

type corpusPartner struct {
	Keys            []corpusKey     `json:"keys"`
	ExpectedName    string          `json:"expected_name"`
	Name            string          `json:"name"`
	MembershipKinds []string        `json:"membership_kinds"`
	Accounts        []corpusAccount `json:"accounts"`
}

type corpusFile struct {
	corpusPartner
	File    string          `json:"file"`
	Kind    string          `json:"kind"`
	Members []corpusPartner `json:"members"`
}

type corpusManifest struct {
	Totals struct {
		Partners      int `json:"partners"`
		BankAccounts  int `json:"bank_accounts"`
		DistinctBanks int `json:"distinct_banks"`
	} `json:"totals"`
	Files []corpusFile `json:"files"`
}

type corpusBank struct {
	Name string `json:"name"`
	BIC  string `json:"bic"`
}

func corpusDir() string { return filepath.Join("..", "testdata", "registrants") }

func readCorpusJSON(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(corpusDir(), name))
	if err != nil {
		t.Skipf("registrant corpus not available: %v", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// realOdooHarness returns the harness on the OpenSPP named by the
// G2P_PROXY_IT_ODOO_* variables, or nil when they are not set.
func realOdooHarness(t *testing.T) *registryHarness {
	t.Helper()
	url := os.Getenv("G2P_PROXY_IT_ODOO_URL")
	if url == "" {
		return nil
	}
	c, err := odoo.New(odoo.Config{
		URL: url, DB: os.Getenv("G2P_PROXY_IT_ODOO_DB"), Login: os.Getenv("G2P_PROXY_IT_ODOO_USER"),
		Secret: os.Getenv("G2P_PROXY_IT_ODOO_PASSWORD"), Timeout: 60 * time.Second,
	}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return newRegistryHarnessOn(t, c)
}

var e2eFolder = cases.Fold()

// e2eBankKey is the documented bank-name comparison, written independently of
// mapping's.
func e2eBankKey(s string) string {
	return e2eFolder.String(strings.Join(strings.Fields(norm.NFC.String(s)), " "))
}

// postedPartner is what the proxy answered for one partner of the corpus.
type postedPartner struct {
	where string
	want  corpusPartner
	id    int64
}

func TestRegistrantCorpusEndToEnd(t *testing.T) {
	if h := realOdooHarness(t); h != nil {
		runCorpus(t, h)
		return
	}
	// On an empty emulator (the corpus brings its own banks), over both wire
	// protocols.
	for _, p := range []odoo.Protocol{odoo.XMLRPC, odoo.JSONRPC} {
		t.Run(string(p), func(t *testing.T) {
			runCorpus(t, newRegistryHarnessProtocol(t, emulator.SeedEmpty, p))
		})
	}
}

func runCorpus(t *testing.T, h *registryHarness) {
	var manifest corpusManifest
	readCorpusJSON(t, "manifest.json", &manifest)
	var banks []corpusBank
	readCorpusJSON(t, "banks.json", &banks)
	ensureManifestReferenceData(t, h.odoo)
	started := time.Now().UTC().Add(-2 * time.Second)

	var posted []postedPartner
	for _, f := range manifest.Files {
		body, err := os.ReadFile(filepath.Join(corpusDir(), f.File))
		if err != nil {
			t.Fatal(err)
		}
		path := "/individual"
		if f.Kind == "group" {
			path = "/group"
		}
		res := h.do(t, "POST", path, string(body))
		if res.status != http.StatusOK {
			t.Fatalf("POST %s %s: %d %s", path, f.File, res.status, res.body)
		}
		if f.Kind != "group" {
			var ind mapping.Individual
			res.decode(t, &ind)
			posted = append(posted, postedPartner{where: f.File, want: f.corpusPartner, id: ind.ID})
			continue
		}
		var g mapping.Group
		res.decode(t, &g)
		posted = append(posted, postedPartner{where: f.File, want: f.corpusPartner, id: g.ID})
		members := map[string]int64{} // registration id value → member partner
		for _, m := range g.GroupMembershipIDs {
			if m.Individual == nil {
				t.Fatalf("%s: membership %d without individual", f.File, m.ID)
			}
			for _, r := range m.Individual.RegIDs {
				members[*r.Value] = m.Individual.ID
			}
		}
		if len(g.GroupMembershipIDs) != len(f.Members) {
			t.Errorf("%s: %d memberships, want %d", f.File, len(g.GroupMembershipIDs), len(f.Members))
		}
		for i, m := range f.Members {
			id, ok := members[m.Keys[0].Value]
			if !ok {
				t.Errorf("%s member %d (%s) is not in the group", f.File, i, m.Keys[0].Value)
				continue
			}
			posted = append(posted, postedPartner{where: fmt.Sprintf("%s#/members/%d", f.File, i), want: m, id: id})
		}
	}
	verifyCorpusInOdoo(t, h, posted, banks, started)
	if h.srv != nil {
		verifyCorpusTotals(t, h, manifest)
		verifyPageBudgets(t, h)
	}
}

// verifyPageBudgets: a full page of 100 registrants with all their children
// and the total count is one Odoo call, for individuals and for groups with
// their members.
func verifyPageBudgets(t *testing.T, h *registryHarness) {
	for _, path := range []string{"/individual?limit=100", "/group?limit=100&include_members_full=true"} {
		h.srv.ResetCalls()
		res := h.do(t, "GET", path, "")
		var page []map[string]any
		res.decode(t, &page)
		if res.status != http.StatusOK || h.srv.Calls() != 1 {
			t.Errorf("GET %s: %d, %d items, %d Odoo calls; want 200 and 1 call", path, res.status, len(page), h.srv.Calls())
		}
		if path == "/individual?limit=100" && len(page) != 100 {
			t.Errorf("GET %s: %d items, want a full page", path, len(page))
		}
	}
}

// verifyCorpusInOdoo reads Odoo directly (not through the proxy).
func verifyCorpusInOdoo(t *testing.T, h *registryHarness, posted []postedPartner, banks []corpusBank, since time.Time) {
	ctx := context.Background()
	inactive := false
	ids := make([]int64, len(posted))
	for i, p := range posted {
		ids[i] = p.id
	}
	partners, err := h.odoo.Read(ctx, "res.partner", ids, []string{"name", "is_registrant", "active"}, odoo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]odoo.Record{}
	for _, p := range partners {
		byID[p.ID()] = p
	}
	accRecs, err := h.odoo.SearchRead(ctx, "res.partner.bank", odoo.Domain{odoo.Cond("partner_id", "in", toAny(ids))},
		[]string{"acc_number", "sanitized_acc_number", "partner_id", "bank_id", "active"}, odoo.Options{ActiveTest: &inactive, Order: "id asc"})
	if err != nil {
		t.Fatal(err)
	}
	bankRecs, err := h.odoo.SearchRead(ctx, "res.bank", odoo.Domain{}, []string{"name", "bic", "active"}, odoo.Options{ActiveTest: &inactive})
	if err != nil {
		t.Fatal(err)
	}
	bankByID := map[int64]odoo.Record{}
	for _, b := range bankRecs {
		bankByID[b.ID()] = b
	}
	accountsOf := map[int64][]odoo.Record{}
	for _, a := range accRecs {
		p, _ := a.Many2One("partner_id")
		accountsOf[p.ID] = append(accountsOf[p.ID], a)
	}

	for _, p := range posted {
		rec, ok := byID[p.id]
		if !ok || !rec.Bool("is_registrant") || !rec.Bool("active") {
			t.Errorf("%s: partner %d missing or not an active registrant", p.where, p.id)
			continue
		}
		name, _ := rec.String("name")
		want := p.want.ExpectedName
		if want == "" {
			want = p.want.Name
		}
		if strings.TrimSpace(name) != strings.TrimSpace(want) {
			t.Errorf("%s: name %q, want %q", p.where, name, want)
		}
		// Exactly once: the natural key finds this partner and no other
		// created during this run.
		for _, k := range p.want.Keys {
			found, err := h.odoo.Search(ctx, "g2p.reg.id", odoo.Domain{
				odoo.Cond("id_type_as_str", "=", k.IDType), odoo.Cond("value", "=", k.Value),
				odoo.Cond("partner_id.create_date", ">=", since.Format(time.DateTime)),
			}, odoo.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 1 {
				t.Errorf("%s: %s %s is held %d times", p.where, k.IDType, k.Value, len(found))
			}
		}
		accs := accountsOf[p.id]
		if len(accs) != len(p.want.Accounts) {
			t.Errorf("%s: %d accounts, want %d", p.where, len(accs), len(p.want.Accounts))
			continue
		}
		bySanitized := map[string]odoo.Record{}
		for _, a := range accs {
			s, _ := a.String("sanitized_acc_number")
			if _, dup := bySanitized[s]; dup {
				t.Errorf("%s: account %s twice", p.where, s)
			}
			bySanitized[s] = a
		}
		for _, want := range p.want.Accounts {
			a, ok := bySanitized[want.Sanitized]
			if !ok {
				t.Errorf("%s: account %s missing", p.where, want.Sanitized)
				continue
			}
			if n, _ := a.String("acc_number"); n != want.AccNumberTrimmed || !a.Bool("active") {
				t.Errorf("%s: acc_number %q (active %v), want %q as sent, trimmed", p.where, n, a.Bool("active"), want.AccNumberTrimmed)
			}
			bankRef, _ := a.Many2One("bank_id")
			bank := bankByID[bankRef.ID]
			bn, _ := bank.String("name")
			bic, _ := bank.String("bic")
			if e2eBankKey(bn) != e2eBankKey(want.Bank) || (want.BIC != "" && bic != want.BIC) {
				t.Errorf("%s: account %s at bank %q/%q, want %q/%q", p.where, want.Sanitized, bn, bic, want.Bank, want.BIC)
			}
		}
	}

	// Every canonical bank exists exactly once (by name and by BIC).
	for _, b := range banks {
		var byName, byBIC int
		for _, r := range bankRecs {
			n, _ := r.String("name")
			bic, _ := r.String("bic")
			if e2eBankKey(n) == e2eBankKey(b.Name) {
				byName++
			}
			if b.BIC != "" && strings.EqualFold(bic, b.BIC) {
				byBIC++
			}
		}
		if byName != 1 || (b.BIC != "" && byBIC != 1) {
			t.Errorf("bank %q (%s): %d by name, %d by BIC; want exactly one", b.Name, b.BIC, byName, byBIC)
		}
	}
}

// verifyCorpusTotals checks global counts; only meaningful on an empty
// emulator, where nothing but the corpus exists.
func verifyCorpusTotals(t *testing.T, h *registryHarness, m corpusManifest) {
	ctx := context.Background()
	inactive := false
	partners, err := h.odoo.SearchCount(ctx, "res.partner", odoo.Domain{odoo.Cond("is_registrant", "=", true)}, odoo.Options{ActiveTest: &inactive})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := h.odoo.SearchCount(ctx, "res.partner.bank", odoo.Domain{}, odoo.Options{ActiveTest: &inactive})
	if err != nil {
		t.Fatal(err)
	}
	banks, err := h.odoo.SearchCount(ctx, "res.bank", odoo.Domain{}, odoo.Options{ActiveTest: &inactive})
	if err != nil {
		t.Fatal(err)
	}
	if int(partners) != m.Totals.Partners || int(accounts) != m.Totals.BankAccounts || int(banks) != m.Totals.DistinctBanks {
		t.Errorf("Odoo holds %d registrants, %d accounts, %d banks; the corpus has %d, %d, %d",
			partners, accounts, banks, m.Totals.Partners, m.Totals.BankAccounts, m.Totals.DistinctBanks)
	}
}

func toAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
