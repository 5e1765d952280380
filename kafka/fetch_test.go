package kafka

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copycat-video/copycat/models"
)

func TestFetcherHTTP(t *testing.T) {
	var flaky, slow atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.mp4":
			w.Write([]byte("video bytes"))
		case "/flaky.mp4":
			if flaky.Add(1) < 3 {
				http.Error(w, "try later", http.StatusTooManyRequests)
				return
			}
			w.Write([]byte("flaky bytes"))
		case "/slow.mp4": // the first attempt outlives the per-attempt timeout
			if slow.Add(1) == 1 {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				return
			}
			w.Write([]byte("slow bytes"))
		case "/big.mp4":
			w.Header().Set("Content-Length", "100000")
			w.Write(make([]byte, 100000))
		case "/chunked-big.mp4": // no Content-Length: the limit stops the body
			w.(http.Flusher).Flush()
			for range 20 {
				w.Write(make([]byte, 1000))
			}
		case "/short.mp4": // announces more than it sends
			w.Header().Set("Content-Length", "50")
			w.Write([]byte("only ten b"))
		case "/down.mp4":
			http.Error(w, "bad gateway", http.StatusBadGateway)
		case "/forbidden.mp4":
			http.Error(w, "no", http.StatusForbidden)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	tests := []struct {
		path     string
		want     string // body on success
		code     string // error code on failure
		attempts int32  // server hits expected, 0: don't check
	}{
		{path: "/ok.mp4", want: "video bytes"},
		{path: "/flaky.mp4", want: "flaky bytes", attempts: 3},
		{path: "/slow.mp4", want: "slow bytes", attempts: 2},
		{path: "/big.mp4", code: models.ETooLarge},
		{path: "/chunked-big.mp4", code: models.ETooLarge},
		{path: "/short.mp4", code: models.EUnavailable},
		{path: "/down.mp4", code: models.EUnavailable},
		{path: "/forbidden.mp4", code: models.EInvalid},
		{path: "/missing.mp4", code: models.ENotFound},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			dir := t.TempDir()
			f := &Fetcher{Client: srv.Client(), MaxBytes: 10000, Timeout: 300 * time.Millisecond, Attempts: 4, Backoff: time.Millisecond, TempDir: dir}
			path, cleanup, err := f.Fetch(context.Background(), srv.URL+tc.path+"?sig=secret")
			if tc.code != "" {
				if models.ErrorCode(err) != tc.code {
					t.Fatalf("Fetch: %v (code %q), want code %q", err, models.ErrorCode(err), tc.code)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error leaks the query string: %v", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(path)
				if err != nil || string(got) != tc.want {
					t.Fatalf("downloaded %q (%v), want %q", got, err, tc.want)
				}
				cleanup()
				if _, err := os.Stat(path); !os.IsNotExist(err) {
					t.Errorf("cleanup left %s", path)
				}
			}
			// Failed or not, no download is left behind.
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("temp dir holds %d files", len(left))
			}
		})
	}
	if n := flaky.Load(); n != 3 {
		t.Errorf("flaky server hit %d times, want 3", n)
	}
}

func TestFetcherCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	f := &Fetcher{Client: srv.Client(), Attempts: 100, Backoff: 10 * time.Millisecond}
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	_, _, err := f.Fetch(ctx, srv.URL+"/v.mp4")
	if err != context.Canceled {
		t.Fatalf("Fetch after cancel: %v, want context.Canceled", err)
	}
}

func TestFetcherLocal(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	in := filepath.Join(root, "in.mp4")
	big := filepath.Join(root, "big.mp4")
	secret := filepath.Join(outside, "secret")
	for path, size := range map[string]int{in: 10, big: 5000, secret: 10} {
		if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(secret, filepath.Join(root, "link.mp4")); err != nil {
		t.Fatal(err)
	}
	confined := &Fetcher{LocalRoot: root, MaxBytes: 1000}
	tests := []struct {
		name string
		f    *Fetcher
		uri  string
		code string
	}{
		{"inside the root", confined, in, ""},
		{"file uri", confined, "file://" + in, ""},
		{"file uri with localhost", confined, "file://localhost" + in, ""},
		{"dot-dot escape", confined, root + "/../" + filepath.Base(outside) + "/secret", models.EForbidden},
		{"symlink escape", confined, filepath.Join(root, "link.mp4"), models.EForbidden},
		{"outside", confined, secret, models.EForbidden},
		{"relative", confined, "in.mp4", models.EInvalid},
		{"missing", confined, filepath.Join(root, "nope.mp4"), models.ENotFound},
		{"directory", confined, root, models.EInvalid},
		{"too large", confined, big, models.ETooLarge},
		{"remote file host", confined, "file://other-host/etc/passwd", models.EInvalid},
		{"unknown scheme", confined, "gopher://x/v.mp4", models.EInvalid},
		{"local refused by default", &Fetcher{}, in, models.EForbidden},
		{"any local when allowed", &Fetcher{AllowAnyLocal: true}, secret, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, cleanup, err := tc.f.Fetch(context.Background(), tc.uri)
			defer cleanup()
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(path); err != nil {
					t.Fatal(err)
				}
				return
			}
			if models.ErrorCode(err) != tc.code {
				t.Fatalf("Fetch(%q): %v, want code %q", tc.uri, err, tc.code)
			}
		})
	}
	// Local files are used in place: cleanup must not remove them.
	_, cleanup, err := confined.Fetch(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	cleanup()
	if _, err := os.Stat(in); err != nil {
		t.Fatalf("cleanup removed the caller's file: %v", err)
	}
}
