package fingerprint

import (
	"image"
	"sort"
)

// plane is an 8-bit grayscale image held in Go memory, as the border and
// padding detectors see it (the small analysis copy of a frame).
type plane struct {
	pix    []byte
	w, h   int
	stride int
}

func (p plane) at(x, y int) int { return int(p.pix[y*p.stride+x]) }

// Thresholds of the black-bar detector, in 8-bit luma. Encoders leave a little
// noise in black bars, and captions or logos sometimes sit on them, so a bar
// row is "dark on average and almost nowhere bright" rather than "all zero".
const (
	barMeanMax   = 28   // mean luma of a bar row or column
	barBright    = 64   // a pixel brighter than this is picture, not bar
	barBrightMax = 0.04 // share of bright pixels a bar row may have
	// minContentShare is the smallest share of each side that may remain
	// after trimming; below it the frame is mostly dark (a fade, a night
	// shot) and trimming would only make the hash unstable.
	minContentShare = 0.2
)

// contentRect returns the part of p that carries the picture: black bars
// (letterbox, pillarbox, both) are removed first, then blurred or flat
// padding around a smaller centred copy of the video (the "vertical repost"
// look). Both edits are common on re-uploads and change a whole-frame hash
// completely, while the picture inside is the original's.
func contentRect(p plane) image.Rectangle {
	return blurPadding(p, blackBars(p))
}

// blackBars trims dark rows and columns from the edges of p.
func blackBars(p plane) image.Rectangle {
	full := image.Rect(0, 0, p.w, p.h)
	if p.w < 4 || p.h < 4 {
		return full
	}
	top, bottom := 0, p.h
	for top < bottom && darkRow(p, top, 0, p.w) {
		top++
	}
	for bottom > top && darkRow(p, bottom-1, 0, p.w) {
		bottom--
	}
	left, right := 0, p.w
	for left < right && darkCol(p, left, top, bottom) {
		left++
	}
	for right > left && darkCol(p, right-1, top, bottom) {
		right--
	}
	// Letterbox and pillarbox bars are centred. A much deeper "bar" on
	// one side is dark picture (a shadow, a night sky), so both sides are
	// trimmed by the shallower depth then.
	top, bottom = symmetric(top, p.h-bottom, p.h)
	bottom = p.h - bottom
	left, right = symmetric(left, p.w-right, p.w)
	right = p.w - right
	r := image.Rect(left, top, right, bottom)
	if float64(r.Dx()) < minContentShare*float64(p.w) || float64(r.Dy()) < minContentShare*float64(p.h) {
		return full
	}
	return r
}

// symmetric returns the depths a and b of two opposite bars unchanged when
// they agree (within 2 lines and 2% of the side n), and the smaller of the
// two for both otherwise.
func symmetric(a, b, n int) (int, int) {
	if absInt(a-b) <= 2+n/50 {
		return a, b
	}
	m := min(a, b)
	return m, m
}

func darkRow(p plane, y, x0, x1 int) bool {
	sum, bright := 0, 0
	row := p.pix[y*p.stride+x0 : y*p.stride+x1]
	for _, v := range row {
		sum += int(v)
		if v > barBright {
			bright++
		}
	}
	n := x1 - x0
	return sum <= barMeanMax*n && float64(bright) <= barBrightMax*float64(n)
}

func darkCol(p plane, x, y0, y1 int) bool {
	sum, bright := 0, 0
	for y := y0; y < y1; y++ {
		v := p.pix[y*p.stride+x]
		sum += int(v)
		if v > barBright {
			bright++
		}
	}
	n := y1 - y0
	return n > 0 && sum <= barMeanMax*n && float64(bright) <= barBrightMax*float64(n)
}

