package ui

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// client is a cookie-keeping HTTP client against the pages on a real
// loopback listener; it does not follow redirects so tests can see them.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string // the form token of the last page that had one
}

func newClient(t *testing.T, h http.Handler) *client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: srv.URL, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if m := csrfField.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values, header ...string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// signIn signs in with token and fails the test unless it worked.
func (c *client) signIn(token string) {
	c.t.Helper()
	c.get("/signin")
	resp, body := c.post("/signin", url.Values{"token": {token}, "csrf": {c.csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in: status %d, want 303\n%s", resp.StatusCode, body)
	}
}

func wantStatus(t *testing.T, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, body)
	}
}

func TestSignIn(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	tests := []struct {
		name      string
		token     func(f *fixture) string
		csrf      string // "ok" uses the form's token
		origin    string
		next      string
		want      int
		wantLoc   string
		wantError string
	}{
		{name: "reviewer", token: func(f *fixture) string { return f.reviewer }, csrf: "ok", want: 303, wantLoc: "/queue"},
		{name: "rights holder", token: func(f *fixture) string { return f.tiktok }, csrf: "ok", want: 303, wantLoc: "/complaints"},
		{name: "back to next", token: func(f *fixture) string { return f.reviewer }, csrf: "ok", next: "/claims/x?y=1", want: 303, wantLoc: "/claims/x?y=1"},
		{name: "open redirect refused", token: func(f *fixture) string { return f.reviewer }, csrf: "ok", next: "//evil.example/", want: 303, wantLoc: "/queue"},
		{name: "unknown token", token: func(*fixture) string { return "cct_nope" }, csrf: "ok", want: 401, wantError: "not valid"},
		{name: "empty token", token: func(*fixture) string { return "" }, csrf: "ok", want: 400, wantError: "Enter your API token"},
		{name: "pipeline has no pages", token: func(f *fixture) string { return f.pipeline }, csrf: "ok", want: 403, wantError: "has no pages"},
		{name: "missing csrf", token: func(f *fixture) string { return f.reviewer }, csrf: "", want: 403, wantError: "expired"},
		{name: "wrong csrf", token: func(f *fixture) string { return f.reviewer }, csrf: "forged", want: 403, wantError: "expired"},
		{name: "cross-site origin", token: func(f *fixture) string { return f.reviewer }, csrf: "ok", origin: "https://evil.example", want: 403, wantError: "expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, f.handler)
			c.get("/signin")
			csrf := tc.csrf
			if csrf == "ok" {
				csrf = c.csrf
			}
			var hdr []string
			if tc.origin != "" {
				hdr = []string{"Origin", tc.origin}
			}
			resp, body := c.post("/signin", url.Values{"token": {tc.token(f)}, "csrf": {csrf}, "next": {tc.next}}, hdr...)
			wantStatus(t, resp, body, tc.want)
			if tc.wantLoc != "" && resp.Header.Get("Location") != tc.wantLoc {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tc.wantLoc)
			}
			if tc.wantError != "" && !strings.Contains(body, tc.wantError) {
				t.Errorf("body lacks %q:\n%s", tc.wantError, body)
			}
			var session *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == sessionCookie && ck.MaxAge >= 0 {
					session = ck
				}
			}
			if (session != nil) != (tc.want == 303) {
				t.Fatalf("session cookie set = %v, want %v", session != nil, tc.want == 303)
			}
			if session != nil && (!session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || session.Path != "/") {
				t.Errorf("session cookie attributes: %+v", session)
			}
		})
	}
}

func TestSessionCookieSecureOverTLS(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "https://copycat.example/signin", nil)
	req.TLS = &tls.ConnectionState{}
	f.handler.ServeHTTP(rec, req)
	cks := rec.Result().Cookies()
	if len(cks) == 0 || !cks[0].Secure || !cks[0].HttpOnly || cks[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookies over TLS: %+v", cks)
	}
}

