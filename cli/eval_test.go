package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestEvalCorpusAccuracy is the accuracy regression test: copycat eval on the
// labelled corpus of real footage (../shared/corpus, built by
// `CORPUS_ONLY=1 scripts/eval.sh 1`) must keep the figures the README
// reports. The floors sit a little under the measured seed-1 figures (µAP
// 0.997, precision 1.000, recall 0.976, segment F1 0.968, no false flag) so
// that a change which costs real accuracy fails here, while the corpus
// builder's dependence on the FFmpeg build does not.
func TestEvalCorpusAccuracy(t *testing.T) {
	dir := os.Getenv("COPYCAT_CORPUS")
	if dir == "" {
		t.Skip("set COPYCAT_CORPUS=DIR (a corpus from ../shared/corpus/make_corpus.py, e.g. CORPUS_ONLY=1 scripts/eval.sh 1) to measure accuracy on real footage")
	}
	if _, err := os.Stat(filepath.Join(dir, "truth.csv")); err != nil {
		t.Fatalf("COPYCAT_CORPUS=%s is not a corpus: %v", dir, err)
	}
	data := t.TempDir()
	code, stdout, stderr := run(t, "eval", "--corpus", dir, "--data", data, "--json")
	if code != 0 {
		t.Fatalf("copycat eval exited %d: %s", code, stderr)
	}
	var rep struct {
		Queries    int     `json:"queries"`
		Errors     int     `json:"errors"`
		MicroAP    float64 `json:"micro_ap"`
		Precision  float64 `json:"precision"`
		Recall     float64 `json:"recall"`
		FalseFlags int     `json:"false_flags"`
		SegmentF1  float64 `json:"segment_f1"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("eval --json output: %v\n%s", err, stdout)
	}
	t.Logf("corpus %s: µAP %.3f precision %.3f recall %.3f segment F1 %.3f false flags %d errors %d of %d queries",
		dir, rep.MicroAP, rep.Precision, rep.Recall, rep.SegmentF1, rep.FalseFlags, rep.Errors, rep.Queries)
	floors := []struct {
		name      string
		got, want float64
	}{
		{"µAP", rep.MicroAP, 0.98},
		{"precision", rep.Precision, 0.98},
		{"recall", rep.Recall, 0.94},
		{"segment F1", rep.SegmentF1, 0.94},
	}
	for _, f := range floors {
		if f.got < f.want {
			t.Errorf("%s = %.3f, below the floor %.2f", f.name, f.got, f.want)
		}
	}
	if rep.FalseFlags != 0 {
		t.Errorf("%d negative queries were flagged; copycat must not flag original uploads", rep.FalseFlags)
	}
	if rep.Queries == 0 || rep.Errors > rep.Queries/20 {
		t.Errorf("%d of %d queries failed to check", rep.Errors, rep.Queries)
	}
}
