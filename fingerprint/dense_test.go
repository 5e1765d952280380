package fingerprint

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/copycat-video/copycat/models"
)

func TestMoved(t *testing.T) {
	const far = models.Hash64(0x3ff)  // 10 bits from 0
	const near = models.Hash64(0x1ff) // 9 bits from 0
	for _, tc := range []struct {
		name          string
		h, prev, next []models.Hash64
		want          bool
	}{
		{"same as both", []models.Hash64{0, 0}, []models.Hash64{0, 0}, []models.Hash64{0, 0}, false},
		{"far from both on the content", []models.Hash64{far, 0}, []models.Hash64{0, 0}, []models.Hash64{0, 0}, true},
		{"far from both on the centre", []models.Hash64{0, far}, []models.Hash64{0, 0}, []models.Hash64{0, 0}, true},
		{"just under the threshold", []models.Hash64{near, near}, []models.Hash64{0, 0}, []models.Hash64{0, 0}, false},
		{"far from one neighbour only", []models.Hash64{far, far}, []models.Hash64{far, far}, []models.Hash64{0, 0}, false},
		{"content far from one, centre from the other", []models.Hash64{far, far}, []models.Hash64{0, far}, []models.Hash64{far, 0}, false},
		{"no neighbour before", []models.Hash64{far, 0}, nil, []models.Hash64{0, 0}, true},
		{"no neighbour after, far from the one before", []models.Hash64{far, 0}, []models.Hash64{0, 0}, nil, true},
		{"no neighbour after, same as the one before", []models.Hash64{0, 0}, []models.Hash64{0, 0}, nil, false},
		{"flat neighbours (no hashes)", []models.Hash64{0, 0}, []models.Hash64{}, []models.Hash64{}, true},
	} {
		if got := moved(tc.h, tc.prev, tc.next); got != tc.want {
			t.Errorf("%s: moved = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// instants returns the distinct frame times of fp.
func instants(fp models.Fingerprint) []float64 {
	var ts []float64
	for _, f := range fp.Frames {
		if len(ts) == 0 || ts[len(ts)-1] != f.T {
			ts = append(ts, f.T)
		}
	}
	return ts
}

// TestDenseSampling: a still picture keeps the plain rate; footage whose
// every frame differs gets the frames between the instants too, Dense times
// as many, hashed like the others (mirrors and crop windows for a query);
// the plain instants keep their hashes and the fingerprint's rate stays the
// plain one.
func TestDenseSampling(t *testing.T) {
	dir := t.TempDir()
	// Film grain frozen (no "t" flag) or new on every frame.
	still := makeClip(t, dir, "still.mp4", "color=c=gray:s=320x240:r=25:d=6,noise=alls=100:allf=u", "-pix_fmt", "yuv420p")
	moving := makeClip(t, dir, "moving.mp4", "color=c=gray:s=320x240:r=25:d=6,noise=alls=100:allf=t+u", "-pix_fmt", "yuv420p")
	ctx := context.Background()
	for _, mirror := range []bool{false, true} {
		plain := Options{Rate: 2, Mirror: mirror}
		fps := map[string]models.Fingerprint{}
		for _, p := range []string{still, moving} {
			fp, err := File(ctx, p, plain)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(instants(fp)); n != 12 {
				t.Fatalf("%s: %d instants at the plain rate, want 12", p, n)
			}
			fps[p] = fp
		}
		for _, tc := range []struct {
			path     string
			dense    int
			min, max int // distinct instants
		}{
			{still, 2, 12, 12},
			{still, 4, 12, 12},
			{moving, 2, 23, 24},
			{moving, 4, 46, 48},
		} {
			fpPlain := fps[tc.path]
			fp, err := File(ctx, tc.path, Options{Rate: 2, Mirror: mirror, Dense: tc.dense})
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s dense %d mirror %v", filepath.Base(tc.path), tc.dense, mirror)
			if fp.Rate != 2 {
				t.Errorf("%s: rate %g, want the plain rate 2", name, fp.Rate)
			}
			ts := instants(fp)
			if len(ts) < tc.min || len(ts) > tc.max {
				t.Errorf("%s: %d instants, want %d to %d: %v", name, len(ts), tc.min, tc.max, ts)
			}
			if fp.Sampled != len(ts) || fp.Skipped != 0 {
				t.Errorf("%s: sampled %d, skipped %d; want %d, 0", name, fp.Sampled, fp.Skipped, len(ts))
			}
			// The plain instants are all there, with the same hashes.
			byT := map[float64][]models.FrameHash{}
			for _, f := range fp.Frames {
				byT[f.T] = append(byT[f.T], f)
			}
			for _, f := range fpPlain.Frames {
				found := false
				for _, g := range byT[f.T] {
					found = found || (g.Variant == f.Variant && g.Bits == f.Bits)
				}
				if !found {
					t.Errorf("%s: plain hash %s at %.3f missing", name, f.Variant, f.T)
				}
			}
			// Every extra instant carries as many hashes as any other
			// frame.
			perFrame := len(fpPlain.Frames) / 12
			for _, at := range ts {
				if n := len(byT[at]); n != perFrame {
					t.Errorf("%s: %d hashes at %.3f, want %d", name, n, at, perFrame)
				}
			}
			// Each kept frame is a frame of its own: never the frame
			// before it again.
			for i := 1; i < len(ts); i++ {
				if ts[i]-ts[i-1] < 0.039 {
					t.Errorf("%s: frames at %.3f and %.3f, less than a frame interval (25 fps) apart", name, ts[i-1], ts[i])
				}
			}
		}
	}
}

func TestDenseOption(t *testing.T) {
	p := makeClip(t, t.TempDir(), "a.mp4", "testsrc2=s=160x120:r=10:d=1", "-pix_fmt", "yuv420p")
	for _, n := range []int{-1, 3, 16} {
		if _, err := File(context.Background(), p, Options{Dense: n}); models.ErrorCode(err) != models.EInvalid {
			t.Errorf("Dense %d: error %v, want invalid", n, err)
		}
	}
}

// TestDenseInstant: a frame that stands for several instants (decoded
// frames further apart than the dense instants) takes the grid instant
// among them, or else the coarsest level's.
func TestDenseInstant(t *testing.T) {
	d := newDensifier(4)
	for _, tc := range []struct {
		first, last, at int
		grid            bool
	}{
		{0, 0, 0, true},
		{1, 1, 1, false},
		{2, 2, 2, false},
		{3, 4, 4, true}, // the grid instant wins over the one before it
		{5, 6, 6, false},
		{5, 7, 6, false},
		{7, 9, 8, true},
		{9, 30, 12, true},
	} {
		at, grid := d.instant(tc.first, tc.last)
		if at != tc.at || grid != tc.grid {
			t.Errorf("instants %d-%d: got %d (grid %v), want %d (grid %v)", tc.first, tc.last, at, grid, tc.at, tc.grid)
		}
	}
	if at, grid := newDensifier(1).instant(7, 9); at != 7 || !grid {
		t.Errorf("Dense 1: got %d (grid %v), want every frame on the grid", at, grid)
	}
}
