// Package claims turns verdicts and complaints into claims with a lifecycle
// (open → in_review → upheld | rejected; upheld → disputed → reinstated |
// upheld_final; counter-notices), an append-only audit trail,
// repeat-infringer strikes, a block list, per-owner match policies and API
// tokens. Persistence is behind the Store contract (claims/sqlite,
// claims/postgres); claims/claimstest is the conformance suite.
//
// Every Service method takes the acting models.Principal and enforces the
// role rules: pipeline submits uploads, reviewers decide, rights holders see
// and act only on their own organisation's claims and complaints (another
// organisation's ids are ENotFound, so existence does not leak), admins do
// everything. The CLI acts as an admin.
//
// Deadlines and what happens when they pass (ProcessDeadlines):
//
//   - open, review window (default 14 days) passes → escalated: moved to
//     in_review with the escalated flag and a fresh escalation window
//     (default 14 days), so it heads the reviewer queue.
//   - in_review (escalated) and that window passes too → released
//     (rejected, reason "review deadline expired"), as Content ID releases
//     claims nobody reviewed within 30 days. A claim is never upheld by a
//     timer.
//   - upheld, dispute window (default 30 days) passes → upheld_final.
//   - disputed, claimant does not respond within the response window
//     (default 30 days, Content ID's) → reinstated.
//   - counter_noticed, no court action within the counter-notice window
//     (default 14 days, DMCA §512(g)'s 10–14 business days rounded to the
//     safe side) → reinstated.
package claims

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/copycat-video/copycat/models"
)

// Windows are the lengths of the waiting states.
type Windows struct {
	Review        time.Duration // open → escalation
	Escalation    time.Duration // escalated → released
	Dispute       time.Duration // upheld → upheld_final
	Response      time.Duration // disputed → reinstated
	CounterNotice time.Duration // counter_noticed → reinstated
	Strike        time.Duration // how long a strike counts
}

// DefaultWindows follow YouTube Content ID and the DMCA (see package doc).
func DefaultWindows() Windows {
	const day = 24 * time.Hour
	return Windows{
		Review:        14 * day,
		Escalation:    14 * day,
		Dispute:       30 * day,
		Response:      30 * day,
		CounterNotice: 14 * day,
		Strike:        90 * day,
	}
}

// Config configures a Service. Store is required.
type Config struct {
	Store Store
	// Verifier checks complaints by fingerprint matching; without one every
	// complaint claim is unverified and goes to review.
	Verifier Verifier
	Log      *slog.Logger
	// Now is the clock (time.Now when nil); tests pin it.
	Now func() time.Time
	// Windows default to DefaultWindows(); zero fields take the default.
	Windows Windows
	// DefaultLifted and DefaultDuplicate are the actions for matches no
	// policy covers (default review and track).
	DefaultLifted    models.Action
	DefaultDuplicate models.Action
	// MinScore ignores matches below it when opening auto claims (default 0:
	// the matcher's decision is trusted).
	MinScore float64
}

// Service is the claims workflow. It is safe for concurrent use.
type Service struct {
	store    Store
	verifier Verifier
	log      *slog.Logger
	now      func() time.Time
	win      Windows
	lifted   models.Action
	dup      models.Action
	minScore float64
}

// New returns a Service over cfg.Store.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, models.Errorf(models.EInvalid, "claims: a store is required")
	}
	s := &Service{
		store:    cfg.Store,
		verifier: cfg.Verifier,
		log:      cfg.Log,
		now:      cfg.Now,
		win:      cfg.Windows,
		lifted:   cfg.DefaultLifted,
		dup:      cfg.DefaultDuplicate,
		minScore: cfg.MinScore,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	def := DefaultWindows()
	for _, w := range []struct{ v, d *time.Duration }{
		{&s.win.Review, &def.Review}, {&s.win.Escalation, &def.Escalation}, {&s.win.Dispute, &def.Dispute},
		{&s.win.Response, &def.Response}, {&s.win.CounterNotice, &def.CounterNotice}, {&s.win.Strike, &def.Strike},
	} {
		if *w.v <= 0 {
			*w.v = *w.d
		}
	}
	if s.lifted == "" {
		s.lifted = models.ActionReview
	}
	if s.dup == "" {
		s.dup = models.ActionTrack
	}
	for _, a := range []models.Action{s.lifted, s.dup} {
		if _, err := models.ParseAction(string(a)); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// systemPrincipal is the actor of background jobs.
func systemPrincipal() models.Principal {
	return models.Principal{Role: models.RoleSystem, Name: "system"}
}

// clock returns the current time in UTC, truncated to microseconds so that
// what the stores keep round-trips exactly (PostgreSQL has µs precision).
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// newID returns prefix + 24 random hex digits.
func newID(prefix string) string {
	var b [12]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + hex.EncodeToString(b[:])
}

// requireRole returns EUnauthorized for an anonymous principal and
// EForbidden unless p has one of roles (admin always passes).
func requireRole(p models.Principal, what string, roles ...models.Role) error {
	if p.Role == "" {
		return models.Errorf(models.EUnauthorized, "%s: sign in first", what)
	}
	if p.Role == models.RoleAdmin || p.Role == models.RoleSystem {
		return nil
	}
	for _, r := range roles {
		if p.Role == r {
			if r == models.RoleRightsHolder && p.Org == "" {
				return models.Errorf(models.EForbidden, "%s: rights holder token has no organisation", what)
			}
			return nil
		}
	}
	return models.Errorf(models.EForbidden, "%s: not allowed for role %s", what, p.Role)
}

// visible reports whether p may see a claim of org. Rights holders see only
// their own organisation's; callers turn false into ENotFound.
func visible(p models.Principal, org string) bool {
	return p.Role != models.RoleRightsHolder || p.Org == org
}

// may reports whether p may make a move done by who on claim c.
func may(p models.Principal, who actors, c models.Claim) bool {
	switch p.Role {
	case models.RoleAdmin:
		return who&(byReviewer|byClaimant|byUploader) != 0
	case models.RoleSystem:
		return who&bySystem != 0
	case models.RoleReviewer:
		return who&(byReviewer|byUploader) != 0
	case models.RoleRightsHolder:
		return who&byClaimant != 0 && p.Org == c.Org
	case models.RolePipeline:
		return who&byUploader != 0
	}
	return false
}

// event builds an audit event for p.
func event(p models.Principal, at time.Time, subject, id string, kind models.EventKind) models.AuditEvent {
	return models.AuditEvent{At: at, Actor: p.Name, ActorRole: p.Role, Subject: subject, SubjectID: id, Kind: kind}
}

// maxText bounds free-text fields (reasons, statements) so that no one can
// fill the audit trail with megabytes.
const maxText = 4000

func checkText(field, s string, required bool) error {
	if required && len(s) == 0 {
		return models.Errorf(models.EInvalid, "%s is required", field)
	}
	if len(s) > maxText {
		return models.Errorf(models.EInvalid, "%s is longer than %d bytes", field, maxText)
	}
	return nil
}

// retryConflicts runs fn again, after a short random pause, while it fails
// with EConflict. It is for system-side races only (merging into a claim
// another transaction just changed, two inserts of the same claim); a
// person's decision on a stale version is never retried: they must look
// again.
func retryConflicts(ctx context.Context, fn func() error) error {
	const attempts = 8
	var err error
	for i := range attempts {
		if err = fn(); models.ErrorCode(err) != models.EConflict {
			return err
		}
		pause := time.Duration(1+rand.IntN(5*(i+1))) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
	return err
}
