package fingerprint

import (
	"math"

	"gocv.io/x/gocv"
)

// defaultStep is the frame interval assumed when the container's frame rate
// is missing or absurd.
const defaultStep = 1.0 / 25

// sampler walks a VideoCapture frame by frame and hands out the frames
// nearest to the sampling instants 0, 1/rate, 2/rate, ... by presentation
// time. Frames in between are only grabbed (decoded, not converted to BGR),
// which is most of the decoding cost saved that can be saved.
//
// Clock: OpenCV reports each frame's presentation time (CAP_PROP_POS_MSEC),
// but real files break it in several ways: raw MPEG and some AVI/MKV give no
// timestamps (OpenCV reports a huge negative number), some MP4s report
// packet instead of frame times (out of order with B-frames), and frames
// flushed from the decoder at the end of a stream report 0. The sampler keeps
// a clock that is never decreasing: a timestamp is used when it is plausible
// (not before the previous one by more than a few frames), otherwise the
// clock advances by one frame interval (1/fps).
type sampler struct {
	vc   *gocv.VideoCapture
	step float64 // seconds per frame when the timestamps are useless
	rate float64

	mat     gocv.Mat
	frames  int        // frames decoded so far
	guessed int        // frames whose time was guessed (no usable timestamp)
	gaps    [4]float64 // the latest intervals between decoded frames
	first   float64    // clock of the first frame
	last    float64    // clock of the latest frame
	target  int        // index of the next sampling instant
	done    bool

	width, height int // size of the first sampled frame
}

func newSampler(vc *gocv.VideoCapture, fps, rate float64) *sampler {
	step := defaultStep
	if saneFPS(fps) {
		step = 1 / fps
	}
	return &sampler{vc: vc, step: step, rate: rate, mat: gocv.NewMat(), last: math.Inf(-1)}
}

// Close releases the frame buffer.
func (s *sampler) Close() { s.mat.Close() }

// instant returns the time of the i-th sampling instant.
func (s *sampler) instant(i int) float64 { return float64(i) / s.rate }

// next returns the next sampled frame, its time and the indices of the
// first and last sampling instants it stands for (several when the video
// has fewer frames than the rate asks for there). The frame is valid until
// the following call. ok is false at the end of the stream.
func (s *sampler) next() (frame gocv.Mat, t float64, first, last int, ok bool) {
	for !s.done {
		want := s.instant(s.target)
		// Convert the coming frame if it may be the one nearest to the
		// instant: the frame after it would be further away.
		if s.frames == 0 || s.last+s.horizon() >= want-s.step/2 {
			if !s.vc.Read(&s.mat) || s.mat.Empty() {
				s.done = true
				break
			}
			t = s.tick()
			if s.width == 0 {
				s.width, s.height = s.mat.Cols(), s.mat.Rows()
			}
			if s.frames > 1 && t < want-s.step {
				// The clock did not advance as predicted (timestamps
				// out of order or repeated): not this frame yet.
				continue
			}
			// This frame stands for the wanted instant and for any other
			// it has already passed (a video with fewer frames per second
			// than the rate, or a gap).
			first = s.target
			s.target++
			for s.instant(s.target) <= t {
				s.target++
			}
			return s.mat, t, first, s.target - 1, true
		}
		before := s.vc.Get(gocv.VideoCapturePosFrames)
		s.vc.Grab(1)
		if s.vc.Get(gocv.VideoCapturePosFrames) == before {
			// Grab gives no result; an unchanged frame counter means the
			// stream ended (or the rest of it cannot be decoded).
			s.done = true
			break
		}
		s.tick()
	}
	return gocv.Mat{}, 0, 0, 0, false
}

// tick advances the clock for a frame just grabbed or read and returns the
// frame's time relative to the first frame.
func (s *sampler) tick() float64 {
	ts := s.vc.Get(gocv.VideoCapturePosMsec) / 1000
	var c float64
	switch {
	case s.frames == 0:
		c = 0
		if plausible(ts) {
			c = math.Max(0, ts)
		}
		s.first = 0
	case plausible(ts) && ts >= s.last-3*s.step:
		// Never go back: reordered timestamps are a frame or two early.
		c = math.Max(ts, s.last)
	default:
		c = s.last + s.step
		s.guessed++
	}
	if s.frames > 0 {
		s.gaps[s.frames%len(s.gaps)] = c - s.last
	}
	s.frames++
	s.last = c
	return c
}

// horizon is how far after the latest frame the next decoded one may lie:
// the longest of the latest intervals between decoded frames, and at least
// one frame interval. The intervals are uneven when the decoder skips
// frames (DefaultCaptureOptions); predicting one frame interval would then
// grab, without converting, the very frame nearest to a sampling instant.
func (s *sampler) horizon() float64 {
	h := s.step
	for _, g := range s.gaps {
		h = math.Max(h, g)
	}
	return h
}

// plausible rejects timestamps OpenCV makes up for frames without one.
func plausible(ts float64) bool { return ts > -1 && ts < 1e7 && !math.IsNaN(ts) }

// duration is the decoded duration: the time of the last frame plus one
// average frame interval.
func (s *sampler) duration() float64 {
	if s.frames == 0 {
		return 0
	}
	return s.last - s.first + s.interval()
}

// interval is the average time between frames as decoded.
func (s *sampler) interval() float64 {
	if s.frames > 1 && s.last > s.first {
		return (s.last - s.first) / float64(s.frames-1)
	}
	return s.step
}

// fps is the average decoded frame rate, or the container's when fewer than
// two frames decoded or when the decoder may have skipped frames (skipped),
// which makes the decoded average undercount.
func (s *sampler) fps(container float64, skipped bool) float64 {
	if skipped && saneFPS(container) {
		return container
	}
	if s.frames > 1 && s.last > s.first {
		return 1 / s.interval()
	}
	if saneFPS(container) {
		return container
	}
	return 1 / defaultStep
}
