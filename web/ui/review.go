package ui

import (
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

type queueData struct {
	Query     queueQuery
	States    []string
	Origins   []models.Origin
	Claims    []models.Claim
	Total     int
	From, To  int
	PrevQuery string // query string of the previous page, "" on page 1
	NextQuery string // query string of the next page, "" on the last
	Now       time.Time
}

// queue is the reviewer queue: claims waiting for review, escalated first,
// then by deadline and score (the store's deadline order).
func (h *handler) queue(w http.ResponseWriter, r *http.Request, v *visit) {
	if !v.reviewer() {
		h.fail(w, r, v, models.Errorf(models.EForbidden, "the review queue is for reviewers"))
		return
	}
	pv := newView(v, "Review queue", "queue")
	q, err := parseQueueQuery(r.URL.Query())
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	f, pg := q.filter()
	page, err := h.deps.Claims.List(r.Context(), v.p, f, pg)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := queueData{Query: q, Origins: []models.Origin{models.OriginAuto, models.OriginComplaint}, Claims: page.Claims, Total: page.Total, Now: h.now()}
	d.States = append([]string{stateWaiting, "all"}, statesAsStrings()...)
	if len(page.Claims) > 0 {
		d.From = pg.Offset + 1
		d.To = pg.Offset + len(page.Claims)
	}
	if q.Page > 1 {
		d.PrevQuery = "?" + q.values(q.Page-1)
	}
	if pg.Offset+len(page.Claims) < page.Total && q.Page < maxQueuePage {
		d.NextQuery = "?" + q.values(q.Page+1)
	}
	pv.Data = d
	h.render(w, r, http.StatusOK, "queue", pv)
}

func statesAsStrings() []string {
	out := make([]string, len(models.ClaimStates))
	for i, s := range models.ClaimStates {
		out[i] = string(s)
	}
	return out
}

// evidenceRow is one pair of frames shown side by side.
type evidenceRow struct {
	QueryT, ReferenceT float64
	// Distance is the Hamming distance of the matched hashes; -1 for a
	// frame pair interpolated along a segment that had no stored evidence.
	Distance int
	Mirrored bool
}

type segmentView struct {
	N    int
	Seg  models.Segment
	Rows []evidenceRow
}

type decisionButton struct {
	Value   claims.Decision
	Label   string
	Primary bool
}

type provenance struct {
	Text  string
	Class string // "ok", "warn" or "unknown"
}

type claimData struct {
	claims.ClaimDetail
	Segments   []segmentView
	Timeline   template.HTML
	Provenance provenance
	Buttons    []decisionButton
	Frames     bool
	Reason     string // a rejected form's reason, shown again
	Now        time.Time
}

// Evidence rows drawn per segment: enough to see the copy, few enough that
// a page of several segments loads quickly.
const rowsPerSegment = 3

// claim is the claim page: both videos side by side, evidence frames per
// segment, the alignment timeline, provenance, the audit trail and, for
// whoever may act now, the decision buttons.
func (h *handler) claim(w http.ResponseWriter, r *http.Request, v *visit) {
	d, err := h.deps.Claims.Get(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	pv := newView(v, "Claim "+d.Claim.ID, navFor(v))
	switch r.URL.Query().Get("notice") {
	case "decided":
		pv.Notice = "Decision recorded: the claim is now " + labelOf(d.Claim.State) + "."
	case "filed":
		pv.Notice = "Complaint filed."
	}
	h.render(w, r, http.StatusOK, "claim", h.claimView(pv, v, d, ""))
}

func labelOf(s models.ClaimState) string { return strings.ReplaceAll(string(s), "_", " ") }

func navFor(v *visit) string {
	if v.rightsHolder() {
		return "complaints"
	}
	return "queue"
}

func (h *handler) claimView(pv *view, v *visit, d claims.ClaimDetail, reason string) *view {
	c := d.Claim
	cd := claimData{
		ClaimDetail: d,
		Timeline:    TimelineSVG(c.Match, 0),
		Provenance:  provenanceOf(c),
		Buttons:     buttonsFor(v, c),
		Frames:      h.deps.Frames != nil,
		Reason:      reason,
		Now:         h.now(),
	}
	for i, s := range c.Match.Segments {
		cd.Segments = append(cd.Segments, segmentView{N: i + 1, Seg: s, Rows: evidenceRows(s, c.Match.Evidence, rowsPerSegment)})
	}
	pv.Data = cd
	return pv
}

// evidenceRows picks up to n frame pairs of a segment, spread over it: the
// stored evidence pairs that fall inside the segment when there are any,
// otherwise times interpolated along the segment's alignment.
func evidenceRows(s models.Segment, pairs []models.FramePair, n int) []evidenceRow {
	var in []evidenceRow
	for _, p := range pairs {
		if p.QueryT >= s.QueryStart-0.01 && p.QueryT <= s.QueryEnd+0.01 {
			in = append(in, evidenceRow{QueryT: p.QueryT, ReferenceT: p.ReferenceT, Distance: p.Distance, Mirrored: p.Variant == models.VariantMirror})
		}
	}
	if len(in) == 0 {
		qd := s.QueryEnd - s.QueryStart
		for i := 0; i < n; i++ {
			f := 0.5
			if n > 1 {
				f = float64(i) / float64(n-1)
			}
			rt := s.ReferenceStart + f*(s.ReferenceEnd-s.ReferenceStart)
			in = append(in, evidenceRow{QueryT: s.QueryStart + f*qd, ReferenceT: rt, Distance: -1})
			if qd <= 0 {
				break
			}
		}
		return in
	}
	if len(in) <= n {
		return in
	}
	out := make([]evidenceRow, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, in[int(math.Round(float64(i)*float64(len(in)-1)/float64(n-1)))])
	}
	return out
}

// provenanceOf says who published first. An upload that predates the
// reference is the strongest sign that the claim is wrong way round.
func provenanceOf(c models.Claim) provenance {
	up, ref := c.Upload.Published, c.Reference.Published
	switch {
	case up.IsZero() || ref.IsZero():
		return provenance{Text: "Publication times are incomplete: provenance cannot be established from the records.", Class: "unknown"}
	case ref.Before(up):
		return provenance{Text: "The reference was published first, " + humanDuration(up.Sub(ref)) + " before the upload.", Class: "ok"}
	case up.Before(ref):
		return provenance{Text: "The upload was published first, " + humanDuration(ref.Sub(up)) + " before the reference: check who copied whom.", Class: "warn"}
	}
	return provenance{Text: "Both were published at the same time.", Class: "warn"}
}

func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	case d >= 2*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	case d >= 2*time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
	return "moments"
}

