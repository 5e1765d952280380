// Package web is copycat's HTTP API: upload checks for the upload pipeline,
// references for operators, claims and complaints for reviewers and rights
// holders, evidence frames, health, readiness and metrics. It owns the HTTP
// edge only: authentication, the role matrix, limits, the one JSON error
// shape and the OpenAPI document. Every decision is made by the services it
// is given (pipeline, index, claims), declared here as small interfaces.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Limits bound what one request may cost. Zero fields take the defaults of
// DefaultLimits.
type Limits struct {
	// MaxBodyBytes caps JSON request bodies.
	MaxBodyBytes int64
	// MaxUploadBytes caps multipart uploads (video files).
	MaxUploadBytes int64
	// RatePerSecond and Burst are the per-token request rate limit.
	RatePerSecond float64
	Burst         int
	// MaxConcurrentChecks bounds fingerprinting work (uploads:check,
	// reference adds) so that a burst of uploads queues instead of starving
	// the read endpoints of CPU.
	MaxConcurrentChecks int
	// MaxPageSize caps list endpoints' limit parameter.
	MaxPageSize int
}

// DefaultLimits are conservative defaults for one server process.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:        1 << 20,   // 1 MiB of JSON
		MaxUploadBytes:      512 << 20, // 512 MiB of video
		RatePerSecond:       50,
		Burst:               100,
		MaxConcurrentChecks: runtime.GOMAXPROCS(0),
		MaxPageSize:         500,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxUploadBytes <= 0 {
		l.MaxUploadBytes = d.MaxUploadBytes
	}
	if l.RatePerSecond <= 0 {
		l.RatePerSecond = d.RatePerSecond
	}
	if l.Burst <= 0 {
		l.Burst = d.Burst
	}
	if l.MaxConcurrentChecks <= 0 {
		l.MaxConcurrentChecks = d.MaxConcurrentChecks
	}
	if l.MaxPageSize <= 0 {
		l.MaxPageSize = d.MaxPageSize
	}
	return l
}

// Timeouts of the HTTP server. Zero fields take the defaults of
// DefaultTimeouts.
type Timeouts struct {
	// ReadHeader bounds slow-loris clients.
	ReadHeader time.Duration
	// Read bounds reading a whole request, including a large upload.
	Read time.Duration
	// Write bounds a whole response, including the check it waits for.
	Write time.Duration
	Idle  time.Duration
	// Shutdown is how long in-flight requests get to finish on shutdown.
	Shutdown time.Duration
}

// DefaultTimeouts suit uploads of short videos over ordinary links.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		ReadHeader: 10 * time.Second,
		Read:       5 * time.Minute,
		Write:      10 * time.Minute,
		Idle:       2 * time.Minute,
		Shutdown:   2 * time.Minute,
	}
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	if t.ReadHeader <= 0 {
		t.ReadHeader = d.ReadHeader
	}
	if t.Read <= 0 {
		t.Read = d.Read
	}
	if t.Write <= 0 {
		t.Write = d.Write
	}
	if t.Idle <= 0 {
		t.Idle = d.Idle
	}
	if t.Shutdown <= 0 {
		t.Shutdown = d.Shutdown
	}
	return t
}

// Config wires a Server. Auth, Uploads, References, Claims and Registry are
// required; Frames, Ready and UI are optional.
type Config struct {
	Log  *slog.Logger
	Auth Authenticator
	// Uploads checks uploads idempotently and keeps their results.
	Uploads Uploads
	// References is the reference catalogue (the index plus fingerprinting).
	References References
	// Claims is the claim workflow.
	Claims Claims
	// Fingerprinter fingerprints complaint originals uploaded as files; nil
	// accepts only originals named by reference id.
	Fingerprinter Fingerprinter
	// Frames renders evidence frames; nil answers 503 on the frame routes.
	Frames Frames
	// Ready lists the dependencies /readyz probes, by name.
	Ready map[string]func(context.Context) error
	// Registry receives the server's metrics; Gatherer serves /metrics
	// (usually the same *prometheus.Registry).
	Registry prometheus.Registerer
	Gatherer prometheus.Gatherer
	// UploadDir keeps uploaded videos for evidence frames.
	UploadDir string
	// ReferenceDir keeps reference videos added by upload; default
	// UploadDir/../references.
	ReferenceDir string
	// LocalDirs are the server-local directories uploads:check and
	// references may name by path; empty disables server-local paths.
	LocalDirs []string
	// UI, when set, is mounted at "/" (the reviewer and rights-holder
	// pages); without it "/" answers 404 in the JSON error shape.
	UI       http.Handler
	Limits   Limits
	Timeouts Timeouts
	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time
}

// Server is the HTTP API. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	limits   Limits
	timeouts Timeouts
	metrics  *metrics
	limiter  *rateLimiter
	checks   chan struct{} // semaphore of MaxConcurrentChecks
	paths    *localPaths
	routes   []route
	prom     http.Handler
	handler  http.Handler
	now      func() time.Time
}

// New validates cfg, registers the metrics and builds the routes.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Auth == nil:
		return nil, errors.New("web: Config.Auth is required")
	case cfg.Uploads == nil:
		return nil, errors.New("web: Config.Uploads is required")
	case cfg.References == nil:
		return nil, errors.New("web: Config.References is required")
	case cfg.Claims == nil:
		return nil, errors.New("web: Config.Claims is required")
	case cfg.Registry == nil || cfg.Gatherer == nil:
		return nil, errors.New("web: Config.Registry and Config.Gatherer are required")
	case cfg.UploadDir == "":
		return nil, errors.New("web: Config.UploadDir is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ReferenceDir == "" {
		cfg.ReferenceDir = filepath.Join(filepath.Dir(cfg.UploadDir), "references")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Log,
		limits:   cfg.Limits.withDefaults(),
		timeouts: cfg.Timeouts.withDefaults(),
		now:      cfg.Now,
	}
	var err error
	if s.paths, err = newLocalPaths(cfg.LocalDirs); err != nil {
		return nil, err
	}
	if s.metrics, err = newMetrics(cfg.Registry); err != nil {
		return nil, err
	}
	s.prom = newPromHandler(cfg.Gatherer)
	s.limiter = newRateLimiter(s.limits.RatePerSecond, s.limits.Burst, s.now)
	s.checks = make(chan struct{}, s.limits.MaxConcurrentChecks)
	s.routes = s.routeTable()
	s.handler = s.buildMux()
	return s, nil
}

// Handler returns the root handler, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting connections and waits (up to
// Timeouts.Shutdown) for in-flight requests — checks included — to finish.
// Requests are not cancelled by ctx: a check that has started completes and
// stores its result, so nothing is left half-written.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.timeouts.ReadHeader,
		ReadTimeout:       s.timeouts.Read,
		WriteTimeout:      s.timeouts.Write,
		IdleTimeout:       s.timeouts.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Detached from ctx on purpose: shutdown must not abort requests.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", slog.Duration("grace", s.timeouts.Shutdown))
	sctx, cancel := context.WithTimeout(context.Background(), s.timeouts.Shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// The grace period ran out: cut the remaining connections.
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
