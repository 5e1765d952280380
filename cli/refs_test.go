package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/internal/testvideo"
)

// run runs copycat with args in a test environment (no COPYCAT_* variables)
// and returns the exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	env.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	code := env.main(context.Background(), args)
	return code, out.String(), errb.String()
}

func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// listIDs returns the ids `refs list --json` prints.
func listIDs(t *testing.T, data string) []string {
	t.Helper()
	code, out, errs := run(t, "refs", "list", "--json", "--data", data)
	if code != 0 {
		t.Fatalf("refs list: %d %s", code, errs)
	}
	var ids []string
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var v struct {
			ID string `json:"id"`
		}
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("refs list output %q: %v", out, err)
		}
		ids = append(ids, v.ID)
	}
	return ids
}

func TestRefsAddListRm(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	a := testvideo.Generate(t, dir, "alpha.mp4", "testsrc2=size=160x120:rate=10:duration=4")
	b := testvideo.Generate(t, dir, "beta.mp4", "mandelbrot=size=160x120:rate=10", "-t", "4")
	code, out, errs := run(t, "refs", "add", "--data", data, "--platform", "tiktok", "--published", "2024-03-01", a, b)
	if code != 0 || !strings.Contains(out, "added alpha") || !strings.Contains(out, "added beta") {
		t.Fatalf("refs add: %d %q %q", code, out, errs)
	}
	if got := listIDs(t, data); !reflect.DeepEqual(got, []string{"alpha", "beta"}) {
		t.Fatalf("ids %v", got)
	}
	if code, _, errs := run(t, "refs", "add", "--data", data, "--id", "x", a, b); code != 1 || !strings.Contains(errs, "--id names one video") {
		t.Errorf("--id with two videos: %d %q", code, errs)
	}
	if code, _, errs := run(t, "refs", "add", "--data", data, "--published", "yesterday", a); code != 1 || !strings.Contains(errs, "published time") {
		t.Errorf("bad --published: %d %q", code, errs)
	}
	if code, out, _ := run(t, "refs", "rm", "--data", data, "alpha"); code != 0 || !strings.Contains(out, "removed alpha") {
		t.Errorf("rm: %d %q", code, out)
	}
	if code, _, errs := run(t, "refs", "rm", "--data", data, "alpha"); code != 1 || !strings.Contains(errs, "alpha: no such video") {
		t.Errorf("rm unknown: %d %q", code, errs)
	}
	if got := listIDs(t, data); !reflect.DeepEqual(got, []string{"beta"}) {
		t.Fatalf("after rm: %v", got)
	}
}

