package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// Rows per page on the complaints overview.
const complaintsPageSize = 25

// pager is the position in a paged table and the links to its neighbours.
type pager struct {
	Label      string // names the navigation landmark
	From, To   int
	Total      int
	Prev, Next string // query strings ("?…"), empty at the ends
}

// newPager builds the pager of page (1-based) showing n of total rows; the
// links change only the parameter name and keep the rest of q.
func newPager(label string, q url.Values, name string, page, n, total int) pager {
	p := pager{Label: label, Total: total}
	if n > 0 {
		p.From = (page-1)*complaintsPageSize + 1
		p.To = p.From + n - 1
	}
	link := func(to int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "notice" {
				v[k] = vs
			}
		}
		if to > 1 {
			v.Set(name, strconv.Itoa(to))
		} else {
			v.Del(name)
		}
		if len(v) == 0 {
			return "?"
		}
		return "?" + v.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if p.To < total && page < maxQueuePage {
		p.Next = link(page + 1)
	}
	return p
}

type complaintsData struct {
	// Waiting are the claims that wait for the rights holder's answer
	// (disputed or counter-noticed), earliest deadline first.
	Waiting         []models.Claim
	WaitingTotal    int
	Claims          []models.Claim
	ClaimsPager     pager
	Complaints      []models.Complaint
	ComplaintsPager pager
}

// complaints is the complaints overview: for a rights holder the claims
// waiting for their answer, every claim of their organisation with its state
// and their complaints; for reviewers every complaint.
func (h *handler) complaints(w http.ResponseWriter, r *http.Request, v *visit) {
	if h.deps.Complaints == nil {
		h.fail(w, r, v, models.Errorf(models.EUnavailable, "complaints are not available on this server"))
		return
	}
	q := r.URL.Query()
	page, err := parsePageParam(q, "page")
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	cpage, err := parsePageParam(q, "cpage")
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	ctx := r.Context()
	cs, total, err := h.deps.Complaints.MyComplaints(ctx, v.p, claims.Page{Offset: (cpage - 1) * complaintsPageSize, Limit: complaintsPageSize})
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := complaintsData{Complaints: cs, ComplaintsPager: newPager("Complaint pages", q, "cpage", cpage, len(cs), total)}
	if v.rightsHolder() {
		waiting, err := h.deps.Claims.List(ctx, v.p, claims.Filter{States: []models.ClaimState{models.StateDisputed, models.StateCounterNoticed}, Sort: claims.SortDeadline}, claims.Page{Limit: complaintsPageSize})
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		all, err := h.deps.Claims.List(ctx, v.p, claims.Filter{Sort: claims.SortNewest}, claims.Page{Offset: (page - 1) * complaintsPageSize, Limit: complaintsPageSize})
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		d.Waiting, d.WaitingTotal = waiting.Claims, waiting.Total
		d.Claims, d.ClaimsPager = all.Claims, newPager("Claim pages", q, "page", page, len(all.Claims), all.Total)
	}
	pv := newView(v, "Complaints", "complaints")
	pv.Data = d
	h.render(w, r, http.StatusOK, "complaints", pv)
}

type complaintFormData struct {
	Form       complaintForm
	Actions    []models.Action
	AllowFiles bool
	MaxMiB     int64
}

func (h *handler) complaintForm(w http.ResponseWriter, r *http.Request, v *visit) {
	if !v.rightsHolder() {
		h.fail(w, r, v, models.Errorf(models.EForbidden, "complaints are filed by rights holders"))
		return
	}
	h.renderComplaintForm(w, r, v, http.StatusOK, complaintForm{Source: "reference", Action: string(models.ActionTakedown)}, "")
}

func (h *handler) renderComplaintForm(w http.ResponseWriter, r *http.Request, v *visit, status int, f complaintForm, msg string) {
	pv := newView(v, "File a complaint", "new")
	pv.Error = msg
	pv.Data = complaintFormData{Form: f, Actions: complaintActions, AllowFiles: h.deps.Fingerprints != nil, MaxMiB: h.deps.MaxUploadBytes >> 20}
	h.render(w, r, status, "complaint_new", pv)
}

