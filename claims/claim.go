package claims

import (
	"context"
	"fmt"
	"time"

	"github.com/copycat-video/copycat/models"
)

// ClaimPage is one page of a claim listing.
type ClaimPage struct {
	Claims []models.Claim `json:"claims"`
	// Total counts every claim matching the filter, not just this page.
	Total int  `json:"total"`
	Page  Page `json:"page"`
}

// ClaimDetail is one claim with its audit trail and the uploader's record.
type ClaimDetail struct {
	Claim  models.Claim        `json:"claim"`
	Events []models.AuditEvent `json:"events"`
	// UploaderStrikes counts the uploader's active strikes.
	UploaderStrikes int `json:"uploader_strikes"`
}

// List returns claims matching f. Rights holders only ever see their own
// organisation's claims, whatever f.Org says.
func (s *Service) List(ctx context.Context, p models.Principal, f Filter, pg Page) (ClaimPage, error) {
	if err := requireRole(p, "list claims", models.RoleReviewer, models.RoleRightsHolder); err != nil {
		return ClaimPage{}, err
	}
	if err := f.Validate(); err != nil {
		return ClaimPage{}, err
	}
	if p.Role == models.RoleRightsHolder {
		f.Org = p.Org
	}
	pg = pg.Normalize()
	var out ClaimPage
	err := s.store.View(ctx, func(tx Tx) error {
		cs, total, err := tx.Claims(ctx, f, pg)
		out = ClaimPage{Claims: cs, Total: total, Page: pg}
		return err
	})
	if out.Claims == nil {
		out.Claims = []models.Claim{}
	}
	return out, err
}

// Get returns a claim with its audit trail and evidence.
func (s *Service) Get(ctx context.Context, p models.Principal, id string) (ClaimDetail, error) {
	if err := requireRole(p, "get claim", models.RoleReviewer, models.RoleRightsHolder); err != nil {
		return ClaimDetail{}, err
	}
	var d ClaimDetail
	err := s.store.View(ctx, func(tx Tx) error {
		c, err := getVisible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		d.Claim = c
		if d.Events, err = tx.Events(ctx, models.SubjectClaim, id); err != nil {
			return err
		}
		if c.Upload.Uploader != "" {
			strikes, err := tx.Strikes(ctx, c.Upload.Uploader)
			if err != nil {
				return err
			}
			d.UploaderStrikes = countActive(strikes, s.clock())
		}
		return nil
	})
	return d, err
}

// getVisible loads a claim, hiding other organisations' claims from rights
// holders behind the same error an unknown id gets.
func getVisible(ctx context.Context, tx Tx, p models.Principal, id string) (models.Claim, error) {
	c, err := tx.Claim(ctx, id)
	if err != nil {
		return models.Claim{}, err
	}
	if !visible(p, c.Org) {
		return models.Claim{}, models.Errorf(models.ENotFound, "claim %q not found", id)
	}
	return c, nil
}

// Decide applies a reviewer's or claimant's decision with a required reason.
// expectedVersion is the version the decision was made on (0: whatever is
// current); when the claim changed since, the decision fails with EConflict
// so that of two reviewers deciding at once exactly one wins.
func (s *Service) Decide(ctx context.Context, p models.Principal, id string, d Decision, reason string, expectedVersion int64) (models.Claim, error) {
	if err := requireRole(p, "decide claim", models.RoleReviewer, models.RoleRightsHolder); err != nil {
		return models.Claim{}, err
	}
	kind := decisionKind(d)
	if kind == "" {
		return models.Claim{}, models.Errorf(models.EInvalid, "unknown decision %q (want review, escalate, uphold or reject)", d)
	}
	if err := checkText("reason", reason, true); err != nil {
		return models.Claim{}, err
	}
	return s.move(ctx, p, id, expectedVersion, kind, reason, nil)
}

