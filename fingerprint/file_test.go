package fingerprint

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/models"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestFileFormats fingerprints small clips in the containers and codecs met
// in the wild (including the awkward ones: raw MPEG without timestamps,
// variable frame rate WebM, Ogg/Theora, gray FFV1) and checks the metadata.
func TestFileFormats(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file, source string
		args               []string
		w, h               int
		dur, fps           float64
		codec              string
	}{
		{"h264 mp4", "a.mp4", "testsrc2=s=320x240:r=30", []string{"-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p"}, 320, 240, 3, 30, "avc1"},
		{"mpeg1 raw mpg", "b.mpg", "testsrc2=s=352x288:r=25", []string{"-t", "3", "-c:v", "mpeg1video", "-f", "mpeg"}, 352, 288, 3, 25, "mpeg"},
		// No timestamps and B-frames the decoder would skip: the clock counts
		// frames, so File must decode this one in full (a halved duration
		// and half the samples otherwise).
		{"mpeg2 elementary stream with B-frames", "g.m2v", "testsrc2=s=352x288:r=25", []string{"-t", "3", "-c:v", "mpeg2video", "-bf", "2", "-f", "mpeg2video"}, 352, 288, 3, 25, "mpeg"},
		// x264's default B-frames, most of them skipped by the decoder.
		{"h264 mp4 with B-frames", "h.mp4", "testsrc2=s=320x240:r=30", []string{"-t", "4", "-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p"}, 320, 240, 4, 30, "avc1"},
		// 45 frames at 30/s then 45 at 15/s: 4.5 s, 20 fps on average
		{"vp8 webm variable rate", "c.webm", "testsrc2=s=320x180:r=30:d=3", []string{"-vf", "setpts='if(lt(N,45),N/30,1.5+(N-45)/15)/TB'", "-fps_mode", "vfr", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"}, 320, 180, 4.5, 20, ""},
		{"theora ogv", "d.ogv", "testsrc2=s=240x320:r=15", []string{"-t", "3", "-c:v", "libtheora"}, 240, 320, 3, 15, "theo"},
		{"ffv1 gray mkv", "e.mkv", "testsrc2=s=160x120:r=25", []string{"-t", "3", "-c:v", "ffv1", "-pix_fmt", "gray"}, 160, 120, 3, 25, "ffv1"},
		{"mjpeg mov", "f.mov", "testsrc2=s=256x256:r=10", []string{"-t", "3", "-c:v", "mjpeg"}, 256, 256, 3, 10, "jpeg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := makeClip(t, dir, tc.file, tc.source, tc.args...)
			fp, err := File(context.Background(), p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := fp.Source
			if s.Width != tc.w || s.Height != tc.h {
				t.Errorf("size %dx%d, want %dx%d", s.Width, s.Height, tc.w, tc.h)
			}
			if math.Abs(s.Duration-tc.dur) > 0.15 {
				t.Errorf("duration %.3f, want %.2f", s.Duration, tc.dur)
			}
			if tc.fps > 0 && math.Abs(s.FPS-tc.fps) > 0.5 {
				t.Errorf("fps %.3f, want %.1f", s.FPS, tc.fps)
			}
			if s.Codec != tc.codec {
				t.Errorf("codec %q, want %q", s.Codec, tc.codec)
			}
			if want := int(tc.dur*DefaultRate) + 1; fp.Sampled < want-1 || fp.Sampled > want+1 {
				t.Errorf("sampled %d frames, want %d±1", fp.Sampled, want)
			}
			checkFingerprint(t, fp, p)
		})
	}
}

// checkFingerprint checks the invariants every fingerprint must hold.
func checkFingerprint(t *testing.T, fp models.Fingerprint, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if fp.Source.SHA256 != hex.EncodeToString(sum[:]) || fp.Source.Size != int64(len(b)) {
		t.Errorf("sha256/size %s/%d do not match the file", fp.Source.SHA256, fp.Source.Size)
	}
	if fp.Version != models.FingerprintVersion {
		t.Errorf("version %d", fp.Version)
	}
	if fp.Skipped > fp.Sampled || fp.Sampled == 0 {
		t.Errorf("sampled %d, skipped %d", fp.Sampled, fp.Skipped)
	}
	last := -1.0
	for _, h := range fp.Frames {
		if h.T < last || h.T < 0 || h.T > fp.Source.Duration {
			t.Errorf("frame time %.3f out of order or outside [0, %.3f]", h.T, fp.Source.Duration)
		}
		if h.Quality < FlatQuality || h.Quality > 1 {
			t.Errorf("frame at %.3f has quality %.3f", h.T, h.Quality)
		}
		last = h.T
	}
}

func TestFileRateKindMirror(t *testing.T) {
	dir := t.TempDir()
	orig := makeClip(t, dir, "orig.mp4", "mandelbrot=s=320x240:r=25", "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	flipped := makeClip(t, dir, "flip.mp4", "mandelbrot=s=320x240:r=25", "-t", "4", "-vf", "hflip", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	tests := []struct {
		kind models.HashKind
		rate float64
	}{
		{models.KindPHash, 1}, {models.KindPHash, 2}, {models.KindPHash, 5},
		{models.KindAHash, 2}, {models.KindDHash, 2},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s@%g", tc.kind, tc.rate), func(t *testing.T) {
			a, err := File(context.Background(), orig, Options{Rate: tc.rate, Kind: tc.kind})
			if err != nil {
				t.Fatal(err)
			}
			b, err := File(context.Background(), flipped, Options{Rate: tc.rate, Kind: tc.kind, Mirror: true})
			if err != nil {
				t.Fatal(err)
			}
			if want := int(4*tc.rate) + 1; a.Sampled < want-1 || a.Sampled > want {
				t.Errorf("sampled %d, want about %d", a.Sampled, want)
			}
			if a.Rate != tc.rate {
				t.Errorf("rate recorded %g, want %g", a.Rate, tc.rate)
			}
			for _, h := range a.Frames {
				if h.Kind != tc.kind || h.Variant != models.VariantFull {
					t.Fatalf("reference hash %+v: want kind %s, full frame only", h, tc.kind)
				}
			}
			full, mir := b.Hashes(models.VariantFull), b.Hashes(models.VariantMirror)
			if len(mir) != len(full) || len(full) != len(a.Frames) {
				t.Fatalf("%d full, %d mirror hashes for %d original frames", len(full), len(mir), len(a.Frames))
			}
			var ds []int
			for i := range mir {
				if mir[i].T != full[i].T {
					t.Errorf("mirror hash at %.3f, full at %.3f", mir[i].T, full[i].T)
				}
				ds = append(ds, mir[i].Bits.Distance(a.Frames[i].Bits))
			}
			sort.Ints(ds)
			if ds[len(ds)/2] > 4 || ds[len(ds)-1] > 12 {
				t.Errorf("mirror hashes of the flipped clip are %v bits from the original's", ds)
			}
		})
	}
}

