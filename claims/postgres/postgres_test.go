package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/claimstest"
	"github.com/copycat-video/copycat/claims/postgres"
	"github.com/copycat-video/copycat/models"
)

// testURL returns COPYCAT_TEST_POSTGRES or skips.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("COPYCAT_TEST_POSTGRES")
	if u == "" {
		t.Skip("set COPYCAT_TEST_POSTGRES=postgres://... to run against a real PostgreSQL (scripts/postgres.sh up prints it)")
	}
	return u
}

// newStore opens a store in a fresh schema that is dropped afterwards, so
// tests and concurrent runs never see each other's rows.
func newStore(t *testing.T) claims.Store { return newStoreTB(t) }

func newStoreTB(t testing.TB) claims.Store {
	t.Helper()
	url := testURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "copycat_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if err := postgres.DropSchema(context.Background(), url, schema); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	testURL(t)
	claimstest.Run(t, newStore)
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, url, code string
	}{
		{"not a url", "::::", models.EInvalid},
		{"nobody listening", "postgres://u:p@127.0.0.1:1/db?connect_timeout=2", models.EUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := postgres.Open(ctx, tc.url, postgres.Options{})
			if models.ErrorCode(err) != tc.code {
				t.Fatalf("open %q: %v (code %q), want %q", tc.url, err, models.ErrorCode(err), tc.code)
			}
		})
	}
}

// TestMigrationsIdempotent opens the same schema twice: the second open must
// find the migrations recorded and apply nothing.
func TestMigrationsIdempotent(t *testing.T) {
	url := testURL(t)
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "copycat_test_reopen_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { _ = postgres.DropSchema(context.Background(), url, schema) })
	for range 2 {
		s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("schema_migrations rows = %d, %v", n, err)
		}
		if _, err := s.DB().ExecContext(ctx, `UPDATE audit_events SET actor = 'x'`); err != nil {
			t.Fatalf("update of empty trail: %v", err)
		}
		s.Close()
	}
}
