package main

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// logInAtStart tries the Odoo login once as serve starts, so that a wrong
// odoo.login or odoo.secret shows in the log at once instead of with the
// first request, after a start that looked healthy. It never stops the
// proxy: Odoo may come up later. It goes through the client's own
// Authenticate, so a refusal starts the client's back-off and the requests
// that follow cannot get the technical user locked out. A success needs no
// line of its own: the client logs "authenticated".
func logInAtStart(ctx context.Context, client *odoo.Client, c config.Odoo, log *zap.Logger) {
	tctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	_, err := client.Authenticate(tctx)
	if err == nil || ctx.Err() != nil { // logged in, or shutting down already
		return
	}
	fields := []zap.Field{zap.String("login", c.Login), zap.String("db", c.DB), zap.Error(err)}
	if odoo.IsKind(err, odoo.KindAuthFailed) {
		log.Error(fmt.Sprintf("cannot log in to Odoo as %q on database %q: %s; /readyz reports not ready and requests get 503 upstream_auth_failed until a login succeeds (fix the user in Odoo, or the configuration and restart)",
			c.Login, c.DB, explain(err)), fields...)
		return
	}
	log.Warn(fmt.Sprintf("cannot log in to Odoo as %q on database %q yet: %s; /readyz reports not ready and requests get 503 until the login succeeds (tried again with each request)",
		c.Login, c.DB, explain(err)), fields...)
}
