package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/idempotency"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// Idempotency headers: the client's key, and the mark on a replayed answer.
const (
	IdempotencyKeyHeader = "Idempotency-Key"
	ReplayedHeader       = "Idempotent-Replayed"
)

// maxIdempotencyKey bounds a key (UUIDs are 36 characters).
const maxIdempotencyKey = 255

// replayedHeaders are the response headers stored with an answer.
var replayedHeaders = []string{"Content-Type", "Location", "Content-Location", "ETag", "Last-Modified", totalCountHeader}

// idempotencyKeeper holds the store and its durations.
type idempotencyKeeper struct {
	store idempotency.Store
	ttl   time.Duration // how long an answer (or an unknown outcome) is kept
	lease time.Duration // how long an unfinished attempt holds its key
}

func newIdempotencyKeeper(c config.Idempotency, store idempotency.Store) *idempotencyKeeper {
	if store == nil {
		store = idempotency.NewMemory()
	}
	return &idempotencyKeeper{store: store, ttl: c.TTL, lease: c.Lease}
}

// idempotency makes POST, PUT, PATCH and DELETE requests carrying an
// Idempotency-Key safe to repeat. The key is scoped to the client. The first
// request's answer (status, body, the headers in replayedHeaders) is stored
// with a fingerprint of the request (method, path, query and body, JSON in
// a canonical form: requestFingerprint) for idempotency.ttl; a repeat gets it back, marked Idempotent-Replayed, without
// a call to Odoo. The same key with another request is refused (422); a
// repeat while the first still runs gets 409 with Retry-After.
//
// What is not stored as final: an answer upstream_outcome_unknown (or 500)
// or an abandoned request (the client went away) may have written
// something, and so may an attempt whose instance died (its lease,
// idempotency.lease, lapses): the key stays claimable by the same request
// only, and that retry first looks for the earlier attempt's record
// (mapping.WithPriorAttempt) instead of writing a twin. Answers that did
// nothing (401, 403, 408, 429, the other 5xx) free the key. Writes without
// a key: see keylessWrite.
func (s *Server) idempotency(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		c.Next()
		return
	}
	key := c.GetHeader(IdempotencyKeyHeader)
	if key != "" && !validIdempotencyKey(key) {
		s.fail(c, &mapping.Error{Code: mapping.CodeValidationFailed,
			Message: "Idempotency-Key must be 1 to 255 printable ASCII characters",
			Fields:  []mapping.FieldError{{Header: IdempotencyKeyHeader, Message: "1 to 255 printable ASCII characters"}}})
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	fp := requestFingerprint(c.Request, body)
	if key == "" {
		s.keylessWrite(c, fp)
		return
	}
	k := s.idem
	scoped := mapping.ClientID(c.Request.Context()) + "\x1f" + key
	start := time.Now()
	// Store calls outlive a client that hangs up: the entry must be right.
	sctx := context.WithoutCancel(c.Request.Context())
	attempt := idempotency.Entry{State: idempotency.InFlight, Fingerprint: fp, UnknownSince: start, LeaseUntil: start.Add(k.lease)}
	prev, found, claimed, err := k.store.Claim(sctx, scoped, attempt, k.ttl)
	if err != nil {
		s.fail(c, storeUnavailable(err))
		return
	}
	if !claimed {
		s.answerRepeat(c, prev, fp)
		return
	}
	prior := found && !prev.UnknownSince.IsZero()
	if prior {
		start = s.repeatOfUnknown(c, prev.UnknownSince)
		attempt.UnknownSince = start
		if err := k.store.Put(sctx, scoped, attempt, k.ttl); err != nil {
			s.requestLog(c).Warn("idempotency: cannot record the first attempt's start", zap.Error(err))
		}
	}
	rec := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	s.settleKey(c, sctx, scoped, fp, start, prior, rec)
}

