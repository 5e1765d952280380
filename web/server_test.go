package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/copycat-video/copycat/models"
)

// TestGracefulShutdown stops the server while a check is running: the
// check finishes, its client gets the verdict, the result is stored, and
// new connections are refused afterwards.
func TestGracefulShutdown(t *testing.T) {
	c := testClips(t)
	e := newTestEnv(t, envOptions{})
	ct, body := multipartBody(t, map[string]string{"upload_id": "up-1"}, "video", c.copy)
	got := make(chan response, 1)
	go func() { got <- e.do("POST", "/v1/uploads:check", e.tokens[models.RolePipeline], ct, body) }()
	deadline := time.Now().Add(time.Minute)
	for gaugeValue(t, e.srv.metrics.inflight) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the check never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := e.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	r := <-got
	if r.status != http.StatusOK {
		t.Fatalf("in-flight check answered %d %s, want 200", r.status, r.body)
	}
	res, err := e.claims.UploadResult(context.Background(), models.Principal{Role: models.RoleAdmin, Name: "t"}, "up-1")
	if err != nil || res.Upload.ID != "up-1" {
		t.Fatalf("result after shutdown: %+v, %v", res, err)
	}
	if _, err := http.Get(e.url + "/healthz"); err == nil {
		t.Errorf("server still accepts connections after shutdown")
	}
}

// TestRateLimit checks the per-token bucket: a token past its burst gets
// 429 with Retry-After, while another token is unaffected.
func TestRateLimit(t *testing.T) {
	// A refill of one request per ~17 minutes: no refill during the test.
	e := newTestEnv(t, envOptions{limits: Limits{RatePerSecond: 0.001, Burst: 3}})
	rev := e.tokens[models.RoleReviewer]
	for i := 0; i < 3; i++ {
		if r := e.do("GET", "/v1/claims", rev, "", nil); r.status != http.StatusOK {
			t.Fatalf("request %d within the burst: %d %s", i, r.status, r.body)
		}
	}
	r := e.do("GET", "/v1/claims", rev, "", nil)
	if r.status != http.StatusTooManyRequests || r.errorCode() != eRateLimited || r.header.Get("Retry-After") == "" {
		t.Fatalf("request past the burst: %d %s (Retry-After %q), want 429 rate_limited", r.status, r.body, r.header.Get("Retry-After"))
	}
	if r := e.do("GET", "/v1/claims", e.tokens[models.RoleAdmin], "", nil); r.status != http.StatusOK {
		t.Errorf("another token was limited too: %d %s", r.status, r.body)
	}
	// Guessing tokens is limited per client address.
	for i := 0; i < 3; i++ {
		if r := e.do("GET", "/v1/claims", "guess", "", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("failed attempt %d: %d %s, want 401", i, r.status, r.body)
		}
	}
	if r := e.do("GET", "/v1/claims", "guess", "", nil); r.status != http.StatusTooManyRequests {
		t.Errorf("failed attempt past the burst: %d %s, want 429", r.status, r.body)
	}
}

// TestProbes checks /healthz, /readyz (with a failing dependency) and that
// the metrics endpoint serves the server's series.
func TestProbes(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	if r := e.do("GET", "/healthz", "", "", nil); r.status != http.StatusOK {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/readyz", "", "", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"index":"ok"`) || !strings.Contains(string(r.body), `"store":"ok"`) {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	e.srv.cfg.Ready["broken"] = func(context.Context) error {
		return models.WrapError(models.EUnavailable, errors.New("dial tcp: refused"), "claims store unreachable")
	}
	r = e.do("GET", "/readyz", "", "", nil)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "claims store unreachable") || strings.Contains(string(r.body), "dial tcp") {
		t.Errorf("readyz with a broken dependency: %d %s, want 503 naming it without internals", r.status, r.body)
	}
	m := string(e.do("GET", "/metrics", "", "", nil).body)
	for _, want := range []string{`copycat_http_requests_total{code="503",method="GET",route="/readyz"} 1`, "copycat_upload_checks_in_flight 0"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
