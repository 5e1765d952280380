package fingerprint

import (
	"image"
	"math/rand"
	"reflect"
	"testing"

	"github.com/copycat-video/copycat/models"
)

// hashOf hashes img with opts and returns the content's full-frame hash
// and, when mirroring, its mirrored twin.
func hashOf(t *testing.T, img image.Image, opts Options) []models.FrameHash {
	t.Helper()
	hs, err := Image(img, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []models.Variant{models.VariantFull, models.VariantFull}
	if opts.Mirror {
		want = []models.Variant{models.VariantFull, models.VariantMirror, models.VariantFull, models.VariantMirror}
		for i := 0; i < 16; i++ {
			want = append(want, CropVariant(i))
		}
	}
	if len(hs) != len(want) {
		t.Fatalf("got %d hashes, want %d", len(hs), len(want))
	}
	for i, h := range hs {
		if h.Variant != want[i] {
			t.Fatalf("hash %d has variant %q, want %q", i, h.Variant, want[i])
		}
	}
	if opts.Mirror {
		return hs[:2]
	}
	return hs[:1]
}

// The edits re-uploaders make must keep the hash near the original's, and
// a different picture must stay far.
func TestImageEditsStayClose(t *testing.T) {
	orig := scene(640, 360, 0.2)
	other := scene(640, 360, 0.9)
	// an enlarged, blurred copy under the picture
	blurpad := scale(boxBlur(scale(orig, 160, 90), 3, 3), 540, 960)
	paste(blurpad, scale(orig, 540, 304), 0, 328)

	letterbox := uniform(540, 960, 4)
	paste(letterbox, scale(orig, 540, 304), 0, 328)
	pillarbox := uniform(960, 360, 0)
	paste(pillarbox, orig, 160, 0)
	both := uniform(720, 720, 10)
	paste(both, scale(orig, 640, 360), 40, 180)
	mirrored := image.NewGray(orig.Rect)
	flipGray(mirrored, orig)

	for _, kind := range models.HashKinds {
		t.Run(string(kind), func(t *testing.T) {
			opts := Options{Kind: kind, Mirror: true}
			base := hashOf(t, orig, opts)[0]
			if base.Quality < 0.5 {
				t.Errorf("textured picture has quality %.2f, want >= 0.5", base.Quality)
			}
			tests := []struct {
				name string
				img  image.Image
				max  int
				use  int // index of the hash to compare: 0 full, 1 mirror
			}{
				{"downscaled", scale(orig, 320, 180), 4, 0},
				{"letterbox", letterbox, 6, 0},
				{"pillarbox", pillarbox, 6, 0},
				{"bars on all sides", both, 6, 0},
				{"blurred padding", blurpad, 8, 0},
				{"mirrored, mirror variant", mirrored, 0, 1},
			}
			for _, tc := range tests {
				h := hashOf(t, tc.img, opts)[tc.use]
				if d := h.Bits.Distance(base.Bits); d > tc.max {
					t.Errorf("%s: distance %d to the original, want <= %d", tc.name, d, tc.max)
				}
			}
			if d := hashOf(t, other, opts)[0].Bits.Distance(base.Bits); d < 12 {
				t.Errorf("unrelated picture: distance %d, want >= 12", d)
			}
		})
	}
}

func TestImageFlatQuality(t *testing.T) {
	for _, v := range []uint8{0, 16, 128, 255} {
		hs, err := Image(uniform(320, 240, v), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if hs[0].Quality >= FlatQuality {
			t.Errorf("uniform %d: quality %.3f, want < %g", v, hs[0].Quality, FlatQuality)
		}
	}
}

func TestImageMirrorVariant(t *testing.T) {
	hs, err := Image(scene(200, 150, 0.4), Options{Mirror: true})
	if err != nil {
		t.Fatal(err)
	}
	if hs[0].Variant != models.VariantFull || hs[1].Variant != models.VariantMirror {
		t.Fatalf("variants %q, %q; want full then mirror", hs[0].Variant, hs[1].Variant)
	}
	for _, h := range hs[1:] {
		if h.T != hs[0].T || h.Quality != hs[0].Quality {
			t.Errorf("hash %+v differs in time or quality from %+v", h, hs[0])
		}
	}
	// The mirror of a crop is the crop of the mirror: hashing the flipped
	// picture gives the same hashes with the variants swapped.
	flipped := image.NewGray(image.Rect(0, 0, 200, 150))
	flipGray(flipped, scene(200, 150, 0.4))
	fs, err := Image(flipped, Options{Mirror: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < 4; i += 2 {
		if hs[i].Bits != fs[i+1].Bits || hs[i+1].Bits != fs[i].Bits {
			t.Errorf("%s: hashes of the picture and of its mirror image are not swapped", hs[i].Variant)
		}
	}
	// The crop windows have no twins; their set is its own mirror image.
	for _, h := range hs[4:] {
		if h.Variant.Mirrored() || !IsCrop(h.Variant) {
			t.Errorf("hash %d has variant %q, want a crop window", len(hs), h.Variant)
		}
	}
}

func TestGrayBadInput(t *testing.T) {
	tests := []struct {
		name string
		pix  []byte
		w, h int
		opts Options
	}{
		{"no pixels", nil, 0, 0, Options{}},
		{"short buffer", make([]byte, 10), 4, 4, Options{}},
		{"negative size", make([]byte, 4), -2, -2, Options{}},
		{"too wide", make([]byte, 8000), 8000, 1, Options{}},
		{"bad kind", make([]byte, 16), 4, 4, Options{Kind: "md5"}},
		{"bad rate", make([]byte, 16), 4, 4, Options{Rate: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Gray(tc.pix, tc.w, tc.h, tc.opts)
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("got %v, want an EInvalid error", err)
			}
		})
	}
	if _, err := Image(nil, Options{}); models.ErrorCode(err) != models.EInvalid {
		t.Errorf("nil image: got %v, want EInvalid", err)
	}
}

// contentRect on hand-made planes: exact bars, and no trimming of pictures
// that merely have dark or calm parts.
func TestContentRect(t *testing.T) {
	pic := scene(200, 120, 0.3)
	tests := []struct {
		name string
		img  *image.Gray
		want image.Rectangle
	}{
		{"plain picture", pic, image.Rect(0, 0, 200, 120)},
		{"letterbox", func() *image.Gray {
			g := uniform(200, 200, 0)
			paste(g, pic, 0, 40)
			return g
		}(), image.Rect(0, 40, 200, 160)},
		{"pillarbox", func() *image.Gray {
			g := uniform(300, 120, 12)
			paste(g, pic, 50, 0)
			return g
		}(), image.Rect(50, 0, 250, 120)},
		{"dark bottom only is picture", func() *image.Gray {
			g := uniform(200, 160, 0)
			paste(g, pic, 0, 0)
			return g
		}(), image.Rect(0, 0, 200, 160)},
		{"all black", uniform(100, 100, 0), image.Rect(0, 0, 100, 100)},
		{"flat padding", func() *image.Gray {
			g := uniform(120, 256, 90)
			paste(g, scale(pic, 120, 72), 0, 92)
			return g
		}(), image.Rect(0, 92, 120, 164)},
		// A caption bar drawn across the lower band has sharp edges and
		// text of its own, at a shallower depth than the picture's: the
		// depth whose boundary shows on both sides must win.
		{"blurred padding under a caption bar", func() *image.Gray {
			g := boxBlur(scale(pic, 144, 256), 6, 3)
			paste(g, scale(pic, 144, 80), 0, 88)
			bar := uniform(144, 26, 30) // a dark strip with a line of "text"
			for y := 7; y < 20; y++ {
				for x := 10; x < 100; x++ {
					if x%4 < 2 {
						bar.Pix[y*bar.Stride+x] = 230
					}
				}
			}
			paste(g, bar, 0, 200)
			return g
		}(), image.Rect(0, 88, 144, 168)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := plane{pix: tc.img.Pix, w: tc.img.Rect.Dx(), h: tc.img.Rect.Dy(), stride: tc.img.Stride}
			got := contentRect(p)
			if !near(got, tc.want, 1) {
				t.Errorf("contentRect = %v, want %v", got, tc.want)
			}
		})
	}
}

func near(a, b image.Rectangle, tol int) bool {
	return absInt(a.Min.X-b.Min.X) <= tol && absInt(a.Min.Y-b.Min.Y) <= tol &&
		absInt(a.Max.X-b.Max.X) <= tol && absInt(a.Max.Y-b.Max.Y) <= tol
}

// FuzzContentRect: any picture gives a non-empty rectangle inside it.
func FuzzContentRect(f *testing.F) {
	f.Add(uint16(64), uint16(48), int64(1), uint8(0))
	f.Add(uint16(200), uint16(400), int64(7), uint8(3))
	f.Add(uint16(3), uint16(1), int64(2), uint8(1))
	f.Fuzz(func(t *testing.T, w16, h16 uint16, seed int64, mode uint8) {
		w, h := int(w16%400)+1, int(h16%400)+1
		rng := rand.New(rand.NewSource(seed))
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			switch mode % 4 {
			case 0:
				g.Pix[i] = uint8(rng.Intn(256))
			case 1: // mostly dark with bright specks
				if rng.Intn(20) == 0 {
					g.Pix[i] = 255
				}
			case 2: // horizontal bands
				g.Pix[i] = uint8((i / w * 37) % 256)
			default: // smooth with random rows of noise
				g.Pix[i] = uint8(i % 7 * 3)
				if (i/w)%5 == int(seed%5+5)%5 {
					g.Pix[i] = uint8(rng.Intn(256))
				}
			}
		}
		p := plane{pix: g.Pix, w: w, h: h, stride: g.Stride}
		r := contentRect(p)
		if r.Empty() || !r.In(image.Rect(0, 0, w, h)) {
			t.Fatalf("contentRect(%dx%d) = %v, want a non-empty rectangle inside the picture", w, h, r)
		}
		if _, err := Gray(g.Pix, w, h, Options{Mirror: true}); err != nil {
			t.Fatalf("Gray: %v", err)
		}
	})
}

// cropScale cuts the share l, r, t, b off the sides of g and scales the rest
// back to g's size, as a cropped re-upload does.
func cropScale(g *image.Gray, l, r, t, b float64) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	x0, y0 := int(l*float64(w)), int(t*float64(h))
	x1, y1 := w-int(r*float64(w)), h-int(b*float64(h))
	sub := image.NewGray(image.Rect(0, 0, x1-x0, y1-y0))
	for y := y0; y < y1; y++ {
		copy(sub.Pix[(y-y0)*sub.Stride:], g.Pix[y*g.Stride+x0:y*g.Stride+x1])
	}
	return scale(sub, w, h)
}

