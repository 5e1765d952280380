// Package fingerprint turns video files into perceptual fingerprints: a
// time-ordered list of 64-bit frame hashes plus metadata about the source.
//
// It is the only package that touches GoCV (OpenCV's FFmpeg backend) and
// goimagehash; everything it returns is a models type.
//
// Pipeline, per file: every frame is decoded, but only the frames closest to
// the sampling instants (Options.Rate per second, by presentation time) are
// converted to pixels (Grab skips the colour conversion of the others). Each
// sampled frame is shrunk and turned to grayscale, black bars (letterbox,
// pillarbox) and blurred or flat padding around a smaller centred copy of the
// video are cut away, the remaining picture is downscaled with OpenCV's area
// filter and hashed (pHash by default). Frames without picture (black,
// single-colour, fades) are counted in Fingerprint.Skipped and not hashed.
// With Options.Mirror each hash is accompanied by the hash of the mirrored
// frame (models.VariantMirror), for queries. With Options.Dense the frames
// between the sampling instants are kept too where the picture moves fast
// (see densifier).
package fingerprint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"

	"gocv.io/x/gocv"

	"github.com/copycat-video/copycat/models"
)

// truncatedShare is how much of the duration the container declares must
// actually decode; less means the stream is cut short or corrupt. It is
// loose on purpose: several real formats (raw MPEG, Ogg, AVI with dropped
// frames) declare durations or frame counts that are only estimates.
const truncatedShare = 0.5

// File fingerprints the video at path. It decodes the whole file once (twice
// when the stream has no timestamps and frames were skipped, see
// DefaultCaptureOptions).
//
// Errors carry models codes: EInvalid (with the path and the reason in the
// message) for a missing file, a directory, an empty file, a file that is not
// a video, a stream that decodes to no frames or much less than it declares,
// and dimensions outside [MinSide, Options.MaxWidth/MaxHeight]; ETooLarge
// when the decoded duration exceeds Options.MaxDuration; the context's error
// when ctx is cancelled (checked between frames).
func File(ctx context.Context, path string, opts Options) (models.Fingerprint, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return models.Fingerprint{}, err
	}
	src, err := hashFile(path)
	if err != nil {
		return models.Fingerprint{}, err
	}
	fp, again, err := decode(ctx, path, opts, src, true)
	if err == nil && again {
		// The stream has no usable timestamps, so the clock counts frames,
		// and frames the decoder skipped would shrink it: decode again,
		// every frame this time (raw MPEG elementary streams, for example).
		fp, _, err = decode(ctx, path, opts, src, false)
	}
	return fp, err
}

// decode samples and hashes the video at path. skip lets the decoder skip
// non-reference frames (see DefaultCaptureOptions). again reports, with no
// fingerprint, that frames were skipped while the clock had to count frames
// for a good part of the stream (the timestamps were missing): the caller
// must decode again without skipping.
func decode(ctx context.Context, path string, opts Options, src models.Source, skip bool) (fp models.Fingerprint, again bool, err error) {
	skip = skip && skipsFrames()
	if err := ctx.Err(); err != nil {
		return models.Fingerprint{}, false, err
	}
	vc, err := openCapture(path, skip)
	if err != nil {
		return models.Fingerprint{}, false, err
	}
	defer vc.Close()

	w, h := int(vc.Get(gocv.VideoCaptureFrameWidth)), int(vc.Get(gocv.VideoCaptureFrameHeight))
	if err := checkSize(path, w, h, opts); err != nil {
		return models.Fingerprint{}, false, err
	}
	fps := vc.Get(gocv.VideoCaptureFPS)
	declared := 0.0
	if n := vc.Get(gocv.VideoCaptureFrameCount); saneFPS(fps) && n > 0 && !math.IsInf(n, 0) {
		declared = n / fps
	}
	src.Codec = fourcc(vc.Get(gocv.VideoCaptureFOURCC))

	n := newNormalizer(opts.Kind, opts.Mirror)
	defer n.Close()
	rate := opts.rateFor(declared)
	fp = models.Fingerprint{Version: models.FingerprintVersion, Rate: rate, Frames: []models.FrameHash{}}

	var inset insetTracker
	tracker := (*insetTracker)(nil)
	if opts.Mirror {
		tracker = &inset
	}
	dense := newDensifier(opts.Dense)
	s := newSampler(vc, fps, rate*float64(opts.Dense))
	defer s.Close()
	var cur []models.Hash64
	for {
		if err := ctx.Err(); err != nil {
			return models.Fingerprint{}, false, err
		}
		frame, t, first, last, ok := s.next()
		if !ok {
			break
		}
		at, grid := dense.instant(first, last)
		if t > opts.MaxDuration {
			return models.Fingerprint{}, false, models.Errorf(models.ETooLarge, "%s: video is longer than the %gs limit", path, opts.MaxDuration)
		}
		if frame.Cols() != w || frame.Rows() != h {
			// The stream changed size mid-way (allowed by several codecs);
			// check the new size against the limits too.
			if err := checkSize(path, frame.Cols(), frame.Rows(), opts); err != nil {
				return models.Fingerprint{}, false, err
			}
		}
		if !grid {
			if err := dense.look(n, frame, at, first, last, t); err != nil {
				return models.Fingerprint{}, false, fmt.Errorf("%s: frame at %.3fs: %w", path, t, err)
			}
			continue
		}
		hs, q, err := n.frame(frame, t)
		if err != nil {
			return models.Fingerprint{}, false, fmt.Errorf("%s: frame at %.3fs: %w", path, t, err)
		}
		cur = cur[:0]
		if q >= FlatQuality {
			cur = fullHashes(hs, cur)
		}
		// The frames held since the previous grid frame come first.
		if err := dense.settle(n, &fp, tracker, first, last, cur); err != nil {
			return models.Fingerprint{}, false, fmt.Errorf("%s: %w", path, err)
		}
		fp.Sampled++
		if q < FlatQuality {
			fp.Skipped++
			continue
		}
		fp.Frames = append(fp.Frames, hs...)
		if opts.Mirror {
			inset.add(n.plane(), t)
		}
	}
	if err := dense.settle(n, &fp, tracker, -1, -1, nil); err != nil {
		return models.Fingerprint{}, false, fmt.Errorf("%s: %w", path, err)
	}
	if s.frames == 0 {
		return models.Fingerprint{}, false, models.Errorf(models.EInvalid, "%s: no decodable video frames (corrupt, truncated or not a video)", path)
	}
	if skip && s.guessed*guessedShare > s.frames {
		return models.Fingerprint{}, true, nil
	}
	if err := n.addInset(&fp, &inset); err != nil {
		return models.Fingerprint{}, false, fmt.Errorf("%s: %w", path, err)
	}
	src.Duration = round3(s.duration())
	if s.last > opts.MaxDuration {
		return models.Fingerprint{}, false, models.Errorf(models.ETooLarge, "%s: video is longer than the %gs limit", path, opts.MaxDuration)
	}
	if declared > 1 && src.Duration < truncatedShare*declared {
		return models.Fingerprint{}, false, models.Errorf(models.EInvalid,
			"%s: stream ends early: %.2fs decode of the %.2fs the container declares (truncated or corrupt)", path, src.Duration, declared)
	}
	src.FPS = round3(s.fps(fps, skip && hasNonRefFrames(src.Codec)))
	src.Width, src.Height = s.width, s.height
	fp.Source = src
	return fp, false, nil
}

