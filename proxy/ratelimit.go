package proxy

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// ratePolicy is a token bucket: burst requests at once, refilled at rate
// per second.
type ratePolicy struct {
	rate  float64 // tokens per second
	burst int
}

// window is the time an empty bucket takes to fill: the "w" of the
// RateLimit-Policy header.
func (p ratePolicy) window() time.Duration {
	return time.Duration(float64(p.burst) / p.rate * float64(time.Second))
}

type bucket struct {
	tokens float64
	at     time.Time
	policy ratePolicy
}

// rateDecision is the state of one key's bucket after a request.
type rateDecision struct {
	allowed   bool
	policy    ratePolicy
	remaining int // whole tokens left
	// next is the time until another token is available (0 when the
	// bucket is full): the "t" of the RateLimit header, which the draft
	// (-10) defines as the seconds until more quota is available. When
	// refused it is the Retry-After, so the two always agree.
	next time.Duration
}

// rateLimiter keeps one token bucket per key (a client id, or a remote
// address for failed logins). It is safe for concurrent use. Memory: one
// small entry per key seen; full buckets are dropped when the map grows.
type rateLimiter struct {
	def       ratePolicy
	overrides map[string]ratePolicy
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

// sweepAt is the map size that triggers dropping full buckets.
const sweepAt = 10_000

func newRateLimiter(def ratePolicy, overrides map[string]ratePolicy) *rateLimiter {
	return &rateLimiter{def: def, overrides: overrides, now: time.Now, buckets: map[string]*bucket{}}
}

func (l *rateLimiter) policy(key string) ratePolicy {
	if p, ok := l.overrides[key]; ok {
		return p
	}
	return l.def
}

// refill brings b up to now. Called with mu held.
func (b *bucket) refill(now time.Time) {
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = math.Min(float64(b.policy.burst), b.tokens+elapsed*b.policy.rate)
	}
	b.at = now
}

// take spends one token of key's bucket when there is one. The check and
// the spending are one step: concurrent requests cannot all see the last
// token.
func (l *rateLimiter) take(key string) rateDecision {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		p := l.policy(key)
		b = &bucket{tokens: float64(p.burst), at: now, policy: p}
		if len(l.buckets) >= sweepAt {
			l.sweep(now)
		}
		l.buckets[key] = b
	}
	b.refill(now)
	d := rateDecision{policy: b.policy, allowed: b.tokens >= 1}
	if d.allowed {
		b.tokens--
	}
	d.remaining = int(math.Floor(b.tokens))
	if b.tokens < float64(b.policy.burst) {
		d.next = seconds((float64(d.remaining) + 1 - b.tokens) / b.policy.rate)
	}
	return d
}

// refund gives back one token taken from key's bucket (a reserved attempt
// that did not count), never beyond the burst.
func (l *rateLimiter) refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		b.refill(l.now())
		b.tokens = math.Min(float64(b.policy.burst), b.tokens+1)
	}
}

// sweep drops buckets that are full again: forgetting them changes
// nothing. Called with mu held.
func (l *rateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		b.refill(now)
		if b.tokens >= float64(b.policy.burst) {
			delete(l.buckets, k)
		}
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// ceilSeconds rounds up to whole seconds, as the headers need.
func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// headers are the fields of draft-ietf-httpapi-ratelimit-headers
// (RateLimit-Policy: quota q per window w seconds; RateLimit: r requests
// remain, more is available in t seconds) and, when refused, Retry-After,
// which then equals t.
func (d rateDecision) headers(policyName string) map[string]string {
	h := map[string]string{
		"RateLimit-Policy": fmt.Sprintf("%q;q=%d;w=%d", policyName, d.policy.burst, max(ceilSeconds(d.policy.window()), 1)),
		"RateLimit":        fmt.Sprintf("%q;r=%d;t=%d", policyName, d.remaining, ceilSeconds(d.next)),
	}
	if !d.allowed {
		h["Retry-After"] = strconv.Itoa(max(ceilSeconds(d.next), 1))
	}
	return h
}

// Policy names in the headers: each client's request quota, and the
// failed secret checks of one client address.
const (
	clientPolicyName     = "client"
	failedAuthPolicyName = "failed_auth"
)

// rateLimitClients spends one token of the authenticated client's bucket
// per request and sends the RateLimit headers with every answer; an empty
// bucket is a 429 problem with Retry-After. onLimited, when set, counts
// refusals (metrics).
func (s *Server) rateLimitClients(l *rateLimiter, onLimited func(client string)) gin.HandlerFunc {
	return func(c *gin.Context) {
		client := c.GetString(ctxClientID)
		d := l.take(client)
		if !d.allowed {
			if onLimited != nil {
				onLimited(client)
			}
			s.refuseRate(c, d, clientPolicyName, fmt.Sprintf("client %s sends more than %d requests per %ds; retry later", client,
				d.policy.burst, max(ceilSeconds(d.policy.window()), 1)))
			return
		}
		for k, v := range d.headers(clientPolicyName) {
			c.Header(k, v)
		}
		c.Next()
	}
}

// refuseRate answers 429 with the rate-limit headers of policy and a
// Retry-After computed from the bucket (not the problem table's default).
func (s *Server) refuseRate(c *gin.Context, d rateDecision, policy, detail string) {
	h := d.headers(policy)
	for k, v := range h {
		c.Header(k, v)
	}
	kind := problemKinds[mapping.CodeRateLimited]
	s.requestLog(c).Info("request refused", zap.String("code", string(mapping.CodeRateLimited)), zap.String("detail", detail))
	retry, _ := strconv.Atoi(h["Retry-After"])
	s.writeProblem(c, ProblemDetail{
		Type:   problemTypeBase + string(mapping.CodeRateLimited),
		Title:  kind.title,
		Status: kind.status,
		Detail: detail,
		Code:   string(mapping.CodeRateLimited),
	}, retry)
}
