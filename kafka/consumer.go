// Package kafka is copycat's upload hook on Apache Kafka: a consumer group
// that reads upload announcements, checks each upload through a Processor
// and produces the verdict, keyed by upload id, to a verdicts topic.
//
// Delivery is at least once and nothing is lost: an offset is committed only
// once the verdict (or, for a poison message, the dead letter) of that record
// and of every earlier record of its partition has been acknowledged by the
// broker. A crash, a shutdown or a rebalance therefore leads at worst to a
// record being processed again; the Processor is idempotent per upload id,
// so the redelivered upload gets the same verdict and opens no second claim.
//
// franz-go types (kgo.Record, kgo.Client) stay inside this package.
package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/copycat-video/copycat/models"
)

// Processor checks one upload: fingerprint, search, decide, open claims and
// record the upload so that later re-uploads are caught. It must be
// idempotent per upload id: called again for an id it has finished, it
// returns the stored result and changes nothing.
//
// u is the upload as announced (VideoURI is the original URI); path is the
// local file holding the video, a temporary download for remote URIs that
// is removed after Process returns. pipeline.UploadService.Check has this
// shape.
//
// Errors are classified by their models code: EUnavailable (and context
// errors while the consumer is still running) are transient and retried
// without limit; EInternal is retried a few times and then dead-lettered;
// every other code (EInvalid for a non-video file, ETooLarge, …) is
// dead-lettered at once.
type Processor interface {
	Process(ctx context.Context, u models.Upload, path string) (models.UploadResult, error)
}

// Topic and group names used when Config leaves them empty.
const (
	DefaultTopic         = "uploads"
	DefaultGroup         = "copycat"
	DefaultVerdictsTopic = "upload-verdicts"
	DefaultDLQTopic      = "uploads.dlq"
)

// Config configures a Consumer. Only Brokers is required.
type Config struct {
	Brokers       []string
	Topic         string // uploads to read; DefaultTopic
	Group         string // consumer group; DefaultGroup
	VerdictsTopic string // where verdicts go; DefaultVerdictsTopic
	DLQTopic      string // where poison messages go; DefaultDLQTopic
	ClientID      string // shown in broker logs; "copycat"

	// Concurrency bounds the uploads in flight across all partitions; it is
	// also the most records fetched from the client at once, so nothing
	// beyond it is buffered by us. Default: GOMAXPROCS.
	Concurrency int
	// InternalAttempts is how often an upload failing with EInternal is
	// tried before it is dead-lettered. Default 3.
	InternalAttempts int
	// RetryBackoff is the first wait before retrying a failed attempt
	// (processing or producing); it doubles up to MaxRetryBackoff.
	// Defaults 500 ms and 30 s.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// DrainTimeout bounds how long a shutdown waits for uploads in flight
	// before abandoning them (they are redelivered). Default 30 s.
	DrainTimeout time.Duration
	// RevokeTimeout bounds how long a rebalance waits for the uploads in
	// flight on revoked partitions; it must stay below the group's
	// rebalance timeout (60 s). Default 20 s.
	RevokeTimeout time.Duration
	// CommitTimeout bounds the commit on a revocation and at shutdown.
	// Default 10 s.
	CommitTimeout time.Duration

	// Fetcher resolves video_uri; nil means a Fetcher with defaults that
	// accepts http(s) URLs only.
	Fetcher *Fetcher
	// Registry receives the consumer's metrics; nil means they are kept in
	// a private registry nobody scrapes.
	Registry prometheus.Registerer
	// Log receives operational messages; nil discards them.
	Log *slog.Logger

	// opts are extra franz-go options (tests shorten timeouts with them).
	opts []kgo.Opt
}