// TestRefsAddBadFileLeavesIndex checks the bad-input rule: one clear line
// per bad file, exit 1, the index as it was, the good files still added.
func TestRefsAddBadFileLeavesIndex(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	good := testvideo.Generate(t, dir, "good.mp4", "testsrc2=size=160x120:rate=10:duration=4")
	if code, _, errs := run(t, "refs", "add", "--data", data, good); code != 0 {
		t.Fatalf("setup: %s", errs)
	}
	corrupt := writeTestFile(t, dir, "good2.mp4", "\x00\x00\x00\x18ftypisom garbage")
	empty := writeTestFile(t, dir, "empty.mp4", "")
	code, _, errs := run(t, "refs", "add", "--data", data, "--id", "good", corrupt)
	if code != 1 {
		t.Fatalf("corrupt replacement: exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "good2.mp4") {
		t.Errorf("stderr %q: want one line naming the file and a summary", errs)
	}
	code, _, errs = run(t, "refs", "add", "--data", data, empty, filepath.Join(dir, "missing.mp4"))
	if code != 1 || strings.Count(errs, "\n") != 3 {
		t.Errorf("empty+missing: exit %d, stderr %q", code, errs)
	}
	if got := listIDs(t, data); !reflect.DeepEqual(got, []string{"good"}) {
		t.Fatalf("index changed: %v", got)
	}
	// The original "good" still matches itself: its hashes were not replaced.
	code, out, errs := run(t, "check", "--data", data, "--json", good)
	if code != 0 || !strings.Contains(out, `"verdict":"lifted"`) {
		t.Errorf("check after failed replace: %d %q %q", code, out, errs)
	}
}

func TestRefsImportManifest(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	testvideo.Generate(t, dir, "a.mp4", "testsrc2=size=160x120:rate=10:duration=3")
	testvideo.Generate(t, dir, "b.mp4", "mandelbrot=size=160x120:rate=10", "-t", "3")
	writeTestFile(t, dir, "broken.mp4", "not a video")
	tests := []struct {
		name, file, content string
		wantIDs             []string
		wantErr             []string // substrings of stderr
	}{
		{"csv with header and bad rows", "m.csv",
			"path,platform,id,author,url,published\n" +
				"a.mp4,tiktok,tt:a,@amy,https://t/a,2024-01-01\n" +
				"b.mp4,,,,,\n" +
				",tiktok,tt:none,,,\n" +
				"a.mp4,tiktok,tt:late,,,not-a-date\n" +
				"broken.mp4,tiktok,tt:broken,,,\n" +
				"\"unterminated,tiktok\n",
			[]string{"b", "tt:a"},
			[]string{"line 4: path is empty", "line 5: published time", "broken.mp4 (tt:broken)"}},
		{"json lines", "m.jsonl",
			`{"path":"a.mp4","platform":"kuaishou","id":"ks:a"}` + "\n" +
				`{"path":"b.mp4","platform":"kuaishou","id":"ks:b","color":"red"}` + "\n" +
				`not json` + "\n",
			[]string{"ks:a"},
			[]string{"line 2:", "line 3:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(data, tc.name)
			m := writeTestFile(t, dir, tc.file, tc.content)
			code, out, errs := run(t, "refs", "import", "--data", data, "--jobs", "2", m)
			if code != 1 {
				t.Errorf("exit %d, want 1 (some rows failed); stdout %q", code, out)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
			got := listIDs(t, data)
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.wantIDs) {
				t.Errorf("imported %v, want %v", got, tc.wantIDs)
			}
			// Re-running skips what is indexed: resumable.
			_, out, _ = run(t, "refs", "import", "--data", data, m)
			if !strings.Contains(out, "imported 0, skipped "+strconv.Itoa(len(tc.wantIDs))) {
				t.Errorf("re-run: %q", out)
			}
		})
	}
}

func TestRefsImportDirAndEmptyManifest(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	vids := filepath.Join(dir, "vids")
	if err := os.Mkdir(vids, 0o755); err != nil {
		t.Fatal(err)
	}
	testvideo.Generate(t, vids, "one.mp4", "testsrc2=size=160x120:rate=10:duration=3")
	writeTestFile(t, vids, "notes.txt", "not a video, not listed")
	if code, out, errs := run(t, "refs", "import", "--data", data, "--platform", "reels", vids); code != 0 || !strings.Contains(out, "imported 1") {
		t.Fatalf("dir import: %d %q %q", code, out, errs)
	}
	if got := listIDs(t, data); !reflect.DeepEqual(got, []string{"one"}) {
		t.Errorf("ids %v", got)
	}
	for _, content := range []string{"", "  \n\n", "path,size\nx.mp4,1\n"} {
		m := writeTestFile(t, dir, "empty.csv", content)
		if code, _, errs := run(t, "refs", "import", "--data", data, m); code != 1 || strings.Count(errs, "\n") != 1 {
			t.Errorf("manifest %q: exit %d, stderr %q", content, code, errs)
		}
	}
	if got := listIDs(t, data); !reflect.DeepEqual(got, []string{"one"}) {
		t.Errorf("index changed by bad manifests: %v", got)
	}
}

func TestParseManifestNoHeader(t *testing.T) {
	items, problems, err := parseManifest(strings.NewReader("/v/x.mp4,tiktok,tt:x,@a,https://u,2024-05-01T10:00:00Z\n/v/y.mp4\n"), "/base", "external")
	if err != nil || len(problems) != 0 {
		t.Fatalf("%v %v", err, problems)
	}
	if len(items) != 2 || items[0].v.ID != "tt:x" || items[0].v.Author != "@a" || items[1].v.ID != "y" || items[1].v.Platform != "external" {
		t.Errorf("items %+v", items)
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add("path,platform,id\na.mp4,tiktok,x\n")
	f.Add(`{"path":"a.mp4","id":"x"}` + "\n")
	f.Add("\xef\xbb\xbfa.mp4,tiktok\n\"q")
	f.Fuzz(func(t *testing.T, s string) {
		items, _, err := parseManifest(strings.NewReader(s), "/base", "external")
		if err != nil {
			return
		}
		for _, it := range items {
			if err := it.v.Validate(); err != nil {
				t.Fatalf("invalid item accepted: %+v: %v", it.v, err)
			}
			if !filepath.IsAbs(it.path) {
				t.Fatalf("relative path %q not resolved", it.path)
			}
		}
	})
}