// Parameters of the padding detector. A padded frame has, on two opposite
// sides, bands of equal size whose lines (rows or columns) have almost no
// detail, and the sharp picture starts right inside them: the detail per
// line jumps at the boundary. Captions and logos drawn on the bands are
// tolerated by asking for a share of low-detail lines, not all of them.
const (
	padLowRatio  = 0.3  // a line is "low detail" below this share of the centre's median detail
	padLowAbs    = 1.0  // ... or below this mean |gradient|, whatever is larger
	padMinDetail = 2.0  // centre detail below which nothing is decided (flat picture)
	padMinBand   = 0.06 // smallest band, as a share of the side
	padMaxBand   = 0.42 // largest band: the picture keeps at least 16% of the side
	padBandLow   = 0.75 // share of low-detail lines the bands must have
	padJump      = 2.5  // detail inside the boundary / detail outside it
	padEps       = 0.15 // regularises the ratios on very calm padding
	// A brightness step at the boundary must be this many times larger
	// than the steps between padding lines to count like a detail jump.
	padStepBoost = 2.0
	padDepth     = 0.03 // depth of the strips compared at the boundary
)

// blurPadding removes symmetric low-detail bands around a smaller picture
// centred in r: the "vertical repost" look, where a landscape video sits
// over a blurred, enlarged copy of itself on a portrait canvas (or a
// portrait video on a landscape one). Bands are searched only where the
// padding can be: top and bottom on a portrait r, left and right on a
// landscape one, both on a square. That halves the false detections on
// pictures that merely have calm edges (sky, studio walls, cartoons).
func blurPadding(p plane, r image.Rectangle) image.Rectangle {
	w, h := r.Dx(), r.Dy()
	var rowK, colK int
	var rowScore, colScore float64
	if h >= w {
		rowK, rowScore = padBand(lineDetail(p, r, true), lineStep(p, r, true))
	}
	if w >= h {
		colK, colScore = padBand(lineDetail(p, r, false), lineStep(p, r, false))
	}
	switch {
	case rowK > 0 && rowScore >= colScore:
		return image.Rect(r.Min.X, r.Min.Y+rowK, r.Max.X, r.Max.Y-rowK)
	case colK > 0:
		return image.Rect(r.Min.X+colK, r.Min.Y, r.Max.X-colK, r.Max.Y)
	}
	return r
}

// padBand finds the band size k such that lines [0,k) and [n-k,n) are
// padding, given per line its detail e and its step x (mean absolute
// difference to the previous line; x[0] unused), and scores the detection.
// k is 0 when there is no padding.
func padBand(e, x []float64) (k int, score float64) {
	twoSided := false
	n := len(e)
	if n < 32 || len(x) != n {
		return 0, 0
	}
	mid := append([]float64(nil), e[n/3:n-n/3]...)
	sort.Float64s(mid)
	m := mid[len(mid)/2]
	// A calm picture (cartoon, title card) has few detailed lines, so the
	// detail jump means nothing there; only a brightness step on both
	// sides of the picture counts then.
	calm := m < padMinDetail
	thr := max(padLowRatio*m, padLowAbs)
	// low[i] counts low-detail lines among the first i; sum[i] sums detail.
	low := make([]int, n+1)
	sum := make([]float64, n+1)
	xs := make([]float64, n+1)
	for i, v := range e {
		low[i+1] = low[i]
		if v < thr {
			low[i+1]++
		}
		sum[i+1] = sum[i] + v
		xs[i+1] = xs[i] + x[i]
	}
	mean := func(a, b int) float64 { return (sum[b] - sum[a]) / float64(b-a) }
	xmean := func(a, b int) float64 { return (xs[b] - xs[a]) / float64(b-a) }
	d := max(2, int(padDepth*float64(n)+0.5))
	for c := max(d+1, int(padMinBand*float64(n)+0.5)); c <= int(padMaxBand*float64(n)); c++ {
		if c+d > n-c-d {
			break
		}
		bandLow := low[c] + (low[n] - low[n-c])
		if float64(bandLow) < padBandLow*float64(2*c) {
			continue
		}
		// The typical band line must be calm next to the picture; the
		// median ignores the lines of a caption or logo on the band.
		if bandMedian(e, c) > padLowRatio*mean(c, n-c) {
			continue
		}
		// The boundary must show on at least one side, as a jump in
		// detail (sharp picture meets blur) or as a step in brightness
		// (the padding is a zoomed copy, so its colours do not continue
		// the picture's edge). Both sides are at c because the picture is
		// centred (±1 line for odd sizes).
		var side [2]float64 // boundary evidence at the start and at the end
		for _, b := range []int{c, n - c - 1, n - c, n - c + 1} {
			start := b == c
			if b-d < 1 || b+d > n {
				continue
			}
			in, out := mean(b, b+d), mean(b-d, b)
			xo := xmean(b-d+1, b) // steps between padding lines
			i := 0
			if !start {
				in, out = out, in
				xo = xmean(b+1, b+d)
				i = 1
			}
			v := x[b] / (xo + padEps) / padStepBoost
			if !calm {
				v = max(v, in/(out+padEps))
			}
			side[i] = max(side[i], v)
		}
		s := max(side[0], side[1])
		if calm {
			s = min(side[0], side[1])
		}
		if s < padJump {
			continue
		}
		// The picture is centred, so a depth where the boundary shows on
		// both sides beats one where it shows on one: a caption bar or a
		// logo drawn on one band makes a strong one-sided edge of its own
		// at a shallower depth.
		both := min(side[0], side[1]) >= padJump
		if both && !twoSided || both == twoSided && s > score {
			k, score, twoSided = c, s, both
		}
	}
	return k, score
}

