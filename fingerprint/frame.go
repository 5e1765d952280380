package fingerprint

import (
	"context"
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/copycat-video/copycat/models"
)

// Evidence frames are shown side by side on the reviewer page; this size is
// plenty for a person to judge and keeps the JPEGs small.
const (
	frameMaxSide  = 960
	frameJPEGQual = 85
)

// Frame returns a JPEG of the frame shown at t seconds of the video at path
// (the frame whose time, on the same clock File uses, is nearest to t), at
// most 960 pixels on its longer side. It decodes from the start of the file
// so that the times agree with File's even in files whose timestamps are
// broken; ctx is checked between frames. t beyond the end gives the last
// frame; a negative or NaN t is EInvalid.
func Frame(ctx context.Context, path string, t float64) ([]byte, error) {
	if math.IsNaN(t) || math.IsInf(t, 0) || t < 0 {
		return nil, models.Errorf(models.EInvalid, "frame time %g is not a time in the video", t)
	}
	opts, _ := Options{}.withDefaults()
	if _, err := statVideo(path); err != nil {
		return nil, err
	}
	vc, err := openCapture(path, true)
	if err != nil {
		return nil, err
	}
	defer vc.Close()
	if err := checkSize(path, int(vc.Get(gocv.VideoCaptureFrameWidth)), int(vc.Get(gocv.VideoCaptureFrameHeight)), opts); err != nil {
		return nil, err
	}
	best, bestT, passed, err := nearestFrame(ctx, vc, t, -1)
	if err != nil {
		return nil, err
	}
	defer best.Close()
	if passed > 0 {
		// The stream ended while frames were skipped without decoding, so
		// the frame nearest t (the last one) was never read: decode again
		// and read exactly that frame.
		vc.Close()
		if vc, err = openCapture(path, true); err != nil {
			return nil, err
		}
		best.Close()
		if best, bestT, _, err = nearestFrame(ctx, vc, t, passed-1); err != nil {
			return nil, err
		}
	}
	if best.Empty() {
		return nil, models.Errorf(models.EInvalid, "%s: no decodable video frames (corrupt, truncated or not a video)", path)
	}
	if side := max(best.Cols(), best.Rows()); side > frameMaxSide {
		f := float64(frameMaxSide) / float64(side)
		sz := image.Pt(max(1, int(float64(best.Cols())*f)), max(1, int(float64(best.Rows())*f)))
		gocv.Resize(best, &best, sz, 0, 0, gocv.InterpolationArea)
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, best, []int{gocv.IMWriteJpegQuality, frameJPEGQual})
	if err != nil {
		return nil, fmt.Errorf("%s: encode frame at %.3fs: %w", path, bestT, err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// nearestFrame decodes from the start of vc and returns the frame whose time
// on File's clock is nearest to t. Frames far from t are only grabbed. When
// the stream ends during such a skip, passed is the number of frames the
// stream holds and the returned frame is not the nearest; a second call on a
// fresh capture with readAt = passed-1 then reads that last frame. readAt < 0
// means no such limit.
func nearestFrame(ctx context.Context, vc *gocv.VideoCapture, t float64, readAt int) (best gocv.Mat, bestT float64, passed int, err error) {
	// Only the sampler's clock is used, so that t means what it means in
	// File's output.
	s := newSampler(vc, vc.Get(gocv.VideoCaptureFPS), 1)
	defer s.Close()
	best = gocv.NewMat()
	bestT = math.Inf(-1)
	for {
		if err := ctx.Err(); err != nil {
			best.Close()
			return gocv.NewMat(), 0, 0, err
		}
		// Convert only the frames around t: grab until the clock is
		// within one frame of it, then read.
		skip := s.frames > 0 && s.last+s.horizon() < t-s.step/2
		if readAt >= 0 {
			skip = s.frames > 0 && s.frames < readAt
		}
		if skip {
			before := vc.Get(gocv.VideoCapturePosFrames)
			vc.Grab(1)
			if vc.Get(gocv.VideoCapturePosFrames) == before {
				if readAt < 0 && s.frames > 1 {
					passed = s.frames
				}
				break
			}
			s.tick()
			continue
		}
		if !vc.Read(&s.mat) || s.mat.Empty() {
			break
		}
		ft := s.tick()
		if bestT > math.Inf(-1) && math.Abs(ft-t) >= math.Abs(bestT-t) {
			break // moving away from t
		}
		s.mat.CopyTo(&best)
		bestT = ft
		if ft >= t {
			break
		}
	}
	return best, bestT, passed, nil
}
