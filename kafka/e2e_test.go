package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/copycat-video/copycat/eval"
	"github.com/copycat-video/copycat/models"
)

// TestEndToEndRealKafka runs the hook against a real Apache Kafka broker
// (scripts/kafka.sh up) with the production pipeline. With COPYCAT_CORPUS
// pointing at a corpus built by make_corpus.py it indexes the corpus's
// references as a rival platform's catalogue and pushes every query through
// Kafka; otherwise it uses synthetic clips. Either way it also sends poison
// messages, stops the consumer half-way and restarts it, and checks that
// every upload has a verdict identical to the result the pipeline stored,
// that poison messages are dead-lettered and that the group's committed
// offsets reach the end of the topic.
func TestEndToEndRealKafka(t *testing.T) {
	addr := os.Getenv("COPYCAT_TEST_KAFKA")
	if addr == "" {
		t.Skip("set COPYCAT_TEST_KAFKA=host:port to run against a real Kafka (scripts/kafka.sh up prints it)")
	}
	if testing.Short() {
		t.Skip("decodes videos; skipped with -short")
	}
	brokers := strings.Split(addr, ",")
	run := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	topics := Config{Topic: run + ".uploads", VerdictsTopic: run + ".verdicts", DLQTopic: run + ".dlq", Group: run}
	createTopics(t, brokers, 4, topics.Topic, topics.VerdictsTopic, topics.DLQTopic)
	t.Cleanup(func() { deleteTopics(t, brokers, topics.Topic, topics.VerdictsTopic, topics.DLQTopic) })

	proc := newRealPipeline(t)
	ctx := context.Background()
	type upload struct {
		id, path string
		positive bool
		refs     map[string]bool // true references (corpus only)
	}
	var uploads []upload
	if dir := os.Getenv("COPYCAT_CORPUS"); dir != "" {
		corpus, err := eval.Load(dir)
		if err != nil {
			t.Fatalf("COPYCAT_CORPUS=%s: %v", dir, err)
		}
		for _, r := range corpus.References {
			v := models.Video{ID: r.ID, Platform: "tiktok", Author: "rival", Published: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
			if _, err := proc.checker.AddReference(ctx, corpus.ReferencePath(r.ID), v); err != nil {
				t.Fatalf("index reference %s: %v", r.ID, err)
			}
		}
		truth := make(map[string]map[string]bool)
		for _, tr := range corpus.Truth {
			if truth[tr.Query] == nil {
				truth[tr.Query] = make(map[string]bool)
			}
			truth[tr.Query][tr.Reference] = true
		}
		for _, q := range corpus.Queries {
			uploads = append(uploads, upload{id: q.ID, path: corpus.QueryPath(q.ID), positive: q.Positive, refs: truth[q.ID]})
		}
		t.Logf("corpus %s: %d references indexed, %d queries", dir, len(corpus.References), len(uploads))
	} else {
		t.Log("COPYCAT_CORPUS not set: pushing synthetic clips instead of the dev corpus's queries")
		clips, copy0 := testClips(t)
		for i, c := range clips {
			uploads = append(uploads, upload{id: fmt.Sprintf("clip-%d", i), path: c})
		}
		uploads = append(uploads, upload{id: "copy-0", path: copy0})
	}

	var msgs []message
	for _, u := range uploads {
		msgs = append(msgs, message{[]byte(u.id), uploadJSON(t, u.id, u.path)})
	}
	poison := []message{
		{[]byte("poison-json"), []byte(`{"upload_id": "poison-json", "video_uri": `)},
		{[]byte("poison-missing"), []byte(`{"upload_id": "poison-missing"}`)},
		{[]byte("poison-file"), uploadJSON(t, "poison-file", "/nonexistent/copycat/e2e.mp4")},
		{[]byte("poison-text"), uploadJSON(t, "poison-text", writeFile(t, t.TempDir(), "text.mp4", "plain text, not a video"))},
	}
	half := len(msgs) / 2
	produce(t, brokers, topics.Topic, append(append([]message{}, msgs[:half]...), poison...)...)
	produce(t, brokers, topics.Topic, msgs[half:]...)

	cfg := testConfig(brokers)
	cfg.Topic, cfg.VerdictsTopic, cfg.DLQTopic, cfg.Group = topics.Topic, topics.VerdictsTopic, topics.DLQTopic, topics.Group
	cfg.Concurrency = 2
	cfg.CommitTimeout = 10 * time.Second
	// Stop the first consumer a quarter of the way in, then restart.
	stopAt := int64(len(uploads) / 4)
	stopped := make(chan struct{})
	var once sync.Once
	first := startConsumer(t, cfg, processorFunc(func(ctx context.Context, u models.Upload, path string) (models.UploadResult, error) {
		res, err := proc.Process(ctx, u, path)
		if err == nil && proc.done.Load() >= stopAt {
			once.Do(func() { close(stopped) })
		}
		return res, err
	}))
	<-stopped
	first.wait(t)
	second := startConsumer(t, cfg, proc)
	want := make([]string, 0, len(uploads))
	for _, u := range uploads {
		want = append(want, u.id)
	}
	// Every upload ends as a verdict or, if its file is broken, a dead
	// letter; the poison messages are dead letters.
	for _, p := range poison {
		want = append(want, string(p.key))
	}
	waitForTopicIDs(t, brokers, []string{topics.VerdictsTopic, topics.DLQTopic}, want)
	second.wait(t)
	dlqN := 0
	for _, o := range endOffsets(t, brokers, topics.DLQTopic) {
		dlqN += int(o)
	}
	dlq := readTopic(t, brokers, topics.DLQTopic, dlqN)

	n := 0
	for _, o := range endOffsets(t, brokers, topics.VerdictsTopic) {
		n += int(o)
	}
	got := verdictsByID(t, readTopic(t, brokers, topics.VerdictsTopic, n))
	dead := make(map[string]DeadLetter)
	for _, r := range dlq {
		d, err := ParseDeadLetter(r.headers)
		if err != nil {
			t.Fatal(err)
		}
		dead[string(r.key)] = d
	}
	var flagged, positives, falseFlags, negatives, rightRef int
	var broken []string
	for _, u := range uploads {
		vs := got[u.id]
		if d, ok := dead[u.id]; ok {
			// Only a file the pipeline cannot use may be dead-lettered.
			if len(vs) > 0 || d.Stage != StageProcess || (d.Code != models.EInvalid && d.Code != models.ETooLarge) {
				t.Errorf("%s: dead letter %+v with %d verdicts; want only unusable files dead-lettered", u.id, d, len(vs))
			}
			broken = append(broken, u.id+": "+d.Error)
			continue
		}
		stored, err := proc.svc.Result(ctx, proc.as, u.id)
		if err != nil {
			t.Fatalf("%s: stored result: %v", u.id, err)
		}
		storedJSON, _ := json.Marshal(stored)
		for _, v := range vs {
			if string(v) != string(storedJSON) {
				t.Errorf("%s: verdict on Kafka differs from the stored result:\n%s\n%s", u.id, v, storedJSON)
			}
		}
		var res models.UploadResult
		if err := json.Unmarshal(vs[0], &res); err != nil {
			t.Fatal(err)
		}
		if u.refs == nil && !u.positive {
			negatives++
			if res.Verdict.Verdict == models.Lifted {
				falseFlags++
			}
			continue
		}
		positives++
		if res.Verdict.Verdict != models.Clean {
			flagged++
		}
		for _, m := range res.Verdict.Matches {
			if u.refs[m.Reference.ID] {
				rightRef++
				break
			}
		}
	}
	for _, b := range broken {
		t.Logf("dead-lettered corpus file %s", b)
	}
	if os.Getenv("COPYCAT_CORPUS") != "" {
		t.Logf("through Kafka: %d of %d positive queries flagged (%d naming a true reference), %d false lifts on %d negatives, %d verdict records for %d uploads",
			flagged, positives, rightRef, falseFlags, negatives, countAll(got), len(uploads))
		// The same floors as the accuracy test of `copycat eval`, through
		// the hook: the hook must not cost accuracy.
		if rightRef < positives*85/100 {
			t.Errorf("only %d of %d positive queries were matched to a true reference through the hook", rightRef, positives)
		}
		if falseFlags != 0 {
			t.Errorf("%d negative queries were flagged as lifted through the hook", falseFlags)
		}
	} else {
		// clip-0 and copy-0 are checked concurrently: whichever the
		// pipeline recorded first, the other must be its duplicate.
		a, b := decodeOne(t, got, "clip-0"), decodeOne(t, got, "copy-0")
		if !isDuplicateOf(a, "copy-0") && !isDuplicateOf(b, "clip-0") {
			t.Errorf("clip-0 (%s) and its copy copy-0 (%s): neither is a duplicate of the other", a.Verdict.Verdict, b.Verdict.Verdict)
		}
	}

	for key, code := range map[string]string{"poison-json": models.EInvalid, "poison-missing": models.EInvalid, "poison-file": models.ENotFound, "poison-text": models.EInvalid} {
		if d, ok := dead[key]; !ok || d.Code != code {
			t.Errorf("%s: dead letter %+v (found %v), want code %s", key, d, ok, code)
		}
	}
	ends := endOffsets(t, brokers, topics.Topic)
	if committed := committedOffsets(t, brokers, topics.Group, topics.Topic); !equalOffsets(ends, committed) {
		t.Errorf("committed %v, want the end offsets %v", committed, ends)
	}
}

func isDuplicateOf(r models.UploadResult, id string) bool {
	return r.Verdict.Verdict == models.Duplicate && len(r.Verdict.Matches) > 0 && r.Verdict.Matches[0].Reference.ID == id
}

type processorFunc func(ctx context.Context, u models.Upload, path string) (models.UploadResult, error)

func (f processorFunc) Process(ctx context.Context, u models.Upload, path string) (models.UploadResult, error) {
	return f(ctx, u, path)
}

func createTopics(t *testing.T, brokers []string, partitions int32, names ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	for _, n := range names {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = n, partitions, 1
		req.Topics = append(req.Topics, rt)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("create topics: %v", err)
	}
	for _, rt := range resp.Topics {
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil && err != kerr.TopicAlreadyExists {
			t.Fatalf("create topic %s: %v", rt.Topic, err)
		}
	}
}

func deleteTopics(t *testing.T, brokers []string, names ...string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = 30000
	for _, n := range names {
		n := n
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.Topic = &n
		req.Topics = append(req.Topics, rt)
		req.TopicNames = append(req.TopicNames, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := req.RequestWith(ctx, cl); err != nil {
		t.Logf("delete topics: %v", err)
	}
}

// waitForTopicIDs reads topics until every id is the key of a record in
// one of them.
func waitForTopicIDs(t *testing.T, brokers []string, topics []string, want []string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	missing := make(map[string]bool)
	for _, id := range want {
		missing[id] = true
	}
	for len(missing) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d uploads never got a verdict or a dead letter in %v", len(missing), topics)
		}
		fs.EachRecord(func(r *kgo.Record) { delete(missing, string(r.Key)) })
	}
}
