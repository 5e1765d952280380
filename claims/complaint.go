package claims

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/copycat-video/copycat/models"
)

// Verifier checks a complaint's original against an accused upload by
// fingerprint matching. claims may not import fingerprint, index or matcher,
// so the pipeline layer implements this and the CLI wires it in.
type Verifier interface {
	// Verify returns the match between the original and the upload, or nil
	// when they do not match. A models.ENotFound error means the upload (or
	// the reference) is unknown to the verifier.
	Verify(ctx context.Context, original models.ComplaintOriginal, uploadID string) (*models.Match, error)
}

// ComplaintRequest is what a rights holder files.
type ComplaintRequest struct {
	// Org is the complaining organisation; only admins set it, rights
	// holders always file for their own.
	Org       string                   `json:"org,omitempty"`
	Original  models.ComplaintOriginal `json:"original"`
	UploadIDs []string                 `json:"upload_ids"`
	// Action is what the rights holder asks for (default takedown).
	Action    models.Action `json:"action,omitempty"`
	Statement string        `json:"statement,omitempty"`
}

// ComplaintDetail is a complaint with the claims it became.
type ComplaintDetail struct {
	Complaint models.Complaint `json:"complaint"`
	Claims    []models.Claim   `json:"claims"`
}

// Complaint limits.
const (
	MaxAccused           = 100
	MaxFingerprintFrames = 200000
)

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate checks a complaint request (not who may file it).
func (r ComplaintRequest) Validate() error {
	o := r.Original
	switch {
	case o.ReferenceID == "" && o.Fingerprint == nil:
		return models.Errorf(models.EInvalid, "complaint: name the original by reference id or fingerprint")
	case o.ReferenceID != "" && o.Fingerprint != nil:
		return models.Errorf(models.EInvalid, "complaint: give either a reference id or a fingerprint, not both")
	case o.ReferenceID != "":
		if err := models.ValidateID(o.ReferenceID); err != nil {
			return models.WrapError(models.EInvalid, err, "complaint: reference id")
		}
	default:
		f := o.Fingerprint
		if len(f.Frames) == 0 {
			return models.Errorf(models.EInvalid, "complaint: the original's fingerprint has no frames")
		}
		if len(f.Frames) > MaxFingerprintFrames {
			return models.Errorf(models.EInvalid, "complaint: the original's fingerprint has more than %d frames", MaxFingerprintFrames)
		}
		for _, h := range f.Frames {
			if !h.Kind.Valid() {
				return models.Errorf(models.EInvalid, "complaint: fingerprint frame at %.2fs has unknown hash kind %q", h.T, h.Kind)
			}
		}
	}
	if len(o.Published.Platform) > 64 || len(o.Published.URL) > 4096 || len(o.Title) > 1024 {
		return models.Errorf(models.EInvalid, "complaint: a field of the original is too long")
	}
	if len(r.UploadIDs) == 0 {
		return models.Errorf(models.EInvalid, "complaint: name at least one accused upload")
	}
	if len(r.UploadIDs) > MaxAccused {
		return models.Errorf(models.EInvalid, "complaint: at most %d accused uploads per complaint", MaxAccused)
	}
	seen := map[string]bool{}
	for _, id := range r.UploadIDs {
		if err := models.ValidateID(id); err != nil {
			return models.WrapError(models.EInvalid, err, "complaint: accused upload id")
		}
		if seen[id] {
			return models.Errorf(models.EInvalid, "complaint: upload %q is listed twice", id)
		}
		seen[id] = true
	}
	if r.Action != "" {
		if a, err := models.ParseAction(string(r.Action)); err != nil {
			return err
		} else if a == models.ActionAllow {
			return models.Errorf(models.EInvalid, "complaint: action allow asks for nothing")
		}
	}
	return checkText("statement", r.Statement, false)
}

// DecodeComplaint parses a complaint request from JSON (the CLI's complaint
// files and the HTTP API body), rejecting unknown fields and trailing data.
func DecodeComplaint(b []byte) (ComplaintRequest, error) {
	var r ComplaintRequest
	if err := decodeStrict(b, &r); err != nil {
		return ComplaintRequest{}, models.WrapError(models.EInvalid, err, "complaint: malformed JSON")
	}
	if err := r.Validate(); err != nil {
		return ComplaintRequest{}, err
	}
	return r, nil
}

