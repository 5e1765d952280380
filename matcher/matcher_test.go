package matcher

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/copycat-video/copycat/models"
)

// copySpec describes one copied stretch in a synthetic query: query time qt
// in [QStart, QEnd) shows reference time Speed*qt + Offset.
type copySpec struct {
	ref          string
	qStart, qEnd float64
	speed        float64
	offset       float64
	variant      models.Variant // the query variant that matches
}

// synth builds a query of dur seconds sampled at rate with the given copies,
// neighbours as the index would return them (reference sampled at refRate,
// each query frame hits the nearest reference frames with small distances)
// plus noise neighbours scattered over unrelated videos.
func synth(t *testing.T, seed uint64, dur, rate, refRate float64, copies []copySpec, noisePerFrame int) Query {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	var q Query
	q.Duration, q.Rate = dur, rate
	for qt := 0.0; qt < dur-1e-9; qt += 1 / rate {
		for _, v := range []models.Variant{models.VariantFull, models.VariantMirror} {
			f := models.FrameHash{T: qt, Kind: models.KindPHash, Variant: v, Quality: 0.5}
			var ns []models.Neighbor
			for _, c := range copies {
				if qt < c.qStart || qt >= c.qEnd || c.variant != v {
					continue
				}
				rt := c.speed*qt + c.offset
				near := math.Round(rt*refRate) / refRate
				ns = append(ns, models.Neighbor{VideoID: c.ref, T: near, Distance: rng.IntN(5)})
				ns = append(ns, models.Neighbor{VideoID: c.ref, T: near + 1/refRate, Distance: 4 + rng.IntN(5)})
			}
			for k := 0; k < noisePerFrame; k++ {
				ns = append(ns, models.Neighbor{
					VideoID:  []string{"n1", "n2", "n3", "n4"}[rng.IntN(4)],
					T:        math.Round(rng.Float64()*60*refRate) / refRate,
					Distance: 6 + rng.IntN(7),
				})
			}
			q.Frames = append(q.Frames, f)
			q.Neighbors = append(q.Neighbors, ns)
		}
	}
	return q
}

func videos() map[string]models.Video {
	out := map[string]models.Video{}
	for _, id := range []string{"a", "b", "n1", "n2", "n3", "n4"} {
		out[id] = models.Video{ID: id, Platform: "tiktok", Duration: 60}
	}
	return out
}

func find(ms []models.Match, id string) *models.Match {
	for i := range ms {
		if ms[i].Reference.ID == id {
			return &ms[i]
		}
	}
	return nil
}

func TestMatchAlignment(t *testing.T) {
	tests := []struct {
		name     string
		dur      float64
		copies   []copySpec
		wantQ    [2]float64 // expected query extent of the union of segments
		wantR    [2]float64 // expected reference extent
		minScore float64
	}{
		{"exact copy", 20, []copySpec{{"a", 0, 20, 1, 0, ""}}, [2]float64{0, 20}, [2]float64{0, 20}, 0.9},
		{"partial copy embedded in longer footage", 30, []copySpec{{"a", 8, 18, 1, 12, ""}}, [2]float64{8, 18}, [2]float64{20, 30}, 0.8},
		{"slowed down 0.78x", 20, []copySpec{{"a", 0, 20, 0.78, 3, ""}}, [2]float64{0, 20}, [2]float64{3, 18.6}, 0.9},
		{"sped up 1.33x", 15, []copySpec{{"a", 0, 15, 1.33, 1, ""}}, [2]float64{0, 15}, [2]float64{1, 20.95}, 0.9},
		{"mirrored", 12, []copySpec{{"a", 0, 12, 1, 5, models.VariantMirror}}, [2]float64{0, 12}, [2]float64{5, 17}, 0.85},
		{"offset before start", 14, []copySpec{{"a", 4, 14, 1, -4, ""}}, [2]float64{4, 14}, [2]float64{0, 10}, 0.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := synth(t, 1, tc.dur, 2, 2, tc.copies, 1)
			ms := New(DefaultParams()).Match(q, videos())
			if len(ms) == 0 || ms[0].Reference.ID != "a" {
				t.Fatalf("best match = %+v, want reference a", ms)
			}
			m := ms[0]
			if m.Score < tc.minScore {
				t.Errorf("score %.3f < %.2f", m.Score, tc.minScore)
			}
			qs, qe, rs, re := extent(m)
			const tol = 0.8
			if math.Abs(qs-tc.wantQ[0]) > tol || math.Abs(qe-tc.wantQ[1]) > tol {
				t.Errorf("query extent [%.2f, %.2f], want %v", qs, qe, tc.wantQ)
			}
			if math.Abs(rs-tc.wantR[0]) > tol || math.Abs(re-tc.wantR[1]) > tol {
				t.Errorf("reference extent [%.2f, %.2f], want %v", rs, re, tc.wantR)
			}
			for _, n := range []string{"n1", "n2", "n3", "n4"} {
				if nm := find(ms, n); nm != nil && nm.Score >= DefaultPolicy().MinScore {
					t.Errorf("noise video %s scored %.3f", n, nm.Score)
				}
			}
		})
	}
}

