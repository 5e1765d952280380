package index

import (
	"cmp"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// videoCodes returns n entries that look like video fingerprints: each video
// is a random walk of 30 frames, every frame flipping up to three bits of the
// previous one. Ordinals number the videos, times are 500 ms apart.
func videoCodes(rng *rand.Rand, n int) []entry {
	es := make([]entry, n)
	var h uint64
	for i := range es {
		if i%30 == 0 {
			h = rng.Uint64()
		} else {
			for range rng.IntN(4) {
				h ^= 1 << rng.IntN(64)
			}
		}
		es[i] = entry{hash: h, ord: uint32(i / 30), ms: uint32(i%30) * 500}
	}
	return es
}

func scan(es []entry, q uint64, r int) []found {
	var out []found
	for _, e := range es {
		if d := bits.OnesCount64(e.hash ^ q); d <= r {
			out = append(out, found{e.ord, e.ms, d})
		}
	}
	return out
}

func sortFound(fs []found) []found {
	slices.SortFunc(fs, func(a, b found) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.ord, b.ord), cmp.Compare(a.ms, b.ms))
	})
	return fs
}

// TestSegmentExact checks multi-index hashing against a scan for every
// layout (scanned, 5, 4 and 3 substrings) and radii from 0 to 64, with
// queries that are perturbed indexed codes, random codes, and codes that
// are all zeros (a flat frame, whose bucket is crowded).
func TestSegmentExact(t *testing.T) {
	sizes := []int{0, 1, 1000, 5000, 20_000, 100_000, 330_000}
	if testing.Short() {
		sizes = sizes[:5]
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 7))
			es := videoCodes(rng, n)
			for i := 0; i < n; i += 97 {
				es[i].hash = 0 // flat frames share one code
			}
			seg := buildSegment(slices.Clone(es))
			if seg.len() != n {
				t.Fatalf("segment holds %d entries, want %d", seg.len(), n)
			}
			subLens, _ := layoutFor(n)
			t.Logf("n=%d: substrings %v", n, subLens)
			if n >= 20_000 && !seg.useTables(thresholds(len(seg.tables), 4, nil)) {
				t.Fatalf("n=%d: radius 4 would scan instead of probing the tables", n)
			}
			var queries []uint64
			for range 8 {
				q := rng.Uint64()
				if n > 0 {
					q = es[rng.IntN(n)].hash
				}
				for range rng.IntN(8) {
					q ^= 1 << rng.IntN(64)
				}
				queries = append(queries, q, rng.Uint64())
			}
			queries = append(queries, 0, 1<<63|1)
			radii := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24}
			if n <= 5000 {
				radii = append(radii, 64)
			}
			for _, q := range queries {
				all := sortFound(scan(es, q, radii[len(radii)-1]))
				for _, r := range radii {
					got := sortFound(seg.search(q, r, &segScratch{}, nil))
					want := all[:0:0]
					for _, f := range all {
						if f.dist <= r {
							want = append(want, f)
						}
					}
					if !slices.Equal(got, want) {
						t.Fatalf("radius %d query %016x: %d hits, scan finds %d", r, q, len(got), len(want))
					}
				}
			}
		})
	}
}

func TestThresholdsSumToPigeonholeBound(t *testing.T) {
	for m := 1; m <= 6; m++ {
		for r := 0; r <= 64; r++ {
			ts := thresholds(m, r, nil)
			sum := 0
			for i, x := range ts {
				sum += x
				if i > 0 && x > ts[i-1] {
					t.Errorf("m=%d r=%d: thresholds %v not decreasing", m, r, ts)
				}
			}
			if sum != r-m+1 {
				t.Errorf("m=%d r=%d: thresholds %v sum to %d, want %d", m, r, ts, sum, r-m+1)
			}
		}
	}
}