// keylessWrite is a write without Idempotency-Key. When its outcome is
// unknown it is remembered for idempotency.ttl under the client and the
// request's fingerprint, so that the same request sent again, the usual
// reaction to a 504, looks for that write before writing instead of making
// a twin. That one repeat only: once it has a final answer the entry goes,
// and the next identical request is a new write, as without a key. While
// the store is unavailable such writes are served without this check.
func (s *Server) keylessWrite(c *gin.Context, fp string) {
	k := s.idem
	scoped := keylessScope(c, fp)
	sctx := context.WithoutCancel(c.Request.Context())
	prev, found, err := k.store.Get(sctx, scoped)
	if err != nil {
		// Served as any write without key is: the client chose not to
		// depend on the store; only this safety net is missing.
		s.requestLog(c).Warn("idempotency store unavailable: a write without key is not checked against an earlier unknown outcome", zap.Error(err))
	}
	start := time.Now()
	prior := found && !prev.UnknownSince.IsZero()
	if prior {
		start = s.repeatOfUnknown(c, prev.UnknownSince)
	}
	rec := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	switch {
	case attemptEnded(c, rec, prior) == endedUnknown:
		err = k.store.Put(sctx, scoped, idempotency.Entry{State: idempotency.Unknown, Fingerprint: fp, UnknownSince: start}, k.ttl)
	case prior:
		err = k.store.Delete(sctx, scoped)
	}
	if err != nil {
		s.requestLog(c).Error("idempotency: cannot record the outcome of a write without key", zap.Error(err))
	}
}

// keylessScope is where an unknown outcome is remembered for the client's
// identical requests without a key. "\x1f\x00": keys are printable, so no
// client key collides with it.
func keylessScope(c *gin.Context, fp string) string {
	return mapping.ClientID(c.Request.Context()) + "\x1f\x00" + fp
}

// repeatOfUnknown marks the request as the repeat of an attempt, started
// at since, that ended without a final answer and may have written: its
// creates look for that attempt's records first. It returns since.
func (s *Server) repeatOfUnknown(c *gin.Context, since time.Time) time.Time {
	c.Request = c.Request.WithContext(mapping.WithPriorAttempt(c.Request.Context(), since))
	s.requestLog(c).Info("repeat of a request whose outcome was unknown; its record is looked up before writing",
		zap.Time("first_attempt", since))
	return since
}

// codeIdempotencyStoreUnavailable: the store of Idempotency-Key answers
// (Redis) cannot be reached; the registry may be fine.
const codeIdempotencyStoreUnavailable mapping.Code = "idempotency_store_unavailable"

// storeUnavailable is the error of a failed idempotency store call.
func storeUnavailable(err error) error {
	return &mapping.Error{Code: codeIdempotencyStoreUnavailable, Cause: err,
		Message: "the store of Idempotency-Key answers is unavailable, so this write cannot be made safe to repeat; nothing was written"}
}

// answerRepeat answers a request whose key another attempt holds or held.
func (s *Server) answerRepeat(c *gin.Context, prev idempotency.Entry, fp string) {
	switch {
	case prev.Fingerprint != fp:
		s.problem(c, mapping.CodeIdempotencyKeyReused,
			"this Idempotency-Key was used with another request (method, path or body); use a new key for a new request")
	case prev.State == idempotency.Done && prev.Response != nil:
		for name, values := range prev.Response.Header {
			for _, v := range values {
				c.Writer.Header().Add(name, v)
			}
		}
		c.Header(ReplayedHeader, "true")
		if s.deps.Metrics != nil {
			s.deps.Metrics.IdempotencyReplay()
		}
		c.Data(prev.Response.Status, prev.Response.Header.Get("Content-Type"), prev.Response.Body)
		c.Abort()
	default:
		s.problem(c, mapping.CodeIdempotencyInProgress,
			"a request with this Idempotency-Key is still being processed; repeat it once that one has been answered")
	}
}

// attemptEnd is what an attempt's answer says about its write.
type attemptEnd int

const (
	endedFinal   attemptEnd = iota // an answer to keep and replay
	endedNothing                   // nothing was written: the key is free again
	endedUnknown                   // something may have been written
)

// attemptEnded classifies the answer rec holds. prior says an earlier
// attempt's outcome is unknown: an answer that did nothing does not settle
// it.
func attemptEnded(c *gin.Context, rec *recordingWriter, prior bool) attemptEnd {
	status := rec.Status()
	didNothing := status == http.StatusUnauthorized || status == http.StatusForbidden ||
		status == http.StatusRequestTimeout || status == http.StatusTooManyRequests ||
		(status > 500 && !maybeWritten(rec.body.Bytes()))
	switch {
	case clientGone(c.Request.Context()) || status >= 500 && !didNothing || (didNothing && prior):
		return endedUnknown
	case didNothing:
		return endedNothing
	}
	return endedFinal
}