// MinSamples raises the rate of a short video up to ShortRate, never
// lowers it, and leaves long videos alone.
func TestFileMinSamples(t *testing.T) {
	dir := t.TempDir()
	clip := makeClip(t, dir, "short.mp4", "mandelbrot=s=160x120:r=25", "-t", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	tests := []struct {
		opts     Options
		wantRate float64
	}{
		{Options{Rate: 2}, 2},
		{Options{Rate: 2, MinSamples: 15}, 3},  // 15 samples over 5 s
		{Options{Rate: 2, MinSamples: 120}, 4}, // capped at DefaultShortRate
		{Options{Rate: 2, MinSamples: 120, ShortRate: 6}, 6},
		{Options{Rate: 2, MinSamples: 5}, 2},   // never lowered
		{Options{Rate: 8, MinSamples: 120}, 8}, // a higher base rate stays
	}
	for _, tc := range tests {
		fp, err := File(context.Background(), clip, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(fp.Rate-tc.wantRate) > 1e-9 {
			t.Errorf("%+v: rate %g, want %g", tc.opts, fp.Rate, tc.wantRate)
		}
		if want := int(5*tc.wantRate) + 1; fp.Sampled < want-1 || fp.Sampled > want {
			t.Errorf("%+v: sampled %d, want about %d", tc.opts, fp.Sampled, want)
		}
	}
	for _, bad := range []Options{{MinSamples: -1}, {ShortRate: -1}, {ShortRate: math.NaN()}, {ShortRate: 1000}} {
		if _, err := File(context.Background(), clip, bad); models.ErrorCode(err) != models.EInvalid {
			t.Errorf("%+v: err %v, want EInvalid", bad, err)
		}
	}
	// Unknown duration: the base rate.
	if got := (Options{Rate: 2, MinSamples: 120, ShortRate: 4}).rateFor(0); got != 2 {
		t.Errorf("rateFor(unknown) = %g, want 2", got)
	}
}

// The JSON of a fingerprint is part of the storage format: it must not
// change without a FingerprintVersion bump. The clip is lossless FFV1 so
// that decoded pixels do not depend on the encoder build; path, sha256 and
// size (which depend on the muxer) are checked by checkFingerprint instead.
func TestFileGolden(t *testing.T) {
	dir := t.TempDir()
	p := makeClip(t, dir, "golden.mkv", "testsrc2=s=320x240:r=25", "-t", "5", "-c:v", "ffv1", "-pix_fmt", "yuv420p")
	for _, kind := range models.HashKinds {
		t.Run(string(kind), func(t *testing.T) {
			fp, err := File(context.Background(), p, Options{Kind: kind, Mirror: true})
			if err != nil {
				t.Fatal(err)
			}
			checkFingerprint(t, fp, p)
			fp.Source.Path, fp.Source.SHA256, fp.Source.Size = "golden.mkv", "", 0
			got, err := json.MarshalIndent(fp, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "testsrc2-"+string(kind)+".json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Errorf("fingerprint JSON differs from %s (bump models.FingerprintVersion if intended, then go test -update):\n%s", golden, got)
			}
			var back models.Fingerprint
			if err := json.Unmarshal(want, &back); err != nil {
				t.Fatal(err)
			}
			again, _ := json.MarshalIndent(back, "", " ")
			if !bytes.Equal(again, bytes.TrimSpace(want)) {
				t.Errorf("decode+encode of %s is not the identity", golden)
			}
		})
	}
}

// TestFileBadInput: every kind of bad file gets an EInvalid error whose
// message names the file and the reason.
func TestFileBadInput(t *testing.T) {
	dir := t.TempDir()
	good := makeClip(t, dir, "good.mp4", "testsrc2=s=320x240:r=25", "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart")
	tail := makeClip(t, dir, "tail.mp4", "testsrc2=s=320x240:r=25", "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	tailData, err := os.ReadFile(tail)
	if err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}, 2000)
	tests := []struct {
		name   string
		path   string
		opts   Options
		reason string
	}{
		{"missing file", filepath.Join(dir, "nope.mp4"), Options{}, "no such file"},
		{"directory", dir, Options{}, "is a directory"},
		{"empty file", writeFile(t, dir, "empty.mp4", nil), Options{}, "empty file"},
		{"text file", writeFile(t, dir, "notes.mp4", []byte("this is not a video\n")), Options{}, "not a video"},
		{"random bytes", writeFile(t, dir, "garbage.mkv", garbage), Options{}, "not a video"},
		{"mp4 cut in half, index first", writeFile(t, dir, "half.mp4", data[:len(data)/2]), Options{}, "stream ends early"},
		{"mp4 cut in half, index last", writeFile(t, dir, "halftail.mp4", tailData[:len(tailData)/2]), Options{}, "not a video"},
		{"zero frames", makeClip(t, dir, "zero.mp4", "testsrc2=s=320x240:r=25", "-t", "0", "-c:v", "libx264"), Options{}, "not a video"},
		{"absurd width", makeClip(t, dir, "wide.mkv", "color=c=gray:s=8200x64:r=5", "-t", "0.4", "-c:v", "ffv1"), Options{}, "absurd dimensions 8200x64"},
		{"below limit set by caller", good, Options{MaxWidth: 100}, "absurd dimensions 320x240"},
		{"too small", makeClip(t, dir, "tiny.mkv", "testsrc2=s=8x8:r=5", "-t", "1", "-c:v", "ffv1"), Options{}, "absurd dimensions 8x8"},
		{"bad rate", good, Options{Rate: 1000}, "sampling rate"},
		{"bad kind", good, Options{Kind: "sha1"}, "unknown hash kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := File(context.Background(), tc.path, tc.opts)
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("got %v, want an EInvalid error", err)
			}
			msg := models.ErrorMessage(err)
			if !strings.Contains(msg, tc.reason) {
				t.Errorf("message %q does not give the reason %q", msg, tc.reason)
			}
			if tc.opts.Rate == 0 && tc.opts.Kind == "" && !strings.HasPrefix(msg, tc.path+": ") {
				t.Errorf("message %q does not start with the file name", msg)
			}
		})
	}
}

