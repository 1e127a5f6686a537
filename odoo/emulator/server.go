package emulator

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Seed selects the initial data of a Server.
type Seed string

const (
	// SeedDemo adds gender types, id types, banks and a few registrants with
	// accounts to the module data (see seed.go). It is the default.
	SeedDemo Seed = "demo"
	// SeedEmpty has only what the installed modules ship: the company,
	// the admin and OdooBot users and partners, group kinds Household and
	// Family, membership kind Head, a few countries.
	SeedEmpty Seed = "empty"
)

// Options configure a Server. The zero value is a demo-seeded "openspp".
type Options struct {
	Seed Seed
	DB   string // database name, default "openspp"
	// Now is the clock (create/write dates, "today" defaults, login
	// cooldown). Default time.Now.
	Now func() time.Time
	// NoLoginCooldown disables Odoo's lock-out: after 5 failed logins from
	// one IP address, authenticate answers false for 60 seconds, even with
	// the right password (res.users._assert_can_auth).
	NoLoginCooldown bool
}

// Call is one RPC the emulator received. For execute_kw, Model and Method
// are the ORM call (res.partner, create) and Args/Kwargs its arguments;
// for other calls Model is empty, Method is the service method
// (authenticate, version) and Args its parameters.
type Call struct {
	Service string
	Model   string
	Method  string
	UID     int64
	Args    []any
	Kwargs  map[string]any
}

// Injected is what a fault-injection hook asks the emulator to do with a
// call instead of (or before) answering it normally.
type Injected struct {
	// Delay waits before handling the call. The wait ends early when the
	// client gives up, and the call still runs then, as a real server
	// finishes a request whose client timed out: tests can see a write
	// that happened although the client got an error.
	Delay time.Duration
	// Fault answers with this Odoo exception instead of running the call.
	Fault *Fault
	// Drop closes the connection without any response.
	Drop bool
	// HTTPStatus answers with this bare status (e.g. 502 from a proxy in
	// front of Odoo) and a short text body.
	HTTPStatus int
	// AfterCall runs the call (and commits it) before the Fault, Drop or
	// HTTPStatus replaces its answer: the response is lost although the
	// write happened.
	AfterCall bool
}

// ValidationFault, UserFault, MissingFault, AccessErrorFault,
// AccessDeniedFault and ServerFault build the Odoo exceptions tests inject;
// they travel as XML-RPC fault codes 2, 2, 2, 4, 3 and 1.
func ValidationFault(msg string) *Fault { return plainFault(excValidation, msg) }

// UserFault is an odoo.exceptions.UserError.
func UserFault(msg string) *Fault { return plainFault(excUser, msg) }

// MissingFault is an odoo.exceptions.MissingError.
func MissingFault(msg string) *Fault { return plainFault(excMissing, msg) }

// AccessErrorFault is an odoo.exceptions.AccessError (fault code 4).
func AccessErrorFault(msg string) *Fault { return plainFault(excAccessError, msg) }

// AccessDeniedFault is odoo.exceptions.AccessDenied (fault code 3).
func AccessDeniedFault() *Fault { return newFault(excAccessDenid, "Access Denied") }

// ServerFault is any other Python exception (fault code 1, traceback),
// e.g. ServerFault("psycopg2.errors.SerializationFailure", "could not serialize access").
func ServerFault(class, msg string) *Fault { return plainFault(class, msg) }

// Server is an in-memory Odoo 17 + OpenG2P speaking XML-RPC and JSON-RPC.
// It is safe for concurrent use; each execute_kw is atomic.
type Server struct {
	opts Options
	reg  registry

	mu    sync.RWMutex // guards st: readers share, writers are exclusive
	st    *store
	users *userTable

	logMu    sync.Mutex
	calls    []Call
	counts   map[callKey]int64
	inject   func(Call) *Injected
	failures map[string]loginFailures // by client IP, guarded by logMu

	ts *httptest.Server
}

// New builds a server with the seed of opts. It panics only if the
// embedded schema is broken (a build defect, not a runtime condition).
func New(opts Options) *Server {
	if opts.DB == "" {
		opts.DB = "openspp"
	}
	if opts.Seed == "" {
		opts.Seed = SeedDemo
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	reg, err := sharedRegistry()
	if err != nil {
		panic(fmt.Sprintf("emulator: embedded schema: %v", err))
	}
	s := &Server{opts: opts, reg: reg, st: newStore(reg), users: newUserTable(), failures: map[string]loginFailures{}, counts: map[callKey]int64{}}
	s.seed()
	return s
}

// NewTestServer starts New(opts) on a loopback httptest server that is
// closed when the test ends; s.URL() is its base URL.
func NewTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	s.ts = httptest.NewServer(s)
	t.Cleanup(s.ts.Close)
	return s
}

