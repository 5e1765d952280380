package kafka

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the consumer's Prometheus collectors, registered on the
// registry the caller passes in (never the global one).
type metrics struct {
	lag        *prometheus.GaugeVec
	processed  *prometheus.CounterVec
	failed     *prometheus.CounterVec
	dlq        *prometheus.CounterVec
	latency    prometheus.Histogram
	inflight   prometheus.Gauge
	commits    prometheus.Counter
	commitErrs prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, group string) (*metrics, error) {
	labels := prometheus.Labels{"group": group}
	m := &metrics{
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "copycat_kafka_consumer_lag", ConstLabels: labels,
			Help: "Records between the group's committed offset and the partition's high watermark.",
		}, []string{"topic", "partition"}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "copycat_kafka_uploads_processed_total", ConstLabels: labels,
			Help: "Uploads whose verdict was acknowledged by the broker, by decision.",
		}, []string{"verdict"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "copycat_kafka_upload_failures_total", ConstLabels: labels,
			Help: "Failed attempts at an upload (retried or dead-lettered), by stage and error code.",
		}, []string{"stage", "code"}),
		dlq: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "copycat_kafka_uploads_dead_lettered_total", ConstLabels: labels,
			Help: "Uploads sent to the dead-letter topic, by stage and error code.",
		}, []string{"stage", "code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "copycat_kafka_processing_seconds", ConstLabels: labels,
			Help:    "Time from picking up an upload to the broker acknowledging its verdict or dead letter.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 15), // 10 ms … ~5.5 min
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "copycat_kafka_uploads_in_flight", ConstLabels: labels,
			Help: "Uploads being processed right now.",
		}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "copycat_kafka_offset_commits_total", ConstLabels: labels,
			Help: "Offset commits acknowledged by the group coordinator.",
		}),
		commitErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "copycat_kafka_offset_commit_errors_total", ConstLabels: labels,
			Help: "Offset commits that failed (the offsets are committed again later).",
		}),
	}
	for _, c := range []prometheus.Collector{m.lag, m.processed, m.failed, m.dlq, m.latency, m.inflight, m.commits, m.commitErrs} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register kafka metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) setLag(p tp, lag int64) {
	m.lag.WithLabelValues(p.topic, strconv.Itoa(int(p.partition))).Set(float64(lag))
}

func (m *metrics) dropLag(p tp) {
	m.lag.DeleteLabelValues(p.topic, strconv.Itoa(int(p.partition)))
}
