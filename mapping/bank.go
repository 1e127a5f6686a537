package mapping

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// BankRef names a bank as a request does: by BIC, by name, or both.
type BankRef struct {
	Name string
	BIC  string
}

// key is the cache and in-flight key: the BIC when given, otherwise the
// normalised name.
func (r BankRef) key() string {
	if bic := bicKey(r.BIC); bic != "" {
		return "bic:" + bic
	}
	return "name:" + bankNameKey(r.Name)
}

func (r BankRef) String() string {
	if r.BIC != "" {
		return fmt.Sprintf("BIC %q", normalizeBIC(r.BIC))
	}
	return fmt.Sprintf("%q", collapseSpace(r.Name))
}

// Bank is a res.bank record.
type Bank struct {
	ID     int64
	Name   string
	BIC    string
	Active bool
}

// BankResolver turns bank names and BICs into res.bank ids. It is the one
// place that finds or creates banks; every endpoint that takes bank details
// uses it.
//
// Matching: by BIC when one is given (case and blanks ignored, an 8-character
// BIC equal to its 11-character form ending in XXX), otherwise by name
// compared as bankNameKey does (NFKC, format characters dropped, white space
// collapsed, case folded); '%' and '_' are ordinary characters (the
// comparison happens in Go, never in an ilike pattern). Several matches: the lowest id wins, so every
// proxy instance converges on the oldest bank.
//
// Archived banks: lookups include them (active_test false). If every match
// is archived the bank is neither reused nor duplicated: Resolve fails with
// unknown_reference ("bank ... is archived"). An operator archives a bank
// for a reason (closed, merged); silently reactivating it would undo that
// decision, and creating a twin would defeat it. The operator reactivates
// it or the client names another bank.
//
// A request with name and BIC whose BIC is unknown but whose name matches a
// bank without a BIC completes that bank's BIC (one write) instead of
// creating a twin; a bank with another BIC is another bank.
//
// Missing banks are created with the name as sent (trimmed, blanks
// collapsed) and the BIC if any. Concurrent requests for the same new bank
// share one in-flight resolution (singleflight on the normalised key) and
// misses are serialised, so a proxy instance creates it exactly once; after
// the create the directory is read again and the lowest id wins, which also
// converges when another instance raced us.
//
// Cost: a cached bank costs no Odoo call. A miss reads the bank directory
// (id, name, bic, active of every bank, one call) and caches every bank in
// it; a new bank adds one create and one more directory read. Results are
// cached for the configured TTL; failures are never cached. A cached id that
// Odoo no longer knows is dropped with Forget and resolved again.
type BankResolver struct {
	odoo  Odoo
	cache *gocache.Cache
	sf    singleflight.Group
	// missMu serialises cache misses (directory read, create, re-read).
	missMu sync.Mutex
	// locker, when set, extends missMu across proxy instances.
	locker Locker
	log    *zap.Logger
	// hits and misses count Resolve and Lookup calls answered from the
	// cache or not (see Stats).
	hits, misses atomic.Uint64
}

// BankCacheStats are the resolver cache's counters since start and its size.
type BankCacheStats struct {
	Hits, Misses uint64
	Entries      int // cached name and BIC keys, expired ones until swept
}

// Stats returns the cache's counters, e.g. for metrics. It is cheap and
// safe for concurrent use.
func (b *BankResolver) Stats() BankCacheStats {
	return BankCacheStats{Hits: b.hits.Load(), Misses: b.misses.Load(), Entries: b.cache.ItemCount()}
}

// cached returns the cached bank under key and counts the hit or miss.
func (b *BankResolver) cached(key string) (Bank, bool) {
	if v, ok := b.cache.Get(key); ok {
		b.hits.Add(1)
		return v.(Bank), true
	}
	b.misses.Add(1)
	return Bank{}, false
}

// NewBankResolver returns a resolver caching results for ttl.
func NewBankResolver(o Odoo, ttl time.Duration, log *zap.Logger) *BankResolver {
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &BankResolver{odoo: o, cache: gocache.New(ttl, 2*ttl), log: log}
}

// Resolve returns the bank ref names, creating it when no bank matches. It
// makes no Odoo call for a cached bank and at most one directory read, one
// create and one more read per new bank, however many callers wait for it.
// Errors: unknown_reference for an archived bank or an unknown BIC without a
// name to create it with; upstream errors as converted by FromOdoo.
func (b *BankResolver) Resolve(ctx context.Context, ref BankRef) (Bank, error) {
	key := ref.key()
	if bank, ok := b.cached(key); ok {
		return bank, nil
	}
	v, err, _ := b.sf.Do(key, func() (any, error) {
		// The flight outlives a caller that gives up: the others still wait.
		return b.resolve(context.WithoutCancel(ctx), ref)
	})
	if err != nil {
		return Bank{}, FromOdoo(err)
	}
	return v.(Bank), nil
}

// Lookup finds the bank ref names without creating or changing anything,
// so a request can be checked completely before its first write. found is
// false when Resolve would create the bank (or complete its BIC). Errors
// are Resolve's: unknown_reference for an archived bank or an unknown BIC
// without a name, upstream errors. Cost: none for a cached bank, otherwise
// one directory read, shared by concurrent callers.
func (b *BankResolver) Lookup(ctx context.Context, ref BankRef) (bank Bank, found bool, err error) {
	if bank, ok := b.cached(ref.key()); ok {
		return bank, true, nil
	}
	v, err, _ := b.sf.Do("directory", func() (any, error) {
		return b.directory(context.WithoutCancel(ctx))
	})
	if err != nil {
		return Bank{}, false, FromOdoo(err)
	}
	dir := v.([]Bank)
	if bank, found, err = pickBank(dir, ref); found || err != nil {
		return bank, found, err
	}
	// The refusals resolve would make after the BIC missed.
	name := collapseSpace(cleanText(ref.Name))
	switch {
	case normalizeBIC(ref.BIC) == "":
	case name == "":
		return Bank{}, false, &Error{Code: CodeUnknownReference,
			Message: fmt.Sprintf("no bank with %s is known; send bank_name to create it", ref)}
	default:
		if _, _, err := pickBank(dir, BankRef{Name: name}); err != nil {
			return Bank{}, false, err
		}
	}
	return Bank{}, false, nil
}

