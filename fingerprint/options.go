package fingerprint

import (
	"math"

	"github.com/copycat-video/copycat/models"
)

// Revision identifies the hashes this version of the package computes for a
// given file and options. It changes whenever they change (sampling,
// normalisation, variants), also when models.FingerprintVersion does not,
// so that caches of fingerprints can be keyed by it.
const Revision = "2026-11-23.acc2"

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
	// DefaultMaxWidth and DefaultMaxHeight bound the decoded frame size (8K
	// UHD). Anything larger is treated as a hostile or broken file.
	DefaultMaxWidth  = 7680
	DefaultMaxHeight = 7680
	// DefaultMaxDuration bounds the decoded duration in seconds (4 hours).
	DefaultMaxDuration = 4 * 3600.0
	// MinSide is the smallest width or height that still carries enough
	// picture to hash.
	MinSide = 16
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
	// VariantInset and its mirrored twin: 20 hashes per sampled frame, 22
	// with an inset. References are fingerprinted without it: the index
	// stores VariantFull hashes only.
	Mirror bool
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