// originalVideo is the reference a complaint's claims point to.
func originalVideo(org string, o models.ComplaintOriginal) models.Video {
	v := models.Video{ID: o.ReferenceID, Platform: o.Published.Platform, URL: o.Published.URL, Author: org, Published: o.Published.At}
	if o.Fingerprint != nil {
		sum := o.Fingerprint.Source.SHA256
		if !sha256Hex.MatchString(sum) {
			b, _ := json.Marshal(o.Fingerprint.Frames) // frames always marshal
			h := sha256.Sum256(b)
			sum = hex.EncodeToString(h[:])
		}
		v.ID = "original:" + sum
		v.Duration = o.Fingerprint.Source.Duration
	}
	if v.Platform == "" {
		v.Platform = "complaint"
	}
	return v
}

type verification struct {
	match *models.Match
	note  string
}

// FileComplaint files a complaint: each accused upload is verified against
// the original, then becomes a claim (open when verified, in_review and
// marked unverified otherwise; never upheld without a reviewer) or merges
// into the organisation's active claim on the same upload and reference.
func (s *Service) FileComplaint(ctx context.Context, p models.Principal, r ComplaintRequest) (ComplaintDetail, error) {
	if err := requireRole(p, "file complaint", models.RoleRightsHolder); err != nil {
		return ComplaintDetail{}, err
	}
	if p.Role == models.RoleRightsHolder {
		r.Org = p.Org
	}
	if r.Org == "" {
		return ComplaintDetail{}, models.Errorf(models.EInvalid, "complaint: org is required")
	}
	if r.Action == "" {
		r.Action = models.ActionTakedown
	}
	if err := r.Validate(); err != nil {
		return ComplaintDetail{}, err
	}
	ref := originalVideo(r.Org, r.Original)
	// Verification runs outside the transaction: it may take seconds.
	ver := make([]verification, len(r.UploadIDs))
	for i, id := range r.UploadIDs {
		if s.verifier == nil {
			ver[i].note = "no verifier configured: needs manual review"
			continue
		}
		m, err := s.verifier.Verify(ctx, r.Original, id)
		switch {
		case ctx.Err() != nil:
			return ComplaintDetail{}, ctx.Err()
		case models.ErrorCode(err) == models.ENotFound:
			ver[i].note = "verification: " + models.ErrorMessage(err)
		case err != nil:
			s.log.Warn("complaint verification failed", "upload", id, "err", err)
			ver[i].note = "verification failed: " + models.ErrorMessage(err)
		case m == nil:
			ver[i].note = "the original does not match the upload"
		default:
			ver[i].match = m
			ver[i].note = fmt.Sprintf("verified: score %.2f, %.1fs matched", m.Score, MatchedDuration(*m))
		}
	}

	// Two complaints about the same upload filed at once can both find no
	// active claim; the store's uniqueness check fails the second, and a
	// retry merges it into the first one's claim.
	var out ComplaintDetail
	err := retryConflicts(ctx, func() error {
		var err error
		out, err = s.fileTx(ctx, p, r, ref, ver)
		return err
	})
	if err != nil {
		return ComplaintDetail{}, err
	}
	s.log.Info("complaint filed", "complaint", out.Complaint.ID, "org", r.Org, "claims", len(out.Claims))
	return out, nil
}

// fileTx stores a complaint and its claims in one transaction.
func (s *Service) fileTx(ctx context.Context, p models.Principal, r ComplaintRequest, ref models.Video, ver []verification) (ComplaintDetail, error) {
	var out ComplaintDetail
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.clock()
		cp := models.Complaint{
			ID: newID("cp_"), Org: r.Org, FiledBy: p.Name, Original: r.Original,
			UploadIDs: r.UploadIDs, Action: r.Action, Statement: r.Statement, Created: now,
		}
		for i, id := range r.UploadIDs {
			c, err := s.complaintClaim(ctx, tx, p, cp, ref, id, ver[i], now)
			if err != nil {
				return err
			}
			cp.ClaimIDs = append(cp.ClaimIDs, c.ID)
			out.Claims = append(out.Claims, c)
		}
		if err := tx.InsertComplaint(ctx, cp); err != nil {
			return err
		}
		ev := event(p, now, models.SubjectComplaint, cp.ID, models.EventFile)
		ev.Reason = r.Statement
		ev.Detail = fmt.Sprintf("original %s, %d accused upload(s), claims %v", ref.ID, len(r.UploadIDs), cp.ClaimIDs)
		if _, err := tx.AppendEvent(ctx, ev); err != nil {
			return err
		}
		out.Complaint = cp
		return nil
	})
	return out, err
}

