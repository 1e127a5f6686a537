package odoo_test

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// Creating a registrant with a bank account in one transaction, then
// reading it back with its accounts in one call.
func Example() {
	ctx := context.Background()
	c, err := odoo.New(odoo.Config{
		URL: "http://odoo:8069", DB: "openspp", Login: "api-user", Secret: "api-key",
	}, zap.NewNop())
	if err != nil {
		panic(err)
	}
	id, err := c.Create(ctx, "res.partner", odoo.Values{
		"name":     "DIALLO, AMINA",
		"email":    false, // clear with false, never nil
		"bank_ids": []any{odoo.CmdCreate(odoo.Values{"acc_number": "SN08 0001", "bank_id": 7})},
	}, odoo.Options{})
	if e, ok := odoo.AsError(err); ok && e.IsAccountNumberUnique() {
		fmt.Println("the registrant already has this account")
		return
	} else if err != nil {
		fmt.Println(err)
		return
	}
	recs, err := c.WebRead(ctx, "res.partner", []int64{id}, odoo.Spec{
		"name":     odoo.Spec{},
		"bank_ids": odoo.Spec{"fields": odoo.Spec{"acc_number": odoo.Spec{}, "bank_id": odoo.Spec{"fields": odoo.Fields("name")}}},
	}, odoo.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, acc := range recs[0].Records("bank_ids") {
		number, _ := acc.String("acc_number")
		bank, _ := acc.Many2One("bank_id")
		fmt.Println(number, bank.Name)
	}
}
