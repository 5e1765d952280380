package claims

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// tokenPrefix marks copycat tokens so that secret scanners and people can
// recognise a leaked one.
const tokenPrefix = "cct_"

// HashToken returns the hex SHA-256 under which a token is stored. A fast
// hash is enough: tokens carry 256 random bits, so there is nothing to
// brute-force that a slow hash would protect.
func HashToken(plaintext string) string {
	h := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(h[:])
}

// CreateToken makes an API token for role (org is required for, and only
// allowed with, rights_holder). The plaintext is returned once and never
// stored. Admins only.
func (s *Service) CreateToken(ctx context.Context, p models.Principal, role models.Role, org, name string) (string, models.Token, error) {
	if err := requireRole(p, "create token"); err != nil {
		return "", models.Token{}, err
	}
	role, err := models.ParseRole(string(role))
	if err != nil {
		return "", models.Token{}, err
	}
	switch {
	case role == models.RoleRightsHolder && org == "":
		return "", models.Token{}, models.Errorf(models.EInvalid, "a rights_holder token needs --org")
	case role != models.RoleRightsHolder && org != "":
		return "", models.Token{}, models.Errorf(models.EInvalid, "only rights_holder tokens belong to an org")
	case len(org) > 256 || len(name) > 256 || strings.ContainsAny(org+name, "\x00\r\n"):
		return "", models.Token{}, models.Errorf(models.EInvalid, "token org or name is too long or has control characters")
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", models.Token{}, models.WrapError(models.EInternal, err, "token randomness")
	}
	plain := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
	t := models.Token{ID: newID("tok_"), Role: role, Org: org, Name: name, Hash: HashToken(plain), Created: s.clock()}
	if t.Name == "" {
		t.Name = fmt.Sprintf("%s-%s", role, t.ID[4:12])
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.InsertToken(ctx, t); err != nil {
			return err
		}
		ev := event(p, t.Created, models.SubjectToken, t.ID, models.EventTokenCreate)
		ev.Detail = fmt.Sprintf("role %s org %q name %q", t.Role, t.Org, t.Name)
		_, err := tx.AppendEvent(ctx, ev)
		return err
	})
	if err != nil {
		return "", models.Token{}, err
	}
	return plain, t, nil
}

// Authenticate returns the principal of a token. Unknown, malformed and
// revoked tokens are all EUnauthorized with the same message, so a caller
// learns nothing about which tokens exist.
func (s *Service) Authenticate(ctx context.Context, plaintext string) (models.Principal, error) {
	bad := models.Errorf(models.EUnauthorized, "invalid or revoked token")
	if !strings.HasPrefix(plaintext, tokenPrefix) || len(plaintext) > 128 {
		return models.Principal{}, bad
	}
	var t models.Token
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		t, err = tx.TokenByHash(ctx, HashToken(plaintext))
		return err
	})
	switch {
	case models.ErrorCode(err) == models.ENotFound:
		return models.Principal{}, bad
	case err != nil:
		return models.Principal{}, err
	case !t.Revoked.IsZero():
		return models.Principal{}, bad
	}
	return t.Principal(), nil
}

// Tokens lists every token (never the secrets). Admins only.
func (s *Service) Tokens(ctx context.Context, p models.Principal) ([]models.Token, error) {
	if err := requireRole(p, "list tokens"); err != nil {
		return nil, err
	}
	var out []models.Token
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Tokens(ctx)
		return err
	})
	if out == nil {
		out = []models.Token{}
	}
	return out, err
}

// RevokeToken revokes a token; it stops authenticating at once.
func (s *Service) RevokeToken(ctx context.Context, p models.Principal, id string) error {
	if err := requireRole(p, "revoke token"); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		now := s.clock()
		if err := tx.RevokeToken(ctx, id, now); err != nil {
			return err
		}
		_, err := tx.AppendEvent(ctx, event(p, now, models.SubjectToken, id, models.EventTokenRevoke))
		return err
	})
}

// Events returns the audit trail of any subject (admins and reviewers).
func (s *Service) Events(ctx context.Context, p models.Principal, subject, id string) ([]models.AuditEvent, error) {
	if err := requireRole(p, "read audit trail", models.RoleReviewer); err != nil {
		return nil, err
	}
	var out []models.AuditEvent
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Events(ctx, subject, id)
		return err
	})
	return out, err
}
