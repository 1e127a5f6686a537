package mapping

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo/emulator"
)

// testEnv is a Registry on a fresh demo emulator, with the reference data
// the tests use.
type testEnv struct {
	reg  *Registry
	srv  *emulator.Server
	odoo *odoo.Client
}

func newTestEnv(t *testing.T, opts RegistryOptions) *testEnv {
	t.Helper()
	srv := emulator.NewTestServer(t, emulator.Options{Seed: emulator.SeedDemo})
	c, err := odoo.New(odoo.Config{URL: srv.URL(), DB: srv.DB(), Login: "admin", Secret: "admin", Timeout: 10 * time.Second}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	EnsureTestReferenceData(t, c)
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }
	}
	srv.ResetCalls()
	return &testEnv{reg: NewRegistry(c, opts, zap.NewNop()), srv: srv, odoo: c}
}

// EnsureTestReferenceData creates, when missing, the configuration records
// the test payloads name: gender types Male/Female/Other, id types National
// ID (10 digits), Passport and Tax ID, membership kinds Spouse and Child.
func EnsureTestReferenceData(t testing.TB, c *odoo.Client) {
	t.Helper()
	ensure := func(model, field, value string, vals odoo.Values) {
		ctx := context.Background()
		inactive := false
		ids, err := c.Search(ctx, model, odoo.Domain{odoo.Cond(field, "=ilike", value)}, odoo.Options{ActiveTest: &inactive})
		if err != nil {
			t.Fatalf("search %s: %v", model, err)
		}
		if len(ids) > 0 {
			return
		}
		if _, err := c.Create(ctx, model, vals, odoo.Options{}); err != nil {
			t.Fatalf("create %s %v: %v", model, vals, err)
		}
	}
	for _, g := range [][2]string{{"Male", "male"}, {"Female", "female"}, {"Other", "other"}} {
		ensure("gender.type", "code", g[0], odoo.Values{"code": g[0], "value": g[1]})
	}
	ensure("g2p.id.type", "name", "National ID", odoo.Values{"name": "National ID", "id_validation": "^[0-9]{10}$"})
	ensure("g2p.id.type", "name", "Passport", odoo.Values{"name": "Passport"})
	ensure("g2p.id.type", "name", "Tax ID", odoo.Values{"name": "Tax ID"})
	ensure("g2p.group.kind", "name", "Household", odoo.Values{"name": "Household"})
	ensure("g2p.group.membership.kind", "name", "Head", odoo.Values{"name": "Head", "is_unique": true})
	ensure("g2p.group.membership.kind", "name", "Spouse", odoo.Values{"name": "Spouse"})
	ensure("g2p.group.membership.kind", "name", "Child", odoo.Values{"name": "Child"})
}

// errCode returns the mapping code of err ("" for nil).
func errCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return "not a mapping.Error: " + Code(err.Error())
}

// hasPointer reports whether err names the body value at pointer, or,
// for "?name", the query parameter name.
func hasPointer(err error, pointer string) bool {
	e, ok := AsError(err)
	if !ok {
		return false
	}
	param, isParam := strings.CutPrefix(pointer, "?")
	for _, f := range e.Fields {
		if isParam && f.Parameter == param || !isParam && f.Parameter == "" && f.Header == "" && f.Pointer == pointer {
			return true
		}
	}
	return false
}

func decode[T any](t *testing.T, body string) *T {
	t.Helper()
	var v T
	if err := DecodeStrict([]byte(body), &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return &v
}

// regID returns the registration id of the given type (Odoo orders them by
// its own rules, not by input order).
func regID(t *testing.T, ind Individual, typeName string) RegistrationID {
	t.Helper()
	for _, r := range ind.RegIDs {
		if r.IDTypeAsStr != nil && *r.IDTypeAsStr == typeName {
			return r
		}
	}
	t.Fatalf("no %s id in %+v", typeName, ind.RegIDs)
	return RegistrationID{}
}
