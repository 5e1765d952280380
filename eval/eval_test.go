package eval

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/matcher"
	"github.com/copycat-video/copycat/models"
)

// writeCorpus writes the three CSV files of a tiny corpus into a temp dir.
func writeCorpus(t *testing.T, refs, queries, truth string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"references.csv": refs, "queries.csv": queries, "truth.csv": truth} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	refsCSV = "reference,source,duration\nR1,src/a,10\nR2,src/a,10\nR3,src/b,8\n"
	// Q1 copies R1 (crop), Q2 copies R3 (crop+mirror, a combo), Q3 is a
	// negative cut from src/c, Q4 copies R3 too.
	queriesCSV = "query,family,positive,source\nQ1,crop,1,src/a\nQ2,crop+mirror,1,src/b\nQ3,pip,0,src/c\nQ4,speed,1,src/b\n"
	truthCSV   = "query,reference,query_start,query_end,reference_start,reference_end,family\n" +
		"Q1,R1,0,10,0,10,crop\nQ2,R3,2,8,0,6,crop+mirror\nQ4,R3,0,8,0,8,speed\n"
)

func match(ref string, score, qs, qe, rs, re float64) models.Match {
	return models.Match{Reference: models.Video{ID: ref}, Score: score, QueryCoverage: 1, ReferenceCoverage: 1,
		Segments: []models.Segment{{QueryStart: qs, QueryEnd: qe, ReferenceStart: rs, ReferenceEnd: re}}}
}

func TestScore(t *testing.T) {
	c, err := Load(writeCorpus(t, refsCSV, queriesCSV, truthCSV))
	if err != nil {
		t.Fatal(err)
	}
	results := []Result{
		// Q1 → R1 right; R2 is another window of Q1's source: ignored even
		// though it scores high.
		{Query: "Q1", Matches: []models.Match{match("R2", 0.95, 0, 10, 0, 10), match("R1", 0.9, 0, 10, 0, 10)}},
		// Q2 → R3 found, with half of the segment.
		{Query: "Q2", Matches: []models.Match{match("R3", 0.8, 2, 5, 0, 3)}},
		// Q3 (negative) wrongly flagged with R1.
		{Query: "Q3", Matches: []models.Match{match("R1", 0.7, 0, 5, 0, 5)}},
		// Q4 → R3 scored but below the operating point.
		{Query: "Q4", Matches: []models.Match{match("R3", 0.3, 0, 8, 0, 8)}},
	}
	rep := Score(c, results, matcher.DefaultPolicy().Significant)

	// Ranking without the ignored pair: Q1-R1 0.9 (hit), Q2-R3 0.8 (hit),
	// Q3-R1 0.7 (miss), Q4-R3 0.3 (hit): AP = (1/1 + 2/2 + 3/4) / 3.
	if want := (1 + 1 + 0.75) / 3; math.Abs(rep.MicroAP-want) > 1e-9 {
		t.Errorf("µAP %.4f, want %.4f", rep.MicroAP, want)
	}
	if rep.TP != 2 || rep.FP != 1 || rep.FN != 1 || rep.FalseFlags != 1 {
		t.Errorf("TP %d FP %d FN %d false flags %d, want 2 1 1 1", rep.TP, rep.FP, rep.FN, rep.FalseFlags)
	}
	if math.Abs(rep.Precision-2.0/3) > 1e-9 || math.Abs(rep.Recall-2.0/3) > 1e-9 {
		t.Errorf("precision %.3f recall %.3f", rep.Precision, rep.Recall)
	}
	// Segments: Q1 exact (P 1, R 1); Q2 half on both axes (P 1, R 0.5);
	// Q4 missed (R 0). Precision over found pairs, recall over all.
	if math.Abs(rep.SegmentPrecision-1) > 1e-9 || math.Abs(rep.SegmentRecall-0.5) > 1e-9 {
		t.Errorf("segment P %.3f R %.3f, want 1 and 0.5", rep.SegmentPrecision, rep.SegmentRecall)
	}
	if want := 2 * 1 * 0.5 / 1.5; math.Abs(rep.SegmentF1-want) > 1e-9 {
		t.Errorf("segment F1 %.3f, want %.3f", rep.SegmentF1, want)
	}
	fam := map[string]FamilyRow{}
	for _, f := range rep.Families {
		fam[f.Family] = f
	}
	if f := fam["combo"]; f.Positives != 1 || f.Detected != 1 {
		t.Errorf("combo row %+v", f)
	}
	if f := fam["speed"]; f.Positives != 1 || f.Detected != 0 || f.Recall != 0 {
		t.Errorf("speed row %+v", f)
	}
	if f := fam["pip"]; f.Negatives != 1 || f.FalseFlags != 1 {
		t.Errorf("pip row %+v", f)
	}
	if len(rep.Missed) != 1 || !strings.HasPrefix(rep.Missed[0], "Q4") || len(rep.Flagged) != 1 || rep.Flagged[0] != "Q3→R1" {
		t.Errorf("missed %v flagged %v", rep.Missed, rep.Flagged)
	}
}

