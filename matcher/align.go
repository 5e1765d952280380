package matcher

import (
	"math"
	"sort"

	"github.com/copycat-video/copycat/models"
)

// line is an alignment hypothesis rt = Speed*qt + Offset with the evidence
// (sum of the best vote per query frame, in frames) that supports it.
type line struct {
	speed, offset float64
	evidence      float64
}

// matchVideo aligns the pairs of one video. It reports false when no
// segment survives.
func (m *Matcher) matchVideo(pairs []pair, v models.Video, qdur, step float64) (models.Match, bool) {
	// A canonical order makes every floating-point sum and tie-break
	// independent of the order the index returned the neighbours in.
	sort.Slice(pairs, func(i, j int) bool {
		a, b := pairs[i], pairs[j]
		if a.q != b.q {
			return a.q < b.q
		}
		if a.rt != b.rt {
			return a.rt < b.rt
		}
		if a.dist != b.dist {
			return a.dist < b.dist
		}
		return a.variant < b.variant
	})
	rdur := v.Duration
	maxRT := 0.0
	for _, p := range pairs {
		maxRT = math.Max(maxRT, p.rt)
	}
	// The index's frame times outrank stored metadata: a duration shorter
	// than the last matched frame (or unknown) is extended to cover it, so
	// that every segment lies inside the reference.
	if math.IsNaN(rdur) || math.IsInf(rdur, 0) || rdur < maxRT+step {
		rdur = math.Max(maxRT+step, rdur)
		if math.IsNaN(rdur) || math.IsInf(rdur, 0) {
			rdur = maxRT + step
		}
	}

	var (
		segs     []models.Segment
		evidence []models.FramePair
		score    float64
	)
	remaining := pairs
	for k := 0; k < m.p.MaxAlignments && len(remaining) > 0; k++ {
		if k > 0 && upperBound(remaining)*step < m.p.MinAlignmentEvidence {
			break // no line through what is left could be reported
		}
		cands := m.bestLines(remaining, m.p.Candidates)
		if len(cands) == 0 || cands[0].evidence <= 0 {
			break
		}
		if k > 0 && cands[0].evidence*step < m.p.MinAlignmentEvidence {
			break
		}
		if k > 0 {
			cands = cands[:1]
		}
		// The Hough vote proposes lines; each is fitted to its inliers and
		// the one with the most evidence on the fitted line, counted
		// strictly (see lineEvidence), wins. The score is that evidence.
		var (
			best   line
			in     []pair
			bestEv = -1.0
		)
		for _, c := range cands {
			cin := m.inliers(remaining, c)
			if fit, ok := m.refine(cin, c); ok {
				// Keep the fit only if it loses none of the frames that voted.
				if in2 := m.inliers(remaining, fit); covers(in2, cin) {
					c, cin = fit, in2
				}
			}
			if ev := m.lineEvidence(cin); ev > bestEv {
				best, in, bestEv = c, cin, ev
			}
		}
		if k == 0 {
			if bestEv <= 0 {
				return models.Match{}, false
			}
			score = 1 - math.Exp(-bestEv*step/m.p.ScoreScale)
		}
		s, ev := m.segments(in, best, qdur, rdur, step)
		segs = append(segs, s...)
		evidence = append(evidence, ev...)
		used := map[int]bool{}
		for _, p := range in {
			used[p.q] = true
		}
		rest := make([]pair, 0, len(remaining))
		for _, p := range remaining {
			if !used[p.q] {
				rest = append(rest, p)
			}
		}
		remaining = rest
	}
	if len(segs) == 0 {
		return models.Match{}, false
	}
	sort.Slice(segs, func(i, j int) bool {
		if segs[i].QueryStart != segs[j].QueryStart {
			return segs[i].QueryStart < segs[j].QueryStart
		}
		return segs[i].ReferenceStart < segs[j].ReferenceStart
	})
	sort.Slice(evidence, func(i, j int) bool {
		if evidence[i].QueryT != evidence[j].QueryT {
			return evidence[i].QueryT < evidence[j].QueryT
		}
		return evidence[i].ReferenceT < evidence[j].ReferenceT
	})
	evidence = thin(evidence, m.p.MaxEvidence)
	qs := make([][2]float64, len(segs))
	rs := make([][2]float64, len(segs))
	for i, s := range segs {
		qs[i] = [2]float64{s.QueryStart, s.QueryEnd}
		rs[i] = [2]float64{s.ReferenceStart, s.ReferenceEnd}
	}
	return models.Match{
		Reference:         v,
		Score:             clamp01(score),
		QueryCoverage:     clamp01(unionLength(qs) / qdur),
		ReferenceCoverage: clamp01(unionLength(rs) / rdur),
		Segments:          segs,
		Evidence:          evidence,
	}, true
}

