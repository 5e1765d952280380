package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
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

// TestServeStartsAndStops runs `copycat serve` on 127.0.0.1:0 with a fresh
// data directory, probes it and stops it with the context, as SIGTERM does.
func TestServeStartsAndStops(t *testing.T) {
	var logs, stderr lockedBuffer
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
		Getenv: func(string) string { return "" },
		Log:    slog.New(slog.NewTextHandler(&logs, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- env.main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--deadline-interval", "1h"})
	}()
	addrRE := regexp.MustCompile(`msg="copycat serving" addr=(\S+)`)
	var base string
	for deadline := time.Now().Add(time.Minute); base == ""; {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before listening: %s%s", code, stderr.String(), logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
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
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited with %d after shutdown: %s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(logs.String(), "copycat stopped") {
		t.Errorf("no clean stop in the log: %s", logs.String())
	}
}
