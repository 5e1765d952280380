package claimstest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// Bench measures the service's write paths on s against a baseline measured
// in the same run: one bare store transaction storing an upload result (the
// least a durable check can cost on this backend). It reports µs per
// operation and the ratio to the baseline for OnVerdict (lifted upload →
// claim + events + result) and Decide (uphold → strike + block list +
// events). n operations each per b.N (COPYCAT_BENCH_LARGE=1: 10×).
func Bench(b *testing.B, s claims.Store, n int) {
	if os.Getenv("COPYCAT_BENCH_LARGE") != "" {
		n *= 10
	}
	ctx := context.Background()
	svc, err := claims.New(claims.Config{Store: s})
	if err != nil {
		b.Fatal(err)
	}
	pipe := models.Principal{Role: models.RolePipeline, Name: "bench"}
	rev := models.Principal{Role: models.RoleReviewer, Name: "bench"}
	ref := models.Video{ID: "tiktok:bench", Platform: "tiktok", Duration: 15}
	m := models.Match{Reference: ref, Score: 0.9, QueryCoverage: 0.9, ReferenceCoverage: 0.9,
		Segments: []models.Segment{{QueryStart: 0, QueryEnd: 12, ReferenceStart: 1, ReferenceEnd: 13}}}
	for i := range 30 {
		m.Evidence = append(m.Evidence, models.FramePair{QueryT: float64(i) / 2, ReferenceT: float64(i)/2 + 1, Distance: 4})
	}
	var base, check, decide time.Duration
	ids := make([]string, 0, n)
	for it := range b.N {
		start := time.Now()
		for i := range n {
			r := models.UploadResult{Upload: models.Upload{ID: fmt.Sprintf("base-%d-%d", it, i)}, Action: models.ActionAllow,
				Verdict: models.Verdict{Verdict: models.Lifted, Matches: []models.Match{m}}, CheckedAt: time.Now()}
			if err := s.Update(ctx, func(tx claims.Tx) error { _, _, err := tx.PutUploadResult(ctx, r); return err }); err != nil {
				b.Fatal(err)
			}
		}
		base += time.Since(start)
		ids = ids[:0]
		start = time.Now()
		for i := range n {
			id := fmt.Sprintf("up-%d-%d", it, i)
			r, err := svc.OnVerdict(ctx, pipe, models.Upload{ID: id, Uploader: "u" + id},
				models.Verdict{Video: id, Verdict: models.Lifted, Matches: []models.Match{m}})
			if err != nil || len(r.ClaimIDs) != 1 {
				b.Fatalf("on verdict: %+v, %v", r, err)
			}
			ids = append(ids, r.ClaimIDs[0])
		}
		check += time.Since(start)
		start = time.Now()
		for _, id := range ids {
			if _, err := svc.Decide(ctx, rev, id, claims.DecideUphold, "bench", 0); err != nil {
				b.Fatal(err)
			}
		}
		decide += time.Since(start)
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N*n) }
	b.ReportMetric(per(base), "baseline-µs/op")
	b.ReportMetric(per(check), "onverdict-µs/op")
	b.ReportMetric(per(decide), "decide-µs/op")
	b.ReportMetric(float64(check)/float64(base), "onverdict-ratio")
	b.ReportMetric(float64(decide)/float64(base), "decide-ratio")
}
