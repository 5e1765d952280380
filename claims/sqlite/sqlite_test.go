package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/claimstest"
	"github.com/copycat-video/copycat/claims/sqlite"
)

func newStore(t *testing.T) claims.Store {
	t.Helper()
	s, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	claimstest.Run(t, newStore)
}

// TestReopen checks that migrations are recorded and not re-applied, and
// that data survives a reopen.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx claims.Tx) error {
		return tx.InsertClaim(ctx, claimstest.NewClaim("c1", "u1", "r1", "acme"))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("schema_migrations rows = %d, %v; want 1", n, err)
	}
	if err := s.View(ctx, func(tx claims.Tx) error { _, err := tx.Claim(ctx, "c1"); return err }); err != nil {
		t.Fatalf("claim after reopen: %v", err)
	}
	// The trail is append-only in the database itself.
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO audit_events (at, actor, actor_role, subject, subject_id, kind, from_state, to_state, reason, detail)
		VALUES (1, 'a', 'admin', 'claim', 'c1', 'open', '', '', '', '')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE audit_events SET actor = 'mallory'`); err == nil {
		t.Fatal("updating the audit trail succeeded")
	}
	if _, err := s.DB().ExecContext(ctx, `DELETE FROM audit_events`); err == nil {
		t.Fatal("deleting from the audit trail succeeded")
	}
}

func sqliteStore(tb testing.TB) (*sqlite.Store, error) {
	tb.Helper()
	s, err := sqlite.OpenDir(context.Background(), tb.TempDir())
	if err == nil {
		tb.Cleanup(func() { s.Close() })
	}
	return s, err
}

func TestOpenBadPath(t *testing.T) {
	for _, p := range []string{"", "a?b.db", "x#y.db", filepath.Join(t.TempDir(), "missing-dir", "c.db")} {
		if _, err := sqlite.Open(context.Background(), p); err == nil {
			t.Errorf("open %q succeeded", p)
		}
	}
}