// Dispute records the uploader's dispute of an upheld claim. The pipeline
// relays uploaders' disputes; reviewers and admins may enter one for them.
func (s *Service) Dispute(ctx context.Context, p models.Principal, id string, reason models.DisputeReason, statement string, expectedVersion int64) (models.Claim, error) {
	if err := requireRole(p, "dispute claim", models.RolePipeline, models.RoleReviewer); err != nil {
		return models.Claim{}, err
	}
	if _, err := models.ParseDisputeReason(string(reason)); err != nil {
		return models.Claim{}, err
	}
	if err := checkText("statement", statement, false); err != nil {
		return models.Claim{}, err
	}
	return s.move(ctx, p, id, expectedVersion, models.EventDispute, string(reason), func(c *models.Claim, now time.Time) error {
		c.Dispute = &models.Dispute{Reason: reason, Statement: statement, By: p.Name, At: now}
		return nil
	})
}

// CounterNotice records the uploader's counter-notice against a final
// claim; the claimant then has the counter-notice window to show court
// action, or the upload is reinstated. Only one counter-notice per claim.
func (s *Service) CounterNotice(ctx context.Context, p models.Principal, id, statement, contact string, expectedVersion int64) (models.Claim, error) {
	if err := requireRole(p, "send counter-notice", models.RolePipeline, models.RoleReviewer); err != nil {
		return models.Claim{}, err
	}
	if err := checkText("statement", statement, true); err != nil {
		return models.Claim{}, err
	}
	if err := checkText("contact", contact, true); err != nil {
		return models.Claim{}, err
	}
	return s.move(ctx, p, id, expectedVersion, models.EventCounterNotice, "counter-notice", func(c *models.Claim, now time.Time) error {
		if c.CounterNotice != nil {
			return models.Errorf(models.EConflict, "claim %s already had a counter-notice on %s", c.ID, c.CounterNotice.At.Format(time.DateOnly))
		}
		c.CounterNotice = &models.CounterNotice{Statement: statement, Contact: contact, By: p.Name, At: now}
		return nil
	})
}

// move runs one lifecycle transition in a transaction.
func (s *Service) move(ctx context.Context, p models.Principal, id string, expected int64, kind models.EventKind, reason string, mutate func(*models.Claim, time.Time) error) (models.Claim, error) {
	var out models.Claim
	err := s.store.Update(ctx, func(tx Tx) error {
		c, err := getVisible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if expected != 0 && c.Version != expected {
			return models.Errorf(models.EConflict, "claim %s changed since version %d (now version %d, %s); reload and try again", id, expected, c.Version, c.State)
		}
		t, err := findTransition(c.State, kind)
		if err != nil {
			return err
		}
		if !may(p, t.who, c) {
			return models.Errorf(models.EForbidden, "role %s may not %s a claim that is %s", p.Role, kind, c.State)
		}
		out, err = s.apply(ctx, tx, p, c, t, s.clock(), reason, "", mutate)
		return err
	})
	if err != nil {
		return models.Claim{}, err
	}
	s.log.Info("claim moved", "claim", id, "event", kind, "to", out.State, "actor", p.Name)
	return out, nil
}

// apply performs transition t on c inside tx: the new state and deadline,
// the audit event, and the side effects (strikes and the block list).
func (s *Service) apply(ctx context.Context, tx Tx, p models.Principal, c models.Claim, t transition, now time.Time, reason, detail string, mutate func(*models.Claim, time.Time) error) (models.Claim, error) {
	from := c.State
	c.State = t.to
	c.Updated = now
	c.Version++
	switch t.to {
	case models.StateInReview:
		if t.kind == models.EventEscalate {
			c.Escalated = true
			c.Deadline = now.Add(s.win.Escalation)
		}
	case models.StateUpheld:
		c.Deadline = now.Add(s.win.Dispute)
	case models.StateDisputed:
		c.Deadline = now.Add(s.win.Response)
	case models.StateCounterNoticed:
		c.Deadline = now.Add(s.win.CounterNotice)
	default:
		c.Deadline = time.Time{}
	}
	if mutate != nil {
		if err := mutate(&c, now); err != nil {
			return models.Claim{}, err
		}
	}
	if err := tx.UpdateClaim(ctx, c); err != nil {
		return models.Claim{}, err
	}
	ev := event(p, now, models.SubjectClaim, c.ID, t.kind)
	ev.From, ev.To, ev.Reason, ev.Detail = from, t.to, reason, detail
	if _, err := tx.AppendEvent(ctx, ev); err != nil {
		return models.Claim{}, err
	}
	switch t.to {
	case models.StateUpheld:
		if err := s.onUpheld(ctx, tx, p, c, now); err != nil {
			return models.Claim{}, err
		}
	case models.StateReinstated:
		if err := s.onReinstated(ctx, tx, p, c, now); err != nil {
			return models.Claim{}, err
		}
	}
	return c, nil
}

