package ui

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/models"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestTimelineSVGGolden(t *testing.T) {
	tests := []struct {
		name     string
		m        models.Match
		queryDur float64
		wantDots int
	}{
		{
			name: "straight-copy",
			m: models.Match{
				Reference: models.Video{ID: "tiktok:1", Duration: 12},
				Segments:  []models.Segment{{QueryStart: 0, QueryEnd: 10, ReferenceStart: 2, ReferenceEnd: 12}},
				Evidence: []models.FramePair{
					{QueryT: 0, ReferenceT: 2, Distance: 3},
					{QueryT: 5, ReferenceT: 7, Distance: 1},
					{QueryT: 10, ReferenceT: 12, Distance: 6},
				},
			},
			queryDur: 10,
			wantDots: 3,
		},
		{
			name: "speed-change-two-segments-mirrored",
			m: models.Match{
				Reference: models.Video{ID: "kwai:9", Duration: 40},
				Segments: []models.Segment{
					{QueryStart: 1, QueryEnd: 9, ReferenceStart: 20, ReferenceEnd: 30},
					{QueryStart: 12, QueryEnd: 14.5, ReferenceStart: 3, ReferenceEnd: 5.5},
				},
				Evidence: []models.FramePair{
					{QueryT: 1, ReferenceT: 20, Distance: 4, Variant: models.VariantMirror},
					{QueryT: 9, ReferenceT: 30, Distance: 8, Variant: models.VariantMirror},
					{QueryT: 13, ReferenceT: 4, Distance: 2},
				},
			},
			queryDur: 15,
			wantDots: 3,
		},
		{
			name:     "no-evidence-unknown-durations",
			m:        models.Match{Reference: models.Video{ID: "x"}},
			wantDots: 0,
		},
		{
			name: "hostile-values",
			m: models.Match{
				Reference: models.Video{ID: "x", Duration: math.Inf(1)},
				Segments:  []models.Segment{{QueryStart: math.NaN(), QueryEnd: -5, ReferenceStart: math.Inf(-1), ReferenceEnd: 1e9}},
				Evidence:  []models.FramePair{{QueryT: math.NaN(), ReferenceT: -1, Distance: -3}},
			},
			queryDur: math.NaN(),
			wantDots: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := []byte(TimelineSVG(tc.m, tc.queryDur))
			checkSVG(t, got)
			if n := countPairs(got); n != tc.wantDots {
				t.Errorf("drew %d frame pairs, want %d", n, tc.wantDots)
			}
			if n := bytes.Count(got, []byte(`class="tl-segment"`)); n != len(tc.m.Segments) {
				t.Errorf("drew %d segments, want %d", n, len(tc.m.Segments))
			}
			golden(t, filepath.Join("testdata", "timeline", tc.name+".svg"), got)
		})
	}
}

func TestTimelineSVGCapsDots(t *testing.T) {
	m := models.Match{Reference: models.Video{Duration: 1000}}
	for i := 0; i < 2*tlMaxDots; i++ {
		m.Evidence = append(m.Evidence, models.FramePair{QueryT: float64(i) / 2, ReferenceT: float64(i) / 2})
	}
	got := []byte(TimelineSVG(m, 1000))
	checkSVG(t, got)
	if n := countPairs(got); n != tlMaxDots {
		t.Fatalf("drew %d dots, want the cap %d", n, tlMaxDots)
	}
}

func TestTickStep(t *testing.T) {
	tests := []struct{ max, want float64 }{
		{0.5, 0.1}, {1, 0.2}, {8, 1}, {9, 2}, {60, 10}, {600, 120}, {86400, 10800},
	}
	for _, tc := range tests {
		if got := tickStep(tc.max); got != tc.want {
			t.Errorf("tickStep(%v) = %v, want %v", tc.max, got, tc.want)
		}
	}
}

func FuzzTimelineSVG(f *testing.F) {
	f.Add(10.0, 12.0, 0.0, 10.0, 2.0, 12.0, 5.0, 7.0, 3, false)
	f.Add(math.NaN(), math.Inf(1), -1.0, 1e300, -1e300, 0.0, math.NaN(), 5.0, -1, true)
	f.Fuzz(func(t *testing.T, qd, rd, qs, qe, rs, re, pq, pr float64, dist int, mirror bool) {
		v := models.VariantFull
		if mirror {
			v = models.VariantMirror
		}
		m := models.Match{
			Reference: models.Video{Duration: rd},
			Segments:  []models.Segment{{QueryStart: qs, QueryEnd: qe, ReferenceStart: rs, ReferenceEnd: re}},
			Evidence:  []models.FramePair{{QueryT: pq, ReferenceT: pr, Distance: dist, Variant: v}},
		}
		checkSVG(t, []byte(TimelineSVG(m, qd)))
	})
}

// checkSVG fails unless b is well-formed XML whose coordinates are all
// finite and inside the viewBox.
func checkSVG(t *testing.T, b []byte) {
	t.Helper()
	s := string(b)
	for _, bad := range []string{"NaN", "Inf", "e+", "e-"} {
		if strings.Contains(s, bad) {
			t.Fatalf("svg contains %q: %s", bad, s)
		}
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("svg is not well-formed: %v\n%s", err, s)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "x", "x1", "x2", "cx", "width":
				checkRange(t, se.Name.Local, a, tlWidth)
			case "y", "y1", "y2", "cy", "height":
				checkRange(t, se.Name.Local, a, tlHeight)
			}
		}
	}
}

func checkRange(t *testing.T, elem string, a xml.Attr, max float64) {
	t.Helper()
	v, err := strconv.ParseFloat(a.Value, 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: not a number", elem, a.Name.Local, a.Value)
	}
	if v < 0 || v > max {
		t.Fatalf("<%s %s=%q>: outside the viewBox 0..%v", elem, a.Name.Local, a.Value, max)
	}
}

// golden compares got with the file at path, rewriting it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking the change)\n got: %s\nwant: %s", path, got, want)
	}
}

// countPairs counts the frame-pair marks (circles and mirrored squares).
func countPairs(svg []byte) int {
	return bytes.Count(svg, []byte(`class="tl-pair"`)) + bytes.Count(svg, []byte(`class="tl-pair tl-mirror"`))
}