// bandMedian returns the median detail of lines [0,c) and [n-c,n) of e.
func bandMedian(e []float64, c int) float64 {
	n := len(e)
	b := make([]float64, 0, 2*c)
	b = append(b, e[:c]...)
	b = append(b, e[n-c:]...)
	sort.Float64s(b)
	return b[len(b)/2]
}

// lineDetail returns, per row of r (rows true) or per column, the mean
// absolute second difference along that line: the amount of fine detail it
// has. Second differences ignore smooth gradients, so blurred padding scores
// near zero even where the blurred picture has strong colour changes.
func lineDetail(p plane, r image.Rectangle, rows bool) []float64 {
	if rows {
		e := make([]float64, r.Dy())
		if r.Dx() < 3 {
			return e
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := p.pix[y*p.stride+r.Min.X : y*p.stride+r.Max.X]
			s := 0
			for x := 2; x < len(row); x++ {
				s += absInt(int(row[x]) - 2*int(row[x-1]) + int(row[x-2]))
			}
			e[y-r.Min.Y] = float64(s) / float64(len(row)-2)
		}
		return e
	}
	e := make([]float64, r.Dx())
	if r.Dy() < 3 {
		return e
	}
	for x := r.Min.X; x < r.Max.X; x++ {
		s := 0
		a, b := p.at(x, r.Min.Y), p.at(x, r.Min.Y+1)
		for y := r.Min.Y + 2; y < r.Max.Y; y++ {
			c := p.at(x, y)
			s += absInt(a - 2*b + c)
			a, b = b, c
		}
		e[x-r.Min.X] = float64(s) / float64(r.Dy()-2)
	}
	return e
}

// lineStep returns, per row of r (rows true) or per column, the mean
// absolute difference to the previous line (0 for the first).
func lineStep(p plane, r image.Rectangle, rows bool) []float64 {
	if rows {
		x := make([]float64, r.Dy())
		for y := r.Min.Y + 1; y < r.Max.Y; y++ {
			a := p.pix[(y-1)*p.stride+r.Min.X : (y-1)*p.stride+r.Max.X]
			b := p.pix[y*p.stride+r.Min.X : y*p.stride+r.Max.X]
			s := 0
			for i := range b {
				s += absInt(int(b[i]) - int(a[i]))
			}
			x[y-r.Min.Y] = float64(s) / float64(len(b))
		}
		return x
	}
	x := make([]float64, r.Dx())
	for c := r.Min.X + 1; c < r.Max.X; c++ {
		s := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			s += absInt(p.at(c, y) - p.at(c-1, y))
		}
		x[c-r.Min.X] = float64(s) / float64(r.Dy())
	}
	return x
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