func (c *Config) setDefaults() error {
	if len(c.Brokers) == 0 {
		return models.Errorf(models.EInvalid, "kafka: no brokers configured")
	}
	for _, b := range c.Brokers {
		if strings.TrimSpace(b) == "" || strings.ContainsAny(b, " \t/") {
			return models.Errorf(models.EInvalid, "kafka: bad broker address %q (want host:port)", b)
		}
	}
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&c.Topic, DefaultTopic)
	def(&c.Group, DefaultGroup)
	def(&c.VerdictsTopic, DefaultVerdictsTopic)
	def(&c.DLQTopic, DefaultDLQTopic)
	def(&c.ClientID, "copycat")
	if c.Topic == c.VerdictsTopic || c.Topic == c.DLQTopic || c.VerdictsTopic == c.DLQTopic {
		return models.Errorf(models.EInvalid, "kafka: uploads, verdicts and dead-letter topics must differ (%q, %q, %q)", c.Topic, c.VerdictsTopic, c.DLQTopic)
	}
	if c.Concurrency <= 0 {
		c.Concurrency = runtime.GOMAXPROCS(0)
	}
	if c.InternalAttempts <= 0 {
		c.InternalAttempts = 3
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 500 * time.Millisecond
	}
	if c.MaxRetryBackoff < c.RetryBackoff {
		c.MaxRetryBackoff = max(30*time.Second, c.RetryBackoff)
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 30 * time.Second
	}
	if c.RevokeTimeout <= 0 {
		c.RevokeTimeout = 20 * time.Second
	}
	if c.CommitTimeout <= 0 {
		c.CommitTimeout = 10 * time.Second
	}
	if c.Fetcher == nil {
		c.Fetcher = &Fetcher{}
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Consumer is the upload hook. Create it with New and call Run once.
type Consumer struct {
	cfg  Config
	proc Processor
	log  *slog.Logger
	m    *metrics
	tr   *tracker
	keys keyLocks

	started atomic.Bool
	cl      *kgo.Client
	sem     chan struct{} // one token per upload in flight
	wg      sync.WaitGroup
	kick    chan struct{} // asks the committer to commit

	// commitMu serialises commits with revocations so that no commit of a
	// partition is issued after the partition was handed over.
	commitMu sync.Mutex

	mu       sync.Mutex
	workCtx  context.Context
	partCtxs map[tp]context.CancelFunc
	parts    map[tp]context.Context
}

// New checks cfg and returns a Consumer; it does not connect yet.
func New(cfg Config, proc Processor) (*Consumer, error) {
	if proc == nil {
		return nil, models.Errorf(models.EInvalid, "kafka: no processor")
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry, cfg.Group)
	if err != nil {
		return nil, err
	}
	return &Consumer{
		cfg:      cfg,
		proc:     proc,
		log:      cfg.Log.With("component", "kafka", "group", cfg.Group, "topic", cfg.Topic),
		m:        m,
		tr:       newTracker(),
		keys:     keyLocks{m: make(map[string]chan struct{})},
		sem:      make(chan struct{}, cfg.Concurrency),
		kick:     make(chan struct{}, 1),
		partCtxs: make(map[tp]context.CancelFunc),
		parts:    make(map[tp]context.Context),
	}, nil
}

// Run joins the group and processes uploads until ctx is cancelled, then
// shuts down gracefully: it stops fetching, lets the uploads in flight
// finish (up to DrainTimeout; the rest are redelivered later), commits what
// is done and leaves the group. It returns nil after a shutdown caused by
// ctx, or the error that stopped it.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return models.Errorf(models.EInvalid, "kafka: Run called twice")
	}
	// Work outlives ctx so that a shutdown can drain instead of aborting.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	c.mu.Lock()
	c.workCtx = workCtx
	c.mu.Unlock()

	opts := []kgo.Opt{
		kgo.SeedBrokers(c.cfg.Brokers...),
		kgo.ClientID(c.cfg.ClientID),
		kgo.WithLogger(kgoLogger{c.log}),
		kgo.ConsumerGroup(c.cfg.Group),
		kgo.ConsumeTopics(c.cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		// No poll result is ever half-dispatched when a rebalance runs: the
		// loop only polls as many records as it has free workers and hands
		// them all out before allowing the rebalance.
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(c.onAssigned),
		kgo.OnPartitionsRevoked(c.onRevoked),
		kgo.OnPartitionsLost(c.onLost),
		// Upload announcements are small; a few MiB of prefetched records
		// keep the workers fed without holding thousands in memory.
		kgo.FetchMaxBytes(8 << 20),
		kgo.FetchMaxPartitionBytes(1 << 20),
		// A verdict is on its way as soon as it exists; batching happens
		// anyway while a produce request is in flight.
		kgo.ProducerLinger(0),
	}
	opts = append(opts, c.cfg.opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return models.WrapError(models.EInvalid, err, "kafka: client")
	}
	c.cl = cl

	commitCtx, stopCommitter := context.WithCancel(workCtx)
	committerDone := make(chan struct{})
	go func() {
		defer close(committerDone)
		c.committer(commitCtx)
	}()

	c.log.Info("consuming", "brokers", strings.Join(c.cfg.Brokers, ","), "concurrency", c.cfg.Concurrency)
	c.poll(ctx)

	// Shutdown: drain, commit, leave.
	c.log.Info("shutting down", "in_flight", len(c.sem))
	drained := make(chan struct{})
	go func() { c.wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(c.cfg.DrainTimeout):
		c.log.Warn("drain timeout: abandoning uploads in flight; they will be redelivered", "in_flight", len(c.sem))
		cancelWork()
		<-drained
	}
	stopCommitter()
	<-committerDone
	finalCtx, cancelFinal := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.CommitTimeout)
	if err := c.commit(finalCtx, nil); err != nil {
		c.log.Warn("final commit failed; uncommitted uploads will be redelivered", "err", err)
	}
	cancelFinal()
	// Leaving the group runs onRevoked once more, which finds nothing left.
	cl.CloseAllowingRebalance()
	c.log.Info("stopped")
	return nil
}

