package kafka

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/copycat-video/copycat/models"
)

func TestConsumerHappyPath(t *testing.T) {
	_, brokers := newCluster(t)
	dir := t.TempDir()
	proc := newHashProcessor()
	reg := prometheus.NewRegistry()
	cfg := testConfig(brokers)
	cfg.Registry = reg
	run := startConsumer(t, cfg, proc)

	// Originals first, then re-uploads of half of them under new ids: the
	// copies must come back as duplicates of the originals with a claim.
	originals := ids(12, "orig-")
	var msgs []message
	for _, id := range originals {
		msgs = append(msgs, message{[]byte(id), uploadJSON(t, id, writeVideo(t, dir, id+".mp4", "footage of "+id))})
	}
	produce(t, brokers, DefaultTopic, msgs...)
	readTopic(t, brokers, DefaultVerdictsTopic, len(originals))

	copies := ids(6, "copy-")
	msgs = nil
	for i, id := range copies {
		msgs = append(msgs, message{[]byte(id), uploadJSON(t, id, writeVideo(t, dir, id+".mp4", "footage of "+originals[i]))})
	}
	produce(t, brokers, DefaultTopic, msgs...)
	got := verdictsByID(t, readTopic(t, brokers, DefaultVerdictsTopic, len(originals)+len(copies)))
	// Once the commits land, the lag of every partition drops to zero.
	waitFor(t, "consumer lag to reach 0 on 4 partitions", func() bool {
		lags := gaugeValues(t, reg, "copycat_kafka_consumer_lag")
		for _, l := range lags {
			if l != 0 {
				return false
			}
		}
		return len(lags) == 4
	})
	run.wait(t)
	if lags := gaugeValues(t, reg, "copycat_kafka_consumer_lag"); len(lags) != 0 {
		t.Errorf("lag still reported for partitions given up at shutdown: %v", lags)
	}

	for _, id := range originals {
		res := decodeOne(t, got, id)
		if res.Verdict.Verdict != models.Clean || len(res.ClaimIDs) != 0 {
			t.Errorf("%s: verdict %s claims %v, want clean and no claim", id, res.Verdict.Verdict, res.ClaimIDs)
		}
		if !strings.HasSuffix(res.Upload.VideoURI, id+".mp4") || res.Upload.Uploader != "user-"+id {
			t.Errorf("%s: upload echoed as %+v", id, res.Upload)
		}
	}
	for i, id := range copies {
		res := decodeOne(t, got, id)
		if res.Verdict.Verdict != models.Duplicate || len(res.Verdict.Matches) != 1 || res.Verdict.Matches[0].Reference.ID != originals[i] {
			t.Errorf("%s: verdict %+v, want duplicate of %s", id, res.Verdict, originals[i])
		}
		if len(res.ClaimIDs) != 1 {
			t.Errorf("%s: claims %v, want one", id, res.ClaimIDs)
		}
	}
	// Everything done is committed: a restart would redo nothing.
	ends := endOffsets(t, brokers, DefaultTopic)
	if committed := committedOffsets(t, brokers, DefaultGroup, DefaultTopic); !equalOffsets(ends, committed) {
		t.Errorf("committed %v, want the end offsets %v", committed, ends)
	}
	n := len(originals) + len(copies)
	if v := metricValue(t, run.c.m.processed.WithLabelValues("clean")) + metricValue(t, run.c.m.processed.WithLabelValues("duplicate")); v != float64(n) {
		t.Errorf("processed metric %v, want %d", v, n)
	}
	if got := histogramCount(t, reg, "copycat_kafka_processing_seconds"); got != uint64(n) {
		t.Errorf("latency histogram counted %d uploads, want %d", got, n)
	}
	if got := histogramCount(t, reg, "copycat_kafka_uploads_dead_lettered_total"); got != 0 {
		t.Errorf("dead letters reported for a clean stream")
	}
	if got := metricValue(t, run.c.m.inflight); got != 0 {
		t.Errorf("in flight after stop: %v", got)
	}
}

