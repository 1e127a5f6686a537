package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// metricsNamespace prefixes every metric the proxy exports.
const metricsNamespace = "g2p_proxy"

// Label values used when the real value would be unbounded or absent.
const (
	routeUnmatched = "unmatched" // no route matched: the raw path is never a label
	methodOther    = "OTHER"     // a method no route uses
	outcomeOK      = "ok"
	outcomeError   = "error" // an error that is not an *odoo.Error
)

// Metrics are the proxy's Prometheus collectors, in a registry of their own
// (never the process-global default, so two servers in one test binary do
// not collide). Labels hold route templates, model and method names and
// outcome kinds only: never a raw path, an account number or a name.
// Build it with NewMetrics before the Odoo client, whose Config.Observe is
// ObserveOdoo.
type Metrics struct {
	registry *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	odooCalls    *prometheus.CounterVec
	odooDuration *prometheus.HistogramVec

	idempotencyReplays prometheus.Counter
	rateLimited        *prometheus.CounterVec
}

// latencyBuckets cover a cached answer (sub-millisecond) to Odoo's own
// slowest retried transactions (tens of seconds).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// NewMetrics creates the collectors and registers them, with the Go runtime
// and process collectors, in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from receiving a request to answering it, by route template and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		odooCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: "odoo", Name: "calls_total",
			Help: "Odoo execute_kw calls, by model, method and outcome (ok or the error kind).",
		}, []string{"model", "method", "outcome"}),
		odooDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Subsystem: "odoo", Name: "call_duration_seconds",
			Help:    "Duration of Odoo execute_kw calls, by model and method.",
			Buckets: latencyBuckets,
		}, []string{"model", "method"}),
		idempotencyReplays: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "idempotency_replays_total",
			Help: "Requests answered from the idempotency store instead of being executed again.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "rate_limited_total",
			Help: "Requests refused with 429, by policy (client: a client's request quota; failed_auth: " +
				"an address's failed authentications) and client id (as configured, never a key; empty for failed_auth).",
		}, []string{"policy", "client"}),
	}
	// Present from the start, so that an alert on credential guessing has
	// a series to watch before the first refusal.
	m.rateLimited.WithLabelValues(failedAuthPolicyName, "")
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.httpInFlight,
		m.odooCalls, m.odooDuration,
		m.idempotencyReplays, m.rateLimited,
	)
	return m
}

// Registry returns the registry the metrics live in, for collectors that
// other packages add (e.g. a circuit breaker's state).
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the metrics in the Prometheus text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry, EnableOpenMetrics: true})
}

// knownMethods are the HTTP methods kept as label values; anything else a
// client invents becomes methodOther, so it cannot grow the series count.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// observeHTTP is gin middleware recording every request under its route
// template (gin's FullPath, e.g. /api/v1/registry/individual/:id).
func (m *Metrics) observeHTTP(c *gin.Context) {
	start := time.Now()
	m.httpInFlight.Inc()
	defer m.httpInFlight.Dec()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = routeUnmatched
	}
	method := c.Request.Method
	if !knownMethods[method] {
		method = methodOther
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
}

// ObserveOdoo records one execute_kw call; it has the signature of
// odoo.Config.Observe. The outcome is "ok" or the error's odoo.Kind.
func (m *Metrics) ObserveOdoo(model, method string, d time.Duration, err error) {
	outcome := outcomeOK
	if err != nil {
		outcome = outcomeError
		if e, ok := odoo.AsError(err); ok {
			outcome = string(e.Kind)
		}
	}
	m.odooCalls.WithLabelValues(model, method, outcome).Inc()
	m.odooDuration.WithLabelValues(model, method).Observe(d.Seconds())
}

// IdempotencyReplay counts one request answered from the idempotency store.
func (m *Metrics) IdempotencyReplay() { m.idempotencyReplays.Inc() }

// RateLimited counts one request of client refused with 429 by its quota.
func (m *Metrics) RateLimited(client string) {
	m.rateLimited.WithLabelValues(clientPolicyName, client).Inc()
}

// FailedAuthLimited counts one request refused with 429 because its
// address failed authentication too often. No client is known; the address
// is no label (unbounded, and personal data).
func (m *Metrics) FailedAuthLimited() { m.rateLimited.WithLabelValues(failedAuthPolicyName, "").Inc() }

// CacheStats are a cache's counters since start and its current size.
type CacheStats struct {
	Hits, Misses uint64
	Size         int
}

// RegisterCache exports a cache's hits, misses and size as
// g2p_proxy_<name>_cache_{hits_total,misses_total,entries}; stats is called
// at every scrape and must be cheap and safe for concurrent use.
func (m *Metrics) RegisterCache(name, help string, stats func() CacheStats) {
	m.registry.MustRegister(&cacheCollector{
		stats:  stats,
		hits:   prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, name+"_cache", "hits_total"), "Lookups answered by the "+help+" cache.", nil, nil),
		misses: prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, name+"_cache", "misses_total"), "Lookups the "+help+" cache could not answer.", nil, nil),
		size:   prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, name+"_cache", "entries"), "Entries in the "+help+" cache.", nil, nil),
	})
}

// cacheCollector reads one snapshot of a cache's stats per scrape, so the
// three values agree with each other.
type cacheCollector struct {
	stats              func() CacheStats
	hits, misses, size *prometheus.Desc
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.hits
	ch <- c.misses
	ch <- c.size
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(s.Size))
}

// circuitStates are the states of odoo.CircuitState, one series each.
var circuitStates = []string{odoo.CircuitClosed, odoo.CircuitOpen, odoo.CircuitHalfOpen}

// RegisterCircuit exports the Odoo client's circuit breaker as
// g2p_proxy_odoo_circuit_state{state} (1 for the current state, 0 for the
// others) and g2p_proxy_odoo_circuit_failures (consecutive failures
// counted). state is called at every scrape.
func (m *Metrics) RegisterCircuit(state func() odoo.CircuitState) {
	m.registry.MustRegister(&circuitCollector{
		state:    state,
		stateDsc: prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, "odoo", "circuit_state"), "State of the circuit breaker in front of Odoo: 1 for the current state.", []string{"state"}, nil),
		failDsc:  prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, "odoo", "circuit_failures"), "Consecutive Odoo calls that got no answer, as the circuit breaker counts them.", nil, nil),
	})
}

type circuitCollector struct {
	state             func() odoo.CircuitState
	stateDsc, failDsc *prometheus.Desc
}

func (c *circuitCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.stateDsc
	ch <- c.failDsc
}

func (c *circuitCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.state()
	for _, name := range circuitStates {
		v := 0.0
		if s.State == name {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.stateDsc, prometheus.GaugeValue, v, name)
	}
	ch <- prometheus.MustNewConstMetric(c.failDsc, prometheus.GaugeValue, float64(s.Failures))
}

// metricsServerTimeout bounds each phase of a scrape on the separate
// metrics listener; a scrape is small.
const metricsServerTimeout = 10 * time.Second

// ServeMetrics serves only the metrics on ln (the separate metrics.listen
// address) until ctx is cancelled, then closes. It returns nil after a
// clean shutdown.
func (m *Metrics) ServeMetrics(ctx context.Context, ln net.Listener, log *zap.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: metricsServerTimeout,
		ReadTimeout:       metricsServerTimeout,
		WriteTimeout:      metricsServerTimeout,
		ErrorLog:          zap.NewStdLog(log.Named("metrics")),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("metrics listening", zap.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return fmt.Errorf("metrics: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), metricsServerTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}
