package pipeline

import (
	"context"
	"sync"
	"testing"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/sqlite"
	"github.com/copycat-video/copycat/models"
)

var pipe = models.Principal{Role: models.RolePipeline, Name: "test-pipeline"}

// newUploadService wires the service over the embedded index and SQLite.
func newUploadService(t *testing.T, limits UploadLimits) (*UploadService, *Checker, *claims.Service) {
	t.Helper()
	c, _ := newChecker(t)
	store, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc, err := claims.New(claims.Config{Store: store, Verifier: NewComplaintVerifier(c)})
	if err != nil {
		t.Fatal(err)
	}
	return NewUploadService(c, svc, limits, nil), c, svc
}

func claimsOn(t *testing.T, svc *claims.Service, uploadID string) int {
	t.Helper()
	pg, err := svc.List(context.Background(), models.Principal{Role: models.RoleAdmin, Name: "t"}, claims.Filter{UploadID: uploadID}, claims.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return pg.Total
}

// TestUploadServiceOnce checks one upload id from several goroutines at
// once: exactly one check runs, everyone gets the same result, one claim.
func TestUploadServiceOnce(t *testing.T) {
	cl := testClips(t)
	us, c, svc := newUploadService(t, UploadLimits{})
	ctx := context.Background()
	if _, err := c.AddReference(ctx, cl.refA, models.Video{ID: "tiktok:a", Platform: "tiktok"}); err != nil {
		t.Fatal(err)
	}
	u := models.Upload{ID: "u1", Uploader: "mallory"}
	var wg sync.WaitGroup
	results := make([]models.UploadResult, 4)
	fresh := make([]bool, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, replayed, err := us.Check(ctx, pipe, u, cl.partA)
			if err != nil {
				t.Error(err)
			}
			results[i], fresh[i] = res, !replayed
		}()
	}
	wg.Wait()
	n := 0
	for i, r := range results {
		if fresh[i] {
			n++
		}
		if r.Verdict.Verdict != models.Lifted || len(r.ClaimIDs) != 1 || r.ClaimIDs[0] != results[0].ClaimIDs[0] || r.Verdict.Video != "u1" {
			t.Errorf("result %d = %+v, want the same lifted result with one claim", i, r)
		}
	}
	if n != 1 {
		t.Errorf("%d fresh checks, want exactly 1", n)
	}
	if got := claimsOn(t, svc, "u1"); got != 1 {
		t.Errorf("%d claims on u1, want 1", got)
	}
	if v, err := c.Index().Video(ctx, "u1"); err != nil || v.Platform != models.PlatformSelf || v.Path != cl.partA || v.Author != "mallory" {
		t.Errorf("recorded upload = %+v, %v", v, err)
	}
}

// TestUploadServiceRepairsRecording simulates a crash after the result was
// stored but before the upload was recorded: the next delivery replays the
// result and records it.
func TestUploadServiceRepairsRecording(t *testing.T) {
	cl := testClips(t)
	us, c, _ := newUploadService(t, UploadLimits{})
	ctx := context.Background()
	first, _, err := us.Check(ctx, pipe, models.Upload{ID: "u1"}, cl.refB)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Index().Delete(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	again, replayed, err := us.Check(ctx, pipe, models.Upload{ID: "u1"}, cl.refB)
	if err != nil || !replayed || again.CheckedAt != first.CheckedAt {
		t.Fatalf("second delivery = %+v replayed=%v err=%v, want the stored result", again, replayed, err)
	}
	if _, err := c.Index().Video(ctx, "u1"); err != nil {
		t.Errorf("recording not repaired: %v", err)
	}
}

// TestUploadServiceKeepsReferences checks that an upload whose id collides
// with a rival platform's reference is checked but never replaces it.
func TestUploadServiceKeepsReferences(t *testing.T) {
	cl := testClips(t)
	us, c, _ := newUploadService(t, UploadLimits{})
	ctx := context.Background()
	if _, err := c.AddReference(ctx, cl.refA, models.Video{ID: "shared", Platform: "tiktok"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := us.Check(ctx, pipe, models.Upload{ID: "shared"}, cl.unrelated); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Index().Video(ctx, "shared"); err != nil || v.Platform != "tiktok" {
		t.Errorf("reference after a colliding upload = %+v, %v; want the tiktok reference", v, err)
	}
}

// TestUploadServiceLimits rejects a too long upload with ETooLarge and
// stores nothing.
func TestUploadServiceLimits(t *testing.T) {
	cl := testClips(t)
	for _, lim := range []UploadLimits{{MaxDuration: 5}, {MaxWidth: 200}, {MaxHeight: 100}} {
		us, c, svc := newUploadService(t, lim)
		ctx := context.Background()
		_, _, err := us.Check(ctx, pipe, models.Upload{ID: "u1"}, cl.refA) // 10 s, 320×240
		if models.ErrorCode(err) != models.ETooLarge {
			t.Errorf("limits %+v: err %v, want too_large", lim, err)
		}
		if _, err := svc.UploadResult(ctx, pipe, "u1"); models.ErrorCode(err) != models.ENotFound {
			t.Errorf("limits %+v: a result was stored (%v)", lim, err)
		}
		if st, _ := c.Index().Stats(ctx); st.Videos != 0 {
			t.Errorf("limits %+v: %d videos indexed", lim, st.Videos)
		}
	}
}

// TestComplaintVerifier verifies originals given by reference id and by
// fingerprint against recorded uploads.
func TestComplaintVerifier(t *testing.T) {
	cl := testClips(t)
	us, c, _ := newUploadService(t, UploadLimits{})
	ctx := context.Background()
	if _, err := c.AddReference(ctx, cl.refA, models.Video{ID: "tiktok:a", Platform: "tiktok"}); err != nil {
		t.Fatal(err)
	}
	for id, path := range map[string]string{"copy": cl.partA, "other": cl.unrelated} {
		if _, _, err := us.Check(ctx, pipe, models.Upload{ID: id}, path); err != nil {
			t.Fatal(err)
		}
	}
	fp, err := c.FingerprintReference(ctx, cl.refA)
	if err != nil {
		t.Fatal(err)
	}
	v := NewComplaintVerifier(c)
	for _, tc := range []struct {
		name   string
		orig   models.ComplaintOriginal
		upload string
		match  bool
		code   string
	}{
		{"reference, copy", models.ComplaintOriginal{ReferenceID: "tiktok:a"}, "copy", true, ""},
		{"reference, unrelated", models.ComplaintOriginal{ReferenceID: "tiktok:a"}, "other", false, ""},
		{"fingerprint, copy", models.ComplaintOriginal{Fingerprint: &fp}, "copy", true, ""},
		{"fingerprint, unrelated", models.ComplaintOriginal{Fingerprint: &fp}, "other", false, ""},
		{"unknown upload", models.ComplaintOriginal{ReferenceID: "tiktok:a"}, "nope", false, models.ENotFound},
		{"unknown reference", models.ComplaintOriginal{ReferenceID: "nope"}, "copy", false, models.ENotFound},
		{"a reference is not an upload", models.ComplaintOriginal{ReferenceID: "tiktok:a"}, "tiktok:a", false, models.ENotFound},
	} {
		m, err := v.Verify(ctx, tc.orig, tc.upload)
		if models.ErrorCode(err) != tc.code {
			t.Errorf("%s: err %v, want code %q", tc.name, err, tc.code)
		}
		if (m != nil) != tc.match {
			t.Errorf("%s: match %+v, want match=%v", tc.name, m, tc.match)
		}
		if m != nil && len(m.Segments) == 0 {
			t.Errorf("%s: match without segments", tc.name)
		}
	}
}
