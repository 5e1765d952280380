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

// Rows per page on the rights holder's overview.
const complaintsPageSize = 25

type complaintsData struct {
	Complaints      []models.Complaint
	ComplaintsTotal int
	Claims          []models.Claim
	ClaimsTotal     int
	// Waiting counts the claims that wait for the rights holder's answer
	// (disputed or counter-noticed).
	Waiting int
}

// complaints is the rights holder's overview: their complaints and every
// claim of their organisation with its state, disputes first. Reviewers see
// all complaints.
func (h *handler) complaints(w http.ResponseWriter, r *http.Request, v *visit) {
	if h.deps.Complaints == nil {
		h.fail(w, r, v, models.Errorf(models.EUnavailable, "complaints are not available on this server"))
		return
	}
	ctx := r.Context()
	cs, total, err := h.deps.Complaints.MyComplaints(ctx, v.p, claims.Page{Limit: complaintsPageSize})
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := complaintsData{Complaints: cs, ComplaintsTotal: total}
	if v.rightsHolder() {
		// Disputes wait for the rights holder, so they come first.
		waiting, err := h.deps.Claims.List(ctx, v.p, claims.Filter{States: []models.ClaimState{models.StateDisputed, models.StateCounterNoticed}, Sort: claims.SortDeadline}, claims.Page{Limit: complaintsPageSize})
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		all, err := h.deps.Claims.List(ctx, v.p, claims.Filter{Sort: claims.SortNewest}, claims.Page{Limit: complaintsPageSize})
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		d.Waiting = waiting.Total
		d.Claims = append(waiting.Claims, withoutStates(all.Claims, models.StateDisputed, models.StateCounterNoticed)...)
		d.ClaimsTotal = all.Total
	}
	pv := newView(v, "Complaints", "complaints")
	if r.URL.Query().Get("notice") == "filed" {
		pv.Notice = "Complaint filed."
	}
	pv.Data = d
	h.render(w, r, http.StatusOK, "complaints", pv)
}

func withoutStates(cs []models.Claim, states ...models.ClaimState) []models.Claim {
	out := cs[:0:0]
	for _, c := range cs {
		skip := false
		for _, s := range states {
			skip = skip || c.State == s
		}
		if !skip {
			out = append(out, c)
		}
	}
	return out
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