func equalOffsets(a, b map[int32]int64) bool {
	for p, o := range a {
		if o > 0 && b[p] != o {
			return false
		}
	}
	return true
}

func decodeOne(t *testing.T, got map[string][][]byte, id string) models.UploadResult {
	t.Helper()
	vs := got[id]
	if len(vs) == 0 {
		t.Fatalf("no verdict for %s", id)
	}
	var res models.UploadResult
	if err := json.Unmarshal(vs[0], &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestConsumerPoisonMessages(t *testing.T) {
	_, brokers := newCluster(t)
	dir := t.TempDir()
	var flaky atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.mp4":
			w.Write([]byte(videoMagic + "remote footage"))
		case "/flaky.mp4": // fails twice, then works: retried, not dead-lettered
			if flaky.Add(1) <= 2 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte(videoMagic + "flaky footage"))
		case "/down.mp4":
			http.Error(w, "down", http.StatusBadGateway)
		case "/huge.mp4":
			w.Write(bytes.Repeat([]byte("x"), 4096))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	proc := newHashProcessor()
	// Transient processor failures are retried until they pass.
	proc.failures["transient"] = []error{
		models.Errorf(models.EUnavailable, "index busy"),
		context.DeadlineExceeded,
	}
	// Internal errors are retried InternalAttempts times, then dead-lettered.
	proc.failures["internal"] = []error{
		models.Errorf(models.EInternal, "bug 1"), models.Errorf(models.EInternal, "bug 2"), models.Errorf(models.EInternal, "bug 3"),
	}
	cfg := testConfig(brokers)
	cfg.Fetcher.MaxBytes = 1024
	cfg.Fetcher.Client = srv.Client()
	run := startConsumer(t, cfg, proc)

	good := func(id string) []byte { return uploadJSON(t, id, writeVideo(t, dir, id+".mp4", id)) }
	tests := []struct {
		key   string
		value []byte
		stage string // "" means a verdict is expected
		code  string
	}{
		{"good-1", good("good-1"), "", ""},
		{"bad-json", []byte(`{"upload_id": "x", `), StageParse, models.EInvalid},
		{"not-json", []byte("\x00\x01binary"), StageParse, models.EInvalid},
		{"null", []byte(`null`), StageParse, models.EInvalid},
		{"empty", nil, StageParse, models.EInvalid},
		{"no-uri", []byte(`{"upload_id":"no-uri","uploader":"a"}`), StageParse, models.EInvalid},
		{"no-id", []byte(`{"video_uri":"/x.mp4","uploader":"a"}`), StageParse, models.EInvalid},
		{"wrong-type", []byte(`{"upload_id":7,"video_uri":"/x.mp4","uploader":"a"}`), StageParse, models.EInvalid},
		{"missing-file", uploadJSON(t, "missing-file", dir+"/nope.mp4"), StageFetch, models.ENotFound},
		{"directory", uploadJSON(t, "directory", dir), StageFetch, models.EInvalid},
		{"not-video", uploadJSON(t, "not-video", writeFile(t, dir, "notes.txt", "hello")), StageProcess, models.EInvalid},
		{"http-404", uploadJSON(t, "http-404", srv.URL+"/gone.mp4"), StageFetch, models.ENotFound},
		{"http-down", uploadJSON(t, "http-down", srv.URL+"/down.mp4"), StageFetch, models.EUnavailable},
		{"http-huge", uploadJSON(t, "http-huge", srv.URL+"/huge.mp4"), StageFetch, models.ETooLarge},
		{"bad-scheme", uploadJSON(t, "bad-scheme", "ftp://example.invalid/v.mp4"), StageFetch, models.EInvalid},
		{"internal", good("internal"), StageProcess, models.EInternal},
		{"http-ok", uploadJSON(t, "http-ok", srv.URL+"/ok.mp4"), "", ""},
		{"http-flaky", uploadJSON(t, "http-flaky", srv.URL+"/flaky.mp4"), "", ""},
		{"transient", good("transient"), "", ""},
		{"good-2", good("good-2"), "", ""},
	}
	var msgs []message
	wantVerdicts, wantDLQ := 0, 0
	for _, tc := range tests {
		msgs = append(msgs, message{[]byte(tc.key), tc.value})
		if tc.stage == "" {
			wantVerdicts++
		} else {
			wantDLQ++
		}
	}
	produce(t, brokers, DefaultTopic, msgs...)
	verdicts := verdictsByID(t, readTopic(t, brokers, DefaultVerdictsTopic, wantVerdicts))
	dlq := readTopic(t, brokers, DefaultDLQTopic, wantDLQ)
	run.wait(t)

	dead := make(map[string]received)
	for _, r := range dlq {
		dead[string(r.key)] = r
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			if tc.stage == "" {
				if len(verdicts[tc.key]) == 0 {
					t.Fatalf("no verdict")
				}
				if _, ok := dead[tc.key]; ok {
					t.Fatalf("dead-lettered although it should pass")
				}
				return
			}
			if len(verdicts[tc.key]) != 0 {
				t.Fatalf("got a verdict, want a dead letter")
			}
			r, ok := dead[tc.key]
			if !ok {
				t.Fatalf("not dead-lettered")
			}
			if !bytes.Equal(r.value, tc.value) {
				t.Errorf("dead letter value %q, want the original %q", r.value, tc.value)
			}
			d, err := ParseDeadLetter(r.headers)
			if err != nil {
				t.Fatal(err)
			}
			if d.Stage != tc.stage || d.Code != tc.code || d.Error == "" || d.Topic != DefaultTopic || d.Attempts < 1 {
				t.Errorf("dead letter %+v, want stage %s code %s", d, tc.stage, tc.code)
			}
		})
	}
	if got := proc.workCount("transient"); got != 1 {
		t.Errorf("transient upload processed %d times, want 1", got)
	}
	if got := metricValue(t, run.c.m.dlq.WithLabelValues(StageParse, models.EInvalid)); got != 7 {
		t.Errorf("parse dead-letter metric %v, want 7", got)
	}
	if got := metricValue(t, run.c.m.failed.WithLabelValues(StageProcess, models.EUnavailable)); got != 2 {
		t.Errorf("transient failure metric %v, want 2", got)
	}
	// Poison messages are committed like any other: nothing is stuck.
	ends := endOffsets(t, brokers, DefaultTopic)
	if committed := committedOffsets(t, brokers, DefaultGroup, DefaultTopic); !equalOffsets(ends, committed) {
		t.Errorf("committed %v, want the end offsets %v", committed, ends)
	}
}