// guessedShare: a stream whose clock was guessed (counted in frames) for
// more than one frame in guessedShare is decoded again without skipping.
const guessedShare = 10

// openCapture opens path with the FFmpeg backend (the GStreamer backend that
// plain VideoCaptureFile tries first prints warnings and is not installed in
// production). skip false opens it with every frame decoded.
func openCapture(path string, skip bool) (*gocv.VideoCapture, error) {
	vc, err := openWithOptions(path, skip)
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		return nil, models.Errorf(models.EInvalid, "%s: not a video (no decodable video stream: unknown format, no video frames, or truncated before the stream index)", path)
	}
	return vc, nil
}

// statVideo checks that path is a non-empty regular file.
func statVideo(path string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, models.Errorf(models.EInvalid, "%s: no such file", path)
	case err != nil:
		return nil, models.WrapError(models.EInvalid, err, "%s: cannot read", path)
	case st.IsDir():
		return nil, models.Errorf(models.EInvalid, "%s: is a directory, not a video file", path)
	case !st.Mode().IsRegular():
		return nil, models.Errorf(models.EInvalid, "%s: not a regular file", path)
	case st.Size() == 0:
		return nil, models.Errorf(models.EInvalid, "%s: empty file", path)
	}
	return st, nil
}

// hashFile checks path with statVideo and returns its size and SHA-256.
func hashFile(path string) (models.Source, error) {
	if _, err := statVideo(path); err != nil {
		return models.Source{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return models.Source{}, models.WrapError(models.EInvalid, err, "%s: cannot read", path)
	}
	defer f.Close()
	d := sha256.New()
	size, err := io.Copy(d, f)
	if err != nil {
		return models.Source{}, models.WrapError(models.EInvalid, err, "%s: cannot read", path)
	}
	if size == 0 {
		return models.Source{}, models.Errorf(models.EInvalid, "%s: empty file", path)
	}
	return models.Source{Path: path, SHA256: hex.EncodeToString(d.Sum(nil)), Size: size}, nil
}

func checkSize(path string, w, h int, opts Options) error {
	if w <= 0 || h <= 0 {
		return models.Errorf(models.EInvalid, "%s: not a video (no frame size in the stream)", path)
	}
	if w < MinSide || h < MinSide || w > opts.MaxWidth || h > opts.MaxHeight {
		return models.Errorf(models.EInvalid, "%s: absurd dimensions %dx%d (allowed %dx%d to %dx%d)",
			path, w, h, MinSide, MinSide, opts.MaxWidth, opts.MaxHeight)
	}
	return nil
}

// saneFPS reports whether a container's frame rate can be used as a clock.
func saneFPS(fps float64) bool { return fps > 0 && fps <= 1000 && !math.IsNaN(fps) }

// fourcc renders OpenCV's CAP_PROP_FOURCC (the container's codec tag, or the
// first letters of FFmpeg's codec name when the container has no tag) as
// printable lower-case text; "" when unknown.
func fourcc(v float64) string {
	if v <= 0 || v > math.MaxUint32 || math.IsNaN(v) {
		return ""
	}
	c := uint32(v)
	var b strings.Builder
	for i := 0; i < 4; i++ {
		ch := byte(c >> (8 * i))
		if ch >= 0x21 && ch <= 0x7e {
			b.WriteByte(ch)
		}
	}
	return strings.ToLower(b.String())
}