// buttonsFor lists the decisions the visitor may make on the claim now. The
// service has the final word; this only avoids offering buttons that can
// only fail.
func buttonsFor(v *visit, c models.Claim) []decisionButton {
	switch {
	case v.reviewer():
		switch c.State {
		case models.StateOpen, models.StateInReview:
			b := []decisionButton{
				{claims.DecideUphold, "Uphold", true},
				{claims.DecideReject, "Reject", false},
				{claims.DecideEscalate, "Escalate", false},
			}
			if c.State == models.StateOpen {
				b = append(b, decisionButton{claims.DecideReview, "Take for review", false})
			}
			return b
		case models.StateDisputed, models.StateCounterNoticed:
			return []decisionButton{{claims.DecideUphold, "Uphold claim", true}, {claims.DecideReject, "Reinstate upload", false}}
		}
	case v.rightsHolder() && v.p.Org == c.Org:
		if c.State == models.StateDisputed || c.State == models.StateCounterNoticed {
			return []decisionButton{{claims.DecideUphold, "Stand by the claim", true}, {claims.DecideReject, "Release the claim", false}}
		}
	}
	return nil
}

// decide records a decision with its reason and the version it was made on.
// A stale version (someone decided first) or a missing reason shows the
// claim again with the message and the reason kept.
func (h *handler) decide(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	f, ferr := parseDecideForm(r.PostForm)
	if ferr == nil {
		_, ferr = h.deps.Claims.Decide(r.Context(), v.p, id, f.Decision, f.Reason, f.Version)
	}
	if ferr == nil {
		http.Redirect(w, r, "/claims/"+url.PathEscape(id)+"?notice=decided#audit", http.StatusSeeOther)
		return
	}
	code := models.ErrorCode(ferr)
	if code != models.EInvalid && code != models.EConflict && code != models.EForbidden {
		h.fail(w, r, v, ferr)
		return
	}
	d, err := h.deps.Claims.Get(r.Context(), v.p, id)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	pv := newView(v, "Claim "+d.Claim.ID, navFor(v))
	pv.Error = models.ErrorMessage(ferr)
	h.render(w, r, statusOf(code), "claim", h.claimView(pv, v, d, f.Reason))
}

// frame serves an evidence frame of the claim's upload or reference. The
// claim is loaded first so that the claims service's access rules decide
// who may see which frames: a rights holder gets no frames of another
// organisation's claims.
func (h *handler) frame(w http.ResponseWriter, r *http.Request, v *visit) {
	kind := r.PathValue("kind")
	if kind != FrameUpload && kind != FrameReference {
		h.failPlain(w, models.Errorf(models.ENotFound, "no frames of kind %q", kind))
		return
	}
	t, err := parseFrameTime(r.URL.Query().Get("t"))
	if err != nil {
		h.failPlain(w, err)
		return
	}
	if h.deps.Frames == nil {
		h.failPlain(w, models.Errorf(models.EUnavailable, "evidence frames are not configured"))
		return
	}
	d, err := h.deps.Claims.Get(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		h.failPlain(w, err)
		return
	}
	id := d.Claim.Upload.ID
	if kind == FrameReference {
		id = d.Claim.Reference.ID
	}
	jpeg, err := h.deps.Frames.Frame(r.Context(), kind, id, t)
	if err != nil {
		if statusOf(models.ErrorCode(err)) >= 500 {
			h.log.Error("ui: evidence frame", "kind", kind, "id", id, "t", t, "err", err)
		}
		h.failPlain(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	// Frames of a file never change, but they are evidence under access
	// control: private caches only.
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(jpeg)
}

// failPlain answers a non-page request (an image) with a status and a
// one-line message.
func (h *handler) failPlain(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(statusOf(models.ErrorCode(err)))
	_, _ = w.Write([]byte(models.ErrorMessage(err) + "\n"))
}
