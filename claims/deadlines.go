package claims

import (
	"context"
	"fmt"
	"time"

	"github.com/copycat-video/copycat/models"
)

// DeadlineReport counts what one ProcessDeadlines pass did.
type DeadlineReport struct {
	Escalated  int `json:"escalated"`
	Released   int `json:"released"`
	Finalised  int `json:"finalised"`
	Reinstated int `json:"reinstated"`
	// Conflicts counts claims someone changed while the job looked at them;
	// they are picked up again on the next pass if still due.
	Conflicts int `json:"conflicts"`
}

// deadlineBatch bounds one transaction of the deadline job.
const deadlineBatch = 100

// ProcessDeadlines applies every deadline that passed at or before now (see
// the package doc for what each expiry does). Each claim moves in its own
// transaction with an audit event by "system"; a claim a person changed in
// the meantime is skipped (optimistic concurrency), not overwritten.
func (s *Service) ProcessDeadlines(ctx context.Context, now time.Time) (DeadlineReport, error) {
	var rep DeadlineReport
	now = now.UTC().Truncate(time.Microsecond)
	skip := map[string]bool{}
	for {
		var due []models.Claim
		err := s.store.View(ctx, func(tx Tx) error {
			var err error
			due, err = tx.DueClaims(ctx, now, deadlineBatch+len(skip))
			return err
		})
		if err != nil {
			return rep, err
		}
		progressed := false
		for _, c := range due {
			if skip[c.ID] {
				continue
			}
			skip[c.ID] = true
			progressed = true
			if err := s.expire(ctx, c, now, &rep); err != nil {
				if models.ErrorCode(err) == models.EConflict {
					rep.Conflicts++
					continue
				}
				return rep, err
			}
		}
		if !progressed {
			break
		}
	}
	if rep != (DeadlineReport{}) {
		s.log.Info("deadlines processed", "escalated", rep.Escalated, "released", rep.Released,
			"finalised", rep.Finalised, "reinstated", rep.Reinstated, "conflicts", rep.Conflicts)
	}
	return rep, nil
}

// expire applies the expiry of one claim's deadline.
func (s *Service) expire(ctx context.Context, seen models.Claim, now time.Time, rep *DeadlineReport) error {
	p := systemPrincipal()
	return s.store.Update(ctx, func(tx Tx) error {
		c, err := tx.Claim(ctx, seen.ID)
		if err != nil {
			return err
		}
		if c.Version != seen.Version || c.Deadline.IsZero() || c.Deadline.After(now) {
			return models.Errorf(models.EConflict, "claim %s changed", c.ID)
		}
		kind := models.EventExpire
		if (c.State == models.StateOpen || c.State == models.StateInReview) && !c.Escalated {
			kind = models.EventEscalate
		}
		t, err := findTransition(c.State, kind)
		if err != nil {
			return err
		}
		reason := fmt.Sprintf("deadline %s passed: %s", c.Deadline.Format(time.RFC3339), t.why)
		if _, err := s.apply(ctx, tx, p, c, t, now, reason, "", nil); err != nil {
			return err
		}
		switch t.to {
		case models.StateInReview:
			rep.Escalated++
		case models.StateRejected:
			rep.Released++
		case models.StateUpheldFinal:
			rep.Finalised++
		case models.StateReinstated:
			rep.Reinstated++
		}
		return nil
	})
}

// RunDeadlines calls ProcessDeadlines every interval until ctx ends. A
// failed pass is logged and retried on the next tick rather than stopping the
// job: deadlines are re-derived from the store each time.
func (s *Service) RunDeadlines(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return models.Errorf(models.EInvalid, "deadline interval must be positive")
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.ProcessDeadlines(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Error("deadline job failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
