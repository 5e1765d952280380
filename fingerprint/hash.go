package fingerprint

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/corona10/goimagehash"
	"gocv.io/x/gocv"

	"github.com/copycat-video/copycat/models"
)

// Sizes of the normalisation pipeline.
const (
	// analysisSide is the longer side of the small grayscale copy on which
	// borders and padding are detected. Bars and padding are tens of pixels
	// wide even at this size, and the copy costs little to make.
	analysisSide = 256
	// phashSide is the input size of goimagehash's pHash (it resizes to
	// 64x64 itself; handing it exactly that size skips its slow resampler so
	// the downscale is OpenCV's area filter instead).
	phashSide = 64
)

// normalizer turns decoded frames into hashes. It owns OpenCV buffers that
// are reused from one sampled frame to the next, so one normalizer serves
// one goroutine; Close releases the buffers.
type normalizer struct {
	kind   models.HashKind
	mirror bool

	full gocv.Mat // full-size grayscale of a colour frame
	gray gocv.Mat // analysis-size grayscale
	sq   gocv.Mat // phashSide x phashSide grayscale of the content
	tiny gocv.Mat // 8x8 (ahash) or 9x8 (dhash) grayscale of the content

	sqImg, tinyImg, flipImg *image.Gray
}

func newNormalizer(kind models.HashKind, mirror bool) *normalizer {
	return &normalizer{
		kind: kind, mirror: mirror,
		full: gocv.NewMat(), gray: gocv.NewMat(), sq: gocv.NewMat(), tiny: gocv.NewMat(),
		sqImg:   image.NewGray(image.Rect(0, 0, phashSide, phashSide)),
		flipImg: image.NewGray(image.Rect(0, 0, phashSide, phashSide)),
	}
}

// Close releases the OpenCV buffers.
func (n *normalizer) Close() {
	n.full.Close()
	n.gray.Close()
	n.sq.Close()
	n.tiny.Close()
}

// analysisSize returns the size of the analysis copy of a w x h frame.
// The border and padding detection is tuned at this scale: a whole-factor
// shrink (k x k blocks, which OpenCV's area filter averages four times
// faster) would move 540x960 to 135x240, where the blurred-padding detector
// cuts into calm pictures, so the fractional filter stays.
func analysisSize(w, h int) image.Point {
	s := math.Min(1, float64(analysisSide)/float64(max(w, h)))
	return image.Pt(max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s))))
}

// Query-only variants. References are indexed with models.VariantFull
// hashes only (the whole content and its central part); a query fingerprint
// (Options.Mirror) also carries these, each with a mirrored twin (see
// MirrorOf), so that cropped, zoomed and picture-in-picture copies still
// meet their original's hashes.
const (
	// VariantCrop is the prefix of the crop windows' variants ("crop0" to
	// "crop15", see CropVariant and cropWindows): parts of the query's
	// content that frame what the original's central part (centerShare)
	// frames when the copy was cropped on each side and scaled back.
	VariantCrop models.Variant = "crop"
	// VariantInset is the picture inside a detected picture-in-picture
	// inset: a smaller video with fixed, straight borders over other footage.
	VariantInset models.Variant = "inset"
)

// centerShare is the side share of the central crop that every fingerprint
// hashes next to the whole content (as a second VariantFull hash at the
// same time): it leaves out the margins where platforms put watermarks,
// captions and where crops cut, and the query's crop windows line up with it.
const centerShare = 0.70

// Crops the crop windows are laid out for: each side of the original cut by
// cropMin to cropMax of its length, independently, and the rest scaled back
// to the frame (the aspect ratio changes). cropMax is the margin centerShare
// leaves, so the original's central part is whole in every such copy.
const (
	cropMin = 0.03
	cropMax = (1 - centerShare) / 2
)

// cropWindows returns the query windows, as shares (x0, y0, x1, y1) of the
// content, that stand for the original's central part in cropped copies.
//
// A copy that keeps [l, 1-r] of the original's width shows the central part
// [m, 1-m] (m = cropMax) at x0 = (m-l)/(1-l-r), x1 = (1-m-l)/(1-l-r) of its
// own width: x0 in [0, e], x1 in [1-e, 1] with e = (m-cropMin)/(1-cropMin-m),
// the left edge set mostly by l and the right one by r, and the same for y.
// pHash moves by about 10 bits when its window shifts by 3% of the frame
// and by 16 at 5% (medians over the corpus's frames; see also
// TestCropWindowShiftTolerance), so the centred windows of old missed most
// asymmetric crops: the four edges vary independently. Each edge takes one
// of two values, e/4 or 3e/4 in from the frame's edge (the centres of the
// two halves of its range), so every crop is within e/4 (3.7% of the
// frame) of a window on each edge: 16 windows, window k with bit 0 (left),
// 1 (top), 2 (right) and 3 (bottom) set where that edge lies at 3e/4. The
// set is its own mirror image.
func cropWindows() [16][4]float64 {
	e := (cropMax - cropMin) / (1 - cropMin - cropMax)
	in := [2]float64{e / 4, 3 * e / 4}
	var out [16][4]float64
	for k := range out {
		l, t, r, b := k&1, k>>1&1, k>>2&1, k>>3&1
		out[k] = [4]float64{in[l], in[t], 1 - in[r], 1 - in[b]}
	}
	return out
}

