package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestConsumeUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no brokers", []string{"consume"}, "--kafka-brokers"},
		{"blank brokers", []string{"consume", "--kafka-brokers", " , "}, "--kafka-brokers"},
		{"stray argument", []string{"consume", "--kafka-brokers", "127.0.0.1:1", "extra"}, "unexpected arguments"},
		{"unknown flag", []string{"consume", "--nope"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runIn(t, t.TempDir(), "", tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

// TestConsumeRun runs `copycat consume` against an in-process broker with
// the real pipeline: a malformed message and a file that is not a video are
// both dead-lettered (the hook and the processor wiring are live), and
// cancelling the context stops it cleanly with exit 0.
func TestConsumeRun(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "uploads", "upload-verdicts", "uploads.dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	data, media := t.TempDir(), t.TempDir()
	text := filepath.Join(media, "notes.mp4")
	if err := os.WriteFile(text, []byte("not a video"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr, Getenv: func(k string) string {
		if k == "COPYCAT_KAFKA_BROKERS" {
			return strings.Join(brokers, ",")
		}
		return ""
	}, Log: slog.New(slog.DiscardHandler)}
	done := make(chan int, 1)
	go func() {
		done <- env.main(ctx, []string{"consume", "--data", data, "--local-root", media, "--concurrency", "1"})
	}()

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("uploads.dlq"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DefaultProduceTopic("uploads"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pctx, pcancel := context.WithTimeout(ctx, time.Minute)
	defer pcancel()
	if err := cl.ProduceSync(pctx,
		&kgo.Record{Key: []byte("bad"), Value: []byte(`{"upload_id":`)},
		&kgo.Record{Key: []byte("text"), Value: []byte(`{"upload_id":"text","video_uri":"` + text + `","uploader":"u"}`)},
		&kgo.Record{Key: []byte("outside"), Value: []byte(`{"upload_id":"outside","video_uri":"/etc/hostname","uploader":"u"}`)},
	).FirstErr(); err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for len(codes) < 3 {
		fs := cl.PollFetches(pctx)
		if pctx.Err() != nil {
			t.Fatalf("dead letters so far %v; stderr:\n%s", codes, stderr.String())
		}
		fs.EachRecord(func(r *kgo.Record) {
			for _, h := range r.Headers {
				if h.Key == "copycat-error-code" {
					codes[string(r.Key)] = string(h.Value)
				}
			}
		})
	}
	want := map[string]string{"bad": "invalid", "text": "invalid", "outside": "forbidden"}
	for k, v := range want {
		if codes[k] != v {
			t.Errorf("%s: dead-lettered as %q, want %q", k, codes[k], v)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("consume did not stop after cancel")
	}
}