// bestLines runs the Hough vote and returns its n strongest lines: for every speed on the grid, the offsets
// rt - s*qt are binned (bins of twice the tolerance, on two grids shifted by
// half a bin so that a line near a bin edge is not split), and a bin's
// evidence is the sum over query frames of their best vote in it. Ties go to
// the speed nearest 1, then to the smaller offset.
func (m *Matcher) bestLines(pairs []pair, n int) []line {
	var top []line // best first, at most n
	floor := func() float64 {
		if len(top) < n {
			return math.Inf(-1)
		}
		return top[len(top)-1].evidence
	}
	offer := func(c line) {
		if len(top) == n && !better(c, top[n-1]) {
			return
		}
		i := sort.Search(len(top), func(i int) bool { return better(c, top[i]) })
		top = append(top, line{})
		copy(top[i+1:], top[i:])
		top[i] = c
		if len(top) > n {
			top = top[:n]
		}
	}
	binW := 2 * m.p.Tolerance
	// Pairs arrive ordered by query frame, so each bin's votes are appended
	// in query-time order and a frame's pairs in one bin are adjacent: the
	// best one is kept in place. One pass per (speed, shift), no sorting.
	type bin struct {
		b     int64
		votes []pair
	}
	var (
		bins  []bin
		index = map[int64]int{}
	)
	nSpeeds := int(math.Floor((m.p.MaxSpeed-m.p.MinSpeed)/m.p.SpeedStep+1e-9)) + 1
	for si := 0; si < nSpeeds; si++ {
		s := m.p.MinSpeed + float64(si)*m.p.SpeedStep
		for _, shift := range [2]float64{0, 0.5} {
			clear(index)
			for i := range bins {
				bins[i].votes = bins[i].votes[:0]
			}
			used := 0
			for _, p := range pairs {
				b := int64(math.Floor((p.rt-s*p.qt)/binW + shift))
				k, ok := index[b]
				if !ok {
					if used == len(bins) {
						bins = append(bins, bin{})
					}
					k = used
					used++
					index[b] = k
					bins[k].b = b
				}
				v := bins[k].votes
				if n := len(v); n > 0 && v[n-1].q == p.q {
					// Of equal votes, the one nearest the bin's centre line:
					// in a still shot every reference frame matches equally,
					// and the nearest is the one the copy shows.
					c := (float64(b) - shift + 0.5) * binW
					if p.w > v[n-1].w || (p.w == v[n-1].w && math.Abs(p.rt-s*p.qt-c) < math.Abs(v[n-1].rt-s*v[n-1].qt-c)) {
						v[n-1] = p
					}
					continue
				}
				bins[k].votes = append(v, p)
			}
			for _, bn := range bins[:used] {
				ub := 0.0
				for _, p := range bn.votes {
					ub += p.w
				}
				if ub < floor() {
					continue // cannot make the list even if every vote counted
				}
				off := (float64(bn.b) - shift + 0.5) * binW
				offer(line{speed: s, offset: off, evidence: m.supported(bn.votes)})
			}
		}
	}
	return top
}