func extent(m models.Match) (qs, qe, rs, re float64) {
	qs, rs = math.Inf(1), math.Inf(1)
	qe, re = math.Inf(-1), math.Inf(-1)
	for _, s := range m.Segments {
		qs, qe = math.Min(qs, s.QueryStart), math.Max(qe, s.QueryEnd)
		rs, re = math.Min(rs, s.ReferenceStart), math.Max(re, s.ReferenceEnd)
	}
	return
}

func TestMatchTwoSeparateCopies(t *testing.T) {
	q := synth(t, 2, 30, 2, 2, []copySpec{
		{"a", 0, 10, 1, 30, ""},
		{"a", 15, 30, 1, -15, ""},
		{"b", 10, 15, 1, 2, ""},
	}, 2)
	ms := New(DefaultParams()).Match(q, videos())
	a := find(ms, "a")
	if a == nil || len(a.Segments) != 2 {
		t.Fatalf("match a = %+v, want two segments", a)
	}
	if b := find(ms, "b"); b == nil || len(b.Segments) != 1 {
		t.Fatalf("match b = %+v, want one segment", b)
	}
	if ms[0].Reference.ID != "a" {
		t.Errorf("best = %s, want a (more evidence)", ms[0].Reference.ID)
	}
}

func TestMatchDroppedFrames(t *testing.T) {
	q := synth(t, 3, 20, 2, 2, []copySpec{{"a", 0, 20, 1, 0, ""}}, 1)
	// Drop every third sampled frame (as a re-encode at a lower frame rate or
	// flat-frame skipping would) and keep the rest.
	var k Query
	k.Duration, k.Rate = q.Duration, q.Rate
	for i := range q.Frames {
		if int(q.Frames[i].T*2)%3 == 0 {
			continue
		}
		k.Frames = append(k.Frames, q.Frames[i])
		k.Neighbors = append(k.Neighbors, q.Neighbors[i])
	}
	ms := New(DefaultParams()).Match(k, videos())
	if len(ms) == 0 || ms[0].Reference.ID != "a" || len(ms[0].Segments) != 1 {
		t.Fatalf("matches %+v, want one segment of a", ms)
	}
	if ms[0].QueryCoverage < 0.9 {
		t.Errorf("query coverage %.2f, want ~1", ms[0].QueryCoverage)
	}
}

// TestMatchFlatFrames checks that frames that match everything (black,
// static, low quality) cannot make a match on their own.
func TestMatchFlatFrames(t *testing.T) {
	var q Query
	q.Duration, q.Rate = 20, 2
	for qt := 0.0; qt < 20; qt += 0.5 {
		var ns []models.Neighbor
		// A black frame is at distance 0 from every black frame of every
		// video, at every time.
		for v := 0; v < 40; v++ {
			for rt := 0.0; rt < 20; rt += 0.5 {
				ns = append(ns, models.Neighbor{VideoID: fmt.Sprintf("v%02d", v), T: rt, Distance: 0})
			}
		}
		q.Frames = append(q.Frames, models.FrameHash{T: qt, Kind: models.KindPHash, Quality: 0.01})
		q.Neighbors = append(q.Neighbors, ns)
	}
	if ms := New(DefaultParams()).Match(q, videos()); len(ms) != 0 {
		t.Fatalf("flat frames matched: %+v", ms[0])
	}
	// The same frames with texture but hitting forty videos: the IDF weight
	// keeps each of them below the decision threshold.
	for i := range q.Frames {
		q.Frames[i].Quality = 1
	}
	for _, mt := range New(DefaultParams()).Match(q, videos()) {
		if DefaultPolicy().Significant(mt) {
			t.Errorf("generic frames scored %.3f against %s", mt.Score, mt.Reference.ID)
		}
	}
}

