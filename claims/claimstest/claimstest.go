// Package claimstest is the conformance suite every claims.Store passes:
// Run it from a backend's tests with a constructor for fresh, empty stores.
package claimstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// Run runs the whole suite. newStore must return a new, empty store for each
// call and close it (t.Cleanup) when the test ends.
func Run(t *testing.T, newStore func(t *testing.T) claims.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s claims.Store)
	}{
		{"ClaimRoundTrip", testClaimRoundTrip},
		{"UpdateClaimVersion", testUpdateClaimVersion},
		{"ActiveClaimUnique", testActiveClaimUnique},
		{"ListFilterPage", testListFilterPage},
		{"DueClaims", testDueClaims},
		{"EventsAppendOnly", testEventsAppendOnly},
		{"ViewIsReadOnly", testViewIsReadOnly},
		{"Rollback", testRollback},
		{"Complaints", testComplaints},
		{"UploadResultInsertIfAbsent", testUploadResult},
		{"Strikes", testStrikes},
		{"Blocks", testBlocks},
		{"Policies", testPolicies},
		{"Tokens", testTokens},
		{"ConcurrentDecide", testConcurrentDecide},
		{"ConcurrentUploadResult", testConcurrentUploadResult},
		{"ConcurrentComplaintsMerge", testConcurrentComplaints},
		{"ServiceLifecycle", testServiceLifecycle},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// base is a fixed clock for the suite (µs precision, as stores keep it).
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// NewClaim returns a valid open claim for tests.
func NewClaim(id, upload, ref, org string) models.Claim {
	return models.Claim{
		ID:        id,
		Upload:    models.Upload{ID: upload, Uploader: "user-" + upload, Published: base.Add(-time.Hour)},
		Reference: models.Video{ID: ref, Platform: "tiktok", Author: "alice", Duration: 15, Published: base.Add(-48 * time.Hour)},
		Match: models.Match{
			Reference: models.Video{ID: ref, Platform: "tiktok"}, Score: 0.9, QueryCoverage: 0.8, ReferenceCoverage: 0.7,
			Segments: []models.Segment{{QueryStart: 1, QueryEnd: 9, ReferenceStart: 2, ReferenceEnd: 10}},
			Evidence: []models.FramePair{{QueryT: 1, ReferenceT: 2, Distance: 3}},
		},
		Org: org, Action: models.ActionTakedown, Origin: models.OriginAuto, State: models.StateOpen,
		Deadline: base.Add(24 * time.Hour), Created: base, Updated: base, Version: 1,
	}
}

func update(t *testing.T, s claims.Store, fn func(claims.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, s claims.Store, fn func(claims.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := models.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func insert(t *testing.T, s claims.Store, cs ...models.Claim) {
	t.Helper()
	update(t, s, func(tx claims.Tx) error {
		for _, c := range cs {
			if err := tx.InsertClaim(context.Background(), c); err != nil {
				return err
			}
		}
		return nil
	})
}

func getClaim(t *testing.T, s claims.Store, id string) models.Claim {
	t.Helper()
	var c models.Claim
	view(t, s, func(tx claims.Tx) error {
		var err error
		c, err = tx.Claim(context.Background(), id)
		return err
	})
	return c
}

func testClaimRoundTrip(t *testing.T, s claims.Store) {
	c := NewClaim("c1", "u1", "r1", "acme")
	c.Dispute = &models.Dispute{Reason: models.ReasonFairUse, Statement: "parody", By: "bob", At: base}
	c.ComplaintIDs = []string{"cp1"}
	c.Verification = models.VerificationVerified
	insert(t, s, c)
	got := getClaim(t, s, "c1")
	if got.ID != c.ID || got.Upload.Uploader != c.Upload.Uploader || !got.Deadline.Equal(c.Deadline) ||
		got.Match.Segments[0] != c.Match.Segments[0] || got.Dispute == nil || got.Dispute.Reason != models.ReasonFairUse ||
		got.Version != 1 || got.Verification != models.VerificationVerified || !got.Created.Equal(base) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
	}
	err := s.View(context.Background(), func(tx claims.Tx) error {
		_, err := tx.Claim(context.Background(), "nope")
		return err
	})
	wantCode(t, err, models.ENotFound)
	err = s.Update(context.Background(), func(tx claims.Tx) error { return tx.InsertClaim(context.Background(), c) })
	wantCode(t, err, models.EConflict)
	bad := NewClaim("c2", "u2", "r2", "acme")
	bad.Version = 3
	err = s.Update(context.Background(), func(tx claims.Tx) error { return tx.InsertClaim(context.Background(), bad) })
	wantCode(t, err, models.EInvalid)
}

func testUpdateClaimVersion(t *testing.T, s claims.Store) {
	insert(t, s, NewClaim("c1", "u1", "r1", "acme"))
	c := getClaim(t, s, "c1")
	c.State, c.Version = models.StateInReview, 2
	update(t, s, func(tx claims.Tx) error { return tx.UpdateClaim(context.Background(), c) })
	// A second writer that read version 1 loses.
	stale := NewClaim("c1", "u1", "r1", "acme")
	stale.State, stale.Version = models.StateRejected, 2
	err := s.Update(context.Background(), func(tx claims.Tx) error { return tx.UpdateClaim(context.Background(), stale) })
	wantCode(t, err, models.EConflict)
	if got := getClaim(t, s, "c1"); got.State != models.StateInReview || got.Version != 2 {
		t.Fatalf("after conflict: state %s version %d, want in_review 2", got.State, got.Version)
	}
	missing := NewClaim("zz", "u", "r", "o")
	missing.Version = 2
	err = s.Update(context.Background(), func(tx claims.Tx) error { return tx.UpdateClaim(context.Background(), missing) })
	wantCode(t, err, models.ENotFound)
}

func testActiveClaimUnique(t *testing.T, s claims.Store) {
	ctx := context.Background()
	insert(t, s, NewClaim("c1", "u1", "r1", "acme"), NewClaim("c2", "u1", "r1", "other"))
	err := s.Update(ctx, func(tx claims.Tx) error { return tx.InsertClaim(ctx, NewClaim("c3", "u1", "r1", "acme")) })
	wantCode(t, err, models.EConflict)
	view(t, s, func(tx claims.Tx) error {
		c, ok, err := tx.ActiveClaim(ctx, "u1", "r1", "acme")
		if err != nil || !ok || c.ID != "c1" {
			return fmt.Errorf("active claim = %v %v %v, want c1", c.ID, ok, err)
		}
		_, ok, err = tx.ActiveClaim(ctx, "u1", "r2", "acme")
		if err != nil || ok {
			return fmt.Errorf("active claim on r2 = %v %v, want none", ok, err)
		}
		return nil
	})
	// Once rejected, the pair may be claimed again.
	c := getClaim(t, s, "c1")
	c.State, c.Version = models.StateRejected, 2
	update(t, s, func(tx claims.Tx) error { return tx.UpdateClaim(ctx, c) })
	insert(t, s, NewClaim("c3", "u1", "r1", "acme"))
	view(t, s, func(tx claims.Tx) error {
		c, ok, err := tx.ActiveClaim(ctx, "u1", "r1", "acme")
		if err != nil || !ok || c.ID != "c3" {
			return fmt.Errorf("active claim = %v %v %v, want c3", c.ID, ok, err)
		}
		return nil
	})
}

func testListFilterPage(t *testing.T, s claims.Store) {
	ctx := context.Background()
	var cs []models.Claim
	for i := range 12 {
		c := NewClaim(fmt.Sprintf("c%02d", i), fmt.Sprintf("u%d", i), "r1", []string{"acme", "beta"}[i%2])
		c.Created = base.Add(time.Duration(i) * time.Minute)
		c.Deadline = base.Add(time.Duration(12-i) * time.Hour)
		c.Match.Score = float64(i) / 12
		if i%3 == 0 {
			c.State = models.StateInReview
		}
		if i >= 10 {
			c.Reference.Platform = "kuaishou"
			c.Origin = models.OriginComplaint
		}
		if i == 5 {
			c.Escalated = true
		}
		if i == 7 {
			c.Deadline = time.Time{}
		}
		cs = append(cs, c)
	}
	insert(t, s, cs...)
	tests := []struct {
		name  string
		f     claims.Filter
		p     claims.Page
		total int
		ids   []string
	}{
		{"all newest first", claims.Filter{}, claims.Page{Limit: 3}, 12, []string{"c11", "c10", "c09"}},
		{"second page", claims.Filter{}, claims.Page{Offset: 3, Limit: 3}, 12, []string{"c08", "c07", "c06"}},
		{"past the end", claims.Filter{}, claims.Page{Offset: 20, Limit: 3}, 12, nil},
		{"org", claims.Filter{Org: "beta"}, claims.Page{Limit: 2}, 6, []string{"c11", "c09"}},
		{"states", claims.Filter{States: []models.ClaimState{models.StateInReview}}, claims.Page{}, 4, []string{"c09", "c06", "c03", "c00"}},
		{"platform+origin", claims.Filter{Platform: "kuaishou", Origin: models.OriginComplaint}, claims.Page{}, 2, []string{"c11", "c10"}},
		{"upload", claims.Filter{UploadID: "u4"}, claims.Page{}, 1, []string{"c04"}},
		{"uploader", claims.Filter{Uploader: "user-u4"}, claims.Page{}, 1, []string{"c04"}},
		{"none", claims.Filter{Org: "nobody"}, claims.Page{}, 0, nil},
		{"deadline queue", claims.Filter{Sort: claims.SortDeadline}, claims.Page{Limit: 4}, 12, []string{"c05", "c11", "c10", "c09"}},
		{"deadline queue tail", claims.Filter{Sort: claims.SortDeadline}, claims.Page{Offset: 10, Limit: 4}, 12, []string{"c00", "c07"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			view(t, s, func(tx claims.Tx) error {
				got, total, err := tx.Claims(ctx, tc.f, tc.p)
				if err != nil {
					return err
				}
				var ids []string
				for _, c := range got {
					ids = append(ids, c.ID)
				}
				if total != tc.total || fmt.Sprint(ids) != fmt.Sprint(tc.ids) {
					return fmt.Errorf("got %v (total %d), want %v (total %d)", ids, total, tc.ids, tc.total)
				}
				return nil
			})
		})
	}
}

func testDueClaims(t *testing.T, s claims.Store) {
	ctx := context.Background()
	a, b, c := NewClaim("a", "u1", "r", "o"), NewClaim("b", "u2", "r", "o"), NewClaim("c", "u3", "r", "o")
	a.Deadline, b.Deadline, c.Deadline = base.Add(2*time.Hour), base.Add(time.Hour), time.Time{}
	insert(t, s, a, b, c)
	for _, tc := range []struct {
		now   time.Time
		limit int
		want  string
	}{
		{base, 10, "[]"},
		{base.Add(time.Hour), 10, "[b]"},
		{base.Add(3 * time.Hour), 10, "[b a]"},
		{base.Add(3 * time.Hour), 1, "[b]"},
	} {
		view(t, s, func(tx claims.Tx) error {
			got, err := tx.DueClaims(ctx, tc.now, tc.limit)
			ids := []string{}
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if err == nil && fmt.Sprint(ids) != tc.want {
				err = fmt.Errorf("due at %s limit %d: %v, want %s", tc.now, tc.limit, ids, tc.want)
			}
			return err
		})
	}
}

func testEventsAppendOnly(t *testing.T, s claims.Store) {
	ctx := context.Background()
	var seqs []int64
	update(t, s, func(tx claims.Tx) error {
		for i, k := range []models.EventKind{models.EventOpen, models.EventReview, models.EventUphold} {
			seq, err := tx.AppendEvent(ctx, models.AuditEvent{
				At: base.Add(time.Duration(i) * time.Second), Actor: "rev", ActorRole: models.RoleReviewer,
				Subject: models.SubjectClaim, SubjectID: "c1", Kind: k, From: models.StateOpen, To: models.StateInReview, Reason: "why", Detail: "d",
			})
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		_, err := tx.AppendEvent(ctx, models.AuditEvent{At: base, Actor: "x", Subject: models.SubjectClaim, SubjectID: "c2", Kind: models.EventOpen})
		return err
	})
	if !(seqs[0] < seqs[1] && seqs[1] < seqs[2]) {
		t.Fatalf("sequence numbers %v not increasing", seqs)
	}
	view(t, s, func(tx claims.Tx) error {
		evs, err := tx.Events(ctx, models.SubjectClaim, "c1")
		if err != nil {
			return err
		}
		if len(evs) != 3 || evs[2].Kind != models.EventUphold || evs[0].Seq != seqs[0] || !evs[1].At.Equal(base.Add(time.Second)) ||
			evs[0].ActorRole != models.RoleReviewer || evs[0].Reason != "why" || evs[0].To != models.StateInReview {
			return fmt.Errorf("events = %+v", evs)
		}
		none, err := tx.Events(ctx, models.SubjectClaim, "nope")
		if err == nil && len(none) != 0 {
			err = fmt.Errorf("events of unknown subject: %v", none)
		}
		return err
	})
}

func testViewIsReadOnly(t *testing.T, s claims.Store) {
	ctx := context.Background()
	err := s.View(ctx, func(tx claims.Tx) error { return tx.InsertClaim(ctx, NewClaim("c1", "u", "r", "o")) })
	if err == nil {
		t.Fatal("insert inside View succeeded")
	}
	err = s.View(ctx, func(tx claims.Tx) error {
		_, err := tx.AppendEvent(ctx, models.AuditEvent{At: base, Subject: "claim", SubjectID: "c1", Kind: models.EventOpen})
		return err
	})
	if err == nil {
		t.Fatal("append inside View succeeded")
	}
	view(t, s, func(tx claims.Tx) error {
		cs, total, err := tx.Claims(ctx, claims.Filter{}, claims.Page{})
		if err == nil && (total != 0 || len(cs) != 0) {
			err = fmt.Errorf("view wrote %d claims", total)
		}
		return err
	})
}

func testRollback(t *testing.T, s claims.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx claims.Tx) error {
		if err := tx.InsertClaim(ctx, NewClaim("c1", "u", "r", "o")); err != nil {
			return err
		}
		if _, err := tx.AppendEvent(ctx, models.AuditEvent{At: base, Subject: "claim", SubjectID: "c1", Kind: models.EventOpen}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update error = %v, want boom", err)
	}
	view(t, s, func(tx claims.Tx) error {
		_, err := tx.Claim(ctx, "c1")
		if models.ErrorCode(err) != models.ENotFound {
			return fmt.Errorf("claim after rollback: %v", err)
		}
		evs, err := tx.Events(ctx, "claim", "c1")
		if err == nil && len(evs) != 0 {
			err = fmt.Errorf("events after rollback: %v", evs)
		}
		return err
	})
}

func testComplaints(t *testing.T, s claims.Store) {
	ctx := context.Background()
	mk := func(id, org string, i int) models.Complaint {
		return models.Complaint{ID: id, Org: org, FiledBy: "rh", UploadIDs: []string{"u1"}, ClaimIDs: []string{"c1"},
			Original: models.ComplaintOriginal{ReferenceID: "r1", Published: models.Publication{Platform: "tiktok", At: base}},
			Action:   models.ActionTakedown, Created: base.Add(time.Duration(i) * time.Minute)}
	}
	update(t, s, func(tx claims.Tx) error {
		for _, c := range []models.Complaint{mk("p1", "acme", 1), mk("p2", "beta", 2), mk("p3", "acme", 3)} {
			if err := tx.InsertComplaint(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx claims.Tx) error { return tx.InsertComplaint(ctx, mk("p1", "acme", 1)) })
	wantCode(t, err, models.EConflict)
	view(t, s, func(tx claims.Tx) error {
		c, err := tx.Complaint(ctx, "p2")
		if err != nil || c.Org != "beta" || c.Original.ReferenceID != "r1" || !c.Original.Published.At.Equal(base) {
			return fmt.Errorf("complaint p2 = %+v, %v", c, err)
		}
		if _, err := tx.Complaint(ctx, "zz"); models.ErrorCode(err) != models.ENotFound {
			return fmt.Errorf("unknown complaint: %v", err)
		}
		cs, total, err := tx.Complaints(ctx, "acme", claims.Page{})
		if err != nil || total != 2 || len(cs) != 2 || cs[0].ID != "p3" {
			return fmt.Errorf("acme complaints = %v (%d), %v", cs, total, err)
		}
		cs, total, err = tx.Complaints(ctx, "", claims.Page{Limit: 1, Offset: 1})
		if err != nil || total != 3 || len(cs) != 1 || cs[0].ID != "p2" {
			return fmt.Errorf("page of all complaints = %v (%d), %v", cs, total, err)
		}
		return nil
	})
}

func testUploadResult(t *testing.T, s claims.Store) {
	ctx := context.Background()
	r1 := models.UploadResult{Upload: models.Upload{ID: "u1", Uploader: "bob"}, Verdict: models.Verdict{Video: "u1", Verdict: models.Lifted},
		Action: models.ActionBlock, ClaimIDs: []string{"c1"}, CheckedAt: base}
	r2 := r1
	r2.Action, r2.ClaimIDs = models.ActionAllow, []string{"c9"}
	update(t, s, func(tx claims.Tx) error {
		got, inserted, err := tx.PutUploadResult(ctx, r1)
		if err == nil && (!inserted || got.Action != models.ActionBlock) {
			err = fmt.Errorf("first put: %v %v", got, inserted)
		}
		return err
	})
	update(t, s, func(tx claims.Tx) error {
		got, inserted, err := tx.PutUploadResult(ctx, r2)
		if err == nil && (inserted || got.Action != models.ActionBlock || got.ClaimIDs[0] != "c1" || !got.CheckedAt.Equal(base)) {
			err = fmt.Errorf("second put returned %+v inserted=%v, want the first result", got, inserted)
		}
		return err
	})
	view(t, s, func(tx claims.Tx) error {
		if _, err := tx.UploadResult(ctx, "nope"); models.ErrorCode(err) != models.ENotFound {
			return fmt.Errorf("unknown upload: %v", err)
		}
		got, err := tx.UploadResult(ctx, "u1")
		if err == nil && got.Upload.Uploader != "bob" {
			err = fmt.Errorf("stored result %+v", got)
		}
		return err
	})
}

func testStrikes(t *testing.T, s claims.Store) {
	ctx := context.Background()
	update(t, s, func(tx claims.Tx) error {
		for i, c := range []string{"c1", "c2", "c3"} {
			if _, err := tx.AddStrike(ctx, models.Strike{Uploader: "bob", ClaimID: c, Created: base.Add(time.Duration(i) * time.Hour), Expires: base.Add(90 * 24 * time.Hour)}); err != nil {
				return err
			}
		}
		_, err := tx.AddStrike(ctx, models.Strike{Uploader: "eve", ClaimID: "c4", Created: base, Expires: base.Add(time.Hour)})
		return err
	})
	update(t, s, func(tx claims.Tx) error {
		n, err := tx.VoidStrikes(ctx, "c2", base.Add(5*time.Hour))
		if err == nil && n != 1 {
			err = fmt.Errorf("voided %d, want 1", n)
		}
		if err == nil {
			if n, err = tx.VoidStrikes(ctx, "c2", base.Add(6*time.Hour)); err == nil && n != 0 {
				err = fmt.Errorf("voided again: %d", n)
			}
		}
		return err
	})
	view(t, s, func(tx claims.Tx) error {
		ss, err := tx.Strikes(ctx, "bob")
		if err != nil {
			return err
		}
		if len(ss) != 3 || ss[0].ClaimID != "c3" || !ss[1].Voided.Equal(base.Add(5*time.Hour)) || ss[1].Active(base) || !ss[0].Active(base) || ss[0].Active(base.Add(91*24*time.Hour)) {
			return fmt.Errorf("strikes = %+v", ss)
		}
		ss, err = tx.Strikes(ctx, "nobody")
		if err == nil && len(ss) != 0 {
			err = fmt.Errorf("strikes of nobody: %v", ss)
		}
		return err
	})
}

func testBlocks(t *testing.T, s claims.Store) {
	ctx := context.Background()
	update(t, s, func(tx claims.Tx) error {
		for _, b := range []models.BlockEntry{{VideoID: "r1", ClaimID: "c1", Created: base}, {VideoID: "u1", ClaimID: "c1", Created: base},
			{VideoID: "r1", ClaimID: "c2", Created: base.Add(time.Hour)}, {VideoID: "r1", ClaimID: "c1", Created: base}} {
			if err := tx.AddBlock(ctx, b); err != nil {
				return err
			}
		}
		return nil
	})
	check := func(ids []string, want string) {
		t.Helper()
		view(t, s, func(tx claims.Tx) error {
			bs, err := tx.Blocked(ctx, ids)
			got := []string{}
			for _, b := range bs {
				got = append(got, b.VideoID+"/"+b.ClaimID)
			}
			if err == nil && fmt.Sprint(got) != want {
				err = fmt.Errorf("blocked(%v) = %v, want %s", ids, got, want)
			}
			return err
		})
	}
	check([]string{"r1", "x", "u1"}, "[r1/c1 r1/c2 u1/c1]")
	check(nil, "[]")
	many := make([]string, 1200)
	for i := range many {
		many[i] = fmt.Sprintf("v%d", i)
	}
	many[1100] = "u1"
	check(many, "[u1/c1]")
	update(t, s, func(tx claims.Tx) error {
		n, err := tx.RemoveBlocks(ctx, "c1")
		if err == nil && n != 2 {
			err = fmt.Errorf("removed %d, want 2", n)
		}
		return err
	})
	check([]string{"r1", "u1"}, "[r1/c2]")
}

func testPolicies(t *testing.T, s claims.Store) {
	ctx := context.Background()
	p1 := models.Policy{ID: "p1", Org: "acme", Platform: "tiktok", Rules: []models.PolicyRule{{MinDuration: 5, Action: models.ActionBlock}}, Updated: base}
	p2 := models.Policy{ID: "p2", Org: "beta", Rules: []models.PolicyRule{{Action: models.ActionTrack}}, Updated: base}
	update(t, s, func(tx claims.Tx) error {
		if err := tx.PutPolicy(ctx, p1); err != nil {
			return err
		}
		return tx.PutPolicy(ctx, p2)
	})
	p1.Rules[0].Action = models.ActionTakedown
	update(t, s, func(tx claims.Tx) error { return tx.PutPolicy(ctx, p1) })
	view(t, s, func(tx claims.Tx) error {
		all, err := tx.Policies(ctx, "")
		if err != nil || len(all) != 2 || all[0].Rules[0].Action != models.ActionTakedown {
			return fmt.Errorf("policies = %+v, %v", all, err)
		}
		acme, err := tx.Policies(ctx, "acme")
		if err == nil && (len(acme) != 1 || acme[0].ID != "p1") {
			err = fmt.Errorf("acme policies = %+v", acme)
		}
		return err
	})
	update(t, s, func(tx claims.Tx) error { return tx.DeletePolicy(ctx, "p1") })
	err := s.Update(ctx, func(tx claims.Tx) error { return tx.DeletePolicy(ctx, "p1") })
	wantCode(t, err, models.ENotFound)
}

func testTokens(t *testing.T, s claims.Store) {
	ctx := context.Background()
	k1 := models.Token{ID: "t1", Role: models.RoleRightsHolder, Org: "acme", Name: "acme-bot", Hash: claims.HashToken("a"), Created: base}
	k2 := models.Token{ID: "t2", Role: models.RoleReviewer, Name: "rev", Hash: claims.HashToken("b"), Created: base.Add(time.Second)}
	update(t, s, func(tx claims.Tx) error {
		if err := tx.InsertToken(ctx, k1); err != nil {
			return err
		}
		return tx.InsertToken(ctx, k2)
	})
	dup := k2
	dup.ID = "t3"
	err := s.Update(ctx, func(tx claims.Tx) error { return tx.InsertToken(ctx, dup) })
	wantCode(t, err, models.EConflict)
	update(t, s, func(tx claims.Tx) error { return tx.RevokeToken(ctx, "t2", base.Add(time.Hour)) })
	update(t, s, func(tx claims.Tx) error { return tx.RevokeToken(ctx, "t2", base.Add(2*time.Hour)) })
	err = s.Update(ctx, func(tx claims.Tx) error { return tx.RevokeToken(ctx, "nope", base) })
	wantCode(t, err, models.ENotFound)
	view(t, s, func(tx claims.Tx) error {
		got, err := tx.TokenByHash(ctx, claims.HashToken("a"))
		if err != nil || got.ID != "t1" || got.Org != "acme" || got.Role != models.RoleRightsHolder || !got.Revoked.IsZero() {
			return fmt.Errorf("token by hash = %+v, %v", got, err)
		}
		if _, err := tx.TokenByHash(ctx, claims.HashToken("c")); models.ErrorCode(err) != models.ENotFound {
			return fmt.Errorf("unknown hash: %v", err)
		}
		all, err := tx.Tokens(ctx)
		if err == nil && (len(all) != 2 || all[1].ID != "t2" || !all[1].Revoked.Equal(base.Add(time.Hour))) {
			err = fmt.Errorf("tokens = %+v", all)
		}
		return err
	})
}

// service returns a Service over s with a pinned clock.
func service(t *testing.T, s claims.Store, now *time.Time, mu *sync.Mutex) *claims.Service {
	t.Helper()
	svc, err := claims.New(claims.Config{Store: s, Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return *now
	}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// testConcurrentDecide has many reviewers decide the same claim at once:
// exactly one wins, the rest get EConflict, and the trail has one decision.
func testConcurrentDecide(t *testing.T, s claims.Store) {
	ctx := context.Background()
	insert(t, s, NewClaim("c1", "u1", "r1", "acme"))
	now, mu := base, &sync.Mutex{}
	svc := service(t, s, &now, mu)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := models.Principal{Role: models.RoleReviewer, Name: fmt.Sprintf("rev%d", i)}
			d := claims.DecideUphold
			if i%2 == 1 {
				d = claims.DecideReject
			}
			_, errs[i] = svc.Decide(ctx, p, "c1", d, "looked at it", 1)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch models.ErrorCode(err) {
		case "":
			wins++
		case models.EConflict:
		default:
			t.Errorf("decide: unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d decisions won, want exactly 1 (errors %v)", wins, errs)
	}
	c := getClaim(t, s, "c1")
	if c.Version != 2 {
		t.Fatalf("version %d after one decision, want 2", c.Version)
	}
	var evs []models.AuditEvent
	view(t, s, func(tx claims.Tx) error {
		var err error
		evs, err = tx.Events(ctx, models.SubjectClaim, "c1")
		return err
	})
	decisions := 0
	for _, e := range evs {
		if e.Kind == models.EventUphold || e.Kind == models.EventReject {
			decisions++
		}
	}
	if decisions != 1 {
		t.Fatalf("%d decision events, want 1: %+v", decisions, evs)
	}
}

// testConcurrentUploadResult delivers the same upload concurrently: one
// result, one set of claims.
func testConcurrentUploadResult(t *testing.T, s claims.Store) {
	ctx := context.Background()
	now, mu := base, &sync.Mutex{}
	svc := service(t, s, &now, mu)
	pipe := models.Principal{Role: models.RolePipeline, Name: "pipe"}
	ref := models.Video{ID: "tiktok:1", Platform: "tiktok", Duration: 10}
	v := models.Verdict{Video: "u1", Verdict: models.Lifted, Matches: []models.Match{{Reference: ref, Score: 0.9,
		Segments: []models.Segment{{QueryStart: 0, QueryEnd: 8, ReferenceStart: 0, ReferenceEnd: 8}}}}}
	const n = 6
	res := make([]models.UploadResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = svc.OnVerdict(ctx, pipe, models.Upload{ID: "u1", Uploader: "bob"}, v)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("delivery %d: %v", i, errs[i])
		}
		if len(res[i].ClaimIDs) != 1 || res[i].ClaimIDs[0] != res[0].ClaimIDs[0] {
			t.Fatalf("delivery %d got claims %v, delivery 0 %v", i, res[i].ClaimIDs, res[0].ClaimIDs)
		}
	}
	view(t, s, func(tx claims.Tx) error {
		_, total, err := tx.Claims(ctx, claims.Filter{}, claims.Page{})
		if err == nil && total != 1 {
			err = fmt.Errorf("%d claims stored, want 1", total)
		}
		return err
	})
}

// testServiceLifecycle walks one claim through the whole lifecycle on this
// backend, including strikes, the block list and deadline expiry.
func testServiceLifecycle(t *testing.T, s claims.Store) {
	ctx := context.Background()
	now, mu := base, &sync.Mutex{}
	svc := service(t, s, &now, mu)
	pipe := models.Principal{Role: models.RolePipeline, Name: "pipe"}
	rev := models.Principal{Role: models.RoleReviewer, Name: "rev"}
	ref := models.Video{ID: "tiktok:1", Platform: "tiktok", Duration: 10}
	lifted := func(id string) models.Verdict {
		return models.Verdict{Video: id, Verdict: models.Lifted, Matches: []models.Match{{Reference: ref, Score: 0.9,
			Segments: []models.Segment{{QueryStart: 0, QueryEnd: 8, ReferenceStart: 0, ReferenceEnd: 8}}}}}
	}
	if _, err := svc.SetPolicy(ctx, models.Principal{Role: models.RoleAdmin, Name: "ops"}, models.Policy{ID: "p", Org: "tt", Platform: "tiktok",
		Rules: []models.PolicyRule{{MinDuration: 5, Action: models.ActionTakedown}}}); err != nil {
		t.Fatal(err)
	}
	r, err := svc.OnVerdict(ctx, pipe, models.Upload{ID: "u1", Uploader: "bob"}, lifted("u1"))
	if err != nil || r.Action != models.ActionTakedown || len(r.ClaimIDs) != 1 {
		t.Fatalf("on verdict: %+v, %v", r, err)
	}
	id := r.ClaimIDs[0]
	if _, err := svc.Decide(ctx, rev, id, claims.DecideUphold, "same footage", 0); err != nil {
		t.Fatal(err)
	}
	st, err := svc.Strikes(ctx, rev, "bob")
	if err != nil || st.Active != 1 {
		t.Fatalf("strikes after uphold: %+v, %v", st, err)
	}
	// The upheld takedown blocks later uploads of the same reference.
	r2, err := svc.OnVerdict(ctx, pipe, models.Upload{ID: "u2", Uploader: "carol"}, lifted("u2"))
	if err != nil || r2.Action != models.ActionBlock {
		t.Fatalf("second upload: %+v, %v (want block)", r2, err)
	}
	if _, err := svc.Dispute(ctx, pipe, id, models.ReasonLicensed, "I bought a licence", 0); err != nil {
		t.Fatal(err)
	}
	// The claimant does not answer within the response window.
	mu.Lock()
	now = base.Add(31 * 24 * time.Hour)
	mu.Unlock()
	rep, err := svc.ProcessDeadlines(ctx, now)
	if err != nil || rep.Reinstated != 1 {
		t.Fatalf("deadlines: %+v, %v", rep, err)
	}
	d, err := svc.Get(ctx, rev, id)
	if err != nil || d.Claim.State != models.StateReinstated || d.UploaderStrikes != 0 {
		t.Fatalf("after expiry: state %s strikes %d, %v", d.Claim.State, d.UploaderStrikes, err)
	}
	var kinds []models.EventKind
	for _, e := range d.Events {
		kinds = append(kinds, e.Kind)
	}
	want := "[open uphold strike block dispute expire block]"
	if fmt.Sprint(kinds) != want {
		t.Fatalf("audit trail %v, want %s", kinds, want)
	}
	bs, err := svc.Blocked(ctx, pipe, []string{ref.ID, "u1"})
	if err != nil || len(bs) != 0 {
		t.Fatalf("block list after reinstatement: %v, %v", bs, err)
	}
}

// testConcurrentComplaints files the same complaint from several goroutines:
// they all end up in one claim (the store's one-active-claim rule plus the
// service's retry), with every complaint recorded.
func testConcurrentComplaints(t *testing.T, s claims.Store) {
	ctx := context.Background()
	now, mu := base, &sync.Mutex{}
	svc := service(t, s, &now, mu)
	acme := models.Principal{Role: models.RoleRightsHolder, Org: "acme", Name: "acme"}
	const n = 6
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := svc.FileComplaint(ctx, acme, claims.ComplaintRequest{
				Original: models.ComplaintOriginal{ReferenceID: "tiktok:1"}, UploadIDs: []string{"u1"}})
			errs[i] = err
			if err == nil {
				ids[i] = d.Claims[0].ID
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("complaint %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("complaints landed in different claims: %v", ids)
		}
	}
	c := getClaim(t, s, ids[0])
	if len(c.ComplaintIDs) != n {
		t.Fatalf("claim has %d complaints, want %d", len(c.ComplaintIDs), n)
	}
}
