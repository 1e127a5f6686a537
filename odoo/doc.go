// Package odoo is the client for the Odoo 17 external API that the proxy
// uses to reach an OpenSPP/OpenG2P registry.
//
// It speaks XML-RPC (/xmlrpc/2/common, /xmlrpc/2/object) or JSON-RPC
// (/jsonrpc), chosen by Config.Protocol, over one pooled HTTP client: calls
// run concurrently and each carries a deadline. kolo/xmlrpc is used only to
// encode and decode XML-RPC bodies, never as the transport, because its
// Client sends one request at a time.
//
// What the wire corpus (shared/odoo17) taught and the client enforces:
//
//   - Values never contain nil (kolo sends "" or drops the argument): clear a
//     field with false. Requests are checked and ErrInvalidValue is returned.
//   - Every read names its fields; reading all fields can raise in g2p_bank's
//     computed iban.
//   - Odoo answers false for empty values: Record accessors report them as
//     absent. Integers decode as int64, many2one as Many2One.
//   - Faults become *Error with a Kind and a clean Message; tracebacks stay
//     in Debug, for logs. The secret never appears in errors or logs.
//   - A refused authenticate is KindAuthFailed and starts a back-off, so the
//     proxy cannot trip Odoo's per-IP login lock-out.
//
// Example:
//
//	c, err := odoo.New(odoo.Config{
//		URL: "http://odoo:8069", DB: "openspp", Login: "api", Secret: apiKey,
//	}, logger)
//	if err != nil {
//		return err
//	}
//	id, err := c.Create(ctx, "res.partner", odoo.Values{
//		"name":     "DIALLO, AMINA",
//		"email":    false,
//		"bank_ids": []any{odoo.CmdCreate(odoo.Values{"acc_number": "SN08 0001", "bank_id": bankID})},
//	}, odoo.Options{})
//	if e, ok := odoo.AsError(err); ok && e.IsAccountNumberUnique() {
//		// the partner already has this account (maybe archived)
//	}
//	recs, err := c.WebRead(ctx, "res.partner", []int64{id}, odoo.Spec{
//		"name":     odoo.Spec{},
//		"bank_ids": odoo.Spec{"fields": odoo.Fields("acc_number", "active")},
//	}, odoo.Options{})
//	for _, acc := range recs[0].Records("bank_ids") {
//		n, _ := acc.String("acc_number")
//		_ = n
//	}
package odoo
