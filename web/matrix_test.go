package web

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// matrixBody is a well-formed body for each POST route, so that an allowed
// role gets past decoding and reaches the service, which enforces its own
// role rules: the test then proves the route table and the service agree.
func matrixBody(e *testEnv, pattern string) any {
	missing := filepath.Join(e.local, "missing.mp4")
	switch pattern {
	case "/v1/uploads:check":
		return map[string]any{"upload_id": "matrix-upload", "path": missing}
	case "/v1/references":
		return map[string]any{"id": "matrix-ref", "platform": "tiktok", "path": missing}
	case "/v1/references:import":
		return map[string]any{"references": []map[string]any{{"id": "matrix-ref", "platform": "tiktok", "path": missing}}}
	case "/v1/claims/{id}/decision":
		return map[string]any{"decision": "uphold", "reason": "matrix"}
	case "/v1/claims/{id}/dispute":
		return map[string]any{"reason": "licensed", "statement": "matrix"}
	case "/v1/claims/{id}/counter-notice":
		return map[string]any{"statement": "matrix", "contact": "matrix@example.com"}
	case "/v1/complaints":
		return map[string]any{"original": map[string]any{"reference_id": "matrix-ref"}, "upload_ids": []string{"matrix-upload"}}
	}
	return nil
}

// matrixPath fills a route pattern with ids that do not exist.
func matrixPath(pattern string) string {
	p := strings.ReplaceAll(pattern, "{id}", "no-such-id")
	if strings.HasSuffix(p, "/frame") {
		p += "?t=1"
	}
	return p
}

// TestRoleMatrix calls every route with every role, without a token and
// with a bogus one. A role outside the route's list must get 403; a role in
// it must never get 401/403 or a server error; a request without a valid
// token must get 401 on every protected route. Nothing may change in the
// store.
func TestRoleMatrix(t *testing.T) { roleMatrix(t, envOptions{}) }

// TestRoleMatrixPostgres is TestRoleMatrix with the PostgreSQL claims store.
func TestRoleMatrixPostgres(t *testing.T) { roleMatrix(t, envOptions{postgres: true}) }

func roleMatrix(t *testing.T, opts envOptions) {
	e := newTestEnv(t, opts)
	// Denied requests first: none of them may change anything.
	before := storeSnapshot(t, e)
	for _, rt := range e.srv.routes {
		path := matrixPath(rt.pattern)
		t.Run("denied/"+rt.method+" "+rt.pattern, func(t *testing.T) {
			if rt.roles == nil {
				return
			}
			for _, tok := range []string{"", "not-a-token"} {
				r := e.doJSON(rt.method, path, tok, matrixBody(e, rt.pattern))
				if r.status != http.StatusUnauthorized || r.errorCode() != models.EUnauthorized {
					t.Errorf("token %q: status %d %s, want 401 unauthorized", tok, r.status, r.body)
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("token %q: 401 without WWW-Authenticate", tok)
				}
			}
			for _, role := range tokenRoles() {
				if slices.Contains(rt.roles, role) {
					continue
				}
				r := e.doJSON(rt.method, path, e.tokens[role], matrixBody(e, rt.pattern))
				if r.status != http.StatusForbidden || r.errorCode() != models.EForbidden {
					t.Errorf("%s (not allowed): status %d %s, want 403 forbidden", role, r.status, r.body)
				}
			}
		})
	}
	if after := storeSnapshot(t, e); after != before {
		t.Errorf("store changed by rejected requests:\nbefore %s\nafter  %s", before, after)
	}
	for _, rt := range e.srv.routes {
		path := matrixPath(rt.pattern)
		t.Run("allowed/"+rt.method+" "+rt.pattern, func(t *testing.T) {
			if rt.roles == nil {
				r := e.doJSON(rt.method, path, "", matrixBody(e, rt.pattern))
				if r.status != http.StatusOK {
					t.Errorf("public route: status %d %s", r.status, r.body)
				}
				return
			}
			for _, role := range rt.roles {
				r := e.doJSON(rt.method, path, e.tokens[role], matrixBody(e, rt.pattern))
				if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden || r.status >= 500 {
					t.Errorf("%s (allowed): status %d %s", role, r.status, r.body)
				}
			}
		})
	}
}

// TestCrossOrganisation files a complaint as organisation A and checks that
// a rights holder of organisation B can neither see nor act on it: every
// attempt is 404 (indistinguishable from an unknown id) and nothing changes.
func TestCrossOrganisation(t *testing.T) { crossOrganisation(t, envOptions{}) }

// TestCrossOrganisationPostgres is TestCrossOrganisation with the
// PostgreSQL claims store.
func TestCrossOrganisationPostgres(t *testing.T) { crossOrganisation(t, envOptions{postgres: true}) }

func crossOrganisation(t *testing.T, opts envOptions) {
	e := newTestEnv(t, opts)
	rhA := e.tokens[models.RoleRightsHolder]
	r := e.doJSON("POST", "/v1/complaints", rhA, map[string]any{
		"original":   map[string]any{"reference_id": "orga-original", "first_published": map[string]any{"platform": "youtube"}},
		"upload_ids": []string{"up-stolen"},
		"statement":  "this is ours",
	})
	if r.status != http.StatusCreated {
		t.Fatalf("file complaint: %d %s", r.status, r.body)
	}
	d := decodeBody[claims.ComplaintDetail](t, r)
	if len(d.Claims) != 1 {
		t.Fatalf("complaint opened %d claims, want 1", len(d.Claims))
	}
	claimID, complaintID := d.Claims[0].ID, d.Complaint.ID
	if r := e.do("GET", "/v1/claims/"+claimID, rhA, "", nil); r.status != http.StatusOK {
		t.Fatalf("owner cannot read its claim: %d %s", r.status, r.body)
	}
	before := storeSnapshot(t, e)
	attempts := []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/claims/" + claimID, nil},
		{"GET", "/v1/complaints/" + complaintID, nil},
		{"POST", "/v1/claims/" + claimID + "/decision", map[string]any{"decision": "reject", "reason": "not theirs"}},
		{"GET", "/v1/uploads/up-stolen/frame?t=1", nil},
		{"GET", "/v1/references/orga-original/frame?t=1", nil},
	}
	for _, a := range attempts {
		r := e.doJSON(a.method, a.path, e.orgB, a.body)
		if r.status != http.StatusNotFound || r.errorCode() != models.ENotFound {
			t.Errorf("org B %s %s: %d %s, want 404", a.method, a.path, r.status, r.body)
		}
		if strings.Contains(string(r.body), "this is ours") || strings.Contains(string(r.body), claimID) && !strings.Contains(a.path, claimID) {
			t.Errorf("org B %s %s leaked data: %s", a.method, a.path, r.body)
		}
	}
	// Listings are scoped, whatever filter org B asks for.
	for _, path := range []string{"/v1/claims", "/v1/claims?org=orga", "/v1/complaints"} {
		r := e.do("GET", path, e.orgB, "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("org B list %s: %d %s", path, r.status, r.body)
		}
		if strings.Contains(string(r.body), claimID) || strings.Contains(string(r.body), complaintID) {
			t.Errorf("org B list %s shows org A's data: %s", path, r.body)
		}
	}
	if after := storeSnapshot(t, e); after != before {
		t.Errorf("store changed by org B:\nbefore %s\nafter  %s", before, after)
	}
}
