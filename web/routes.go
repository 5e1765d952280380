package web

import (
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// handlerFunc is an API handler: it writes a success response or returns an
// error that the middleware turns into the JSON error shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p models.Principal) error

// route is one row of the route table. The table is the role matrix: roles
// lists who may call the route (nil means no authentication), and the
// role-matrix test and the OpenAPI test both walk it. Routes without roles
// are public (probes, metrics, the API document).
type route struct {
	method  string
	pattern string // net/http ServeMux path pattern
	roles   []models.Role
	// upload marks routes that take video files: their bodies may be as
	// large as Limits.MaxUploadBytes instead of MaxBodyBytes.
	upload bool
	h      handlerFunc
}

func rolesOf(rs ...models.Role) []models.Role { return rs }

// routeTable lists every API route. Rights holders appear on claim and
// complaint routes; the handlers scope them to their organisation (another
// organisation's objects answer 404, indistinguishable from missing ones).
func (s *Server) routeTable() []route {
	const (
		pl = models.RolePipeline
		rv = models.RoleReviewer
		rh = models.RoleRightsHolder
		ad = models.RoleAdmin
	)
	return []route{
		{method: "GET", pattern: "/healthz", h: s.healthz},
		{method: "GET", pattern: "/readyz", h: s.readyz},
		{method: "GET", pattern: "/metrics", h: s.metricsHandler},
		{method: "GET", pattern: "/openapi.json", h: s.openapi},

		{method: "POST", pattern: "/v1/uploads:check", roles: rolesOf(pl, ad), upload: true, h: s.checkUpload},
		{method: "GET", pattern: "/v1/uploads/{id}", roles: rolesOf(pl, rv, ad), h: s.getUpload},
		{method: "GET", pattern: "/v1/uploads/{id}/frame", roles: rolesOf(rv, rh, ad), h: s.uploadFrame},

		{method: "POST", pattern: "/v1/references", roles: rolesOf(ad), upload: true, h: s.addReference},
		{method: "POST", pattern: "/v1/references:import", roles: rolesOf(ad), h: s.importReferences},
		{method: "GET", pattern: "/v1/references", roles: rolesOf(rv, ad), h: s.listReferences},
		{method: "GET", pattern: "/v1/references/{id}", roles: rolesOf(rv, ad), h: s.getReference},
		{method: "DELETE", pattern: "/v1/references/{id}", roles: rolesOf(ad), h: s.deleteReference},
		{method: "GET", pattern: "/v1/references/{id}/frame", roles: rolesOf(rv, rh, ad), h: s.referenceFrame},

		{method: "GET", pattern: "/v1/claims", roles: rolesOf(rv, rh, ad), h: s.listClaims},
		{method: "GET", pattern: "/v1/claims/{id}", roles: rolesOf(rv, rh, ad), h: s.getClaim},
		{method: "POST", pattern: "/v1/claims/{id}/decision", roles: rolesOf(rv, rh, ad), h: s.decideClaim},
		{method: "POST", pattern: "/v1/claims/{id}/dispute", roles: rolesOf(pl, rv, ad), h: s.disputeClaim},
		{method: "POST", pattern: "/v1/claims/{id}/counter-notice", roles: rolesOf(pl, rv, ad), h: s.counterNotice},

		{method: "POST", pattern: "/v1/complaints", roles: rolesOf(rh, ad), upload: true, h: s.fileComplaint},
		{method: "GET", pattern: "/v1/complaints", roles: rolesOf(rv, rh, ad), h: s.listComplaints},
		{method: "GET", pattern: "/v1/complaints/{id}", roles: rolesOf(rv, rh, ad), h: s.getComplaint},
	}
}

// buildMux registers the route table on a ServeMux. Each distinct path also
// gets a method-less pattern answering 405 in the JSON error shape (the
// mux's own 405 is plain text), and /v1/ a JSON 404.
func (s *Server) buildMux() http.Handler {
	mux := http.NewServeMux()
	methods := map[string][]string{}
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.pattern, s.instrument(rt.pattern, s.wrap(rt)))
		methods[rt.pattern] = append(methods[rt.pattern], rt.method)
	}
	paths := make([]string, 0, len(methods))
	for p := range methods {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		allow := methods[p]
		if slices.Contains(allow, "GET") {
			allow = append(allow, "HEAD")
		}
		sort.Strings(allow)
		mux.Handle(p, s.instrument(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, r, models.Errorf(eMethodNotAllowed, "method %s not allowed on %s (allowed: %s)", r.Method, p, strings.Join(allow, ", ")))
		})))
	}
	mux.Handle("/v1/", s.instrument("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, models.Errorf(models.ENotFound, "no route %s %s", r.Method, r.URL.Path))
	})))
	if s.cfg.UI != nil {
		mux.Handle("/", s.instrument("ui", s.cfg.UI))
	} else {
		mux.Handle("/", s.instrument("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, models.Errorf(models.ENotFound, "no route %s %s", r.Method, r.URL.Path))
		})))
	}
	return mux
}

// wrap applies, in order: panic recovery, authentication, the per-token
// rate limit, the role check and the body size limit.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic in %s %s: %v\n%s", rt.method, rt.pattern, v, debug.Stack()))
			}
		}()
		var p models.Principal
		if rt.roles != nil {
			tok, err := bearer(r)
			if err == nil {
				p, err = s.cfg.Auth.Authenticate(r.Context(), tok)
			}
			if err != nil {
				// Failed attempts are limited per client address, so that
				// guessing tokens costs the guesser, not the claims store.
				if !s.limiter.allow("addr:" + clientHost(r)) {
					w.Header().Set("Retry-After", "1")
					s.writeError(w, r, models.Errorf(eRateLimited, "too many failed authentication attempts; retry later"))
					return
				}
				if code := models.ErrorCode(err); code == models.EUnauthorized || code == models.ENotFound || code == models.EForbidden {
					err = models.Errorf(models.EUnauthorized, "invalid or revoked API token")
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="copycat"`)
				s.writeError(w, r, err)
				return
			}
			if !s.limiter.allow(p.TokenID) {
				w.Header().Set("Retry-After", "1")
				s.writeError(w, r, models.Errorf(eRateLimited, "rate limit exceeded for this token; retry later"))
				return
			}
			if !allowed(rt.roles, p.Role) {
				s.writeError(w, r, models.Errorf(models.EForbidden, "role %s may not %s %s", p.Role, rt.method, rt.pattern))
				return
			}
			r = r.WithContext(WithPrincipal(r.Context(), p))
		}
		limit := s.limits.MaxBodyBytes
		if rt.upload {
			limit = s.limits.MaxUploadBytes
		}
		if r.ContentLength > limit {
			s.writeError(w, r, models.Errorf(models.ETooLarge, "request body larger than %d bytes", limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := rt.h(w, r, p); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// clientHost is the remote address without the port. Behind a proxy all
// clients share the proxy's address; the limit then protects the server as
// a whole, which is still its point.
func clientHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
