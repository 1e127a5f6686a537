package mapping

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// Odoo is what mapping needs from the Odoo client; *odoo.Client satisfies it.
type Odoo interface {
	SearchRead(ctx context.Context, model string, domain odoo.Domain, fields []string, o odoo.Options) ([]odoo.Record, error)
	Create(ctx context.Context, model string, vals odoo.Values, o odoo.Options) (int64, error)
	CreateMany(ctx context.Context, model string, vals []odoo.Values, o odoo.Options) ([]int64, error)
	Write(ctx context.Context, model string, ids []int64, vals odoo.Values, o odoo.Options) error
	WebRead(ctx context.Context, model string, ids []int64, spec odoo.Spec, o odoo.Options) ([]odoo.Record, error)
	WebSearchRead(ctx context.Context, model string, domain odoo.Domain, spec odoo.Spec, o odoo.Options) (int64, []odoo.Record, error)
}

// RegistryOptions tune the registry service. Zero values get defaults.
type RegistryOptions struct {
	DefaultPageSize   int           // default 50
	MaxPageSize       int           // default 100
	BankCacheTTL      time.Duration // default 5m
	ReferenceCacheTTL time.Duration // default 5m
	// Now is the clock used for ages and future-date checks (tests).
	Now func() time.Time
	// OutcomeLookup bounds the look-up of a write whose answer was lost
	// (outcome.go), default DefaultOutcomeLookup.
	OutcomeLookup time.Duration
	// BankLocker, when set, serialises bank creation across proxy
	// instances (e.g. a Redis lock); within one instance the resolver
	// serialises it itself.
	BankLocker Locker
}

func (o *RegistryOptions) defaults() {
	if o.DefaultPageSize <= 0 {
		o.DefaultPageSize = 50
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = 100
	}
	if o.DefaultPageSize > o.MaxPageSize {
		o.DefaultPageSize = o.MaxPageSize
	}
	if o.BankCacheTTL <= 0 {
		o.BankCacheTTL = 5 * time.Minute
	}
	if o.ReferenceCacheTTL <= 0 {
		o.ReferenceCacheTTL = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Registry is the registrant service behind the compatible REST endpoints:
// it validates requests, translates them into as few Odoo calls as
// possible and translates the answers back.
type Registry struct {
	odoo  Odoo
	opts  RegistryOptions
	log   *zap.Logger
	ref   *referenceData
	banks *BankResolver
}

// NewRegistry builds the service on an Odoo client.
func NewRegistry(o Odoo, opts RegistryOptions, log *zap.Logger) *Registry {
	opts.defaults()
	if log == nil {
		log = zap.NewNop()
	}
	o = ResolveOutcomes(o, opts.OutcomeLookup, log)
	banks := NewBankResolver(o, opts.BankCacheTTL, log)
	banks.locker = opts.BankLocker
	return &Registry{
		odoo:  o,
		opts:  opts,
		log:   log,
		ref:   newReferenceData(o, opts.ReferenceCacheTTL, log),
		banks: banks,
	}
}

// Banks returns the registry's bank resolver, for other services that take
// bank details (they must share its cache and in-flight de-duplication).
func (r *Registry) Banks() *BankResolver { return r.banks }

type clientIDKey struct{}

// WithClientID records the calling client's id in ctx; writes are logged
// with it.
func WithClientID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, clientIDKey{}, id)
}

// ClientID returns the id stored by WithClientID, "" if none.
func ClientID(ctx context.Context) string {
	id, _ := ctx.Value(clientIDKey{}).(string)
	return id
}

func (r *Registry) logWrite(ctx context.Context, msg string, fields ...zap.Field) {
	r.log.Info(msg, append(fields, zap.String("client_id", ClientID(ctx)))...)
}

func (r *Registry) validator() *validator {
	return &validator{ref: r.ref, now: r.opts.Now()}
}

// page clamps a requested page size.
func (r *Registry) page(limit int) int {
	if limit <= 0 {
		return r.opts.DefaultPageSize
	}
	if limit > r.opts.MaxPageSize {
		return r.opts.MaxPageSize
	}
	return limit
}
