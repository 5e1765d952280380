package matcher

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/copycat-video/copycat/models"
)

// byteReader turns fuzz input into bounded numbers; it yields zeros once the
// input is used up so that every input decodes to some query.
type byteReader struct {
	b []byte
}

func (r *byteReader) next() int {
	if len(r.b) == 0 {
		return 0
	}
	v := int(r.b[0])
	r.b = r.b[1:]
	return v
}

// decodeQuery builds a query over at most four videos from fuzz bytes.
func decodeQuery(data []byte) (Query, map[string]models.Video) {
	r := &byteReader{b: data}
	videos := map[string]models.Video{}
	for i := 0; i < 4; i++ {
		id := fmt.Sprintf("v%d", i)
		videos[id] = models.Video{ID: id, Platform: "tiktok", Duration: float64(r.next()) / 4}
	}
	q := Query{Duration: float64(r.next()) / 4, Rate: float64(r.next()%9) / 2}
	n := r.next() % 64
	for i := 0; i < n; i++ {
		f := models.FrameHash{
			T: float64(r.next()) / 4, Kind: models.KindPHash,
			Quality: float64(r.next()%11) / 10,
		}
		if r.next()%2 == 1 {
			f.Variant = models.VariantMirror
		}
		var ns []models.Neighbor
		for k := r.next() % 6; k > 0; k-- {
			ns = append(ns, models.Neighbor{
				VideoID:  fmt.Sprintf("v%d", r.next()%5), // v4 has no metadata
				T:        float64(r.next()) / 4,
				Distance: r.next() % 16,
			})
		}
		q.Frames = append(q.Frames, f)
		q.Neighbors = append(q.Neighbors, ns)
	}
	return q, videos
}

// seedCopy is a fuzz seed with a real alignment in it.
func seedCopy() []byte {
	b := []byte{80, 80, 80, 80, 80, 4, 40}
	for i := 0; i < 40; i++ {
		b = append(b, byte(2*i), 10, 0, 2, 1, byte(2*i+8), 1, 2, byte(3*i), 9)
	}
	return b
}

func checkInvariants(t *testing.T, q Query, videos map[string]models.Video, ms []models.Match) {
	t.Helper()
	const eps = 1e-9
	lastT := 0.0
	for _, f := range q.Frames {
		lastT = math.Max(lastT, f.T)
	}
	for _, mt := range ms {
		if mt.Score < 0 || mt.Score > 1 || math.IsNaN(mt.Score) {
			t.Fatalf("score %v outside [0,1]", mt.Score)
		}
		if mt.QueryCoverage < 0 || mt.QueryCoverage > 1 || mt.ReferenceCoverage < 0 || mt.ReferenceCoverage > 1 {
			t.Fatalf("coverage %v/%v outside [0,1]", mt.QueryCoverage, mt.ReferenceCoverage)
		}
		if len(mt.Segments) == 0 {
			t.Fatalf("match without segments: %+v", mt)
		}
		// The query is at least as long as its frames say; a reference with
		// a known duration bounds its segments.
		// The reference is as long as its metadata or its indexed frames say,
		// whichever is longer, plus one sample period (60 s when the rate
		// is left for the matcher to estimate).
		step := 60.0
		if q.Rate > 0 {
			step = 1 / q.Rate
		}
		qmax := math.Max(q.Duration, lastT+step)
		rmax := 0.0
		for _, ns := range q.Neighbors {
			for _, n := range ns {
				if n.VideoID == mt.Reference.ID {
					rmax = math.Max(rmax, n.T+step)
				}
			}
		}
		if v, ok := videos[mt.Reference.ID]; ok {
			rmax = math.Max(rmax, v.Duration)
		}
		for _, s := range mt.Segments {
			if s.QueryStart < 0 || s.QueryEnd <= s.QueryStart || s.QueryEnd > qmax+eps {
				t.Fatalf("query side of %+v outside [0, %v]", s, qmax)
			}
			if s.ReferenceStart < 0 || s.ReferenceEnd <= s.ReferenceStart || s.ReferenceEnd > rmax+eps {
				t.Fatalf("reference side of %+v outside [0, %v]", s, rmax)
			}
			if q.Duration > lastT && s.QueryEnd > q.Duration+eps {
				t.Fatalf("query side of %+v past the query's duration %v", s, q.Duration)
			}
		}
	}
}

