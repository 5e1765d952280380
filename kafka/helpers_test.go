package kafka

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/copycat-video/copycat/models"
)

// videoMagic starts every file hashProcessor accepts as a video.
const videoMagic = "COPYCAT-TEST-VIDEO\n"

// hashProcessor is a small working Processor with the contract of the real
// pipeline: it reads the file, rejects non-videos with EInvalid, finds
// earlier uploads of the same content (by SHA-256) as duplicates and opens
// one claim per duplicate, records every upload, and is idempotent per
// upload id (a finished id returns its stored result and changes nothing).
// It counts calls and first-time work so tests can check side effects.
type hashProcessor struct {
	mu      sync.Mutex
	results map[string]models.UploadResult
	owners  map[string]string // content hash → first upload id
	claims  map[string]string // claim id → upload id
	work    map[string]int    // upload id → times it was processed for real
	// failures[id] are returned, one per call, before the id succeeds.
	failures map[string][]error
	calls    atomic.Int64
	// onProcess, when set, runs at the start of every call.
	onProcess func(u models.Upload)
	// delay simulates fingerprinting time.
	delay time.Duration
}

func newHashProcessor() *hashProcessor {
	return &hashProcessor{
		results:  make(map[string]models.UploadResult),
		owners:   make(map[string]string),
		claims:   make(map[string]string),
		work:     make(map[string]int),
		failures: make(map[string][]error),
	}
}

func (p *hashProcessor) Process(ctx context.Context, u models.Upload, path string) (models.UploadResult, error) {
	p.calls.Add(1)
	if p.onProcess != nil {
		p.onProcess(u)
	}
	p.mu.Lock()
	if r, ok := p.results[u.ID]; ok {
		p.mu.Unlock()
		return r, nil
	}
	if errs := p.failures[u.ID]; len(errs) > 0 {
		p.failures[u.ID] = errs[1:]
		p.mu.Unlock()
		return models.UploadResult{}, errs[0]
	}
	p.mu.Unlock()

	data, err := os.ReadFile(path)
	if err != nil {
		return models.UploadResult{}, models.WrapError(models.EInvalid, err, "read %s", path)
	}
	if !bytes.HasPrefix(data, []byte(videoMagic)) {
		return models.UploadResult{}, models.Errorf(models.EInvalid, "%s is not a video", filepath.Base(path))
	}
	if p.delay > 0 {
		if err := sleep(ctx, p.delay); err != nil {
			return models.UploadResult{}, err
		}
	}
	sum := sha256.Sum256(data)
	content := hex.EncodeToString(sum[:])

	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.results[u.ID]; ok { // finished concurrently
		return r, nil
	}
	p.work[u.ID]++
	res := models.UploadResult{
		Upload:    u,
		Verdict:   models.Verdict{Video: u.ID, Verdict: models.Clean, Matches: []models.Match{}},
		Action:    models.ActionAllow,
		ClaimIDs:  []string{},
		CheckedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(p.results)) * time.Second),
	}
	if owner, ok := p.owners[content]; ok && owner != u.ID {
		res.Verdict.Verdict = models.Duplicate
		res.Verdict.Matches = []models.Match{{
			Reference: models.Video{ID: owner, Platform: models.PlatformSelf},
			Score:     1, QueryCoverage: 1, ReferenceCoverage: 1,
		}}
		res.Action = models.ActionReview
		claim := "claim-" + u.ID
		if _, dup := p.claims[claim]; dup {
			panic("claim opened twice for " + u.ID)
		}
		p.claims[claim] = u.ID
		res.ClaimIDs = []string{claim}
	} else {
		p.owners[content] = u.ID
	}
	p.results[u.ID] = res
	return res, nil
}

// workCount returns how often id was processed for real.
func (p *hashProcessor) workCount(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.work[id]
}

func (p *hashProcessor) claimCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.claims)
}

