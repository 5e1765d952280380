package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/claims/postgres"
	"github.com/copycat-video/copycat/claims/sqlite"
	"github.com/copycat-video/copycat/fingerprint"
	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/kafka"
	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
	"github.com/copycat-video/copycat/web"
	"github.com/copycat-video/copycat/web/ui"
)

// listFlag is a repeatable string flag.
type listFlag []string

// String implements flag.Value.
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set implements flag.Value, appending each occurrence.
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// runServe is `copycat serve`: the HTTP API, the reviewer pages, the claim
// deadline job and, with --kafka-brokers, the Kafka upload hook, in one
// process over the embedded index and SQLite by default.
func runServe(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("serve")
	addr := fs.String("addr", env.envOr("COPYCAT_ADDR", "127.0.0.1:8080"), "listen address (env COPYCAT_ADDR)")
	data := env.dataFlag(fs)
	db := fs.String("db", env.envOr("COPYCAT_DB", ""), "claims store: empty for SQLite in <data>/claims/claims.db, a .db file path, or a postgres:// URL (env COPYCAT_DB)")
	idxURL := env.indexFlag(fs)
	var localDirs listFlag
	fs.Var(&localDirs, "local-dir", "directory whose files API clients may name by server-local path (repeatable; env COPYCAT_LOCAL_DIRS, colon-separated); none by default")
	maxUploadMB := fs.Int64("max-upload-mb", 512, "largest video upload in MiB")
	maxDuration := fs.Float64("max-duration", 600, "longest upload to check, in seconds")
	maxWidth := fs.Int("max-width", 4096, "widest upload to check, in pixels")
	maxHeight := fs.Int("max-height", 4096, "tallest upload to check, in pixels")
	rps := fs.Float64("rate", 50, "requests per second allowed per API token")
	burst := fs.Int("burst", 100, "request burst allowed per API token")
	checks := fs.Int("checks", 0, "checks run at once (0: one per CPU)")
	deadlines := fs.Duration("deadline-interval", time.Minute, "how often passed claim deadlines are processed (0 disables the job)")
	brokers := fs.String("kafka-brokers", env.envOr("COPYCAT_KAFKA_BROKERS", ""), "Kafka brokers host:port[,…]; when set, the upload hook consumes in this process (env COPYCAT_KAFKA_BROKERS)")
	topic := fs.String("kafka-topic", env.envOr("COPYCAT_KAFKA_TOPIC", kafka.DefaultTopic), "Kafka topic of uploads (env COPYCAT_KAFKA_TOPIC)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return models.Errorf(models.EInvalid, "serve takes no arguments (got %q)", fs.Args())
	}
	if len(localDirs) == 0 {
		if v := env.Getenv("COPYCAT_LOCAL_DIRS"); v != "" {
			localDirs = filepath.SplitList(v)
		}
	}
	uploadDir := filepath.Join(*data, "uploads")
	if err := os.MkdirAll(uploadDir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", uploadDir, err)
	}

	idx, err := openServerIndex(ctx, env, *data, *idxURL)
	if err != nil {
		return fmt.Errorf("open index: %w", err)
	}
	defer idx.Close()
	store, err := openServeStore(ctx, *data, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	checker, err := pipeline.New(pipeline.Config{Index: idx, Log: env.Log})
	if err != nil {
		return err
	}
	// Complaints are verified by matching the original against the accused
	// upload's kept video.
	svc, err := claims.New(claims.Config{Store: store, Log: env.Log, Verifier: pipeline.NewComplaintVerifier(checker)})
	if err != nil {
		return err
	}
	uploads := pipeline.NewUploadService(checker, svc, pipeline.UploadLimits{MaxDuration: *maxDuration, MaxWidth: *maxWidth, MaxHeight: *maxHeight}, env.Log)

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		web.NewStatsCollector("copycat_index_size", "Size of the index: indexed videos, frame hashes and bytes.", "unit", indexSize(idx)),
		web.NewStatsCollector("copycat_claims", "Claims by state.", "state", claimStates(store)),
	)
	refs := web.Catalog{Checker: checker}
	frames := web.FramesFunc(fingerprint.Frame)
	srv, err := web.New(web.Config{
		Log:           env.Log,
		Auth:          svc,
		Uploads:       uploads,
		References:    refs,
		Claims:        svc,
		Fingerprinter: fingerprinter{checker},
		Frames:        frames,
		Ready: map[string]func(context.Context) error{
			"index":        func(ctx context.Context) error { _, err := idx.Stats(ctx); return err },
			"claims_store": func(ctx context.Context) error { return store.View(ctx, func(claims.Tx) error { return nil }) },
		},
		Registry:  reg,
		Gatherer:  reg,
		UploadDir: uploadDir,
		LocalDirs: localDirs,
		UI:        newUI(env, svc, checker, web.NewFrameSource(refs, frames)),
		Limits: web.Limits{
			MaxUploadBytes:      *maxUploadMB << 20,
			RatePerSecond:       *rps,
			Burst:               *burst,
			MaxConcurrentChecks: *checks,
		},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return models.WrapError(models.EUnavailable, err, "listen on %s", *addr)
	}
	env.Log.Info("copycat serving", "addr", ln.Addr().String(), "data", *data, "local_dirs", []string(localDirs), "kafka", *brokers != "")

	// The server, the deadline job and the Kafka hook run until ctx ends
	// (SIGINT/SIGTERM) or one of them fails, which stops the others.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("%s: %w", name, err)
				}
				mu.Unlock()
			}
			cancel()
		}()
	}
	run("http", func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	if *deadlines > 0 {
		run("deadlines", func(ctx context.Context) error { return svc.RunDeadlines(ctx, *deadlines) })
	}
	if *brokers != "" {
		cons, err := kafka.New(kafka.Config{
			Brokers:  splitList(*brokers),
			Topic:    *topic,
			Registry: reg,
			Log:      env.Log,
			Fetcher:  &kafka.Fetcher{MaxBytes: *maxUploadMB << 20, LocalRoot: firstOr(localDirs, "")},
		}, &kafkaProcessor{uploads: uploads, dir: uploadDir})
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		run("kafka", cons.Run)
	}
	wg.Wait()
	env.Log.Info("copycat stopped")
	return firstErr
}

