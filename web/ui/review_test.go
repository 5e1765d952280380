package ui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/copycat-video/copycat/models"
)

func TestEvidenceRows(t *testing.T) {
	seg := models.Segment{QueryStart: 2, QueryEnd: 6, ReferenceStart: 10, ReferenceEnd: 18}
	pairs := []models.FramePair{
		{QueryT: 0, ReferenceT: 5}, // outside the segment
		{QueryT: 2, ReferenceT: 10, Distance: 1},
		{QueryT: 3, ReferenceT: 12, Distance: 2},
		{QueryT: 4, ReferenceT: 14, Distance: 3, Variant: models.VariantMirror},
		{QueryT: 5, ReferenceT: 16, Distance: 4},
		{QueryT: 6, ReferenceT: 18, Distance: 5},
	}
	tests := []struct {
		name  string
		seg   models.Segment
		pairs []models.FramePair
		n     int
		want  []evidenceRow
	}{
		{"spread over the segment", seg, pairs, 3, []evidenceRow{{2, 10, 1, false}, {4, 14, 3, true}, {6, 18, 5, false}}},
		{"fewer pairs than rows", seg, pairs[:3], 3, []evidenceRow{{2, 10, 1, false}, {3, 12, 2, false}}},
		{"no stored evidence: interpolated along the alignment", seg, nil, 3, []evidenceRow{{2, 10, -1, false}, {4, 14, -1, false}, {6, 18, -1, false}}},
		{"zero-length segment: one row", models.Segment{QueryStart: 1, QueryEnd: 1, ReferenceStart: 7, ReferenceEnd: 7}, nil, 3, []evidenceRow{{1, 7, -1, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := evidenceRows(tc.seg, tc.pairs, tc.n); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestProvenance(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	claim := func(up, ref time.Time) models.Claim {
		return models.Claim{Upload: models.Upload{Published: up}, Reference: models.Video{Published: ref}}
	}
	tests := []struct {
		c         models.Claim
		class     string
		substring string
	}{
		{claim(t0.Add(72*time.Hour), t0), "ok", "reference was published first, 3 days"},
		{claim(t0, t0.Add(5*time.Hour)), "warn", "upload was published first, 5 hours"},
		{claim(t0, t0), "warn", "same time"},
		{claim(time.Time{}, t0), "unknown", "incomplete"},
		{claim(t0, time.Time{}), "unknown", "incomplete"},
	}
	for _, tc := range tests {
		p := provenanceOf(tc.c)
		if p.Class != tc.class || !strings.Contains(p.Text, tc.substring) {
			t.Errorf("%v vs %v: %+v, want class %s and %q", tc.c.Upload.Published, tc.c.Reference.Published, p, tc.class, tc.substring)
		}
	}
}

func TestNewRequiresItsServices(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New without Auth and Claims did not panic")
		}
	}()
	New(Deps{})
}

func TestTemplatesParse(t *testing.T) {
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.byName) != len(pageNames) {
		t.Fatalf("%d pages parsed, want %d", len(p.byName), len(pageNames))
	}
}