// settleKey stores the attempt's answer, or leaves the key claimable.
// prior says an earlier attempt's outcome is unknown: that stays on record
// until an answer is final.
func (s *Server) settleKey(c *gin.Context, ctx context.Context, key, fp string, start time.Time, prior bool, rec *recordingWriter) {
	k := s.idem
	var err error
	ended := attemptEnded(c, rec, prior)
	switch ended {
	case endedUnknown:
		unknown := idempotency.Entry{State: idempotency.Unknown, Fingerprint: fp, UnknownSince: start}
		// A client that repeats without its key (against the 504's advice)
		// must find the attempt too, or it makes a twin.
		err = errors.Join(k.store.Put(ctx, key, unknown, k.ttl), k.store.Put(ctx, keylessScope(c, fp), unknown, k.ttl))
	case endedNothing:
		err = k.store.Delete(ctx, key)
	default:
		resp := &idempotency.Response{Status: rec.Status(), Header: http.Header{}, Body: rec.body.Bytes()}
		for _, h := range replayedHeaders {
			if v := rec.Header().Values(h); len(v) > 0 {
				resp.Header[h] = v
			}
		}
		err = k.store.Put(ctx, key, idempotency.Entry{State: idempotency.Done, Fingerprint: fp, Response: resp}, k.ttl)
	}
	if prior && ended != endedUnknown {
		// Settled: identical requests without a key are new writes again.
		err = errors.Join(err, k.store.Delete(ctx, keylessScope(c, fp)))
	}
	if err != nil {
		// The answer went out; a repeat will get 409 until the lease ends.
		s.requestLog(c).Error("idempotency: cannot store the outcome", zap.Int("status", rec.Status()), zap.Error(err))
	}
}

// maybeWritten reads a 5xx problem's code: upstream_outcome_unknown says a
// write may have happened. The other upstream codes come from failures
// before any write, or from writes Odoo refused (one transaction each) or
// that are safe to repeat (updates upsert; accounts are found by number).
func maybeWritten(problem []byte) bool {
	var p struct {
		Code mapping.Code `json:"code"`
	}
	return json.Unmarshal(problem, &p) != nil || p.Code == mapping.CodeUpstreamOutcomeUnknown || p.Code == mapping.CodeInternal
}

// requestFingerprint identifies a request: method, path, query and a hash
// of the body (hex SHA-256, idempotency.FingerprintLen characters). The
// query and a JSON body count in a canonical form, so that a client that
// encodes the same request again (other key order, white space, escapes)
// sends the same request.
func requestFingerprint(r *http.Request, body []byte) string {
	if canon, ok := canonicalJSON(body); ok {
		body = canon
	}
	query := r.URL.RawQuery
	if q, err := url.ParseQuery(query); err == nil {
		query = q.Encode() // sorted by name
	}
	bh := sha256.Sum256(body)
	h := sha256.New()
	for _, part := range []string{r.Method, r.URL.Path, query, hex.EncodeToString(bh[:])} {
		h.Write([]byte(strconv.Itoa(len(part)) + ":" + part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON writes a JSON body in one layout: no white space, object
// keys sorted, strings with one set of escapes, numbers as written (1 and
// 1.0 differ). ok is false for a body that is not one JSON value in UTF-8 or
// repeats a key: it is refused later, and its bytes are fingerprinted as
// they are.
func canonicalJSON(body []byte) ([]byte, bool) {
	if !utf8.Valid(body) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	if err := canonicalValue(dec, &out); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return out.Bytes(), true
}

var errRepeatedKey = errors.New("repeated object key")

// canonicalValue copies the next value of dec to out (see canonicalJSON).
// Depth is bounded by limitJSON, which runs first.
func canonicalValue(dec *json.Decoder, out *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := canonicalValue(dec, out); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		} else {
			members := map[string][]byte{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				name, _ := k.(string)
				if _, seen := members[name]; seen {
					return errRepeatedKey
				}
				var v bytes.Buffer
				if err := canonicalValue(dec, &v); err != nil {
					return err
				}
				members[name] = v.Bytes()
			}
			out.WriteByte('{')
			for i, name := range slices.Sorted(maps.Keys(members)) {
				if i > 0 {
					out.WriteByte(',')
				}
				b, _ := json.Marshal(name)
				out.Write(b)
				out.WriteByte(':')
				out.Write(members[name])
			}
			out.WriteByte('}')
		}
		_, err = dec.Token() // the closing bracket or brace
		return err
	case json.Number:
		out.WriteString(t.String())
	default: // string, bool, nil
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		out.Write(b)
	}
	return nil
}

func validIdempotencyKey(k string) bool {
	if len(k) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// recordingWriter keeps a copy of the body written through it.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}
