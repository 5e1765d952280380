package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
)

// TestEndToEnd drives the whole API through a real listener: a reference is
// uploaded, a re-encoded copy is checked (lifted, one claim opened), the
// same upload id is checked again (identical answer, no second claim), an
// unrelated clip is clean, and a reviewer reads the evidence, looks at the
// frames and upholds the claim, which lands in the audit trail.
func TestEndToEnd(t *testing.T) { endToEnd(t, envOptions{}) }

// TestEndToEndPostgres is TestEndToEnd with the PostgreSQL claims store.
func TestEndToEndPostgres(t *testing.T) { endToEnd(t, envOptions{postgres: true}) }

func endToEnd(t *testing.T, opts envOptions) {
	e := newTestEnv(t, opts)
	c := testClips(t)
	admin, pipe, rev := e.tokens[models.RoleAdmin], e.tokens[models.RolePipeline], e.tokens[models.RoleReviewer]

	ct, body := multipartBody(t, map[string]string{"id": "tiktok:1", "platform": "tiktok", "author": "@origin", "url": "https://tiktok.example/1"}, "video", c.reference)
	r := e.do("POST", "/v1/references", admin, ct, body)
	if r.status != http.StatusCreated {
		t.Fatalf("add reference: %d %s", r.status, r.body)
	}
	ref := decodeBody[models.Video](t, r)
	if ref.ID != "tiktok:1" || ref.Duration < 5 || ref.Path != "" {
		t.Fatalf("added reference = %+v, want id tiktok:1, duration ~6 s, no path", ref)
	}

	ct, body = multipartBody(t, map[string]string{"upload_id": "up-1", "uploader": "alice", "published_at": "2030-01-01T00:00:00Z"}, "video", c.copy)
	first := e.do("POST", "/v1/uploads:check", pipe, ct, body)
	if first.status != http.StatusOK {
		t.Fatalf("check: %d %s", first.status, first.body)
	}
	res := decodeBody[checkResponse](t, first)
	if res.Verdict.Verdict != models.Lifted || len(res.Matches) == 0 || res.Matches[0].Reference.ID != "tiktok:1" {
		t.Fatalf("check of the copy = %s, want lifted from tiktok:1", first.body)
	}
	if len(res.ClaimIDs) != 1 || res.Action == models.ActionAllow || res.UploadID != "up-1" || res.Video != "up-1" {
		t.Fatalf("check of the copy = %s, want one claim, an action and upload id up-1", first.body)
	}
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("first check marked as replayed")
	}
	if strings.Contains(string(first.body), e.data) {
		t.Errorf("response leaks a server path: %s", first.body)
	}

	// The same upload id again: identical body, no second claim.
	ct, body = multipartBody(t, map[string]string{"upload_id": "up-1", "uploader": "alice", "published_at": "2030-01-01T00:00:00Z"}, "video", c.copy)
	again := e.do("POST", "/v1/uploads:check", pipe, ct, body)
	if again.status != http.StatusOK || !bytes.Equal(again.body, first.body) {
		t.Fatalf("repeat check: %d %s\nwant the identical body %s", again.status, again.body, first.body)
	}
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat check not marked Idempotent-Replayed")
	}
	// And by server-local path under the same id: still the stored answer.
	local := filepath.Join(e.local, "copy.mp4")
	copyFile(t, c.copy, local)
	if r := e.doJSON("POST", "/v1/uploads:check", pipe, map[string]any{"upload_id": "up-1", "path": local}); !bytes.Equal(r.body, first.body) {
		t.Fatalf("repeat check by path: %d %s", r.status, r.body)
	}
	list := decodeBody[claims.ClaimPage](t, e.do("GET", "/v1/claims?upload=up-1", rev, "", nil))
	if list.Total != 1 || list.Claims[0].ID != res.ClaimIDs[0] {
		t.Fatalf("claims on up-1 = %+v, want exactly %s", list, res.ClaimIDs)
	}
	if r := e.do("GET", "/v1/uploads/up-1", pipe, "", nil); !bytes.Equal(r.body, first.body) {
		t.Errorf("GET /v1/uploads/up-1 = %d %s, want the check result", r.status, r.body)
	}

	// An unrelated clip by server-local path is clean and opens nothing.
	other := filepath.Join(e.local, "other.mp4")
	copyFile(t, c.other, other)
	r = e.doJSON("POST", "/v1/uploads:check", pipe, map[string]any{"upload_id": "up-2", "path": other, "uploader": "bob"})
	if r.status != http.StatusOK {
		t.Fatalf("check other: %d %s", r.status, r.body)
	}
	if res2 := decodeBody[checkResponse](t, r); res2.Verdict.Verdict != models.Clean || len(res2.ClaimIDs) != 0 || res2.Action != models.ActionAllow {
		t.Fatalf("check of an unrelated clip = %s, want clean, allow, no claims", r.body)
	}
	// The checked uploads were recorded as our own videos.
	if v, err := e.idx.Video(context.Background(), "up-1"); err != nil || v.Platform != models.PlatformSelf {
		t.Errorf("up-1 in the index = %+v, %v; want platform self", v, err)
	}

	// The reviewer's view: evidence, frames, decision, audit trail.
	claimID := res.ClaimIDs[0]
	r = e.do("GET", "/v1/claims/"+claimID, rev, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("get claim: %d %s", r.status, r.body)
	}
	detail := decodeBody[claims.ClaimDetail](t, r)
	if len(detail.Claim.Match.Segments) == 0 || len(detail.Events) == 0 || detail.Claim.Upload.ID != "up-1" {
		t.Fatalf("claim detail lacks evidence or audit trail: %s", r.body)
	}
	for _, path := range []string{"/v1/uploads/up-1/frame?t=1.5", "/v1/references/tiktok:1/frame?t=1.5"} {
		r := e.do("GET", path, rev, "", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(r.body, []byte{0xff, 0xd8}) {
			t.Errorf("GET %s = %d %s (%d bytes), want a JPEG", path, r.status, r.header.Get("Content-Type"), len(r.body))
		}
	}
	r = e.doJSON("POST", "/v1/claims/"+claimID+"/decision", rev, map[string]any{"decision": "uphold", "reason": "frames match", "version": detail.Claim.Version})
	if r.status != http.StatusOK {
		t.Fatalf("uphold: %d %s", r.status, r.body)
	}
	if c := decodeBody[models.Claim](t, r); c.State != models.StateUpheld {
		t.Fatalf("after uphold state = %s", c.State)
	}
	// A second decision on the stale version loses.
	r = e.doJSON("POST", "/v1/claims/"+claimID+"/decision", rev, map[string]any{"decision": "reject", "reason": "late", "version": detail.Claim.Version})
	if r.status != http.StatusConflict {
		t.Errorf("stale decision: %d %s, want 409", r.status, r.body)
	}
	r = e.doJSON("POST", "/v1/claims/"+claimID+"/dispute", pipe, map[string]any{"reason": "licensed", "statement": "I have a licence"})
	if r.status != http.StatusOK || decodeBody[models.Claim](t, r).State != models.StateDisputed {
		t.Fatalf("dispute: %d %s", r.status, r.body)
	}
	// The reviewer stands by the claim (upheld_final); the uploader answers
	// with a counter-notice, once.
	r = e.doJSON("POST", "/v1/claims/"+claimID+"/decision", rev, map[string]any{"decision": "uphold", "reason": "licence not shown"})
	if r.status != http.StatusOK || decodeBody[models.Claim](t, r).State != models.StateUpheldFinal {
		t.Fatalf("uphold the dispute: %d %s", r.status, r.body)
	}
	cn := map[string]any{"statement": "I made this myself", "contact": "alice@example.com"}
	r = e.doJSON("POST", "/v1/claims/"+claimID+"/counter-notice", pipe, cn)
	if r.status != http.StatusOK || decodeBody[models.Claim](t, r).State != models.StateCounterNoticed {
		t.Fatalf("counter-notice: %d %s", r.status, r.body)
	}
	if r := e.doJSON("POST", "/v1/claims/"+claimID+"/counter-notice", pipe, cn); r.status != http.StatusConflict {
		t.Errorf("second counter-notice: %d %s, want 409", r.status, r.body)
	}
	detail = decodeBody[claims.ClaimDetail](t, e.do("GET", "/v1/claims/"+claimID, rev, "", nil))
	var kinds []string
	for _, ev := range detail.Events {
		kinds = append(kinds, string(ev.Kind))
	}
	// Upholding also records a strike against the uploader.
	if got := strings.Join(kinds, ","); got != "open,uphold,strike,dispute,uphold,counter_notice" {
		t.Errorf("audit trail = %s, want open,uphold,strike,dispute,uphold,counter_notice", got)
	}

	// The metrics saw it all.
	m := string(e.do("GET", "/metrics", "", "", nil).body)
	for _, want := range []string{
		`copycat_upload_checks_total{outcome="checked"} 2`,
		`copycat_upload_checks_total{outcome="replayed"} 2`,
		`copycat_verdicts_total{decision="lifted"} 1`,
		`copycat_verdicts_total{decision="clean"} 1`,
		`copycat_http_requests_total{code="200",method="POST",route="/v1/uploads:check"} 4`,
		`copycat_http_request_duration_seconds_count{method="GET",route="/v1/claims/{id}"}`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadRequests sends malformed, oversized, hostile and misdirected
// requests and checks each gets the right 4xx in the JSON error shape and
// leaves the store, the index and the kept files unchanged.
func TestBadRequests(t *testing.T) {
	c := testClips(t)
	e := newTestEnv(t, envOptions{limits: Limits{MaxBodyBytes: 4 << 10, MaxUploadBytes: 256 << 10}, uploadLimits: pipeline.UploadLimits{MaxDuration: 3, MaxWidth: 1920, MaxHeight: 1080}})
	admin, pipe, rev := e.tokens[models.RoleAdmin], e.tokens[models.RolePipeline], e.tokens[models.RoleReviewer]
	notVideo := filepath.Join(e.local, "notes.mp4")
	if err := os.WriteFile(notVideo, []byte("this is not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(e.local, "long.mp4") // 6 s, over the 3 s limit
	copyFile(t, c.other, long)
	outside := filepath.Join(e.data, "outside.mp4")
	copyFile(t, c.other, outside)
	if err := os.Symlink(outside, filepath.Join(e.local, "escape.mp4")); err != nil {
		t.Fatal(err)
	}
	big, _ := json.Marshal(map[string]string{"reason": strings.Repeat("x", 8<<10), "decision": "uphold"})
	mpCT, mpBody := multipartBody(t, map[string]string{"upload_id": "up-bad"}, "video", c.copy) // ~800 KB > 256 KiB
	emptyCT, emptyBody := multipartBody(t, map[string]string{"upload_id": "up-bad"}, "", "")
	unknownCT, unknownBody := multipartBody(t, map[string]string{"upload_id": "up-bad", "evil": "1"}, "video", notVideo)
	nvCT, nvBody := multipartBody(t, map[string]string{"upload_id": "up-bad"}, "video", notVideo)
	nvRefCT, nvRefBody := multipartBody(t, map[string]string{"id": "ref-bad", "platform": "tiktok"}, "video", notVideo)

	before := storeSnapshot(t, e)
	cases := []struct {
		name, method, path, token, ct string
		body                          string
		raw                           *bytes.Buffer
		status                        int
		code                          string
	}{
		{"malformed JSON", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id": "up-bad", "path":`, nil, 400, models.EInvalid},
		{"empty JSON body", "POST", "/v1/uploads:check", pipe, "application/json", ``, nil, 400, models.EInvalid},
		{"trailing data", "POST", "/v1/claims/x/decision", rev, "application/json", `{"decision":"uphold","reason":"r"} {}`, nil, 400, models.EInvalid},
		{"unknown field", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"up-bad","pth":"/x"}`, nil, 400, models.EInvalid},
		{"wrong type", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":7}`, nil, 400, models.EInvalid},
		{"no path", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"up-bad"}`, nil, 400, models.EInvalid},
		{"relative path", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"up-bad","path":"../etc/passwd"}`, nil, 400, models.EInvalid},
		{"path outside", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"up-bad","path":"/etc/passwd"}`, nil, 403, models.EForbidden},
		{"dotdot escape", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"up-bad","path":"` + e.local + `/../outside.mp4"}`, nil, 403, models.EForbidden},
		{"symlink escape", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"up-bad","path":"` + e.local + `/escape.mp4"}`, nil, 403, models.EForbidden},
		{"not a video", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"up-bad","path":"` + notVideo + `"}`, nil, 400, models.EInvalid},
		{"not a video upload", "POST", "/v1/uploads:check", pipe, "", "", nvBody, 400, models.EInvalid},
		{"not a video reference", "POST", "/v1/references", admin, "", "", nvRefBody, 400, models.EInvalid},
		{"too long", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"up-bad","path":"` + long + `"}`, nil, 413, models.ETooLarge},
		{"bad upload id", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"a\nb","path":"` + notVideo + `"}`, nil, 400, models.EInvalid},
		{"bad metadata", "POST", "/v1/uploads:check", pipe, "application/json", `{"upload_id":"up-bad","path":"` + notVideo + `","platform_metadata":[1]}`, nil, 400, models.EInvalid},
		{"wrong content type", "POST", "/v1/uploads:check", pipe, "text/plain", `hello`, nil, 415, eUnsupportedMedia},
		{"oversized JSON", "POST", "/v1/claims/x/decision", rev, "application/json", string(big), nil, 413, models.ETooLarge},
		{"oversized upload", "POST", "/v1/uploads:check", pipe, "", "", mpBody, 413, models.ETooLarge},
		{"multipart without file", "POST", "/v1/uploads:check", pipe, "", "", emptyBody, 400, models.EInvalid},
		{"unknown multipart field", "POST", "/v1/uploads:check", pipe, "", "", unknownBody, 400, models.EInvalid},
		{"unknown claim", "GET", "/v1/claims/nope", rev, "", "", nil, 404, models.ENotFound},
		{"unknown claim decision", "POST", "/v1/claims/nope/decision", rev, "application/json", `{"decision":"uphold","reason":"r"}`, nil, 404, models.ENotFound},
		{"unknown decision", "POST", "/v1/claims/nope/decision", rev, "application/json", `{"decision":"maybe","reason":"r"}`, nil, 400, models.EInvalid},
		{"unknown dispute reason", "POST", "/v1/claims/nope/dispute", pipe, "application/json", `{"reason":"because"}`, nil, 400, models.EInvalid},
		{"unknown upload", "GET", "/v1/uploads/nope", pipe, "", "", nil, 404, models.ENotFound},
		{"unknown upload frame", "GET", "/v1/uploads/nope/frame?t=1", rev, "", "", nil, 404, models.ENotFound},
		{"frame without t", "GET", "/v1/references/nope/frame", rev, "", "", nil, 400, models.EInvalid},
		{"frame negative t", "GET", "/v1/references/nope/frame?t=-1", rev, "", "", nil, 400, models.EInvalid},
		{"unknown reference", "GET", "/v1/references/nope", rev, "", "", nil, 404, models.ENotFound},
		{"delete unknown reference", "DELETE", "/v1/references/nope", admin, "", "", nil, 404, models.ENotFound},
		{"reserved platform", "POST", "/v1/references", admin, "application/json", `{"id":"r","platform":"self","path":"` + notVideo + `"}`, nil, 400, models.EInvalid},
		{"empty import", "POST", "/v1/references:import", admin, "application/json", `{"references":[]}`, nil, 400, models.EInvalid},
		{"bad filter", "GET", "/v1/claims?state=bogus", rev, "", "", nil, 400, models.EInvalid},
		{"unknown filter", "GET", "/v1/claims?colour=red", rev, "", "", nil, 400, models.EInvalid},
		{"bad paging", "GET", "/v1/complaints?limit=-3", rev, "", "", nil, 400, models.EInvalid},
		{"unknown route", "GET", "/v1/nothing", rev, "", "", nil, 404, models.ENotFound},
		{"wrong method", "PUT", "/v1/claims", rev, "", "", nil, 405, eMethodNotAllowed},
		{"wrong role", "POST", "/v1/uploads:check", rev, "application/json", `{"upload_id":"up-bad","path":"` + notVideo + `"}`, nil, 403, models.EForbidden},
		{"no token", "GET", "/v1/claims", "", "", "", nil, 401, models.EUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			switch {
			case tc.raw != nil:
				ct := mpCT
				switch tc.raw {
				case emptyBody:
					ct = emptyCT
				case unknownBody:
					ct = unknownCT
				case nvBody:
					ct = nvCT
				case nvRefBody:
					ct = nvRefCT
				}
				r = e.do(tc.method, tc.path, tc.token, ct, bytes.NewReader(tc.raw.Bytes()))
			case tc.body != "":
				r = e.do(tc.method, tc.path, tc.token, tc.ct, strings.NewReader(tc.body))
			default:
				r = e.do(tc.method, tc.path, tc.token, tc.ct, nil)
			}
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.code)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("error content type %q", ct)
			}
			var eb errorBody
			if err := json.Unmarshal(r.body, &eb); err != nil || eb.Error.Message == "" {
				t.Errorf("error body %s is not the JSON error shape", r.body)
			}
			if strings.Contains(string(r.body), e.data) && tc.code != models.EForbidden && tc.code != models.EInvalid {
				t.Errorf("error leaks a server path: %s", r.body)
			}
		})
	}
	if after := storeSnapshot(t, e); after != before {
		t.Errorf("bad requests changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

// TestComplaintVerification files complaints through the API: an original
// named by reference id and one uploaded as a file are verified against the
// upload that copies them; the same original against an unrelated upload is
// left unverified for review, never upheld.
func TestComplaintVerification(t *testing.T) {
	c := testClips(t)
	e := newTestEnv(t, envOptions{})
	admin, pipe, rh := e.tokens[models.RoleAdmin], e.tokens[models.RolePipeline], e.tokens[models.RoleRightsHolder]
	ct, body := multipartBody(t, map[string]string{"id": "tiktok:1", "platform": "tiktok"}, "video", c.reference)
	if r := e.do("POST", "/v1/references", admin, ct, body); r.status != http.StatusCreated {
		t.Fatalf("add reference: %d %s", r.status, r.body)
	}
	for id, clip := range map[string]string{"up-1": c.copy, "up-2": c.other} {
		ct, body := multipartBody(t, map[string]string{"upload_id": id}, "video", clip)
		if r := e.do("POST", "/v1/uploads:check", pipe, ct, body); r.status != http.StatusOK {
			t.Fatalf("check %s: %d %s", id, r.status, r.body)
		}
	}
	r := e.doJSON("POST", "/v1/complaints", rh, map[string]any{
		"original": map[string]any{"reference_id": "tiktok:1"}, "upload_ids": []string{"up-1", "up-2"},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("complaint by reference: %d %s", r.status, r.body)
	}
	d := decodeBody[claims.ComplaintDetail](t, r)
	if len(d.Claims) != 2 || d.Claims[0].Verification != models.VerificationVerified || d.Claims[1].Verification != models.VerificationUnverified {
		t.Fatalf("complaint by reference: claims %+v, want up-1 verified and up-2 unverified", d.Claims)
	}
	if d.Claims[1].State == models.StateUpheld {
		t.Errorf("unverified claim was upheld")
	}

	// The original as a file: fingerprinted on the server, not kept.
	complaint := `{"original":{"title":"my clip","first_published":{"platform":"youtube","url":"https://youtube.example/x"}},"upload_ids":["up-1"]}`
	ct, body = multipartBody(t, map[string]string{"complaint": complaint}, "original", c.reference)
	r = e.do("POST", "/v1/complaints", rh, ct, body)
	if r.status != http.StatusCreated {
		t.Fatalf("complaint with a file: %d %s", r.status, r.body)
	}
	d = decodeBody[claims.ComplaintDetail](t, r)
	if len(d.Claims) != 1 || d.Claims[0].Verification != models.VerificationVerified || !strings.HasPrefix(d.Claims[0].Reference.ID, "original:") {
		t.Fatalf("complaint with a file: claims %+v, want one verified claim on original:…", d.Claims)
	}
	if d.Complaint.Original.Fingerprint == nil || len(d.Complaint.Original.Fingerprint.Frames) != 0 {
		t.Errorf("complaint response should carry the original's fingerprint summary without frames")
	}
	// The rights holder follows its complaints.
	list := decodeBody[complaintList](t, e.do("GET", "/v1/complaints", rh, "", nil))
	if list.Total != 2 {
		t.Errorf("own complaints: total %d, want 2", list.Total)
	}
	got := decodeBody[claims.ComplaintDetail](t, e.do("GET", "/v1/complaints/"+d.Complaint.ID, rh, "", nil))
	if got.Complaint.ID != d.Complaint.ID || len(got.Claims) != 1 || got.Claims[0].ID != d.Claims[0].ID {
		t.Errorf("own complaint = %+v", got)
	}
}

// TestReferences covers the catalogue routes: add by upload and by
// server-local path, replace, bulk import with a failing item, list with
// paging, get and delete, and the files kept for evidence.
func TestReferences(t *testing.T) {
	c := testClips(t)
	e := newTestEnv(t, envOptions{})
	admin, rev := e.tokens[models.RoleAdmin], e.tokens[models.RoleReviewer]
	refDir := filepath.Join(e.data, "references")
	kept := func() int {
		fs, _ := os.ReadDir(refDir)
		return len(fs)
	}
	for i := 0; i < 2; i++ { // the second add replaces the first
		ct, body := multipartBody(t, map[string]string{"id": "yt:1", "platform": "youtube", "published": "2024-05-01T00:00:00Z"}, "video", c.reference)
		if r := e.do("POST", "/v1/references", admin, ct, body); r.status != http.StatusCreated {
			t.Fatalf("add %d: %d %s", i, r.status, r.body)
		}
	}
	if n := kept(); n != 1 {
		t.Errorf("%d files kept after replacing a reference, want 1", n)
	}
	copyFile(t, c.other, filepath.Join(e.local, "other.mp4"))
	if err := os.WriteFile(filepath.Join(e.local, "broken.mp4"), []byte("not video"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.doJSON("POST", "/v1/references:import", admin, map[string]any{
		"skip_existing": true,
		"references": []map[string]any{
			{"id": "yt:1", "platform": "youtube", "path": filepath.Join(e.local, "other.mp4")},
			{"id": "ks:2", "platform": "kuaishou", "path": filepath.Join(e.local, "other.mp4")},
			{"id": "ks:3", "platform": "kuaishou", "path": filepath.Join(e.local, "broken.mp4")},
			{"id": "ks:4", "platform": "kuaishou", "path": "/etc/hostname"},
		},
	})
	if r.status != http.StatusOK {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	imp := decodeBody[importResponse](t, r)
	if strings.Join(imp.Added, ",") != "ks:2" || strings.Join(imp.Skipped, ",") != "yt:1" || len(imp.Failed) != 2 ||
		imp.Failed[0].Error.Code != models.EInvalid || imp.Failed[1].Error.Code != models.EForbidden {
		t.Fatalf("import = %s, want ks:2 added, yt:1 skipped, ks:3 invalid, ks:4 forbidden", r.body)
	}
	page := decodeBody[videoList](t, e.do("GET", "/v1/references?limit=1", rev, "", nil))
	if len(page.Items) != 1 || page.Items[0].ID != "ks:2" || page.Next != "ks:2" {
		t.Fatalf("first page = %+v", page)
	}
	page = decodeBody[videoList](t, e.do("GET", "/v1/references?limit=1&after="+page.Next, rev, "", nil))
	if len(page.Items) != 1 || page.Items[0].ID != "yt:1" || page.Items[0].Path != "" {
		t.Fatalf("second page = %+v", page)
	}
	if v := decodeBody[models.Video](t, e.do("GET", "/v1/references/yt:1", rev, "", nil)); v.Platform != "youtube" || v.Published.IsZero() {
		t.Errorf("get yt:1 = %+v", v)
	}
	if r := e.do("DELETE", "/v1/references/yt:1", admin, "", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/references/yt:1", rev, "", nil); r.status != http.StatusNotFound {
		t.Errorf("get after delete: %d", r.status)
	}
	if n := kept(); n != 0 {
		t.Errorf("%d files kept after delete, want 0", n)
	}
	if _, err := os.Stat(filepath.Join(e.local, "other.mp4")); err != nil {
		t.Errorf("a server-local reference file was touched: %v", err)
	}
}
