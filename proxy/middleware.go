package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-ID"

// gin context keys set by the middleware.
const (
	ctxRequestID = "g2p.request_id"
	ctxClientID  = "g2p.client_id"
	ctxScopes    = "g2p.scopes"
)

// requestIDMiddleware adopts the caller's X-Request-ID when it is sane (so a
// request can be followed across systems) and otherwise makes one; the id is
// echoed in the response and appears in every log line and problem body.
func (s *Server) requestIDMiddleware(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if !saneRequestID(id) {
		id = newRequestID()
	}
	c.Set(ctxRequestID, id)
	c.Header(RequestIDHeader, id)
	c.Next()
}

// deadline gives the request's context its deadline
// (config.RequestDeadline): every Odoo call and wait of the request ends by
// then, so its answer, a 504 included, goes out before server.write_timeout
// cuts the connection. A request ended by its deadline is still answered;
// only one whose client went away is not (clientGone).
func (s *Server) deadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestDeadline())
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// clientGone reports whether the client closed the connection: net/http
// cancels the request's context then, where the deadline ends it with
// context.DeadlineExceeded.
func clientGone(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}

// saneRequestID accepts 1..128 characters of [A-Za-z0-9._:-]: enough for
// UUIDs and trace ids, nothing that could forge a log line or header.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == ':' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// requestLog returns the logger for this request: request id and, once
// authenticated, the client id.
func (s *Server) requestLog(c *gin.Context) *zap.Logger {
	fields := []zap.Field{zap.String("request_id", requestID(c))}
	if id := c.GetString(ctxClientID); id != "" {
		fields = append(fields, zap.String("client", id))
	}
	return s.log.With(fields...)
}

// accessLog writes one line per request once it is answered, and puts an
// Odoo call counter into the request context so that the line tells how
// many execute_kw calls the request cost.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	ctx, calls := odoo.WithCallCounter(c.Request.Context())
	c.Request = c.Request.WithContext(ctx)
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "(unmatched)"
	}
	status := c.Writer.Status()
	fields := []zap.Field{
		zap.String("method", c.Request.Method),
		zap.String("route", route),
		zap.String("path", c.Request.URL.Path),
		zap.Int("status", status),
		zap.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
		zap.Int64("odoo_calls", calls.Count()),
		zap.Int("bytes", c.Writer.Size()),
		zap.String("remote", c.ClientIP()),
	}
	log := s.requestLog(c)
	if status >= 500 {
		log.Warn("request", fields...)
		return
	}
	log.Info("request", fields...)
}

// recovery turns a handler panic into a 500 problem (with the request id)
// and logs the panic with its stack; the process keeps serving.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v) // net/http's own signal to drop the connection
		}
		s.requestLog(c).Error("panic in handler", zap.Any("panic", v), zap.ByteString("stack", debug.Stack()))
		if c.Writer.Written() {
			c.Abort() // headers are out: nothing better can be done
			return
		}
		s.fail(c, &mapping.Error{Code: mapping.CodeInternal, Cause: fmt.Errorf("panic: %v", v)})
	}()
	c.Next()
}

// limitBody refuses a declared Content-Length above server.max_body_bytes
// at once, and caps the body reader for chunked uploads (readBody reports
// the overflow).
func (s *Server) limitBody(c *gin.Context) {
	limit := s.cfg.Server.MaxBodyBytes
	if c.Request.ContentLength > limit {
		s.problem(c, mapping.CodePayloadTooLarge, fmt.Sprintf("the request body is larger than %d bytes", limit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}