func TestPagesNeedASession(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := newClient(t, f.handler)
	for _, p := range []string{"/queue", "/claims/" + f.top, "/complaints", "/complaints/new", "/claims/" + f.top + "/frames/upload?t=1"} {
		resp, body := c.get(p)
		wantStatus(t, resp, body, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/signin?next="+url.QueryEscape(p) {
			t.Errorf("GET %s: Location %q", p, loc)
		}
	}
	resp, body := c.post("/claims/"+f.top+"/decide", url.Values{"decision": {"uphold"}, "reason": {"x"}, "version": {"1"}})
	wantStatus(t, resp, body, http.StatusUnauthorized)
	assertClaim(t, f, f.top, models.StateOpen, 1)
	// A forged cookie is no session either.
	u, _ := url.Parse(c.base)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "forged"}})
	resp, body = c.get("/queue")
	wantStatus(t, resp, body, http.StatusSeeOther)
}

// assertClaim checks a claim's stored state and version, and so that a
// rejected request changed nothing.
func assertClaim(t *testing.T, f *fixture, id string, state models.ClaimState, version int64) {
	t.Helper()
	d, err := f.svc.Get(context.Background(), operator, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Claim.State != state || d.Claim.Version != version {
		t.Fatalf("claim %s is %s v%d, want %s v%d", id, d.Claim.State, d.Claim.Version, state, version)
	}
}

func TestDecideRejectsForgedForms(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := newClient(t, f.handler)
	c.signIn(f.reviewer)
	_, _ = c.get("/claims/" + f.top)
	good := c.csrf
	tests := []struct {
		name   string
		csrf   string
		origin string
	}{
		{"no token", "", ""},
		{"wrong token", "AAAA" + good[4:], ""},
		{"token of another session", "", ""},
		{"right token, foreign origin", good, "https://evil.example"},
	}
	other := newClient(t, f.handler)
	other.signIn(f.reviewer)
	other.get("/claims/" + f.top)
	tests[2].csrf = other.csrf
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.origin != "" {
				hdr = []string{"Origin", tc.origin}
			}
			resp, body := c.post("/claims/"+f.top+"/decide", url.Values{"csrf": {tc.csrf}, "decision": {"uphold"}, "reason": {"forged"}, "version": {"1"}}, hdr...)
			wantStatus(t, resp, body, http.StatusForbidden)
			if !strings.Contains(body, "did not come from this site") {
				t.Errorf("no clear message:\n%s", body)
			}
			assertClaim(t, f, f.top, models.StateOpen, 1)
		})
	}
	// Sign-out is a form too.
	resp, body := c.post("/signout", url.Values{"csrf": {"forged"}})
	wantStatus(t, resp, body, http.StatusForbidden)
	resp, body = c.get("/queue")
	wantStatus(t, resp, body, http.StatusOK)
}

