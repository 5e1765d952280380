package index

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/copycat-video/copycat/internal/cputime"
	"github.com/copycat-video/copycat/models"
)

// BenchmarkSearch measures the embedded index against a brute-force
// bits.OnesCount64 scan over the same hashes, in the same run, on
// video-like codes (see videoCodes). Sizes: 1 M hashes, plus 10 M with
// COPYCAT_BENCH_LARGE=1. Per radius (4, 8, 10, 12) two query mixes:
//
//   - near: indexed codes with r/2 random bits flipped (a re-encoded copy);
//   - random: unrelated codes, which in production are most query frames
//     and almost never have a neighbour.
//
// Reported per query frame: ns/frame (index), scan-ns/frame (baseline) and
// speedup = scan / index; hits/frame. Both times are CPU time of the one
// searching thread (a search batch runs on one core), so that other load on
// a shared machine does not count; wall time is the usual ns/op. Every query's result is compared
// with the scan and the benchmark fails on any difference (100 % recall,
// no false hits). The load sub-benchmark reports the bulk-load time through
// the durable path (AddBatch of 1000 videos per fsync, then Optimize) and
// the heap bytes per hash of the loaded index, metadata included.
func BenchmarkSearch(b *testing.B) {
	sizes := []int{1_000_000}
	if os.Getenv("COPYCAT_BENCH_LARGE") == "1" {
		sizes = append(sizes, 10_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("hashes=%dM", n/1_000_000), func(b *testing.B) { benchSearch(b, n) })
	}
}

func benchVideoID(ord int) string { return fmt.Sprintf("v%07d", ord) }