// poll fetches records while workers are free and dispatches them.
func (c *Consumer) poll(ctx context.Context) {
	for {
		// Take a worker before polling so that a poll never returns more
		// than can start at once: the client's bounded fetch buffer is the
		// only queue, which is the backpressure.
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	more:
		for n < c.cfg.Concurrency {
			select {
			case c.sem <- struct{}{}:
				n++
			default:
				break more
			}
		}
		fetches := c.cl.PollRecords(ctx, n)
		if fetches.IsClientClosed() {
			c.release(n)
			return
		}
		errored := false
		fetches.EachError(func(topic string, partition int32, err error) {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
			errored = true
			c.log.Warn("fetch error", "fetch_topic", topic, "partition", partition, "err", err)
		})
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			c.tr.setHighWatermark(tp{p.Topic, p.Partition}, p.HighWatermark)
		})
		used := 0
		fetches.EachRecord(func(r *kgo.Record) {
			p := tp{r.Topic, r.Partition}
			st := c.tr.dispatch(p, r.Offset, r.LeaderEpoch)
			if st == nil {
				return
			}
			used++
			c.wg.Add(1)
			c.m.inflight.Inc()
			go c.handle(c.partCtx(p), st, r)
		})
		c.release(n - used)
		c.cl.AllowRebalance()
		c.updateLag()
		if ctx.Err() != nil {
			return
		}
		if errored && used == 0 {
			// Avoid spinning on a broker that keeps failing.
			_ = sleep(ctx, c.cfg.RetryBackoff)
		}
	}
}

func (c *Consumer) release(n int) {
	for range n {
		<-c.sem
	}
}

// partCtx returns the context of work on partition p: cancelled when p is
// lost or its revocation times out, and at the end of a drain.
func (c *Consumer) partCtx(p tp) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ctx, ok := c.parts[p]; ok {
		return ctx
	}
	return c.workCtx
}

func (c *Consumer) onAssigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for topic, ps := range assigned {
		for _, part := range ps {
			p := tp{topic, part}
			c.tr.assign(p)
			if _, ok := c.parts[p]; !ok {
				ctx, cancel := context.WithCancel(c.workCtx)
				c.parts[p], c.partCtxs[p] = ctx, cancel
			}
		}
	}
	c.log.Info("partitions assigned", "partitions", fmt.Sprint(assigned))
}

func (c *Consumer) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	if len(revoked) > 0 {
		c.log.Info("partitions revoked", "partitions", fmt.Sprint(revoked))
	}
	c.handOver(ctx, revoked, true)
}

func (c *Consumer) onLost(ctx context.Context, _ *kgo.Client, lost map[string][]int32) {
	if len(lost) > 0 {
		c.log.Warn("partitions lost; uploads in flight on them will be redelivered to their new owner", "partitions", fmt.Sprint(lost))
	}
	c.handOver(ctx, lost, false)
}

