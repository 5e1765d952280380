package fingerprint

import (
	"fmt"
	"image"
	"image/color"
	"math"

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

	small gocv.Mat // analysis-size copy, colour or gray
	gray  gocv.Mat // analysis-size grayscale
	sq    gocv.Mat // phashSide x phashSide grayscale of the content
	tiny  gocv.Mat // 8x8 (ahash) or 9x8 (dhash) grayscale of the content

	sqImg, tinyImg, flipImg *image.Gray
}

func newNormalizer(kind models.HashKind, mirror bool) *normalizer {
	return &normalizer{
		kind: kind, mirror: mirror,
		small: gocv.NewMat(), gray: gocv.NewMat(), sq: gocv.NewMat(), tiny: gocv.NewMat(),
		sqImg:   image.NewGray(image.Rect(0, 0, phashSide, phashSide)),
		flipImg: image.NewGray(image.Rect(0, 0, phashSide, phashSide)),
	}
}

// Close releases the OpenCV buffers.
func (n *normalizer) Close() {
	n.small.Close()
	n.gray.Close()
	n.sq.Close()
	n.tiny.Close()
}

// analysisSize returns the size of the analysis copy of a w x h frame.
func analysisSize(w, h int) image.Point {
	s := math.Min(1, float64(analysisSide)/float64(max(w, h)))
	return image.Pt(max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s))))
}

// frame hashes one decoded frame (BGR with 3 channels or grayscale with 1)
// sampled at t seconds. It returns the full-frame hash first and, when the
// normalizer mirrors, the mirrored hash second, plus the frame quality.
func (n *normalizer) frame(m gocv.Mat, t float64) ([]models.FrameHash, float64, error) {
	if m.Empty() || m.Cols() <= 0 || m.Rows() <= 0 {
		return nil, 0, fmt.Errorf("empty frame")
	}
	sz := analysisSize(m.Cols(), m.Rows())
	switch m.Channels() {
	case 1:
		gocv.Resize(m, &n.gray, sz, 0, 0, gocv.InterpolationArea)
	case 3:
		// Shrinking before the colour conversion converts ~30x fewer pixels.
		gocv.Resize(m, &n.small, sz, 0, 0, gocv.InterpolationArea)
		gocv.CvtColor(n.small, &n.gray, gocv.ColorBGRToGray)
	default:
		return nil, 0, fmt.Errorf("frame has %d channels, want 1 or 3", m.Channels())
	}
	pix, err := n.gray.DataPtrUint8()
	if err != nil {
		return nil, 0, fmt.Errorf("read analysis frame: %w", err)
	}
	p := plane{pix: pix, w: n.gray.Cols(), h: n.gray.Rows(), stride: n.gray.Cols()}
	r := contentRect(p)
	return n.hashRegion(r, t)
}

// hashRegion downscales region r of n.gray and hashes it.
func (n *normalizer) hashRegion(r image.Rectangle, t float64) ([]models.FrameHash, float64, error) {
	roi := n.gray.Region(r)
	defer roi.Close()
	gocv.Resize(roi, &n.sq, image.Pt(phashSide, phashSide), 0, 0, gocv.InterpolationArea)
	sq, err := n.sq.DataPtrUint8()
	if err != nil {
		return nil, 0, fmt.Errorf("read normalised frame: %w", err)
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
			return nil, 0, fmt.Errorf("read normalised frame: %w", err)
		}
		if n.tinyImg == nil || n.tinyImg.Rect.Dx() != w {
			n.tinyImg = image.NewGray(image.Rect(0, 0, w, 8))
		}
		copy(n.tinyImg.Pix, b)
		img = n.tinyImg
	}
	full, err := hashGray(n.kind, img)
	if err != nil {
		return nil, 0, err
	}
	q = round3(q)
	t = round3(t)
	out := []models.FrameHash{{T: t, Kind: n.kind, Bits: full, Variant: models.VariantFull, Quality: q}}
	if n.mirror {
		flip := n.flipImg
		if img.Rect.Dx() != flip.Rect.Dx() || img.Rect.Dy() != flip.Rect.Dy() {
			flip = image.NewGray(img.Rect)
		}
		flipGray(flip, img)
		mh, err := hashGray(n.kind, flip)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, models.FrameHash{T: t, Kind: n.kind, Bits: mh, Variant: models.VariantMirror, Quality: q})
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
// returned hashes have T = 0: the full-frame hash first, then the mirrored
// one when opts.Mirror is set. Their Quality says whether the picture is
// flat (below FlatQuality); File skips such frames, Image leaves the
// decision to the caller.
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
