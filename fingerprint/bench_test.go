package fingerprint

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/copycat-video/copycat/internal/cputime"
	"github.com/copycat-video/copycat/models"
)

// benchSeconds is the length of the generated 720p clip;
// COPYCAT_BENCH_SECONDS overrides it (default 10, short enough for 2 cores).
func benchSeconds() string {
	if v := os.Getenv("COPYCAT_BENCH_SECONDS"); v != "" {
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return v
		}
	}
	return "10"
}

// ffmpegDecode times `ffmpeg -v error -i FILE -f null -`, the baseline the
// fingerprinter is compared with: best of three runs, wall clock and CPU
// time (user + system, all threads). CPU time is what to compare on a
// shared, busy machine, where wall clocks mostly measure the neighbours.
func ffmpegDecode(b *testing.B, path string) (wall, cpu time.Duration) {
	b.Helper()
	wall, cpu = time.Duration(1<<63-1), time.Duration(1<<63-1)
	for i := 0; i < 3; i++ {
		cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ffmpeg decode: %v\n%s", err, out)
		}
		wall = min(wall, time.Since(start))
		cpu = min(cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	}
	return wall, cpu
}

// BenchmarkFile720p fingerprints a 720p H.264 clip generated in the
// benchmark and reports, besides ns/op: sampled and decoded frames per
// second, and the ratio of fingerprinting time to plain FFmpeg decoding
// of the same file measured in the same run (goal <= 1). It runs with the
// default options (2 frames per second), and with a reference's: 4 per
// second, plain (reference-fixed) and up to 16 per second where the picture
// moves (reference-dense, pipeline.DefaultReferenceDense), which on this
// clip, moving everywhere, is the most dense sampling can cost.
func BenchmarkFile720p(b *testing.B) {
	dir := b.TempDir()
	secs := benchSeconds()
	// Camera-like content (mandelbrot zoom: detail everywhere, changes
	// every frame) at a usual short-video bitrate.
	path := makeClip(b, dir, "bench720.mp4", "mandelbrot=s=1280x720:r=30", "-t", secs,
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p")
	base, baseCPU := ffmpegDecode(b, path)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"default", Options{}},
		{"reference-fixed", Options{Rate: 4}},
		{"reference-dense", Options{Rate: 4, Dense: 4}},
	} {
		b.Run("options="+tc.name, func(b *testing.B) {
			ctx := context.Background()
			var fp models.Fingerprint
			b.ResetTimer()
			start, startCPU := time.Now(), cputime.Process(b)
			for i := 0; i < b.N; i++ {
				var err error
				if fp, err = File(ctx, path, tc.opts); err != nil {
					b.Fatal(err)
				}
			}
			per := time.Since(start) / time.Duration(b.N)
			perCPU := (cputime.Process(b) - startCPU) / time.Duration(b.N)
			b.StopTimer()
			b.ReportMetric(float64(fp.Sampled)/per.Seconds(), "sampled_frames/s")
			b.ReportMetric(float64(fp.Sampled), "sampled_frames")
			b.ReportMetric(fp.Source.Duration*fp.Source.FPS/per.Seconds(), "decoded_frames/s")
			b.ReportMetric(per.Seconds()/base.Seconds(), "ratio_to_ffmpeg")
			b.ReportMetric(perCPU.Seconds()/baseCPU.Seconds(), "cpu_ratio_to_ffmpeg")
			b.ReportMetric(base.Seconds()*1000, "ffmpeg_ms")
		})
	}
}

// BenchmarkHash is the hash step of one sampled frame: goimagehash on the
// normalised 64x64 picture (what the ≤ 0.1 ms goal is about), reported as
// ms/frame.
func BenchmarkHash(b *testing.B) {
	for _, kind := range models.HashKinds {
		b.Run(string(kind), func(b *testing.B) {
			n := newNormalizer(kind, false)
			defer n.Close()
			img := scene(phashSide, phashSide, 0.3)
			if kind != models.KindPHash {
				w := 8
				if kind == models.KindDHash {
					w = 9
				}
				img = scale(img, w, 8)
			}
			// Each op hashes hashBatch frames, so that make bench's
			// -benchtime 1x still averages over many.
			const hashBatch = 1000
			b.ResetTimer()
			c := cputime.Process(b)
			for i := 0; i < b.N; i++ {
				for j := 0; j < hashBatch; j++ {
					if _, err := hashGray(kind, img); err != nil {
						b.Fatal(err)
					}
				}
			}
			frames := float64(b.N * hashBatch)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/frames/1e6, "ms/frame")
			b.ReportMetric(float64((cputime.Process(b)-c).Nanoseconds())/frames/1e6, "cpu_ms/frame")
		})
	}
}

// BenchmarkNormalize720p is everything done to one sampled 720p frame of a
// query after decoding: shrink, grayscale, border and padding detection,
// and for each of the 18 regions (content, centre, 16 crop windows) the
// downscale and pHash, mirrored too for the content and centre, and the
// quality once.
func BenchmarkNormalize720p(b *testing.B) {
	src := scene(1280, 720, 0.5)
	gray, err := gocv.NewMatFromBytes(720, 1280, gocv.MatTypeCV8UC1, src.Pix)
	if err != nil {
		b.Fatal(err)
	}
	defer gray.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	gocv.CvtColor(gray, &bgr, gocv.ColorGrayToBGR)
	n := newNormalizer(models.KindPHash, true)
	defer n.Close()
	const frameBatch = 50 // frames per op, see BenchmarkHash
	b.ResetTimer()
	c := cputime.Process(b)
	for i := 0; i < b.N; i++ {
		for j := 0; j < frameBatch; j++ {
			if _, _, err := n.frame(bgr, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	frames := float64(b.N * frameBatch)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/frames/1e6, "ms/frame")
	b.ReportMetric(float64((cputime.Process(b)-c).Nanoseconds())/frames/1e6, "cpu_ms/frame")
}