// fileComplaint files a complaint from the form. A file original is
// fingerprinted here (the claims service works on fingerprints) and the file
// is not kept: the complaint needs its hashes, not its pixels.
func (h *handler) fileComplaint(w http.ResponseWriter, r *http.Request, v *visit) {
	if !v.rightsHolder() {
		h.fail(w, r, v, models.Errorf(models.EForbidden, "complaints are filed by rights holders"))
		return
	}
	if h.deps.Complaints == nil {
		h.fail(w, r, v, models.Errorf(models.EUnavailable, "complaints are not available on this server"))
		return
	}
	f := readComplaintForm(r.PostForm)
	req, err := f.request()
	if err == nil && f.Source == "file" {
		var fp models.Fingerprint
		fp, err = h.fingerprintUpload(r)
		req.Original.Fingerprint = &fp
	}
	if err == nil {
		var d claims.ComplaintDetail
		d, err = h.deps.Complaints.FileComplaint(r.Context(), v.p, req)
		if err == nil {
			h.log.Info("ui: complaint filed", "complaint", d.Complaint.ID, "org", v.p.Org, "uploads", len(req.UploadIDs))
			http.Redirect(w, r, "/complaints/"+url.PathEscape(d.Complaint.ID)+"?notice=filed", http.StatusSeeOther)
			return
		}
	}
	switch code := models.ErrorCode(err); code {
	case models.EInvalid, models.ENotFound, models.EConflict, models.ETooLarge:
		h.renderComplaintForm(w, r, v, statusOf(code), f, models.ErrorMessage(err))
	default:
		h.fail(w, r, v, err)
	}
}

// fingerprintUpload fingerprints the form's "original" file.
func (h *handler) fingerprintUpload(r *http.Request) (models.Fingerprint, error) {
	if h.deps.Fingerprints == nil {
		return models.Fingerprint{}, models.Errorf(models.EInvalid, "this server cannot fingerprint files; name an indexed reference instead")
	}
	file, hdr, err := r.FormFile("original")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) || (err == nil && hdr.Size == 0) {
		return models.Fingerprint{}, models.Errorf(models.EInvalid, "choose the video file of your original")
	}
	if err != nil {
		return models.Fingerprint{}, models.WrapError(models.EInvalid, err, "the uploaded file could not be read")
	}
	defer file.Close()
	tmp, err := os.CreateTemp("", "copycat-original-*")
	if err != nil {
		return models.Fingerprint{}, fmt.Errorf("ui: temp file for original: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, file)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return models.Fingerprint{}, fmt.Errorf("ui: store original: %w", err)
	}
	fp, err := h.deps.Fingerprints.Fingerprint(r.Context(), tmp.Name())
	if err != nil {
		if models.ErrorCode(err) == models.EInternal {
			return models.Fingerprint{}, models.WrapError(models.EInvalid, err, "the file %q could not be read as a video", hdr.Filename)
		}
		return models.Fingerprint{}, err
	}
	// The temp name means nothing to anyone; the uploader's file name does.
	fp.Source.Path = hdr.Filename
	return fp, nil
}

// complaint shows one complaint and the current state of its claims.
func (h *handler) complaint(w http.ResponseWriter, r *http.Request, v *visit) {
	if h.deps.Complaints == nil {
		h.fail(w, r, v, models.Errorf(models.EUnavailable, "complaints are not available on this server"))
		return
	}
	d, err := h.deps.Complaints.Complaint(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	pv := newView(v, "Complaint "+d.Complaint.ID, "complaints")
	if r.URL.Query().Get("notice") == "filed" {
		pv.Notice = "Complaint filed: " + strconv.Itoa(len(d.Claims)) + " claim(s) opened or updated."
	}
	pv.Data = d
	h.render(w, r, http.StatusOK, "complaint", pv)
}
