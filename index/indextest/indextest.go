// Package indextest is the conformance suite every index.Index backend must
// pass, in the manner of testing/fstest: a backend's own test calls Run with a
// function that opens a fresh, empty index.
//
// The suite requires read-your-writes: whatever Add or Delete acknowledged is
// visible to the next Search, Video, Videos and Stats call, on the same handle
// and after a reopen. Backends with eventually consistent reads (Milvus) must
// make their writes visible before they return.
//
// Frame times are compared to the millisecond: backends may store them at
// that precision.
package indextest

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/models"
)

// Opener opens a new, empty index for one test. It also returns reopen,
// which opens the same store again; the suite calls it only after it has
// closed idx. The suite closes every index it is given exactly once.
// Backends clean up their storage with t.Cleanup.
type Opener func(t *testing.T) (idx index.Index, reopen func(t *testing.T) index.Index)

// timeTolerance is how far a returned frame time may be from the stored one.
const timeTolerance = 0.0011

// Run runs the whole conformance suite against the backend that open opens.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Empty", testEmpty},
		{"ExactHits", testExactHits},
		{"RadiusBoundary", testRadiusBoundary},
		{"NearestFirst", testNearestFirst},
		{"ManyVideosShareHash", testManyVideosShareHash},
		{"TopK", testTopK},
		{"DeleteThenSearch", testDeleteThenSearch},
		{"ReAddReplaces", testReAddReplaces},
		{"KindsNeverMix", testKindsNeverMix},
		{"MixedBatch", testMixedBatch},
		{"BadInput", testBadInput},
		{"VideosPaging", testVideosPaging},
		{"ConcurrentAddSearch", testConcurrentAddSearch},
		{"ReopenKeepsEverything", testReopen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

// openIndex opens a fresh index and closes it when the test ends.
func openIndex(t *testing.T, open Opener) (index.Index, func(t *testing.T) index.Index) {
	t.Helper()
	idx, reopen := open(t)
	closed := false
	t.Cleanup(func() {
		if !closed {
			if err := idx.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}
	})
	return &closeOnce{Index: idx, closed: &closed}, reopen
}

// closeOnce lets a test close an index early without the cleanup closing it
// a second time.
type closeOnce struct {
	index.Index
	closed *bool
}

func (c *closeOnce) Close() error {
	if *c.closed {
		return nil
	}
	*c.closed = true
	return c.Index.Close()
}

// Video returns a valid video with the given id and distinctive metadata.
func Video(id string) models.Video {
	return models.Video{
		ID:         id,
		Platform:   "tiktok",
		ExternalID: "ext-" + id,
		URL:        "https://example.com/v/" + id,
		Author:     "author of " + id,
		Published:  time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC),
		Duration:   12.5,
		Path:       "/srv/videos/" + id + ".mp4",
	}
}

// Frames returns n full-frame hashes of the given kind for a video, a random
// walk from a random start (two bit flips per frame), half a second apart.
func Frames(rng *rand.Rand, kind models.HashKind, n int) []models.FrameHash {
	out := make([]models.FrameHash, n)
	h := rng.Uint64()
	for i := range out {
		out[i] = models.FrameHash{T: float64(i) * 0.5, Kind: kind, Bits: models.Hash64(h), Quality: 1}
		h ^= 1<<rng.IntN(64) | 1<<rng.IntN(64)
	}
	return out
}

// flip returns h with n distinct random bits flipped: a hash at distance
// exactly n.
func flip(rng *rand.Rand, h uint64, n int) uint64 {
	for _, b := range rng.Perm(64)[:n] {
		h ^= 1 << b
	}
	return h
}

func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	var seed uint64
	for _, c := range t.Name() {
		seed = seed*31 + uint64(c)
	}
	return rand.New(rand.NewPCG(seed, 0x636f707963617421))
}

