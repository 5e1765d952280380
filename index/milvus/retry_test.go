package milvus

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/copycat-video/copycat/models"
)

func TestRetryPolicy(t *testing.T) {
	unavailable := models.Errorf(models.EUnavailable, "down")
	invalid := models.Errorf(models.EInvalid, "bad")
	tests := []struct {
		name     string
		attempts int
		errs     []error // what successive calls return; nil after the list
		wantErr  string  // code, "" for success
		wantCall int
	}{
		{"success first", 3, nil, "", 1},
		{"recovers", 4, []error{unavailable, unavailable}, "", 3},
		{"gives up", 3, []error{unavailable, unavailable, unavailable, unavailable}, models.EUnavailable, 3},
		{"no retry on invalid", 5, []error{invalid}, models.EInvalid, 1},
		{"no retry on internal", 5, []error{errors.New("boom")}, models.EInternal, 1},
		{"one attempt", 1, []error{unavailable}, models.EUnavailable, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := RetryPolicy{Attempts: tt.attempts, Initial: time.Millisecond, Max: 2 * time.Millisecond}
			calls := 0
			err := p.Do(context.Background(), nil, "op", func(context.Context) error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if got := models.ErrorCode(err); got != tt.wantErr {
				t.Errorf("error %v (code %q), want code %q", err, got, tt.wantErr)
			}
			if calls != tt.wantCall {
				t.Errorf("%d calls, want %d", calls, tt.wantCall)
			}
		})
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := RetryPolicy{Attempts: 1000, Initial: time.Hour}
	calls := 0
	done := make(chan error)
	go func() {
		done <- p.Do(ctx, nil, "op", func(context.Context) error {
			calls++
			return models.Errorf(models.EUnavailable, "down")
		})
	}()
	cancel()
	err := <-done
	// Whether the cancel lands before the first call or during the pause,
	// the answer is EUnavailable at once, not after an hour's pause.
	if models.ErrorCode(err) != models.EUnavailable {
		t.Errorf("error %v, want EUnavailable", err)
	}
	if calls != 1 {
		t.Errorf("%d calls, want 1", calls)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{context.DeadlineExceeded, models.EUnavailable},
		{context.Canceled, models.EUnavailable},
		{status.Error(codes.Unavailable, "connection refused"), models.EUnavailable},
		{status.Error(codes.ResourceExhausted, "rate"), models.EUnavailable},
		{status.Error(codes.NotFound, "x"), models.ENotFound},
		{status.Error(codes.InvalidArgument, "x"), models.EInvalid},
		{status.Error(codes.PermissionDenied, "x"), models.EForbidden},
		{status.Error(codes.Unauthenticated, "x"), models.EUnauthorized},
		{status.Error(codes.Internal, "x"), models.EInternal},
		{errors.New("collection not found[collection=abc]"), models.ENotFound},
		{errors.New("service not ready"), models.EUnavailable},
		{errors.New("something else"), models.EInternal},
		{models.Errorf(models.EConflict, "kept"), models.EConflict},
	}
	for _, tt := range tests {
		err := classify(tt.err, "milvus at %s: op", "h:1")
		if got := models.ErrorCode(err); got != tt.want {
			t.Errorf("classify(%v) = %v (code %s), want %s", tt.err, err, got, tt.want)
		}
		if tt.want != models.EConflict && !strings.Contains(err.Error(), "milvus at h:1") {
			t.Errorf("classify(%v) = %q: the address is missing", tt.err, err)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("classify(%v) lost the cause", tt.err)
		}
	}
	if classify(nil, "x") != nil {
		t.Error("classify(nil) is not nil")
	}
}

// TestOpenUnreachable needs no server: a closed port and a port that
// accepts connections but never speaks gRPC must both fail with
// EUnavailable naming the address, within the bounded retries.
func TestOpenUnreachable(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold the connection open, say nothing
		}
	}()

	for _, addr := range []string{closedAddr, silent.Addr().String()} {
		opts := Options{DialTimeout: 300 * time.Millisecond, Retry: RetryPolicy{Attempts: 2, Initial: 10 * time.Millisecond}}
		start := time.Now()
		x, err := Open(context.Background(), "milvus://"+addr+"/c", opts)
		if err == nil {
			x.Close()
			t.Fatalf("open %s: no error", addr)
		}
		if models.ErrorCode(err) != models.EUnavailable || !strings.Contains(err.Error(), addr) {
			t.Errorf("open %s: %v (code %s), want EUnavailable naming the address", addr, err, models.ErrorCode(err))
		}
		// Two attempts of 300ms each and a pause: far below a minute even
		// on a loaded machine; this guards against an unbounded wait, not
		// a speed.
		if d := time.Since(start); d > time.Minute {
			t.Errorf("open %s took %v", addr, d)
		}
	}
}

func TestVidOf(t *testing.T) {
	seen := map[int64]string{}
	for _, id := range []string{"a", "b", "tiktok:1", "tiktok:2", "", "\"", "ü"} {
		v := vidOf(id)
		if v < 0 {
			t.Errorf("vidOf(%q) = %d is negative", id, v)
		}
		if v != vidOf(id) {
			t.Errorf("vidOf(%q) is not deterministic", id)
		}
		if other, ok := seen[v]; ok {
			t.Errorf("vidOf(%q) == vidOf(%q)", id, other)
		}
		seen[v] = id
	}
}

func TestHashBytes(t *testing.T) {
	a, b := models.Hash64(0x0123456789abcdef), models.Hash64(0x0123456789abcdee)
	ba, bb := hashBytes(a), hashBytes(b)
	if len(ba) != 8 {
		t.Fatalf("%d bytes, want 8", len(ba))
	}
	diff := 0
	for i := range ba {
		for x := ba[i] ^ bb[i]; x != 0; x &= x - 1 {
			diff++
		}
	}
	if diff != a.Distance(b) {
		t.Errorf("byte layout changes the distance: %d, want %d", diff, a.Distance(b))
	}
}
