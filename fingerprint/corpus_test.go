package fingerprint

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/copycat-video/copycat/models"
)

// TestCorpusSeparation measures, on a labelled corpus built by
// ../shared/corpus/make_corpus.py, how close the hashes of edited copies stay
// to their originals, per edit family, against how close unrelated frames
// come. It is the yardstick for the normalisation (borders, padding) and the
// sampling rate; the matcher builds on these distances.
//
// For every query frame inside a copied segment, "true" is the smallest
// distance to a reference frame within ±0.6 s of the aligned time (full or
// mirrored query hash). For every frame of a negative query, "impostor" is
// the smallest distance to any reference frame. The test fails only when the
// normalisation breaks outright (too few copies within a lenient radius), so
// it guards regressions without pinning a figure tuned to one seed.
func TestCorpusSeparation(t *testing.T) {
	dir := os.Getenv("COPYCAT_CORPUS")
	if dir == "" {
		t.Skip("set COPYCAT_CORPUS=DIR (a corpus from ../shared/corpus/make_corpus.py) to measure hash separation per edit family")
	}
	ctx := context.Background()
	truth := readCSV(t, filepath.Join(dir, "truth.csv"))
	queries := readCSV(t, filepath.Join(dir, "queries.csv"))
	refs := readCSV(t, filepath.Join(dir, "references.csv"))
	rate := DefaultRate
	if v := os.Getenv("COPYCAT_CORPUS_RATE"); v != "" {
		rate, _ = strconv.ParseFloat(v, 64)
	}
	kind := models.KindPHash
	if v := os.Getenv("COPYCAT_CORPUS_KIND"); v != "" {
		kind = models.HashKind(v)
	}

	fps := fingerprintAll(ctx, t, dir, refs, queries, Options{Rate: rate, Kind: kind, Mirror: true})

	var all []models.FrameHash
	for _, r := range refs {
		f := fps["references/"+r["reference"]]
		all = append(all, f.Hashes(models.VariantFull)...)
	}
	radii := []int{6, 8, 10, 12, 14, 16}
	type stat struct {
		n, skipped, sampled int
		d                   []int
	}
	fam := map[string]*stat{}
	for _, tr := range truth {
		q := fps["queries/"+tr["query"]]
		r := fps["references/"+tr["reference"]]
		qs, qe := atof(tr["query_start"]), atof(tr["query_end"])
		rs, re := atof(tr["reference_start"]), atof(tr["reference_end"])
		speed := (re - rs) / (qe - qs)
		s := fam[tr["family"]]
		if s == nil {
			s = &stat{}
			fam[tr["family"]] = s
		}
		s.sampled += q.Sampled
		s.skipped += q.Skipped
		ref := r.Hashes(models.VariantFull)
		var qd []int
		defer func() {
			if os.Getenv("COPYCAT_CORPUS_VERBOSE") != "" {
				t.Logf("%s %s %s: distances %v", tr["family"], tr["query"], tr["reference"], qd)
			}
		}()
		for _, at := range byTime(q.Frames) {
			if at[0].T < qs+0.3 || at[0].T > qe-0.3 {
				continue
			}
			rt := rs + (at[0].T-qs)*speed
			best := 64
			for _, v := range at {
				for _, x := range ref {
					if math.Abs(x.T-rt) <= 0.6 {
						best = min(best, v.Bits.Distance(x.Bits))
					}
				}
			}
			s.n++
			s.d = append(s.d, best)
			qd = append(qd, best)
		}
	}
	var imp []int
	for _, q := range queries {
		if q["positive"] != "0" {
			continue
		}
		f := fps["queries/"+q["query"]]
		for _, at := range byTime(f.Frames) {
			best := 64
			for _, h := range at {
				for _, x := range all {
					best = min(best, h.Bits.Distance(x.Bits))
				}
			}
			imp = append(imp, best)
		}
	}
	names := make([]string, 0, len(fam))
	for n := range fam {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "\nkind=%s rate=%g  share of copied frames within radius r of the aligned reference frame\n%-26s %5s %6s", kind, rate, "family", "n", "median")
	for _, r := range radii {
		fmt.Fprintf(&b, "  r<=%-2d", r)
	}
	b.WriteString("\n")
	var every []int
	for _, n := range names {
		s := fam[n]
		every = append(every, s.d...)
		writeRow(&b, n, s.d, radii)
	}
	writeRow(&b, "ALL copies", every, radii)
	writeRow(&b, "impostors (negatives)", imp, radii)
	t.Log(b.String())
	if share(every, 16) < 0.5 {
		t.Errorf("only %.0f%% of copied frames are within distance 16 of their original", 100*share(every, 16))
	}
}

// byTime groups time-ordered hashes by sampling time.
func byTime(hs []models.FrameHash) [][]models.FrameHash {
	var out [][]models.FrameHash
	for i := 0; i < len(hs); {
		j := i
		for j < len(hs) && hs[j].T == hs[i].T {
			j++
		}
		out = append(out, hs[i:j])
		i = j
	}
	return out
}

func writeRow(b *strings.Builder, name string, d []int, radii []int) {
	s := append([]int(nil), d...)
	sort.Ints(s)
	med := -1
	if len(s) > 0 {
		med = s[len(s)/2]
	}
	fmt.Fprintf(b, "%-26s %5d %6d", name, len(s), med)
	for _, r := range radii {
		fmt.Fprintf(b, "  %5.1f%%", 100*share(s, r))
	}
	b.WriteString("\n")
}

func share(d []int, r int) float64 {
	if len(d) == 0 {
		return 0
	}
	n := 0
	for _, v := range d {
		if v <= r {
			n++
		}
	}
	return float64(n) / float64(len(d))
}

// fingerprintAll fingerprints every reference and query of the corpus on
// two goroutines, keyed "references/R0001" and "queries/Q0001".
func fingerprintAll(ctx context.Context, t *testing.T, dir string, refs, queries []map[string]string, opts Options) map[string]models.Fingerprint {
	t.Helper()
	var names []string
	for _, r := range refs {
		names = append(names, "references/"+r["reference"])
	}
	for _, q := range queries {
		names = append(names, "queries/"+q["query"])
	}
	out := make(map[string]models.Fingerprint, len(names))
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan string)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
				o := opts
				if strings.HasPrefix(n, "references/") {
					o.Mirror = false
				}
				fp, err := File(ctx, filepath.Join(dir, n+".mp4"), o)
				if err != nil {
					// the corpus builder sometimes leaves an empty query
					t.Logf("%s: %v", n, err)
				}
				mu.Lock()
				out[n] = fp
				mu.Unlock()
			}
		}()
	}
	for _, n := range names {
		work <- n
	}
	close(work)
	wg.Wait()
	return out
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

func atof(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}
