package sqlite_test

import (
	"testing"

	"github.com/copycat-video/copycat/claims/claimstest"
)

// BenchmarkService reports the claims write paths on SQLite as ratios to a
// bare upload-result transaction (see claimstest.Bench).
func BenchmarkService(b *testing.B) {
	s, err := sqliteStore(b)
	if err != nil {
		b.Fatal(err)
	}
	claimstest.Bench(b, s, 200)
}