// URL is the base URL of a server started by NewTestServer ("" otherwise).
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// DB is the database name the server answers for.
func (s *Server) DB() string { return s.opts.DB }

// maxCallLog bounds the call log of a long-running server (the counters
// stay exact).
const maxCallLog = 10000

// callKey identifies model.method in the counters.
type callKey struct{ model, method string }

// Calls is the number of execute_kw calls since start or ResetCalls.
func (s *Server) Calls() int64 {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	var n int64
	for _, c := range s.counts {
		n += c
	}
	return n
}

// CallsTo counts execute_kw calls of model.method ("" matches any).
func (s *Server) CallsTo(model, method string) int64 {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	var n int64
	for k, c := range s.counts {
		if (model == "" || k.model == model) && (method == "" || k.method == method) {
			n += c
		}
	}
	return n
}

// ResetCalls forgets the call log and the counters.
func (s *Server) ResetCalls() {
	s.logMu.Lock()
	s.calls = nil
	s.counts = map[callKey]int64{}
	s.logMu.Unlock()
}

// CallLog returns a copy of the calls received (common and object), the
// most recent 10000 at most.
func (s *Server) CallLog() []Call {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Call(nil), s.calls...)
}

// InjectFault installs a hook consulted before every call; returning nil
// handles the call normally. Pass nil to remove the hook.
func (s *Server) InjectFault(f func(Call) *Injected) {
	s.logMu.Lock()
	s.inject = f
	s.logMu.Unlock()
}

func (s *Server) record(c Call) *Injected {
	s.logMu.Lock()
	if len(s.calls) >= maxCallLog {
		s.calls = append(s.calls[:0], s.calls[len(s.calls)-maxCallLog/2:]...)
	}
	s.calls = append(s.calls, c)
	if c.Service == "object" {
		s.counts[callKey{c.Model, c.Method}]++
	}
	hook := s.inject
	s.logMu.Unlock()
	if hook == nil {
		return nil
	}
	return hook(c)
}

// ServeHTTP serves POST /xmlrpc/2/common, /xmlrpc/2/object,
// /xmlrpc/2/db, the legacy /xmlrpc/<service> (text fault codes),
// /jsonrpc, /web/database/list and /web/webclient/version_info.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case "/web/database/list", "/web/webclient/version_info":
		s.serveWebJSON(w, r, body)
	case "/jsonrpc":
		if !isJSONMimetype(r.Header.Get("Content-Type")) {
			// Odoo dispatches type="json" routes only for JSON mimetypes
			// (http.py _set_request_dispatcher): a werkzeug 400 page.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, "<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n"+
				"<p>Request inferred type is compatible with [&#x27;http&#x27;] but &#x27;/jsonrpc&#x27; is type=&#x27;json&#x27;.\n\n"+
				"Please verify the Content-Type request header and try again.</p>\n")
			return
		}
		s.serveJSON(w, r, body)
	default:
		if service, ok := strings.CutPrefix(r.URL.Path, "/xmlrpc/2/"); ok && service != "" {
			s.serveXML(w, r, body, service, false)
			return
		}
		if service, ok := strings.CutPrefix(r.URL.Path, "/xmlrpc/"); ok && service != "" && !strings.Contains(service, "/") {
			s.serveXML(w, r, body, service, true)
			return
		}
		http.NotFound(w, r)
	}
}

func isJSONMimetype(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || mt == "application/json-rpc"
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// outcome is a handled call: a result or a fault, or a transport action.
type outcome struct {
	result any
	fault  *Fault
	inj    *Injected
}

// serveXML answers XML-RPC; legacy selects the text fault codes of the
// old /xmlrpc/<service> endpoints.
func (s *Server) serveXML(w http.ResponseWriter, r *http.Request, body []byte, service string, legacy bool) {
	call, f := decodeXMLRPCCall(body)
	var out outcome
	if f != nil {
		out.fault = f
	} else {
		out = s.dispatch(r.Context(), clientIP(r), service, call.Method, call.Params)
	}
	if s.transport(w, r, out.inj) {
		return
	}
	var payload []byte
	if out.fault == nil {
		payload, out.fault = encodeXMLRPCResponse(out.result)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	switch {
	case out.fault != nil && legacy:
		payload = encodeLegacyXMLRPCFault(out.fault)
	case out.fault != nil:
		payload = encodeXMLRPCFault(out.fault)
	default:
		w.Header().Set("X-Content-Type-Options", "nosniff")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
	_, _ = w.Write(payload)
}

func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, body []byte) {
	req, ok := decodeJSONRequest(body)
	if !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("Invalid JSON data"))
		return
	}
	var out outcome
	service, _ := req.Params["service"].(string)
	method, _ := req.Params["method"].(string)
	params, hasArgs := req.Params["args"].([]any)
	if req.Params == nil || service == "" || method == "" || !hasArgs {
		out.fault = newFault(excType, "RPC.jsonrpc() missing %s", missingJSONParams(req.Params))
	} else {
		out = s.dispatch(r.Context(), clientIP(r), service, method, params)
	}
	if s.transport(w, r, out.inj) {
		return
	}
	var payload []byte
	if out.fault != nil {
		payload = jsonError(req.ID, out.fault)
	} else {
		payload = jsonResult(req.ID, out.result)
		w.Header().Set("X-Content-Type-Options", "nosniff")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
	_, _ = w.Write(payload)
}

// serveWebJSON answers the two JSON routes of the web client that tools
// use to probe a server: the database list and the version.
func (s *Server) serveWebJSON(w http.ResponseWriter, r *http.Request, body []byte) {
	if !isJSONMimetype(r.Header.Get("Content-Type")) {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	req, ok := decodeJSONRequest(body)
	if !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("Invalid JSON data"))
		return
	}
	var result any = []any{s.opts.DB}
	if r.URL.Path == "/web/webclient/version_info" {
		result = versionInfo()
	}
	payload := jsonResult(req.ID, result)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
	_, _ = w.Write(payload)
}