func firstOr(xs []string, def string) string {
	if len(xs) > 0 {
		return xs[0]
	}
	return def
}

// openServeStore opens the claims store named by db: "" (SQLite in
// <data>/claims, where `copycat consume` keeps it too), a postgres:// URL,
// or a SQLite file path.
func openServeStore(ctx context.Context, dataDir, db string) (claims.Store, error) {
	switch {
	case db == "":
		return sqlite.OpenDir(ctx, filepath.Join(dataDir, "claims"))
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return postgres.Open(ctx, db, postgres.Options{})
	case strings.HasPrefix(db, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(db, "sqlite:"))
	case strings.Contains(db, "://"):
		return nil, models.Errorf(models.EInvalid, "unknown claims store %q (want a postgres:// URL or a SQLite file)", db)
	}
	return sqlite.Open(ctx, db)
}

// indexSize reads the index size for the copycat_index_size gauge.
func indexSize(idx index.Index) func(context.Context) (map[string]float64, error) {
	return func(ctx context.Context) (map[string]float64, error) {
		st, err := idx.Stats(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]float64{"videos": float64(st.Videos), "hashes": float64(st.Hashes), "bytes": float64(st.Bytes)}, nil
	}
}

// claimStates counts claims per state for the copycat_claims gauge.
func claimStates(store claims.Store) func(context.Context) (map[string]float64, error) {
	return func(ctx context.Context) (map[string]float64, error) {
		out := map[string]float64{}
		err := store.View(ctx, func(tx claims.Tx) error {
			for _, st := range models.ClaimStates {
				_, n, err := tx.Claims(ctx, claims.Filter{States: []models.ClaimState{st}}, claims.Page{Limit: 1})
				if err != nil {
					return err
				}
				out[string(st)] = float64(n)
			}
			return nil
		})
		return out, err
	}
}

// fingerprinter fingerprints complaint originals the way references are.
type fingerprinter struct{ c *pipeline.Checker }

// Fingerprint implements web.Fingerprinter and ui.Fingerprinter.
func (f fingerprinter) Fingerprint(ctx context.Context, path string) (models.Fingerprint, error) {
	return f.c.FingerprintReference(ctx, path)
}

// kafkaProcessor checks uploads from the Kafka hook with the same upload
// service as the HTTP API, keeping a copy of each video next to the HTTP
// uploads (the consumer removes its downloads afterwards) for evidence
// frames.
type kafkaProcessor struct {
	uploads *pipeline.UploadService
	dir     string
}

// Process implements kafka.Processor.
func (k *kafkaProcessor) Process(ctx context.Context, u models.Upload, path string) (models.UploadResult, error) {
	p := models.Principal{Role: models.RolePipeline, Name: "kafka"}
	if res, err := k.uploads.Result(ctx, p, u.ID); err == nil {
		return res, nil
	} else if models.ErrorCode(err) != models.ENotFound {
		return models.UploadResult{}, err
	}
	if err := models.ValidateID(u.ID); err != nil {
		return models.UploadResult{}, models.WrapError(models.EInvalid, err, "upload id")
	}
	kept := web.KeptUploadPath(k.dir, u.ID)
	if err := keepCopy(path, kept); err != nil {
		return models.UploadResult{}, err
	}
	res, _, err := k.uploads.Check(ctx, p, u, kept)
	if err != nil {
		_ = os.Remove(kept)
	}
	return res, err
}

// keepCopy puts the file src at dst (a hard link when possible), through a
// temporary name so that dst is never half-written.
func keepCopy(src, dst string) error {
	tmp := dst + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Link(src, tmp); err != nil {
		in, err := os.Open(src)
		if err != nil {
			return models.WrapError(models.EInvalid, err, "open upload %s", src)
		}
		defer in.Close()
		out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
		if err != nil {
			return fmt.Errorf("keep upload: %w", err)
		}
		_, err = io.Copy(out, in)
		if err == nil {
			err = out.Sync()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("keep upload: %w", err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("keep upload: %w", err)
	}
	return nil
}

// newUI builds the reviewer and rights-holder pages mounted at "/".
func newUI(env *Env, svc *claims.Service, checker *pipeline.Checker, frames *web.FrameSource) http.Handler {
	return ui.New(ui.Deps{
		Auth:         svc,
		Claims:       svc,
		Complaints:   svc,
		Fingerprints: fingerprinter{checker},
		Frames:       frames,
		Log:          env.Log,
	})
}
