package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// runIn runs copycat with --data-less args in a test environment whose
// COPYCAT_DATA is data, feeding stdin.
func runIn(t *testing.T, data, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		switch k {
		case "COPYCAT_DATA":
			return data
		case "USER":
			return "tester"
		}
		return ""
	}}
	env.Log = slog.New(slog.DiscardHandler)
	code := env.main(context.Background(), args)
	return code, out.String(), errb.String()
}

// seedClaims opens the store the CLI uses and checks one lifted upload, so
// that there is an open auto claim; it returns the claim id.
func seedClaims(t *testing.T, data string) string {
	t.Helper()
	ctx := context.Background()
	var id string
	err := withClaims(ctx, &Env{Log: slog.New(slog.DiscardHandler)}, data, "", func(svc *claims.Service) error {
		ref := models.Video{ID: "tiktok:1", Platform: "tiktok", Duration: 20}
		r, err := svc.OnVerdict(ctx, models.Principal{Role: models.RolePipeline, Name: "test"}, models.Upload{ID: "u1", Uploader: "bob"},
			models.Verdict{Video: "u1", Verdict: models.Lifted, Matches: []models.Match{{Reference: ref, Score: 0.8, QueryCoverage: 0.9,
				Segments: []models.Segment{{QueryStart: 0, QueryEnd: 9, ReferenceStart: 1, ReferenceEnd: 10}}}}})
		if err != nil {
			return err
		}
		id = r.ClaimIDs[0]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// storeState summarises everything a failed command must leave alone.
func storeState(t *testing.T, data string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	err := withClaims(ctx, &Env{Log: slog.New(slog.DiscardHandler)}, data, "", func(svc *claims.Service) error {
		admin := models.Principal{Role: models.RoleAdmin, Name: "t"}
		page, err := svc.List(ctx, admin, claims.Filter{}, claims.Page{Limit: claims.MaxLimit})
		if err != nil {
			return err
		}
		for _, c := range page.Claims {
			d, err := svc.Get(ctx, admin, c.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s %s v%d events=%d\n", c.ID, c.State, c.Version, len(d.Events))
		}
		_, n, err := svc.Complaints(ctx, admin, claims.Page{})
		fmt.Fprintf(&b, "complaints=%d\n", n)
		ts, err2 := svc.Tokens(ctx, admin)
		fmt.Fprintf(&b, "tokens=%d\n", len(ts))
		if err == nil {
			err = err2
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestClaimsCLI(t *testing.T) {
	data := t.TempDir()
	id := seedClaims(t, data)
	dir := t.TempDir()
	fp := models.Fingerprint{Version: 1, Source: models.Source{SHA256: strings.Repeat("0f", 32), Duration: 9},
		Frames: []models.FrameHash{{T: 0, Kind: models.KindPHash, Bits: 0xff}}}
	fpJSON, _ := json.Marshal(fp)
	fpFile := writeTestFile(t, dir, "fp.json", string(fpJSON)+"\n")
	complaint := writeTestFile(t, dir, "complaint.json", `{"org":"beta","original":{"reference_id":"kuaishou:7"},"upload_ids":["u5","u6"],"action":"block"}`)
	policy := writeTestFile(t, dir, "policy.json", `{"id":"acme-tt","org":"acme","platform":"tiktok","rules":[{"min_duration":5,"action":"takedown"}]}`)

	// Successful steps, in order; each names what stdout must contain.
	steps := []struct {
		args []string
		out  string
	}{
		{[]string{"claims", "list"}, id},
		{[]string{"claims", "list", "--state", "open", "--origin", "auto", "--sort", "deadline"}, id},
		{[]string{"claims", "show", id}, "audit trail:"},
		{[]string{"claims", "show", "--json", id}, `"state": "open"`},
		{[]string{"claims", "decide", id, "uphold", "--reason", "frame-identical copy"}, "upheld (version 2)"},
		{[]string{"claims", "strikes", "bob"}, "bob: 1 active strike"},
		{[]string{"claims", "dispute", id, "--reason", "fair use", "--statement", "review clip"}, "disputed"},
		{[]string{"claims", "decide", "--version", "3", id, "reject", "--reason", "accepted the fair-use argument"}, "reinstated"},
		{[]string{"claims", "file", "--org", "acme", "--reference", "tiktok:1", "--platform", "tiktok", "--published", "2026-01-02T03:04:05Z", "u2", "u3"}, "unverified"},
		{[]string{"claims", "file", "--org", "acme", "--original-fingerprint", fpFile, "u4"}, "complaint cp_"},
		{[]string{"claims", "file", "--complaint", complaint}, "filed for beta"},
		{[]string{"claims", "complaints"}, "kuaishou:7"},
		{[]string{"claims", "list", "--org", "beta", "--json"}, `"total": 2`},
		{[]string{"claims", "policy", "set", policy}, "policy acme-tt set"},
		{[]string{"claims", "policy", "list"}, `"min_duration": 5`},
		{[]string{"claims", "deadlines", "--now", "2099-01-01T00:00:00Z"}, "escalated 5"},
		{[]string{"tokens", "create", "--role", "rights_holder", "--org", "acme"}, "cct_"},
		{[]string{"tokens", "list"}, "rights_holder"},
	}
	for _, st := range steps {
		code, out, errOut := runIn(t, data, "", st.args...)
		if code != 0 || !strings.Contains(out, st.out) {
			t.Fatalf("copycat %v: exit %d, stdout %q, stderr %q; want %q in stdout", st.args, code, out, errOut, st.out)
		}
	}
	d, err := os.ReadDir(filepath.Join(data, "claims"))
	if err != nil || len(d) == 0 {
		t.Fatalf("claims store not under <data>/claims: %v", err)
	}
}

func TestClaimsCLIBadInput(t *testing.T) {
	data := t.TempDir()
	id := seedClaims(t, data)
	dir := t.TempDir()
	malformed := writeTestFile(t, dir, "bad.json", `{"org":"acme","original":{"reference_id":"r"},"upload_ids":["u1"`)
	unknownField := writeTestFile(t, dir, "unknown.json", `{"org":"acme","original":{"reference_id":"r"},"upload_ids":["u1"],"sudo":true}`)
	badFP := writeTestFile(t, dir, "fp.json", `{"frames":[{"t":0,"kind":"phash","bits":"nothex"}]}`)
	twoFP := writeTestFile(t, dir, "fp2.json", `{"frames":[{"t":0,"kind":"phash","bits":"00000000000000ff"}]}`+"\n"+`{"frames":[]}`)
	badPolicy := writeTestFile(t, dir, "policy.json", `{"org":"acme","rules":[{"action":"explode"}]}`)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown id", []string{"claims", "show", "cl_nope"}, 1, `claim "cl_nope" not found`},
		{"decide unknown id", []string{"claims", "decide", "cl_nope", "uphold", "--reason", "x"}, 1, "not found"},
		{"illegal transition", []string{"claims", "dispute", id, "--reason", "original"}, 1, "cannot dispute a claim that is open"},
		{"no reason", []string{"claims", "decide", id, "uphold"}, 1, "reason is required"},
		{"unknown decision", []string{"claims", "decide", id, "delete", "--reason", "x"}, 1, "unknown decision"},
		{"stale version", []string{"claims", "decide", id, "uphold", "--reason", "x", "--version", "7"}, 1, "changed since version 7"},
		{"bad dispute reason", []string{"claims", "dispute", id, "--reason", "because"}, 1, "unknown dispute reason"},
		{"bad state filter", []string{"claims", "list", "--state", "closed"}, 1, "unknown claim state"},
		{"stray argument", []string{"claims", "list", "extra"}, 1, "unexpected arguments"},
		{"malformed complaint", []string{"claims", "file", "--complaint", malformed}, 1, "malformed JSON"},
		{"hostile complaint", []string{"claims", "file", "--complaint", unknownField}, 1, "unknown field"},
		{"missing complaint file", []string{"claims", "file", "--complaint", filepath.Join(dir, "nope.json")}, 1, "no such file"},
		{"corrupt fingerprint", []string{"claims", "file", "--org", "acme", "--original-fingerprint", badFP, "u1"}, 1, "malformed JSON"},
		{"two fingerprints", []string{"claims", "file", "--org", "acme", "--original-fingerprint", twoFP, "u1"}, 1, "more than one"},
		{"no org", []string{"claims", "file", "--reference", "r", "u1"}, 1, "--org is required"},
		{"no uploads", []string{"claims", "file", "--org", "acme", "--reference", "r"}, 1, "at least one accused upload"},
		{"bad published", []string{"claims", "file", "--org", "acme", "--reference", "r", "--published", "yesterday", "u1"}, 1, "RFC 3339"},
		{"bad policy", []string{"claims", "policy", "set", badPolicy}, 1, "unknown action"},
		{"wrong role", []string{"tokens", "create", "--role", "superuser"}, 1, "unknown role"},
		{"rights holder without org", []string{"tokens", "create", "--role", "rights_holder"}, 1, "needs --org"},
		{"reviewer with org", []string{"tokens", "create", "--role", "reviewer", "--org", "acme"}, 1, "only rights_holder"},
		{"revoke unknown token", []string{"tokens", "revoke", "tok_nope"}, 1, "not found"},
		{"unknown subcommand", []string{"claims", "frobnicate"}, 2, "unknown subcommand"},
		{"bad flag", []string{"claims", "list", "--colour"}, 2, "flag provided but not defined"},
		{"bad db url", []string{"claims", "list", "--db", "mysql://x"}, 1, "unknown claims store"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := storeState(t, data)
			code, _, errOut := runIn(t, data, "", tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want exit %d with %q", code, errOut, tc.code, tc.msg)
			}
			if after := storeState(t, data); after != before {
				t.Fatalf("state changed:\n%s->\n%s", before, after)
			}
		})
	}
}

func TestTokensCLIAuthenticates(t *testing.T) {
	data := t.TempDir()
	code, out, errOut := runIn(t, data, "", "tokens", "create", "--role", "reviewer", "--name", "desk 1")
	if code != 0 {
		t.Fatalf("create: %d %s", code, errOut)
	}
	plain := strings.TrimSpace(out)
	ctx := context.Background()
	err := withClaims(ctx, &Env{Log: slog.New(slog.DiscardHandler)}, data, "", func(svc *claims.Service) error {
		p, err := svc.Authenticate(ctx, plain)
		if err == nil && (p.Role != models.RoleReviewer || p.Name != "desk 1") {
			err = fmt.Errorf("principal %+v", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The secret is not in the database.
	b, err := os.ReadFile(filepath.Join(data, "claims", "claims.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(plain)) {
		t.Fatal("plaintext token stored in claims.db")
	}
}

func FuzzDecodeFingerprint(f *testing.F) {
	f.Add([]byte(`{"version":1,"source":{"sha256":"","size":1,"duration":1,"fps":1,"width":1,"height":1,"codec":"h264"},"rate":2,"sampled":1,"skipped":0,"frames":[{"t":0,"kind":"phash","bits":"00000000000000ff","quality":0.5}]}`))
	f.Add([]byte(`{"frames":[]}`))
	f.Add([]byte(`{"frames":[{"bits":"x"}]} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fp, err := decodeFingerprint(b)
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			return
		}
		if len(fp.Frames) == 0 {
			t.Fatal("accepted a fingerprint without frames")
		}
	})
}
