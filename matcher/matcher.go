// Package matcher turns the index's per-frame neighbours into matches: it finds
// reference videos whose matching frames line up in time, localises the copied
// segments on both time axes and scores the evidence. It is pure Go with no
// I/O and is deterministic: the same input gives the same output whatever the
// order of the neighbours.
//
// The alignment is a Hough transform over (speed, offset): a query frame at
// qt that matches a reference frame at rt votes for every line rt = s*qt + o
// through that point, for s on a grid covering the speed changes re-uploaders
// use. A copy is a line with many votes from distinct query frames; a bag of
// unrelated matches spreads its votes over many lines. Each query frame
// contributes at most once to a line (its best pair), so a static frame that
// matches a whole static shot counts once, and every vote is weighted by the
// frame's quality (texture) and by how many distinct videos it hits, so that
// near-black or generic frames cannot make a match on their own.
package matcher

import (
	"math"
	"sort"

	"github.com/copycat-video/copycat/models"
)

// Params tunes the alignment. The zero value is not useful; start from
// DefaultParams.
type Params struct {
	// Radius is the Hamming radius the neighbours were searched with.
	Radius int
	// WeightSpan is the distance at which a pair's similarity would reach
	// zero: a pair at distance d gets 1 - (d/WeightSpan)^4 (default, and
	// never less than, Radius+3). With the span at Radius+1 a pair at the
	// search radius counted a quarter, and edited copies whose frames sit
	// 10-12 bits from the original (noise, blur, overlays, partial crops)
	// fell under the score threshold although their frames lined up in
	// time; at Radius+3 such a pair counts 0.6 and a near-exact one still
	// counts fully. Chance pairs are held off by the temporal alignment,
	// not by this weight: on both corpus seeds the best wrong pair stayed
	// at 0.34 (threshold 0.50) while recall rose (README, Accuracy).
	WeightSpan int
	// MinSpeed, MaxSpeed and SpeedStep span the speed grid: a query played at
	// speed s shows reference time rt at query time (rt-o)/s.
	MinSpeed, MaxSpeed, SpeedStep float64
	// Tolerance is the largest distance, in reference seconds, between a pair
	// and the alignment line for the pair to support it. It covers the
	// sampling grid of both sides (half a sample period each) and encoder
	// timestamp jitter.
	Tolerance float64
	// SupportWindow is how close in query time another frame voting for the
	// same line must be for a vote to count: a copy matches in runs of
	// consecutive frames, chance matches are isolated.
	SupportWindow float64
	// IDFKnee is the number of distinct videos a query frame may hit before
	// its vote is down-weighted (see idf).
	IDFKnee int
	// MaxGap is the largest hole, in query seconds, inside one segment: frames
	// dropped as flat, a caption covering a few frames, a cut-away.
	MaxGap float64
	// MinSegmentFrames drops segments supported by fewer distinct query
	// frames: a single coincidental frame is not a segment.
	MinSegmentFrames int
	// Candidates is how many of the strongest Hough lines are fitted and
	// scored before the best is kept.
	Candidates int
	// MaxAlignments bounds how many distinct lines are reported per video
	// (a query may copy two separate parts of a reference).
	MaxAlignments int
	// MinAlignmentEvidence is the evidence, in seconds, a line after the
	// first needs to be reported at all.
	MinAlignmentEvidence float64
	// QualityFloor and QualityFull map FrameHash.Quality to a weight: 0 at
	// or below the floor, 1 at or above full, linear in between. Flat frames
	// match everything and must not count.
	QualityFloor, QualityFull float64
	// ScoreScale is the evidence, in seconds of well-matched query, at which
	// the score reaches 1-1/e (~0.63).
	ScoreScale float64
	// MaxEvidence caps the frame pairs kept as evidence per match.
	MaxEvidence int
}

// DefaultParams are tuned for fingerprints sampled at 2-4 frames per second
// with 64-bit hashes searched at radius 10-14.
func DefaultParams() Params {
	return Params{
		Radius:               12,
		WeightSpan:           15,
		MinSpeed:             0.70,
		MaxSpeed:             1.40,
		SpeedStep:            0.02,
		Tolerance:            0.6,
		SupportWindow:        1.6,
		IDFKnee:              4,
		MaxGap:               3.0,
		MinSegmentFrames:     2,
		MaxAlignments:        3,
		Candidates:           8,
		MinAlignmentEvidence: 1.5,
		QualityFloor:         0.02,
		QualityFull:          0.15,
		ScoreScale:           2.0,
		MaxEvidence:          64,
	}
}

