package ui

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// Form limits. The claims service checks the same things again; these exist
// so that the pages can say what is wrong next to the field.
const (
	queuePageSize = 20
	maxQueuePage  = 10000
	maxReasonLen  = 4000
	maxFieldLen   = 256
	maxFrameTime  = 24 * 3600.0 // no short video is a day long
)

// stateWaiting is the queue's default state filter: claims a reviewer has
// to act on.
const stateWaiting = "waiting"

// queueQuery is the reviewer queue's filter as the form shows it.
type queueQuery struct {
	State    string // stateWaiting, "all" or a models.ClaimState
	Platform string
	Origin   string
	Page     int // 1-based
}

// filter turns the query into a claims listing.
func (q queueQuery) filter() (claims.Filter, claims.Page) {
	f := claims.Filter{Platform: q.Platform, Origin: models.Origin(q.Origin), Sort: claims.SortDeadline}
	switch q.State {
	case stateWaiting:
		f.States = []models.ClaimState{models.StateOpen, models.StateInReview}
	case "all":
	default:
		f.States = []models.ClaimState{models.ClaimState(q.State)}
	}
	return f, claims.Page{Offset: (q.Page - 1) * queuePageSize, Limit: queuePageSize}
}

// values is the query string of q at page n, for the paging links.
func (q queueQuery) values(n int) string {
	v := url.Values{}
	if q.State != stateWaiting {
		v.Set("state", q.State)
	}
	if q.Platform != "" {
		v.Set("platform", q.Platform)
	}
	if q.Origin != "" {
		v.Set("origin", q.Origin)
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	return v.Encode()
}

// parseQueueQuery reads the queue filter from a query string. Unknown
// values are errors rather than silently ignored, so that a reviewer never
// believes a filter applies when it does not.
func parseQueueQuery(v url.Values) (queueQuery, error) {
	q := queueQuery{State: stateWaiting, Page: 1}
	if s := strings.TrimSpace(v.Get("state")); s != "" && s != stateWaiting {
		if s != "all" {
			if _, err := models.ParseClaimState(s); err != nil {
				return q, err
			}
		}
		q.State = s
	}
	q.Platform = strings.TrimSpace(v.Get("platform"))
	if len(q.Platform) > maxFieldLen || !utf8.ValidString(q.Platform) {
		return q, models.Errorf(models.EInvalid, "platform filter is too long or not text")
	}
	if s := strings.TrimSpace(v.Get("origin")); s != "" {
		o, err := models.ParseOrigin(s)
		if err != nil {
			return q, err
		}
		q.Origin = string(o)
	}
	n, err := parsePageParam(v, "page")
	if err != nil {
		return q, err
	}
	q.Page = n
	return q, nil
}

// decideForm is a reviewer's or claimant's decision as posted.
type decideForm struct {
	Decision claims.Decision
	Reason   string
	Version  int64
}

// parseDecideForm reads the decision form: the pressed button's decision,
// the required reason and the claim version the page showed.
func parseDecideForm(v url.Values) (decideForm, error) {
	var f decideForm
	f.Reason = strings.TrimSpace(v.Get("reason"))
	d, err := claims.ParseDecision(v.Get("decision"))
	if err != nil {
		return f, err
	}
	f.Decision = d
	switch {
	case f.Reason == "":
		return f, models.Errorf(models.EInvalid, "give a reason for the decision; it goes into the audit trail")
	case len(f.Reason) > maxReasonLen:
		return f, models.Errorf(models.EInvalid, "the reason is longer than %d bytes", maxReasonLen)
	case !utf8.ValidString(f.Reason):
		return f, models.Errorf(models.EInvalid, "the reason is not valid text")
	}
	f.Version, err = strconv.ParseInt(v.Get("version"), 10, 64)
	if err != nil || f.Version < 1 {
		// Without the version two reviewers could overwrite each other.
		return f, models.Errorf(models.EInvalid, "the form lacks the claim version; reload the claim")
	}
	return f, nil
}

// complaintForm is the complaint form as posted, kept as text so that a
// form with an error can be shown again as the rights holder typed it.
type complaintForm struct {
	Source      string // "reference" or "file"
	ReferenceID string
	Title       string
	Platform    string
	URL         string
	Published   string // YYYY-MM-DD
	Uploads     string // accused upload ids, one per line or comma separated
	Action      string
	Statement   string
}

// complaintActions are the actions a rights holder may ask for, most
// common first.
var complaintActions = []models.Action{models.ActionTakedown, models.ActionBlock, models.ActionReview, models.ActionAttribute, models.ActionTrack}

// readComplaintForm copies the text fields of the complaint form.
func readComplaintForm(v url.Values) complaintForm {
	return complaintForm{
		Source:      strings.TrimSpace(v.Get("source")),
		ReferenceID: strings.TrimSpace(v.Get("reference_id")),
		Title:       strings.TrimSpace(v.Get("title")),
		Platform:    strings.TrimSpace(v.Get("platform")),
		URL:         strings.TrimSpace(v.Get("url")),
		Published:   strings.TrimSpace(v.Get("published")),
		Uploads:     v.Get("uploads"),
		Action:      strings.TrimSpace(v.Get("action")),
		Statement:   strings.TrimSpace(v.Get("statement")),
	}
}

// request validates the form and builds the complaint request; the
// original's fingerprint is filled in by the caller for a file original.
func (f complaintForm) request() (claims.ComplaintRequest, error) {
	var r claims.ComplaintRequest
	for _, s := range []string{f.ReferenceID, f.Title, f.Platform, f.URL, f.Published, f.Uploads, f.Action, f.Statement} {
		if !utf8.ValidString(s) {
			return r, models.Errorf(models.EInvalid, "the form contains text that is not valid UTF-8")
		}
	}
	switch f.Source {
	case "reference":
		if f.ReferenceID == "" {
			return r, models.Errorf(models.EInvalid, "enter the id of the indexed reference that is your original")
		}
		if err := models.ValidateID(f.ReferenceID); err != nil {
			return r, err
		}
		r.Original.ReferenceID = f.ReferenceID
	case "file":
	default:
		return r, models.Errorf(models.EInvalid, "choose whether your original is an indexed reference or a file")
	}
	if len(f.Title) > 1024 || len(f.Platform) > 64 || len(f.URL) > 4096 || len(f.Statement) > maxReasonLen {
		return r, models.Errorf(models.EInvalid, "a field is too long")
	}
	if f.URL != "" {
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return r, models.Errorf(models.EInvalid, "the first-published URL must be an http or https address")
		}
	}
	r.Original.Title = f.Title
	r.Original.Published.Platform = f.Platform
	r.Original.Published.URL = f.URL
	if f.Published != "" {
		t, err := time.Parse(time.DateOnly, f.Published)
		if err != nil {
			return r, models.Errorf(models.EInvalid, "first-published date %q: want YYYY-MM-DD", f.Published)
		}
		r.Original.Published.At = t.UTC()
	}
	ids, err := parseUploadIDs(f.Uploads)
	if err != nil {
		return r, err
	}
	r.UploadIDs = ids
	if f.Action != "" {
		a, err := models.ParseAction(f.Action)
		if err != nil {
			return r, err
		}
		if a == models.ActionAllow {
			return r, models.Errorf(models.EInvalid, "action allow asks for nothing")
		}
		r.Action = a
	}
	r.Statement = f.Statement
	return r, nil
}

// parseUploadIDs splits the accused uploads field (newlines, commas or
// spaces), dropping blanks and repeats, and checks each id.
func parseUploadIDs(s string) ([]string, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	var ids []string
	seen := map[string]bool{}
	for _, id := range fields {
		if seen[id] {
			continue
		}
		if err := models.ValidateID(id); err != nil {
			return nil, err
		}
		if len(ids) == claims.MaxAccused {
			return nil, models.Errorf(models.EInvalid, "at most %d accused uploads per complaint", claims.MaxAccused)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, models.Errorf(models.EInvalid, "list at least one accused upload id")
	}
	return ids, nil
}

// parsePageParam reads a 1-based page number; absent means page 1.
func parsePageParam(v url.Values, name string) (int, error) {
	s := v.Get(name)
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxQueuePage {
		return 0, models.Errorf(models.EInvalid, "%s %q: want a number from 1 to %d", name, s, maxQueuePage)
	}
	return n, nil
}

// parseFrameTime reads the t parameter of a frame request.
func parseFrameTime(s string) (float64, error) {
	t, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(t) || t < 0 || t > maxFrameTime {
		return 0, models.Errorf(models.EInvalid, "t=%q: want seconds from 0 to %v", s, maxFrameTime)
	}
	return t, nil
}