// complaintClaim opens or merges the claim for one accused upload.
func (s *Service) complaintClaim(ctx context.Context, tx Tx, p models.Principal, cp models.Complaint, ref models.Video, uploadID string, v verification, now time.Time) (models.Claim, error) {
	c, found, err := tx.ActiveClaim(ctx, uploadID, ref.ID, cp.Org)
	if err != nil {
		return models.Claim{}, err
	}
	if found {
		c.ComplaintIDs = append(c.ComplaintIDs, cp.ID)
		if v.match != nil && c.Verification == models.VerificationUnverified {
			c.Verification, c.Match = models.VerificationVerified, *v.match
		}
		c.Updated = now
		c.Version++
		if err := tx.UpdateClaim(ctx, c); err != nil {
			return models.Claim{}, err
		}
		ev := event(p, now, models.SubjectClaim, c.ID, models.EventMerge)
		ev.Detail = fmt.Sprintf("complaint %s merged (%s)", cp.ID, v.note)
		_, err := tx.AppendEvent(ctx, ev)
		return c, err
	}
	up := models.Upload{ID: uploadID}
	if r, err := tx.UploadResult(ctx, uploadID); err == nil {
		up = r.Upload
	} else if models.ErrorCode(err) != models.ENotFound {
		return models.Claim{}, err
	}
	c = models.Claim{
		ID: newID("cl_"), Upload: up, Reference: ref, Org: cp.Org, Action: cp.Action,
		Origin: models.OriginComplaint, State: models.StateOpen, Verification: models.VerificationVerified,
		Deadline: now.Add(s.win.Review), ComplaintIDs: []string{cp.ID}, Note: v.note,
		Created: now, Updated: now, Version: 1,
	}
	if v.match != nil {
		c.Match = *v.match
		fillReference(&c.Reference, v.match.Reference)
		c.Match.Reference = c.Reference
	} else {
		c.State, c.Verification = models.StateInReview, models.VerificationUnverified
		c.Match.Reference = ref
	}
	if err := tx.InsertClaim(ctx, c); err != nil {
		return models.Claim{}, err
	}
	ev := event(p, now, models.SubjectClaim, c.ID, models.EventFile)
	ev.To, ev.Reason, ev.Detail = c.State, cp.Statement, fmt.Sprintf("complaint %s: %s", cp.ID, v.note)
	_, err = tx.AppendEvent(ctx, ev)
	return c, err
}

// fillReference completes the complaint's view of the original with what the
// index knows, keeping the rights holder's first-publication claim.
func fillReference(dst *models.Video, idx models.Video) {
	if idx.ID != dst.ID {
		return
	}
	if dst.Platform == "complaint" && idx.Platform != "" {
		dst.Platform = idx.Platform
	}
	if dst.URL == "" {
		dst.URL = idx.URL
	}
	if dst.Published.IsZero() {
		dst.Published = idx.Published
	}
	if dst.Duration == 0 {
		dst.Duration = idx.Duration
	}
	if idx.ExternalID != "" {
		dst.ExternalID = idx.ExternalID
	}
}

// Complaints lists complaints, newest first: a rights holder's own, or all
// for reviewers and admins.
func (s *Service) Complaints(ctx context.Context, p models.Principal, pg Page) ([]models.Complaint, int, error) {
	if err := requireRole(p, "list complaints", models.RoleRightsHolder, models.RoleReviewer); err != nil {
		return nil, 0, err
	}
	org := ""
	if p.Role == models.RoleRightsHolder {
		org = p.Org
	}
	var out []models.Complaint
	var total int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, total, err = tx.Complaints(ctx, org, pg.Normalize())
		return err
	})
	if out == nil {
		out = []models.Complaint{}
	}
	return out, total, err
}

// MyComplaints is Complaints for the rights-holder pages.
func (s *Service) MyComplaints(ctx context.Context, p models.Principal, pg Page) ([]models.Complaint, int, error) {
	return s.Complaints(ctx, p, pg)
}

// Complaint returns one complaint with the current state of its claims.
func (s *Service) Complaint(ctx context.Context, p models.Principal, id string) (ComplaintDetail, error) {
	if err := requireRole(p, "get complaint", models.RoleRightsHolder, models.RoleReviewer); err != nil {
		return ComplaintDetail{}, err
	}
	var d ComplaintDetail
	err := s.store.View(ctx, func(tx Tx) error {
		cp, err := tx.Complaint(ctx, id)
		if err != nil {
			return err
		}
		if !visible(p, cp.Org) {
			return models.Errorf(models.ENotFound, "complaint %q not found", id)
		}
		d.Complaint = cp
		for _, cid := range cp.ClaimIDs {
			c, err := tx.Claim(ctx, cid)
			if err != nil {
				return err
			}
			d.Claims = append(d.Claims, c)
		}
		return nil
	})
	return d, err
}