func mustAdd(t *testing.T, idx index.Index, v models.Video, hs []models.FrameHash) {
	t.Helper()
	if err := idx.Add(context.Background(), v, hs); err != nil {
		t.Fatalf("add %q: %v", v.ID, err)
	}
}

func mustSearch(t *testing.T, idx index.Index, qs []models.FrameHash, opts index.SearchOptions) [][]models.Neighbor {
	t.Helper()
	res, err := idx.Search(context.Background(), qs, opts)
	if err != nil {
		t.Fatalf("search (radius %d, topk %d): %v", opts.Radius, opts.TopK, err)
	}
	if len(res) != len(qs) {
		t.Fatalf("search: %d result lists for %d queries", len(res), len(qs))
	}
	for i, ns := range res {
		checkNeighbours(t, qs[i], ns, opts)
	}
	return res
}

// checkNeighbours checks the invariants every result list must hold.
func checkNeighbours(t *testing.T, q models.FrameHash, ns []models.Neighbor, opts index.SearchOptions) {
	t.Helper()
	if opts.TopK > 0 && len(ns) > opts.TopK {
		t.Errorf("query %s: %d neighbours, more than topk %d", q.Bits, len(ns), opts.TopK)
	}
	for i, n := range ns {
		if n.Distance < 0 || n.Distance > opts.Radius {
			t.Errorf("query %s: neighbour %+v outside radius %d", q.Bits, n, opts.Radius)
		}
		if i > 0 && ns[i-1].Distance > n.Distance {
			t.Errorf("query %s: neighbours not nearest first: %d before %d", q.Bits, ns[i-1].Distance, n.Distance)
		}
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s", what, code)
		return
	}
	if got := models.ErrorCode(err); got != code {
		t.Errorf("%s: error %q has code %s, want %s", what, err, got, code)
	}
}

func sameVideo(t *testing.T, got, want models.Video) {
	t.Helper()
	if got.ID != want.ID || got.Platform != want.Platform || got.ExternalID != want.ExternalID ||
		got.URL != want.URL || got.Author != want.Author || got.Path != want.Path || !got.Published.Equal(want.Published) ||
		math.Abs(got.Duration-want.Duration) > 1e-9 {
		t.Errorf("video %q:\n got %+v\nwant %+v", want.ID, got, want)
	}
}

func wantStats(t *testing.T, idx index.Index, videos int, byKind map[models.HashKind]int) {
	t.Helper()
	st, err := idx.Stats(context.Background())
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	hashes := 0
	for _, n := range byKind {
		hashes += n
	}
	if st.Videos != videos || st.Hashes != hashes {
		t.Errorf("stats: %d videos, %d hashes; want %d, %d", st.Videos, st.Hashes, videos, hashes)
	}
	for _, k := range models.HashKinds {
		if st.ByKind[k] != byKind[k] {
			t.Errorf("stats: %d %s hashes, want %d", st.ByKind[k], k, byKind[k])
		}
	}
}

// hit is a neighbour reduced to what the suite compares; time in whole
// milliseconds so that backends storing milliseconds compare equal.
type hit struct {
	Video string
	MS    int64
	Dist  int
}

func hits(ns []models.Neighbor) []hit {
	out := make([]hit, len(ns))
	for i, n := range ns {
		out[i] = hit{n.VideoID, int64(math.Round(n.T * 1000)), n.Distance}
	}
	slices.SortFunc(out, func(a, b hit) int {
		return cmpHit(a, b)
	})
	return out
}

func cmpHit(a, b hit) int {
	if a.Dist != b.Dist {
		return a.Dist - b.Dist
	}
	if c := strings.Compare(a.Video, b.Video); c != 0 {
		return c
	}
	switch {
	case a.MS < b.MS:
		return -1
	case a.MS > b.MS:
		return 1
	}
	return 0
}