func TestScoreErrorsAndEmpty(t *testing.T) {
	c, err := Load(writeCorpus(t, refsCSV, queriesCSV, truthCSV))
	if err != nil {
		t.Fatal(err)
	}
	rep := Score(c, []Result{{Query: "Q1", Err: "decode failed"}}, matcher.DefaultPolicy().Significant)
	if rep.Errors != 1 || rep.MicroAP != 0 || rep.Recall != 0 || rep.FN != 3 || rep.SegmentF1 != 0 {
		t.Errorf("report %+v", rep)
	}
}

func TestLoadBadCorpus(t *testing.T) {
	tests := []struct {
		name, refs, queries, truth, want string
	}{
		{"bad header", "ref,src,dur\nR1,a,1\n", queriesCSV, truthCSV, "header"},
		{"bad duration", "reference,source,duration\nR1,a,ten\n", queriesCSV, truthCSV, "duration"},
		{"bad positive", refsCSV, "query,family,positive,source\nQ1,crop,yes,a\n", truthCSV, "positive"},
		{"short row", refsCSV, queriesCSV, "query,reference,query_start,query_end,reference_start,reference_end,family\nQ1,R1,0\n", "truth.csv"},
		{"bad time", refsCSV, queriesCSV, "query,reference,query_start,query_end,reference_start,reference_end,family\nQ1,R1,0,x,0,1,crop\n", "time"},
		{"no queries", refsCSV, "query,family,positive,source\n", truthCSV, "no queries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeCorpus(t, tc.refs, tc.queries, tc.truth))
			if err == nil || models.ErrorCode(err) != models.EInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want invalid mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Load(t.TempDir()); models.ErrorCode(err) != models.EInvalid {
		t.Errorf("empty dir: %v", err)
	}
}

func TestOverlap(t *testing.T) {
	truth := []models.Segment{{QueryStart: 0, QueryEnd: 10, ReferenceStart: 0, ReferenceEnd: 10}}
	tests := []struct {
		name string
		pred []models.Segment
		p, r float64
	}{
		{"exact", truth, 1, 1},
		{"disjoint", []models.Segment{{QueryStart: 20, QueryEnd: 30, ReferenceStart: 20, ReferenceEnd: 30}}, 0, 0},
		{"overlapping pieces count once", []models.Segment{
			{QueryStart: 0, QueryEnd: 6, ReferenceStart: 0, ReferenceEnd: 6},
			{QueryStart: 4, QueryEnd: 8, ReferenceStart: 4, ReferenceEnd: 8}}, 1, 0.8},
		{"too long", []models.Segment{{QueryStart: 0, QueryEnd: 20, ReferenceStart: 0, ReferenceEnd: 10}}, 0.75, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, r := overlap(tc.pred, truth)
			if math.Abs(p-tc.p) > 1e-9 || math.Abs(r-tc.r) > 1e-9 {
				t.Errorf("P %.3f R %.3f, want %.3f %.3f", p, r, tc.p, tc.r)
			}
		})
	}
}
