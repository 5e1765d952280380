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
// "ratio" is page time / JSON time, the price of the HTML.
func BenchmarkClaimPage(b *testing.B) {
	f := newFixture(b, fixtureOpts{})
	h := f.handler.(*handler)
	s := h.sessions.create(f.reviewer)
	ctx := context.Background()
	var page, api time.Duration
	for b.Loop() {
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
		api += t1.Sub(t0)
		page += time.Since(t1)
	}
	b.ReportMetric(float64(page.Microseconds())/float64(b.N), "page-µs/op")
	b.ReportMetric(float64(api.Microseconds())/float64(b.N), "json-µs/op")
	b.ReportMetric(float64(page)/float64(api), "ratio")
}