func TestDecide(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := newClient(t, f.handler)
	c.signIn(f.reviewer)
	_, page := c.get("/claims/" + f.top)
	for _, want := range []string{`value="uphold"`, `value="escalate"`, `name="version" value="1"`, "tiktok:7281", "The reference was published first, 19 days before the upload", `class="timeline"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("claim page lacks %q", want)
		}
	}

	// Bad forms: clear message, reason kept, nothing stored.
	bad := []struct {
		name string
		form url.Values
		want int
		msg  string
	}{
		{"no reason", url.Values{"decision": {"uphold"}, "reason": {"  "}, "version": {"1"}}, 400, "give a reason"},
		{"unknown decision", url.Values{"decision": {"delete"}, "reason": {"r"}, "version": {"1"}}, 400, "unknown decision"},
		{"no version", url.Values{"decision": {"uphold"}, "reason": {"keep me"}}, 400, "lacks the claim version"},
		{"stale version", url.Values{"decision": {"uphold"}, "reason": {"keep me"}, "version": {"7"}}, 409, "changed since version 7"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("csrf", c.csrf)
			resp, body := c.post("/claims/"+f.top+"/decide", tc.form)
			wantStatus(t, resp, body, tc.want)
			if !strings.Contains(body, tc.msg) {
				t.Errorf("body lacks %q", tc.msg)
			}
			if r := tc.form.Get("reason"); strings.TrimSpace(r) != "" && !strings.Contains(body, ">"+r+"</textarea>") {
				t.Errorf("reason %q not kept in the form", r)
			}
			assertClaim(t, f, f.top, models.StateOpen, 1)
		})
	}

	resp, body := c.post("/claims/"+f.top+"/decide", url.Values{"csrf": {c.csrf}, "decision": {"uphold"}, "reason": {"same choreography <b>frame</b> for frame"}, "version": {"1"}})
	wantStatus(t, resp, body, http.StatusSeeOther)
	assertClaim(t, f, f.top, models.StateUpheld, 2)
	_, page = c.get(resp.Header.Get("Location"))
	for _, want := range []string{"Decision recorded: the claim is now upheld.", "open → upheld", "by rita-reviewer", "same choreography &lt;b&gt;frame&lt;/b&gt; for frame"} {
		if !strings.Contains(page, want) {
			t.Errorf("page after deciding lacks %q", want)
		}
	}
	if strings.Contains(page, `value="uphold"`) {
		t.Error("an upheld claim still offers the uphold button")
	}
	// The second reviewer, still on version 1, loses.
	resp, body = c.post("/claims/"+f.top+"/decide", url.Values{"csrf": {c.csrf}, "decision": {"reject"}, "reason": {"late"}, "version": {"1"}})
	wantStatus(t, resp, body, http.StatusConflict)
	assertClaim(t, f, f.top, models.StateUpheld, 2)
}

func TestRightsHolderSeesOnlyOwnOrganisation(t *testing.T) {
	f := newFixture(t, fixtureOpts{videos: true})
	kwai := newClient(t, f.handler)
	kwai.signIn(f.kwai)

	// Their own claim is visible; the other org's is a 404 that looks like an
	// unknown id, on every route.
	resp, body := kwai.get("/claims/" + f.kwaiClaim)
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(body, `class="unmirror"`) || !strings.Contains(body, "shown flipped back") {
		t.Error("mirrored evidence is not shown flipped back")
	}
	if strings.Contains(body, `name="decision"`) {
		t.Error("a rights holder is offered decisions on an open claim")
	}
	for _, p := range []string{"/claims/" + f.top, "/claims/cl_doesnotexist", "/claims/" + f.top + "/frames/upload?t=1", "/claims/" + f.top + "/frames/reference?t=3"} {
		resp, body := kwai.get(p)
		wantStatus(t, resp, body, http.StatusNotFound)
		for _, leak := range []string{"up-1001", "tiktok:7281", "copy-cat-42", "0.93"} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s leaks %q", p, leak)
			}
		}
	}
	resp, body = kwai.post("/claims/"+f.top+"/decide", url.Values{"csrf": {kwai.csrf}, "decision": {"reject"}, "reason": {"not ours"}, "version": {"1"}})
	wantStatus(t, resp, body, http.StatusNotFound)
	assertClaim(t, f, f.top, models.StateOpen, 1)

	// The overview lists only their organisation's claims.
	resp, body = kwai.get("/complaints")
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(body, f.kwaiClaim) || strings.Contains(body, f.top) || strings.Contains(body, f.second) {
		t.Errorf("overview shows the wrong claims:\n%s", body)
	}
	// Reviewer-only pages are forbidden.
	resp, body = kwai.get("/queue")
	wantStatus(t, resp, body, http.StatusForbidden)

	// A complaint of another organisation is a 404 too.
	tk := newClient(t, f.handler)
	tk.signIn(f.tiktok)
	tk.get("/complaints/new")
	resp, body = tk.post("/complaints", url.Values{"csrf": {tk.csrf}, "source": {"reference"}, "reference_id": {"tiktok:7281"}, "uploads": {"up-2001"}})
	wantStatus(t, resp, body, http.StatusSeeOther)
	cpPath := strings.TrimSuffix(resp.Header.Get("Location"), "?notice=filed")
	resp, body = kwai.get(cpPath)
	wantStatus(t, resp, body, http.StatusNotFound)
	resp, body = tk.get(cpPath)
	wantStatus(t, resp, body, http.StatusOK)
}

func TestFrames(t *testing.T) {
	f := newFixture(t, fixtureOpts{videos: true})
	c := newClient(t, f.handler)
	c.signIn(f.reviewer)
	tests := []struct {
		path string
		want int
	}{
		{"/claims/" + f.top + "/frames/upload?t=1.5", 200},
		{"/claims/" + f.top + "/frames/reference?t=3.5", 200},
		{"/claims/" + f.top + "/frames/thumbnail?t=1", 404},
		{"/claims/" + f.top + "/frames/upload?t=-1", 400},
		{"/claims/" + f.top + "/frames/upload?t=NaN", 400},
		{"/claims/" + f.top + "/frames/upload", 400},
		{"/claims/" + f.second + "/frames/upload?t=1", 404}, // no file for that upload
		{"/claims/nope/frames/upload?t=1", 404},
	}
	for _, tc := range tests {
		resp, body := c.get(tc.path)
		wantStatus(t, resp, body, tc.want)
		if tc.want == 200 {
			if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" || !strings.HasPrefix(body, "\xff\xd8") {
				t.Errorf("%s: %s, %d bytes, not a JPEG", tc.path, ct, len(body))
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "private") {
				t.Errorf("%s: Cache-Control %q, want private", tc.path, cc)
			}
		}
	}
}

func TestQueueFiltersAndPaging(t *testing.T) {
	f := newFixture(t, fixtureOpts{extra: 25})
	c := newClient(t, f.handler)
	c.signIn(f.reviewer)
	rows := regexp.MustCompile(`<td data-label="Claim"><a href="/claims/([^"]+)">`)
	ids := func(body string) []string {
		var out []string
		for _, m := range rows.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	resp, body := c.get("/queue")
	wantStatus(t, resp, body, http.StatusOK)
	first := ids(body)
	if len(first) != queuePageSize || first[0] != f.top {
		t.Fatalf("page 1: %d rows starting %v, want %d starting with %s", len(first), first[:1], queuePageSize, f.top)
	}
	if !strings.Contains(body, "Claims 1–20 of 28") || !strings.Contains(body, `href="/queue?page=2"`) {
		t.Errorf("page 1 summary or next link missing")
	}
	_, body = c.get("/queue?page=2")
	if got := ids(body); len(got) != 8 || strings.Contains(body, `rel="next"`) {
		t.Errorf("page 2: %d rows, next link %v", len(got), strings.Contains(body, `rel="next"`))
	}
	_, body = c.get("/queue?platform=kwai")
	if got := ids(body); len(got) != 1 || got[0] != f.kwaiClaim {
		t.Errorf("platform=kwai: %v", got)
	}
	_, body = c.get("/queue?origin=complaint")
	if got := ids(body); len(got) != 0 {
		t.Errorf("origin=complaint: %v", got)
	}
	if _, err := f.svc.Decide(context.Background(), models.Principal{Role: models.RoleReviewer, Name: "r"}, f.second, claims.DecideReject, "no", 1); err != nil {
		t.Fatal(err)
	}
	_, body = c.get("/queue?state=rejected")
	if got := ids(body); len(got) != 1 || got[0] != f.second {
		t.Errorf("state=rejected: %v", got)
	}
	_, body = c.get("/queue")
	if strings.Contains(body, f.second) {
		t.Error("a rejected claim is still waiting for review")
	}
	for _, q := range []string{"state=bogus", "origin=bogus", "page=0", "page=x", "platform=" + strings.Repeat("p", 300)} {
		resp, body := c.get("/queue?" + q)
		wantStatus(t, resp, body, http.StatusBadRequest)
	}
}