// Query is what the matcher needs to know about the checked video.
type Query struct {
	// Duration of the query video in seconds (0 if unknown: the last frame
	// time is used).
	Duration float64
	// Rate is the sampling rate in frames per second (0 if unknown: it is
	// estimated from the frame times).
	Rate float64
	// Frames are the query's hashes; several may share a T (kinds and
	// variants of one sampled frame).
	Frames []models.FrameHash
	// Neighbors[i] are the indexed frames found near Frames[i].
	Neighbors [][]models.Neighbor
}

// Matcher aligns neighbours into matches. It is immutable and safe for
// concurrent use.
type Matcher struct {
	p Params
}

// New returns a Matcher with the given parameters; zero or invalid fields are
// replaced by their defaults so that a partly filled Params is usable.
func New(p Params) *Matcher {
	d := DefaultParams()
	if p.Radius <= 0 {
		p.Radius = d.Radius
	}
	if p.WeightSpan <= p.Radius {
		p.WeightSpan = p.Radius + 3
	}
	if p.MinSpeed <= 0 || p.MaxSpeed < p.MinSpeed {
		p.MinSpeed, p.MaxSpeed = d.MinSpeed, d.MaxSpeed
	}
	if p.SpeedStep <= 0 {
		p.SpeedStep = d.SpeedStep
	}
	if p.Tolerance <= 0 {
		p.Tolerance = d.Tolerance
	}
	if p.SupportWindow <= 0 {
		p.SupportWindow = d.SupportWindow
	}
	if p.IDFKnee <= 0 {
		p.IDFKnee = d.IDFKnee
	}
	if p.MaxGap <= 0 {
		p.MaxGap = d.MaxGap
	}
	if p.MinSegmentFrames <= 0 {
		p.MinSegmentFrames = d.MinSegmentFrames
	}
	if p.Candidates <= 0 {
		p.Candidates = d.Candidates
	}
	if p.MaxAlignments <= 0 {
		p.MaxAlignments = d.MaxAlignments
	}
	if p.MinAlignmentEvidence <= 0 {
		p.MinAlignmentEvidence = d.MinAlignmentEvidence
	}
	if p.QualityFull <= p.QualityFloor {
		p.QualityFloor, p.QualityFull = d.QualityFloor, d.QualityFull
	}
	if p.ScoreScale <= 0 {
		p.ScoreScale = d.ScoreScale
	}
	if p.MaxEvidence <= 0 {
		p.MaxEvidence = d.MaxEvidence
	}
	return &Matcher{p: p}
}

// Params returns the parameters in use.
func (m *Matcher) Params() Params { return m.p }

// pair is one query frame ↔ reference frame correspondence of one video.
type pair struct {
	q       int     // index of the query frame group (distinct T)
	qt, rt  float64 // times, seconds
	w       float64 // vote weight: similarity × frame weight
	dist    int
	variant models.Variant
}

// Match aligns the neighbours of q against every video they hit and returns
// one models.Match per video with at least one segment, best score first
// (ties by video id). videos supplies the metadata of candidate videos; a
// video missing from it is still matched, with only its id known.
func (m *Matcher) Match(q Query, videos map[string]models.Video) []models.Match {
	groups, groupT := groupFrames(q.Frames)
	if len(groupT) == 0 {
		return nil
	}
	rate := q.Rate
	if rate <= 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		rate = estimateRate(groupT)
	}
	// Sampling faster than the video's frame rate or slower than one frame
	// a minute is not a fingerprint copycat makes; bound it so that a bad
	// value cannot stretch segments past any sensible length.
	rate = clamp(rate, 1.0/60, 120)
	step := 1 / rate
	// A duration shorter than the last frame is inconsistent metadata: trust
	// the frames, so that no segment ends outside the video.
	qdur := q.Duration
	if last := groupT[len(groupT)-1]; math.IsNaN(qdur) || math.IsInf(qdur, 0) || qdur < last || qdur <= 0 {
		qdur = last + step
	}

	// How many distinct videos each frame group hits: the IDF of the frame.
	frameW := make([]float64, len(groupT))
	hitVideos := make([]map[string]struct{}, len(groupT))
	quality := make([]float64, len(groupT))
	for i, f := range q.Frames {
		g := groups[i]
		if g < 0 {
			continue
		}
		quality[g] = math.Max(quality[g], f.Quality)
		if i >= len(q.Neighbors) {
			continue
		}
		for _, n := range q.Neighbors[i] {
			if hitVideos[g] == nil {
				hitVideos[g] = map[string]struct{}{}
			}
			hitVideos[g][n.VideoID] = struct{}{}
		}
	}
	for g := range frameW {
		frameW[g] = m.qualityWeight(quality[g]) * m.idf(len(hitVideos[g]))
	}

	// A copy is mirrored or not for its whole length, so the mirrored and
	// the plain hashes of a video are aligned apart and the better side is
	// kept: chance matches of unrelated footage, spread over both sides of
	// many hash variants, cannot add up across them.
	byVideo := map[string]*[2][]pair{}
	for i, f := range q.Frames {
		if i >= len(q.Neighbors) {
			break
		}
		g := groups[i]
		if g < 0 || frameW[g] == 0 {
			continue
		}
		for _, n := range q.Neighbors[i] {
			if n.Distance < 0 || n.Distance > m.p.Radius || math.IsNaN(n.T) || math.IsInf(n.T, 0) || n.T < 0 {
				continue
			}
			sides := byVideo[n.VideoID]
			if sides == nil {
				sides = &[2][]pair{}
				byVideo[n.VideoID] = sides
			}
			side := 0
			if f.Variant.Mirrored() {
				side = 1
			}
			sides[side] = append(sides[side], pair{
				q: g, qt: groupT[g], rt: n.T, w: frameW[g] * m.similarity(n.Distance),
				dist: n.Distance, variant: f.Variant,
			})
		}
	}
	ids := make([]string, 0, len(byVideo))
	for id := range byVideo {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	var out []models.Match
	for _, id := range ids {
		v, ok := videos[id]
		if !ok {
			v = models.Video{ID: id}
		}
		var (
			best  models.Match
			found bool
		)
		for _, pairs := range byVideo[id] {
			if len(pairs) == 0 {
				continue
			}
			if mt, ok := m.matchVideo(pairs, v, qdur, step); ok && (!found || mt.Score > best.Score) {
				best, found = mt, true
			}
		}
		if found {
			out = append(out, best)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Reference.ID < out[j].Reference.ID
	})
	return out
}

