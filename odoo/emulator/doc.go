// Package emulator is an in-memory Odoo 17 + OpenG2P registry that speaks
// Odoo's external API, for tests, demos and tools. It answers like the real
// server recorded in /work/shared/odoo17 (the transcripts and fields_get
// dumps are its specification; replay_test.go sends every recorded request
// to it and compares the answers).
//
// # Wire
//
//   - XML-RPC: POST /xmlrpc/2/common (version, authenticate, login),
//     /xmlrpc/2/object (execute_kw, execute), /xmlrpc/2/db (list,
//     server_version); the legacy /xmlrpc/<service> paths answer the same
//     with Odoo's text fault codes ("warning -- MissingError\n\n..."). Answers are byte-compatible with Python's marshaller
//     (one element per line, <array><data> glued, & < > escaped, C0 control
//     characters dropped, None refused with fault 1 after the transaction
//     committed). Requests are parsed like Python's Unmarshaller: untyped
//     <value> is a string, <value/> is "", <nil/> is None, <i4>/<i8>,
//     <dateTime.iso8601> (refused by date fields), unknown tags fault.
//   - JSON-RPC: POST /jsonrpc with {"service", "method", "args"}; answers
//     are formatted like Python's json.dumps (", " separators, raw UTF-8).
//     Errors use Odoo 17's envelope: {"code": 200, "message": "Odoo Server
//     Error", "data": {"name", "debug", "message", "arguments", "context"}}.
//     The /jsonrpc route needs a JSON Content-Type (HTTP 400 otherwise, as
//     Odoo's type="json" routes); /web/database/list and
//     /web/webclient/version_info answer the probes tools make.
//   - Faults: XML-RPC faultCode 1 (traceback text), 2 (UserError,
//     ValidationError, MissingError: the message), 3 (AccessDenied), 4
//     (AccessError); tracebacks are synthetic, only their last line
//     ("Class: message") is meaningful.
//   - Authentication: database "openspp" (Options.DB), admin/admin is uid 2.
//     A wrong password is false, not a fault; execute_kw with a wrong
//     secret or uid false is AccessDenied, an unknown uid a MissingError.
//     After 5 failed logins from one IP address authenticate answers false
//     for 60 seconds even with the right password, like Odoo's login
//     cooldown (Options.NoLoginCooldown turns it off).
//     Server.AddAPIKey adds API keys; Server.AddUser adds users by role:
//     internal users get Odoo 17's and OpenG2P's access lines through their
//     groups (Contact Creation, G2P Registrar, Settings, ...; lines written
//     through a parent need their own model's right), portal and
//     group-less users the recorded AccessError texts; check_access_rights
//     answers accordingly.
//
// # Models
//
// res.partner (with the OpenG2P individual, group and membership fields of
// the membership lab), res.bank, res.partner.bank, g2p.reg.id, g2p.id.type,
// g2p.phone.number, gender.type, g2p.group.kind, g2p.group.membership,
// g2p.group.membership.kind, and small support models (res.users,
// res.groups, res.company, res.country, ir.model, ir.model.data).
//
// Methods: create (one dict or a list), read (fields, load), write,
// unlink, search, search_read, search_count (limit), fields_get,
// name_search, web_read and web_search_read (nested specifications with
// order, limit and context), read_group (plain and many2one group-bys),
// action_archive/action_unarchive, exists, default_get,
// check_access_rights, and the name onchange of individuals.
//
// ORM behaviour: x2many commands 0-6 and bare id lists (releasing a line
// deletes it when its inverse is ondelete=cascade, as bank accounts are,
// and otherwise clears the inverse, which a required one refuses), domains
// in prefix notation with = != < <= > >= in, not in, like, ilike, =like,
// =ilike, =?, any, not any and dotted paths, the implicit active filter
// and context active_test (also on x2many lines read), _order defaults per
// model (byte-wise collation), offset/limit, false for empty values,
// many2one as [id, display_name], dates and datetimes as text,
// write/create dates.
// Every execute_kw is one transaction: a fault undoes all its writes; a
// sequence, like PostgreSQL's, is not rolled back. Calls run under one
// read/write lock, so the server is safe for concurrent clients.
//
// Business rules as recorded: "Contacts require a name" (name is not
// computed), registration_date default and constraints, gender selection
// keyed by gender.type.value, res.partner.bank's sanitized account number
// (Python's \W and str.upper, so "ß" becomes "SS"), its unique
// (sanitized, partner) constraint counting archived rows, acc_number
// searches on the sanitized value, bank_name/bank_bic writes renaming the
// shared bank, acc_holder_name taken from the partner when the account is
// created or re-pointed without one (not on a rename; a cleared holder
// stays false), ondelete cascade / restrict /
// set null with the recorded FK messages, one registrant ID per type,
// id_validation patterns (re.match, with Python's Unicode \d and \w),
// phone_sanitized, unique membership kinds (Head) through the group,
// default kinds that cannot be edited or deleted, membership end dates,
// and g2p_bank's computed iban with the schwifty failures of
// transcripts/09.
//
// # Not emulated
//
// Mail/chatter, activities, avatars and other UI-only fields (they read as
// empty), queue.job, onchange other than the name, read_group date
// granularities and aggregates other than sum, record rules beyond the
// portal cases, translations, multi-company, PostgreSQL's exact messages
// that quote SQL, phone number formatting (the lab has no phonenumbers
// library either), locale collations other than C, the order of keys in a
// web_read answer (alphabetical here, the specification's order in Odoo),
// id_validation patterns Go's RE2 cannot compile (look-around, back
// references: not checked), and fields_get attributes other than the seven
// recorded ones.
//
// # Tests of other packages
//
// NewTestServer starts a loopback server closed with the test;
// Calls/CallsTo/CallLog/ResetCalls count round trips; InjectFault makes
// chosen calls slow, fail with any Odoo fault (ValidationFault,
// AccessErrorFault, ServerFault...), answer an HTTP error or drop the
// connection, before the call runs or after it committed (AfterCall).
package emulator