// lineEvidence is the evidence of the votes (one per query frame, ordered
// by query time) for one line: the strongest run of votes without a hole
// longer than MaxGap, counting each reference frame once and only votes with
// support. Chance matches that fall on a line are scattered over the query;
// a still shot of the query sitting on one reference frame fits a slow line
// within the tolerance but uses one reference frame; a copy is contiguous
// and advances through the reference as it plays.
func (m *Matcher) lineEvidence(votes []pair) float64 {
	ev := 0.0
	for _, run := range m.runs(votes) {
		ev = math.Max(ev, m.supported(distinctRef(run)))
	}
	return ev
}

// supported sums the votes (one per query frame, ordered by query time)
// that have another vote within SupportWindow of query time. Adding a vote
// can only add support, so the sum is monotone in the evidence.
func (m *Matcher) supported(votes []pair) float64 {
	ev := 0.0
	for i, p := range votes {
		if (i > 0 && p.qt-votes[i-1].qt <= m.p.SupportWindow) ||
			(i+1 < len(votes) && votes[i+1].qt-p.qt <= m.p.SupportWindow) {
			ev += p.w
		}
	}
	return ev
}

// upperBound is the evidence of a line every remaining frame would support.
func upperBound(pairs []pair) float64 {
	sum, lastQ, cur := 0.0, -1, 0.0
	for _, p := range pairs {
		if p.q != lastQ {
			sum += cur
			lastQ, cur = p.q, 0
		}
		cur = math.Max(cur, p.w)
	}
	return sum + cur
}

func better(a, b line) bool {
	const eps = 1e-9
	if math.Abs(a.evidence-b.evidence) > eps {
		return a.evidence > b.evidence
	}
	da, db := math.Abs(a.speed-1), math.Abs(b.speed-1)
	if math.Abs(da-db) > eps {
		return da < db
	}
	return a.offset < b.offset
}

// inliers returns, per query frame, its best pair within the tolerance of
// l (highest weight, then nearest the line), ordered by query time.
func (m *Matcher) inliers(pairs []pair, l line) []pair {
	best := map[int]pair{}
	for _, p := range pairs {
		r := math.Abs(p.rt - (l.speed*p.qt + l.offset))
		if r > m.p.Tolerance {
			continue
		}
		cur, ok := best[p.q]
		if !ok || p.w > cur.w || (p.w == cur.w && r < math.Abs(cur.rt-(l.speed*cur.qt+l.offset))) {
			best[p.q] = p
		}
	}
	out := make([]pair, 0, len(best))
	for _, p := range best {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].q < out[j].q })
	return out
}

// refine fits the line to the inliers by weighted least squares, which
// recovers a speed between grid steps and an offset finer than a bin. The
// fit is only trusted when the inliers span enough query time to pin the
// slope down and it stays inside the speed range.
func (m *Matcher) refine(in []pair, l line) (line, bool) {
	if len(in) < 3 || in[len(in)-1].qt-in[0].qt < 2 {
		return l, false
	}
	var sw, sx, sy, sxx, sxy float64
	for _, p := range in {
		sw += p.w
		sx += p.w * p.qt
		sy += p.w * p.rt
		sxx += p.w * p.qt * p.qt
		sxy += p.w * p.qt * p.rt
	}
	den := sw*sxx - sx*sx
	if sw <= 0 || math.Abs(den) < 1e-12 {
		return l, false
	}
	s := (sw*sxy - sx*sy) / den
	if s < m.p.MinSpeed-m.p.SpeedStep || s > m.p.MaxSpeed+m.p.SpeedStep || math.IsNaN(s) {
		return l, false
	}
	return line{speed: s, offset: (sy - s*sx) / sw, evidence: l.evidence}, true
}