// similarity maps a Hamming distance within the radius to (0, 1]: flat
// near 0 so that near-exact pairs count fully, falling towards the radius
// where unrelated frames start to appear (see Params.WeightSpan).
func (m *Matcher) similarity(d int) float64 {
	x := float64(d) / float64(m.p.WeightSpan)
	return 1 - x*x*x*x
}

// idf down-weights a query frame that hits many distinct videos: such a
// frame (a logo card, a sky, a face close-up) says little about which one
// was copied. Up to IDFKnee videos is normal (the copied reference and other
// windows of the same footage); beyond it the weight falls as 1/n², so that
// a frame hitting forty videos (the index's TopK cap) weighs a hundredth.
func (m *Matcher) idf(videos int) float64 {
	if videos <= m.p.IDFKnee {
		return 1
	}
	r := float64(m.p.IDFKnee) / float64(videos)
	return r * r
}

func (m *Matcher) qualityWeight(q float64) float64 {
	switch {
	case math.IsNaN(q) || q <= m.p.QualityFloor:
		return 0
	case q >= m.p.QualityFull:
		return 1
	}
	return (q - m.p.QualityFloor) / (m.p.QualityFull - m.p.QualityFloor)
}

// groupFrames assigns each frame the index of its distinct time (to the
// millisecond) and returns the sorted distinct times.
func groupFrames(frames []models.FrameHash) (groups []int, times []float64) {
	keys := make([]int64, 0, len(frames))
	seen := map[int64]bool{}
	for _, f := range frames {
		if math.IsNaN(f.T) || math.IsInf(f.T, 0) || f.T < 0 {
			keys = append(keys, -1)
			continue
		}
		k := int64(math.Round(f.T * 1000))
		keys = append(keys, k)
		seen[k] = true
	}
	uniq := make([]int64, 0, len(seen))
	for k := range seen {
		uniq = append(uniq, k)
	}
	sort.Slice(uniq, func(i, j int) bool { return uniq[i] < uniq[j] })
	pos := make(map[int64]int, len(uniq))
	times = make([]float64, len(uniq))
	for i, k := range uniq {
		pos[k] = i
		times[i] = float64(k) / 1000
	}
	groups = make([]int, len(frames))
	for i, k := range keys {
		if k < 0 {
			groups[i] = -1
			continue
		}
		groups[i] = pos[k]
	}
	return groups, times
}

// estimateRate guesses the sampling rate from the median spacing of frames.
func estimateRate(times []float64) float64 {
	if len(times) < 2 {
		return 1
	}
	d := make([]float64, 0, len(times)-1)
	for i := 1; i < len(times); i++ {
		d = append(d, times[i]-times[i-1])
	}
	sort.Float64s(d)
	med := d[len(d)/2]
	if med <= 0.01 {
		return 100
	}
	return 1 / med
}