// handOver stops work on partitions we no longer own. On a revocation the
// uploads in flight may finish (up to RevokeTimeout) and what is done is
// committed; on a loss we cannot commit, so work is cancelled at once.
func (c *Consumer) handOver(ctx context.Context, parts map[string][]int32, commit bool) {
	only := make(map[tp]bool)
	for topic, ps := range parts {
		for _, part := range ps {
			p := tp{topic, part}
			only[p] = true
			c.tr.revoke(p)
			if !commit {
				c.cancelPart(p)
			}
		}
	}
	timeout := time.NewTimer(c.cfg.RevokeTimeout)
	defer timeout.Stop()
	for p := range only {
		ch := c.tr.waitChan(p)
		if ch == nil {
			continue
		}
		select {
		case <-ch:
		case <-timeout.C:
			c.log.Warn("revocation timeout: abandoning uploads in flight", "fetch_topic", p.topic, "partition", p.partition)
			for q := range only {
				c.cancelPart(q)
			}
			<-ch
		}
	}
	if commit {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.CommitTimeout)
		defer cancel()
		if err := c.commit(ctx, only); err != nil {
			c.log.Warn("commit on revocation failed; the new owner will redo those uploads", "err", err)
		}
	}
	c.commitMu.Lock()
	for p := range only {
		c.tr.forget(p)
		c.m.dropLag(p)
		c.cancelPart(p)
		c.mu.Lock()
		delete(c.parts, p)
		delete(c.partCtxs, p)
		c.mu.Unlock()
	}
	c.commitMu.Unlock()
}

func (c *Consumer) cancelPart(p tp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cancel, ok := c.partCtxs[p]; ok {
		cancel()
	}
}

// handle processes one record to the end: a verdict or a dead letter
// acknowledged by the broker (done), or abandoned because its context
// ended (it will be redelivered).
func (c *Consumer) handle(ctx context.Context, st *partState, r *kgo.Record) {
	defer c.wg.Done()
	defer func() { <-c.sem }()
	defer c.m.inflight.Dec()
	start := time.Now()
	out, verdict := c.outcome(ctx, r)
	done := out != nil && c.produce(ctx, out)
	if done {
		c.m.latency.Observe(time.Since(start).Seconds())
		if verdict != "" {
			c.m.processed.WithLabelValues(verdict).Inc()
		}
	}
	if c.tr.finish(st, r.Offset, done) {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// outcome decides what to produce for r: the verdict record (and its
// decision) or a dead-letter record. It returns nil when ctx ended first.
func (c *Consumer) outcome(ctx context.Context, r *kgo.Record) (*kgo.Record, string) {
	u, err := ParseUpload(r.Value, r.Timestamp)
	if err != nil {
		return c.deadLetter(r, StageParse, err, 1), ""
	}
	unlock, err := c.keys.lock(ctx, u.ID)
	if err != nil {
		return nil, ""
	}
	defer unlock()

	path, cleanup, err := c.cfg.Fetcher.Fetch(ctx, u.VideoURI)
	if ctx.Err() != nil {
		cleanup()
		return nil, ""
	}
	if err != nil {
		// The fetcher already retried what was worth retrying.
		c.m.failed.WithLabelValues(StageFetch, models.ErrorCode(err)).Inc()
		return c.deadLetter(r, StageFetch, err, 1), ""
	}
	defer cleanup()

	backoff := c.cfg.RetryBackoff
	for attempt, internal := 1, 0; ; attempt++ {
		res, err := c.proc.Process(ctx, u, path)
		if err == nil && res.Upload.ID != u.ID {
			err = models.Errorf(models.EInternal, "processor answered for upload %q instead of %q", res.Upload.ID, u.ID)
		}
		if err == nil {
			value, err := json.Marshal(res)
			if err != nil {
				return c.deadLetter(r, StageProcess, models.WrapError(models.EInternal, err, "encode verdict"), attempt), ""
			}
			return &kgo.Record{Topic: c.cfg.VerdictsTopic, Key: []byte(u.ID), Value: value}, string(res.Verdict.Verdict)
		}
		if ctx.Err() != nil {
			return nil, ""
		}
		code := models.ErrorCode(err)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			code = models.EUnavailable // the processor's own deadline, not ours
		}
		c.m.failed.WithLabelValues(StageProcess, code).Inc()
		switch code {
		case models.EUnavailable:
		case models.EInternal:
			internal++
			if internal >= c.cfg.InternalAttempts {
				return c.deadLetter(r, StageProcess, err, attempt), ""
			}
		default:
			return c.deadLetter(r, StageProcess, err, attempt), ""
		}
		c.log.Warn("upload failed; retrying", "upload_id", u.ID, "attempt", attempt, "code", code, "err", err)
		if sleep(ctx, backoff) != nil {
			return nil, ""
		}
		backoff = min(2*backoff, c.cfg.MaxRetryBackoff)
	}
}

// deadLetter builds the dead-letter record for r: the original key and
// value, the reason in headers.
func (c *Consumer) deadLetter(r *kgo.Record, stage string, err error, attempts int) *kgo.Record {
	d := DeadLetter{
		Stage: stage, Code: models.ErrorCode(err), Error: err.Error(),
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Attempts: attempts, FailedAt: time.Now(),
	}
	c.m.dlq.WithLabelValues(stage, d.Code).Inc()
	c.log.Warn("dead-lettering upload", "stage", stage, "code", d.Code, "partition", r.Partition, "offset", r.Offset, "err", err)
	out := &kgo.Record{Topic: c.cfg.DLQTopic, Key: r.Key, Value: r.Value}
	for _, h := range d.headers() {
		out.Headers = append(out.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(h[1])})
	}
	return out
}