func TestMatchBagOfFramesIsNotACopy(t *testing.T) {
	// Many good matches, but at random times: no temporal consistency.
	q := Query{Duration: 30, Rate: 2}
	rng := rand.New(rand.NewPCG(9, 9))
	for qt := 0.0; qt < 30; qt += 0.5 {
		q.Frames = append(q.Frames, models.FrameHash{T: qt, Kind: models.KindPHash, Quality: 1})
		q.Neighbors = append(q.Neighbors, []models.Neighbor{{VideoID: "a", T: math.Round(rng.Float64()*120) / 2, Distance: 2}})
	}
	ms := New(DefaultParams()).Match(q, videos())
	for _, mt := range ms {
		if DefaultPolicy().Significant(mt) {
			t.Errorf("random frame matches were significant: score %.3f, segments %+v", mt.Score, mt.Segments)
		}
	}
}

func TestMatchEmptyAndUnknownVideo(t *testing.T) {
	m := New(DefaultParams())
	if got := m.Match(Query{}, nil); got != nil {
		t.Errorf("empty query: %+v", got)
	}
	q := synth(t, 5, 10, 2, 2, []copySpec{{"zz", 0, 10, 1, 0, ""}}, 0)
	ms := m.Match(q, nil)
	if len(ms) != 1 || ms[0].Reference.ID != "zz" {
		t.Fatalf("unknown video: %+v", ms)
	}
	if ms[0].ReferenceCoverage <= 0 || ms[0].ReferenceCoverage > 1 {
		t.Errorf("reference coverage %.2f with unknown duration", ms[0].ReferenceCoverage)
	}
}

func TestNewFillsDefaults(t *testing.T) {
	got := New(Params{}).Params()
	if got != DefaultParams() {
		t.Errorf("New(Params{}) = %+v, want defaults", got)
	}
}

// A pair at the search radius still counts more than half (edited copies sit
// there), a near-exact one fully, and the weight falls with the distance; a
// span at or inside the radius is raised so that no found pair weighs 0.
func TestSimilarityWeights(t *testing.T) {
	m := New(DefaultParams())
	if w := m.similarity(0); w != 1 {
		t.Errorf("similarity(0) = %g, want 1", w)
	}
	if w := m.similarity(m.Params().Radius); w < 0.5 || w >= 1 {
		t.Errorf("similarity(radius) = %g, want in [0.5, 1)", w)
	}
	for d := 1; d <= m.Params().Radius; d++ {
		if m.similarity(d) >= m.similarity(d-1) {
			t.Errorf("similarity(%d) = %g is not below similarity(%d) = %g", d, m.similarity(d), d-1, m.similarity(d-1))
		}
	}
	p := DefaultParams()
	p.Radius, p.WeightSpan = 16, 10
	if got := New(p).Params().WeightSpan; got != 19 {
		t.Errorf("WeightSpan inside the radius became %d, want 19", got)
	}
}

// A copy is mirrored or not throughout: votes of mirrored hashes and of
// plain ones do not add up on one alignment, while a wholly mirrored copy
// scores as its plain twin.
func TestMatchMirrorSidesApart(t *testing.T) {
	m := New(DefaultParams())
	build := func(side func(i int) models.Variant) Query {
		q := Query{Duration: 10, Rate: 2}
		for i := 0; i < 20; i++ {
			qt := float64(i) / 2
			for _, v := range []models.Variant{models.VariantFull, models.VariantMirror} {
				q.Frames = append(q.Frames, models.FrameHash{T: qt, Kind: models.KindPHash, Variant: v, Quality: 1})
				var ns []models.Neighbor
				if v == side(i) {
					ns = []models.Neighbor{{VideoID: "a", T: qt + 5, Distance: 2}}
				}
				q.Neighbors = append(q.Neighbors, ns)
			}
		}
		return q
	}
	score := func(q Query) float64 {
		if mt := find(m.Match(q, videos()), "a"); mt != nil {
			return mt.Score
		}
		return 0
	}
	plain := score(build(func(int) models.Variant { return models.VariantFull }))
	mirrored := score(build(func(int) models.Variant { return models.VariantMirror }))
	mixed := score(build(func(i int) models.Variant {
		if i%2 == 0 {
			return models.VariantFull
		}
		return models.VariantMirror
	}))
	if plain == 0 || math.Abs(plain-mirrored) > 1e-9 {
		t.Errorf("plain copy scores %.3f, mirrored copy %.3f; want equal and positive", plain, mirrored)
	}
	if mixed >= plain-0.05 {
		t.Errorf("votes alternating between mirrored and plain hashes score %.3f, a plain copy %.3f; want clearly less", mixed, plain)
	}
}
