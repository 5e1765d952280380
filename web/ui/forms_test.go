package ui

import (
	"math"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

func TestParseQueueQuery(t *testing.T) {
	tests := []struct {
		query   string
		want    queueQuery
		wantErr bool
	}{
		{"", queueQuery{State: stateWaiting, Page: 1}, false},
		{"state=waiting&page=3", queueQuery{State: stateWaiting, Page: 3}, false},
		{"state=all&platform=+kwai+&origin=auto", queueQuery{State: "all", Platform: "kwai", Origin: "auto", Page: 1}, false},
		{"state=disputed", queueQuery{State: "disputed", Page: 1}, false},
		{"state=deleted", queueQuery{}, true},
		{"origin=manual", queueQuery{}, true},
		{"page=-1", queueQuery{}, true},
		{"page=10001", queueQuery{}, true},
		{"page=1e3", queueQuery{}, true},
		{"platform=%ff", queueQuery{}, true},
	}
	for _, tc := range tests {
		v, _ := url.ParseQuery(tc.query)
		got, err := parseQueueQuery(v)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err = %v, want error %v", tc.query, err, tc.wantErr)
			continue
		}
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Errorf("%q: code %s, want invalid", tc.query, models.ErrorCode(err))
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.query, got, tc.want)
		}
	}
}

func TestQueueQueryRoundTrip(t *testing.T) {
	q := queueQuery{State: "all", Platform: "a&b=c", Origin: "complaint", Page: 1}
	for _, page := range []int{1, 2, 9} {
		v, _ := url.ParseQuery(q.values(page))
		got, err := parseQueueQuery(v)
		want := q
		want.Page = page
		if err != nil || got != want {
			t.Errorf("page %d: %+v, %v; want %+v", page, got, err, want)
		}
	}
}

func TestParseDecideForm(t *testing.T) {
	tests := []struct {
		form    url.Values
		want    decideForm
		wantErr string
	}{
		{url.Values{"decision": {"uphold"}, "reason": {" clear copy "}, "version": {"3"}}, decideForm{claims.DecideUphold, "clear copy", 3}, ""},
		{url.Values{"decision": {"Escalate"}, "reason": {"unsure"}, "version": {"1"}}, decideForm{claims.DecideEscalate, "unsure", 1}, ""},
		{url.Values{"decision": {"uphold"}, "version": {"1"}}, decideForm{}, "give a reason"},
		{url.Values{"decision": {"uphold"}, "reason": {strings.Repeat("x", maxReasonLen+1)}, "version": {"1"}}, decideForm{}, "longer than"},
		{url.Values{"decision": {"uphold"}, "reason": {"\xff"}, "version": {"1"}}, decideForm{}, "not valid text"},
		{url.Values{"decision": {"uphold"}, "reason": {"r"}, "version": {"0"}}, decideForm{}, "version"},
		{url.Values{"decision": {"uphold"}, "reason": {"r"}, "version": {"99999999999999999999"}}, decideForm{}, "version"},
		{url.Values{"decision": {""}, "reason": {"r"}, "version": {"1"}}, decideForm{}, "unknown decision"},
	}
	for _, tc := range tests {
		got, err := parseDecideForm(tc.form)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || models.ErrorCode(err) != models.EInvalid {
				t.Errorf("%v: err = %v, want invalid %q", tc.form, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %+v, %v; want %+v", tc.form, got, err, tc.want)
		}
	}
}

func TestParseUploadIDs(t *testing.T) {
	got, err := parseUploadIDs("up-1\r\nup-2, up-1;up-3\t\n\n")
	if err != nil || strings.Join(got, "|") != "up-1|up-2|up-3" {
		t.Fatalf("got %v, %v", got, err)
	}
	many := strings.Repeat("x ", 1) + func() string {
		var b strings.Builder
		for i := 0; i <= claims.MaxAccused; i++ {
			b.WriteString("u")
			b.WriteString(strings.Repeat("1", i%5+1))
			b.WriteString(string(rune('a'+i%26)) + string(rune('a'+i/26)) + "\n")
		}
		return b.String()
	}()
	if _, err := parseUploadIDs(many); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("too many ids: %v", err)
	}
	if _, err := parseUploadIDs(strings.Repeat("a", 300)); err == nil {
		t.Error("an over-long id was accepted")
	}
}