// onUpheld records a strike against the uploader and, for takedown and block
// claims, puts the reference and the upload on the block list.
func (s *Service) onUpheld(ctx context.Context, tx Tx, p models.Principal, c models.Claim, now time.Time) error {
	if c.Upload.Uploader != "" {
		st := models.Strike{Uploader: c.Upload.Uploader, ClaimID: c.ID, Created: now, Expires: now.Add(s.win.Strike)}
		if _, err := tx.AddStrike(ctx, st); err != nil {
			return err
		}
		ev := event(p, now, models.SubjectClaim, c.ID, models.EventStrike)
		ev.Detail = fmt.Sprintf("strike against uploader %s until %s", c.Upload.Uploader, st.Expires.Format(time.DateOnly))
		if _, err := tx.AppendEvent(ctx, ev); err != nil {
			return err
		}
	}
	if c.Action.Rank() < models.ActionTakedown.Rank() {
		return nil
	}
	var ids []string
	for _, id := range []string{c.Reference.ID, c.Upload.ID} {
		if id == "" {
			continue
		}
		if err := tx.AddBlock(ctx, models.BlockEntry{VideoID: id, ClaimID: c.ID, Created: now}); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	ev := event(p, now, models.SubjectClaim, c.ID, models.EventBlock)
	ev.Detail = fmt.Sprintf("block list: added %v", ids)
	_, err := tx.AppendEvent(ctx, ev)
	return err
}

// onReinstated undoes onUpheld: the strike is voided and the block entries go.
func (s *Service) onReinstated(ctx context.Context, tx Tx, p models.Principal, c models.Claim, now time.Time) error {
	voided, err := tx.VoidStrikes(ctx, c.ID, now)
	if err != nil {
		return err
	}
	removed, err := tx.RemoveBlocks(ctx, c.ID)
	if err != nil {
		return err
	}
	if voided+removed == 0 {
		return nil
	}
	ev := event(p, now, models.SubjectClaim, c.ID, models.EventBlock)
	ev.Detail = fmt.Sprintf("reinstated: %d strike(s) voided, %d block entries removed", voided, removed)
	_, err = tx.AppendEvent(ctx, ev)
	return err
}

// StrikeSummary is an uploader's repeat-infringer record.
type StrikeSummary struct {
	Uploader string          `json:"uploader"`
	Active   int             `json:"active"`
	Strikes  []models.Strike `json:"strikes"`
}

// Strikes returns an uploader's strikes and how many are active now.
func (s *Service) Strikes(ctx context.Context, p models.Principal, uploader string) (StrikeSummary, error) {
	if err := requireRole(p, "read strikes", models.RoleReviewer, models.RolePipeline); err != nil {
		return StrikeSummary{}, err
	}
	if uploader == "" {
		return StrikeSummary{}, models.Errorf(models.EInvalid, "uploader is empty")
	}
	out := StrikeSummary{Uploader: uploader}
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out.Strikes, err = tx.Strikes(ctx, uploader)
		return err
	})
	out.Active = countActive(out.Strikes, s.clock())
	if out.Strikes == nil {
		out.Strikes = []models.Strike{}
	}
	return out, err
}

func countActive(ss []models.Strike, now time.Time) int {
	n := 0
	for _, s := range ss {
		if s.Active(now) {
			n++
		}
	}
	return n
}
