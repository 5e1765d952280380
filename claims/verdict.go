package claims

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// OnVerdict turns the matcher's verdict on an upload into claims and the
// action the platform should take, and stores the result under the upload id.
//
// It is idempotent per upload id: a redelivered upload gets the stored
// result back and opens no second claim, even when two deliveries race
// (the store's insert-if-absent decides, the loser's claims roll back).
//
// For a lifted or duplicate verdict, each matched reference gets a claim on
// behalf of its owner according to the owner's policy (see SetPolicy);
// references on the block list (content of an upheld takedown/block claim)
// get action block. The upload's action is the most restrictive one.
func (s *Service) OnVerdict(ctx context.Context, p models.Principal, u models.Upload, v models.Verdict) (models.UploadResult, error) {
	if err := requireRole(p, "submit upload", models.RolePipeline); err != nil {
		return models.UploadResult{}, err
	}
	if err := models.ValidateID(u.ID); err != nil {
		return models.UploadResult{}, models.WrapError(models.EInvalid, err, "upload id")
	}
	switch v.Verdict {
	case models.Clean, models.Duplicate, models.Lifted:
	default:
		return models.UploadResult{}, models.Errorf(models.EInvalid, "upload %s: unknown verdict %q", u.ID, v.Verdict)
	}
	for _, m := range v.Matches {
		if err := m.Reference.Validate(); err != nil {
			return models.UploadResult{}, models.WrapError(models.EInvalid, err, "upload %s: match reference", u.ID)
		}
	}
	var stored models.UploadResult
	found := false
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		stored, err = tx.UploadResult(ctx, u.ID)
		found = err == nil
		if models.ErrorCode(err) == models.ENotFound {
			return nil
		}
		return err
	})
	if err != nil || found {
		return stored, err
	}

	// A complaint claim on the same upload and reference committed between
	// our read and our insert makes the insert conflict; a retry merges.
	var out models.UploadResult
	err = retryConflicts(ctx, func() error {
		var err error
		out, err = s.verdictTx(ctx, p, u, v)
		return err
	})
	if err != nil {
		return models.UploadResult{}, err
	}
	s.log.Info("upload checked", "upload", u.ID, "verdict", v.Verdict, "action", out.Action, "claims", len(out.ClaimIDs))
	return out, nil
}

