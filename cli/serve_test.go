package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs `copycat serve` with args on 127.0.0.1:0 and returns its
// base URL, its logs and a function that stops it (as SIGTERM does) and
// returns the exit code.
func startServe(t *testing.T, getenv func(string) string, args ...string) (string, *lockedBuffer, func() int) {
	t.Helper()
	logs, stderr := &lockedBuffer{}, &lockedBuffer{}
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: stderr,
		Getenv: getenv,
		Log:    slog.New(slog.NewTextHandler(logs, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- env.main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--deadline-interval", "1h"}, args...))
	}()
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited with %d: %s", code, stderr.String())
			}
			return code
		case <-time.After(time.Minute):
			t.Fatal("serve did not stop")
		}
		return -1
	}
	addrRE := regexp.MustCompile(`msg="copycat serving" addr=(\S+)`)
	for deadline := time.Now().Add(time.Minute); ; {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1], logs, stop
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited with %d before listening: %s%s", code, stderr.String(), logs.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServeStartsAndStops runs `copycat serve` on 127.0.0.1:0 with a fresh
// data directory, probes it and stops it with the context, as SIGTERM does.
func TestServeStartsAndStops(t *testing.T) {
	base, logs, stop := startServe(t, func(string) string { return "" }, "--data", t.TempDir())
	for _, c := range []struct {
		path   string
		status int
		want   string
	}{
		{"/healthz", 200, `"ok"`},
		{"/readyz", 200, `"claims_store":"ok"`},
		{"/metrics", 200, `copycat_index_size{unit="videos"} 0`},
		{"/metrics", 200, `copycat_claims{state="open"} 0`},
		{"/openapi.json", 200, `"openapi"`},
		{"/v1/claims", 401, `"unauthorized"`},
		{"/signin", 200, "<form"}, // the reviewer pages are mounted
	} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatalf("GET %s: %v", c.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
			t.Errorf("GET %s = %d, want %d with %q; body: %.300s", c.path, resp.StatusCode, c.status, c.want, b)
		}
	}
	stop()
	if !strings.Contains(logs.String(), "copycat stopped") {
		t.Errorf("no clean stop in the log: %s", logs.String())
	}
}

// TestServeWithKafka runs serve with the Kafka hook against an in-process
// broker: an upload announced on the topic gets its verdict produced, and
// the same result (with evidence frames from the kept copy) is served by
// the HTTP API, since both hooks share one upload service.
func TestServeWithKafka(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "uploads", "upload-verdicts", "uploads.dlq"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	data, media := t.TempDir(), t.TempDir()
	video := filepath.Join(media, "clip.mp4")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "mandelbrot=s=320x240:rate=25", "-t", "4", "-pix_fmt", "yuv420p", video).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	token := func(role string) string {
		var out bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard, Getenv: func(string) string { return "" }, Log: slog.New(slog.DiscardHandler)}
		if code := env.main(context.Background(), []string{"tokens", "create", "--data", data, "--role", role}); code != 0 {
			t.Fatalf("tokens create exited %d", code)
		}
		return strings.Fields(out.String())[0]
	}
	pipeTok, revTok := token("pipeline"), token("reviewer")
	base, logs, stop := startServe(t, func(k string) string {
		if k == "COPYCAT_KAFKA_BROKERS" {
			return strings.Join(brokers, ",")
		}
		return ""
	}, "--data", data, "--local-dir", media)
	defer stop()

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("upload-verdicts"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DefaultProduceTopic("uploads"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte("k-1"), Value: []byte(`{"upload_id":"k-1","video_uri":"` + video + `","uploader":"carol"}`)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var verdict []byte
	for verdict == nil {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("no verdict; logs:\n%s", logs.String())
		}
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Key) == "k-1" {
				verdict = r.Value
			}
		})
	}
	if !strings.Contains(string(verdict), `"clean"`) {
		t.Errorf("verdict %s, want clean", verdict)
	}
	get := func(path, tok string) (int, string, []byte) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	if code, _, b := get("/v1/uploads/k-1", pipeTok); code != 200 || !strings.Contains(string(b), `"upload_id":"k-1"`) {
		t.Errorf("GET /v1/uploads/k-1 = %d %s", code, b)
	}
	if code, ct, b := get("/v1/uploads/k-1/frame?t=1", revTok); code != 200 || ct != "image/jpeg" {
		t.Errorf("frame of a Kafka upload = %d %s %.200s", code, ct, b)
	}
}
