// Package testvideo makes small real video files with FFmpeg for tests of
// the packages that consume video (cli, pipeline, …), so that each does not
// carry its own copy of the same FFmpeg wrapper.
package testvideo

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Generate writes dir/name from an FFmpeg lavfi source (e.g.
// "testsrc2=size=320x240:rate=25:duration=6"); args go between the input and
// the output (codec, duration, filters). The output is yuv420p so that every
// decoder reads it.
func Generate(t testing.TB, dir, name, source string, args ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := append([]string{"-f", "lavfi", "-i", source}, args...)
	Run(t, append(cmd, "-pix_fmt", "yuv420p", out)...)
	return out
}

// Edit writes dir/name by re-encoding src through the filter chain vf, as a
// re-uploader would; args go before the filter (e.g. "-t", "5").
func Edit(t testing.TB, dir, name, src, vf string, args ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := append([]string{"-i", src}, args...)
	Run(t, append(cmd, "-vf", vf, "-pix_fmt", "yuv420p", out)...)
	return out
}

// Run runs ffmpeg quietly with args, failing the test with FFmpeg's own
// message when it fails.
func Run(t testing.TB, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatalf("ffmpeg not found (make setup installs it): %v", err)
	}
	cmd := append([]string{"-nostdin", "-v", "error", "-y"}, args...)
	if b, err := exec.Command("ffmpeg", cmd...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", cmd, err, b)
	}
}
