package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// requiredRights are exactly the rights the proxy uses, per model, with
// why and the group that grants them (reference/original-api-spec.md §5.4;
// README "The technical Odoo user"). Writes on lines (bank accounts, ids,
// phones, memberships) made through res.partner need the line model's own
// right too. Deletes are never needed: the proxy archives.
var requiredRights = []struct {
	model string
	ops   []string
	why   string
	group string
}{
	{"res.partner", []string{"read", "create", "write"}, "registrants are created, updated and, for a failed group, archived", "Contact Creation or G2P Registrar"},
	{"res.partner.bank", []string{"read", "create", "write"}, "bank accounts are added, changed, archived and reactivated", "Contact Creation"},
	{"res.bank", []string{"read", "create", "write"}, "a bank a request names is created once, and a missing BIC completed", "Contact Creation"},
	{"g2p.reg.id", []string{"read", "create", "write"}, "registration ids are added, and updated by PUT /update_individual", "G2P Registrar"},
	{"g2p.phone.number", []string{"read", "create"}, "phone numbers are added, never changed", "G2P Registrar"},
	{"g2p.group.membership", []string{"read", "create"}, "members are added to new groups", "G2P Registrar"},
	{"g2p.id.type", []string{"read"}, "id types are looked up by name", "G2P Registrar"},
	{"g2p.group.kind", []string{"read"}, "group kinds are looked up by name", "G2P Registrar"},
	{"g2p.group.membership.kind", []string{"read"}, "membership kinds are looked up by name", "G2P Registrar"},
	{"gender.type", []string{"read"}, "genders are looked up by code", "any internal user"},
}

// checkTimeout bounds the whole check, so a hanging Odoo fails it.
const checkTimeout = time.Minute

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", "check --config FILE", stderr)
	path := fs.String("config", "", "YAML configuration `file` to check")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *path == "" {
		fmt.Fprintln(stderr, "check needs --config FILE")
		fs.Usage()
		return errUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "PASS  configuration %s\n", *path)
	oc, err := odooConfig(cfg.Odoo)
	if err != nil {
		return err
	}
	client, err := odoo.New(oc, zap.NewNop())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	if failed := checkOdoo(ctx, client, cfg.Odoo, stdout); failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	fmt.Fprintln(stdout, "all checks passed")
	return nil
}

// checkOdoo prints one PASS/FAIL line per check and returns the number of
// failures. It stops early when Odoo cannot be reached or refuses the login,
// since every later check would fail for the same reason.
func checkOdoo(ctx context.Context, client *odoo.Client, c config.Odoo, w io.Writer) (failed int) {
	report := func(err error, format string, a ...any) bool {
		line := fmt.Sprintf(format, a...)
		if err != nil {
			failed++
			fmt.Fprintf(w, "FAIL  %s: %s\n", line, explain(err))
			return false
		}
		fmt.Fprintf(w, "PASS  %s\n", line)
		return true
	}
	v, err := client.Version(ctx)
	if !report(err, "Odoo reachable at %s (%s)", c.URL, c.Protocol) {
		return failed
	}
	if !strings.HasPrefix(v.ServerSerie, "17") {
		fmt.Fprintf(w, "WARN  Odoo %s: the proxy is built and tested for Odoo 17\n", v.ServerVersion)
	}
	uid, err := client.Authenticate(ctx)
	login := fmt.Sprintf("login %q on database %q", c.Login, c.DB)
	if err == nil {
		login += fmt.Sprintf(" (uid %d)", uid)
	}
	if !report(err, "%s", login) {
		return failed
	}
	for _, m := range modelFields {
		report(checkFields(ctx, client, m.model, m.fields), "%s fields (%d)", m.model, len(m.fields))
	}
	for _, r := range requiredRights {
		for _, op := range r.ops {
			err := hasRight(ctx, client, r.model, op)
			if errors.Is(err, errLacksRight) {
				err = fmt.Errorf("%w: %s (grant %s)", err, r.why, r.group)
			}
			report(err, "%s %s", r.model, op)
		}
	}
	warnSurplusRights(ctx, client, w)
	return failed
}

// hasRight asks Odoo whether its user may do op on model. A missing model
// (module not installed) fails too.
func hasRight(ctx context.Context, client *odoo.Client, model, op string) error {
	ok, err := client.ExecuteKw(ctx, model, "check_access_rights", []any{op}, map[string]any{"raise_exception": false})
	if err != nil {
		return err
	}
	if ok != true {
		return errLacksRight
	}
	return nil
}

// errLacksRight is Odoo answering check_access_rights with false.
var errLacksRight = errors.New("the Odoo user lacks this right")

// explain turns a client error into advice for the operator.
func explain(err error) string {
	switch {
	case odoo.IsKind(err, odoo.KindAuthFailed), odoo.IsKind(err, odoo.KindAccessDenied):
		return "wrong login or secret " + configKeys("odoo.login", "odoo.secret")
	case odoo.IsKind(err, odoo.KindUnavailable), odoo.IsKind(err, odoo.KindTransport):
		return "cannot reach Odoo " + configKeys("odoo.url") + ": " + err.Error()
	case odoo.IsKind(err, odoo.KindTimeout):
		return "Odoo did not answer in time"
	case odoo.IsKind(err, odoo.KindAccessError):
		return "the Odoo user lacks this right (see README: The technical Odoo user)"
	}
	return err.Error()
}

// configKeys names the keys to look at, and the environment variables that
// set any of them (or their *_file twin): the file is not to blame then.
// "(odoo.login, odoo.secret; set by G2P_PROXY_ODOO_SECRET)".
func configKeys(keys ...string) string {
	var env []string
	for _, k := range keys {
		for _, key := range []string{k, k + "_file"} {
			if name := config.EnvOverride(key); name != "" {
				env = append(env, name)
			}
		}
	}
	s := strings.Join(keys, ", ")
	if len(env) > 0 {
		s += "; set by " + strings.Join(env, ", ")
	}
	return "(" + s + ")"
}
