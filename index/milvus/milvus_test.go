package milvus

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/index/indextest"
	"github.com/copycat-video/copycat/models"
)

// serverAddr returns the Milvus server the integration tests use, or skips.
func serverAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("COPYCAT_TEST_MILVUS")
	if addr == "" {
		t.Skip("set COPYCAT_TEST_MILVUS=host:port to run against a real Milvus (scripts/milvus.sh up starts one)")
	}
	return addr
}

// freshIndex opens an index under a new collection prefix and drops its
// collections when the test ends.
func freshIndex(t testing.TB, opts Options) (*Index, string) {
	t.Helper()
	addr := serverAddr(t)
	target := fmt.Sprintf("milvus://%s/cctest_%d_%04x", addr, time.Now().UnixNano(), rand.IntN(1<<16))
	ctx := context.Background()
	opts.Create = true
	x, err := Open(ctx, target, opts)
	if err != nil {
		t.Fatalf("open %s: %v", target, err)
	}
	t.Cleanup(func() { dropTarget(t, target) })
	return x, target
}

// dropTarget drops every collection of an index with a client of its own,
// so that it works whatever state a test left the index or its handle in.
func dropTarget(t testing.TB, target string) {
	t.Helper()
	ctx := context.Background()
	tg, err := ParseTarget(target)
	if err != nil {
		t.Error(err)
		return
	}
	c, err := dial(ctx, tg.Addr, 10*time.Second)
	if err != nil {
		t.Errorf("connect to drop %s: %v", target, err)
		return
	}
	defer c.Close()
	x := &Index{prefix: tg.Prefix}
	for _, name := range append([]string{x.videos()}, x.collection(models.KindPHash), x.collection(models.KindAHash), x.collection(models.KindDHash)) {
		if has, err := c.HasCollection(ctx, name); err != nil || !has {
			continue
		}
		if err := c.DropCollection(ctx, name); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	}
}

func TestConformance(t *testing.T) {
	serverAddr(t)
	indextest.Run(t, func(t *testing.T) (index.Index, func(t *testing.T) index.Index) {
		x, target := freshIndex(t, Options{})
		return x, func(t *testing.T) index.Index {
			t.Helper()
			y, err := Open(context.Background(), target, Options{})
			if err != nil {
				t.Fatalf("reopen %s: %v", target, err)
			}
			return y
		}
	})
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want Target
		err  bool
	}{
		{in: "milvus://127.0.0.1:19530/refs", want: Target{"127.0.0.1:19530", "refs"}},
		{in: "milvus://db.internal/refs_v2", want: Target{"db.internal:19530", "refs_v2"}},
		{in: "127.0.0.1:19531", want: Target{"127.0.0.1:19531", DefaultPrefix}},
		{in: "localhost:19530/_x", want: Target{"localhost:19530", "_x"}},
		{in: "milvus://[::1]:19530/c", want: Target{"[::1]:19530", "c"}},
		{in: "milvus://h:19530/", want: Target{"h:19530", DefaultPrefix}},
		{in: "", err: true},
		{in: "::", err: true},
		{in: "milvus://h%2Fx:19530/c", err: true},
		{in: "   ", err: true},
		{in: "http://h:19530/c", err: true},
		{in: "milvus:///c", err: true},
		{in: "milvus://h:0/c", err: true},
		{in: "milvus://h:70000/c", err: true},
		{in: "milvus://h:port/c", err: true},
		{in: "milvus://h:19530/1abc", err: true},
		{in: "milvus://h:19530/a-b", err: true},
		{in: "milvus://h:19530/a/b", err: true},
		{in: "milvus://h:19530/a%20b", err: true},
		{in: "milvus://u:p@h:19530/c", err: true},
		{in: "milvus://h:19530/c?x=1", err: true},
		{in: "milvus://h:19530/" + strings.Repeat("a", 201), err: true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if tt.err {
			if models.ErrorCode(err) != models.EInvalid {
				t.Errorf("ParseTarget(%q) = %v, %v; want an EInvalid error", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if again, err := ParseTarget(got.String()); err != nil || again != got {
			t.Errorf("ParseTarget(%q) does not round-trip: %v, %v", got.String(), again, err)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"milvus://127.0.0.1:19530/refs", "h:1/c", "milvus://[::1]/x", "%", "milvus://h:19530/a?b#c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("ParseTarget(%q): error code %s, want invalid", s, models.ErrorCode(err))
			}
			return
		}
		if !nameRE.MatchString(tg.Prefix) || tg.Addr == "" {
			t.Fatalf("ParseTarget(%q) = %+v: accepted a bad target", s, tg)
		}
		again, err := ParseTarget(tg.String())
		if err != nil || again != tg {
			t.Fatalf("ParseTarget(%q) = %+v does not round-trip: %+v, %v", s, tg, again, err)
		}
	})
}