// crops are the query's crop windows (cropWindows).
var crops = cropWindows()

// CropVariant returns the variant of crop window i (0 to 15).
func CropVariant(i int) models.Variant { return VariantCrop + models.Variant(strconv.Itoa(i)) }

// IsCrop reports whether v is the variant of a crop window. There are many
// of them per sampled frame, so a searcher may want to search them at a
// smaller radius than the other variants, to keep the chance matches of all
// of them together (and their cost) near those of a single hash.
func IsCrop(v models.Variant) bool {
	return strings.HasPrefix(string(v), string(VariantCrop)) && !v.Mirrored()
}

// MirrorOf returns the variant of the left-right mirrored twin of a hash of
// variant v: models.VariantMirror for the full-frame variant,
// v+models.MirrorSuffix otherwise.
func MirrorOf(v models.Variant) models.Variant {
	if v == models.VariantFull {
		return models.VariantMirror
	}
	return v + models.MirrorSuffix
}

// region is a part of the analysis frame to hash, and the variant it gives.
// A query hashes the mirror image of a region too unless plain is set.
type region struct {
	r     image.Rectangle
	v     models.Variant
	plain bool
}

// center returns the central share s of r (both sides).
func center(r image.Rectangle, s float64) image.Rectangle {
	dx := int(math.Round(float64(r.Dx()) * (1 - s) / 2))
	dy := int(math.Round(float64(r.Dy()) * (1 - s) / 2))
	return image.Rect(r.Min.X+dx, r.Min.Y+dy, r.Max.X-dx, r.Max.Y-dy)
}

// window returns the part w (shares x0, y0, x1, y1) of r.
func window(r image.Rectangle, w [4]float64) image.Rectangle {
	at := func(a, n int, s float64) int { return a + int(math.Round(float64(n)*s)) }
	return image.Rect(at(r.Min.X, r.Dx(), w[0]), at(r.Min.Y, r.Dy(), w[1]), at(r.Min.X, r.Dx(), w[2]), at(r.Min.Y, r.Dy(), w[3]))
}

// regions lists what to hash of a frame whose content is r.
func (n *normalizer) regions(r image.Rectangle) []region {
	out := []region{{r: r, v: models.VariantFull}, {r: center(r, centerShare), v: models.VariantFull}}
	if n.mirror {
		// Crop windows have no mirrored twins: a copy both cropped and
		// mirrored is rare next to either edit alone, and the twins would
		// double the windows' search cost; the mirrored content and centre
		// still meet such a copy when the crop is mild.
		for i, w := range crops {
			out = append(out, region{r: window(r, w), v: CropVariant(i), plain: true})
		}
	}
	return out
}

// analyse shrinks a decoded frame (BGR with 3 channels or grayscale with 1)
// into n.gray and returns it as a plane (valid until the next call).
func (n *normalizer) analyse(m gocv.Mat) (plane, error) {
	if m.Empty() || m.Cols() <= 0 || m.Rows() <= 0 {
		return plane{}, fmt.Errorf("empty frame")
	}
	sz := analysisSize(m.Cols(), m.Rows())
	switch m.Channels() {
	case 1:
		gocv.Resize(m, &n.gray, sz, 0, 0, gocv.InterpolationArea)
	case 3:
		// Grayscale first: the colour conversion is one cheap vectorised
		// pass, and the area filter then averages one channel, not three.
		gocv.CvtColor(m, &n.full, gocv.ColorBGRToGray)
		gocv.Resize(n.full, &n.gray, sz, 0, 0, gocv.InterpolationArea)
	default:
		return plane{}, fmt.Errorf("frame has %d channels, want 1 or 3", m.Channels())
	}
	pix, err := n.gray.DataPtrUint8()
	if err != nil {
		return plane{}, fmt.Errorf("read analysis frame: %w", err)
	}
	return plane{pix: pix, w: n.gray.Cols(), h: n.gray.Rows(), stride: n.gray.Cols()}, nil
}

