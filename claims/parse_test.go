package claims_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		q    string
		f    string
		p    claims.Page
		code string
	}{
		{"", "{[]      }", claims.Page{Limit: claims.DefaultLimit}, ""},
		{"state=open,in_review&state=open&platform=tiktok&origin=auto&org=acme&sort=deadline&offset=5&limit=9",
			"{[open in_review] tiktok auto acme   deadline}", claims.Page{Offset: 5, Limit: 9}, ""},
		{"limit=100000", "{[]      }", claims.Page{Limit: claims.MaxLimit}, ""},
		{"upload=u1&uploader=bob", "{[]    u1 bob }", claims.Page{Limit: claims.DefaultLimit}, ""},
		{"state=closed", "", claims.Page{}, models.EInvalid},
		{"origin=magic", "", claims.Page{}, models.EInvalid},
		{"sort=random", "", claims.Page{}, models.EInvalid},
		{"limit=-1", "", claims.Page{}, models.EInvalid},
		{"offset=x", "", claims.Page{}, models.EInvalid},
		{"orgg=acme", "", claims.Page{}, models.EInvalid},
		{"platform=" + strings.Repeat("x", 300), "", claims.Page{}, models.EInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			q, err := url.ParseQuery(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			f, p, err := claims.ParseFilter(q)
			if models.ErrorCode(err) != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if tc.code != "" {
				return
			}
			got := fmt.Sprintf("{%v %s %s %s %s %s %s}", f.States, f.Platform, f.Origin, f.Org, f.UploadID, f.Uploader, f.Sort)
			if got != tc.f || p != tc.p {
				t.Fatalf("got %s %+v, want %s %+v", got, p, tc.f, tc.p)
			}
		})
	}
}

func TestParseEnums(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want models.DisputeReason
	}{{"fair use", models.ReasonFairUse}, {"Public-Domain", models.ReasonPublicDomain}, {"licensed", models.ReasonLicensed}, {"", ""}, {"nope", ""}} {
		got, err := models.ParseDisputeReason(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("ParseDisputeReason(%q) = %q, %v", tc.in, got, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want claims.Decision
	}{{"uphold", claims.DecideUphold}, {"release", claims.DecideReject}, {" Escalate ", claims.DecideEscalate}, {"delete", ""}} {
		got, err := claims.ParseDecision(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("ParseDecision(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestDecodeComplaint(t *testing.T) {
	tests := []struct {
		name, in, code, msg string
	}{
		{"ok", `{"original":{"reference_id":"tiktok:1","first_published":{"platform":"tiktok","at":"2026-01-01T00:00:00Z"}},"upload_ids":["u1"]}`, "", ""},
		{"empty", ``, models.EInvalid, "malformed JSON"},
		{"truncated", `{"original":{"reference_id":"t`, models.EInvalid, "malformed JSON"},
		{"not an object", `[1,2]`, models.EInvalid, "malformed JSON"},
		{"unknown field", `{"original":{"reference_id":"r"},"upload_ids":["u"],"admin":true}`, models.EInvalid, "unknown field"},
		{"trailing", `{"original":{"reference_id":"r"},"upload_ids":["u"]} {}`, models.EInvalid, "trailing"},
		{"bad time", `{"original":{"reference_id":"r","first_published":{"at":"yesterday"}},"upload_ids":["u"]}`, models.EInvalid, "malformed JSON"},
		{"bad hash", `{"original":{"fingerprint":{"frames":[{"t":0,"kind":"phash","bits":"zz"}]}},"upload_ids":["u"]}`, models.EInvalid, "malformed JSON"},
		{"invalid", `{"original":{"reference_id":"r"},"upload_ids":[]}`, models.EInvalid, "at least one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := claims.DecodeComplaint([]byte(tc.in))
			if models.ErrorCode(err) != tc.code || (err != nil && !strings.Contains(err.Error(), tc.msg)) {
				t.Fatalf("got %v, want code %q with %q", err, tc.code, tc.msg)
			}
			if err == nil && (r.Original.ReferenceID != "tiktok:1" || r.Original.Published.At.Year() != 2026) {
				t.Fatalf("decoded %+v", r)
			}
		})
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "state=open,in_review&sort=deadline", "limit=5&offset=10", "origin=auto&org=a%00b", "state=,,,&limit=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		fl, p, err := claims.ParseFilter(q)
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			return
		}
		if err := fl.Validate(); err != nil {
			t.Fatalf("parsed filter fails validation: %v", err)
		}
		if p.Limit < 1 || p.Limit > claims.MaxLimit || p.Offset < 0 {
			t.Fatalf("page out of bounds: %+v", p)
		}
	})
}

func FuzzDecodeComplaint(f *testing.F) {
	for _, s := range []string{
		`{"original":{"reference_id":"tiktok:1"},"upload_ids":["u1"]}`,
		`{"original":{"fingerprint":{"version":1,"frames":[{"t":0,"kind":"phash","bits":"00000000000000ff"}]}},"upload_ids":["u1","u2"],"action":"block"}`,
		`{"org":"x","original":{},"upload_ids":null}`, `null`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := claims.DecodeComplaint(b)
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("decoded complaint fails validation: %v", err)
		}
		if (r.Original.ReferenceID == "") == (r.Original.Fingerprint == nil) {
			t.Fatalf("decoded complaint without exactly one original: %+v", r.Original)
		}
	})
}

func FuzzParseEnums(f *testing.F) {
	for _, s := range []string{"fair use", "uphold", "rights_holder", "in_review", "block", "auto"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := models.ParseDisputeReason(s); err == nil {
			if again, err := models.ParseDisputeReason(string(r)); err != nil || again != r {
				t.Fatalf("reason %q does not round-trip", r)
			}
		}
		if d, err := claims.ParseDecision(s); err == nil {
			if again, err := claims.ParseDecision(string(d)); err != nil || again != d {
				t.Fatalf("decision %q does not round-trip", d)
			}
		}
		for _, parse := range []func(string) error{
			func(s string) error { _, err := models.ParseClaimState(s); return err },
			func(s string) error { _, err := models.ParseOrigin(s); return err },
			func(s string) error { _, err := models.ParseRole(s); return err },
			func(s string) error { _, err := models.ParseAction(s); return err },
		} {
			if err := parse(s); err != nil && models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("parse %q: %v is not EInvalid", s, err)
			}
		}
	})
}

func FuzzDecodePolicy(f *testing.F) {
	f.Add([]byte(`{"id":"p","org":"acme","platform":"tiktok","rules":[{"min_duration":5,"action":"block"}]}`))
	f.Add([]byte(`{"rules":[{"min_query_coverage":1e309}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := claims.DecodePolicy(b)
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			return
		}
		if err := claims.ValidatePolicy(p); err != nil && models.ErrorCode(err) != models.EInvalid {
			t.Fatalf("validate: %v is not EInvalid", err)
		}
	})
}
