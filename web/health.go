package web

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/copycat-video/copycat/models"
)

// healthz says the process is up; it checks nothing else so that an
// orchestrator does not restart a server whose database is merely slow.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ models.Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

type readyResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz probes every configured dependency (index, claims store) in
// parallel, each within 5 s, and answers 503 when any fails.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ models.Principal) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	names := make([]string, 0, len(s.cfg.Ready))
	for n := range s.cfg.Ready {
		names = append(names, n)
	}
	sort.Strings(names)
	results := make([]string, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.cfg.Ready[n](ctx); err != nil {
				s.log.Warn("readiness probe failed", "dependency", n, "err", err)
				results[i] = "failed: " + models.ErrorMessage(err)
				return
			}
			results[i] = "ok"
		}()
	}
	wg.Wait()
	resp := readyResponse{Status: "ok", Checks: map[string]string{}}
	status := http.StatusOK
	for i, n := range names {
		resp.Checks[n] = results[i]
		if results[i] != "ok" {
			resp.Status, status = "unavailable", http.StatusServiceUnavailable
		}
	}
	writeJSON(w, status, resp)
	return nil
}

// metricsHandler serves the registry the server was given.
func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request, _ models.Principal) error {
	s.prom.ServeHTTP(w, r)
	return nil
}

// newPromHandler serves g; a failing collector (say, the claims store is
// down) drops its own series instead of failing the whole scrape.
func newPromHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
