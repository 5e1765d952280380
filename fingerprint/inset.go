package fingerprint

import (
	"image"
	"sort"
)

// Picture-in-picture detection. A re-upload that shows the original as a
// smaller inset over other footage keeps the inset's borders fixed while
// the pictures on both sides of them change. Averaged over the sampled
// frames, the brightness steps across those borders stay high along four
// straight segments, while the steps inside moving footage average out to a
// uniform level. The inset is a rectangle whose four sides all stand out.
const (
	insetMaxFrames = 600  // analysis frames kept for the second pass (5 min at 2/s, ~22 MB)
	insetMinFrames = 3    // fewer sampled frames cannot tell fixed borders from content
	insetMinSide   = 0.25 // smallest inset side, as a share of the frame's
	insetMaxArea   = 0.6  // largest inset area share: a bigger one is the picture itself
	insetMinArea   = 0.10
	insetMargin    = 2   // analysis pixels between an inset side and the frame edge
	insetScore     = 2.5 // weakest side's mean step / the frame's median step
	insetMinStep   = 4.0 // weakest side's mean step in luma levels
	insetLines     = 16  // candidate rows and columns kept
	// insetCover is the share of a side's length whose mean step must reach
	// insetCoverLevel times the frame's median step.
	insetCover      = 0.7
	insetCoverLevel = 1.5
	// insetMaxCandidates bounds the rectangles hashed per video (see
	// detect); insetSame is the overlap (intersection over union) above
	// which two candidates count as one: their hashes differ by less than
	// pHash's tolerance to a shifted window.
	insetMaxCandidates = 4
	insetSame          = 0.9
)

// insetTracker accumulates, over the sampled frames of one video, the mean
// absolute brightness step between neighbouring rows and columns, and keeps
// the analysis frames so that the inset found at the end can be hashed.
type insetTracker struct {
	w, h   int
	n      int
	dy, dx []float32 // summed |p[y][x]-p[y-1][x]| and |p[y][x]-p[y][x-1]|
	frames []insetFrame
}

type insetFrame struct {
	t   float64
	pix []byte
}

// add records one analysis frame. Frames of another size than the first
// (a stream that changes resolution) are ignored.
func (k *insetTracker) add(p plane, t float64) {
	if k.n == 0 && k.w == 0 {
		k.w, k.h = p.w, p.h
		k.dy = make([]float32, p.w*p.h)
		k.dx = make([]float32, p.w*p.h)
	}
	if p.w != k.w || p.h != k.h || len(k.frames) >= insetMaxFrames {
		return
	}
	pix := make([]byte, p.w*p.h)
	for y := 0; y < p.h; y++ {
		copy(pix[y*p.w:(y+1)*p.w], p.pix[y*p.stride:y*p.stride+p.w])
	}
	for y := 0; y < p.h; y++ {
		row := pix[y*p.w : (y+1)*p.w]
		for x := range row {
			i := y*p.w + x
			if y > 0 {
				k.dy[i] += float32(absInt(int(row[x]) - int(pix[i-p.w])))
			}
			if x > 0 {
				k.dx[i] += float32(absInt(int(row[x]) - int(row[x-1])))
			}
		}
	}
	k.n++
	k.frames = append(k.frames, insetFrame{t: t, pix: pix})
}

