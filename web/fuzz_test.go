package web

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/copycat-video/copycat/models"
)

// clientError reports whether err is one of the codes a decoder may answer
// outside input with (never internal).
func clientError(err error) bool {
	var mbe *http.MaxBytesError
	if asMaxBytes(err, &mbe) {
		return true
	}
	switch models.ErrorCode(err) {
	case models.EInvalid, models.ETooLarge, eUnsupportedMedia:
		return models.ErrorMessage(err) != ""
	}
	return false
}

func asMaxBytes(err error, target **http.MaxBytesError) bool {
	for err != nil {
		if m, ok := err.(*http.MaxBytesError); ok {
			*target = m
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// FuzzDecodeJSON feeds arbitrary bodies to every JSON request decoder: they
// must never panic, and must fail only with a client error.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"upload_id":"u1","path":"/x/y.mp4","uploader":"a","published_at":"2024-01-02T03:04:05Z","platform_metadata":{"k":1}}`,
		`{"decision":"uphold","reason":"r","version":3}`,
		`{"references":[{"id":"a","platform":"tiktok","path":"/v.mp4","published":"2020-01-01T00:00:00Z"}],"skip_existing":true}`,
		`{"reason":"fair use","statement":"s"}`, `{"statement":"s","contact":"c"}`,
		`{"original":{"reference_id":"r"},"upload_ids":["u"]}`,
		``, `{`, `[]`, `null`, `{"a":1}`, `{} {}`, `{"upload_id":1e999}`, "\xff\xfe", `{"published_at":"yesterday"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&checkRequest{}, &decisionRequest{}, &importRequest{}, &referenceRequest{}, &disputeRequest{}, &counterNoticeRequest{}}
		for _, v := range targets {
			err := decodeJSONBody(bytes.NewReader(body), v)
			if err != nil && !clientError(err) {
				t.Fatalf("decode %T from %q: non-client error %v (code %s)", v, body, err, models.ErrorCode(err))
			}
		}
		var req checkRequest
		if decodeJSONBody(bytes.NewReader(body), &req) == nil {
			if _, err := validMetadata(req.PlatformMetadata); err != nil && !clientError(err) {
				t.Fatalf("metadata %q: %v", req.PlatformMetadata, err)
			}
		}
	})
}

// FuzzReadForm streams arbitrary multipart bodies through readForm: no
// panic, only client errors, and no temporary file left behind once the
// caller removes the one it is handed.
func FuzzReadForm(f *testing.F) {
	const boundary = "XBOUNDARYX"
	f.Add([]byte("--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"upload_id\"\r\n\r\nu1\r\n--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"video\"; filename=\"a.mp4\"\r\n\r\nDATA\r\n--XBOUNDARYX--\r\n"))
	f.Add([]byte("--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"video\"\r\n\r\n\r\n--XBOUNDARYX--\r\n"))
	f.Add([]byte("--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"nope\"\r\n\r\nx\r\n--XBOUNDARYX--\r\n"))
	f.Add([]byte("--XBOUNDARYX\r\n"))
	f.Add([]byte(""))
	f.Add([]byte("garbage"))
	dir := f.TempDir()
	reg := prometheus.NewRegistry()
	s := &Server{cfg: Config{UploadDir: dir}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), limits: Limits{}.withDefaults()}
	var err error
	if s.metrics, err = newMetrics(reg); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/uploads:check", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<16)
		fm, err := s.readForm(r, "video", map[string]bool{"upload_id": true, "uploader": true})
		if fm.file != "" {
			if err := os.Remove(fm.file); err != nil {
				t.Fatalf("temporary file %s: %v", fm.file, err)
			}
		}
		if err != nil && !clientError(err) {
			t.Fatalf("readForm(%q): non-client error %v", body, err)
		}
		left, _ := os.ReadDir(filepath.Join(dir, ".incoming"))
		if len(left) != 0 {
			t.Fatalf("readForm(%q) left %d temporary files", body, len(left))
		}
	})
}

// FuzzLocalPath checks that resolve never hands out a path outside the
// allowed directory, whatever name it is given.
func FuzzLocalPath(f *testing.F) {
	root := f.TempDir()
	allowed := filepath.Join(root, "allowed")
	if err := os.MkdirAll(filepath.Join(allowed, "sub"), 0o755); err != nil {
		f.Fatal(err)
	}
	for _, n := range []string{"a.mp4", "sub/b.mp4"} {
		if err := os.WriteFile(filepath.Join(allowed, n), []byte("x"), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "secret"), []byte("x"), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "secret"), filepath.Join(allowed, "link")); err != nil {
		f.Fatal(err)
	}
	lp, err := newLocalPaths([]string{allowed})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"a.mp4", "sub/b.mp4", "../secret", "link", "sub/../../secret", "", ".", "sub/", "/etc/passwd", "a.mp4\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, cand := range []string{name, filepath.Join(allowed, name)} {
			got, err := lp.resolve(cand)
			if err != nil {
				if c := models.ErrorCode(err); c != models.EInvalid && c != models.EForbidden && c != models.ENotFound {
					t.Fatalf("resolve(%q): code %s", cand, c)
				}
				continue
			}
			if !strings.HasPrefix(got, allowed+string(filepath.Separator)) {
				t.Fatalf("resolve(%q) = %q, outside %q", cand, got, allowed)
			}
		}
	})
}

// FuzzQueryParams feeds arbitrary query strings to the paging, time and
// frame-time parsers.
func FuzzQueryParams(f *testing.F) {
	for _, s := range []string{"offset=0&limit=10", "limit=-1", "offset=x", "t=1.5", "t=NaN", "t=1e308", "published=2024-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if p, err := parsePage(q, 500); err == nil && (p.Offset < 0 || p.Limit < 1 || p.Limit > 500) {
			t.Fatalf("parsePage(%q) = %+v", raw, p)
		} else if err != nil && !clientError(err) {
			t.Fatal(err)
		}
		if v, err := parseSeconds(q.Get("t")); err == nil && (v < 0 || v > 86400 || v != v) {
			t.Fatalf("parseSeconds(%q) = %v", q.Get("t"), v)
		}
		if _, err := parseTime("published", q.Get("published")); err != nil && !clientError(err) {
			t.Fatal(err)
		}
	})
}