func FuzzMatchInvariants(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add(seedCopy())
	m := New(DefaultParams())
	f.Fuzz(func(t *testing.T, data []byte) { checkProperties(t, m, data) })
}

// TestMatchPropertiesRandom runs the fuzz properties over a fixed set of
// pseudo-random inputs, so that every plain `go test` exercises them.
func TestMatchPropertiesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	m := New(DefaultParams())
	for i := 0; i < 150; i++ {
		b := make([]byte, rng.IntN(700))
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		checkProperties(t, m, b)
	}
	checkProperties(t, m, seedCopy())
}

// checkProperties checks the invariants, permutation invariance and
// monotonicity on the query data decodes to.
func checkProperties(t *testing.T, m *Matcher, data []byte) {
	t.Helper()
	{
		q, videos := decodeQuery(data)
		ms := m.Match(q, videos)
		checkInvariants(t, q, videos, ms)

		// Permutation invariance: the order of frames and of each frame's
		// neighbours must not change anything.
		p := Query{Duration: q.Duration, Rate: q.Rate}
		for i := len(q.Frames) - 1; i >= 0; i-- {
			ns := append([]models.Neighbor(nil), q.Neighbors[i]...)
			for a, b := 0, len(ns)-1; a < b; a, b = a+1, b-1 {
				ns[a], ns[b] = ns[b], ns[a]
			}
			p.Frames = append(p.Frames, q.Frames[i])
			p.Neighbors = append(p.Neighbors, ns)
		}
		if pm := m.Match(p, videos); !reflect.DeepEqual(ms, pm) {
			t.Fatalf("neighbour order changed the result:\n%+v\n%+v", ms, pm)
		}

		// Monotonicity: one more pair consistent with the best match (on the
		// line of its first segment, at a frame inside it that already hits
		// the video, so that no frame weight changes, and on a reference
		// frame no other pair uses, since each reference frame counts once)
		// never lowers its score.
		if len(ms) == 0 {
			return
		}
		id := ms[0].Reference.ID
		sg := ms[0].Segments[0]
		slope := (sg.ReferenceEnd - sg.ReferenceStart) / (sg.QueryEnd - sg.QueryStart)
		used := map[int64]bool{}
		for _, ns := range q.Neighbors {
			for _, n := range ns {
				if n.VideoID == id {
					used[int64(math.Round(n.T*1000))] = true
				}
			}
		}
		for i, ns := range q.Neighbors {
			ft := q.Frames[i].T
			hits := false
			for _, n := range ns {
				hits = hits || n.VideoID == id
			}
			rt := sg.ReferenceStart + slope*(ft-sg.QueryStart)
			if !hits || ft < sg.QueryStart || ft >= sg.QueryEnd || used[int64(math.Round(rt*1000))] {
				continue
			}
			more := Query{Duration: q.Duration, Rate: q.Rate, Frames: q.Frames, Neighbors: append([][]models.Neighbor(nil), q.Neighbors...)}
			more.Neighbors[i] = append(append([]models.Neighbor(nil), ns...), models.Neighbor{
				VideoID: id, T: rt, Distance: 0,
			})
			after := find(m.Match(more, videos), id)
			if after == nil || after.Score < ms[0].Score-1e-12 {
				for j, f := range q.Frames {
					for _, n := range q.Neighbors[j] {
						if n.VideoID == id {
							t.Logf("  q%.2f(%s,q%.1f) -> %.3f d%d", f.T, f.Variant, f.Quality, n.T, n.Distance)
						}
					}
				}
				t.Logf("rate %v dur %v before %+v add t=%v", q.Rate, q.Duration, ms[0], sg.ReferenceStart+slope*(ft-sg.QueryStart))
				t.Fatalf("adding a pair to frame %d lowered the score of %s from %v to %+v", i, id, ms[0].Score, after)
			}
		}
	}
}