func TestFileComplaint(t *testing.T) {
	f := newFixture(t, fixtureOpts{videos: true})
	c := newClient(t, f.handler)
	c.signIn(f.tiktok)
	_, form := c.get("/complaints/new")
	if !strings.Contains(form, `<label for="uploads">`) || !strings.Contains(form, `type="file"`) {
		t.Fatal("complaint form lacks its labelled fields")
	}
	count := func() int {
		_, n, err := f.svc.MyComplaints(context.Background(), operator, claims.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	bad := []struct {
		name string
		form url.Values
		msg  string
	}{
		{"no uploads", url.Values{"source": {"reference"}, "reference_id": {"tiktok:7281"}, "uploads": {" \n "}}, "at least one accused upload"},
		{"no original", url.Values{"source": {"reference"}, "uploads": {"up-1"}}, "id of the indexed reference"},
		{"bad date", url.Values{"source": {"reference"}, "reference_id": {"tiktok:7281"}, "uploads": {"up-1"}, "published": {"yesterday"}}, "want YYYY-MM-DD"},
		{"bad url", url.Values{"source": {"reference"}, "reference_id": {"tiktok:7281"}, "uploads": {"up-1"}, "url": {"javascript:alert(1)"}}, "http or https"},
		{"allow action", url.Values{"source": {"reference"}, "reference_id": {"tiktok:7281"}, "uploads": {"up-1"}, "action": {"allow"}}, "asks for nothing"},
		{"file without file", url.Values{"source": {"file"}, "uploads": {"up-1"}}, "choose the video file"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("csrf", c.csrf)
			resp, body := c.post("/complaints", tc.form)
			wantStatus(t, resp, body, http.StatusBadRequest)
			if !strings.Contains(body, tc.msg) {
				t.Errorf("body lacks %q", tc.msg)
			}
			if u := tc.form.Get("uploads"); strings.TrimSpace(u) != "" && !strings.Contains(body, u+"</textarea>") {
				t.Errorf("accused uploads not kept in the form")
			}
			if n := count(); n != 0 {
				t.Fatalf("a rejected form stored %d complaints", n)
			}
		})
	}

	resp, body := c.post("/complaints", url.Values{"csrf": {c.csrf}, "source": {"reference"}, "reference_id": {"tiktok:7281"},
		"uploads": {"up-1003\nup-2002, up-2002"}, "platform": {"tiktok"}, "published": {"2026-11-01"}, "action": {"takedown"}})
	wantStatus(t, resp, body, http.StatusSeeOther)
	_, page := c.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "2 claim(s) opened or updated") || !strings.Contains(page, "up-2002") {
		t.Errorf("complaint page:\n%s", page)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d complaints stored, want 1", n)
	}

	// A file original is fingerprinted (with the real fingerprinter) and
	// filed; the upload id list is the same form field.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": c.csrf, "source": "file", "uploads": "up-1001", "title": "Dance"} {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("original", "dance.mp4")
	video, err := readFile(f.videos["reference/tiktok:7281"])
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(video)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/complaints", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, body = c.do(req)
	wantStatus(t, resp, body, http.StatusSeeOther)
	_, page = c.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "uploaded file (dance.mp4, 8.0 s)") {
		t.Errorf("file complaint page lacks the fingerprinted original:\n%s", page)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d complaints stored, want 2", n)
	}

	// Reviewers do not file complaints.
	r := newClient(t, f.handler)
	r.signIn(f.reviewer)
	r.get("/queue")
	resp, body = r.post("/complaints", url.Values{"csrf": {r.csrf}, "source": {"reference"}, "reference_id": {"x"}, "uploads": {"u"}})
	wantStatus(t, resp, body, http.StatusForbidden)
}

