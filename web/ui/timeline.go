package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"

	"github.com/copycat-video/copycat/models"
)

// Timeline geometry in SVG user units. The chart scales to its container
// through the viewBox, so these only fix proportions and text size.
const (
	tlWidth   = 640.0
	tlHeight  = 360.0
	tlLeft    = 64.0 // room for the reference-time tick labels
	tlRight   = 16.0
	tlTop     = 16.0
	tlBottom  = 48.0 // room for the query-time tick labels and axis title
	tlMaxDots = 400  // evidence pairs drawn; more add nothing a reviewer can see
)

// TimelineSVG draws the alignment of a match as an inline SVG chart: query
// time on the x axis, reference time on the y axis, each matched segment as a
// line (a straight copy is a 45° line, a speed change tilts it, an offset
// shifts it) with its projections shaded on both axes, and each supporting
// frame pair as a dot (a square for pairs that matched the mirrored frame,
// because a mirrored copy is a deliberate evasion). queryDuration is the
// upload's length in seconds; zero means unknown, and each axis then ends at
// the last matched time. It is a pure function of its input so that its output
// can be golden-tested; non-finite or negative times are clamped to zero
// rather than trusted, since the chart must never break the page.
func TimelineSVG(m models.Match, queryDuration float64) template.HTML {
	qMax := axisEnd(queryDuration, func(yield func(float64)) {
		for _, s := range m.Segments {
			yield(s.QueryStart)
			yield(s.QueryEnd)
		}
		for _, p := range m.Evidence {
			yield(p.QueryT)
		}
	})
	rMax := axisEnd(m.Reference.Duration, func(yield func(float64)) {
		for _, s := range m.Segments {
			yield(s.ReferenceStart)
			yield(s.ReferenceEnd)
		}
		for _, p := range m.Evidence {
			yield(p.ReferenceT)
		}
	})
	plotW := tlWidth - tlLeft - tlRight
	plotH := tlHeight - tlTop - tlBottom
	x := func(t float64) string { return num(tlLeft + clampT(t, qMax)/qMax*plotW) }
	y := func(t float64) string { return num(tlTop + plotH - clampT(t, rMax)/rMax*plotH) }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" role="img" aria-labelledby="tl-title tl-desc">`, num(tlWidth), num(tlHeight))
	b.WriteString(`<title id="tl-title">Alignment timeline</title>`)
	fmt.Fprintf(&b, `<desc id="tl-desc">Query time (x, 0 to %s s) against reference time (y, 0 to %s s): %d matched segment(s), %d supporting frame pair(s).</desc>`,
		num(qMax), num(rMax), len(m.Segments), len(m.Evidence))

	// Plot frame and grid.
	fmt.Fprintf(&b, `<rect class="tl-plot" x="%s" y="%s" width="%s" height="%s"/>`, num(tlLeft), num(tlTop), num(plotW), num(plotH))
	qStep, rStep := tickStep(qMax), tickStep(rMax)
	b.WriteString(`<g class="tl-grid">`)
	for i := 0; float64(i)*qStep <= qMax+1e-9; i++ {
		t := float64(i) * qStep
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, x(t), num(tlTop), x(t), num(tlTop+plotH))
	}
	for i := 0; float64(i)*rStep <= rMax+1e-9; i++ {
		t := float64(i) * rStep
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(tlLeft), y(t), num(tlLeft+plotW), y(t))
	}
	b.WriteString(`</g><g class="tl-ticks">`)
	for i := 0; float64(i)*qStep <= qMax+1e-9; i++ {
		t := float64(i) * qStep
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, x(t), num(tlTop+plotH+20), num(t))
	}
	for i := 0; float64(i)*rStep <= rMax+1e-9; i++ {
		t := float64(i) * rStep
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`, num(tlLeft-8), y(t), num(t))
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<text class="tl-axis" x="%s" y="%s" text-anchor="middle">upload (query) time, s</text>`, num(tlLeft+plotW/2), num(tlHeight-8))
	fmt.Fprintf(&b, `<text class="tl-axis" x="14" y="%s" text-anchor="middle" transform="rotate(-90 14 %s)">reference time, s</text>`, num(tlTop+plotH/2), num(tlTop+plotH/2))

	// Segments: shaded projections first so the lines and dots sit on top.
	b.WriteString(`<g class="tl-spans">`)
	for _, s := range m.Segments {
		fmt.Fprintf(&b, `<rect class="tl-qspan" x="%s" y="%s" width="%s" height="6"/>`,
			x(s.QueryStart), num(tlTop+plotH-6), span(x(s.QueryStart), x(s.QueryEnd)))
		fmt.Fprintf(&b, `<rect class="tl-rspan" x="%s" y="%s" width="6" height="%s"/>`,
			num(tlLeft), y(s.ReferenceEnd), span(y(s.ReferenceEnd), y(s.ReferenceStart)))
	}
	b.WriteString(`</g><g class="tl-segments">`)
	for i, s := range m.Segments {
		fmt.Fprintf(&b, `<line class="tl-segment" x1="%s" y1="%s" x2="%s" y2="%s"><title>segment %d: upload %s–%s s ↔ reference %s–%s s</title></line>`,
			x(s.QueryStart), y(s.ReferenceStart), x(s.QueryEnd), y(s.ReferenceEnd), i+1,
			num(clampT(s.QueryStart, qMax)), num(clampT(s.QueryEnd, qMax)),
			num(clampT(s.ReferenceStart, rMax)), num(clampT(s.ReferenceEnd, rMax)))
	}
	b.WriteString(`</g><g class="tl-pairs">`)
	for i, p := range m.Evidence {
		if i == tlMaxDots {
			break
		}
		class, shape := "tl-pair", "circle"
		if p.Variant == models.VariantMirror {
			class = "tl-pair tl-mirror"
			shape = "rect"
		}
		label := fmt.Sprintf("upload %s s ↔ reference %s s, distance %d", num(clampT(p.QueryT, qMax)), num(clampT(p.ReferenceT, rMax)), p.Distance)
		if p.Variant == models.VariantMirror {
			label += ", mirrored"
		}
		if shape == "circle" {
			fmt.Fprintf(&b, `<circle class="%s" cx="%s" cy="%s" r="3.5"><title>%s</title></circle>`, class, x(p.QueryT), y(p.ReferenceT), label)
		} else {
			fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="7" height="7" transform="translate(-3.5 -3.5)"><title>%s</title></rect>`, class, x(p.QueryT), y(p.ReferenceT), label)
		}
	}
	b.WriteString(`</g></svg>`)
	// Every interpolated value above is a number formatted by num or a
	// fixed string, never caller text, so the markup is safe as is.
	return template.HTML(b.String()) //nolint:gosec // see comment above
}

// axisEnd returns the length of an axis: the known duration, stretched to
// the largest finite time the chart will plot, and never zero.
func axisEnd(duration float64, times func(yield func(float64))) float64 {
	end := 0.0
	if finite(duration) && duration > 0 {
		end = duration
	}
	times(func(t float64) {
		if finite(t) && t > end {
			end = t
		}
	})
	if end <= 0 {
		return 1
	}
	return end
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// clampT puts a time inside [0, max]; non-finite values become zero.
func clampT(t, max float64) float64 {
	switch {
	case !finite(t) || t < 0:
		return 0
	case t > max:
		return max
	}
	return t
}

// tickStep picks a round tick spacing that gives at most about eight ticks.
func tickStep(max float64) float64 {
	for _, s := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600} {
		if max/s <= 8 {
			return s
		}
	}
	// Longer than eight hours: fall back to an hour multiple.
	return math.Ceil(max/8/3600) * 3600
}

// num formats a coordinate or time with at most two decimals and no
// trailing zeros, so golden files stay stable and small.
func num(f float64) string {
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}

// span is the non-negative distance between two formatted coordinates.
func span(a, b string) string {
	fa, _ := strconv.ParseFloat(a, 64)
	fb, _ := strconv.ParseFloat(b, 64)
	return num(math.Abs(fb - fa))
}
