package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/internal/testvideo"
	"github.com/copycat-video/copycat/models"
)

// fingerprintLines decodes the JSON lines of `copycat fingerprint`.
func fingerprintLines(t *testing.T, out string) []models.Fingerprint {
	t.Helper()
	var fps []models.Fingerprint
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var fp models.Fingerprint
		if err := json.Unmarshal(sc.Bytes(), &fp); err != nil {
			t.Fatalf("line %q is not a fingerprint: %v", sc.Text(), err)
		}
		fps = append(fps, fp)
	}
	return fps
}

func TestFingerprintCommand(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "clips", "nested")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	a := testvideo.Generate(t, filepath.Join(dir, "clips"), "a.mp4", "testsrc2=s=160x120:r=10", "-t", "2", "-c:v", "libx264")
	b := testvideo.Generate(t, sub, "b.mkv", "mandelbrot=s=160x120:r=10", "-t", "2", "-c:v", "ffv1")
	writeTestFile(t, sub, "notes.txt", "not a video and not listed")
	empty := writeTestFile(t, dir, "empty.mp4", "")

	t.Run("one file", func(t *testing.T) {
		code, out, errs := run(t, "fingerprint", "--rate", "1", "--kind", "dhash", a)
		if code != 0 || errs != "" {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
		fps := fingerprintLines(t, out)
		if len(fps) != 1 || fps[0].Source.Path != a || fps[0].Rate != 1 || fps[0].Frames[0].Kind != models.KindDHash {
			t.Fatalf("got %+v", fps)
		}
	})
	t.Run("directory recursively, mirror", func(t *testing.T) {
		code, out, errs := run(t, "fingerprint", "--mirror", filepath.Join(dir, "clips"))
		if code != 0 || errs != "" {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
		fps := fingerprintLines(t, out)
		if len(fps) != 2 || fps[0].Source.Path != a || fps[1].Source.Path != b {
			t.Fatalf("got %d fingerprints, want a.mp4 then nested/b.mkv", len(fps))
		}
		if len(fps[0].Hashes(models.VariantMirror)) == 0 {
			t.Error("--mirror gave no mirrored hashes")
		}
	})
	t.Run("bad files are reported and the rest done", func(t *testing.T) {
		missing := filepath.Join(dir, "missing.mp4")
		code, out, errs := run(t, "fingerprint", empty, a, missing)
		if code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		if fps := fingerprintLines(t, out); len(fps) != 1 || fps[0].Source.Path != a {
			t.Fatalf("stdout has %d fingerprints, want the good file's", len(fps))
		}
		want := []string{
			"copycat fingerprint: " + empty + ": empty file",
			"copycat fingerprint: " + missing + ": no such file",
			"copycat fingerprint: 2 of 3 files failed",
		}
		if got := strings.Split(strings.TrimSpace(errs), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("stderr:\n%s\nwant:\n%s", errs, strings.Join(want, "\n"))
		}
	})
	t.Run("single bad file is one line", func(t *testing.T) {
		code, out, errs := run(t, "fingerprint", empty)
		if code != 1 || out != "" || errs != "copycat fingerprint: "+empty+": empty file\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"fingerprint"},
			{"fingerprint", "--rate", "x", a},
		} {
			if code, _, _ := run(t, args...); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
		for _, args := range [][]string{
			{"fingerprint", "--kind", "md5", a},
			{"fingerprint", "--rate", "-1", a},
			{"fingerprint", "--rate", "500", a},
		} {
			code, out, errs := run(t, args...)
			if code != 1 || out != "" || !strings.HasPrefix(errs, "copycat fingerprint: ") || strings.Count(errs, "\n") != 1 {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want one error line", args, code, out, errs)
			}
		}
	})
}

func TestExpandVideos(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"b.MP4", "a.webm", "x/c.ogv", ".cache/partial.mp4", "readme.md"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Dir(full), filepath.Base(full), "x")
	}
	got, err := expandVideos([]string{dir, "named.bin"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.webm"), filepath.Join(dir, "b.MP4"), filepath.Join(dir, "x/c.ogv"), "named.bin"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want %v", got, want)
	}
}