// verdictTx stores an upload's result and opens its claims in one
// transaction; when another delivery stored a result first, it returns that
// one and rolls its own claims back.
func (s *Service) verdictTx(ctx context.Context, p models.Principal, u models.Upload, v models.Verdict) (models.UploadResult, error) {
	errExists := errors.New("upload result exists")
	var out models.UploadResult
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.clock()
		plan, err := s.plan(ctx, tx, u, v)
		if err != nil {
			return err
		}
		res := models.UploadResult{Upload: u, Verdict: v, Action: models.ActionAllow, ClaimIDs: []string{}, CheckedAt: now}
		for _, c := range plan {
			res.ClaimIDs = append(res.ClaimIDs, c.claim.ID)
			if c.claim.Action.Rank() > res.Action.Rank() {
				res.Action = c.claim.Action
			}
		}
		got, inserted, err := tx.PutUploadResult(ctx, res)
		if err != nil {
			return err
		}
		out = got
		if !inserted {
			return errExists // roll back: another delivery won
		}
		for _, c := range plan {
			if c.existing {
				continue
			}
			c.claim.Created, c.claim.Updated = now, now
			c.claim.Deadline = now.Add(s.win.Review)
			if err := tx.InsertClaim(ctx, c.claim); err != nil {
				return err
			}
			ev := event(p, now, models.SubjectClaim, c.claim.ID, models.EventOpen)
			ev.To, ev.Reason, ev.Detail = models.StateOpen, string(v.Verdict), c.claim.Note
			if _, err := tx.AppendEvent(ctx, ev); err != nil {
				return err
			}
		}
		if res.Action != models.ActionAllow {
			ev := event(p, now, models.SubjectUpload, u.ID, models.EventCheck)
			ev.Reason = string(v.Verdict)
			ev.Detail = fmt.Sprintf("action %s, claims %s", res.Action, strings.Join(res.ClaimIDs, ","))
			if _, err := tx.AppendEvent(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errExists) {
		return out, nil
	}
	return out, err
}

type planned struct {
	claim    models.Claim
	existing bool // an active claim on the same upload and reference
}

// plan decides which claims a verdict opens.
func (s *Service) plan(ctx context.Context, tx Tx, u models.Upload, v models.Verdict) ([]planned, error) {
	if v.Verdict == models.Clean {
		return nil, nil
	}
	ids := make([]string, 0, len(v.Matches))
	for _, m := range v.Matches {
		ids = append(ids, m.Reference.ID)
	}
	blocks, err := tx.Blocked(ctx, ids)
	if err != nil {
		return nil, err
	}
	policies, err := tx.Policies(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []planned
	seen := map[string]bool{}
	for _, m := range v.Matches {
		if m.Score < s.minScore || seen[m.Reference.ID] {
			continue
		}
		seen[m.Reference.ID] = true
		org, action, note := s.policyAction(policies, v.Verdict, m)
		for _, b := range blocks {
			if b.VideoID == m.Reference.ID {
				action = models.ActionBlock
				note = fmt.Sprintf("matches content blocked by upheld claim %s", b.ClaimID)
				break
			}
		}
		if action.Rank() == 0 {
			continue
		}
		if c, ok, err := tx.ActiveClaim(ctx, u.ID, m.Reference.ID, org); err != nil {
			return nil, err
		} else if ok {
			out = append(out, planned{claim: c, existing: true})
			continue
		}
		out = append(out, planned{claim: models.Claim{
			ID: newID("cl_"), Upload: u, Reference: m.Reference, Match: m, Org: org,
			Action: action, Origin: models.OriginAuto, State: models.StateOpen, Note: note, Version: 1,
		}})
	}
	return out, nil
}

// policyAction picks the policy covering m's reference (the most specific
// one: platform and author beat platform or author alone, which beat a
// catch-all; ties go to the lowest id) and the most restrictive action among
// its rules that m satisfies. A covering policy none of whose rules match
// means allow: the owner chose not to claim such matches. Without a
// covering policy the claimant is the reference's platform and the action
// the service default for the verdict.
func (s *Service) policyAction(policies []models.Policy, d models.Decision, m models.Match) (org string, a models.Action, note string) {
	var best *models.Policy
	bestSpec := -1
	for i := range policies {
		pol := &policies[i]
		if (pol.Platform != "" && pol.Platform != m.Reference.Platform) || (pol.Author != "" && pol.Author != m.Reference.Author) {
			continue
		}
		spec := 0
		if pol.Platform != "" {
			spec++
		}
		if pol.Author != "" {
			spec++
		}
		if spec > bestSpec || (spec == bestSpec && pol.ID < best.ID) {
			best, bestSpec = pol, spec
		}
	}
	if best == nil {
		a = s.lifted
		if d == models.Duplicate {
			a = s.dup
		}
		org = m.Reference.Platform
		if m.Reference.Author != "" && m.Reference.Platform == models.PlatformSelf {
			org = models.PlatformSelf
		}
		return org, a, fmt.Sprintf("no policy covers %s; default action for %s", m.Reference.ID, d)
	}
	a = models.ActionAllow
	dur := MatchedDuration(m)
	rule := -1
	for i, r := range best.Rules {
		if dur >= r.MinDuration && m.QueryCoverage >= r.MinQueryCoverage && m.ReferenceCoverage >= r.MinReferenceCoverage && r.Action.Rank() > a.Rank() {
			a, rule = r.Action, i
		}
	}
	if rule < 0 {
		return best.Org, a, fmt.Sprintf("policy %s: no rule matched (%.1fs matched)", best.ID, dur)
	}
	return best.Org, a, fmt.Sprintf("policy %s rule %d: %.1fs matched, coverage %.2f/%.2f", best.ID, rule+1, dur, m.QueryCoverage, m.ReferenceCoverage)
}

// MatchedDuration is the length of the upload covered by m's segments, in
// seconds; overlapping segments count once.
func MatchedDuration(m models.Match) float64 {
	type span struct{ a, b float64 }
	spans := make([]span, 0, len(m.Segments))
	for _, s := range m.Segments {
		a, b := math.Min(s.QueryStart, s.QueryEnd), math.Max(s.QueryStart, s.QueryEnd)
		if !math.IsNaN(a) && !math.IsNaN(b) {
			spans = append(spans, span{a, b})
		}
	}
	slices.SortFunc(spans, func(x, y span) int {
		switch {
		case x.a < y.a:
			return -1
		case x.a > y.a:
			return 1
		}
		return 0
	})
	total, end := 0.0, math.Inf(-1)
	for _, sp := range spans {
		if sp.a > end {
			total += sp.b - sp.a
			end = sp.b
		} else if sp.b > end {
			total += sp.b - end
			end = sp.b
		}
	}
	return total
}

// UploadResult returns the stored result of an earlier check.
func (s *Service) UploadResult(ctx context.Context, p models.Principal, uploadID string) (models.UploadResult, error) {
	if err := requireRole(p, "read upload result", models.RolePipeline, models.RoleReviewer); err != nil {
		return models.UploadResult{}, err
	}
	var r models.UploadResult
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		r, err = tx.UploadResult(ctx, uploadID)
		return err
	})
	return r, err
}

