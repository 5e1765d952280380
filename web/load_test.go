package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
)

// envInt reads a positive integer knob of the load test.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// loadResult summarises one bounded load run.
type loadResult struct {
	n        int
	failed   int64
	p50, p99 time.Duration
	rps      float64
}

// runLoad sends exactly n requests built by req(i) from c concurrent
// workers and measures each one's latency.
func runLoad(b *testing.B, n, c int, req func(i int) (*http.Request, error), client *http.Client) loadResult {
	b.Helper()
	lat := make([]time.Duration, n)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				r, err := req(i)
				if err != nil {
					b.Error(err)
					return
				}
				t0 := time.Now()
				resp, err := client.Do(r)
				if err == nil {
					_, _ = bytes.NewBuffer(nil).ReadFrom(resp.Body)
					resp.Body.Close()
					if resp.StatusCode >= 400 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[min(n-1, int(p*float64(n)))] }
	return loadResult{n: n, failed: failed.Load(), p50: pct(0.50), p99: pct(0.99), rps: float64(n) / wall.Seconds()}
}

func (r loadResult) report(b *testing.B, name string) {
	b.Helper()
	if r.failed > 0 {
		b.Errorf("%s: %d of %d requests failed", name, r.failed, r.n)
	}
	b.ReportMetric(float64(r.p50.Microseconds())/1000, name+"-p50-ms")
	b.ReportMetric(float64(r.p99.Microseconds())/1000, name+"-p99-ms")
	b.ReportMetric(r.rps, name+"-req/s")
	b.Logf("%-16s n=%-5d p50=%-10v p99=%-10v %.1f req/s", name, r.n, r.p50, r.p99, r.rps)
}

// BenchmarkLoad is the bounded load test of the API through a real
// listener (scripts/loadtest.sh runs it with -benchtime 1x):
//
//   - read endpoints (claim list, claim detail, reference, stored upload
//     result) with COPYCAT_LOAD_READS requests (default 2000) from
//     COPYCAT_LOAD_CONCURRENCY workers (default 8), against /healthz through
//     the same stack as the baseline;
//   - uploads:check of a 15 s 480×854 clip, COPYCAT_LOAD_CHECKS fresh
//     uploads (default 6) from one worker, then as many from two, against
//     the same check run in-process without HTTP as the baseline (ratio =
//     the cost of upload transfer, claims and recording).
func BenchmarkLoad(b *testing.B) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg is needed to generate the 15 s clip")
	}
	reads, conc, checks := envInt("COPYCAT_LOAD_READS", 2000), envInt("COPYCAT_LOAD_CONCURRENCY", 8), envInt("COPYCAT_LOAD_CHECKS", 6)
	for i := 0; i < b.N; i++ {
		loadOnce(b, reads, conc, checks)
	}
}