// TestConsumerRedelivery replays the whole topic through a second group
// (and announces some uploads twice): every redelivered upload gets the
// verdict it got the first time, byte for byte, and no second claim.
func TestConsumerRedelivery(t *testing.T) {
	_, brokers := newCluster(t)
	dir := t.TempDir()
	proc := newHashProcessor()
	var msgs []message
	all := ids(16, "up-")
	for i, id := range all {
		// Every fourth upload repeats the content of the one before it.
		body := id
		if i%4 == 3 {
			body = all[i-1]
		}
		msgs = append(msgs, message{[]byte(id), uploadJSON(t, id, writeVideo(t, dir, id+".mp4", body))})
	}
	// The same id announced twice in a row (a producer retry).
	msgs = append(msgs, msgs[0], msgs[5])
	produce(t, brokers, DefaultTopic, msgs...)

	cfg := testConfig(brokers)
	run := startConsumer(t, cfg, proc)
	first := verdictsByID(t, readTopic(t, brokers, DefaultVerdictsTopic, len(msgs)))
	run.wait(t)
	claims := proc.claimCount()
	if claims != 4 {
		t.Fatalf("%d claims after the first pass, want 4", claims)
	}

	cfg = testConfig(brokers)
	cfg.Group = "replay"
	run = startConsumer(t, cfg, proc)
	both := verdictsByID(t, readTopic(t, brokers, DefaultVerdictsTopic, 2*len(msgs)))
	run.wait(t)

	for _, id := range all {
		vs := both[id]
		want := 2
		if id == all[0] || id == all[5] {
			want = 4
		}
		if len(vs) != want {
			t.Errorf("%s: %d verdicts, want %d", id, len(vs), want)
		}
		for _, v := range vs {
			if !bytes.Equal(v, first[id][0]) {
				t.Errorf("%s: redelivered verdict %s differs from %s", id, v, first[id][0])
			}
		}
		if n := proc.workCount(id); n != 1 {
			t.Errorf("%s: processed %d times for real, want 1", id, n)
		}
	}
	if got := proc.claimCount(); got != claims {
		t.Errorf("claims %d after replay, want %d", got, claims)
	}
}