// A copy cropped by 3-15% on each side, independently, meets the
// original's hashes through one of its crop windows within the radius the
// windows are searched with (pipeline.DefaultCropRadius) in most cases,
// asymmetric crops included, where the centred crops used before (the
// central 75% and 85% of the copy) mostly missed. (When all four edges sit
// at the ends of their ranges every window is off by 3.7% on each edge, and
// the copy is left to its other frames and hashes.)
func TestCropWindowsMeetAsymmetricCrops(t *testing.T) {
	const radius = 10 // pipeline.DefaultCropRadius
	rnd := rand.New(rand.NewSource(1))
	var met, metCentred, n int
	for _, seed := range []float64{0.2, 0.5, 0.8} {
		orig := scene(640, 360, seed)
		ref, err := Image(orig, Options{})
		if err != nil {
			t.Fatal(err)
		}
		near := func(h models.FrameHash) bool {
			return h.Bits.Distance(ref[0].Bits) <= radius || h.Bits.Distance(ref[1].Bits) <= radius
		}
		for i := 0; i < 30; i++ {
			var c [4]float64 // l, r, t, b
			for k := range c {
				c[k] = cropMin + (cropMax-cropMin)*rnd.Float64()
			}
			cropped := cropScale(orig, c[0], c[1], c[2], c[3])
			hs, err := Image(cropped, Options{Mirror: true})
			if err != nil {
				t.Fatal(err)
			}
			n++
			for _, h := range hs {
				if IsCrop(h.Variant) && near(h) {
					met++
					break
				}
			}
			for _, m := range []float64{0.125, 0.075} {
				cs, err := Image(cropScale(cropped, m, m, m, m), Options{})
				if err != nil {
					t.Fatal(err)
				}
				if near(cs[0]) {
					metCentred++
					break
				}
			}
		}
	}
	t.Logf("crop windows meet %d of %d random crops within %d bits, the centred crops %d", met, n, radius, metCentred)
	if met < n*8/10 || met <= metCentred {
		t.Errorf("crop windows meet %d of %d random crops within %d bits (centred crops: %d), want 80%% and more than the centred crops", met, n, radius, metCentred)
	}
}

