package index

import (
	"bytes"
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/copycat-video/copycat/models"
)

// model is the reference the big tests check the index against.
type model map[string][]models.FrameHash

func (m model) search(q models.FrameHash, r int) []string {
	var out []string
	for id, hs := range m {
		for _, h := range hs {
			if h.Kind == q.Kind {
				if d := bits.OnesCount64(uint64(h.Bits ^ q.Bits)); d <= r {
					out = append(out, fmt.Sprintf("%02d %s %d", d, id, int(h.T*1000+0.5)))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func randomVideo(rng *rand.Rand) []models.FrameHash {
	kind := models.KindPHash
	if rng.IntN(4) == 0 {
		kind = models.KindDHash
	}
	var hs []models.FrameHash
	for _, e := range videoCodes(rng, 30) {
		hs = append(hs, models.FrameHash{T: float64(e.ms) / 1000, Kind: kind, Bits: models.Hash64(e.hash)})
	}
	return hs
}

func checkAgainst(t *testing.T, e *Embedded, m model, rng *rand.Rand, when string) {
	t.Helper()
	ctx := context.Background()
	var all []models.FrameHash
	for _, hs := range m {
		all = append(all, hs...)
	}
	var qs []models.FrameHash
	for range 40 {
		q := all[rng.IntN(len(all))]
		for range rng.IntN(6) {
			q.Bits ^= 1 << rng.IntN(64)
		}
		qs = append(qs, q, models.FrameHash{Kind: q.Kind, Bits: models.Hash64(rng.Uint64())})
	}
	for _, r := range []int{0, 6, 10} {
		res, err := e.Search(ctx, qs, SearchOptions{Radius: r})
		if err != nil {
			t.Fatalf("%s: search: %v", when, err)
		}
		for i, ns := range res {
			got := make([]string, len(ns))
			for j, n := range ns {
				got[j] = fmt.Sprintf("%02d %s %d", n.Distance, n.VideoID, int(n.T*1000+0.5))
			}
			slices.Sort(got)
			if want := m.search(qs[i], r); !slices.Equal(got, want) {
				t.Fatalf("%s: radius %d query %d: %d hits, want %d", when, r, i, len(got), len(want))
			}
		}
	}
	st, err := e.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hashes := 0
	for _, hs := range m {
		hashes += len(hs)
	}
	if st.Videos != len(m) || st.Hashes != hashes {
		t.Fatalf("%s: stats %d videos %d hashes, want %d and %d", when, st.Videos, st.Hashes, len(m), hashes)
	}
}

// TestRebuildCompactReopen drives an index past the sizes where it builds
// multi-index tables, merges in the background and compacts its log into a
// snapshot, with deletes and replacements on the way, and checks it against
// a model before and after a reopen from the snapshot.
func TestRebuildCompactReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := OpenEmbedded(dir, EmbeddedOptions{CompactBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	m := model{}
	var ids []string
	for b := range 20 {
		var batch []VideoHashes
		for i := range 40 {
			id := fmt.Sprintf("big-%02d-%02d", b, i)
			hs := randomVideo(rng)
			batch = append(batch, VideoHashes{models.Video{ID: id, Platform: "kuaishou", Duration: 15}, hs})
			m[id] = hs
			ids = append(ids, id)
		}
		if err := e.AddBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		// Deletes and replacements between batches, so that they land
		// in the delta, the tables and the snapshot alike.
		for range 5 {
			id := ids[rng.IntN(len(ids))]
			if _, ok := m[id]; !ok {
				continue
			}
			if rng.IntN(2) == 0 {
				if err := e.Delete(ctx, id); err != nil {
					t.Fatal(err)
				}
				delete(m, id)
			} else {
				hs := randomVideo(rng)
				if err := e.Add(ctx, models.Video{ID: id, Platform: "kuaishou", Duration: 15}, hs); err != nil {
					t.Fatal(err)
				}
				m[id] = hs
			}
		}
	}
	checkAgainst(t, e, m, rng, "before optimize")
	if err := e.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	e.mu.RLock()
	tables := len(e.kinds[0].main.tables)
	e.mu.RUnlock()
	if tables == 0 {
		t.Fatalf("phash entries were not indexed in tables")
	}
	checkAgainst(t, e, m, rng, "after optimize")
	if err := e.compact(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, snapshotName)); err != nil {
		t.Fatalf("no snapshot after compaction: %v", err)
	}
	// Writes after the snapshot go to the log and must survive too.
	hs := randomVideo(rng)
	if err := e.Add(ctx, models.Video{ID: "after-snapshot", Platform: "self"}, hs); err != nil {
		t.Fatal(err)
	}
	m["after-snapshot"] = hs
	gone := ids[0]
	if _, ok := m[gone]; ok {
		if err := e.Delete(ctx, gone); err != nil {
			t.Fatal(err)
		}
		delete(m, gone)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e, err = OpenEmbedded(dir, EmbeddedOptions{})
	if err != nil {
		t.Fatalf("reopen from snapshot and log: %v", err)
	}
	defer e.Close()
	checkAgainst(t, e, m, rng, "after reopen")
}

// TestCorruptSnapshotRefused damages a snapshot in several ways: the index
// must refuse to open, name the file, and leave it byte for byte as it was.
func TestCorruptSnapshotRefused(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	e, err := OpenEmbedded(src, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 9))
	for i := range 40 {
		if err := e.Add(ctx, models.Video{ID: fmt.Sprintf("snap-%d", i), Platform: "self"}, randomVideo(rng)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.compact(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(src, snapshotName))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"flipped bit in the middle", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
		{"cut short", func(b []byte) []byte { return b[:len(b)-10] }},
		{"end record missing", func(b []byte) []byte { return b[:len(b)-lastFrameLen(b)] }},
		{"empty", func([]byte) []byte { return nil }},
		{"garbage after the end", func(b []byte) []byte { return append(b, "more"...) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, snapshotName)
			bad := c.damage(slices.Clone(good))
			if err := os.WriteFile(path, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := OpenEmbedded(dir, EmbeddedOptions{})
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("open: %v, want an error naming %s as corrupt", err, path)
			}
			if testing.Verbose() {
				t.Log(err)
			}
			after, rerr := os.ReadFile(path)
			if rerr != nil || !bytes.Equal(after, bad) {
				t.Errorf("the damaged snapshot was modified")
			}
		})
	}
}

func lastFrameLen(b []byte) int {
	off, last := 0, 0
	for off < len(b) {
		_, size, err := parseFrame(b[off:])
		if err != nil {
			break
		}
		off, last = off+size, size
	}
	return last
}

// TestIdleMerge checks that hashes below the merge threshold do not stay in
// the linearly scanned delta once writes stop.
func TestIdleMerge(t *testing.T) {
	ctx := context.Background()
	e, err := OpenEmbedded(t.TempDir(), EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rng := rand.New(rand.NewPCG(10, 11))
	var batch []VideoHashes
	for i := range 200 {
		batch = append(batch, VideoHashes{models.Video{ID: fmt.Sprint("idle-", i), Platform: "self"}, randomVideo(rng)})
	}
	if err := e.AddBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * idleMerge)
	for {
		e.mu.RLock()
		pending := len(e.kinds[0].delta) + len(e.kinds[2].delta)
		e.mu.RUnlock()
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d hashes still unmerged %v after the last write", pending, 30*idleMerge)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
