package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/internal/cputime"
	"github.com/copycat-video/copycat/internal/testvideo"
	"github.com/copycat-video/copycat/models"
)

// BenchmarkCheck60s measures `copycat check` of a 60-second vertical clip
// (540x960, 30 fps) against an embedded index of synthetic frame hashes plus
// real references: generated clips, or the corpus's references when
// COPYCAT_BENCH_REFS names a directory of videos. Index sizes: 1 M synthetic
// hashes, plus 10 M with COPYCAT_BENCH_LARGE=1.
//
// Reported per check: check-ms (wall) and check-cpu-ms (CPU of the whole
// process, decoder threads included: on a shared machine wall time measures
// the neighbours, CPU time measures us), split into fingerprint-cpu-ms
// (decode + hash) and match-cpu-ms (index search + alignment + decision);
// the baselines are FFmpeg decoding the same file on one thread, every frame
// (ffmpeg-cpu-ms) and, as the fingerprinter does, without the
// non-reference frames (ffmpeg-noref-cpu-ms, the floor for decoding);
// ratio = check-cpu / ffmpeg-cpu, floor-ratio = check-cpu / ffmpeg-noref-cpu.
// The one-core figure: OPENCV_FFMPEG_THREADS=1 GOMAXPROCS=1 taskset -c 0.
// COPYCAT_BENCH_QUERY names another 60 s query video (real footage).
func BenchmarkCheck60s(b *testing.B) {
	sizes := []int{1_000_000}
	if os.Getenv("COPYCAT_BENCH_LARGE") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	dir := b.TempDir()
	query := os.Getenv("COPYCAT_BENCH_QUERY")
	if query == "" {
		query = testvideo.Generate(b, dir, "q60.mp4", "testsrc2=size=540x960:rate=30:duration=60", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23")
	}
	refs := referenceClips(b, dir)
	ffCPU := ffmpegCPU(b, query)
	ffNoref := ffmpegCPU(b, query, "-skip_frame", "noref")
	for _, n := range sizes {
		b.Run(fmt.Sprintf("hashes=%dM", n/1_000_000), func(b *testing.B) {
			ctx := context.Background()
			idx, err := index.OpenEmbedded(b.TempDir(), index.EmbeddedOptions{CompactBytes: 1 << 40})
			if err != nil {
				b.Fatal(err)
			}
			defer idx.Close()
			loadSynthetic(b, idx, n)
			c, err := New(Config{Index: idx})
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range refs {
				if _, err := c.AddReference(ctx, r, models.Video{ID: "ref:" + filepath.Base(r), Platform: "tiktok"}); err != nil {
					b.Fatalf("reference %s: %v", r, err)
				}
			}
			if err := idx.Optimize(ctx); err != nil {
				b.Fatal(err)
			}
			var wall, cpu, fpCPU, matchCPU time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start, c0 := time.Now(), cputime.Process(b)
				fp, err := c.FingerprintQuery(ctx, query)
				if err != nil {
					b.Fatal(err)
				}
				c1 := cputime.Process(b)
				if _, err := c.CheckFingerprint(ctx, fp, CheckMeta{}); err != nil {
					b.Fatal(err)
				}
				c2 := cputime.Process(b)
				wall += time.Since(start)
				cpu += c2 - c0
				fpCPU += c1 - c0
				matchCPU += c2 - c1
			}
			per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
			b.ReportMetric(per(wall), "check-ms")
			b.ReportMetric(per(cpu), "check-cpu-ms")
			b.ReportMetric(per(fpCPU), "fingerprint-cpu-ms")
			b.ReportMetric(per(matchCPU), "match-cpu-ms")
			b.ReportMetric(float64(ffCPU.Milliseconds()), "ffmpeg-cpu-ms")
			b.ReportMetric(float64(ffNoref.Milliseconds()), "ffmpeg-noref-cpu-ms")
			b.ReportMetric(per(cpu)/float64(ffCPU.Milliseconds()), "ratio")
			b.ReportMetric(per(cpu)/float64(ffNoref.Milliseconds()), "floor-ratio")
		})
	}
}

// referenceClips returns the videos of COPYCAT_BENCH_REFS, or a few
// generated clips when it is unset.
func referenceClips(b *testing.B, dir string) []string {
	b.Helper()
	if d := os.Getenv("COPYCAT_BENCH_REFS"); d != "" {
		paths, err := filepath.Glob(filepath.Join(d, "*.mp4"))
		if err != nil || len(paths) == 0 {
			b.Fatalf("COPYCAT_BENCH_REFS=%s: no .mp4 files (%v)", d, err)
		}
		sort.Strings(paths)
		return paths
	}
	return []string{
		testvideo.Generate(b, dir, "r1.mp4", "testsrc2=size=540x960:rate=30:duration=20"),
		testvideo.Generate(b, dir, "r2.mp4", "mandelbrot=size=540x960:rate=30", "-t", "15"),
		testvideo.Generate(b, dir, "r3.mp4", "life=size=540x960:rate=30:mold=10:ratio=0.3:seed=5", "-t", "15"),
	}
}

// loadSynthetic adds n hashes in videos of 200 frames (50 s at 4 fps) whose
// hashes drift a few bits from frame to frame, as real footage does.
func loadSynthetic(b *testing.B, idx *index.Embedded, n int) {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	const perVideo, perBatch = 200, 500
	batch := make([]index.VideoHashes, 0, perBatch)
	for v := 0; v*perVideo < n; v++ {
		h := rng.Uint64()
		hs := make([]models.FrameHash, 0, perVideo)
		for f := 0; f < perVideo && v*perVideo+f < n; f++ {
			if f%40 == 0 {
				h = rng.Uint64() // a cut
			}
			for k := rng.IntN(4); k > 0; k-- {
				h ^= 1 << rng.IntN(64)
			}
			hs = append(hs, models.FrameHash{T: float64(f) / 4, Kind: models.KindPHash, Bits: models.Hash64(h), Quality: 0.5})
		}
		batch = append(batch, index.VideoHashes{Video: models.Video{ID: fmt.Sprintf("syn%08d", v), Platform: "tiktok", Duration: 50}, Hashes: hs})
		if len(batch) == perBatch {
			if err := idx.AddBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := idx.AddBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// ffmpegCPU is the CPU time FFmpeg needs to decode path on one thread, with
// decoder options opts.
func ffmpegCPU(b *testing.B, path string, opts ...string) time.Duration {
	b.Helper()
	args := append([]string{"-nostdin", "-v", "error", "-threads", "1"}, opts...)
	cmd := exec.Command("ffmpeg", append(args, "-i", path, "-f", "null", "-")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg decode: %v\n%s", err, out)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}
