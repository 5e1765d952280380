package claims_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/sqlite"
	"github.com/copycat-video/copycat/models"
)

var (
	t0       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	admin    = models.Principal{Role: models.RoleAdmin, Name: "ops"}
	reviewer = models.Principal{Role: models.RoleReviewer, Name: "rev"}
	pipeline = models.Principal{Role: models.RolePipeline, Name: "pipe"}
	acme     = models.Principal{Role: models.RoleRightsHolder, Org: "acme", Name: "acme-bot"}
	beta     = models.Principal{Role: models.RoleRightsHolder, Org: "beta", Name: "beta-bot"}
	anon     = models.Principal{}
)

// fakeVerifier answers from a table: upload id → match (nil: no match),
// or an error.
type fakeVerifier struct {
	matches map[string]*models.Match
	err     error
}

func (f fakeVerifier) Verify(_ context.Context, _ models.ComplaintOriginal, uploadID string) (*models.Match, error) {
	if f.err != nil {
		return nil, f.err
	}
	m, ok := f.matches[uploadID]
	if !ok {
		return nil, models.Errorf(models.ENotFound, "upload %q is not indexed", uploadID)
	}
	return m, nil
}

type fixture struct {
	svc   *claims.Service
	store claims.Store
	now   *time.Time
}

func newFixture(t *testing.T, v claims.Verifier) fixture {
	t.Helper()
	st, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := t0
	svc, err := claims.New(claims.Config{Store: st, Verifier: v, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, store: st, now: &now}
}

func ref(id, platform string) models.Video {
	return models.Video{ID: id, Platform: platform, Author: "alice", Duration: 20}
}

func match(r models.Video, qs, qe, cov float64) models.Match {
	return models.Match{Reference: r, Score: 0.9, QueryCoverage: cov, ReferenceCoverage: cov,
		Segments: []models.Segment{{QueryStart: qs, QueryEnd: qe, ReferenceStart: qs, ReferenceEnd: qe}}}
}

func verdict(d models.Decision, ms ...models.Match) models.Verdict {
	return models.Verdict{Video: "q", Verdict: d, Matches: ms}
}

// openClaim opens an auto claim on upload for reference tiktok:1 (owner org
// acme through a policy) and returns its id.
func (f fixture) openClaim(t *testing.T, upload string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := f.svc.SetPolicy(ctx, admin, models.Policy{ID: "acme-tiktok", Org: "acme", Platform: "tiktok",
		Rules: []models.PolicyRule{{Action: models.ActionTakedown}}}); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.OnVerdict(ctx, pipeline, models.Upload{ID: upload, Uploader: "bob"}, verdict(models.Lifted, match(ref("tiktok:1", "tiktok"), 0, 10, 0.5)))
	if err != nil || len(r.ClaimIDs) != 1 {
		t.Fatalf("open claim: %+v, %v", r, err)
	}
	return r.ClaimIDs[0]
}

func code(err error) string { return models.ErrorCode(err) }

// snapshot returns what a failed call must not change: the claims and their
// trails.
func (f fixture) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	err := f.store.View(context.Background(), func(tx claims.Tx) error {
		cs, _, err := tx.Claims(context.Background(), claims.Filter{}, claims.Page{Limit: claims.MaxLimit})
		if err != nil {
			return err
		}
		for _, c := range cs {
			evs, err := tx.Events(context.Background(), models.SubjectClaim, c.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s %s v%d %d events %v\n", c.ID, c.State, c.Version, len(evs), c.ComplaintIDs)
		}
		_, n, err := tx.Complaints(context.Background(), "", claims.Page{})
		fmt.Fprintf(&b, "%d complaints\n", n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestLifecycleTable(t *testing.T) {
	// Every decision from every reachable state, by a reviewer: allowed moves
	// land in the listed state, everything else is EConflict and changes
	// nothing.
	type step struct {
		d    claims.Decision
		want models.ClaimState // "" = rejected with EConflict
	}
	tests := []struct {
		name  string
		setup []string // actions to reach the state: decisions or "dispute"/"counter"
		steps []step
	}{
		{"open", nil, []step{{claims.DecideReview, models.StateInReview}}},
		{"open uphold", nil, []step{{claims.DecideUphold, models.StateUpheld}}},
		{"open reject", nil, []step{{claims.DecideReject, models.StateRejected}}},
		{"open escalate", nil, []step{{claims.DecideEscalate, models.StateInReview}, {claims.DecideEscalate, models.StateInReview}}},
		{"in_review", []string{"review"}, []step{{claims.DecideReview, ""}, {claims.DecideUphold, models.StateUpheld}}},
		{"upheld", []string{"uphold"}, []step{{claims.DecideUphold, ""}, {claims.DecideReject, ""}, {claims.DecideReview, ""}, {claims.DecideEscalate, ""}}},
		{"rejected", []string{"reject"}, []step{{claims.DecideUphold, ""}, {claims.DecideReject, ""}, {claims.DecideReview, ""}}},
		{"disputed uphold", []string{"uphold", "dispute"}, []step{{claims.DecideReview, ""}, {claims.DecideUphold, models.StateUpheldFinal}, {claims.DecideUphold, ""}}},
		{"disputed release", []string{"uphold", "dispute"}, []step{{claims.DecideReject, models.StateReinstated}, {claims.DecideUphold, ""}}},
		{"counter-noticed court", []string{"uphold", "dispute", "uphold", "counter"}, []step{{claims.DecideUphold, models.StateUpheldFinal}}},
		{"counter-noticed withdraw", []string{"uphold", "dispute", "uphold", "counter"}, []step{{claims.DecideEscalate, ""}, {claims.DecideReject, models.StateReinstated}}},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			id := f.openClaim(t, "u1")
			for _, a := range tc.setup {
				var err error
				switch a {
				case "dispute":
					_, err = f.svc.Dispute(ctx, pipeline, id, models.ReasonOriginal, "I filmed it", 0)
				case "counter":
					_, err = f.svc.CounterNotice(ctx, pipeline, id, "good faith belief", "bob@example.com", 0)
				default:
					d, _ := claims.ParseDecision(a)
					_, err = f.svc.Decide(ctx, reviewer, id, d, "setup", 0)
				}
				if err != nil {
					t.Fatalf("setup %s: %v", a, err)
				}
			}
			for _, st := range tc.steps {
				before := f.snapshot(t)
				c, err := f.svc.Decide(ctx, reviewer, id, st.d, "because", 0)
				if st.want == "" {
					if code(err) != models.EConflict || !strings.Contains(err.Error(), "cannot") {
						t.Fatalf("%s: got %v, want a conflict", st.d, err)
					}
					if after := f.snapshot(t); after != before {
						t.Fatalf("%s: failed decision changed state:\n%s\n->\n%s", st.d, before, after)
					}
					continue
				}
				if err != nil || c.State != st.want {
					t.Fatalf("%s: state %s, %v; want %s", st.d, c.State, err, st.want)
				}
			}
		})
	}
}

func TestDisputeAndCounterNoticeRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	id := f.openClaim(t, "u1")
	// Disputing an open claim is not a move of the lifecycle.
	if _, err := f.svc.Dispute(ctx, pipeline, id, models.ReasonFairUse, "", 0); code(err) != models.EConflict {
		t.Fatalf("dispute open claim: %v", err)
	}
	if _, err := f.svc.Decide(ctx, reviewer, id, claims.DecideUphold, "match", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Dispute(ctx, pipeline, id, "because", "", 0); code(err) != models.EInvalid {
		t.Fatalf("bad reason: %v", err)
	}
	c, err := f.svc.Dispute(ctx, pipeline, id, models.ReasonLicensed, "licence #42", 0)
	if err != nil || c.Dispute == nil || c.Dispute.Reason != models.ReasonLicensed || !c.Deadline.Equal(t0.Add(30*24*time.Hour)) {
		t.Fatalf("dispute: %+v, %v", c, err)
	}
	// The claimant answers; a rights holder of another org cannot even see it.
	if _, err := f.svc.Decide(ctx, beta, id, claims.DecideUphold, "mine", 0); code(err) != models.ENotFound {
		t.Fatalf("other org deciding: %v", err)
	}
	if _, err := f.svc.Decide(ctx, acme, id, claims.DecideUphold, "no licence was granted", 0); err != nil {
		t.Fatalf("claimant rejecting dispute: %v", err)
	}
	if _, err := f.svc.CounterNotice(ctx, pipeline, id, "", "bob@example.com", 0); code(err) != models.EInvalid {
		t.Fatalf("counter-notice without statement: %v", err)
	}
	if _, err := f.svc.CounterNotice(ctx, pipeline, id, "good faith", "bob@example.com", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Decide(ctx, acme, id, claims.DecideUphold, "court case 1-23", 0); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CounterNotice(ctx, pipeline, id, "again", "bob@example.com", 0)
	if code(err) != models.EConflict || !strings.Contains(err.Error(), "already had a counter-notice") {
		t.Fatalf("second counter-notice: %v", err)
	}
}

func TestAuthorization(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	id := f.openClaim(t, "u1") // acme's claim
	cp, err := f.svc.FileComplaint(ctx, acme, claims.ComplaintRequest{
		Original: models.ComplaintOriginal{ReferenceID: "tiktok:9"}, UploadIDs: []string{"u7"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(p models.Principal) error{
		"list": func(p models.Principal) error {
			_, err := f.svc.List(ctx, p, claims.Filter{}, claims.Page{})
			return err
		},
		"get": func(p models.Principal) error { _, err := f.svc.Get(ctx, p, id); return err },
		"decide": func(p models.Principal) error {
			_, err := f.svc.Decide(ctx, p, id, claims.DecideEscalate, "look", 0)
			return err
		},
		"dispute": func(p models.Principal) error {
			_, err := f.svc.Dispute(ctx, p, id, models.ReasonFairUse, "", 0)
			return err
		},
		"file": func(p models.Principal) error {
			_, err := f.svc.FileComplaint(ctx, p, claims.ComplaintRequest{Org: "acme", Original: models.ComplaintOriginal{ReferenceID: "r"}, UploadIDs: []string{"u9"}})
			return err
		},
		"complaint": func(p models.Principal) error { _, err := f.svc.Complaint(ctx, p, cp.Complaint.ID); return err },
		"verdict": func(p models.Principal) error {
			_, err := f.svc.OnVerdict(ctx, p, models.Upload{ID: "u-" + p.Name}, verdict(models.Clean))
			return err
		},
		"tokens":   func(p models.Principal) error { _, err := f.svc.Tokens(ctx, p); return err },
		"strikes":  func(p models.Principal) error { _, err := f.svc.Strikes(ctx, p, "bob"); return err },
		"policies": func(p models.Principal) error { _, err := f.svc.Policies(ctx, p); return err },
	}
	// want: "" ok, or the error code; the same table as the HTTP matrix.
	tests := []struct {
		call string
		want map[string]string // principal name → code
	}{
		{"list", map[string]string{"ops": "", "rev": "", "pipe": models.EForbidden, "acme-bot": "", "beta-bot": "", "": models.EUnauthorized}},
		{"get", map[string]string{"ops": "", "rev": "", "pipe": models.EForbidden, "acme-bot": "", "beta-bot": models.ENotFound, "": models.EUnauthorized}},
		{"decide", map[string]string{"pipe": models.EForbidden, "acme-bot": models.EForbidden, "beta-bot": models.ENotFound, "": models.EUnauthorized}},
		{"dispute", map[string]string{"acme-bot": models.EForbidden, "beta-bot": models.EForbidden, "": models.EUnauthorized, "pipe": models.EConflict}},
		{"file", map[string]string{"rev": models.EForbidden, "pipe": models.EForbidden, "acme-bot": "", "ops": "", "": models.EUnauthorized}},
		{"complaint", map[string]string{"acme-bot": "", "beta-bot": models.ENotFound, "rev": "", "pipe": models.EForbidden}},
		{"verdict", map[string]string{"pipe": "", "ops": "", "rev": models.EForbidden, "acme-bot": models.EForbidden, "": models.EUnauthorized}},
		{"tokens", map[string]string{"ops": "", "rev": models.EForbidden, "pipe": models.EForbidden, "acme-bot": models.EForbidden}},
		{"strikes", map[string]string{"rev": "", "pipe": "", "acme-bot": models.EForbidden}},
		{"policies", map[string]string{"acme-bot": "", "rev": "", "pipe": models.EForbidden}},
	}
	principals := map[string]models.Principal{"ops": admin, "rev": reviewer, "pipe": pipeline, "acme-bot": acme, "beta-bot": beta, "": anon}
	for _, tc := range tests {
		for name, want := range tc.want {
			t.Run(tc.call+"/"+name, func(t *testing.T) {
				if got := code(calls[tc.call](principals[name])); got != want {
					t.Fatalf("%s as %q: code %q, want %q", tc.call, name, got, want)
				}
			})
		}
	}
	// A rights holder's listing never shows another org's claims, even when
	// asked for them by filter.
	page, err := f.svc.List(ctx, beta, claims.Filter{Org: "acme"}, claims.Page{})
	if err != nil || page.Total != 0 {
		t.Fatalf("beta listing acme's claims: %+v, %v", page, err)
	}
	page, err = f.svc.List(ctx, acme, claims.Filter{}, claims.Page{})
	if err != nil || page.Total == 0 {
		t.Fatalf("acme listing own claims: %+v, %v", page, err)
	}
	for _, c := range page.Claims {
		if c.Org != "acme" {
			t.Fatalf("acme sees claim of %s", c.Org)
		}
	}
}

func TestComplaints(t *testing.T) {
	ctx := context.Background()
	r := ref("tiktok:1", "tiktok")
	good := match(r, 0, 12, 0.9)
	v := fakeVerifier{matches: map[string]*models.Match{"u1": &good, "u2": nil}}
	f := newFixture(t, v)
	// Checked earlier, so the claim knows the uploader.
	if _, err := f.svc.OnVerdict(ctx, pipeline, models.Upload{ID: "u1", Uploader: "bob"}, verdict(models.Clean)); err != nil {
		t.Fatal(err)
	}
	req := claims.ComplaintRequest{
		Original:  models.ComplaintOriginal{ReferenceID: "tiktok:1", Published: models.Publication{Platform: "tiktok", URL: "https://tiktok.example/1", At: t0.Add(-72 * time.Hour)}},
		UploadIDs: []string{"u1", "u2", "u3"}, Statement: "our clip",
	}
	d, err := f.svc.FileComplaint(ctx, acme, req)
	if err != nil {
		t.Fatal(err)
	}
	if d.Complaint.Org != "acme" || d.Complaint.Action != models.ActionTakedown || len(d.Claims) != 3 {
		t.Fatalf("complaint: %+v", d)
	}
	want := []struct {
		state models.ClaimState
		ver   models.Verification
		note  string
	}{
		{models.StateOpen, models.VerificationVerified, "verified"},
		{models.StateInReview, models.VerificationUnverified, "does not match"},
		{models.StateInReview, models.VerificationUnverified, "not indexed"},
	}
	for i, w := range want {
		c := d.Claims[i]
		if c.State != w.state || c.Verification != w.ver || !strings.Contains(c.Note, w.note) || c.Origin != models.OriginComplaint || c.Org != "acme" {
			t.Errorf("claim %d: state %s verification %q note %q", i, c.State, c.Verification, c.Note)
		}
	}
	if d.Claims[0].Upload.Uploader != "bob" || d.Claims[0].Match.Score != 0.9 || !d.Claims[0].Reference.Published.Equal(t0.Add(-72*time.Hour)) {
		t.Errorf("verified claim lacks upload, evidence or provenance: %+v", d.Claims[0])
	}
	// The same complaint again merges into the same claims.
	d2, err := f.svc.FileComplaint(ctx, acme, claims.ComplaintRequest{Original: req.Original, UploadIDs: []string{"u2", "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	if d2.Claims[0].ID != d.Claims[1].ID || d2.Claims[1].ID != d.Claims[0].ID || len(d2.Claims[0].ComplaintIDs) != 2 {
		t.Fatalf("duplicate complaint did not merge: %+v", d2.Claims)
	}
	page, err := f.svc.List(ctx, admin, claims.Filter{Origin: models.OriginComplaint}, claims.Page{})
	if err != nil || page.Total != 3 {
		t.Fatalf("complaint claims after merge: %d, %v", page.Total, err)
	}
	cd, err := f.svc.Get(ctx, acme, d.Claims[1].ID)
	if err != nil || cd.Events[len(cd.Events)-1].Kind != models.EventMerge {
		t.Fatalf("merge event missing: %+v, %v", cd.Events, err)
	}
	// Another org's complaint about the same pair is its own claim.
	d3, err := f.svc.FileComplaint(ctx, beta, claims.ComplaintRequest{Original: req.Original, UploadIDs: []string{"u1"}})
	if err != nil || d3.Claims[0].ID == d.Claims[0].ID {
		t.Fatalf("beta's complaint merged into acme's claim: %+v, %v", d3, err)
	}
	own, total, err := f.svc.MyComplaints(ctx, acme, claims.Page{})
	if err != nil || total != 2 || len(own) != 2 {
		t.Fatalf("acme complaints: %d, %v", total, err)
	}
	if _, err := f.svc.Complaint(ctx, beta, d.Complaint.ID); code(err) != models.ENotFound {
		t.Fatalf("beta reading acme's complaint: %v", err)
	}
}

func TestComplaintFingerprintOriginal(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, fakeVerifier{err: errors.New("index down")})
	fp := &models.Fingerprint{Version: 1, Source: models.Source{SHA256: strings.Repeat("ab", 32), Duration: 12},
		Frames: []models.FrameHash{{T: 0, Kind: models.KindPHash, Bits: 1}}}
	d, err := f.svc.FileComplaint(ctx, acme, claims.ComplaintRequest{
		Original: models.ComplaintOriginal{Fingerprint: fp, Published: models.Publication{Platform: "youtube"}}, UploadIDs: []string{"u1"}, Action: models.ActionBlock})
	if err != nil {
		t.Fatal(err)
	}
	c := d.Claims[0]
	if c.Reference.ID != "original:"+strings.Repeat("ab", 32) || c.Reference.Platform != "youtube" || c.Action != models.ActionBlock ||
		c.Verification != models.VerificationUnverified || !strings.Contains(c.Note, "verification failed") {
		t.Fatalf("claim from fingerprint original: %+v", c)
	}
}

func TestComplaintBadInput(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	f.openClaim(t, "u0")
	fp := &models.Fingerprint{Frames: []models.FrameHash{{Kind: models.KindPHash}}}
	orig := models.ComplaintOriginal{ReferenceID: "r1"}
	tests := []struct {
		name string
		p    models.Principal
		req  claims.ComplaintRequest
		code string
		msg  string
	}{
		{"no original", acme, claims.ComplaintRequest{UploadIDs: []string{"u1"}}, models.EInvalid, "reference id or fingerprint"},
		{"both originals", acme, claims.ComplaintRequest{Original: models.ComplaintOriginal{ReferenceID: "r", Fingerprint: fp}, UploadIDs: []string{"u1"}}, models.EInvalid, "not both"},
		{"empty fingerprint", acme, claims.ComplaintRequest{Original: models.ComplaintOriginal{Fingerprint: &models.Fingerprint{}}, UploadIDs: []string{"u1"}}, models.EInvalid, "no frames"},
		{"bad hash kind", acme, claims.ComplaintRequest{Original: models.ComplaintOriginal{Fingerprint: &models.Fingerprint{Frames: []models.FrameHash{{Kind: "md5"}}}}, UploadIDs: []string{"u1"}}, models.EInvalid, "hash kind"},
		{"no uploads", acme, claims.ComplaintRequest{Original: orig}, models.EInvalid, "at least one"},
		{"duplicate upload", acme, claims.ComplaintRequest{Original: orig, UploadIDs: []string{"u1", "u1"}}, models.EInvalid, "twice"},
		{"bad upload id", acme, claims.ComplaintRequest{Original: orig, UploadIDs: []string{"a\nb"}}, models.EInvalid, "control"},
		{"too many", acme, claims.ComplaintRequest{Original: orig, UploadIDs: make([]string, 101)}, models.EInvalid, "at most"},
		{"action allow", acme, claims.ComplaintRequest{Original: orig, UploadIDs: []string{"u1"}, Action: models.ActionAllow}, models.EInvalid, "asks for nothing"},
		{"unknown action", acme, claims.ComplaintRequest{Original: orig, UploadIDs: []string{"u1"}, Action: "nuke"}, models.EInvalid, "unknown action"},
		{"huge statement", acme, claims.ComplaintRequest{Original: orig, UploadIDs: []string{"u1"}, Statement: strings.Repeat("x", 5000)}, models.EInvalid, "longer"},
		{"admin without org", admin, claims.ComplaintRequest{Original: orig, UploadIDs: []string{"u1"}}, models.EInvalid, "org is required"},
		{"reviewer", reviewer, claims.ComplaintRequest{Org: "acme", Original: orig, UploadIDs: []string{"u1"}}, models.EForbidden, "not allowed"},
		{"org-less rights holder", models.Principal{Role: models.RoleRightsHolder, Name: "x"}, claims.ComplaintRequest{Original: orig, UploadIDs: []string{"u1"}}, models.EForbidden, "no organisation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snapshot(t)
			_, err := f.svc.FileComplaint(ctx, tc.p, tc.req)
			if code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v (%s), want %s containing %q", err, code(err), tc.code, tc.msg)
			}
			if after := f.snapshot(t); after != before {
				t.Fatalf("state changed:\n%s->\n%s", before, after)
			}
		})
	}
}

func TestOnVerdictPolicies(t *testing.T) {
	ctx := context.Background()
	tt, ks := ref("tiktok:1", "tiktok"), ref("kuaishou:1", "kuaishou")
	own := models.Video{ID: "up-0", Platform: models.PlatformSelf, Author: "carol", Duration: 10}
	policies := []models.Policy{
		{ID: "a", Org: "acme", Platform: "tiktok", Rules: []models.PolicyRule{
			{MinDuration: 10, Action: models.ActionBlock}, {MinDuration: 3, Action: models.ActionReview}, {Action: models.ActionTrack}}},
		{ID: "b", Org: "alice-label", Platform: "tiktok", Author: "alice", Rules: []models.PolicyRule{
			{MinQueryCoverage: 0.5, Action: models.ActionTakedown}}},
		{ID: "c", Org: "ks", Platform: "kuaishou", Rules: []models.PolicyRule{{MinDuration: 30, Action: models.ActionBlock}}},
	}
	tests := []struct {
		name    string
		v       models.Verdict
		action  models.Action
		claims  int
		orgs    string
		noteHas string
	}{
		{"clean opens nothing", verdict(models.Clean, match(tt, 0, 12, 0.9)), models.ActionAllow, 0, "[]", ""},
		{"author policy beats platform policy", verdict(models.Lifted, match(tt, 0, 12, 0.9)), models.ActionTakedown, 1, "[alice-label]", "policy b rule 1"},
		{"author policy, coverage too low", verdict(models.Lifted, match(tt, 0, 12, 0.2)), models.ActionAllow, 0, "[]", ""},
		{"policy with no matching rule allows", verdict(models.Lifted, match(ks, 0, 12, 0.9)), models.ActionAllow, 0, "[]", ""},
		{"no policy: default review", verdict(models.Lifted, match(ref("yt:1", "youtube"), 0, 5, 0.9)), models.ActionReview, 1, "[youtube]", "no policy"},
		{"duplicate default track", verdict(models.Duplicate, match(own, 0, 5, 0.9)), models.ActionTrack, 1, "[self]", "no policy"},
		{"most restrictive wins", verdict(models.Lifted, match(ref("yt:1", "youtube"), 0, 5, 0.9), match(tt, 0, 12, 0.9)), models.ActionTakedown, 2, "[youtube alice-label]", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			for _, p := range policies {
				if _, err := f.svc.SetPolicy(ctx, admin, p); err != nil {
					t.Fatal(err)
				}
			}
			r, err := f.svc.OnVerdict(ctx, pipeline, models.Upload{ID: "u1", Uploader: "bob"}, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			var orgs []string
			for _, id := range r.ClaimIDs {
				d, err := f.svc.Get(ctx, admin, id)
				if err != nil {
					t.Fatal(err)
				}
				orgs = append(orgs, d.Claim.Org)
				if !strings.Contains(d.Claim.Note, tc.noteHas) {
					t.Errorf("note %q lacks %q", d.Claim.Note, tc.noteHas)
				}
			}
			if r.Action != tc.action || len(r.ClaimIDs) != tc.claims || fmt.Sprint(orgs) != fmt.Sprint(tc.orgs) && !(tc.orgs == "[]" && orgs == nil) {
				t.Fatalf("action %s claims %v orgs %v; want %s, %d, %s", r.Action, r.ClaimIDs, orgs, tc.action, tc.claims, tc.orgs)
			}
		})
	}
}

func TestOnVerdictIdempotentAndBlockList(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	id := f.openClaim(t, "u1")
	again, err := f.svc.OnVerdict(ctx, pipeline, models.Upload{ID: "u1", Uploader: "bob"}, verdict(models.Clean))
	if err != nil || len(again.ClaimIDs) != 1 || again.ClaimIDs[0] != id || again.Verdict.Verdict != models.Lifted {
		t.Fatalf("redelivery got %+v, %v; want the stored lifted result", again, err)
	}
	if _, err := f.svc.Decide(ctx, reviewer, id, claims.DecideUphold, "copy", 0); err != nil {
		t.Fatal(err)
	}
	// A later upload of the same reference, and a re-upload of the claimed
	// upload itself (indexed under its upload id), are blocked.
	for _, m := range []models.Match{match(ref("tiktok:1", "tiktok"), 0, 2, 0.1), match(models.Video{ID: "u1", Platform: models.PlatformSelf}, 0, 2, 0.1)} {
		d := models.Lifted
		if m.Reference.Platform == models.PlatformSelf {
			d = models.Duplicate
		}
		r, err := f.svc.OnVerdict(ctx, pipeline, models.Upload{ID: "later-" + m.Reference.ID, Uploader: "eve"}, verdict(d, m))
		if err != nil || r.Action != models.ActionBlock {
			t.Fatalf("upload matching %s: %+v, %v; want block", m.Reference.ID, r, err)
		}
		cd, _ := f.svc.Get(ctx, admin, r.ClaimIDs[0])
		if !strings.Contains(cd.Claim.Note, id) {
			t.Fatalf("blocked claim note %q does not name %s", cd.Claim.Note, id)
		}
	}
	bad := []struct {
		name string
		u    models.Upload
		v    models.Verdict
	}{
		{"empty id", models.Upload{}, verdict(models.Clean)},
		{"unknown verdict", models.Upload{ID: "x"}, verdict("maybe")},
		{"bad reference", models.Upload{ID: "x"}, verdict(models.Lifted, match(models.Video{ID: "r"}, 0, 1, 1))},
	}
	for _, tc := range bad {
		before := f.snapshot(t)
		if _, err := f.svc.OnVerdict(ctx, pipeline, tc.u, tc.v); code(err) != models.EInvalid {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if f.snapshot(t) != before {
			t.Fatalf("%s changed state", tc.name)
		}
	}
}

func TestDeadlines(t *testing.T) {
	ctx := context.Background()
	day := 24 * time.Hour
	f := newFixture(t, nil)
	open := f.openClaim(t, "u1")
	upheld := f.openClaim(t, "u2")
	counter := f.openClaim(t, "u3")
	for _, id := range []string{upheld, counter} {
		if _, err := f.svc.Decide(ctx, reviewer, id, claims.DecideUphold, "copy", 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []func() error{
		func() error {
			_, err := f.svc.Dispute(ctx, pipeline, counter, models.ReasonOriginal, "", 0)
			return err
		},
		func() error { _, err := f.svc.Decide(ctx, acme, counter, claims.DecideUphold, "no", 0); return err },
		func() error { _, err := f.svc.CounterNotice(ctx, pipeline, counter, "stmt", "c@x", 0); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	state := func(id string) models.ClaimState {
		d, err := f.svc.Get(ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Claim.State
	}
	tests := []struct {
		at   time.Duration
		rep  claims.DeadlineReport
		want [3]models.ClaimState
	}{
		{day, claims.DeadlineReport{}, [3]models.ClaimState{models.StateOpen, models.StateUpheld, models.StateCounterNoticed}},
		{15 * day, claims.DeadlineReport{Escalated: 1, Reinstated: 1}, [3]models.ClaimState{models.StateInReview, models.StateUpheld, models.StateReinstated}},
		{15 * day, claims.DeadlineReport{}, [3]models.ClaimState{models.StateInReview, models.StateUpheld, models.StateReinstated}},
		{30 * day, claims.DeadlineReport{Released: 1, Finalised: 1}, [3]models.ClaimState{models.StateRejected, models.StateUpheldFinal, models.StateReinstated}},
		{400 * day, claims.DeadlineReport{}, [3]models.ClaimState{models.StateRejected, models.StateUpheldFinal, models.StateReinstated}},
	}
	for _, tc := range tests {
		rep, err := f.svc.ProcessDeadlines(ctx, t0.Add(tc.at))
		if err != nil || rep != tc.rep {
			t.Fatalf("at +%s: report %+v, %v; want %+v", tc.at, rep, err, tc.rep)
		}
		got := [3]models.ClaimState{state(open), state(upheld), state(counter)}
		if got != tc.want {
			t.Fatalf("at +%s: states %v, want %v", tc.at, got, tc.want)
		}
	}
	d, _ := f.svc.Get(ctx, admin, open)
	last := d.Events[len(d.Events)-1]
	if last.Actor != "system" || last.Kind != models.EventExpire || !strings.Contains(last.Reason, "released") {
		t.Fatalf("expiry event %+v", last)
	}
	if !d.Claim.Escalated {
		t.Fatal("released claim lost its escalated flag")
	}
}

func TestRunDeadlinesStopsWithContext(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.svc.RunDeadlines(ctx, time.Millisecond) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunDeadlines returned %v", err)
	}
	if err := f.svc.RunDeadlines(context.Background(), 0); code(err) != models.EInvalid {
		t.Fatalf("zero interval: %v", err)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	plain, tok, err := f.svc.CreateToken(ctx, admin, models.RoleRightsHolder, "acme", "acme portal")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, "cct_") || len(plain) < 40 || tok.Hash != claims.HashToken(plain) || strings.Contains(tok.Hash, plain) {
		t.Fatalf("token %q / %+v", plain, tok)
	}
	p, err := f.svc.Authenticate(ctx, plain)
	if err != nil || p.Role != models.RoleRightsHolder || p.Org != "acme" || p.TokenID != tok.ID {
		t.Fatalf("authenticate: %+v, %v", p, err)
	}
	for _, bad := range []string{"", "cct_", plain + "x", strings.ToUpper(plain), "Bearer " + plain, strings.Repeat("a", 1000)} {
		if _, err := f.svc.Authenticate(ctx, bad); code(err) != models.EUnauthorized {
			t.Fatalf("authenticate %q: %v", bad, err)
		}
	}
	if err := f.svc.RevokeToken(ctx, admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, plain); code(err) != models.EUnauthorized {
		t.Fatalf("revoked token: %v", err)
	}
	for _, tc := range []struct {
		p         models.Principal
		role      models.Role
		org, code string
	}{
		{admin, models.RoleRightsHolder, "", models.EInvalid},
		{admin, models.RoleReviewer, "acme", models.EInvalid},
		{admin, "root", "", models.EInvalid},
		{admin, models.RoleSystem, "", models.EInvalid},
		{reviewer, models.RoleAdmin, "", models.EForbidden},
		{acme, models.RoleRightsHolder, "beta", models.EForbidden},
	} {
		if _, _, err := f.svc.CreateToken(ctx, tc.p, tc.role, tc.org, ""); code(err) != tc.code {
			t.Fatalf("create %s/%s as %s: %v, want %s", tc.role, tc.org, tc.p.Role, err, tc.code)
		}
	}
	if err := f.svc.RevokeToken(ctx, admin, "tok_nope"); code(err) != models.ENotFound {
		t.Fatalf("revoke unknown: %v", err)
	}
	ts, err := f.svc.Tokens(ctx, admin)
	if err != nil || len(ts) != 1 || ts[0].Revoked.IsZero() {
		t.Fatalf("tokens: %+v, %v", ts, err)
	}
	evs, err := f.svc.Events(ctx, admin, models.SubjectToken, tok.ID)
	if err != nil || len(evs) != 2 {
		t.Fatalf("token audit: %+v, %v", evs, err)
	}
}

func TestPolicyValidation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	for _, tc := range []struct {
		name string
		p    models.Policy
	}{
		{"no rules", models.Policy{Org: "acme"}},
		{"no org", models.Policy{Rules: []models.PolicyRule{{Action: models.ActionTrack}}}},
		{"bad action", models.Policy{Org: "acme", Rules: []models.PolicyRule{{Action: "zap"}}}},
		{"coverage > 1", models.Policy{Org: "acme", Rules: []models.PolicyRule{{Action: models.ActionTrack, MinQueryCoverage: 1.5}}}},
		{"negative duration", models.Policy{Org: "acme", Rules: []models.PolicyRule{{Action: models.ActionTrack, MinDuration: -1}}}},
	} {
		if _, err := f.svc.SetPolicy(ctx, admin, tc.p); code(err) != models.EInvalid {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	p, err := f.svc.SetPolicy(ctx, acme, models.Policy{Org: "beta", Rules: []models.PolicyRule{{Action: models.ActionTrack}}})
	if err != nil || p.Org != "acme" {
		t.Fatalf("rights holder policy: %+v, %v (org must be forced to acme)", p, err)
	}
	if _, err := f.svc.SetPolicy(ctx, beta, models.Policy{ID: p.ID, Rules: []models.PolicyRule{{Action: models.ActionBlock}}}); code(err) != models.ENotFound {
		t.Fatalf("beta overwriting acme's policy: %v", err)
	}
	if err := f.svc.DeletePolicy(ctx, beta, p.ID); code(err) != models.ENotFound {
		t.Fatalf("beta deleting acme's policy: %v", err)
	}
	if err := f.svc.DeletePolicy(ctx, acme, p.ID); err != nil {
		t.Fatal(err)
	}
}

func TestMatchedDuration(t *testing.T) {
	seg := func(a, b float64) models.Segment { return models.Segment{QueryStart: a, QueryEnd: b} }
	for _, tc := range []struct {
		segs []models.Segment
		want float64
	}{
		{nil, 0},
		{[]models.Segment{seg(0, 5)}, 5},
		{[]models.Segment{seg(0, 5), seg(3, 8)}, 8},
		{[]models.Segment{seg(10, 12), seg(0, 5)}, 7},
		{[]models.Segment{seg(5, 0)}, 5},
		{[]models.Segment{seg(0, 10), seg(2, 3)}, 10},
	} {
		if got := claims.MatchedDuration(models.Match{Segments: tc.segs}); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.segs, got, tc.want)
		}
	}
}
