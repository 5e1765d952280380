package fingerprint

import (
	"os"
	"sync"

	"gocv.io/x/gocv"
)

// CaptureOptionsEnv is the environment variable through which OpenCV's
// FFmpeg backend takes its capture options ("key;value|key;value"), read
// each time a video is opened.
const CaptureOptionsEnv = "OPENCV_FFMPEG_CAPTURE_OPTIONS"

// DefaultCaptureOptions makes the decoder skip frames no other frame is
// predicted from (FFmpeg's AVDISCARD_NONREF: in H.264 the non-reference
// B-frames, in MPEG-1/2/4 every B-frame). Decoding is most of the cost of a
// fingerprint, and the sampler keeps 2 to 4 frames per second out of 24 to
// 60, so these frames were decoded only to be thrown away: skipping them
// cuts FFmpeg's single-thread decode of a 60 s 540x960 H.264 upload from
// 2.8 s to 1.8 s of CPU. The frames that remain are intact (nothing is
// predicted from the skipped ones) and carry their own presentation times,
// so a sample lands at most a frame interval or two from its instant, which
// the matcher's alignment absorbs. Codecs without such frames (intra-only,
// VP8/VP9, Theora) decode as before. A stream without timestamps, whose
// clock must count frames, is decoded again without skipping (see File).
const DefaultCaptureOptions = "avdiscard;nonref"

// The options must be in the environment before the first capture opens. An
// operator who sets the variable (even to "") keeps their value: for example
// OPENCV_FFMPEG_CAPTURE_OPTIONS= decodes every frame.
var (
	ownOptions bool       // the package set the variable, and may switch it
	captureMu  sync.Mutex // held while a capture opens: see openWithOptions
)

func init() {
	if _, set := os.LookupEnv(CaptureOptionsEnv); !set {
		ownOptions = os.Setenv(CaptureOptionsEnv, DefaultCaptureOptions) == nil
	}
}

// skipsFrames reports whether captures opened with skip skip frames.
func skipsFrames() bool { return ownOptions }

// openWithOptions opens path with the FFmpeg backend; skip false switches
// frame skipping off for this capture. OpenCV reads the options from the
// environment while it opens a file, so opening is serialised and the
// variable switched around the one open that needs it. The variable exists
// from init on, so switching it replaces one environment entry in place and
// never moves the environment a concurrent reader might be walking.
func openWithOptions(path string, skip bool) (*gocv.VideoCapture, error) {
	captureMu.Lock()
	defer captureMu.Unlock()
	if !skip && ownOptions {
		_ = os.Setenv(CaptureOptionsEnv, "")
		defer os.Setenv(CaptureOptionsEnv, DefaultCaptureOptions)
	}
	return gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
}

// hasNonRefFrames reports whether streams of codec (as File reports it) may
// hold frames the decoder skips under DefaultCaptureOptions: H.264, HEVC,
// MPEG-1/2/4 part 2, H.263 and VC-1 have B-frames or other non-reference
// frames; VP8/VP9, AV1, Theora and intra-only codecs do not.
func hasNonRefFrames(codec string) bool {
	switch codec {
	case "avc1", "avc3", "h264", "x264", "hvc1", "hev1", "hevc", "h265",
		"mpeg", "mpg1", "mpg2", "m2v1", "mp4v", "xvid", "divx", "dx50", "fmp4",
		"h263", "s263", "wmv3", "wvc1":
		return true
	}
	return false
}
