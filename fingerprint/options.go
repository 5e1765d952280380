package fingerprint

import (
	"math"

	"github.com/copycat-video/copycat/models"
)

// Revision identifies the hashes this version of the package computes for a
// given file and options. It changes whenever they change (sampling,
// normalisation, variants), also when models.FingerprintVersion does not,
// so that caches of fingerprints can be keyed by it.
const Revision = "2026-11-23.9"

// Defaults and hard limits. The limits exist so that a hostile or broken file
// cannot make the fingerprinter allocate gigabytes or decode for hours.
const (
	// DefaultRate is the sampling rate in frames per second. Two frames per
	// second keeps at least four samples in the shortest clip worth matching
	// (two seconds), which the matcher needs to see a time alignment; the
	// decode cost does not depend on it (every frame is decoded anyway) and
	// the per-sample cost is well under a millisecond, so a higher rate only
	// grows the index.
	DefaultRate = 2.0
	// MaxRate bounds Options.Rate: sampling more often than a typical frame
	// rate only repeats hashes.
	MaxRate = 60.0
	// DefaultShortRate caps the rate Options.MinSamples raises a short
	// video to.
	DefaultShortRate = 4.0
	// DefaultMaxWidth and DefaultMaxHeight bound the decoded frame size (8K
	// UHD). Anything larger is treated as a hostile or broken file.
	DefaultMaxWidth  = 7680
	DefaultMaxHeight = 7680
	// DefaultMaxDuration bounds the decoded duration in seconds (4 hours).
	DefaultMaxDuration = 4 * 3600.0
	// MinSide is the smallest width or height that still carries enough
	// picture to hash.
	MinSide = 16
	// MaxDense bounds Options.Dense.
	MaxDense = 8
	// MotionBits is the hash distance at which Options.Dense keeps a
	// frame between two sampling instants. Edits move a hash by up to
	// about 10 bits (see pipeline.DefaultRadius); a picture that moved as
	// far from both neighbours would need more than the search radius
	// from a copy sampled near it.
	MotionBits = 10
	// FlatQuality is the quality below which a sampled frame is considered
	// flat (black, a single colour, a fade) and skipped: such frames match
	// every other flat frame and are no evidence of copying.
	FlatQuality = 0.05
)

// Options controls sampling and hashing. The zero value means "defaults".
type Options struct {
	// Rate is the sampling rate in frames per second (default DefaultRate).
	Rate float64
	// Kind is the hash algorithm (default models.KindPHash).
	Kind models.HashKind
	// Mirror makes a query fingerprint. Besides the two VariantFull hashes
	// every fingerprint has per sampled frame (the content and its central
	// 70%), it adds the hash of their left-right mirrored pictures (variant
	// MirrorOf(v)), the 16 crop windows (CropVariant, without mirrored
	// twins) and, when the video shows a picture-in-picture inset,
	// VariantInset and its mirrored twin for each of up to
	// insetMaxCandidates rectangles: 20 hashes per sampled frame, 22 to 28
	// with an inset. References are fingerprinted without it: the index
	// stores VariantFull hashes only.
	Mirror bool
	// MinSamples, when positive, raises Rate for a video the container
	// says is short, so that about MinSamples frames are sampled: the rate
	// becomes MinSamples / duration, at most ShortRate. A short upload then
	// gets as many chances to meet its original's frames as a long one
	// (see pipeline.DefaultQuerySamples); Fingerprint.Rate is the rate used.
	MinSamples int
	// ShortRate caps the raised rate (default DefaultShortRate).
	ShortRate float64
	// Dense (a power of two up to MaxDense; 0 or 1: off) samples up to
	// Dense times as fast as the rate where the picture moves. The frames
	// between two sampling instants are looked at, and one is kept when
	// its hashes (the content's and the centre's) lie at least MotionBits
	// from those of both its neighbours at its level (see densifier): the
	// picture changed so much in that time that a copy sampled in between,
	// as any copy is with some phase, would meet neither. Calm footage
	// keeps the plain rate, so the index grows only with fast footage.
	// Fingerprint.Rate stays the plain rate and Sampled counts the kept
	// frames too.
	Dense int
	// MaxWidth, MaxHeight and MaxDuration (seconds) override the default
	// limits when positive.
	MaxWidth    int
	MaxHeight   int
	MaxDuration float64
}

// withDefaults validates o and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if math.IsNaN(o.Rate) || o.Rate < 0 || o.Rate > MaxRate {
		return o, models.Errorf(models.EInvalid, "sampling rate %g is out of range (0, %g] frames per second", o.Rate, float64(MaxRate))
	}
	if o.MinSamples < 0 {
		return o, models.Errorf(models.EInvalid, "minimum sample count %d is negative", o.MinSamples)
	}
	if o.ShortRate == 0 {
		o.ShortRate = DefaultShortRate
	}
	if math.IsNaN(o.ShortRate) || o.ShortRate < 0 || o.ShortRate > MaxRate {
		return o, models.Errorf(models.EInvalid, "short-video sampling rate %g is out of range (0, %g] frames per second", o.ShortRate, float64(MaxRate))
	}
	if o.Dense == 0 {
		o.Dense = 1
	}
	if err := CheckDense(o.Dense); err != nil {
		return o, err
	}
	if o.Kind == "" {
		o.Kind = models.KindPHash
	}
	if !o.Kind.Valid() {
		return o, models.Errorf(models.EInvalid, "unknown hash kind %q (want phash, ahash or dhash)", o.Kind)
	}
	if o.MaxWidth <= 0 {
		o.MaxWidth = DefaultMaxWidth
	}
	if o.MaxHeight <= 0 {
		o.MaxHeight = DefaultMaxHeight
	}
	if o.MaxDuration <= 0 || math.IsNaN(o.MaxDuration) {
		o.MaxDuration = DefaultMaxDuration
	}
	return o, nil
}

// CheckDense reports (EInvalid) a dense sampling factor that Options.Dense
// does not take: anything but a power of two from 1 to MaxDense.
func CheckDense(n int) error {
	if n < 1 || n > MaxDense || n&(n-1) != 0 {
		return models.Errorf(models.EInvalid, "dense sampling factor %d is not a power of two from 1 to %d", n, MaxDense)
	}
	return nil
}

// rateFor returns the sampling rate for a video the container says lasts
// declared seconds (0: unknown): Rate, raised for short videos as
// MinSamples asks.
func (o Options) rateFor(declared float64) float64 {
	if o.MinSamples <= 0 || declared <= 0 || math.IsNaN(declared) || math.IsInf(declared, 0) {
		return o.Rate
	}
	return math.Max(o.Rate, math.Min(o.ShortRate, float64(o.MinSamples)/declared))
}
