package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkClaimPage measures serving the claim page (session check, token
// authentication, claim load from SQLite, template and SVG rendering) against
// the JSON API's work for the same claim (authenticate, load and encode).
// The two alternate inside one loop so that a busy machine slows both alike;
// "ratio" is page time / JSON time, the price of the HTML. Each iteration
// serves a batch of pages so that `make bench`'s -benchtime 1x still
// measures more than one.
func BenchmarkClaimPage(b *testing.B) {
	f := newFixture(b, fixtureOpts{})
	h := f.handler.(*handler)
	s := h.sessions.create(f.reviewer)
	const batch = 100
	var page, api time.Duration
	for b.Loop() {
		for range batch {
			p, a := servePair(b, f, h, s)
			page += p
			api += a
		}
	}
	n := float64(b.N * batch)
	b.ReportMetric(float64(page.Microseconds())/n, "page-µs/op")
	b.ReportMetric(float64(api.Microseconds())/n, "json-µs/op")
	b.ReportMetric(float64(page)/float64(api), "ratio")
}

// servePair does the JSON API's work and serves the page, once each, and
// returns how long each took.
func servePair(b *testing.B, f *fixture, h *handler, s session) (page, api time.Duration) {
	ctx := context.Background()
	t0 := time.Now()
	p, err := f.svc.Authenticate(ctx, f.reviewer)
	if err != nil {
		b.Fatal(err)
	}
	d, err := f.svc.Get(ctx, p, f.top)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := json.Marshal(d); err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	req := httptest.NewRequest(http.MethodGet, "/claims/"+f.top, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: s.id})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d", rec.Code)
	}
	return time.Since(t1), t1.Sub(t0)
}
