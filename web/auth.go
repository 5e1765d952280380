package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// tokenRoles lists every token role in a stable order (the role-matrix test
// walks it). models.RoleSystem is not here: no token carries it.
func tokenRoles() []models.Role {
	return []models.Role{models.RolePipeline, models.RoleReviewer, models.RoleRightsHolder, models.RoleAdmin}
}

// Authenticator resolves a bearer token. It returns an EUnauthorized error
// for unknown or revoked tokens.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (models.Principal, error)
}

type principalKey struct{}

// PrincipalFrom returns the principal of an authenticated request; the UI
// package uses it for pages mounted behind the same middleware.
func PrincipalFrom(ctx context.Context) (models.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(models.Principal)
	return p, ok
}

// WithPrincipal returns ctx carrying p. Exported for the UI, which
// authenticates with a session cookie instead of a bearer header.
func WithPrincipal(ctx context.Context, p models.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// bearer extracts the token of an "Authorization: Bearer T" header.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", models.Errorf(models.EUnauthorized, "missing Authorization: Bearer token")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", models.Errorf(models.EUnauthorized, "malformed Authorization header (want Bearer TOKEN)")
	}
	return tok, nil
}

// allowed reports whether role may call a route allowing roles.
func allowed(allow []models.Role, role models.Role) bool {
	for _, r := range allow {
		if r == role {
			return true
		}
	}
	return false
}
