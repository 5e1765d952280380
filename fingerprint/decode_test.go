package fingerprint

import (
	"os"
	"testing"
)

// The package turns frame skipping on for the whole process unless the
// operator chose capture options; the test binary starts without them
// unless the person running it set them.
func TestCaptureOptionsDefault(t *testing.T) {
	got, set := os.LookupEnv(CaptureOptionsEnv)
	if !set {
		t.Fatalf("%s is not set after init", CaptureOptionsEnv)
	}
	if skipsFrames() && got != DefaultCaptureOptions {
		t.Errorf("%s = %q, want %q", CaptureOptionsEnv, got, DefaultCaptureOptions)
	}
	if !skipsFrames() {
		t.Logf("%s was set by the environment (%q): frame skipping left to it", CaptureOptionsEnv, got)
	}
}

func TestHasNonRefFrames(t *testing.T) {
	for codec, want := range map[string]bool{"avc1": true, "hvc1": true, "mpeg": true, "xvid": true, "vp80": false, "vp90": false, "av01": false, "theo": false, "jpeg": false, "": false} {
		if got := hasNonRefFrames(codec); got != want {
			t.Errorf("hasNonRefFrames(%q) = %v, want %v", codec, got, want)
		}
	}
}
