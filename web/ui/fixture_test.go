package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/sqlite"
	"github.com/copycat-video/copycat/fingerprint"
	"github.com/copycat-video/copycat/models"
)

// fixture is a real claims service over SQLite in a temp dir, seeded with
// claims the way the upload pipeline opens them, and the pages on top.
type fixture struct {
	svc     *claims.Service
	store   *sqlite.Store
	handler http.Handler
	// Plaintext tokens by who holds them.
	reviewer, tiktok, kwai, pipeline string
	// Claims: top is the lifted TikTok clip the queue shows first; kwai
	// belongs to the other organisation.
	top, second, kwaiClaim string
	// videos maps "upload/ID" and "reference/ID" to generated files when the
	// fixture was built with videos.
	videos videoFrames
}

var (
	operator = models.Principal{Role: models.RoleAdmin, Name: "operator"}
	pipe     = models.Principal{Role: models.RolePipeline, Name: "upload-pipeline"}
)

type fixtureOpts struct {
	// videos generates real video files with ffmpeg and serves their frames
	// through fingerprint.Frame; without it the pages have no frame source.
	videos bool
	// extra auto claims to seed (for paging), on platform "youtube".
	extra int
	now   func() time.Time
}

func newFixture(t testing.TB, o fixtureOpts) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.OpenDir(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := claims.New(claims.Config{Store: st, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{svc: svc, store: st}
	f.reviewer = mustToken(t, svc, models.RoleReviewer, "", "rita-reviewer")
	f.tiktok = mustToken(t, svc, models.RoleRightsHolder, "tiktok", "tina-tiktok")
	f.kwai = mustToken(t, svc, models.RoleRightsHolder, "kwai", "kai-kwai")
	f.pipeline = mustToken(t, svc, models.RolePipeline, "", "pipeline")

	day := 24 * time.Hour
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	ref := models.Video{ID: "tiktok:7281", Platform: "tiktok", Author: "@dancer", URL: "https://www.tiktok.com/@dancer/video/7281", Published: base, Duration: 8}
	// The upload is the reference from 2 s on: upload t ↔ reference t+2.
	// Evidence is at the upload's sampled frames (2 per second), the last
	// one inside the 6 s clip, as the matcher reports it.
	var ev []models.FramePair
	for q := 0.0; q <= 5.5; q += 0.5 {
		ev = append(ev, models.FramePair{QueryT: q, ReferenceT: q + 2, Distance: int(q) % 4})
	}
	f.top = mustVerdict(t, svc, models.Upload{ID: "up-1001", Uploader: "copy-cat-42", Published: base.Add(19 * day)}, models.Match{
		Reference: ref, Score: 0.93, QueryCoverage: 1, ReferenceCoverage: 0.75,
		Segments: []models.Segment{{QueryStart: 0, QueryEnd: 5.5, ReferenceStart: 2, ReferenceEnd: 7.5}},
		Evidence: ev,
	})
	kref := models.Video{ID: "kwai:991", Platform: "kwai", Author: "kwai-star", Published: base.Add(3 * day), Duration: 8}
	f.kwaiClaim = mustVerdict(t, svc, models.Upload{ID: "up-1002", Uploader: "someone", Published: base.Add(2 * day)}, models.Match{
		Reference: kref, Score: 0.71, QueryCoverage: 0.8, ReferenceCoverage: 0.6,
		Segments: []models.Segment{{QueryStart: 1, QueryEnd: 5.8, ReferenceStart: 0, ReferenceEnd: 4.8}},
		Evidence: []models.FramePair{{QueryT: 1, ReferenceT: 0, Distance: 5, Variant: models.VariantMirror}, {QueryT: 5.5, ReferenceT: 4.5, Distance: 7, Variant: models.VariantMirror}},
	})
	f.second = mustVerdict(t, svc, models.Upload{ID: "up-1003", Uploader: "copy-cat-42"}, models.Match{
		Reference: ref, Score: 0.55, QueryCoverage: 0.4, ReferenceCoverage: 0.3,
		Segments: []models.Segment{{QueryStart: 0, QueryEnd: 2.4, ReferenceStart: 5.6, ReferenceEnd: 8}},
	})
	for i := 0; i < o.extra; i++ {
		mustVerdict(t, svc, models.Upload{ID: fmt.Sprintf("bulk-%03d", i)}, models.Match{
			Reference: models.Video{ID: fmt.Sprintf("youtube:%03d", i), Platform: "youtube", Duration: 30}, Score: 0.5,
			Segments: []models.Segment{{QueryStart: 0, QueryEnd: 3, ReferenceStart: 10, ReferenceEnd: 13}},
		})
	}

	deps := Deps{Auth: svc, Claims: svc, Complaints: svc, Log: slog.New(slog.DiscardHandler), Now: o.now}
	if o.videos {
		f.videos = sharedVideos(t)
		deps.Frames = f.videos
		deps.Fingerprints = fileFingerprinter{}
	}
	f.handler = New(deps)
	return f
}

func mustToken(t testing.TB, svc *claims.Service, role models.Role, org, name string) string {
	t.Helper()
	plain, _, err := svc.CreateToken(context.Background(), operator, role, org, name)
	if err != nil {
		t.Fatalf("create %s token: %v", role, err)
	}
	return plain
}

// mustVerdict submits a lifted verdict as the upload pipeline does and
// returns the claim it opened.
func mustVerdict(t testing.TB, svc *claims.Service, u models.Upload, m models.Match) string {
	t.Helper()
	res, err := svc.OnVerdict(context.Background(), pipe, u, models.Verdict{Video: u.ID, Verdict: models.Lifted, Matches: []models.Match{m}})
	if err != nil {
		t.Fatalf("verdict for %s: %v", u.ID, err)
	}
	if len(res.ClaimIDs) != 1 {
		t.Fatalf("verdict for %s opened %d claims, want 1", u.ID, len(res.ClaimIDs))
	}
	return res.ClaimIDs[0]
}

// videoFrames is the frame source the server wires: it finds the file of an
// upload or reference and extracts the frame with fingerprint.Frame.
type videoFrames map[string]string

func (v videoFrames) Frame(ctx context.Context, kind, id string, t float64) ([]byte, error) {
	path, ok := v[kind+"/"+id]
	if !ok {
		return nil, models.Errorf(models.ENotFound, "no video file for %s %s", kind, id)
	}
	return fingerprint.Frame(ctx, path, t)
}

// fileFingerprinter fingerprints complaint originals like the server does.
type fileFingerprinter struct{}

func (fileFingerprinter) Fingerprint(ctx context.Context, path string) (models.Fingerprint, error) {
	return fingerprint.File(ctx, path, fingerprint.Options{})
}

// The videos take seconds to render on a busy machine, so every test of
// the package shares one set, made on first use and removed by TestMain.
var videos struct {
	once sync.Once
	dir  string
	v    videoFrames
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if videos.dir != "" {
		os.RemoveAll(videos.dir)
	}
	os.Exit(code)
}

func sharedVideos(t testing.TB) videoFrames {
	t.Helper()
	videos.once.Do(func() {
		videos.dir, videos.err = os.MkdirTemp("", "copycat-ui-videos-")
		if videos.err == nil {
			videos.v, videos.err = makeVideos(videos.dir)
		}
	})
	if videos.err != nil {
		t.Fatalf("generate test videos: %v", videos.err)
	}
	return videos.v
}

// makeVideos renders the fixture's videos with ffmpeg: an 8 s reference
// with moving test patterns and a clock, the upload cut from it at 2 s
// (so the evidence frames really line up), and the Kwai pair, mirrored.
func makeVideos(dir string) (videoFrames, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return nil, fmt.Errorf("ffmpeg is needed to generate the test videos (make setup installs it): %w", err)
	}
	ref := filepath.Join(dir, "tiktok-7281.mp4")
	up := filepath.Join(dir, "up-1001.mp4")
	kref := filepath.Join(dir, "kwai-991.mp4")
	kup := filepath.Join(dir, "up-1002.mp4")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=8", ref},
		{"-ss", "2", "-i", ref, "-t", "6", up},
		{"-f", "lavfi", "-i", "testsrc=size=320x180:rate=25:duration=8", kref},
		{"-i", kref, "-t", "6", "-vf", "hflip", kup},
	} {
		out := args[len(args)-1]
		args = append(append([]string{"-nostdin", "-v", "error", "-y"}, args[:len(args)-1]...), "-pix_fmt", "yuv420p", out)
		if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ffmpeg %v: %w\n%s", args, err, b)
		}
	}
	return videoFrames{
		"reference/tiktok:7281": ref, "upload/up-1001": up,
		"reference/kwai:991": kref, "upload/up-1002": kup,
	}, nil
}
