package web

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// publicClaim hides server-local paths inside a claim.
func publicClaim(c models.Claim) models.Claim {
	c.Reference.Path = ""
	c.Match.Reference.Path = ""
	return c
}

func publicClaims(cs []models.Claim) []models.Claim {
	out := make([]models.Claim, len(cs))
	for i, c := range cs {
		out[i] = publicClaim(c)
	}
	return out
}

// listClaims is GET /v1/claims?state=…&platform=…&origin=…&org=…&upload=…
// &uploader=…&sort=newest|deadline&offset=N&limit=N. Rights holders get
// their own organisation's claims whatever org says.
func (s *Server) listClaims(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	f, pg, err := claims.ParseFilter(r.URL.Query())
	if err != nil {
		return err
	}
	if pg.Limit > s.limits.MaxPageSize {
		pg.Limit = s.limits.MaxPageSize
	}
	out, err := s.cfg.Claims.List(r.Context(), p, f, pg)
	if err != nil {
		return err
	}
	out.Claims = publicClaims(out.Claims)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getClaim is GET /v1/claims/{id}: the claim with its evidence (match
// segments, coverages, frame pairs) and its audit trail.
func (s *Server) getClaim(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	d, err := s.cfg.Claims.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d.Claim = publicClaim(d.Claim)
	if d.Events == nil {
		d.Events = []models.AuditEvent{}
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// decisionRequest is the body of POST /v1/claims/{id}/decision.
type decisionRequest struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	// Version is the claim version the decision was made on; 0 means
	// "whatever is current". A stale version answers 409.
	Version int64 `json:"version"`
}

func (s *Server) decideClaim(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	var req decisionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d, err := claims.ParseDecision(req.Decision)
	if err != nil {
		return err
	}
	c, err := s.cfg.Claims.Decide(context.WithoutCancel(r.Context()), p, r.PathValue("id"), d, req.Reason, req.Version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, publicClaim(c))
	return nil
}

// disputeRequest is the body of POST /v1/claims/{id}/dispute.
type disputeRequest struct {
	Reason    string `json:"reason"`
	Statement string `json:"statement"`
	Version   int64  `json:"version"`
}

func (s *Server) disputeClaim(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	var req disputeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	reason, err := models.ParseDisputeReason(req.Reason)
	if err != nil {
		return err
	}
	c, err := s.cfg.Claims.Dispute(context.WithoutCancel(r.Context()), p, r.PathValue("id"), reason, req.Statement, req.Version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, publicClaim(c))
	return nil
}

// counterNoticeRequest is the body of POST /v1/claims/{id}/counter-notice.
type counterNoticeRequest struct {
	Statement string `json:"statement"`
	Contact   string `json:"contact"`
	Version   int64  `json:"version"`
}

func (s *Server) counterNotice(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	var req counterNoticeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	c, err := s.cfg.Claims.CounterNotice(context.WithoutCancel(r.Context()), p, r.PathValue("id"), req.Statement, req.Contact, req.Version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, publicClaim(c))
	return nil
}

// fileComplaint is POST /v1/complaints: JSON (claims.ComplaintRequest, the
// original named by reference_id) or multipart with a field complaint (the
// same JSON without the original's fingerprint) and a file part original,
// which is fingerprinted here and not kept.
func (s *Server) fileComplaint(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	var req claims.ComplaintRequest
	switch {
	case isJSON(r):
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
	case isMultipart(r):
		if s.cfg.Fingerprinter == nil {
			return models.Errorf(models.EInvalid, "this server takes complaint originals by reference_id only")
		}
		f, err := s.readForm(r, "original", map[string]bool{"complaint": true})
		if f.file != "" {
			defer os.Remove(f.file)
		}
		if err != nil {
			return err
		}
		if err := decodeJSONBody(strings.NewReader(f.fields["complaint"]), &req); err != nil {
			return fmt.Errorf("field complaint: %w", err)
		}
		if f.file == "" {
			return models.Errorf(models.EInvalid, "multipart body has no original file part")
		}
		if req.Original.Fingerprint != nil || req.Original.ReferenceID != "" {
			return models.Errorf(models.EInvalid, "with an original file, leave original.reference_id and original.fingerprint empty")
		}
		release, err := s.acquire(r.Context())
		if err != nil {
			return err
		}
		fp, err := s.cfg.Fingerprinter.Fingerprint(r.Context(), f.file)
		release()
		if err != nil {
			return err
		}
		fp.Source.Path = ""
		req.Original.Fingerprint = &fp
	default:
		return models.Errorf(eUnsupportedMedia, "content type %q: want application/json or multipart/form-data", r.Header.Get("Content-Type"))
	}
	d, err := s.cfg.Claims.FileComplaint(context.WithoutCancel(r.Context()), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, publicComplaint(d))
	return nil
}

// publicComplaint hides paths and the (large) original fingerprint.
func publicComplaint(d claims.ComplaintDetail) claims.ComplaintDetail {
	d.Claims = publicClaims(d.Claims)
	if d.Complaint.Original.Fingerprint != nil {
		fp := *d.Complaint.Original.Fingerprint
		fp.Frames = nil
		fp.Source.Path = ""
		d.Complaint.Original.Fingerprint = &fp
	}
	return d
}

type complaintList struct {
	Complaints []models.Complaint `json:"complaints"`
	Total      int                `json:"total"`
	Page       claims.Page        `json:"page"`
}

// listComplaints is GET /v1/complaints?offset=N&limit=N: a rights holder's
// own complaints, or all for reviewers and admins.
func (s *Server) listComplaints(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	q := r.URL.Query()
	for k := range q {
		if k != "offset" && k != "limit" {
			return models.Errorf(models.EInvalid, "unknown parameter %q", k)
		}
	}
	pg, err := parsePage(q, s.limits.MaxPageSize)
	if err != nil {
		return err
	}
	cpg := claims.Page{Offset: pg.Offset, Limit: pg.Limit}
	cs, total, err := s.cfg.Claims.Complaints(r.Context(), p, cpg)
	if err != nil {
		return err
	}
	for i := range cs {
		cs[i] = publicComplaint(claims.ComplaintDetail{Complaint: cs[i]}).Complaint
	}
	writeJSON(w, http.StatusOK, complaintList{Complaints: cs, Total: total, Page: cpg.Normalize()})
	return nil
}

// getComplaint is GET /v1/complaints/{id} with the claims it became.
func (s *Server) getComplaint(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	d, err := s.cfg.Claims.Complaint(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if d.Claims == nil {
		d.Claims = []models.Claim{}
	}
	writeJSON(w, http.StatusOK, publicComplaint(d))
	return nil
}