func missingJSONParams(p map[string]any) string {
	var miss []string
	for _, k := range []string{"service", "method", "args"} {
		if _, ok := p[k]; !ok {
			miss = append(miss, "'"+k+"'")
		}
	}
	switch len(miss) {
	case 0:
		return "0 required positional arguments"
	case 1:
		return "1 required positional argument: " + miss[0]
	case 2:
		return "2 required positional arguments: " + miss[0] + " and " + miss[1]
	}
	return "3 required positional arguments: " + miss[0] + ", " + miss[1] + ", and " + miss[2]
}

// transport applies the delay/drop/status parts of an injection; true
// means the response has been dealt with.
func (s *Server) transport(w http.ResponseWriter, r *http.Request, inj *Injected) bool {
	if inj == nil {
		return false
	}
	if inj.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if inj.HTTPStatus != 0 {
		http.Error(w, http.StatusText(inj.HTTPStatus), inj.HTTPStatus)
		return true
	}
	return false
}

// dispatch runs one RPC after logging it and consulting the hook.
func (s *Server) dispatch(ctx context.Context, ip, service, method string, params []any) outcome {
	c := Call{Service: service, Method: method, Args: params}
	if service == "object" && method == "execute_kw" && len(params) >= 5 {
		c.Model, _ = params[3].(string)
		c.Method, _ = params[4].(string)
		c.UID, _ = params[1].(int64)
		if len(params) > 5 {
			c.Args, _ = params[5].([]any)
		}
		if len(params) > 6 {
			c.Kwargs, _ = params[6].(map[string]any)
		}
	}
	inj := s.record(c)
	if inj != nil && inj.Delay > 0 {
		t := time.NewTimer(inj.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	replaced := inj != nil && (inj.Drop || inj.HTTPStatus != 0 || inj.Fault != nil)
	if replaced && !inj.AfterCall {
		return outcome{fault: inj.Fault, inj: inj}
	}
	var res any
	var f *Fault
	switch service {
	case "common":
		res, f = s.common(ip, method, params)
	case "object":
		res, f = s.object(method, params)
	case "db":
		res, f = s.dbService(method)
	default:
		f = plainFault(excKey, service)
	}
	if replaced {
		return outcome{fault: inj.Fault, inj: inj}
	}
	return outcome{result: res, fault: f}
}

// versionInfo is common.version's answer (transcripts/01 step 1).
func versionInfo() object {
	return object{
		{"server_version", "17.0"},
		{"server_version_info", []any{int64(17), int64(0), int64(0), "final", int64(0), ""}},
		{"server_serie", "17.0"},
		{"protocol_version", int64(1)},
	}
}

func (s *Server) common(ip, method string, p []any) (any, *Fault) {
	switch method {
	case "version":
		return versionInfo(), nil
	case "authenticate", "login":
		want := 4
		if method == "login" {
			want = 3
		}
		if len(p) < want {
			if method == "login" {
				return nil, newFault(excType, "exp_login() missing %s", missingArgs([]string{"db", "login", "password"}, len(p)))
			}
			return nil, newFault(excType, "exp_authenticate() missing %s", missingArgs([]string{"db", "login", "password", "user_agent_env"}, len(p)))
		}
		db, _ := p[0].(string)
		if db != s.opts.DB {
			return nil, unknownDB(db)
		}
		login, _ := p[1].(string)
		secret, _ := p[2].(string)
		if uid, ok := s.login(ip, login, secret); ok {
			return uid, nil
		}
		return false, nil
	}
	return nil, newFault(excException, "Method not found: %s", method)
}

func missingArgs(names []string, given int) string {
	miss := names[given:]
	q := make([]string, len(miss))
	for i, n := range miss {
		q[i] = "'" + n + "'"
	}
	switch len(q) {
	case 1:
		return "1 required positional argument: " + q[0]
	case 2:
		return "2 required positional arguments: " + q[0] + " and " + q[1]
	}
	return fmt.Sprintf("%d required positional arguments: %s, and %s", len(q), strings.Join(q[:len(q)-1], ", "), q[len(q)-1])
}

func unknownDB(db string) *Fault {
	return newFault(excOperational, "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"%s\" does not exist\n", db)
}

func (s *Server) dbService(method string) (any, *Fault) {
	switch method {
	case "list":
		return []any{s.opts.DB}, nil
	case "server_version":
		return "17.0", nil
	}
	return nil, plainFault(excKey, method)
}

// object handles service "object": execute_kw and execute.
func (s *Server) object(method string, p []any) (any, *Fault) {
	if method != "execute_kw" && method != "execute" {
		return nil, newFault(excException, "Method not found: %s", method)
	}
	if len(p) < 3 {
		return nil, newFault("builtins.IndexError", "list index out of range")
	}
	db, _ := p[0].(string)
	if db != s.opts.DB {
		return nil, unknownDB(db)
	}
	user, f := s.checkUser(p[1], p[2])
	if f != nil {
		return nil, f
	}
	rest := p[3:]
	var modelName, methodName string
	var pos []any
	var kw map[string]any
	if method == "execute_kw" {
		if len(rest) < 3 {
			return nil, newFault(excType, "execute_kw() missing %s", missingArgs([]string{"obj", "method", "args"}, len(rest)))
		}
		modelName, _ = rest[0].(string)
		methodName, _ = rest[1].(string)
		pos, _ = rest[2].([]any)
		if len(rest) > 3 {
			kw, _ = rest[3].(map[string]any)
		}
	} else {
		if len(rest) < 2 {
			return nil, newFault(excType, "execute() missing %s", missingArgs([]string{"obj", "method"}, len(rest)))
		}
		modelName, _ = rest[0].(string)
		methodName, _ = rest[1].(string)
		pos = rest[2:]
	}
	return s.execute(user, modelName, methodName, pos, kw)
}

// execute runs one ORM call as one transaction.
func (s *Server) execute(user row, modelName, methodName string, pos []any, kw map[string]any) (any, *Fault) {
	m, ok := s.reg[modelName]
	if !ok {
		return nil, newFault(excUser, "Object %s doesn't exist", modelName)
	}
	uid := user["id"].(int64)
	if methodName != "check_access_rights" {
		if acc := s.checkAccess(user, m, methodName); acc.fault != nil {
			return nil, acc.fault
		} else if acc.empty != nil {
			return acc.empty, nil
		}
	}
	ctx, _ := kw["context"].(map[string]any)
	mt, known := methods[methodName]
	if known && mt.writes {
		s.mu.Lock()
		defer s.mu.Unlock()
	} else {
		s.mu.RLock()
		defer s.mu.RUnlock()
	}
	e := &env{reg: s.reg, j: newJournal(s.st), uid: uid, ctx: ctx, now: s.opts.Now(), srv: s, user: user}
	res, f := e.safeCall(m, methodName, pos, kw)
	if f != nil {
		e.j.rollback()
		return nil, f
	}
	return res, nil
}

// safeCall turns an emulator bug into fault 1 (as Odoo answers an
// unexpected Python exception) instead of a dropped connection.
func (e *env) safeCall(m *model, method string, pos []any, kw map[string]any) (res any, f *Fault) {
	defer func() {
		if p := recover(); p != nil {
			res, f = nil, newFault("builtins.RuntimeError", "odoo emulator: %v", p)
		}
	}()
	return e.callMethod(m, method, pos, kw)
}

// checkUser is odoo.service.security.check: uid False or a wrong secret is
// AccessDenied (code 3), an unknown uid a MissingError on res.users.
func (s *Server) checkUser(uidV, secretV any) (row, *Fault) {
	var uid int64
	switch v := uidV.(type) {
	case int64:
		uid = v
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, newFault(excValue, "invalid literal for int() with base 10: %s", pyRepr(v))
		}
		uid = n
	case bool:
		if v {
			uid = 1
		}
	}
	if uid == 0 {
		return nil, AccessDeniedFault()
	}
	secret, _ := secretV.(string)
	u := s.userRow(uid)
	if u == nil {
		return nil, newFault(excMissing, "Record does not exist or has been deleted.\n(Record: res.users(%d,), User: %d)", uid, uid)
	}
	if u["active"] != true || !s.secretOK(u, secret) {
		return nil, AccessDeniedFault()
	}
	return u, nil
}