func TestParseFrameTime(t *testing.T) {
	for in, ok := range map[string]bool{"0": true, "1.25": true, "86400": true, "86400.5": false, "-0.1": false, "NaN": false, "Inf": false, "": false, "1e2": true, "0x1p4": true} {
		_, err := parseFrameTime(in)
		if (err == nil) != ok {
			t.Errorf("parseFrameTime(%q): err = %v, want ok %v", in, err, ok)
		}
	}
}

func FuzzParseQueueQuery(f *testing.F) {
	for _, s := range []string{"", "state=all&page=2", "state=%00", "platform=a&platform=b", "page=99999999999999999999", "origin=auto&state=disputed"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseQueueQuery(v)
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("%q: error code %s, want invalid", raw, models.ErrorCode(err))
			}
			return
		}
		// Whatever parses must be a filter the claims service accepts and
		// must survive the paging links.
		fl, pg := q.filter()
		if err := fl.Validate(); err != nil {
			t.Fatalf("%q: parsed into an invalid filter: %v", raw, err)
		}
		if pg.Offset < 0 || pg.Limit != queuePageSize {
			t.Fatalf("%q: page %+v", raw, pg)
		}
		back, _ := url.ParseQuery(q.values(q.Page))
		if q2, err := parseQueueQuery(back); err != nil || q2 != q {
			t.Fatalf("%q: paging link round trip %+v → %+v, %v", raw, q, q2, err)
		}
	})
}

func FuzzParseDecideForm(f *testing.F) {
	f.Add("uphold", "clear copy", "1")
	f.Add("REJECT", "", "0")
	f.Add("release", "\xff\xfe", "-5")
	f.Fuzz(func(t *testing.T, decision, reason, version string) {
		d, err := parseDecideForm(url.Values{"decision": {decision}, "reason": {reason}, "version": {version}})
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("error code %s, want invalid", models.ErrorCode(err))
			}
			return
		}
		if d.Reason == "" || len(d.Reason) > maxReasonLen || !utf8.ValidString(d.Reason) || d.Version < 1 {
			t.Fatalf("accepted %+v", d)
		}
		if _, err := claims.ParseDecision(string(d.Decision)); err != nil {
			t.Fatalf("accepted unknown decision %q", d.Decision)
		}
	})
}

func FuzzComplaintForm(f *testing.F) {
	f.Add("reference", "tiktok:1", "up-1\nup-2", "2026-11-01", "https://x.example/v", "takedown")
	f.Add("file", "", "a,b;c", "", "", "")
	f.Add("reference", "a\x00b", "\xff", "2026-13-40", "javascript:x", "allow")
	f.Fuzz(func(t *testing.T, source, ref, uploads, published, u, action string) {
		form := complaintForm{Source: source, ReferenceID: ref, Uploads: uploads, Published: published, URL: u, Action: action}
		r, err := form.request()
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("error code %s, want invalid", models.ErrorCode(err))
			}
			return
		}
		if source == "file" {
			// The fingerprint is the caller's to add; everything else must
			// already be what the claims service accepts.
			r.Original.Fingerprint = &models.Fingerprint{Frames: []models.FrameHash{{Kind: models.KindPHash}}}
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("form accepted a request the service rejects: %v\n%+v", err, form)
		}
	})
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/queue", "//evil", "/\\evil", "/%2F%2Fevil", "/a?b=//c", "https://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeNext(s)
		if got == "" {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q) = %q, which can leave the site", s, got)
		}
	})
}

func FuzzParseFrameTime(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-1", "NaN", "+Inf", "1e308", "0x1p-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseFrameTime(s)
		if err == nil && (math.IsNaN(v) || v < 0 || v > maxFrameTime) {
			t.Fatalf("parseFrameTime(%q) = %v", s, v)
		}
	})
}