func loadOnce(b *testing.B, reads, conc, checks int) {
	b.StopTimer()
	e := newTestEnv(b, envOptions{limits: Limits{RatePerSecond: 1e6, Burst: 1e6}})
	dir := b.TempDir()
	ref := filepath.Join(dir, "ref15.mp4")
	clip := filepath.Join(dir, "upload15.mp4")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "mandelbrot=s=480x854:rate=30", "-t", "15", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast", ref},
		{"-i", ref, "-vf", "scale=360:640", "-c:v", "libx264", "-crf", "28", "-preset", "veryfast", clip},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-v", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
			b.Fatalf("ffmpeg: %v\n%s", err, out)
		}
	}
	admin, pipe, rev := e.tokens[models.RoleAdmin], e.tokens[models.RolePipeline], e.tokens[models.RoleReviewer]
	ct, body := multipartBody(b, map[string]string{"id": "tiktok:load", "platform": "tiktok"}, "video", ref)
	if r := e.do("POST", "/v1/references", admin, ct, body); r.status != 201 {
		b.Fatalf("add reference: %d %s", r.status, r.body)
	}
	clipBytes, err := os.ReadFile(clip)
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Minute}
	mkCheck := func(id string) (*http.Request, error) {
		ct, body := multipartBytes(map[string]string{"upload_id": id}, "video", "upload15.mp4", clipBytes)
		r, err := http.NewRequest("POST", e.url+"/v1/uploads:check", body)
		if err == nil {
			r.Header.Set("Authorization", "Bearer "+pipe)
			r.Header.Set("Content-Type", ct)
		}
		return r, err
	}
	// One check first, so that there is a claim to read.
	r0, _ := mkCheck("load-0")
	resp, err := client.Do(r0)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("first check: %v %v", resp, err)
	}
	resp.Body.Close()
	page := decodeBody[struct {
		Claims []models.Claim `json:"claims"`
	}](b, e.do("GET", "/v1/claims?upload=load-0", rev, "", nil))
	if len(page.Claims) == 0 {
		b.Fatal("the copy opened no claim")
	}
	claimID := page.Claims[0].ID

	get := func(path, token string) func(int) (*http.Request, error) {
		return func(int) (*http.Request, error) {
			r, err := http.NewRequest("GET", e.url+path, nil)
			if err == nil && token != "" {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			return r, err
		}
	}
	b.StartTimer()
	base := runLoad(b, reads, conc, get("/healthz", ""), client)
	base.report(b, "healthz")
	for _, rd := range []struct{ name, path string }{
		{"claims-list", "/v1/claims?limit=20&sort=deadline"},
		{"claim-get", "/v1/claims/" + claimID},
		{"reference-get", "/v1/references/tiktok:load"},
		{"upload-get", "/v1/uploads/load-0"},
	} {
		res := runLoad(b, reads, conc, get(rd.path, rev), client)
		res.report(b, rd.name)
	}
	// Fresh uploads: every request is a full check (no replay). One worker
	// for latency (comparable with the in-process baseline), then two (one
	// per core) for throughput.
	up := runLoad(b, checks, 1, func(i int) (*http.Request, error) { return mkCheck(fmt.Sprintf("load-%d", i+1)) }, client)
	up.report(b, "check15s")
	up2 := runLoad(b, checks, 2, func(i int) (*http.Request, error) { return mkCheck(fmt.Sprintf("load2-%d", i+1)) }, client)
	up2.report(b, "check15s-x2")
	replay := runLoad(b, reads/4, conc, func(i int) (*http.Request, error) { return mkCheck(fmt.Sprintf("load-%d", i%checks+1)) }, client)
	replay.report(b, "check-replay")
	b.StopTimer()

	// Baseline: the same check in-process, no HTTP, no claims.
	checker, err := pipeline.New(pipeline.Config{Index: e.idx})
	if err != nil {
		b.Fatal(err)
	}
	var direct []time.Duration
	for i := 0; i < min(checks, 3); i++ {
		t0 := time.Now()
		if _, err := checker.Check(context.Background(), clip, pipeline.CheckMeta{UploadID: "direct"}); err != nil {
			b.Fatal(err)
		}
		direct = append(direct, time.Since(t0))
	}
	sort.Slice(direct, func(i, j int) bool { return direct[i] < direct[j] })
	d50 := direct[len(direct)/2]
	b.ReportMetric(float64(d50.Microseconds())/1000, "direct-check-p50-ms")
	b.ReportMetric(float64(up.p50)/float64(d50), "check-http/direct-ratio")
	b.Logf("direct check p50=%v; HTTP check p50 / direct = %.2f", d50, float64(up.p50)/float64(d50))
}

// multipartBytes builds a multipart body in memory (no testing.TB: it runs
// in load workers).
func multipartBytes(fields map[string]string, filePart, name string, data []byte) (string, *bytes.Reader) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(filePart, name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	return mw.FormDataContentType(), bytes.NewReader(buf.Bytes())
}
