package fingerprint

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"

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
	// VariantCrop75 and VariantCrop85 are the central 75% and 85% of the
	// query's content. A copy cropped by a few percent on each side and
	// scaled back shows the original zoomed in; one of these crops then
	// frames about what the original's central 70% (centerShare) frames.
	VariantCrop75 models.Variant = "crop75"
	VariantCrop85 models.Variant = "crop85"
	// VariantInset is the picture inside a detected picture-in-picture
	// inset: a smaller video with fixed, straight borders over other footage.
	VariantInset models.Variant = "inset"
)

// centerShare is the side share of the central crop that every fingerprint
// hashes next to the whole content (as a second VariantFull hash at the
// same time): it leaves out the margins where platforms put watermarks,
// captions and where crops cut, and the query-side crops line up with it.
const centerShare = 0.70

// MirrorOf returns the variant of the left-right mirrored twin of a hash of
// variant v: models.VariantMirror for the full-frame variant, v+"-mirror"
// otherwise.
func MirrorOf(v models.Variant) models.Variant {
	if v == models.VariantFull {
		return models.VariantMirror
	}
	return v + "-mirror"
}

// region is a part of the analysis frame to hash, and the variant it gives.
type region struct {
	r image.Rectangle
	v models.Variant
}

// center returns the central share s of r (both sides).
func center(r image.Rectangle, s float64) image.Rectangle {
	dx := int(math.Round(float64(r.Dx()) * (1 - s) / 2))
	dy := int(math.Round(float64(r.Dy()) * (1 - s) / 2))
	return image.Rect(r.Min.X+dx, r.Min.Y+dy, r.Max.X-dx, r.Max.Y-dy)
}

// regions lists what to hash of a frame whose content is r.
func (n *normalizer) regions(r image.Rectangle) []region {
	out := []region{{r, models.VariantFull}, {center(r, centerShare), models.VariantFull}}
	if n.mirror {
		out = append(out, region{center(r, 0.75), VariantCrop75}, region{center(r, 0.85), VariantCrop85})
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

// addInset hashes the picture-in-picture inset the tracker found, if any,
// in every frame it kept, and merges those hashes into fp in time order.
func (n *normalizer) addInset(fp *models.Fingerprint, k *insetTracker) error {
	r, ok := k.detect()
	if !ok {
		return nil
	}
	for _, f := range k.frames {
		m, err := gocv.NewMatFromBytes(k.h, k.w, gocv.MatTypeCV8UC1, f.pix)
		if err != nil {
			return fmt.Errorf("inset frame: %w", err)
		}
		// The inset is the original scaled down, with its own bars or
		// padding if it had any: normalise it as the original was.
		sub := plane{pix: f.pix[r.Min.Y*k.w+r.Min.X:], w: r.Dx(), h: r.Dy(), stride: k.w}
		cr := contentRect(sub).Add(r.Min)
		hs, _, err := n.hashRegions(m, []region{{cr, VariantInset}}, f.t)
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
		h, hq, err := n.hashRegion(g, reg.r)
		if err != nil {
			return nil, 0, err
		}
		if i == 0 {
			q = round3(hq)
		}
		out = append(out, models.FrameHash{T: t, Kind: n.kind, Bits: h[0], Variant: reg.v, Quality: q})
		if n.mirror {
			out = append(out, models.FrameHash{T: t, Kind: n.kind, Bits: h[1], Variant: MirrorOf(reg.v), Quality: q})
		}
	}
	return out, q, nil
}

// hashRegion downscales region r of g and returns its hash (and, when the
// normalizer mirrors, the hash of its mirror image) and its quality.
func (n *normalizer) hashRegion(g gocv.Mat, r image.Rectangle) ([2]models.Hash64, float64, error) {
	var out [2]models.Hash64
	roi := g.Region(r)
	defer roi.Close()
	gocv.Resize(roi, &n.sq, image.Pt(phashSide, phashSide), 0, 0, gocv.InterpolationArea)
	sq, err := n.sq.DataPtrUint8()
	if err != nil {
		return out, 0, fmt.Errorf("read normalised frame: %w", err)
	}
	copy(n.sqImg.Pix, sq)
	q := quality(n.sqImg)

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
	if n.mirror {
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