// bruteForce is the reference answer: every stored frame within radius.
func bruteForce(stored map[string][]models.FrameHash, q models.FrameHash, radius int) []hit {
	var out []hit
	for id, hs := range stored {
		for _, h := range hs {
			if h.Kind != q.Kind {
				continue
			}
			if d := bits.OnesCount64(uint64(h.Bits ^ q.Bits)); d <= radius {
				out = append(out, hit{id, int64(math.Round(h.T * 1000)), d})
			}
		}
	}
	slices.SortFunc(out, cmpHit)
	return out
}

func sameHits(t *testing.T, what string, got []models.Neighbor, want []hit) {
	t.Helper()
	g := hits(got)
	if len(want) == 0 && len(g) == 0 {
		return
	}
	if !slices.Equal(g, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, g, want)
	}
}

func testEmpty(t *testing.T, open Opener) {
	ctx := context.Background()
	idx, _ := openIndex(t, open)
	wantStats(t, idx, 0, nil)
	q := []models.FrameHash{{Kind: models.KindPHash, Bits: 0x0123456789abcdef}, {Kind: models.KindDHash}}
	for _, r := range []int{0, 10, 64} {
		res := mustSearch(t, idx, q, index.SearchOptions{Radius: r})
		for i, ns := range res {
			if len(ns) != 0 {
				t.Errorf("radius %d: query %d found %v in an empty index", r, i, ns)
			}
		}
	}
	if res := mustSearch(t, idx, nil, index.SearchOptions{Radius: 4}); len(res) != 0 {
		t.Errorf("search of no queries: %v", res)
	}
	vs, err := idx.Videos(ctx, "", 0)
	if err != nil || len(vs) != 0 {
		t.Errorf("videos of an empty index: %v, %v", vs, err)
	}
	_, err = idx.Video(ctx, "nope")
	wantCode(t, "video of an empty index", err, models.ENotFound)
	wantCode(t, "delete from an empty index", idx.Delete(ctx, "nope"), models.ENotFound)
}

func testExactHits(t *testing.T, open Opener) {
	ctx := context.Background()
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	stored := map[string][]models.FrameHash{}
	for i := range 5 {
		v := Video(fmt.Sprintf("exact-%d", i))
		hs := Frames(rng, models.KindPHash, 20)
		mustAdd(t, idx, v, hs)
		stored[v.ID] = hs
	}
	for id, hs := range stored {
		got, err := idx.Video(ctx, id)
		if err != nil {
			t.Fatalf("video %q: %v", id, err)
		}
		sameVideo(t, got, Video(id))
		for _, r := range []int{0, 3} {
			res := mustSearch(t, idx, hs, index.SearchOptions{Radius: r})
			for i, q := range hs {
				sameHits(t, fmt.Sprintf("%s frame %d radius %d", id, i, r), res[i], bruteForce(stored, q, r))
				if len(res[i]) == 0 || res[i][0].Distance != 0 {
					t.Errorf("%s frame %d: exact hash not first: %v", id, i, res[i])
				}
			}
		}
	}
	wantStats(t, idx, 5, map[models.HashKind]int{models.KindPHash: 100})
}

func testRadiusBoundary(t *testing.T, open Opener) {
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	radii := []int{0, 1, 2, 4, 7, 8, 10, 12, 16, 20, 32, 63, 64}
	type tc struct {
		id string
		q  models.FrameHash
		r  int
	}
	var cases []tc
	for _, r := range radii {
		base := rng.Uint64()
		id := fmt.Sprintf("radius-%02d", r)
		hs := []models.FrameHash{{T: 1, Kind: models.KindPHash, Bits: models.Hash64(flip(rng, base, r))}}
		if r < 64 {
			hs = append(hs, models.FrameHash{T: 2, Kind: models.KindPHash, Bits: models.Hash64(flip(rng, base, r+1))})
		}
		mustAdd(t, idx, Video(id), hs)
		cases = append(cases, tc{id, models.FrameHash{Kind: models.KindPHash, Bits: models.Hash64(base)}, r})
	}
	for _, c := range cases {
		res := mustSearch(t, idx, []models.FrameHash{c.q}, index.SearchOptions{Radius: c.r})
		var own []models.Neighbor
		for _, n := range res[0] {
			if n.VideoID == c.id {
				own = append(own, n)
			}
		}
		sameHits(t, fmt.Sprintf("radius %d (distance %d in, %d out)", c.r, c.r, c.r+1), own, []hit{{c.id, 1000, c.r}})
		if c.r < 64 {
			res = mustSearch(t, idx, []models.FrameHash{c.q}, index.SearchOptions{Radius: c.r + 1})
			own = own[:0]
			for _, n := range res[0] {
				if n.VideoID == c.id {
					own = append(own, n)
				}
			}
			sameHits(t, fmt.Sprintf("radius %d", c.r+1), own, []hit{{c.id, 1000, c.r}, {c.id, 2000, c.r + 1}})
		}
	}
}