// plane returns the current analysis frame (valid until the next frame).
func (n *normalizer) plane() plane {
	pix, _ := n.gray.DataPtrUint8() // n.gray is continuous: Resize and CvtColor allocate it so
	return plane{pix: pix, w: n.gray.Cols(), h: n.gray.Rows(), stride: n.gray.Cols()}
}

// addInset hashes the candidates for a picture-in-picture inset the
// tracker found, if any, in every frame it kept, and merges those hashes
// into fp in time order. All candidates give VariantInset hashes: at most
// one of them frames the inset, and the alignment keeps that one's votes.
func (n *normalizer) addInset(fp *models.Fingerprint, k *insetTracker) error {
	rects := k.detect()
	if len(rects) == 0 {
		return nil
	}
	for _, f := range k.frames {
		m, err := gocv.NewMatFromBytes(k.h, k.w, gocv.MatTypeCV8UC1, f.pix)
		if err != nil {
			return fmt.Errorf("inset frame: %w", err)
		}
		// The inset is the original scaled down, with its own bars or
		// padding if it had any: normalise it as the original was.
		regs := make([]region, len(rects))
		for i, r := range rects {
			sub := plane{pix: f.pix[r.Min.Y*k.w+r.Min.X:], w: r.Dx(), h: r.Dy(), stride: k.w}
			regs[i] = region{r: contentRect(sub).Add(r.Min), v: VariantInset}
		}
		hs, _, err := n.hashRegions(m, regs, f.t)
		m.Close()
		if err != nil {
			return err
		}
		fp.Frames = append(fp.Frames, hs...)
	}
	sort.SliceStable(fp.Frames, func(i, j int) bool { return fp.Frames[i].T < fp.Frames[j].T })
	return nil
}

// frame hashes one decoded frame sampled at t seconds: the content (black
// bars and padding removed) and its centre as VariantFull hashes, plus the
// query variants and mirrored twins when the normalizer mirrors. It also
// returns the quality of the content; the caller skips flat frames.
func (n *normalizer) frame(m gocv.Mat, t float64) ([]models.FrameHash, float64, error) {
	p, err := n.analyse(m)
	if err != nil {
		return nil, 0, err
	}
	return n.hashRegions(n.gray, n.regions(contentRect(p)), t)
}

// hashRegions downscales each region of the analysis frame g and hashes it.
// The quality of the first region is returned and given to every hash.
func (n *normalizer) hashRegions(g gocv.Mat, regs []region, t float64) ([]models.FrameHash, float64, error) {
	out := make([]models.FrameHash, 0, 2*len(regs))
	q := 0.0
	t = round3(t)
	for i, reg := range regs {
		if reg.r.Dx() < 2 || reg.r.Dy() < 2 {
			continue
		}
		mirror := n.mirror && !reg.plain
		// Only the first region's quality is used (for every hash of the
		// frame); measuring it on the other twenty costs more than a
		// hash.
		h, hq, err := n.hashRegion(g, reg.r, mirror, i == 0)
		if err != nil {
			return nil, 0, err
		}
		if i == 0 {
			q = round3(hq)
		}
		out = append(out, models.FrameHash{T: t, Kind: n.kind, Bits: h[0], Variant: reg.v, Quality: q})
		if mirror {
			out = append(out, models.FrameHash{T: t, Kind: n.kind, Bits: h[1], Variant: MirrorOf(reg.v), Quality: q})
		}
	}
	return out, q, nil
}

// hashRegion downscales region r of g and returns its hash (and, with
// mirror, the hash of its mirror image) and, withQuality, its quality (0
// otherwise).
func (n *normalizer) hashRegion(g gocv.Mat, r image.Rectangle, mirror, withQuality bool) ([2]models.Hash64, float64, error) {
	var out [2]models.Hash64
	roi := g.Region(r)
	defer roi.Close()
	gocv.Resize(roi, &n.sq, image.Pt(phashSide, phashSide), 0, 0, gocv.InterpolationArea)
	sq, err := n.sq.DataPtrUint8()
	if err != nil {
		return out, 0, fmt.Errorf("read normalised frame: %w", err)
	}
	copy(n.sqImg.Pix, sq)
	q := 0.0
	if withQuality {
		q = quality(n.sqImg)
	}

	img := n.sqImg
	switch n.kind {
	case models.KindAHash, models.KindDHash:
		w := 8
		if n.kind == models.KindDHash {
			w = 9
		}
		gocv.Resize(roi, &n.tiny, image.Pt(w, 8), 0, 0, gocv.InterpolationArea)
		b, err := n.tiny.DataPtrUint8()
		if err != nil {
			return out, 0, fmt.Errorf("read normalised frame: %w", err)
		}
		if n.tinyImg == nil || n.tinyImg.Rect.Dx() != w {
			n.tinyImg = image.NewGray(image.Rect(0, 0, w, 8))
		}
		copy(n.tinyImg.Pix, b)
		img = n.tinyImg
	}
	if out[0], err = hashGray(n.kind, img); err != nil {
		return out, 0, err
	}
	if mirror {
		flip := n.flipImg
		if img.Rect.Dx() != flip.Rect.Dx() || img.Rect.Dy() != flip.Rect.Dy() {
			flip = image.NewGray(img.Rect)
		}
		flipGray(flip, img)
		if out[1], err = hashGray(n.kind, flip); err != nil {
			return out, 0, err
		}
	}
	return out, q, nil
}

