package matcher

import (
	"testing"
	"time"

	"github.com/copycat-video/copycat/models"
)

func TestPolicyDecide(t *testing.T) {
	upload := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	before, after := upload.Add(-48*time.Hour), upload.Add(48*time.Hour)
	seg := func(qs, qe float64) []models.Segment {
		return []models.Segment{{QueryStart: qs, QueryEnd: qe, ReferenceStart: qs, ReferenceEnd: qe}}
	}
	m := func(id, platform string, pub time.Time, score float64, segs []models.Segment, qcov float64) models.Match {
		return models.Match{
			Reference: models.Video{ID: id, Platform: platform, Published: pub},
			Score:     score, Segments: segs, QueryCoverage: qcov, ReferenceCoverage: qcov,
		}
	}
	tests := []struct {
		name      string
		published time.Time
		matches   []models.Match
		want      models.Decision
		wantID    string
	}{
		{"no matches", upload, nil, models.Clean, ""},
		{"rival earlier", upload, []models.Match{m("r", "tiktok", before, 0.9, seg(0, 10), 1)}, models.Lifted, "r"},
		{"rival unknown publish time counts as earlier", upload, []models.Match{m("r", "tiktok", time.Time{}, 0.9, seg(0, 10), 1)}, models.Lifted, "r"},
		{"rival later is passed over", upload, []models.Match{m("r", "tiktok", after, 0.9, seg(0, 10), 1)}, models.Clean, ""},
		{"later rival skipped, next earlier decides", upload, []models.Match{
			m("late", "tiktok", after, 0.95, seg(0, 10), 1), m("early", "reels", before, 0.8, seg(0, 10), 1),
		}, models.Lifted, "early"},
		{"own earlier upload", upload, []models.Match{m("u1", models.PlatformSelf, before, 0.9, seg(0, 10), 1)}, models.Duplicate, "u1"},
		{"unknown upload time is now", time.Time{}, []models.Match{m("r", "tiktok", after, 0.9, seg(0, 10), 1)}, models.Lifted, "r"},
		{"best match decides: self above rival", upload, []models.Match{
			m("u1", models.PlatformSelf, before, 0.9, seg(0, 10), 1), m("r", "tiktok", before, 0.8, seg(0, 10), 1),
		}, models.Duplicate, "u1"},
		{"below min score", upload, []models.Match{m("r", "tiktok", before, 0.49, seg(0, 10), 1)}, models.Clean, ""},
		{"too short", upload, []models.Match{m("r", "tiktok", before, 0.9, seg(0, 1.5), 1)}, models.Clean, ""},
		{"too little coverage", upload, []models.Match{m("r", "tiktok", before, 0.9, seg(0, 10), 0.05)}, models.Clean, ""},
		{"insignificant best, significant second", upload, []models.Match{
			m("x", "tiktok", before, 0.9, seg(0, 1), 1), m("r", "tiktok", before, 0.7, seg(0, 6), 0.5),
		}, models.Lifted, "r"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, by := DefaultPolicy().Decide(tc.matches, tc.published)
			if got != tc.want {
				t.Fatalf("decision %s, want %s", got, tc.want)
			}
			id := ""
			if by != nil {
				id = by.Reference.ID
			}
			if id != tc.wantID {
				t.Errorf("decided by %q, want %q", id, tc.wantID)
			}
		})
	}
}

func TestMatchedDurationCountsOverlapOnce(t *testing.T) {
	mt := models.Match{Segments: []models.Segment{
		{QueryStart: 0, QueryEnd: 4}, {QueryStart: 3, QueryEnd: 6}, {QueryStart: 10, QueryEnd: 11},
	}}
	if got := MatchedDuration(mt); got != 7 {
		t.Errorf("MatchedDuration = %v, want 7", got)
	}
}
