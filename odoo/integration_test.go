package odoo

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestIntegrationRealOdoo runs against a real Odoo 17 (OpenSPP) when
// G2P_PROXY_IT_ODOO_URL, _DB, _USER and _PASSWORD are set. It creates a
// bank and a partner with one account per protocol, checks the read shapes
// and fault kinds, then archives what it created.
func TestIntegrationRealOdoo(t *testing.T) {
	env := map[string]string{}
	for _, k := range []string{"URL", "DB", "USER", "PASSWORD"} {
		env[k] = os.Getenv("G2P_PROXY_IT_ODOO_" + k)
		if env[k] == "" {
			t.Skip("G2P_PROXY_IT_ODOO_{URL,DB,USER,PASSWORD} not set")
		}
	}
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) {
			c, err := New(Config{URL: env["URL"], DB: env["DB"], Login: env["USER"], Secret: env["PASSWORD"],
				Protocol: proto, Timeout: 30 * time.Second}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			v, err := c.Version(ctx)
			if err != nil || !strings.HasPrefix(v.ServerSerie, "17") {
				t.Fatalf("version %+v %v", v, err)
			}
			if uid, err := c.Authenticate(ctx); err != nil || uid <= 0 {
				t.Fatalf("authenticate %d %v", uid, err)
			}
			tag := fmt.Sprintf("IT%s%d", strings.ToUpper(string(proto[0])), time.Now().UnixNano()%1e9)
			integrationScenario(t, ctx, c, tag)
		})
	}
}

func integrationScenario(t *testing.T, ctx context.Context, c *Client, tag string) {
	archive := func(model string, id int64) {
		t.Cleanup(func() {
			if err := c.Write(context.Background(), model, []int64{id}, Values{"active": false}, Options{}); err != nil {
				t.Errorf("archive %s %d: %v", model, id, err)
			}
		})
	}
	bankID, err := c.Create(ctx, "res.bank", Values{"name": "Banque " + tag, "bic": "ITBKSNDA"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	archive("res.bank", bankID)
	acc := "SN08 " + tag + " 0001"
	partnerID, err := c.Create(ctx, "res.partner", Values{
		"name":     "DIALLO, AMINA " + tag,
		"email":    false,
		"bank_ids": []any{CmdCreate(Values{"acc_number": acc, "bank_id": bankID})},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	archive("res.partner", partnerID)

	recs, err := c.Read(ctx, "res.partner", []int64{partnerID}, []string{"name", "email", "bank_ids", "create_date"}, Options{})
	if err != nil || len(recs) != 1 {
		t.Fatalf("read %v %v", recs, err)
	}
	p := recs[0]
	if _, ok := p.String("email"); ok {
		t.Error("email false must be absent")
	}
	if _, ok := p.Datetime("create_date"); !ok {
		t.Error("create_date")
	}
	accIDs := p.IDs("bank_ids")
	if len(accIDs) != 1 {
		t.Fatalf("bank_ids %v", accIDs)
	}
	for _, id := range accIDs {
		archive("res.partner.bank", id)
	}
	accs, err := c.SearchRead(ctx, "res.partner.bank", Domain{Cond("partner_id", "=", partnerID)},
		[]string{"acc_number", "bank_id", "partner_id"}, Options{ActiveTest: &no})
	if err != nil || len(accs) != 1 {
		t.Fatalf("search_read %v %v", accs, err)
	}
	if m, ok := accs[0].Many2One("bank_id"); !ok || m.ID != bankID || !strings.HasPrefix(m.Name, "Banque "+tag) {
		t.Errorf("bank_id %+v", m)
	}

	web, err := c.WebRead(ctx, "res.partner", []int64{partnerID}, Spec{
		"name":     Spec{},
		"bank_ids": Spec{"fields": Spec{"acc_number": Spec{}, "bank_id": Spec{"fields": Fields("name", "bic")}}},
	}, Options{})
	if err != nil || len(web) != 1 {
		t.Fatalf("web_read %v %v", web, err)
	}
	children := web[0].Records("bank_ids")
	if len(children) != 1 {
		t.Fatalf("web_read children %v", children)
	}
	if n, _ := children[0].String("acc_number"); n != acc {
		t.Errorf("acc_number %q", n)
	}
	if b, ok := children[0].Record("bank_id"); !ok || b.ID() != bankID {
		t.Errorf("bank_id %v", b)
	}

	// Same number, other spelling: the sanitized unique constraint.
	err = c.Write(ctx, "res.partner", []int64{partnerID}, Values{"bank_ids": []any{
		CmdCreate(Values{"acc_number": strings.ToLower(strings.ReplaceAll(acc, " ", "-"))})}}, Options{})
	if e, ok := AsError(err); !ok || e.Kind != KindUnique || !e.IsAccountNumberUnique() {
		t.Errorf("duplicate account: %v", err)
	}
	err = c.Write(ctx, "res.partner", []int64{2147480000}, Values{"name": "ghost"}, Options{})
	if !IsKind(err, KindMissing) {
		t.Errorf("missing id: %v", err)
	}
	_, err = c.SearchRead(ctx, "res.partner", Domain{Cond("no_such_field", "=", 1)}, []string{"name"}, Options{})
	if e, ok := AsError(err); !ok || e.Kind != KindServer || strings.Contains(e.Message, "Traceback") {
		t.Errorf("bad field: %v", err)
	}
}