// Bytes overwritten in the middle of a stream: the decoder conceals the
// damage, so the result is either a sane fingerprint or a clear error,
// never a crash or a fingerprint of the wrong length.
func TestFileCorruptMiddle(t *testing.T) {
	dir := t.TempDir()
	good := makeClip(t, dir, "good.mp4", "testsrc2=s=320x240:r=25", "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) / 3; i < len(data)/3+4096 && i < len(data); i++ {
		data[i] ^= 0x5a
	}
	p := writeFile(t, dir, "corrupt.mp4", data)
	fp, err := File(context.Background(), p, Options{})
	if err != nil {
		if models.ErrorCode(err) != models.EInvalid || !strings.HasPrefix(models.ErrorMessage(err), p) {
			t.Fatalf("got %v, want an EInvalid error naming the file", err)
		}
		return
	}
	checkFingerprint(t, fp, p)
	if math.Abs(fp.Source.Duration-4) > 0.2 {
		t.Errorf("duration %.3f, want about 4", fp.Source.Duration)
	}
}

func TestFileTooLong(t *testing.T) {
	dir := t.TempDir()
	p := makeClip(t, dir, "long.mp4", "testsrc2=s=160x120:r=10", "-t", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	_, err := File(context.Background(), p, Options{MaxDuration: 2})
	if models.ErrorCode(err) != models.ETooLarge || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("got %v, want ETooLarge", err)
	}
}