// detect returns the candidates for the inset's picture (inside its
// borders) in analysis coordinates, largest first; none if the frames have
// no inset.
//
// Static edges line up with an inset's sides on both of them: edges of the
// inset's own picture (a horizon, the grid of a game board, the original's
// own bars) close smaller rectangles with the inset's other sides, edges of
// the background (a table's rim, a phone held in the hand) larger ones, and
// either can step more than the border does. So no single rectangle is
// taken: of the rectangles whose sides all stand out, those that no other
// beats on both area and score (the weakest side's step) are the
// candidates, largest first, less those that overlap a larger candidate by
// insetSame, at most insetMaxCandidates of them; the index decides which
// one shows a known video.
func (k *insetTracker) detect() []image.Rectangle {
	if k.n < insetMinFrames || k.w < 32 || k.h < 32 {
		return nil
	}
	w, h := k.w, k.h
	// Prefix sums along rows of dy (for horizontal sides) and along
	// columns of dx (for vertical sides).
	rowSum := make([]float64, h*(w+1))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			rowSum[y*(w+1)+x+1] = rowSum[y*(w+1)+x] + float64(k.dy[y*w+x])
		}
	}
	colSum := make([]float64, w*(h+1))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			colSum[x*(h+1)+y+1] = colSum[x*(h+1)+y] + float64(k.dx[y*w+x])
		}
	}
	inv := 1 / float64(k.n)
	hSide := func(y, x0, x1 int) float64 { // mean step across the line above row y
		return (rowSum[y*(w+1)+x1] - rowSum[y*(w+1)+x0]) / float64(x1-x0) * inv
	}
	vSide := func(x, y0, y1 int) float64 { // mean step across the line left of column x
		return (colSum[x*(h+1)+y1] - colSum[x*(h+1)+y0]) / float64(y1-y0) * inv
	}
	all := make([]float64, 0, w*h)
	for i := range k.dy {
		all = append(all, float64(k.dy[i]+k.dx[i])*inv/2)
	}
	sort.Float64s(all)
	base := all[len(all)/2] + 0.5

	rows := candidateLines(h, func(y int) float64 { return hSide(y, 0, w) })
	cols := candidateLines(w, func(x int) float64 { return vSide(x, 0, h) })
	var cands []insetCand
	for _, y0 := range rows {
		for _, y1 := range rows {
			if y1 <= y0 || float64(y1-y0) < insetMinSide*float64(h) {
				continue
			}
			for _, x0 := range cols {
				for _, x1 := range cols {
					if x1 <= x0 || float64(x1-x0) < insetMinSide*float64(w) {
						continue
					}
					area := float64((x1-x0)*(y1-y0)) / float64(w*h)
					if area < insetMinArea || area > insetMaxArea {
						continue
					}
					weakest := min(hSide(y0, x0, x1), hSide(y1, x0, x1), vSide(x0, y0, y1), vSide(x1, y0, y1))
					if weakest < insetMinStep {
						continue
					}
					s := weakest / base
					if s < insetScore {
						continue
					}
					// A border is a straight line stepping all along; a
					// static edge of the picture (a horizon, a pillar)
					// only lines up with a side for part of its length.
					lvl := float32(max(insetMinStep, insetCoverLevel*base) * float64(k.n))
					if !k.covered(y0, x0, x1, true, lvl) || !k.covered(y1, x0, x1, true, lvl) ||
						!k.covered(x0, y0, y1, false, lvl) || !k.covered(x1, y0, y1, false, lvl) {
						continue
					}
					cands = append(cands, insetCand{image.Rect(x0, y0, x1, y1), area, s})
				}
			}
		}
	}
	return insetCandidates(cands)
}

// insetCand is a rectangle (borders included) whose four sides all stand
// out, with its share of the frame and its score.
type insetCand struct {
	r           image.Rectangle
	area, score float64
}

// insetCandidates picks from the qualifying rectangles those that no other
// beats on both area and score, largest first, less those that overlap a
// larger pick by insetSame, at most insetMaxCandidates, as pictures (the
// border line on each side left out).
func insetCandidates(cands []insetCand) []image.Rectangle {
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].area != cands[j].area {
			return cands[i].area > cands[j].area
		}
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		a, b := cands[i].r, cands[j].r
		return a.Min.Y < b.Min.Y || (a.Min.Y == b.Min.Y && a.Min.X < b.Min.X)
	})
	var out []image.Rectangle
	top := 0.0
	for _, c := range cands {
		if c.score <= top {
			continue // a larger rectangle scores as well or better
		}
		top = c.score
		// Leave out the line on each side that mixes inset and background.
		r := image.Rect(c.r.Min.X+1, c.r.Min.Y+1, c.r.Max.X-1, c.r.Max.Y-1)
		same := false
		for _, o := range out {
			same = same || overlap(r, o) >= insetSame
		}
		if !same {
			out = append(out, r)
		}
		if len(out) == insetMaxCandidates {
			break
		}
	}
	return out
}

// overlap returns the intersection over union of a and b.
func overlap(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	i := float64(in.Dx() * in.Dy())
	u := float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i
	if u <= 0 {
		return 0
	}
	return i / u
}

// covered reports whether the summed step across line at (the line above
// row at when horizontal, left of column at otherwise), between a and b,
// reaches lvl on at least insetCover of its length.
func (k *insetTracker) covered(at, a, b int, horizontal bool, lvl float32) bool {
	n := 0
	for i := a; i < b; i++ {
		var v float32
		if horizontal {
			v = k.dy[at*k.w+i]
		} else {
			v = k.dx[i*k.w+at]
		}
		if v >= lvl {
			n++
		}
	}
	return float64(n) >= insetCover*float64(b-a)
}

// candidateLines returns the lines (1..n-1, away from the frame edges)
// whose step stands out most from their neighbours two lines away.
func candidateLines(n int, step func(int) float64) []int {
	type cand struct {
		i int
		p float64
	}
	var cs []cand
	for i := insetMargin + 1; i < n-insetMargin; i++ {
		lo, hi := max(1, i-2), min(n-1, i+2)
		p := step(i) - (step(lo)+step(hi))/2
		if p > 0 {
			cs = append(cs, cand{i, p})
		}
	}
	sort.Slice(cs, func(a, b int) bool { return cs[a].p > cs[b].p })
	var out []int
	for _, c := range cs {
		near := false
		for _, o := range out {
			if absInt(o-c.i) <= 1 {
				near = true
				break
			}
		}
		if !near {
			out = append(out, c.i)
		}
		if len(out) == insetLines {
			break
		}
	}
	sort.Ints(out)
	return out
}