// segments chains the inliers (ordered by query time) into segments,
// splitting where the query skips more than MaxGap, and maps the query
// extent onto the reference through the line. A frame sampled at t stands
// for [t, t+step), hence the end extension.
func (m *Matcher) segments(in []pair, l line, qdur, rdur, step float64) ([]models.Segment, []models.FramePair) {
	var (
		segs []models.Segment
		ev   []models.FramePair
	)
	flush := func(run []pair) {
		if len(run) < m.p.MinSegmentFrames {
			return
		}
		qs := clamp(run[0].qt, 0, qdur)
		qe := clamp(run[len(run)-1].qt+step, 0, qdur)
		rs := clamp(l.speed*qs+l.offset, 0, rdur)
		re := clamp(l.speed*qe+l.offset, 0, rdur)
		if re <= rs {
			// The line leaves the reference (a copy of its very first or
			// last moment): fall back to the matched frames' own times.
			lo, hi := run[0].rt, run[0].rt
			for _, p := range run {
				lo, hi = math.Min(lo, p.rt), math.Max(hi, p.rt)
			}
			rs, re = clamp(lo, 0, rdur), clamp(hi+l.speed*step, 0, rdur)
		}
		if qe <= qs || re <= rs {
			return
		}
		segs = append(segs, models.Segment{QueryStart: qs, QueryEnd: qe, ReferenceStart: rs, ReferenceEnd: re})
		for _, p := range run {
			ev = append(ev, models.FramePair{QueryT: p.qt, ReferenceT: clamp(p.rt, 0, rdur), Distance: p.dist, Variant: p.variant})
		}
	}
	for _, run := range m.runs(in) {
		flush(run)
	}
	return segs, ev
}

// runs splits pairs ordered by query time where the query skips more than
// MaxGap.
func (m *Matcher) runs(in []pair) [][]pair {
	var out [][]pair
	start := 0
	for i := 1; i <= len(in); i++ {
		if i == len(in) || in[i].qt-in[i-1].qt > m.p.MaxGap {
			out = append(out, in[start:i])
			start = i
		}
	}
	return out
}

// distinctRef keeps, of pairs sharing a reference frame, the one with the
// highest weight (ties: the earliest query frame); the result stays ordered
// by query frame.
func distinctRef(in []pair) []pair {
	best := map[int64]int{}
	for i, p := range in {
		k := int64(math.Round(p.rt * 1000))
		if j, ok := best[k]; !ok || p.w > in[j].w {
			best[k] = i
		}
	}
	out := make([]pair, 0, len(best))
	for i, p := range in {
		if best[int64(math.Round(p.rt*1000))] == i {
			out = append(out, p)
		}
	}
	return out
}

// covers reports whether every query frame of sub also appears in all
// (both ordered by frame).
func covers(all, sub []pair) bool {
	i := 0
	for _, p := range sub {
		for i < len(all) && all[i].q < p.q {
			i++
		}
		if i == len(all) || all[i].q != p.q {
			return false
		}
	}
	return true
}

// thin keeps at most n evidence pairs, evenly spread over the list.
func thin(ev []models.FramePair, n int) []models.FramePair {
	if len(ev) <= n {
		return ev
	}
	out := make([]models.FramePair, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, ev[i*len(ev)/n])
	}
	return out
}

// unionLength is the total length covered by the intervals.
func unionLength(iv [][2]float64) float64 {
	if len(iv) == 0 {
		return 0
	}
	s := append([][2]float64(nil), iv...)
	sort.Slice(s, func(i, j int) bool { return s[i][0] < s[j][0] })
	total := 0.0
	cs, ce := s[0][0], s[0][1]
	for _, x := range s[1:] {
		if x[0] > ce {
			total += ce - cs
			cs, ce = x[0], x[1]
			continue
		}
		ce = math.Max(ce, x[1])
	}
	return total + ce - cs
}

func clamp(x, lo, hi float64) float64 {
	if math.IsNaN(x) {
		return lo
	}
	return math.Max(lo, math.Min(hi, x))
}

func clamp01(x float64) float64 { return clamp(x, 0, 1) }