// produce writes rec and waits for the broker's acknowledgement, retrying
// until it succeeds or ctx ends: an unacknowledged verdict must not let the
// offset be committed, and giving up would lose the upload.
func (c *Consumer) produce(ctx context.Context, rec *kgo.Record) bool {
	backoff := c.cfg.RetryBackoff
	for {
		// A fresh record per attempt: the client owns a record once produced.
		r := &kgo.Record{Topic: rec.Topic, Key: rec.Key, Value: rec.Value, Headers: rec.Headers}
		err := c.cl.ProduceSync(ctx, r).FirstErr()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		c.m.failed.WithLabelValues("produce", models.EUnavailable).Inc()
		c.log.Warn("produce failed; retrying", "to_topic", rec.Topic, "err", err)
		if sleep(ctx, backoff) != nil {
			return false
		}
		backoff = min(2*backoff, c.cfg.MaxRetryBackoff)
	}
}

// committer commits whenever a partition's committable offset moves,
// coalescing bursts into one request; a failed commit is retried later.
func (c *Consumer) committer(ctx context.Context) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-retry.C:
		}
		if err := c.commit(ctx, nil); err != nil && ctx.Err() == nil {
			c.log.Warn("commit failed; retrying", "err", err)
			retry.Reset(c.cfg.RetryBackoff)
		}
	}
}

// commit commits the committable offsets of the tracked partitions (only
// those in only, when it is not nil) and waits for the coordinator.
func (c *Consumer) commit(ctx context.Context, only map[tp]bool) error {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	offs := c.tr.uncommitted(only)
	if len(offs) == 0 {
		return nil
	}
	req := make(map[string]map[int32]kgo.EpochOffset)
	for _, o := range offs {
		if req[o.topic] == nil {
			req[o.topic] = make(map[int32]kgo.EpochOffset)
		}
		req[o.topic][o.partition] = kgo.EpochOffset{Epoch: o.epoch, Offset: o.offset}
	}
	var errs []error
	c.cl.CommitOffsetsSync(ctx, req, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					errs = append(errs, fmt.Errorf("%s/%d: %w", t.Topic, p.Partition, err))
					continue
				}
				if eo, ok := req[t.Topic][p.Partition]; ok {
					c.tr.committed(tp{t.Topic, p.Partition}, eo.Offset)
				}
			}
		}
	})
	c.updateLag()
	if len(errs) > 0 {
		c.m.commitErrs.Inc()
		return fmt.Errorf("commit offsets: %w", errors.Join(errs...))
	}
	c.m.commits.Inc()
	return nil
}

func (c *Consumer) updateLag() {
	// The client knows what the group had committed when we joined; it
	// gives idle partitions a lag before we have handled any record.
	group := make(map[tp]int64)
	for topic, ps := range c.cl.CommittedOffsets() {
		for part, eo := range ps {
			group[tp{topic, part}] = eo.Offset
		}
	}
	for p, l := range c.tr.lag(group) {
		c.m.setLag(p, l)
	}
}

// keyLocks serialises work on one upload id: two records for the same id
// (a producer retry, a re-announcement) must not be checked at the same
// time, or both could open a claim before either is recorded.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func (k *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	for {
		k.mu.Lock()
		ch, busy := k.m[key]
		if !busy {
			ch = make(chan struct{})
			k.m[key] = ch
			k.mu.Unlock()
			return func() {
				k.mu.Lock()
				delete(k.m, key)
				k.mu.Unlock()
				close(ch)
			}, nil
		}
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// kgoLogger sends franz-go's log lines to slog; its chatty info level
// (joins, heartbeats, assignments) goes to debug.
type kgoLogger struct{ log *slog.Logger }

func (l kgoLogger) Level() kgo.LogLevel {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelInfo
	}
	return kgo.LogLevelWarn
}

func (l kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		lv = slog.LevelError
	case kgo.LogLevelWarn:
		lv = slog.LevelWarn
	}
	l.log.Log(context.Background(), lv, "franz-go: "+msg, keyvals...)
}