func benchSearch(b *testing.B, n int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	es := videoCodes(rng, n)
	plain := make([]uint64, n) // what the scan reads: the hashes alone
	for i, e := range es {
		plain[i] = e.hash
	}
	var (
		idx       *Embedded
		buildTime time.Duration
		buildCPU  time.Duration
		perHash   float64
	)
	parent := b // owns the directory and the index across sub-benchmarks
	load := func(b *testing.B) *Embedded {
		b.Helper()
		if idx != nil {
			return idx
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start, startCPU := time.Now(), cputime.Process(b)
		e, err := OpenEmbedded(parent.TempDir(), EmbeddedOptions{CompactBytes: 1 << 40})
		if err != nil {
			b.Fatal(err)
		}
		parent.Cleanup(func() { e.Close() })
		const perBatch = 1000
		batch := make([]VideoHashes, 0, perBatch)
		for v := 0; v*30 < n; v++ {
			hs := make([]models.FrameHash, 0, 30)
			for _, en := range es[v*30 : min(n, v*30+30)] {
				hs = append(hs, models.FrameHash{T: float64(en.ms) / 1000, Kind: models.KindPHash, Bits: models.Hash64(en.hash)})
			}
			batch = append(batch, VideoHashes{Video: models.Video{ID: benchVideoID(v), Platform: "tiktok", Duration: 15}, Hashes: hs})
			if len(batch) == perBatch || (v+1)*30 >= n {
				if err := e.AddBatch(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		if err := e.Optimize(ctx); err != nil {
			b.Fatal(err)
		}
		buildTime, buildCPU = time.Since(start), cputime.Process(b)-startCPU
		batch = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		perHash = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
		idx = e
		return e
	}
	b.Run("load", func(b *testing.B) {
		load(b)
		b.ReportMetric(buildTime.Seconds(), "build-s")
		b.ReportMetric(buildCPU.Seconds(), "build-cpu-s")
		b.ReportMetric(float64(n)/buildTime.Seconds(), "hashes/s")
		b.ReportMetric(perHash, "heap-bytes/hash")
	})
	for _, r := range []int{4, 8, 10, 12} {
		for _, mix := range []string{"near", "random"} {
			b.Run(fmt.Sprintf("r=%d/%s", r, mix), func(b *testing.B) {
				e := load(b)
				qrng := rand.New(rand.NewPCG(uint64(r), uint64(len(mix))))
				qs := make([]models.FrameHash, 1000)
				for i := range qs {
					h := qrng.Uint64()
					if mix == "near" {
						h = es[qrng.IntN(n)].hash
						for _, bit := range qrng.Perm(64)[:r/2] {
							h ^= 1 << bit
						}
					}
					qs[i] = models.FrameHash{Kind: models.KindPHash, Bits: models.Hash64(h)}
				}
				// The scan is slow at 10 M, so it runs on a prefix of the
				// queries; recall is checked on that prefix.
				nScan := min(len(qs), max(20, 200_000_000/n))
				want := make([][]string, nScan)
				// Times are CPU time of this thread: the goal is per core,
				// and wall time on a shared machine measures the neighbours.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				scanStart := cputime.Thread(b)
				for i, q := range qs[:nScan] {
					qb := uint64(q.Bits)
					for p, h := range plain {
						if d := bits.OnesCount64(h ^ qb); d <= r {
							want[i] = append(want[i], fmt.Sprintf("%d %s %d", d, benchVideoID(p/30), (p%30)*500))
						}
					}
				}
				scanPer := float64(cputime.Thread(b)-scanStart) / float64(nScan)

				var res [][]models.Neighbor
				b.ResetTimer()
				start := cputime.Thread(b)
				for range b.N {
					var err error
					if res, err = e.Search(ctx, qs, SearchOptions{Radius: r}); err != nil {
						b.Fatal(err)
					}
				}
				per := float64(cputime.Thread(b)-start) / float64(b.N*len(qs))
				b.StopTimer()

				hitsTotal := 0
				for i, ns := range res {
					hitsTotal += len(ns)
					if i >= nScan {
						continue
					}
					got := make([]string, len(ns))
					for j, nb := range ns {
						got[j] = fmt.Sprintf("%d %s %d", nb.Distance, nb.VideoID, int(nb.T*1000+0.5))
					}
					slices.Sort(got)
					slices.Sort(want[i])
					if !slices.Equal(got, want[i]) {
						b.Fatalf("query %d (%s): index found %d neighbours, scan %d:\nindex %s\nscan  %s", i, qs[i].Bits,
							len(got), len(want[i]), strings.Join(got, ", "), strings.Join(want[i], ", "))
					}
				}
				b.ReportMetric(per, "ns/frame")
				b.ReportMetric(scanPer, "scan-ns/frame")
				b.ReportMetric(scanPer/per, "speedup")
				b.ReportMetric(float64(hitsTotal)/float64(len(qs)), "hits/frame")
			})
		}
	}
}

// BenchmarkAdd measures durable adds (each acknowledged only after fsync)
// of 30-hash videos: one writer at a time against 8 concurrent writers,
// whose fsyncs the write-ahead log shares (group commit). Reported:
// adds/s of each and the ratio.
func BenchmarkAdd(b *testing.B) {
	ctx := context.Background()
	const perOp = 200
	run := func(b *testing.B, writers int) float64 {
		b.Helper()
		e, err := OpenEmbedded(b.TempDir(), EmbeddedOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		rng := rand.New(rand.NewPCG(3, uint64(writers)))
		videos := make([][]models.FrameHash, perOp)
		for i := range videos {
			for _, en := range videoCodes(rng, 30) {
				videos[i] = append(videos[i], models.FrameHash{T: float64(en.ms) / 1000, Kind: models.KindPHash, Bits: models.Hash64(en.hash)})
			}
		}
		start := time.Now()
		for n := range b.N {
			errs := make(chan error, writers)
			for w := range writers {
				go func() {
					for i := w; i < perOp; i += writers {
						if err := e.Add(ctx, models.Video{ID: fmt.Sprintf("add-%d-%d", n, i), Platform: "self"}, videos[i]); err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			for range writers {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
		}
		return float64(b.N*perOp) / time.Since(start).Seconds()
	}
	var serial float64
	b.Run("writers=1", func(b *testing.B) {
		serial = run(b, 1)
		b.ReportMetric(serial, "adds/s")
	})
	b.Run("writers=8", func(b *testing.B) {
		rate := run(b, 8)
		b.ReportMetric(rate, "adds/s")
		if serial > 0 {
			b.ReportMetric(rate/serial, "speedup")
		}
	})
}