func (b *BankResolver) resolve(ctx context.Context, ref BankRef) (Bank, error) {
	// One miss at a time: a flight for "bic:X" and one for "name:N" may be
	// the same new bank, and both must see the other's create.
	b.missMu.Lock()
	defer b.missMu.Unlock()
	if v, ok := b.cache.Get(ref.key()); ok { // filled by an earlier miss
		return v.(Bank), nil
	}
	if b.locker != nil {
		unlock, err := b.locker.Lock(ctx, bankLockKey)
		if err != nil {
			return Bank{}, &Error{Code: CodeUpstreamUnavailable, Message: "the bank-creation lock is unavailable", Cause: err}
		}
		defer unlock()
	}
	dir, err := b.directory(ctx)
	if err != nil {
		return Bank{}, err
	}
	if bank, found, err := pickBank(dir, ref); found || err != nil {
		return bank, err
	}
	name, bic := collapseSpace(cleanText(ref.Name)), normalizeBIC(ref.BIC)
	if bic != "" && name != "" {
		// The bank may be known by name without a BIC yet: complete it
		// rather than create a twin. A bank with another BIC is another bank.
		bank, found, err := pickBank(dir, BankRef{Name: name})
		if err != nil {
			return Bank{}, err
		}
		if found && bank.BIC == "" {
			if err := b.odoo.Write(ctx, "res.bank", []int64{bank.ID}, odoo.Values{"bic": bic}, odoo.Options{}); err != nil {
				return Bank{}, err
			}
			b.log.Info("bank BIC completed", zap.Int64("bank_id", bank.ID), zap.String("bic", bic))
			bank.BIC = bic
			b.cache.SetDefault(ref.key(), bank)
			b.cache.SetDefault(BankRef{Name: name}.key(), bank)
			return bank, nil
		}
	}
	if name == "" {
		return Bank{}, &Error{Code: CodeUnknownReference,
			Message: fmt.Sprintf("no bank with %s is known; send bank_name to create it", ref)}
	}
	vals := odoo.Values{"name": name}
	if bic != "" {
		vals["bic"] = bic
	}
	id, err := b.odoo.Create(ctx, "res.bank", vals, odoo.Options{})
	if err != nil {
		return Bank{}, err
	}
	b.log.Info("bank created", zap.Int64("bank_id", id), zap.String("bank", ref.String()))
	if dir, err = b.directory(ctx); err != nil {
		return Bank{}, err
	}
	bank, found, err := pickBank(dir, ref)
	if err != nil {
		return Bank{}, err
	}
	if !found { // our own bank vanished between create and read: use it anyway
		return Bank{ID: id, Name: name, BIC: bic, Active: true}, nil
	}
	return bank, nil
}

// directory reads every bank, archived ones included, and caches each active
// one under its name and BIC keys (lowest id first wins).
func (b *BankResolver) directory(ctx context.Context) ([]Bank, error) {
	inactive := false
	recs, err := b.odoo.SearchRead(ctx, "res.bank", odoo.Domain{}, []string{"name", "bic", "active"},
		odoo.Options{Order: "id asc", ActiveTest: &inactive})
	if err != nil {
		return nil, err
	}
	banks := make([]Bank, 0, len(recs))
	seen := map[string]bool{}
	for _, r := range recs {
		bank := Bank{ID: r.ID(), Active: r.Bool("active")}
		bank.Name, _ = r.String("name")
		bank.BIC, _ = r.String("bic")
		banks = append(banks, bank)
		if !bank.Active {
			continue
		}
		for _, k := range []string{BankRef{Name: bank.Name}.key(), BankRef{BIC: bank.BIC}.key()} {
			if k == "name:" || k == "bic:" || seen[k] {
				continue
			}
			seen[k] = true
			b.cache.SetDefault(k, bank)
		}
	}
	return banks, nil
}

// pickBank returns the lowest-id active bank matching ref (banks are in id
// order). found is false when nothing matches; an error when only archived
// banks match.
func pickBank(banks []Bank, ref BankRef) (Bank, bool, error) {
	var archived *Bank
	bic, name := bicKey(ref.BIC), bankNameKey(ref.Name)
	for i, bank := range banks {
		match := false
		if bic != "" {
			match = bicKey(bank.BIC) == bic
		} else {
			match = bankNameKey(bank.Name) == name
		}
		if !match {
			continue
		}
		if bank.Active {
			return bank, true, nil
		}
		if archived == nil {
			archived = &banks[i]
		}
	}
	if archived != nil {
		return Bank{}, false, &Error{Code: CodeUnknownReference,
			Message: fmt.Sprintf("bank %s is archived in the registry (id %d); ask the operator to reactivate it or name another bank", ref, archived.ID)}
	}
	return Bank{}, false, nil
}

// Forget drops every cached entry that points at one of ids, e.g. after Odoo
// refused a bank_id that was deleted since it was cached.
func (b *BankResolver) Forget(ids ...int64) {
	drop := map[int64]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	for k, it := range b.cache.Items() {
		if bank, ok := it.Object.(Bank); ok && drop[bank.ID] {
			b.cache.Delete(k)
		}
	}
}
