package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/copycat-video/copycat/fingerprint"
	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/internal/testvideo"
	"github.com/copycat-video/copycat/models"
)

// clips are shared by the tests of this file: FFmpeg is slow enough that
// making them once matters.
type clips struct {
	refA, refB, unrelated            string
	mirrorA, partA, slowA, letterbox string
}

var (
	clipsOnce sync.Once
	clipSet   clips
	clipDir   string
)

func testClips(t *testing.T) clips {
	t.Helper()
	clipsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "copycat-pipeline-test-")
		if err != nil {
			t.Fatal(err)
		}
		clipDir = dir
		c := clips{
			refA:      testvideo.Generate(t, dir, "a.mp4", "testsrc2=size=320x240:rate=25:duration=10"),
			refB:      testvideo.Generate(t, dir, "b.mp4", "mandelbrot=size=320x240:rate=25", "-t", "8"),
			unrelated: testvideo.Generate(t, dir, "u.mp4", "life=size=320x240:rate=25:mold=10:ratio=0.3:seed=7", "-t", "8"),
		}
		c.mirrorA = testvideo.Edit(t, dir, "a-mirror.mp4", c.refA, "hflip,scale=240:180")
		c.partA = testvideo.Edit(t, dir, "a-part.mp4", c.refA, "eq=brightness=0.05", "-ss", "3", "-t", "5")
		c.slowA = testvideo.Edit(t, dir, "a-slow.mp4", c.refA, "setpts=PTS/0.8,fps=25")
		c.letterbox = testvideo.Edit(t, dir, "a-box.mp4", c.refA, "scale=320:240,pad=320:480:0:120:black")
		clipSet = c
	})
	if clipSet.refA == "" {
		t.Fatal("test clips could not be made")
	}
	return clipSet
}

func TestMain(m *testing.M) {
	code := m.Run()
	if clipDir != "" {
		os.RemoveAll(clipDir)
	}
	os.Exit(code)
}

