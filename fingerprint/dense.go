package fingerprint

import (
	"fmt"
	"image"
	"math/bits"

	"gocv.io/x/gocv"

	"github.com/copycat-video/copycat/models"
)

// Motion-adaptive sampling (Options.Dense). The sampler runs Dense times as
// fast as the plain rate. A frame on the plain grid (every Dense-th
// instant) is hashed as usual; a frame between two grid instants is looked
// at first (analysed, and its two VariantFull hashes computed) and held
// until the next grid frame arrives. Then each held frame is kept only if
// it moved away from both of its neighbours at its level (a reference's two
// hashes are then all it needs; a query's other variants are hashed from
// the held analysis frame): the frames half its level's spacing before and after it
// (with Dense 4, the frame at 2/4 of a period is compared with the grid
// frames around it, those at 1/4 and 3/4 with the grid frame and the 2/4
// frame on either side). Calm footage thereby costs one analysis and two
// hashes per extra frame, and nothing in the index.

// between is a frame off the plain grid, waiting for the next grid frame.
type between struct {
	at     int // the sampler's instant (see densifier.instant)
	lo, hi int // all the instants the frame stands for
	t, q   float64
	hs     []models.FrameHash // the content's and the centre's hashes: all of a reference's
	full   []models.Hash64    // their bits, none when the frame is flat
	// A query's variants (mirrors, crop windows, insets) are hashed only
	// if the frame is kept, from its analysis frame.
	rect image.Rectangle // the content in the analysis frame
	w, h int
	pix  []byte // the analysis frame, w*h bytes
}

// densifier holds the off-grid frames since the latest grid frame.
type densifier struct {
	n      int // Options.Dense
	held   []between
	prevLo int // instants of the latest grid frame, -1 if none
	prevHi int
	prev   []models.Hash64 // its VariantFull hashes (empty when flat)
}

func newDensifier(n int) *densifier { return &densifier{n: n, prevLo: -1, prevHi: -1} }

// instant picks, of the sampler's instants first to last that one frame
// stands for, the one on the coarsest level: an instant of the plain grid
// if there is one (a video whose decoded frames lie further apart than the
// dense instants must still give every grid instant its frame), and it
// reports whether that instant is on the grid.
func (d *densifier) instant(first, last int) (at int, grid bool) {
	at, best := first, -1
	for i := first; i <= last && i < first+d.n; i++ {
		r := i % d.n
		if r == 0 {
			return i, true
		}
		if lv := r & -r; lv > best {
			at, best = i, lv
		}
	}
	return at, false
}

// look analyses the off-grid frame m sampled at time t for instant at (and
// the instants lo to hi), and holds it.
func (d *densifier) look(n *normalizer, m gocv.Mat, at, lo, hi int, t float64) error {
	p, err := n.analyse(m)
	if err != nil {
		return err
	}
	rect := contentRect(p)
	regs := n.regions(rect)[:2] // the content and its centre
	for i := range regs {
		regs[i].plain = true
	}
	hs, q, err := n.hashRegions(n.gray, regs, t)
	if err != nil {
		return err
	}
	if len(d.held) < cap(d.held) {
		d.held = d.held[:len(d.held)+1] // reuse the buffers of an earlier frame
	} else {
		d.held = append(d.held, between{})
	}
	b := &d.held[len(d.held)-1]
	b.at, b.lo, b.hi, b.t, b.q = at, lo, hi, t, q
	b.hs = append(b.hs[:0], hs...)
	b.full = b.full[:0]
	if q >= FlatQuality {
		b.full = fullHashes(hs, b.full)
	}
	if n.mirror {
		b.rect, b.w, b.h = rect, p.w, p.h
		b.pix = b.pix[:0]
		for y := 0; y < p.h; y++ {
			b.pix = append(b.pix, p.pix[y*p.stride:y*p.stride+p.w]...)
		}
	}
	return nil
}

// settle decides on the held frames now that the grid frame standing for
// instants lo to hi has arrived with VariantFull hashes cur (empty when it
// is flat; lo = hi = -1 at the end of the stream), appends the kept ones to
// fp in time order (and gives them to the inset tracker, when there is
// one), and makes the grid frame the latest.
func (d *densifier) settle(n *normalizer, fp *models.Fingerprint, inset *insetTracker, lo, hi int, cur []models.Hash64) error {
	hashesAt := func(i int) []models.Hash64 {
		switch {
		case i >= d.prevLo && i <= d.prevHi:
			return d.prev
		case i >= lo && i <= hi:
			return cur
		}
		for k := range d.held {
			if b := &d.held[k]; i >= b.lo && i <= b.hi {
				return b.full
			}
		}
		return nil // not sampled (a gap): nothing stands for that time
	}
	for k := range d.held {
		b := &d.held[k]
		r := b.at % d.n
		step := r & -r // the spacing of b's level
		if b.q < FlatQuality || !moved(b.full, hashesAt(b.at-step), hashesAt(b.at+step)) {
			continue
		}
		hs := b.hs
		if n.mirror {
			m, err := gocv.NewMatFromBytes(b.h, b.w, gocv.MatTypeCV8UC1, b.pix)
			if err != nil {
				return fmt.Errorf("frame at %.3fs: %w", b.t, err)
			}
			hs, _, err = n.hashRegions(m, n.regions(b.rect), b.t)
			m.Close()
			if err != nil {
				return fmt.Errorf("frame at %.3fs: %w", b.t, err)
			}
		}
		fp.Sampled++
		fp.Frames = append(fp.Frames, hs...)
		if inset != nil {
			inset.add(plane{pix: b.pix, w: b.w, h: b.h, stride: b.w}, b.t)
		}
	}
	d.held = d.held[:0]
	d.prevLo, d.prevHi = lo, hi
	d.prev = append(d.prev[:0], cur...)
	return nil
}

// moved reports whether hashes h (content, centre) lie at least MotionBits
// from the same hash of both neighbours, for the content or for the
// centre. A neighbour without hashes (flat, or not sampled) counts as far:
// nothing else stands for the frame's time there.
func moved(h, prev, next []models.Hash64) bool {
	far := func(x models.Hash64, nb []models.Hash64, i int) bool {
		return i >= len(nb) || bits.OnesCount64(uint64(x^nb[i])) >= MotionBits
	}
	for i, x := range h {
		if far(x, prev, i) && far(x, next, i) {
			return true
		}
	}
	return false
}

// fullHashes appends to dst the VariantFull hashes of hs, in order (the
// content's, then the centre's).
func fullHashes(hs []models.FrameHash, dst []models.Hash64) []models.Hash64 {
	for _, h := range hs {
		if h.Variant == models.VariantFull {
			dst = append(dst, h.Bits)
		}
	}
	return dst
}
