package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/kafka"
	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
)

// runConsume is `copycat consume`: the Kafka upload hook on its own,
// without the HTTP API. It runs until interrupted, then drains and commits.
func runConsume(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("consume")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: copycat consume --kafka-brokers HOST:PORT[,...] [flags]

Joins a Kafka consumer group, checks every upload announced on the uploads
topic and produces its verdict (keyed by upload id) to the verdicts topic.
Poison messages go to the dead-letter topic. Offsets are committed only
after the verdict is acknowledged, so nothing is lost across crashes.

flags:`)
		fs.PrintDefaults()
	}
	brokers := fs.String("kafka-brokers", env.envOr("COPYCAT_KAFKA_BROKERS", ""), "comma-separated Kafka bootstrap brokers (env COPYCAT_KAFKA_BROKERS)")
	topic := fs.String("topic", env.envOr("COPYCAT_KAFKA_TOPIC", kafka.DefaultTopic), "topic announcing uploads (env COPYCAT_KAFKA_TOPIC)")
	group := fs.String("group", env.envOr("COPYCAT_KAFKA_GROUP", kafka.DefaultGroup), "consumer group (env COPYCAT_KAFKA_GROUP)")
	verdicts := fs.String("verdicts-topic", env.envOr("COPYCAT_KAFKA_VERDICTS_TOPIC", kafka.DefaultVerdictsTopic), "topic receiving verdicts (env COPYCAT_KAFKA_VERDICTS_TOPIC)")
	dlq := fs.String("dlq-topic", env.envOr("COPYCAT_KAFKA_DLQ_TOPIC", kafka.DefaultDLQTopic), "dead-letter topic for poison messages (env COPYCAT_KAFKA_DLQ_TOPIC)")
	concurrency := fs.Int("concurrency", 0, "uploads checked at once across partitions (0: one per CPU)")
	localRoot := fs.String("local-root", env.envOr("COPYCAT_LOCAL_ROOT", ""), "directory local video_uri paths must lie under; empty refuses local paths (env COPYCAT_LOCAL_ROOT)")
	maxBytes := fs.Int64("max-video-bytes", kafka.DefaultMaxVideoBytes, "largest video accepted, local or downloaded")
	fetchTimeout := fs.Duration("fetch-timeout", kafka.DefaultFetchTimeout, "time limit of one download attempt")
	metricsAddr := fs.String("metrics-addr", env.envOr("COPYCAT_METRICS_ADDR", ""), "serve Prometheus metrics on this address, e.g. 127.0.0.1:9464 (env COPYCAT_METRICS_ADDR)")
	dataDir, db := env.storeFlags(fs)
	indexURL := env.indexFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "copycat consume: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	list := splitList(*brokers)
	if len(list) == 0 {
		fmt.Fprintln(env.Stderr, "copycat consume: --kafka-brokers (or COPYCAT_KAFKA_BROKERS) is required")
		return errUsage
	}
	if *localRoot != "" {
		abs, err := filepath.Abs(*localRoot)
		if err != nil {
			return models.WrapError(models.EInvalid, err, "--local-root")
		}
		*localRoot = abs
	}

	proc, closeProc, err := newUploadProcessor(ctx, env, *dataDir, *db, *indexURL)
	if err != nil {
		return err
	}
	defer closeProc()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	c, err := kafka.New(kafka.Config{
		Brokers: list, Topic: *topic, Group: *group, VerdictsTopic: *verdicts, DLQTopic: *dlq,
		Concurrency: *concurrency,
		Fetcher: &kafka.Fetcher{
			MaxBytes: *maxBytes, Timeout: *fetchTimeout, LocalRoot: *localRoot,
			Client: &http.Client{Transport: http.DefaultTransport},
		},
		Registry: reg,
		Log:      env.Log,
	}, proc)
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		stop, err := serveMetrics(env, *metricsAddr, reg)
		if err != nil {
			return err
		}
		defer stop()
	}
	return c.Run(ctx)
}

// newUploadProcessor builds the Processor the hook checks uploads with: the
// embedded (or --index) index, the claims store (--db: SQLite under dataDir
// by default, or PostgreSQL) and the pipeline's UploadService, acting as the
// pipeline principal. The returned function closes what it opened.
func newUploadProcessor(ctx context.Context, env *Env, dataDir, db, indexURL string) (kafka.Processor, func(), error) {
	idx, err := openServerIndex(ctx, env, dataDir, indexURL)
	if err != nil {
		return nil, nil, fmt.Errorf("open index: %w", err)
	}
	store, err := openServeStore(ctx, dataDir, db)
	if err != nil {
		idx.Close()
		return nil, nil, fmt.Errorf("open claims store: %w", err)
	}
	closeAll := func() {
		if err := store.Close(); err != nil {
			env.Log.Warn("close claims store", "err", err)
		}
		if err := idx.Close(); err != nil {
			env.Log.Warn("close index", "err", err)
		}
	}
	svc, err := claims.New(claims.Config{Store: store, Log: env.Log})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	checker, err := pipeline.New(pipeline.Config{Index: idx, Log: env.Log})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	uploads := pipeline.NewUploadService(checker, svc, pipeline.UploadLimits{}, env.Log)
	return uploadProcessor{svc: uploads, as: models.Principal{Role: models.RolePipeline, Name: "kafka"}}, closeAll, nil
}

// uploadProcessor adapts pipeline.UploadService to kafka.Processor.
type uploadProcessor struct {
	svc *pipeline.UploadService
	as  models.Principal
}

func (p uploadProcessor) Process(ctx context.Context, u models.Upload, path string) (models.UploadResult, error) {
	res, _, err := p.svc.Check(ctx, p.as, u, path)
	return res, err
}

// serveMetrics serves reg on addr/metrics until the returned function runs.
func serveMetrics(env *Env, addr string, reg *prometheus.Registry) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, models.WrapError(models.EInvalid, err, "--metrics-addr %s", addr)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			env.Log.Error("metrics server", "err", err)
		}
	}()
	env.Log.Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