func newChecker(t *testing.T) (*Checker, *index.Embedded) {
	t.Helper()
	idx, err := index.OpenEmbedded(t.TempDir(), index.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	c, err := New(Config{Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	return c, idx
}

func TestCheckVerdicts(t *testing.T) {
	cl := testClips(t)
	ctx := context.Background()
	c, _ := newChecker(t)
	published := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for id, p := range map[string]string{"tiktok:a": cl.refA, "tiktok:b": cl.refB} {
		v, err := c.AddReference(ctx, p, models.Video{ID: id, Platform: "tiktok", Published: published})
		if err != nil {
			t.Fatalf("add %s: %v", id, err)
		}
		if v.Duration < 7 {
			t.Errorf("%s: duration %.1f not filled in", id, v.Duration)
		}
	}
	tests := []struct {
		name      string
		path      string
		want      models.Decision
		wantRef   string
		wantQuery [2]float64 // rough query extent of the best match
		wantRef2  [2]float64 // rough reference extent
	}{
		{"mirrored and scaled", cl.mirrorA, models.Lifted, "tiktok:a", [2]float64{0, 10}, [2]float64{0, 10}},
		{"excerpt with colour change", cl.partA, models.Lifted, "tiktok:a", [2]float64{0, 5}, [2]float64{3, 8}},
		{"slowed to 0.8x", cl.slowA, models.Lifted, "tiktok:a", [2]float64{0, 12.5}, [2]float64{0, 10}},
		{"letterboxed", cl.letterbox, models.Lifted, "tiktok:a", [2]float64{0, 10}, [2]float64{0, 10}},
		{"unrelated footage", cl.unrelated, models.Clean, "", [2]float64{}, [2]float64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := c.Check(ctx, tc.path, CheckMeta{Published: published.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if v.Verdict != tc.want {
				t.Fatalf("verdict %s, want %s (matches %+v)", v.Verdict, tc.want, v.Matches)
			}
			if tc.wantRef == "" {
				return
			}
			m := v.Matches[0]
			if m.Reference.ID != tc.wantRef {
				t.Fatalf("best match %s, want %s", m.Reference.ID, tc.wantRef)
			}
			qs, qe := m.Segments[0].QueryStart, m.Segments[len(m.Segments)-1].QueryEnd
			rs, re := m.Segments[0].ReferenceStart, m.Segments[len(m.Segments)-1].ReferenceEnd
			const tol = 1.5
			if abs(qs-tc.wantQuery[0]) > tol || abs(qe-tc.wantQuery[1]) > tol || abs(rs-tc.wantRef2[0]) > tol || abs(re-tc.wantRef2[1]) > tol {
				t.Errorf("segments %+v, want query ~%v reference ~%v", m.Segments, tc.wantQuery, tc.wantRef2)
			}
		})
	}

	// A reference published after the upload cannot be its source.
	v, err := c.Check(ctx, cl.mirrorA, CheckMeta{Published: published.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if v.Verdict != models.Clean {
		t.Errorf("upload older than the reference: verdict %s, want clean", v.Verdict)
	}
}

func TestRecordMakesDuplicates(t *testing.T) {
	cl := testClips(t)
	ctx := context.Background()
	c, idx := newChecker(t)
	first, err := c.Check(ctx, cl.refA, CheckMeta{UploadID: "u1", Record: true})
	if err != nil {
		t.Fatal(err)
	}
	if first.Verdict != models.Clean {
		t.Fatalf("first upload: %s, want clean", first.Verdict)
	}
	got, err := idx.Video(ctx, "u1")
	if err != nil || got.Platform != models.PlatformSelf || got.Published.IsZero() {
		t.Fatalf("recorded upload = %+v, %v; want platform self with a publish time", got, err)
	}
	// The same upload checked again is not a duplicate of itself...
	again, err := c.Check(ctx, cl.refA, CheckMeta{UploadID: "u1"})
	if err != nil || again.Verdict != models.Clean {
		t.Fatalf("re-check of u1: %s, %v; want clean", again.Verdict, err)
	}
	// ...but a mirrored re-upload under another id is.
	dup, err := c.Check(ctx, cl.mirrorA, CheckMeta{UploadID: "u2"})
	if err != nil {
		t.Fatal(err)
	}
	if dup.Verdict != models.Duplicate || dup.Matches[0].Reference.ID != "u1" {
		t.Fatalf("re-upload: %s %+v, want duplicate of u1", dup.Verdict, dup.Matches)
	}
}

func TestAddReferenceBadInputLeavesIndexUnchanged(t *testing.T) {
	cl := testClips(t)
	ctx := context.Background()
	c, idx := newChecker(t)
	if _, err := c.AddReference(ctx, cl.refB, models.Video{ID: "keep", Platform: "tiktok"}); err != nil {
		t.Fatal(err)
	}
	before, err := idx.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, err := os.ReadFile(cl.refA)
	if err != nil {
		t.Fatal(err)
	}
	black := testvideo.Generate(t, dir, "black.mp4", "color=c=black:size=160x120:rate=10:duration=3")
	tests := []struct {
		name string
		path string
		v    models.Video
		code string
	}{
		{"missing file", filepath.Join(dir, "nope.mp4"), models.Video{ID: "x", Platform: "tiktok"}, models.EInvalid},
		{"empty file", write(t, dir, "empty.mp4", nil), models.Video{ID: "x", Platform: "tiktok"}, models.EInvalid},
		{"not a video", write(t, dir, "text.mp4", []byte("hello, world\n")), models.Video{ID: "x", Platform: "tiktok"}, models.EInvalid},
		{"truncated", write(t, dir, "trunc.mp4", good[:len(good)/8]), models.Video{ID: "x", Platform: "tiktok"}, ""},
		{"only black frames", black, models.Video{ID: "x", Platform: "tiktok"}, models.EInvalid},
		{"no id", cl.refA, models.Video{Platform: "tiktok"}, models.EInvalid},
		{"no platform", cl.refA, models.Video{ID: "x"}, models.EInvalid},
		{"replacing with a corrupt file", write(t, dir, "junk.mp4", []byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p'}), models.Video{ID: "keep", Platform: "tiktok"}, models.EInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.AddReference(ctx, tc.path, tc.v)
			if err == nil {
				if tc.code == "" { // a truncated file may still have decodable frames
					if err := idx.Delete(ctx, tc.v.ID); err != nil {
						t.Fatal(err)
					}
					return
				}
				t.Fatal("no error")
			}
			if tc.code != "" && models.ErrorCode(err) != tc.code {
				t.Errorf("code %q (%v), want %q", models.ErrorCode(err), err, tc.code)
			}
			after, err := idx.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(before, after) {
				t.Errorf("index changed: %+v → %+v", before, after)
			}
		})
	}
	if v, err := idx.Video(ctx, "keep"); err != nil || v.Duration == 0 {
		t.Errorf("existing video damaged: %+v, %v", v, err)
	}
}

func TestCheckConcurrent(t *testing.T) {
	cl := testClips(t)
	ctx := context.Background()
	c, _ := newChecker(t)
	if _, err := c.AddReference(ctx, cl.refA, models.Video{ID: "a", Platform: "tiktok"}); err != nil {
		t.Fatal(err)
	}
	paths := []string{cl.mirrorA, cl.partA, cl.unrelated, cl.letterbox}
	want := make([]models.Verdict, len(paths))
	for i, p := range paths {
		v, err := c.Check(ctx, p, CheckMeta{})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = v
	}
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		for i, p := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := c.Check(ctx, p, CheckMeta{})
				if err != nil {
					t.Error(err)
					return
				}
				if !reflect.DeepEqual(v, want[i]) {
					t.Errorf("%s: concurrent verdict differs", p)
				}
			}()
		}
	}
	wg.Wait()
}

func TestCachedFingerprint(t *testing.T) {
	cl := testClips(t)
	ctx := context.Background()
	dir := t.TempDir()
	calls := 0
	count := func(ctx context.Context, path string, opts fingerprint.Options) (models.Fingerprint, error) {
		calls++
		return fingerprint.File(ctx, path, opts)
	}
	fp := CachedFingerprint(dir, count)
	a, err := fp(ctx, cl.refB, fingerprint.Options{Rate: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := fp(ctx, cl.refB, fingerprint.Options{Rate: 2})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !reflect.DeepEqual(a.Frames, b.Frames) {
		t.Errorf("second call computed again (calls %d) or differs", calls)
	}
	if _, err := fp(ctx, cl.refB, fingerprint.Options{Rate: 2, Mirror: true}); err != nil || calls != 2 {
		t.Errorf("other options served from the cache: calls %d, %v", calls, err)
	}
	// A damaged cache entry is recomputed, not trusted.
	entries, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	for _, e := range entries {
		if err := os.WriteFile(e, []byte("{broken"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fp(ctx, cl.refB, fingerprint.Options{Rate: 2}); err != nil || calls != 3 {
		t.Errorf("broken entry: calls %d, %v", calls, err)
	}
	// Other decoder options sample other frames: another entry.
	t.Setenv(fingerprint.CaptureOptionsEnv, "")
	if _, err := fp(ctx, cl.refB, fingerprint.Options{Rate: 2}); err != nil || calls != 4 {
		t.Errorf("other decoder options served from the cache: calls %d, %v", calls, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{}); models.ErrorCode(err) != models.EInvalid {
		t.Errorf("no index: %v", err)
	}
	idx, err := index.OpenEmbedded(t.TempDir(), index.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if _, err := New(Config{Index: idx, Radius: 65}); models.ErrorCode(err) != models.EInvalid {
		t.Errorf("radius 65: %v", err)
	}
	for _, d := range []int{-1, 3, 16} {
		if _, err := New(Config{Index: idx, ReferenceDense: d}); models.ErrorCode(err) != models.EInvalid {
			t.Errorf("reference dense %d: %v", d, err)
		}
	}
	for _, d := range []int{1, 2, 8} {
		if _, err := New(Config{Index: idx, ReferenceDense: d}); err != nil {
			t.Errorf("reference dense %d: %v", d, err)
		}
	}
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// The query's crop windows are searched at the crop radius, the other
// hashes at the full radius.
func TestSearchCropWindowsAtCropRadius(t *testing.T) {
	ctx := context.Background()
	c, idx := newChecker(t)
	const bits = models.Hash64(0x0123456789abcdef)
	if err := idx.Add(ctx, models.Video{ID: "r", Platform: "tiktok", Duration: 1},
		[]models.FrameHash{{T: 0, Kind: models.KindPHash, Bits: bits, Quality: 1}}); err != nil {
		t.Fatal(err)
	}
	flip := func(n int) models.Hash64 { return bits ^ models.Hash64(1<<n-1) }
	frames := []models.FrameHash{
		{Kind: models.KindPHash, Bits: flip(DefaultRadius), Variant: models.VariantFull},
		{Kind: models.KindPHash, Bits: flip(DefaultRadius), Variant: fingerprint.CropVariant(3)},
		{Kind: models.KindPHash, Bits: flip(DefaultCropRadius), Variant: fingerprint.CropVariant(5)},
		{Kind: models.KindPHash, Bits: flip(DefaultRadius), Variant: fingerprint.VariantInset},
	}
	ns, err := c.searchAll(ctx, frames)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 0, 1, 1} {
		if len(ns[i]) != want {
			t.Errorf("hash %d (%s, %d bits off): %d neighbours, want %d", i, frames[i].Variant, frames[i].Bits.Distance(bits), len(ns[i]), want)
		}
	}
}