// hashGray runs goimagehash on an image that already has the algorithm's
// input size, so goimagehash's own resize is a no-op.
func hashGray(kind models.HashKind, img *image.Gray) (models.Hash64, error) {
	var (
		h   *goimagehash.ImageHash
		err error
	)
	switch kind {
	case models.KindPHash:
		h, err = goimagehash.PerceptionHash(img)
	case models.KindAHash:
		h, err = goimagehash.AverageHash(img)
	case models.KindDHash:
		h, err = goimagehash.DifferenceHash(img)
	default:
		return 0, models.Errorf(models.EInvalid, "unknown hash kind %q", kind)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", kind, err)
	}
	return models.Hash64(h.GetHash()), nil
}

// flipGray writes src mirrored left-right into dst (same size).
func flipGray(dst, src *image.Gray) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := 0; y < h; y++ {
		s := src.Pix[y*src.Stride : y*src.Stride+w]
		d := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		for x := 0; x < w; x++ {
			d[w-1-x] = s[x]
		}
	}
}

// quality scores how much picture a normalised frame holds, in [0,1]: the
// geometric mean of its contrast (standard deviation of luma) and its
// detail (mean absolute gradient), each saturating at a level typical of
// ordinary footage. Black frames, single colours and fades score near 0.
func quality(g *image.Gray) float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var sum, sum2, grad float64
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for x, v := range row {
			f := float64(v)
			sum += f
			sum2 += f * f
			if x > 0 {
				grad += math.Abs(f - float64(row[x-1]))
			}
			if y > 0 {
				grad += math.Abs(f - float64(g.Pix[(y-1)*g.Stride+x]))
			}
		}
	}
	n := float64(w * h)
	mean := sum / n
	sd := math.Sqrt(math.Max(0, sum2/n-mean*mean))
	grad /= 2 * n
	const sdFull, gradFull = 40.0, 6.0
	return math.Sqrt(math.Min(1, sd/sdFull) * math.Min(1, grad/gradFull))
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Image hashes one already-decoded picture as File hashes a sampled frame
// (grayscale, border and padding removal, OpenCV downscale, hash). The
// returned hashes have T = 0 and come in File's order: the content's
// VariantFull hash first, then its central part's, then (with
// opts.Mirror) the mirrored and query variants. A picture-in-picture inset
// needs several frames to be found, so Image never returns VariantInset.
// Their Quality says whether the picture is flat (below FlatQuality); File
// skips such frames, Image leaves the decision to the caller.
func Image(img image.Image, opts Options) ([]models.FrameHash, error) {
	if img == nil {
		return nil, models.Errorf(models.EInvalid, "image is nil")
	}
	b := img.Bounds()
	g, ok := img.(*image.Gray)
	if !ok || g.Stride != b.Dx() {
		g = image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				g.Pix[y*g.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return Gray(g.Pix, b.Dx(), b.Dy(), opts)
}

// Gray hashes a picture given as 8-bit grayscale pixels, row after row
// without padding (len(pix) == width*height). See Image.
func Gray(pix []byte, width, height int, opts Options) ([]models.FrameHash, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if width < 1 || height < 1 || width > opts.MaxWidth || height > opts.MaxHeight {
		return nil, models.Errorf(models.EInvalid, "image size %dx%d is outside 1x1..%dx%d", width, height, opts.MaxWidth, opts.MaxHeight)
	}
	if len(pix) != width*height {
		return nil, models.Errorf(models.EInvalid, "image has %d bytes, want %dx%d = %d", len(pix), width, height, width*height)
	}
	m, err := gocv.NewMatFromBytes(height, width, gocv.MatTypeCV8UC1, pix)
	if err != nil {
		return nil, fmt.Errorf("image to mat: %w", err)
	}
	defer m.Close()
	n := newNormalizer(opts.Kind, opts.Mirror)
	defer n.Close()
	hs, _, err := n.frame(m, 0)
	return hs, err
}
