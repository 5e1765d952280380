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
	r := blackBars(p)
	r = blurPadding(p, r, true)
	r = blurPadding(p, r, false)
	return r
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
	r := image.Rect(left, top, right, bottom)
	if float64(r.Dx()) < minContentShare*float64(p.w) || float64(r.Dy()) < minContentShare*float64(p.h) {
		return full
	}
	return r
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
// sides, bands whose rows (columns) have almost no detail, and sharp picture
// right inside them. Captions and logos drawn on the bands are tolerated by
// asking for a share of low-detail lines instead of all of them.
const (
	padLowRatio   = 0.25 // a line is "low detail" below this share of the centre's detail
	padMinDetail  = 2.0  // centre detail (mean |gradient|) below which nothing is decided
	padMinBand    = 0.05 // smallest band, as a share of the side
	padMaxBand    = 0.42 // largest band: the picture keeps at least 16% of the side
	padBandLow    = 0.8  // share of low-detail lines the bands must have
	padEdgeDepth  = 0.04 // depth of the strip inside the boundary that must be sharp
	padEdgeLowMax = 0.5  // share of low-detail lines allowed in that strip
)

// blurPadding trims symmetric low-detail bands from r: top and bottom when
// rows is true, left and right otherwise.
func blurPadding(p plane, r image.Rectangle, rows bool) image.Rectangle {
	n := r.Dy()
	if !rows {
		n = r.Dx()
	}
	if n < 24 || r.Dx() < 8 || r.Dy() < 8 {
		return r
	}
	e := lineDetail(p, r, rows)
	mid := append([]float64(nil), e[n*2/5:n*3/5+1]...)
	sort.Float64s(mid)
	m := mid[len(mid)/2]
	if m < padMinDetail {
		return r
	}
	thr := padLowRatio * m
	// lowPrefix[i] counts low-detail lines among the first i from the
	// start; lowSuffix[i] among the last i from the end.
	lowPrefix := make([]int, n+1)
	lowSuffix := make([]int, n+1)
	for i := 0; i < n; i++ {
		lowPrefix[i+1] = lowPrefix[i]
		if e[i] < thr {
			lowPrefix[i+1]++
		}
		lowSuffix[i+1] = lowSuffix[i]
		if e[n-1-i] < thr {
			lowSuffix[i+1]++
		}
	}
	depth := max(2, int(padEdgeDepth*float64(n)+0.5))
	minK := max(2, int(padMinBand*float64(n)+0.5))
	for k := int(padMaxBand * float64(n)); k >= minK; k-- {
		if k+depth > n-k-depth {
			continue
		}
		if e[k-1] >= thr || e[n-k] >= thr {
			continue // the bands must end on a low-detail line on both sides
		}
		low := lowPrefix[k] + lowSuffix[k]
		if float64(low) < padBandLow*float64(2*k) {
			continue
		}
		edgeLow := (lowPrefix[k+depth] - lowPrefix[k]) + (lowSuffix[k+depth] - lowSuffix[k])
		if float64(edgeLow) > padEdgeLowMax*float64(2*depth) {
			continue
		}
		if rows {
			return image.Rect(r.Min.X, r.Min.Y+k, r.Max.X, r.Max.Y-k)
		}
		return image.Rect(r.Min.X+k, r.Min.Y, r.Max.X-k, r.Max.Y)
	}
	return r
}

// lineDetail returns, per row of r (rows true) or per column, the mean
// absolute difference between neighbours along that line: the amount of
// detail a line has. Blurred or flat padding scores near zero.
func lineDetail(p plane, r image.Rectangle, rows bool) []float64 {
	if rows {
		e := make([]float64, r.Dy())
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := p.pix[y*p.stride+r.Min.X : y*p.stride+r.Max.X]
			s := 0
			for x := 1; x < len(row); x++ {
				s += absInt(int(row[x]) - int(row[x-1]))
			}
			e[y-r.Min.Y] = float64(s) / float64(len(row)-1)
		}
		return e
	}
	e := make([]float64, r.Dx())
	for x := r.Min.X; x < r.Max.X; x++ {
		s := 0
		prev := p.at(x, r.Min.Y)
		for y := r.Min.Y + 1; y < r.Max.Y; y++ {
			v := p.at(x, y)
			s += absInt(v - prev)
			prev = v
		}
		e[x-r.Min.X] = float64(s) / float64(r.Dy()-1)
	}
	return e
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
