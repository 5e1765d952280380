package kafka

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/sqlite"
	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
)

// realPipeline is the production Processor: pipeline.UploadService over an
// embedded index and a SQLite claims store in a temp directory.
type realPipeline struct {
	svc     *pipeline.UploadService
	checker *pipeline.Checker
	claims  *claims.Service
	as      models.Principal
	done    atomic.Int64 // uploads checked without error
}

func (p *realPipeline) Process(ctx context.Context, u models.Upload, path string) (models.UploadResult, error) {
	res, _, err := p.svc.Check(ctx, p.as, u, path)
	if err == nil {
		p.done.Add(1)
	}
	return res, err
}

func newRealPipeline(t testing.TB) *realPipeline {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.OpenDir(ctx, filepath.Join(dir, "claims"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := index.OpenEmbedded(filepath.Join(dir, "index"), index.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		idx.Close()
		store.Close()
	})
	svc, err := claims.New(claims.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	checker, err := pipeline.New(pipeline.Config{Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	return &realPipeline{
		svc:     pipeline.NewUploadService(checker, svc, pipeline.UploadLimits{}, nil),
		checker: checker,
		claims:  svc,
		as:      models.Principal{Role: models.RolePipeline, Name: "kafka-test"},
	}
}

var (
	clipsOnce sync.Once
	clipsDir  string
	clipsErr  error
)

// testClips returns distinct short clips (and one scaled, re-encoded copy of
// the first) made with ffmpeg's synthetic sources, generated once per test
// binary.
func testClips(t testing.TB) (distinct []string, copyOfFirst string) {
	t.Helper()
	clipsOnce.Do(func() {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			clipsErr = fmt.Errorf("ffmpeg not found (make setup installs it): %w", err)
			return
		}
		clipsDir, clipsErr = os.MkdirTemp("", "copycat-kafka-clips-")
		if clipsErr != nil {
			return
		}
		sources := []string{
			"mandelbrot=s=320x240:rate=25",
			"life=s=320x240:mold=10:rate=25:ratio=0.1:seed=7",
			"life=s=320x240:mold=5:rate=25:ratio=0.3:seed=99",
			"cellauto=s=320x240:rate=25:rule=30",
			"cellauto=s=320x240:rate=25:rule=110:seed=5",
			"testsrc2=s=320x240:rate=25",
			"rgbtestsrc=s=320x240:rate=25",
			"life=s=320x240:mold=20:rate=25:ratio=0.5:seed=1234",
		}
		for i, src := range sources {
			out := filepath.Join(clipsDir, fmt.Sprintf("clip%d.mp4", i))
			args := []string{"-v", "error", "-y", "-f", "lavfi", "-i", src, "-t", "4", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", out}
			if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				clipsErr = fmt.Errorf("ffmpeg %v: %v\n%s", args, err, b)
				return
			}
		}
		cp := filepath.Join(clipsDir, "copy0.mp4")
		args := []string{"-v", "error", "-y", "-i", filepath.Join(clipsDir, "clip0.mp4"), "-vf", "scale=480:360", "-c:v", "libx264", "-crf", "30", "-preset", "ultrafast", cp}
		if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			clipsErr = fmt.Errorf("ffmpeg %v: %v\n%s", args, err, b)
		}
	})
	if clipsErr != nil {
		t.Fatal(clipsErr)
	}
	for i := range 8 {
		distinct = append(distinct, filepath.Join(clipsDir, fmt.Sprintf("clip%d.mp4", i)))
	}
	return distinct, filepath.Join(clipsDir, "copy0.mp4")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if clipsDir != "" {
		os.RemoveAll(clipsDir)
	}
	os.Exit(code)
}

// TestConsumerRealPipeline runs the hook over kfake with the production
// Processor: a re-upload of an earlier upload comes back as a duplicate
// with a claim, a text file is dead-lettered as invalid, and replaying the
// whole topic through a second group changes nothing.
func TestConsumerRealPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes videos; skipped with -short")
	}
	clips, copy0 := testClips(t)
	_, brokers := newCluster(t)
	proc := newRealPipeline(t)
	dir := t.TempDir()

	var msgs []message
	for i, c := range clips[:4] {
		id := fmt.Sprintf("up-%d", i)
		msgs = append(msgs, message{[]byte(id), uploadJSON(t, id, c)})
	}
	produce(t, brokers, DefaultTopic, msgs...)
	run := startConsumer(t, testConfig(brokers), proc)
	readTopic(t, brokers, DefaultVerdictsTopic, 4)
	// Only once the originals are recorded is the copy announced.
	produce(t, brokers, DefaultTopic,
		message{[]byte("reup"), uploadJSON(t, "reup", copy0)},
		message{[]byte("text"), uploadJSON(t, "text", writeFile(t, dir, "notes.mp4", "not a video at all"))},
	)
	first := verdictsByID(t, readTopic(t, brokers, DefaultVerdictsTopic, 5))
	dlq := readTopic(t, brokers, DefaultDLQTopic, 1)
	run.wait(t)

	for i := range 4 {
		res := decodeOne(t, first, fmt.Sprintf("up-%d", i))
		if res.Verdict.Verdict != models.Clean {
			t.Errorf("up-%d: %s, want clean (distinct synthetic clips)", i, res.Verdict.Verdict)
		}
	}
	reup := decodeOne(t, first, "reup")
	if reup.Verdict.Verdict != models.Duplicate || len(reup.Verdict.Matches) == 0 || reup.Verdict.Matches[0].Reference.ID != "up-0" {
		t.Fatalf("re-upload verdict %+v, want a duplicate of up-0", reup.Verdict)
	}
	if len(reup.ClaimIDs) == 0 {
		t.Fatalf("re-upload opened no claim")
	}
	d, err := ParseDeadLetter(dlq[0].headers)
	if err != nil || string(dlq[0].key) != "text" || d.Code != models.EInvalid || d.Stage != StageProcess {
		t.Fatalf("dead letter %q %+v (%v), want the text file as invalid at the process stage", dlq[0].key, d, err)
	}

	// Replay everything: same verdicts, byte for byte, no new claim.
	cfg := testConfig(brokers)
	cfg.Group = "replay"
	run = startConsumer(t, cfg, proc)
	all := verdictsByID(t, readTopic(t, brokers, DefaultVerdictsTopic, 10))
	run.wait(t)
	for id, vs := range all {
		for _, v := range vs {
			if string(v) != string(vs[0]) {
				t.Errorf("%s: replayed verdict differs:\n%s\n%s", id, vs[0], v)
			}
		}
	}
	again, err := proc.svc.Result(context.Background(), proc.as, "reup")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again.ClaimIDs) != fmt.Sprint(reup.ClaimIDs) {
		t.Errorf("claims after replay %v, want %v", again.ClaimIDs, reup.ClaimIDs)
	}
}