// TestConsumerKillAndRestart stops a consumer abruptly in the middle of the
// stream and starts a new one in the same group: every upload gets a
// verdict, repeated verdicts are identical, and no claim is opened twice.
func TestConsumerKillAndRestart(t *testing.T) {
	tests := []struct {
		name string
		// commitsFrom is the number of offset commits the broker accepts
		// before the crash: after it, commit requests kill the connection,
		// as if the process had died before committing.
		commitsFrom int
		// abandon stops with no drain: uploads in flight are cut off.
		abandon bool
	}{
		{name: "nothing committed", commitsFrom: 0},
		{name: "some committed, in-flight abandoned", commitsFrom: 3, abandon: true},
		{name: "some committed, drained", commitsFrom: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cluster, brokers := newCluster(t)
			dir := t.TempDir()
			all := ids(40, "k-")
			var msgs []message
			for i, id := range all {
				body := id
				if i%5 == 4 {
					body = all[i-2] // re-uploads that open claims
				}
				msgs = append(msgs, message{[]byte(id), uploadJSON(t, id, writeVideo(t, dir, id+".mp4", body))})
			}
			produce(t, brokers, DefaultTopic, msgs...)

			proc := newHashProcessor()
			proc.delay = 5 * time.Millisecond
			var commits atomic.Int32
			var crashed atomic.Bool
			cluster.ControlKey(int16(kmsg.OffsetCommit), func(kmsg.Request) (kmsg.Response, error, bool) {
				cluster.KeepControl()
				if crashed.Load() || int(commits.Add(1)) > tc.commitsFrom {
					return nil, errCrashed, true
				}
				return nil, nil, false
			})
			// Crash once a third of the uploads were processed.
			kill := make(chan struct{})
			var once atomic.Bool
			proc.onProcess = func(models.Upload) {
				if proc.calls.Load() >= int64(len(all)/3) && once.CompareAndSwap(false, true) {
					close(kill)
				}
			}
			cfg := testConfig(brokers)
			if tc.abandon {
				cfg.DrainTimeout = time.Nanosecond
			}
			first := startConsumer(t, cfg, proc)
			<-kill
			crashed.Store(true)
			first.wait(t)
			processedBefore := proc.calls.Load()

			crashed.Store(false)
			commits.Store(-1 << 20) // the new consumer's commits all land
			proc.onProcess = nil
			second := startConsumer(t, testConfig(brokers), proc)
			// Wait for every upload id to have a verdict, then stop.
			waitForIDs(t, brokers, all)
			second.wait(t)
			got := allVerdicts(t, brokers)

			for _, id := range all {
				vs := got[id]
				for _, v := range vs[1:] {
					if !bytes.Equal(v, vs[0]) {
						t.Errorf("%s: verdicts differ: %s vs %s", id, vs[0], v)
					}
				}
				if n := proc.workCount(id); n != 1 {
					t.Errorf("%s: processed %d times for real, want 1", id, n)
				}
			}
			if got := proc.claimCount(); got != 8 {
				t.Errorf("%d claims, want 8 (one per re-upload)", got)
			}
			if tc.commitsFrom == 0 && processedBefore > 0 {
				// Nothing was committed, so the second consumer saw
				// everything again: the redelivery path was exercised.
				if dup := countAll(got) - len(all); dup <= 0 {
					t.Errorf("no upload was redelivered after a crash without commits (%d processed before)", processedBefore)
				}
			}
			ends := endOffsets(t, brokers, DefaultTopic)
			if committed := committedOffsets(t, brokers, DefaultGroup, DefaultTopic); !equalOffsets(ends, committed) {
				t.Errorf("committed %v after restart, want %v", committed, ends)
			}
		})
	}
}

