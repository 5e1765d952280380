package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus series, registered on the registry
// the caller passes in (no global default registry).
type metrics struct {
	requests *prometheus.CounterVec   // by route pattern, method, status
	latency  *prometheus.HistogramVec // by route pattern, method
	checks   *prometheus.CounterVec   // uploads:check outcomes
	verdicts *prometheus.CounterVec   // by decision
	inflight prometheus.Gauge         // checks running now
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "copycat", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "copycat", Subsystem: "http", Name: "request_duration_seconds",
			Help: "HTTP request latency by route pattern and method.",
			// From cached reads (ms) to checks of long uploads (tens of s).
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "method"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "copycat", Name: "upload_checks_total",
			Help: "Upload checks by outcome: checked (new), replayed (idempotent repeat) or failed.",
		}, []string{"outcome"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "copycat", Name: "verdicts_total",
			Help: "Verdicts of new upload checks by decision.",
		}, []string{"decision"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "copycat", Name: "upload_checks_in_flight",
			Help: "Upload checks running now.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.checks, m.verdicts, m.inflight} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// StatsCollector exposes gauges computed at scrape time from a callback: the
// index size and the number of claims per state. Reading them on scrape
// instead of updating them on every write keeps them correct when another
// process (the CLI, the Kafka consumer) changes the data.
type StatsCollector struct {
	desc    *prometheus.Desc
	label   string
	read    func(ctx context.Context) (map[string]float64, error)
	timeout time.Duration
}

// NewStatsCollector returns a collector of the gauge name (with help) with
// one series per key of what read returns, labelled label. Errors are
// reported to Prometheus as an invalid metric so the scrape shows them.
func NewStatsCollector(name, help, label string, read func(ctx context.Context) (map[string]float64, error)) *StatsCollector {
	return &StatsCollector{
		desc:    prometheus.NewDesc(name, help, []string{label}, nil),
		label:   label,
		read:    read,
		timeout: 5 * time.Second,
	}
}

// Describe implements prometheus.Collector.
func (c *StatsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *StatsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	vals, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for k, v := range vals {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, k)
	}
}

// statusRecorder remembers the status a handler wrote, for the request
// counter.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 before the first body bytes.
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// instrument counts and times requests under the route pattern (never the
// raw path, whose ids would explode the label cardinality).
func (s *Server) instrument(pattern string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			s.metrics.latency.WithLabelValues(pattern, r.Method).Observe(time.Since(start).Seconds())
			s.metrics.requests.WithLabelValues(pattern, r.Method, strconv.Itoa(rec.status)).Inc()
		}()
		next.ServeHTTP(rec, r)
	})
}