// pHash tolerates small shifts of its window only: the measurement behind
// the spacing of the crop windows (see cropWindows).
func TestCropWindowShiftTolerance(t *testing.T) {
	for _, seed := range []float64{0.2, 0.5, 0.8} {
		wide := scene(800, 360, seed)
		at := func(dx int) *image.Gray {
			g := image.NewGray(image.Rect(0, 0, 640, 360))
			for y := 0; y < 360; y++ {
				copy(g.Pix[y*g.Stride:], wide.Pix[y*wide.Stride+dx:y*wide.Stride+dx+640])
			}
			return g
		}
		ref, err := Image(at(0), Options{})
		if err != nil {
			t.Fatal(err)
		}
		dist := map[float64]int{}
		for _, s := range []float64{0.01, 0.03, 0.05, 0.08} {
			hs, err := Image(at(int(s*640)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			dist[s] = hs[1].Bits.Distance(ref[1].Bits)
			t.Logf("scene %.1f: picture shifted by %.0f%% of its width: central part's hash moves %d bits", seed, 100*s, dist[s])
		}
		if dist[0.01] > 10 || dist[0.08] <= 10 {
			t.Errorf("scene %.1f: shifts of 1%% and 8%% move the hash by %d and %d bits; the crop windows' spacing assumes <= 10 and > 10", seed, dist[0.01], dist[0.08])
		}
	}
}

// Static edges that line up with an inset's sides make other rectangles
// qualify, larger ones (an edge of the background) or smaller ones (an edge
// of the inset's picture), and either may score higher than the inset: the
// candidates are the rectangles no other beats on both area and score, so
// that the inset is among them.
func TestInsetCandidates(t *testing.T) {
	rect := func(x0, y0, x1, y1 int) image.Rectangle { return image.Rect(x0, y0, x1, y1) }
	inner := func(r image.Rectangle) image.Rectangle { return r.Inset(1) }
	inset := rect(3, 74, 122, 140)
	background := rect(3, 32, 122, 140) // closed by a static edge above the inset
	picture := rect(3, 100, 122, 140)   // closed by a horizon inside the inset
	dup := rect(5, 74, 122, 140)        // the inset less two columns
	got := insetCandidates([]insetCand{
		{picture, 0.13, 7.5},
		{background, 0.35, 4.9},
		{rect(3, 32, 60, 140), 0.17, 3.0}, // smaller and weaker than the background one
		{dup, 0.21, 7.0},                  // the same picture as the inset, for pHash
		{inset, 0.213, 6.92},
	})
	want := []image.Rectangle{inner(background), inner(inset), inner(picture)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("candidates %v, want %v", got, want)
	}
	var many []insetCand
	for i := 0; i < 10; i++ {
		many = append(many, insetCand{rect(0, 0, 100-8*i, 100), 0.5 - 0.04*float64(i), float64(3 + i)})
	}
	if n := len(insetCandidates(many)); n != insetMaxCandidates {
		t.Errorf("%d candidates, want at most %d", n, insetMaxCandidates)
	}
	if got := insetCandidates(nil); len(got) != 0 {
		t.Errorf("no qualifying rectangle gave %v", got)
	}
}
