// Package ui is the browser face of copycat: the reviewer queue and claim
// pages for trust-and-safety, and the complaint pages for rights holders.
// Pages are rendered on the server with html/template from assets embedded
// in the binary, so `copycat serve` needs no front-end build or server, and
// the pages carry no JavaScript at all.
//
// Sign-in exchanges an API token for a session cookie (HttpOnly,
// SameSite=Strict, Secure over TLS); the token stays in server memory and is
// re-checked on every request, so revoking it ends the session. Every form
// carries a synchronizer CSRF token tied to the session. All decisions and
// all access rules are the claims service's: a rights holder asking for
// another organisation's claim gets the same 404 as for an unknown id.
package ui

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Authenticator resolves an API token to the principal it belongs to; an
// unknown or revoked token is an EUnauthorized error.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (models.Principal, error)
}

// Claims is the part of the claims workflow the pages use. Every method
// enforces the principal's role and organisation itself.
type Claims interface {
	List(ctx context.Context, p models.Principal, f claims.Filter, pg claims.Page) (claims.ClaimPage, error)
	Get(ctx context.Context, p models.Principal, id string) (claims.ClaimDetail, error)
	Decide(ctx context.Context, p models.Principal, id string, d claims.Decision, reason string, expectedVersion int64) (models.Claim, error)
}

// Complaints is the part of the complaint workflow the rights-holder pages
// use; the service scopes every call to the principal's organisation.
type Complaints interface {
	FileComplaint(ctx context.Context, p models.Principal, r claims.ComplaintRequest) (claims.ComplaintDetail, error)
	MyComplaints(ctx context.Context, p models.Principal, pg claims.Page) ([]models.Complaint, int, error)
	Complaint(ctx context.Context, p models.Principal, id string) (claims.ComplaintDetail, error)
}

// Fingerprinter computes the fingerprint of a video file, for complaints
// whose original is a file rather than an indexed reference.
type Fingerprinter interface {
	Fingerprint(ctx context.Context, path string) (models.Fingerprint, error)
}

// FrameSource renders the frame of an upload (kind "upload") or an indexed
// reference (kind "reference") at t seconds as a JPEG.
type FrameSource interface {
	Frame(ctx context.Context, kind, id string, t float64) ([]byte, error)
}

// Frame kinds passed to FrameSource.
const (
	FrameUpload    = "upload"
	FrameReference = "reference"
)

// Deps is what the pages need. Auth and Claims are required; without
// Frames the evidence images are left out, without Complaints the
// rights-holder pages answer 503 and without Fingerprints a complaint can
// name only an indexed reference, not upload a file.
type Deps struct {
	Auth         Authenticator
	Claims       Claims
	Complaints   Complaints
	Fingerprints Fingerprinter
	Frames       FrameSource
	Log          *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SessionTTL bounds a session's life (default 8h); IdleTimeout ends a
	// session unused that long (default 1h).
	SessionTTL  time.Duration
	IdleTimeout time.Duration
	// SecureCookies marks cookies Secure even on plain-HTTP requests, for a
	// server behind a TLS-terminating proxy. Requests that arrive over TLS
	// always get Secure cookies.
	SecureCookies bool
	// MaxUploadBytes caps a complaint's original video file (default 256 MiB).
	MaxUploadBytes int64
}

type handler struct {
	deps     Deps
	log      *slog.Logger
	now      func() time.Time
	sessions *sessions
	pages    *pages
	mux      *http.ServeMux
}

// New returns the pages as one http.Handler, meant to be mounted at "/".
// It panics when Deps.Auth or Deps.Claims is missing (a wiring mistake, not
// a runtime condition) or the embedded templates do not parse, which the
// package tests rule out.
func New(deps Deps) http.Handler {
	if deps.Auth == nil || deps.Claims == nil {
		panic("ui: Deps.Auth and Deps.Claims are required")
	}
	h := &handler{deps: deps, log: deps.Log, now: deps.Now}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.deps.MaxUploadBytes <= 0 {
		h.deps.MaxUploadBytes = 256 << 20
	}
	h.sessions = newSessions(deps.SessionTTL, deps.IdleTimeout, h.now)
	h.pages = mustParsePages()
	h.mux = http.NewServeMux()
	h.routes()
	return h
}

func (h *handler) routes() {
	static, _ := fs.Sub(assets, "static") // the directory is embedded above
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))
	h.mux.HandleFunc("GET /{$}", h.home)
	h.mux.HandleFunc("GET /signin", h.signinForm)
	h.mux.HandleFunc("POST /signin", h.signin)
	h.mux.HandleFunc("POST /signout", h.withSession(h.signout))
	h.mux.HandleFunc("GET /queue", h.withSession(h.queue))
	h.mux.HandleFunc("GET /claims/{id}", h.withSession(h.claim))
	h.mux.HandleFunc("POST /claims/{id}/decide", h.withSession(h.decide))
	h.mux.HandleFunc("GET /claims/{id}/frames/{kind}", h.withSession(h.frame))
	h.mux.HandleFunc("GET /complaints", h.withSession(h.complaints))
	h.mux.HandleFunc("GET /complaints/new", h.withSession(h.complaintForm))
	h.mux.HandleFunc("POST /complaints", h.withSession(h.fileComplaint))
	h.mux.HandleFunc("GET /complaints/{id}", h.withSession(h.complaint))
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, nil, models.Errorf(models.ENotFound, "no page at %s", r.URL.Path))
	})
}

// ServeHTTP sets the headers every response gets and dispatches.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Everything is served from this origin and there is no script: the
	// policy forbids inline script, framing and foreign form targets.
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

// staticFiles serves the embedded stylesheet with a short cache lifetime;
// assets are not fingerprinted, so they must not be cached for long.
func staticFiles(fsys fs.FS) http.Handler {
	fh := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		fh.ServeHTTP(w, r)
	})
}