func TestSignOutAndRevocation(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := newClient(t, f.handler)
	c.signIn(f.reviewer)
	c.get("/queue")
	resp, body := c.post("/signout", url.Values{"csrf": {c.csrf}})
	wantStatus(t, resp, body, http.StatusSeeOther)
	resp, body = c.get("/queue")
	wantStatus(t, resp, body, http.StatusSeeOther)

	// Revoking the token ends a live session on its next request.
	c.signIn(f.reviewer)
	resp, body = c.get("/queue")
	wantStatus(t, resp, body, http.StatusOK)
	toks, err := f.svc.Tokens(context.Background(), operator)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if tk.Role == models.RoleReviewer {
			if err := f.svc.RevokeToken(context.Background(), operator, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	resp, body = c.get("/queue")
	wantStatus(t, resp, body, http.StatusSeeOther)
}

func TestSessionExpiry(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := newSessions(8*time.Hour, time.Hour, func() time.Time { return now })
	a := s.create("tok")
	if a.id == a.csrf || len(a.id) < 40 {
		t.Fatalf("weak session ids: %+v", a)
	}
	tests := []struct {
		advance time.Duration
		live    bool
	}{
		{50 * time.Minute, true}, // idle timer restarts on use
		{50 * time.Minute, true},
		{59 * time.Minute, true},
		{61 * time.Minute, false}, // idle too long
	}
	for i, tc := range tests {
		now = now.Add(tc.advance)
		if _, ok := s.get(a.id); ok != tc.live {
			t.Fatalf("step %d: live = %v, want %v", i, ok, tc.live)
		}
	}
	b := s.create("tok")
	for i := 0; i < 9; i++ { // used every 55 minutes, but 8 hours is the limit
		now = now.Add(55 * time.Minute)
		_, ok := s.get(b.id)
		if want := i < 8; ok != want {
			t.Fatalf("after %d uses: live = %v, want %v", i+1, ok, want)
		}
	}
	if s.len() != 0 {
		t.Errorf("%d dead sessions kept", s.len())
	}
}

func TestSessionsBounded(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := newSessions(0, 0, func() time.Time { now = now.Add(time.Millisecond); return now })
	first := s.create("t")
	for i := 0; i < maxSessions; i++ {
		s.create("t")
	}
	if s.len() != maxSessions {
		t.Fatalf("%d sessions, want the cap %d", s.len(), maxSessions)
	}
	if _, ok := s.get(first.id); ok {
		t.Error("the oldest session survived the cap")
	}
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"/queue?page=2":        "/queue?page=2",
		"/claims/cl_1#audit":   "/claims/cl_1#audit",
		"":                     "",
		"queue":                "",
		"//evil.example":       "",
		"/\\evil.example":      "",
		"https://evil.example": "",
		"/signin":              "",
		"/x\r\nSet-Cookie: a":  "",
	}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecurityHeadersAndUnknownPages(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := newClient(t, f.handler)
	resp, body := c.get("/no/such/page")
	wantStatus(t, resp, body, http.StatusNotFound)
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	resp, body = c.get("/static/style.css")
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css served as %q", resp.Header.Get("Content-Type"))
	}
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

func TestRightsHolderAnswersDispute(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	if _, err := f.svc.Decide(ctx, models.Principal{Role: models.RoleReviewer, Name: "r"}, f.top, claims.DecideUphold, "copy", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Dispute(ctx, pipe, f.top, models.ReasonLicensed, "I bought a licence", 2); err != nil {
		t.Fatal(err)
	}
	kwai := newClient(t, f.handler)
	kwai.signIn(f.kwai)
	_, body := kwai.get("/complaints")
	if strings.Contains(body, "wait for your answer") {
		t.Error("another organisation's dispute shows on the kwai overview")
	}
	tk := newClient(t, f.handler)
	tk.signIn(f.tiktok)
	_, body = tk.get("/complaints")
	if !strings.Contains(body, "1 disputed claim(s) wait for your answer") {
		t.Fatalf("overview does not flag the dispute:\n%s", body)
	}
	_, body = tk.get("/claims/" + f.top)
	for _, want := range []string{"Stand by the claim", "Release the claim", "licensed", "I bought a licence", "claimant must answer by"} {
		if !strings.Contains(body, want) {
			t.Errorf("disputed claim page lacks %q", want)
		}
	}
	// Kwai cannot answer it: the claim does not exist for them.
	resp, body := kwai.post("/claims/"+f.top+"/decide", url.Values{"csrf": {kwai.csrf}, "decision": {"uphold"}, "reason": {"x"}, "version": {"3"}})
	wantStatus(t, resp, body, http.StatusNotFound)
	assertClaim(t, f, f.top, models.StateDisputed, 3)

	resp, body = tk.post("/claims/"+f.top+"/decide", url.Values{"csrf": {tk.csrf}, "decision": {"reject"}, "reason": {"licence confirmed"}, "version": {"3"}})
	wantStatus(t, resp, body, http.StatusSeeOther)
	assertClaim(t, f, f.top, models.StateReinstated, 4)
	_, body = tk.get("/claims/" + f.top)
	if !strings.Contains(body, "disputed → reinstated") || !strings.Contains(body, "by tina-tiktok (rights holder)") {
		t.Errorf("audit trail lacks the rights holder's answer")
	}
	if strings.Contains(body, `name="decision"`) {
		t.Error("a reinstated claim still offers decisions")
	}
}

func TestComplaintsOverviewPaging(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for i := 0; i < complaintsPageSize+3; i++ {
		mustVerdict(t, f.svc, models.Upload{ID: fmt.Sprintf("tt-%02d", i)}, models.Match{
			Reference: models.Video{ID: fmt.Sprintf("tiktok:%02d", i), Platform: "tiktok", Duration: 10}, Score: 0.8,
			Segments: []models.Segment{{QueryStart: 0, QueryEnd: 4, ReferenceStart: 0, ReferenceEnd: 4}},
		})
	}
	c := newClient(t, f.handler)
	c.signIn(f.tiktok)
	rows := regexp.MustCompile(`<td data-label="Claim"><a href="/claims/`)
	_, body := c.get("/complaints")
	// 2 fixture claims + 28 new ones = 30 TikTok claims.
	if n := len(rows.FindAllString(body, -1)); n != complaintsPageSize || !strings.Contains(body, "1–25 of 30") || !strings.Contains(body, `href="?page=2"`) {
		t.Fatalf("page 1: %d rows\n%s", n, body)
	}
	_, body = c.get("/complaints?page=2")
	if n := len(rows.FindAllString(body, -1)); n != 5 || !strings.Contains(body, "26–30 of 30") || strings.Contains(body, `rel="next"`) || !strings.Contains(body, `rel="prev"`) {
		t.Fatalf("page 2: %d rows\n%s", n, body)
	}
	for _, q := range []string{"page=0", "page=abc", "cpage=-2"} {
		resp, body := c.get("/complaints?" + q)
		wantStatus(t, resp, body, http.StatusBadRequest)
	}
}

func TestStoreDownKeepsSessionAndSays503(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := newClient(t, f.handler)
	c.signIn(f.reviewer)
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	resp, body := c.get("/queue")
	wantStatus(t, resp, body, http.StatusServiceUnavailable)
	if !strings.Contains(body, "cannot check your session right now") {
		t.Errorf("no clear message:\n%s", body)
	}
	h := f.handler.(*handler)
	if h.sessions.len() != 1 {
		t.Errorf("%d sessions after an outage, want the one kept", h.sessions.len())
	}
}