func TestFileCancelled(t *testing.T) {
	dir := t.TempDir()
	p := makeClip(t, dir, "a.mp4", "testsrc2=s=160x120:r=10", "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := File(ctx, p, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// FuzzFile feeds arbitrary bytes as a video file: File must return an
// error or a well-formed fingerprint, never crash or hang.
func FuzzFile(f *testing.F) {
	dir := f.TempDir()
	seed := makeClip(f, dir, "seed.mp4", "testsrc2=s=64x48:r=10", "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart")
	b, err := os.ReadFile(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte("RIFF\x00\x00\x00\x00AVI LIST"))
	f.Add([]byte{0x1a, 0x45, 0xdf, 0xa3, 0x01, 0x00})
	f.Add([]byte("\x00\x00\x01\xba garbage mpeg"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "in.bin")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// A reference's options with dense sampling where the picture
		// moves, then a query's (mirrors, crop windows, insets).
		for _, opts := range []Options{{Dense: 4}, {Mirror: true}} {
			opts.MaxWidth, opts.MaxHeight, opts.MaxDuration = 1024, 1024, 60
			fp, err := File(context.Background(), p, opts)
			if err != nil {
				if c := models.ErrorCode(err); c != models.EInvalid && c != models.ETooLarge {
					t.Fatalf("error %v has code %s, want invalid or too_large", err, c)
				}
				return
			}
			if fp.Sampled == 0 || fp.Source.Width < MinSide || fp.Source.Duration <= 0 {
				t.Fatalf("implausible fingerprint: %+v", fp.Source)
			}
			for i := 1; i < len(fp.Frames); i++ {
				if fp.Frames[i].T < fp.Frames[i-1].T {
					t.Fatalf("frames out of time order at %d: %.3f after %.3f", i, fp.Frames[i].T, fp.Frames[i-1].T)
				}
			}
		}
	})
}

func TestFrame(t *testing.T) {
	dir := t.TempDir()
	p := makeClip(t, dir, "a.mp4", "testsrc2=s=1280x720:r=25", "-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	for _, at := range []float64{0, 1.5, 2.96, 10} {
		b, err := Frame(context.Background(), p, at)
		if err != nil {
			t.Fatalf("t=%g: %v", at, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("t=%g: not a JPEG: %v", at, err)
		}
		if s := img.Bounds().Size(); s.X != 960 || s.Y != 540 {
			t.Errorf("t=%g: size %v, want 960x540", at, s)
		}
	}
	// A time past the end gives the last frame, not the first (the frames
	// skipped on the way there were never decoded).
	frame := func(at float64) []byte {
		t.Helper()
		b, err := Frame(context.Background(), p, at)
		if err != nil {
			t.Fatalf("t=%g: %v", at, err)
		}
		return b
	}
	last, beyond, first := frame(2.96), frame(10), frame(0)
	if !bytes.Equal(beyond, last) {
		t.Error("t past the end did not give the last frame")
	}
	if bytes.Equal(beyond, first) {
		t.Error("t past the end gave the first frame")
	}
	// The frame at t hashes like the frame File sampled at t.
	fp, err := File(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := byTime(fp.Frames)[1][0] // the content hash at the second sampling time
	b, err := Frame(context.Background(), p, h.T)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := jpeg.Decode(bytes.NewReader(b))
	hs, err := Image(img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := hs[0].Bits.Distance(h.Bits); d > 6 {
		t.Errorf("evidence frame at %.3fs hashes %d bits away from the sampled frame", h.T, d)
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := Frame(context.Background(), p, bad); models.ErrorCode(err) != models.EInvalid {
			t.Errorf("t=%g: got %v, want EInvalid", bad, err)
		}
	}
	if _, err := Frame(context.Background(), filepath.Join(dir, "missing.mp4"), 0); models.ErrorCode(err) != models.EInvalid {
		t.Errorf("missing file: got %v, want EInvalid", err)
	}
}

// A copy shown as a picture-in-picture inset over other moving footage is
// found: the query's VariantInset hashes are near the original's.
func TestFileInset(t *testing.T) {
	dir := t.TempDir()
	orig := makeClip(t, dir, "orig.mp4", "testsrc2=s=320x240:r=25", "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	pip := filepath.Join(dir, "pip.mp4")
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", orig,
		"-f", "lavfi", "-i", "mandelbrot=s=640x360:r=25", "-filter_complex",
		"[0:v]scale=352:-2[fg];[1:v][fg]overlay=W-w-10:H-h-10:shortest=1,format=yuv420p",
		"-t", "4", "-c:v", "libx264", pip)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	ref, err := File(context.Background(), orig, Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := File(context.Background(), pip, Options{Mirror: true})
	if err != nil {
		t.Fatal(err)
	}
	checkFingerprint(t, q, pip)
	// One hash per frame for each candidate rectangle, the inset's among them.
	inset := q.Hashes(VariantInset)
	frames := q.Sampled - q.Skipped
	if len(inset) == 0 || len(inset)%frames != 0 || len(inset) > insetMaxCandidates*frames {
		t.Fatalf("%d inset hashes for %d sampled frames", len(inset), frames)
	}
	if n := len(q.Hashes(MirrorOf(VariantInset))); n != len(inset) {
		t.Errorf("%d mirrored inset hashes for %d inset hashes", n, len(inset))
	}
	best := map[float64]int{}
	for _, h := range inset {
		d := 64
		for _, r := range ref.Frames {
			if math.Abs(r.T-h.T) < 0.1 {
				d = min(d, r.Bits.Distance(h.Bits))
			}
		}
		if b, ok := best[h.T]; !ok || d < b {
			best[h.T] = d
		}
	}
	var ds []int
	for _, d := range best {
		ds = append(ds, d)
	}
	sort.Ints(ds)
	if ds[len(ds)/2] > 6 {
		t.Errorf("inset hashes are %v bits from the original's", ds)
	}
	// No inset in moving footage without one.
	life := makeClip(t, dir, "life.mp4", lifeSource("320x240"), "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	plain, err := File(context.Background(), life, Options{Mirror: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(plain.Hashes(VariantInset)); n != 0 {
		t.Errorf("plain video got %d inset hashes", n)
	}
}

// lifeSource is lavfi footage that moves everywhere and has no straight
// static edges (Conway's game of life in two colours).
func lifeSource(size string) string {
	return "life=s=" + size + ":mold=10:r=25:ratio=0.3:life_color=#ffcc00:death_color=#202040"
}