// writeVideo writes a file hashProcessor accepts; equal bodies make equal
// content.
func writeVideo(t testing.TB, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(videoMagic+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// uploadJSON renders an upload message.
func uploadJSON(t testing.TB, id, uri string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"upload_id":         id,
		"video_uri":         uri,
		"uploader":          "user-" + id,
		"published_at":      "2024-05-01T12:00:00Z",
		"platform_metadata": map[string]any{"region": "eu"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testTopics are the topic names every test cluster has.
var testTopics = []string{DefaultTopic, DefaultVerdictsTopic, DefaultDLQTopic}

// newCluster starts an in-process kfake cluster with the hook's topics.
func newCluster(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, []string) {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(4, testTopics...)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

// message is a record to produce.
type message struct {
	key, value []byte
}

// produce writes messages to topic and waits for the acknowledgements.
func produce(t testing.TB, brokers []string, topic string, msgs ...message) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = &kgo.Record{Key: m.key, Value: m.value}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// received is a record read back from a topic.
type received struct {
	key, value []byte
	headers    map[string]string
	partition  int32
	offset     int64
}

// readTopic reads topic from the start until it holds at least want records
// (failing after a generous deadline) and returns everything read.
func readTopic(t testing.TB, brokers []string, topic string, want int) []received {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out []received
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: got %d records, want %d", topic, len(out), want)
		}
		fs.EachRecord(func(r *kgo.Record) {
			h := make(map[string]string)
			for _, x := range r.Headers {
				h[x.Key] = string(x.Value)
			}
			out = append(out, received{key: r.Key, value: r.Value, headers: h, partition: r.Partition, offset: r.Offset})
		})
	}
	return out
}

// endOffsets returns the high watermark of every partition of topic.
func endOffsets(t testing.TB, brokers []string, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range int32(4) {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int32]int64)
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[p.Partition] = p.Offset
		}
	}
	return out
}

// committedOffsets returns the group's committed offsets on topic.
func committedOffsets(t testing.TB, brokers []string, group, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = topic
	rt.Partitions = []int32{0, 1, 2, 3}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int32]int64)
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[p.Partition] = p.Offset
		}
	}
	return out
}

// running is a consumer started by startConsumer.
type running struct {
	c    *Consumer
	stop context.CancelFunc
	done chan struct{} // closed when Run returned
	err  error
}

// wait cancels the consumer and waits for Run to return.
func (r *running) wait(t testing.TB) {
	t.Helper()
	r.stop()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("Run: %v", r.err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("consumer did not stop")
	}
}

// testConfig is a Config for kfake: short backoffs, local files allowed.
func testConfig(brokers []string) Config {
	return Config{
		Brokers:       brokers,
		Concurrency:   4,
		RetryBackoff:  10 * time.Millisecond,
		CommitTimeout: 2 * time.Second,
		Fetcher:       &Fetcher{AllowAnyLocal: true, Attempts: 3, Backoff: 5 * time.Millisecond, Timeout: 5 * time.Second},
		opts:          []kgo.Opt{kgo.FetchMaxWait(100 * time.Millisecond)},
		Log:           testLogger(),
	}
}

// startConsumer runs a consumer until the returned handle is stopped (the
// test's cleanup stops it too).
func startConsumer(t testing.TB, cfg Config, p Processor) *running {
	t.Helper()
	c, err := New(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: c, stop: cancel, done: make(chan struct{})}
	go func() {
		r.err = c.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(2 * time.Minute):
		}
	})
	return r
}

// verdictsByID decodes verdict records, grouped by upload id (the key).
func verdictsByID(t testing.TB, recs []received) map[string][][]byte {
	t.Helper()
	out := make(map[string][][]byte)
	for _, r := range recs {
		var res models.UploadResult
		if err := json.Unmarshal(r.value, &res); err != nil {
			t.Fatalf("verdict %q: %v", r.value, err)
		}
		if res.Upload.ID != string(r.key) {
			t.Fatalf("verdict keyed %q is for upload %q", r.key, res.Upload.ID)
		}
		out[string(r.key)] = append(out[string(r.key)], r.value)
	}
	return out
}

func ids(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

// testLogger logs to stderr when COPYCAT_TEST_LOG is set, else nowhere.
func testLogger() *slog.Logger {
	if os.Getenv("COPYCAT_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