// Blocked returns the block-list entries for any of videoIDs. The pipeline
// may call it before matching finishes to refuse known content early.
func (s *Service) Blocked(ctx context.Context, p models.Principal, videoIDs []string) ([]models.BlockEntry, error) {
	if err := requireRole(p, "read block list", models.RolePipeline, models.RoleReviewer); err != nil {
		return nil, err
	}
	var out []models.BlockEntry
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Blocked(ctx, videoIDs)
		return err
	})
	return out, err
}

// SetPolicy creates or replaces a match policy. Rights holders set their
// own organisation's policies only; admins any.
func (s *Service) SetPolicy(ctx context.Context, p models.Principal, pol models.Policy) (models.Policy, error) {
	if err := requireRole(p, "set policy", models.RoleRightsHolder); err != nil {
		return models.Policy{}, err
	}
	if p.Role == models.RoleRightsHolder {
		pol.Org = p.Org
	}
	if pol.ID == "" {
		pol.ID = newID("pol_")
	}
	if err := ValidatePolicy(pol); err != nil {
		return models.Policy{}, err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		old, err := tx.Policies(ctx, "")
		if err != nil {
			return err
		}
		for _, o := range old {
			if o.ID == pol.ID && !visible(p, o.Org) {
				return models.Errorf(models.ENotFound, "policy %q not found", pol.ID)
			}
		}
		pol.Updated = s.clock()
		if err := tx.PutPolicy(ctx, pol); err != nil {
			return err
		}
		ev := event(p, pol.Updated, models.SubjectPolicy, pol.ID, models.EventPolicySet)
		ev.Detail = fmt.Sprintf("org %s platform %q author %q, %d rules", pol.Org, pol.Platform, pol.Author, len(pol.Rules))
		_, err = tx.AppendEvent(ctx, ev)
		return err
	})
	return pol, err
}

// Policies lists policies (a rights holder's own only).
func (s *Service) Policies(ctx context.Context, p models.Principal) ([]models.Policy, error) {
	if err := requireRole(p, "list policies", models.RoleRightsHolder, models.RoleReviewer); err != nil {
		return nil, err
	}
	org := ""
	if p.Role == models.RoleRightsHolder {
		org = p.Org
	}
	var out []models.Policy
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Policies(ctx, org)
		return err
	})
	return out, err
}

// DeletePolicy removes a policy.
func (s *Service) DeletePolicy(ctx context.Context, p models.Principal, id string) error {
	if err := requireRole(p, "delete policy", models.RoleRightsHolder); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		pols, err := tx.Policies(ctx, "")
		if err != nil {
			return err
		}
		i := slices.IndexFunc(pols, func(x models.Policy) bool { return x.ID == id })
		if i < 0 || !visible(p, pols[i].Org) {
			return models.Errorf(models.ENotFound, "policy %q not found", id)
		}
		if err := tx.DeletePolicy(ctx, id); err != nil {
			return err
		}
		_, err = tx.AppendEvent(ctx, event(p, s.clock(), models.SubjectPolicy, id, models.EventPolicyDelete))
		return err
	})
}

// ValidatePolicy checks a policy's fields.
func ValidatePolicy(pol models.Policy) error {
	if err := models.ValidateID(pol.ID); err != nil {
		return models.WrapError(models.EInvalid, err, "policy id")
	}
	if pol.Org == "" {
		return models.Errorf(models.EInvalid, "policy %s: org is empty", pol.ID)
	}
	if len(pol.Rules) == 0 || len(pol.Rules) > 32 {
		return models.Errorf(models.EInvalid, "policy %s: want 1 to 32 rules, got %d", pol.ID, len(pol.Rules))
	}
	for i, r := range pol.Rules {
		if _, err := models.ParseAction(string(r.Action)); err != nil {
			return models.WrapError(models.EInvalid, err, "policy %s rule %d", pol.ID, i+1)
		}
		if !(r.MinDuration >= 0 && r.MinDuration < 1e7) || !(r.MinQueryCoverage >= 0 && r.MinQueryCoverage <= 1) || !(r.MinReferenceCoverage >= 0 && r.MinReferenceCoverage <= 1) {
			return models.Errorf(models.EInvalid, "policy %s rule %d: durations must be >= 0 and coverages in [0,1]", pol.ID, i+1)
		}
	}
	return nil
}
