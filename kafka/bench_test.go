package kafka

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/copycat-video/copycat/models"
)

// BenchmarkHook measures sustained uploads per second through the hook —
// JSON on the uploads topic of an in-process broker (kfake), consumer
// group, fetch, Processor, verdict produced and acknowledged, offsets
// committed — against calling the same kind of Processor directly on the
// same files with the same concurrency in the same process (what `copycat
// check` does, minus Kafka). It reports both rates and the hook's overhead
// as a ratio (hook time / direct time) and in percent.
//
//	pipeline: the production pipeline on 4 s synthetic clips — the real
//	          question, whether Kafka adds < 10 % to the work;
//	trivial:  a processor that only hashes a small file — what the hook
//	          costs per upload when the work is nearly free.
//
// COPYCAT_BENCH_UPLOADS sets the uploads per iteration (default 16 for
// pipeline, 200 for trivial).
func BenchmarkHook(b *testing.B) {
	b.Run("pipeline", func(b *testing.B) {
		clips, copy0 := testClips(b)
		files := append(clips, copy0)
		benchHook(b, benchUploads(16), files, func(b *testing.B) Processor { return newRealPipeline(b) })
	})
	b.Run("trivial", func(b *testing.B) {
		dir := b.TempDir()
		var files []string
		for i := range 8 {
			files = append(files, writeVideo(b, dir, fmt.Sprintf("v%d.mp4", i), fmt.Sprintf("body %d", i)))
		}
		benchHook(b, benchUploads(200), files, func(*testing.B) Processor { return newHashProcessor() })
	})
}

func benchUploads(def int) int {
	if n, err := strconv.Atoi(os.Getenv("COPYCAT_BENCH_UPLOADS")); err == nil && n > 0 {
		return n
	}
	return def
}

func benchHook(b *testing.B, n int, files []string, newProc func(*testing.B) Processor) {
	const concurrency = 2 // the machine's cores; both sides get the same
	var direct, hook time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var uploads []models.Upload
		var msgs []message
		for j := range n {
			id := fmt.Sprintf("it%d-up%04d", i, j)
			path := files[j%len(files)]
			uploads = append(uploads, models.Upload{ID: id, VideoURI: path, Uploader: "bench", Published: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)})
			msgs = append(msgs, message{[]byte(id), uploadJSON(b, id, path)})
		}

		// Direct: a pool of the same size calling Process.
		proc := newProc(b)
		b.StartTimer()
		start := time.Now()
		work := make(chan models.Upload)
		var wg sync.WaitGroup
		for range concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for u := range work {
					if _, err := proc.Process(context.Background(), u, u.VideoURI); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for _, u := range uploads {
			work <- u
		}
		close(work)
		wg.Wait()
		direct += time.Since(start)
		b.StopTimer()

		// Hook: a fresh broker and processor; the group has joined before
		// the clock starts, and the clock stops when the broker has
		// acknowledged the last verdict (the consumer's own count, so that
		// no reader's fetch wait is measured).
		_, brokers := newCluster(b)
		cfg := testConfig(brokers)
		cfg.Concurrency = concurrency
		cfg.Log = nil
		run := startConsumer(b, cfg, newProc(b))
		waitAssignedTB(b, run.c)
		b.StartTimer()
		start = time.Now()
		produce(b, brokers, DefaultTopic, msgs...)
		for processedCount(b, run.c) < n {
			time.Sleep(time.Millisecond)
		}
		hook += time.Since(start)
		b.StopTimer()
		run.wait(b)
	}
	total := float64(n * b.N)
	b.ReportMetric(total/hook.Seconds(), "hook-uploads/s")
	b.ReportMetric(total/direct.Seconds(), "direct-uploads/s")
	b.ReportMetric(hook.Seconds()/direct.Seconds(), "ratio")
	b.ReportMetric(100*(hook.Seconds()/direct.Seconds()-1), "overhead-%")
	b.ReportMetric(float64(hook-direct)/total/float64(time.Millisecond), "ms-added/upload")
}

// waitAssignedTB waits until c owns every partition of the uploads topic.
func waitAssignedTB(tb testing.TB, c *Consumer) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c.tr.mu.Lock()
		n := len(c.tr.parts)
		c.tr.mu.Unlock()
		if n == 4 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal("consumer never got its partitions")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// processedCount is how many verdicts c has had acknowledged.
func processedCount(tb testing.TB, c *Consumer) int {
	tb.Helper()
	var m dto.Metric
	n := 0
	for _, d := range []models.Decision{models.Clean, models.Duplicate, models.Lifted} {
		if err := c.m.processed.WithLabelValues(string(d)).Write(&m); err != nil {
			tb.Fatal(err)
		}
		n += int(m.GetCounter().GetValue())
	}
	return n
}