func testNearestFirst(t *testing.T, open Opener) {
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	q := rng.Uint64()
	var hs []models.FrameHash
	dists := []int{5, 3, 0, 9, 1, 7, 2, 4, 8, 6}
	for i, d := range dists {
		hs = append(hs, models.FrameHash{T: float64(i), Kind: models.KindPHash, Bits: models.Hash64(flip(rng, q, d))})
	}
	mustAdd(t, idx, Video("nearest"), hs)
	res := mustSearch(t, idx, []models.FrameHash{{Kind: models.KindPHash, Bits: models.Hash64(q)}}, index.SearchOptions{Radius: 9})
	var got []int
	for _, n := range res[0] {
		got = append(got, n.Distance)
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(got, want) {
		t.Errorf("distances %v, want %v", got, want)
	}
	for _, n := range res[0] {
		if want := float64(slices.Index(dists, n.Distance)); math.Abs(n.T-want) > timeTolerance {
			t.Errorf("distance %d at t=%v, want t=%v", n.Distance, n.T, want)
		}
	}
}

func testManyVideosShareHash(t *testing.T, open Opener) {
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	shared := models.Hash64(rng.Uint64())
	stored := map[string][]models.FrameHash{}
	for i := range 40 {
		id := fmt.Sprintf("share-%02d", i)
		hs := Frames(rng, models.KindPHash, 5)
		hs[2].Bits = shared
		hs = append(hs, models.FrameHash{T: 9, Kind: models.KindPHash, Bits: shared})
		mustAdd(t, idx, Video(id), hs)
		stored[id] = hs
	}
	q := models.FrameHash{Kind: models.KindPHash, Bits: shared}
	for _, r := range []int{0, 2, 6} {
		res := mustSearch(t, idx, []models.FrameHash{q}, index.SearchOptions{Radius: r})
		want := bruteForce(stored, q, r)
		if len(want) < 80 {
			t.Fatalf("test data: only %d expected hits", len(want))
		}
		sameHits(t, fmt.Sprintf("shared hash radius %d", r), res[0], want)
	}
}

func testTopK(t *testing.T, open Opener) {
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	q := rng.Uint64()
	stored := map[string][]models.FrameHash{}
	for i := range 12 {
		id := fmt.Sprintf("topk-%02d", i)
		hs := []models.FrameHash{
			{T: 1, Kind: models.KindPHash, Bits: models.Hash64(flip(rng, q, i%6))},
			{T: 2, Kind: models.KindPHash, Bits: models.Hash64(flip(rng, q, 6+i%3))},
		}
		mustAdd(t, idx, Video(id), hs)
		stored[id] = hs
	}
	query := models.FrameHash{Kind: models.KindPHash, Bits: models.Hash64(q)}
	all := bruteForce(stored, query, 8)
	for _, k := range []int{1, 3, 10, 24, 100} {
		res := mustSearch(t, idx, []models.FrameHash{query}, index.SearchOptions{Radius: 8, TopK: k})
		n := min(k, len(all))
		if len(res[0]) != n {
			t.Errorf("topk %d: %d neighbours, want %d", k, len(res[0]), n)
			continue
		}
		// The k nearest distances are fixed; which of several equally near
		// frames fills the last places is up to the backend.
		for i, nb := range res[0] {
			if nb.Distance != all[i].Dist {
				t.Errorf("topk %d: neighbour %d at distance %d, want %d", k, i, nb.Distance, all[i].Dist)
			}
		}
	}
}

func testDeleteThenSearch(t *testing.T, open Opener) {
	ctx := context.Background()
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	a, b := Frames(rng, models.KindPHash, 10), Frames(rng, models.KindPHash, 10)
	b[3].Bits = a[3].Bits
	mustAdd(t, idx, Video("del-a"), a)
	mustAdd(t, idx, Video("del-b"), b)
	if err := idx.Delete(ctx, "del-a"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	stored := map[string][]models.FrameHash{"del-b": b}
	res := mustSearch(t, idx, a, index.SearchOptions{Radius: 2})
	for i, q := range a {
		sameHits(t, fmt.Sprintf("frame %d after delete", i), res[i], bruteForce(stored, q, 2))
	}
	_, err := idx.Video(ctx, "del-a")
	wantCode(t, "video after delete", err, models.ENotFound)
	wantCode(t, "second delete", idx.Delete(ctx, "del-a"), models.ENotFound)
	vs, err := idx.Videos(ctx, "", 0)
	if err != nil || len(vs) != 1 || vs[0].ID != "del-b" {
		t.Errorf("videos after delete: %v, %v", vs, err)
	}
	wantStats(t, idx, 1, map[models.HashKind]int{models.KindPHash: 10})
	// A deleted id can be added again.
	mustAdd(t, idx, Video("del-a"), a[:4])
	stored["del-a"] = a[:4]
	res = mustSearch(t, idx, a, index.SearchOptions{Radius: 2})
	for i, q := range a {
		sameHits(t, fmt.Sprintf("frame %d after re-add", i), res[i], bruteForce(stored, q, 2))
	}
}

func testReAddReplaces(t *testing.T, open Opener) {
	ctx := context.Background()
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	old := Frames(rng, models.KindPHash, 15)
	mustAdd(t, idx, Video("readd"), old)
	v := Video("readd")
	v.Author = "new author"
	v.Duration = 3
	fresh := append(Frames(rng, models.KindPHash, 4), Frames(rng, models.KindDHash, 3)...)
	mustAdd(t, idx, v, fresh)
	stored := map[string][]models.FrameHash{"readd": fresh}
	res := mustSearch(t, idx, append(slices.Clone(old), fresh...), index.SearchOptions{Radius: 3})
	for i, q := range append(slices.Clone(old), fresh...) {
		sameHits(t, fmt.Sprintf("query %d after re-add", i), res[i], bruteForce(stored, q, 3))
	}
	got, err := idx.Video(ctx, "readd")
	if err != nil {
		t.Fatalf("video: %v", err)
	}
	sameVideo(t, got, v)
	wantStats(t, idx, 1, map[models.HashKind]int{models.KindPHash: 4, models.KindDHash: 3})
}

func testKindsNeverMix(t *testing.T, open Opener) {
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	bitsP := Frames(rng, models.KindPHash, 6)
	bitsD := slices.Clone(bitsP)
	for i := range bitsD {
		bitsD[i].Kind = models.KindDHash
	}
	mustAdd(t, idx, Video("kind-p"), bitsP)
	mustAdd(t, idx, Video("kind-d"), bitsD)
	stored := map[string][]models.FrameHash{"kind-p": bitsP, "kind-d": bitsD}
	for _, kind := range models.HashKinds {
		qs := slices.Clone(bitsP)
		for i := range qs {
			qs[i].Kind = kind
		}
		res := mustSearch(t, idx, qs, index.SearchOptions{Radius: 4})
		for i, q := range qs {
			want := bruteForce(stored, q, 4)
			sameHits(t, fmt.Sprintf("%s query %d", kind, i), res[i], want)
			for _, n := range res[i] {
				if (kind == models.KindPHash) != (n.VideoID == "kind-p") || kind == models.KindAHash {
					t.Errorf("%s query matched %s", kind, n.VideoID)
				}
			}
		}
	}
	wantStats(t, idx, 2, map[models.HashKind]int{models.KindPHash: 6, models.KindDHash: 6})
}

// testMixedBatch searches one batch that mixes kinds, variants and queries
// without neighbours, and checks the answers stay in query order.
func testMixedBatch(t *testing.T, open Opener) {
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	stored := map[string][]models.FrameHash{}
	for i, kind := range models.HashKinds {
		id := fmt.Sprintf("mixed-%d", i)
		hs := Frames(rng, kind, 8)
		mustAdd(t, idx, Video(id), hs)
		stored[id] = hs
	}
	var qs []models.FrameHash
	for _, hs := range stored {
		for _, h := range hs {
			q := h
			q.Bits = models.Hash64(flip(rng, uint64(h.Bits), rng.IntN(6)))
			if rng.IntN(2) == 0 {
				q.Variant = models.VariantMirror // queries may carry any variant
			}
			qs = append(qs, q)
			qs = append(qs, models.FrameHash{Kind: h.Kind, Bits: models.Hash64(rng.Uint64())})
		}
	}
	rng.Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
	res := mustSearch(t, idx, qs, index.SearchOptions{Radius: 5})
	for i, q := range qs {
		sameHits(t, fmt.Sprintf("query %d", i), res[i], bruteForce(stored, q, 5))
	}
}

func testBadInput(t *testing.T, open Opener) {
	ctx := context.Background()
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	good := Frames(rng, models.KindPHash, 5)
	mustAdd(t, idx, Video("bad-keep"), good)

	with := func(f func(h *models.FrameHash)) []models.FrameHash {
		hs := Frames(rng, models.KindPHash, 3)
		f(&hs[1])
		return hs
	}
	noPlatform := Video("bad-keep")
	noPlatform.Platform = ""
	adds := []struct {
		name string
		v    models.Video
		hs   []models.FrameHash
	}{
		{"empty id", Video(""), Frames(rng, models.KindPHash, 2)},
		{"no platform", noPlatform, Frames(rng, models.KindPHash, 2)},
		{"mirror variant", Video("bad-keep"), with(func(h *models.FrameHash) { h.Variant = models.VariantMirror })},
		{"unknown variant", Video("bad-keep"), with(func(h *models.FrameHash) { h.Variant = "rotated" })},
		{"unknown kind", Video("bad-keep"), with(func(h *models.FrameHash) { h.Kind = "sha1" })},
		{"empty kind", Video("bad-keep"), with(func(h *models.FrameHash) { h.Kind = "" })},
		{"negative time", Video("bad-keep"), with(func(h *models.FrameHash) { h.T = -1 })},
		{"NaN time", Video("bad-keep"), with(func(h *models.FrameHash) { h.T = math.NaN() })},
		{"infinite time", Video("bad-keep"), with(func(h *models.FrameHash) { h.T = math.Inf(1) })},
	}
	for _, c := range adds {
		wantCode(t, "add with "+c.name, idx.Add(ctx, c.v, c.hs), models.EInvalid)
	}
	// The rejected adds must not have touched the stored video.
	stored := map[string][]models.FrameHash{"bad-keep": good}
	res := mustSearch(t, idx, good, index.SearchOptions{Radius: 0})
	for i, q := range good {
		sameHits(t, fmt.Sprintf("frame %d after rejected adds", i), res[i], bruteForce(stored, q, 0))
	}
	got, err := idx.Video(ctx, "bad-keep")
	if err != nil {
		t.Fatalf("video after rejected adds: %v", err)
	}
	sameVideo(t, got, Video("bad-keep"))
	wantStats(t, idx, 1, map[models.HashKind]int{models.KindPHash: 5})

	searches := []struct {
		name string
		qs   []models.FrameHash
		opts index.SearchOptions
	}{
		{"negative radius", good[:1], index.SearchOptions{Radius: -1}},
		{"radius 65", good[:1], index.SearchOptions{Radius: 65}},
		{"negative topk", good[:1], index.SearchOptions{Radius: 2, TopK: -1}},
		{"unknown kind", []models.FrameHash{good[0], {Kind: "md5"}}, index.SearchOptions{Radius: 2}},
	}
	for _, c := range searches {
		_, err := idx.Search(ctx, c.qs, c.opts)
		wantCode(t, "search with "+c.name, err, models.EInvalid)
	}
	wantCode(t, "delete unknown", idx.Delete(ctx, "bad-unknown"), models.ENotFound)
	wantCode(t, "delete empty id", idx.Delete(ctx, ""), models.EInvalid)
	_, err = idx.Video(ctx, "bad-unknown")
	wantCode(t, "video unknown", err, models.ENotFound)
	// A video without hashes (every frame was flat) is still a video.
	mustAdd(t, idx, Video("bad-nohashes"), nil)
	if _, err := idx.Video(ctx, "bad-nohashes"); err != nil {
		t.Errorf("video without hashes: %v", err)
	}
	wantStats(t, idx, 2, map[models.HashKind]int{models.KindPHash: 5})
}

func testVideosPaging(t *testing.T, open Opener) {
	ctx := context.Background()
	idx, _ := openIndex(t, open)
	rng := newRand(t)
	var ids []string
	for i := range 23 {
		ids = append(ids, fmt.Sprintf("page-%02d", i))
	}
	order := slices.Clone(ids)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, id := range order {
		mustAdd(t, idx, Video(id), Frames(rng, models.KindPHash, 2))
	}
	all, err := idx.Videos(ctx, "", 0)
	if err != nil {
		t.Fatalf("videos: %v", err)
	}
	var got []string
	for _, v := range all {
		got = append(got, v.ID)
		sameVideo(t, v, Video(v.ID))
	}
	if !slices.Equal(got, ids) {
		t.Errorf("all videos: %v, want %v", got, ids)
	}
	got = got[:0]
	after := ""
	for pages := 0; ; pages++ {
		if pages > len(ids) {
			t.Fatalf("paging does not end")
		}
		page, err := idx.Videos(ctx, after, 10)
		if err != nil {
			t.Fatalf("videos after %q: %v", after, err)
		}
		if len(page) > 10 {
			t.Fatalf("page of %d videos, limit 10", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, v := range page {
			got = append(got, v.ID)
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, ids) {
		t.Errorf("paged videos: %v, want %v", got, ids)
	}
	// "after" need not be an indexed id.
	page, err := idx.Videos(ctx, "page-10x", 2)
	if err != nil || len(page) != 2 || page[0].ID != "page-11" || page[1].ID != "page-12" {
		t.Errorf("videos after page-10x: %v, %v", page, err)
	}
}

func testConcurrentAddSearch(t *testing.T, open Opener) {
	ctx := context.Background()
	idx, _ := openIndex(t, open)
	const writers, perWriter, frames = 4, 6, 8
	all := make([][]models.FrameHash, writers*perWriter)
	rng := newRand(t)
	for i := range all {
		all[i] = Frames(rng, models.KindPHash, frames)
	}
	var wg, writing sync.WaitGroup
	errs := make(chan error, writers*perWriter+8)
	for w := range writers {
		writing.Go(func() {
			for i := range perWriter {
				n := w*perWriter + i
				if err := idx.Add(ctx, Video(fmt.Sprintf("conc-%03d", n)), all[n]); err != nil {
					errs <- fmt.Errorf("add %d: %w", n, err)
				}
			}
		})
	}
	done := make(chan struct{})
	for s := range 3 {
		wg.Go(func() {
			for round := 0; ; round++ {
				select {
				case <-done:
					return
				default:
				}
				qs := all[(s+round)%len(all)]
				res, err := idx.Search(ctx, qs, index.SearchOptions{Radius: 3})
				if err != nil {
					errs <- fmt.Errorf("search: %w", err)
					return
				}
				// What a search sees of adds still in flight is up to the
				// backend; every hit it reports must still be in radius.
				for i, ns := range res {
					for _, n := range ns {
						if n.Distance > 3 {
							errs <- fmt.Errorf("query %d: hit at distance %d", i, n.Distance)
							return
						}
					}
				}
				if _, err := idx.Stats(ctx); err != nil {
					errs <- fmt.Errorf("stats: %w", err)
					return
				}
			}
		})
	}
	// Stop the searchers once every writer is done, successful or not.
	writing.Wait()
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	stored := map[string][]models.FrameHash{}
	for n, hs := range all {
		stored[fmt.Sprintf("conc-%03d", n)] = hs
	}
	for n, hs := range all {
		res := mustSearch(t, idx, hs, index.SearchOptions{Radius: 3})
		for i, q := range hs {
			sameHits(t, fmt.Sprintf("video %d frame %d", n, i), res[i], bruteForce(stored, q, 3))
		}
	}
	wantStats(t, idx, len(all), map[models.HashKind]int{models.KindPHash: len(all) * frames})
}

func testReopen(t *testing.T, open Opener) {
	ctx := context.Background()
	idx, reopen := openIndex(t, open)
	rng := newRand(t)
	stored := map[string][]models.FrameHash{}
	for i := range 8 {
		id := fmt.Sprintf("reopen-%d", i)
		hs := Frames(rng, models.HashKinds[i%3], 10)
		mustAdd(t, idx, Video(id), hs)
		stored[id] = hs
	}
	if err := idx.Delete(ctx, "reopen-2"); err != nil {
		t.Fatal(err)
	}
	delete(stored, "reopen-2")
	re := Video("reopen-5")
	re.Author = "replaced"
	stored["reopen-5"] = Frames(rng, models.KindAHash, 3)
	mustAdd(t, idx, re, stored["reopen-5"])

	var queries []models.FrameHash
	for i := range 8 {
		queries = append(queries, Frames(rng, models.HashKinds[i%3], 1)...)
	}
	for _, hs := range stored {
		queries = append(queries, hs...)
	}
	check := func(idx index.Index, when string) {
		t.Helper()
		res := mustSearch(t, idx, queries, index.SearchOptions{Radius: 4})
		for i, q := range queries {
			sameHits(t, fmt.Sprintf("%s: query %d", when, i), res[i], bruteForce(stored, q, 4))
		}
		vs, err := idx.Videos(ctx, "", 0)
		if err != nil {
			t.Fatalf("%s: videos: %v", when, err)
		}
		if len(vs) != len(stored) {
			t.Errorf("%s: %d videos, want %d", when, len(vs), len(stored))
		}
		for _, v := range vs {
			want := Video(v.ID)
			if v.ID == "reopen-5" {
				want = re
			}
			sameVideo(t, v, want)
		}
		counts := map[models.HashKind]int{}
		for _, hs := range stored {
			for _, h := range hs {
				counts[h.Kind]++
			}
		}
		wantStats(t, idx, len(stored), counts)
	}
	check(idx, "before close")
	if err := idx.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	idx2 := reopen(t)
	defer func() {
		if err := idx2.Close(); err != nil {
			t.Errorf("close after reopen: %v", err)
		}
	}()
	check(idx2, "after reopen")
	// The reopened index keeps working.
	mustAdd(t, idx2, Video("reopen-new"), Frames(rng, models.KindPHash, 2))
	if err := idx2.Delete(ctx, "reopen-0"); err != nil {
		t.Errorf("delete after reopen: %v", err)
	}
	_, err := idx2.Video(ctx, "reopen-0")
	wantCode(t, "video after delete after reopen", err, models.ENotFound)
}
