package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/postgres"
	"github.com/copycat-video/copycat/claims/sqlite"
	"github.com/copycat-video/copycat/fingerprint"
	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
)

// testEnv is a running server on 127.0.0.1:0 over the embedded index and a
// SQLite claims store in a temporary directory: every part is real.
type testEnv struct {
	t      testing.TB
	url    string
	srv    *Server
	claims *claims.Service
	store  claims.Store
	idx    *index.Embedded
	reg    *prometheus.Registry
	data   string
	local  string // the allowed server-local directory
	// tokens by role; rights holders of two organisations.
	tokens map[models.Role]string
	orgB   string // a rights-holder token of organisation "orgb"
	client *http.Client
	// stop shuts the server down gracefully and returns Serve's error; it
	// is idempotent and also runs at clean-up.
	stop func() error
}

// envOptions tweak a test server.
type envOptions struct {
	limits       Limits
	uploadLimits pipeline.UploadLimits
	// postgres runs the claims store on the PostgreSQL named by
	// COPYCAT_TEST_POSTGRES (in a fresh schema) instead of SQLite.
	postgres bool
}

// openTestStore opens the claims store a test environment asks for.
func openTestStore(t testing.TB, ctx context.Context, dir string, pg bool) claims.Store {
	t.Helper()
	if !pg {
		store, err := sqlite.OpenDir(ctx, dir)
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		return store
	}
	url := os.Getenv("COPYCAT_TEST_POSTGRES")
	if url == "" {
		t.Skip("set COPYCAT_TEST_POSTGRES=postgres://... to run against a real PostgreSQL (scripts/postgres.sh up prints it)")
	}
	schema := "copycat_web_" + newID("")
	store, err := postgres.Open(ctx, url, postgres.Options{Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() {
		if err := postgres.DropSchema(context.Background(), url, schema); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return store
}

func newTestEnv(t testing.TB, opts envOptions) *testEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	data := t.TempDir()
	local := filepath.Join(data, "local")
	if err := os.MkdirAll(local, 0o755); err != nil {
		t.Fatal(err)
	}
	store := openTestStore(t, ctx, filepath.Join(data, "claims"), opts.postgres)
	idx, err := index.OpenEmbedded(filepath.Join(data, "index"), index.EmbeddedOptions{})
	if err != nil {
		t.Fatalf("open index: %v", err)
	}
	checker, err := pipeline.New(pipeline.Config{Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := claims.New(claims.Config{Store: store, Verifier: pipeline.NewComplaintVerifier(checker)})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	refs := Catalog{Checker: checker}
	uploads := pipeline.NewUploadService(checker, svc, opts.uploadLimits, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv, err := New(Config{
		Log:           log,
		Auth:          svc,
		Uploads:       uploads,
		References:    refs,
		Claims:        svc,
		Fingerprinter: fingerprintFunc(checker.FingerprintReference),
		Frames:        FramesFunc(fingerprint.Frame),
		Ready: map[string]func(context.Context) error{
			"index": func(ctx context.Context) error { _, err := idx.Stats(ctx); return err },
			"store": func(ctx context.Context) error {
				return store.View(ctx, func(claims.Tx) error { return nil })
			},
		},
		Registry:  reg,
		Gatherer:  reg,
		UploadDir: filepath.Join(data, "uploads"),
		LocalDirs: []string{local},
		Limits:    opts.limits,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(data, "uploads"), 0o750); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	e := &testEnv{
		t: t, url: "http://" + ln.Addr().String(), srv: srv, claims: svc, store: store, idx: idx, reg: reg,
		data: data, local: local, tokens: map[models.Role]string{}, client: &http.Client{Timeout: 2 * time.Minute},
	}
	var stopOnce sync.Once
	var serveErr error
	e.stop = func() error {
		stopOnce.Do(func() {
			cancel()
			serveErr = <-done
		})
		return serveErr
	}
	t.Cleanup(func() {
		if err := e.stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = idx.Close()
		_ = store.Close()
	})
	admin := models.Principal{Role: models.RoleAdmin, Name: "test-operator"}
	for _, r := range tokenRoles() {
		org := ""
		if r == models.RoleRightsHolder {
			org = "orga"
		}
		tok, _, err := svc.CreateToken(ctx, admin, r, org, string(r)+"-test")
		if err != nil {
			t.Fatalf("create %s token: %v", r, err)
		}
		e.tokens[r] = tok
	}
	e.orgB, _, err = svc.CreateToken(ctx, admin, models.RoleRightsHolder, "orgb", "orgb-test")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errorCode returns the code of a JSON error body ("" if not one).
func (r response) errorCode() string {
	var eb errorBody
	if json.Unmarshal(r.body, &eb) != nil {
		return ""
	}
	return eb.Error.Code
}

func (e *testEnv) do(method, path, token, contentType string, body io.Reader) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *testEnv) doJSON(method, path, token string, v any) response {
	e.t.Helper()
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	return e.do(method, path, token, "application/json", body)
}

// multipartBody builds a form with the given fields and one file part.
func multipartBody(t testing.TB, fields map[string]string, filePart, file string) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if file != "" {
		fw, err := mw.CreateFormFile(filePart, filepath.Base(file))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}

func decodeBody[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %T from %d %s: %v", v, r.status, r.body, err)
	}
	return v
}

// clips are small generated videos shared by the tests of this package.
type clips struct {
	reference string // 6 s of a Mandelbrot zoom
	copy      string // the reference re-encoded at another size and quality
	other     string // 6 s of an unrelated Game of Life
}

var (
	clipsOnce sync.Once
	clipsVal  clips
	clipsErr  error
	clipsDir  string
)

// testClips generates the clips once per test binary with ffmpeg's lavfi
// sources; the directory is removed by TestMain.
func testClips(t *testing.T) clips {
	t.Helper()
	clipsOnce.Do(func() {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			clipsErr = fmt.Errorf("ffmpeg not found (make setup installs it): %w", err)
			return
		}
		c := clips{
			reference: filepath.Join(clipsDir, "reference.mp4"),
			copy:      filepath.Join(clipsDir, "copy.mp4"),
			other:     filepath.Join(clipsDir, "other.mp4"),
		}
		steps := [][]string{
			{"-f", "lavfi", "-i", "mandelbrot=s=320x240:rate=25", "-t", "6", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", c.reference},
			{"-i", c.reference, "-vf", "scale=480:360", "-c:v", "libx264", "-crf", "30", "-preset", "ultrafast", c.copy},
			{"-f", "lavfi", "-i", "life=s=320x240:mold=10:rate=25:ratio=0.1:seed=7", "-t", "6", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", c.other},
		}
		for _, args := range steps {
			cmd := exec.Command("ffmpeg", append([]string{"-v", "error", "-y"}, args...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				clipsErr = fmt.Errorf("ffmpeg %v: %v\n%s", args, err, out)
				return
			}
		}
		clipsVal = c
	})
	if clipsErr != nil {
		t.Fatal(clipsErr)
	}
	return clipsVal
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "copycat-web-clips-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clipsDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// storeSnapshot renders everything a request could change — claims with
// their audit trails, complaints, the stored results of the ids the tests
// use, the index and the kept files — so a test can assert that rejected
// requests changed nothing.
func storeSnapshot(t testing.TB, e *testEnv) string {
	t.Helper()
	ctx := context.Background()
	var b bytes.Buffer
	err := e.store.View(ctx, func(tx claims.Tx) error {
		cs, n, err := tx.Claims(ctx, claims.Filter{}, claims.Page{Limit: claims.MaxLimit})
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "claims %d\n", n)
		for _, c := range cs {
			evs, err := tx.Events(ctx, models.SubjectClaim, c.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s %s v%d events %d\n", c.ID, c.State, c.Version, len(evs))
		}
		cps, n, err := tx.Complaints(ctx, "", claims.Page{Limit: claims.MaxLimit})
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "complaints %d\n", n)
		for _, cp := range cps {
			fmt.Fprintf(&b, "%s %v\n", cp.ID, cp.ClaimIDs)
		}
		for _, id := range []string{"matrix-upload", "up-stolen", "up-1", "up-2", "up-bad"} {
			r, err := tx.UploadResult(ctx, id)
			fmt.Fprintf(&b, "result %s %s %s\n", id, r.Verdict.Verdict, models.ErrorCode(err))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot store: %v", err)
	}
	st, err := e.idx.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "index %d videos %d hashes\n", st.Videos, st.Hashes)
	_ = filepath.WalkDir(e.data, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.Contains(p, "/uploads/") || strings.Contains(p, "/references/")) {
			fmt.Fprintf(&b, "file %s\n", strings.TrimPrefix(p, e.data))
		}
		return nil
	})
	return b.String()
}

// fingerprintFunc adapts a function to Fingerprinter.
type fingerprintFunc func(ctx context.Context, path string) (models.Fingerprint, error)

func (f fingerprintFunc) Fingerprint(ctx context.Context, path string) (models.Fingerprint, error) {
	return f(ctx, path)
}