var errCrashed = errString("consumer crashed")

type errString string

func (e errString) Error() string { return string(e) }

func countAll(m map[string][][]byte) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

// waitForIDs reads verdicts until every id has at least one.
func waitForIDs(t *testing.T, brokers []string, want []string) {
	t.Helper()
	waitForTopicIDs(t, brokers, []string{DefaultVerdictsTopic}, want)
}

// allVerdicts reads the whole verdicts topic, once nobody writes to it.
func allVerdicts(t *testing.T, brokers []string) map[string][][]byte {
	t.Helper()
	n := 0
	for _, o := range endOffsets(t, brokers, DefaultVerdictsTopic) {
		n += int(o)
	}
	return verdictsByID(t, readTopic(t, brokers, DefaultVerdictsTopic, n))
}

// TestConsumerRebalance runs two members of one group: the second joins in
// the middle of the stream and takes partitions over. Nothing is lost and
// nothing is processed twice for real.
func TestConsumerRebalance(t *testing.T) {
	_, brokers := newCluster(t)
	dir := t.TempDir()
	all := ids(64, "r-")
	var msgs []message
	for _, id := range all {
		msgs = append(msgs, message{[]byte(id), uploadJSON(t, id, writeVideo(t, dir, id+".mp4", id))})
	}
	proc := newHashProcessor()
	proc.delay = 20 * time.Millisecond
	busy := make(chan struct{})
	var once atomic.Bool
	proc.onProcess = func(models.Upload) {
		if proc.calls.Load() >= 8 && once.CompareAndSwap(false, true) {
			close(busy)
		}
	}
	// The first half is in flight on a when b joins, so partitions with
	// work in progress are revoked; the second half is produced once b
	// owns partitions, so both members have work.
	produce(t, brokers, DefaultTopic, msgs[:32]...)
	a := startConsumer(t, testConfig(brokers), proc)
	<-busy
	b := startConsumer(t, testConfig(brokers), proc)
	waitAssigned(t, b.c)
	produce(t, brokers, DefaultTopic, msgs[32:]...)
	waitForIDs(t, brokers, all)
	a.wait(t)
	b.wait(t)
	got := allVerdicts(t, brokers)
	for _, id := range all {
		if n := proc.workCount(id); n != 1 {
			t.Errorf("%s: processed %d times for real, want 1", id, n)
		}
		for _, v := range got[id][1:] {
			if !bytes.Equal(v, got[id][0]) {
				t.Errorf("%s: verdicts differ", id)
			}
		}
	}
	for name, r := range map[string]*running{"a": a, "b": b} {
		if n := metricValue(t, r.c.m.processed.WithLabelValues("clean")); n == 0 {
			t.Errorf("member %s processed nothing; the test did not share the work", name)
		}
	}
	ends := endOffsets(t, brokers, DefaultTopic)
	if committed := committedOffsets(t, brokers, DefaultGroup, DefaultTopic); !equalOffsets(ends, committed) {
		t.Errorf("committed %v, want %v", committed, ends)
	}
}

