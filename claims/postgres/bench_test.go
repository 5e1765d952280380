package postgres_test

import (
	"testing"

	"github.com/copycat-video/copycat/claims/claimstest"
)

// BenchmarkService reports the claims write paths on PostgreSQL as ratios
// to a bare upload-result transaction (see claimstest.Bench).
func BenchmarkService(b *testing.B) {
	if testing.Short() {
		b.Skip("short")
	}
	claimstest.Bench(b, newStoreTB(b), 200)
}
