package cli

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/internal/testvideo"
)

// TestCheckJSONShape pins the documented --json line: exactly these keys,
// one object per input, matches sorted by score.
func TestCheckJSONShape(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	ref := testvideo.Generate(t, dir, "orig.mp4", "testsrc2=size=320x240:rate=25:duration=6")
	other := testvideo.Generate(t, dir, "other.mp4", "life=size=320x240:rate=25:mold=10:ratio=0.3:seed=3", "-t", "6")
	if code, _, errs := run(t, "refs", "add", "--data", data, "--platform", "tiktok", "--author", "@amy", "--url", "https://tiktok/1", "--published", "2024-02-03T04:05:06Z", ref); code != 0 {
		t.Fatalf("refs add: %s", errs)
	}
	code, out, errs := run(t, "check", "--data", data, "--json", "--min-score", "0", ref, other)
	if code != 0 {
		t.Fatalf("check: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per video, got %q", out)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if got := keys(first); !reflect.DeepEqual(got, []string{"matches", "verdict", "video"}) {
		t.Errorf("top-level keys %v", got)
	}
	if first["verdict"] != "lifted" || first["video"] != ref {
		t.Errorf("first line %v", first)
	}
	ms := first["matches"].([]any)
	if len(ms) == 0 {
		t.Fatal("no matches")
	}
	m := ms[0].(map[string]any)
	if got := keys(m); !reflect.DeepEqual(got, []string{"query_coverage", "reference", "reference_coverage", "score", "segments"}) {
		t.Errorf("match keys %v", got)
	}
	r := m["reference"].(map[string]any)
	if got := keys(r); !reflect.DeepEqual(got, []string{"author", "id", "platform", "published", "url"}) {
		t.Errorf("reference keys %v", got)
	}
	if r["id"] != "orig" || r["platform"] != "tiktok" || r["author"] != "@amy" || r["url"] != "https://tiktok/1" || r["published"] != "2024-02-03T04:05:06Z" {
		t.Errorf("reference %v", r)
	}
	s := m["segments"].([]any)[0].(map[string]any)
	if got := keys(s); !reflect.DeepEqual(got, []string{"query_end", "query_start", "reference_end", "reference_start"}) {
		t.Errorf("segment keys %v", got)
	}
	var second checkJSON
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if second.Verdict != "clean" || second.Matches == nil {
		t.Errorf("unrelated clip: %+v (matches must be [] not null)", second)
	}
	for i := 1; i < len(second.Matches); i++ {
		if second.Matches[i].Score > second.Matches[i-1].Score {
			t.Errorf("matches not sorted by score: %+v", second.Matches)
		}
	}

	// The readable table names the verdict and the reference.
	code, out, _ = run(t, "check", "--data", data, ref)
	if code != 0 || !strings.Contains(out, "lifted") || !strings.Contains(out, "orig") {
		t.Errorf("table: %d %q", code, out)
	}
}

func TestCheckRecordThenDuplicate(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	up := testvideo.Generate(t, dir, "upload.mp4", "testsrc2=size=320x240:rate=25:duration=6")
	again := testvideo.Generate(t, dir, "reupload.mp4", "testsrc2=size=320x240:rate=25:duration=6", "-vf", "hflip,scale=200:150")
	if code, out, errs := run(t, "check", "--data", data, "--json", "--record", up); code != 0 || !strings.Contains(out, `"verdict":"clean"`) {
		t.Fatalf("first upload: %d %q %q", code, out, errs)
	}
	code, out, errs := run(t, "check", "--data", data, "--json", again)
	if code != 0 || !strings.Contains(out, `"verdict":"duplicate"`) || !strings.Contains(out, `"platform":"self"`) {
		t.Errorf("re-upload: %d %q %q", code, out, errs)
	}
}

func TestCheckBadInput(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	good := testvideo.Generate(t, dir, "ok.mp4", "testsrc2=size=160x120:rate=10:duration=3")
	bad := writeTestFile(t, dir, "bad.mp4", "garbage")
	code, out, errs := run(t, "check", "--data", data, "--json", bad, good)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "ok.mp4") {
		t.Errorf("stdout %q: want the good file's line only", out)
	}
	if !strings.Contains(errs, "bad.mp4") || strings.Count(errs, "\n") != 2 {
		t.Errorf("stderr %q", errs)
	}
	for _, args := range [][]string{{"check"}, {"check", "--min-score", "2", good}, {"check", "--bogus", good}} {
		if code, _, _ := run(t, append(args, "--data", data)...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
	if code, _, errs := run(t, "check", "--data", data, "--index", "nosuch://x", good); code != 1 || !strings.Contains(errs, "unknown index backend") {
		t.Errorf("bad --index: %d %q", code, errs)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