// waitAssigned waits until c owns at least one partition.
func waitAssigned(t *testing.T, c *Consumer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c.tr.mu.Lock()
		n := len(c.tr.parts)
		c.tr.mu.Unlock()
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the second member never got a partition")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	proc := newHashProcessor()
	tests := []struct {
		name string
		cfg  Config
		proc Processor
	}{
		{"no brokers", Config{}, proc},
		{"blank broker", Config{Brokers: []string{" "}}, proc},
		{"url as broker", Config{Brokers: []string{"http://x:9092"}}, proc},
		{"same topics", Config{Brokers: []string{"b:1"}, Topic: "t", VerdictsTopic: "t"}, proc},
		{"no processor", Config{Brokers: []string{"b:1"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, tc.proc)
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("New: %v, want an invalid error", err)
			}
		})
	}
	// Metrics go to the caller's registry; a second consumer on the same
	// registry and group is a configuration error, not a panic.
	reg := prometheus.NewRegistry()
	if _, err := New(Config{Brokers: []string{"b:1"}, Registry: reg}, proc); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Brokers: []string{"b:1"}, Registry: reg}, proc); err == nil {
		t.Fatal("second registration on one registry succeeded")
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// metricValue reads a counter or gauge.
func metricValue(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("metric %v is neither counter nor gauge", c.Desc())
	return 0
}

// histogramCount gathers name from reg: the sample count of a histogram,
// or the number of series of anything else.
func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
		return uint64(len(mf.GetMetric()))
	}
	return 0
}

// gaugeValues gathers every series of the gauge name from reg.
func gaugeValues(t *testing.T, reg *prometheus.Registry, name string) []float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				out = append(out, m.GetGauge().GetValue())
			}
		}
	}
	return out
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConsumerStuckUploadIsNotLost: an upload whose processing keeps
// failing with a transient error is retried, never dead-lettered; a
// shutdown abandons it after the drain timeout without committing it, and
// the next consumer of the group finishes it.
func TestConsumerStuckUploadIsNotLost(t *testing.T) {
	_, brokers := newCluster(t)
	dir := t.TempDir()
	proc := newHashProcessor()
	for range 1000 {
		proc.failures["stuck"] = append(proc.failures["stuck"], models.Errorf(models.EUnavailable, "index down"))
	}
	var msgs []message
	for _, id := range append(ids(7, "ok-"), "stuck") {
		msgs = append(msgs, message{[]byte(id), uploadJSON(t, id, writeVideo(t, dir, id+".mp4", id))})
	}
	produce(t, brokers, DefaultTopic, msgs...)
	cfg := testConfig(brokers)
	cfg.DrainTimeout = 50 * time.Millisecond
	run := startConsumer(t, cfg, proc)
	waitForIDs(t, brokers, ids(7, "ok-"))
	waitFor(t, "a few retries of the stuck upload", func() bool {
		return metricValue(t, run.c.m.failed.WithLabelValues(StageProcess, models.EUnavailable)) >= 3
	})
	run.wait(t)
	if got := metricValue(t, run.c.m.dlq.WithLabelValues(StageProcess, models.EUnavailable)); got != 0 {
		t.Fatalf("a transient failure was dead-lettered")
	}

	proc.mu.Lock()
	proc.failures["stuck"] = nil // the index is back
	proc.mu.Unlock()
	run = startConsumer(t, testConfig(brokers), proc)
	waitForIDs(t, brokers, []string{"stuck"})
	run.wait(t)
	if n := proc.workCount("stuck"); n != 1 {
		t.Fatalf("stuck upload processed %d times for real, want 1", n)
	}
	ends := endOffsets(t, brokers, DefaultTopic)
	if committed := committedOffsets(t, brokers, DefaultGroup, DefaultTopic); !equalOffsets(ends, committed) {
		t.Errorf("committed %v, want %v", committed, ends)
	}
}
