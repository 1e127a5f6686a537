package mapping

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestBankResolverStats(t *testing.T) {
	r := NewBankResolver(newTestEnv(t, RegistryOptions{}).odoo, time.Minute, zap.NewNop())
	if s := r.Stats(); s != (BankCacheStats{}) {
		t.Fatalf("a new resolver has stats %+v", s)
	}
	ctx := context.Background()
	if _, err := r.Resolve(ctx, BankRef{Name: "Ecobank Sénégal"}); err != nil { // miss: reads the directory
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, BankRef{Name: "ecobank  sénégal"}); err != nil { // hit
		t.Fatal(err)
	}
	if _, found, err := r.Lookup(ctx, BankRef{BIC: "ECOCSNDA"}); err != nil || !found { // hit: the directory cached the BIC too
		t.Fatalf("lookup by BIC: found %v, %v", found, err)
	}
	s := r.Stats()
	if s.Hits != 2 || s.Misses != 1 || s.Entries == 0 {
		t.Errorf("stats %+v, want 2 hits, 1 miss and the directory's banks cached", s)
	}
}
