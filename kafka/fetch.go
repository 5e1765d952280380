package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/copycat-video/copycat/models"
)

// Fetcher turns the video_uri of an upload into a local file. A local path
// (or file:// URI) is used in place; an http(s) URL is downloaded into a
// temporary file with a size limit and a time limit per attempt, retrying
// transient failures (network errors, 5xx, 429) with exponential backoff.
// Failures that retrying cannot fix (404, too large, not a regular file)
// fail at once.
type Fetcher struct {
	// Client makes the HTTP requests; nil means a client with no overall
	// timeout (Timeout bounds each attempt instead).
	Client *http.Client
	// MaxBytes bounds the size of a video, local or remote.
	MaxBytes int64
	// Timeout bounds one download attempt, headers and body.
	Timeout time.Duration
	// Attempts is how many times a download is tried before giving up.
	Attempts int
	// Backoff is the wait after the first failed attempt; it doubles after
	// each further one.
	Backoff time.Duration
	// TempDir holds downloads; "" means os.TempDir().
	TempDir string
	// LocalRoot, when set, confines local paths to this directory tree so
	// that a message cannot make copycat read arbitrary files. When empty,
	// local paths are refused altogether unless AllowAnyLocal is set.
	LocalRoot string
	// AllowAnyLocal lets local paths name any readable file. Only for
	// trusted producers (tests, a single-host setup).
	AllowAnyLocal bool
}

// Fetcher defaults.
const (
	DefaultMaxVideoBytes = 2 << 30
	DefaultFetchTimeout  = 2 * time.Minute
	DefaultFetchAttempts = 4
	DefaultFetchBackoff  = 500 * time.Millisecond
)

// Fetch returns the path of a local file holding the video at uri and a
// function that removes it if it was downloaded. Errors carry a models
// code: EInvalid for unusable URIs and files, ETooLarge past MaxBytes,
// ENotFound for missing files, EUnavailable when the source still failed
// after every attempt. Cancelling ctx returns ctx's error.
func (f *Fetcher) Fetch(ctx context.Context, uri string) (path string, cleanup func(), err error) {
	noop := func() {}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || len(u.Scheme) == 1 { // "C:" style paths are local
		return f.local(uri)
	}
	switch strings.ToLower(u.Scheme) {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return "", noop, models.Errorf(models.EInvalid, "video_uri %q: file URI names a remote host", uri)
		}
		return f.local(u.Path)
	case "http", "https":
		return f.download(ctx, u)
	}
	return "", noop, models.Errorf(models.EInvalid, "video_uri %q: unsupported scheme %q (want a path, file, http or https)", uri, u.Scheme)
}

func (f *Fetcher) maxBytes() int64 {
	if f.MaxBytes > 0 {
		return f.MaxBytes
	}
	return DefaultMaxVideoBytes
}

func (f *Fetcher) local(path string) (string, func(), error) {
	noop := func() {}
	if !f.AllowAnyLocal && f.LocalRoot == "" {
		return "", noop, models.Errorf(models.EForbidden, "video_uri %q: local paths are not allowed (set a local root)", path)
	}
	if !filepath.IsAbs(path) {
		return "", noop, models.Errorf(models.EInvalid, "video_uri %q: local path must be absolute", path)
	}
	clean := filepath.Clean(path)
	if f.LocalRoot != "" {
		// Resolve symlinks on both sides so that a link inside the root
		// cannot point outside it.
		root, err := filepath.EvalSymlinks(f.LocalRoot)
		if err != nil {
			return "", noop, models.WrapError(models.EInternal, err, "local root %q", f.LocalRoot)
		}
		real, err := filepath.EvalSymlinks(clean)
		if err != nil {
			return "", noop, localError(path, err)
		}
		rel, err := filepath.Rel(root, real)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", noop, models.Errorf(models.EForbidden, "video_uri %q is outside the local root", path)
		}
		clean = real
	}
	st, err := os.Stat(clean)
	if err != nil {
		return "", noop, localError(path, err)
	}
	if !st.Mode().IsRegular() {
		return "", noop, models.Errorf(models.EInvalid, "video_uri %q is not a regular file", path)
	}
	if st.Size() > f.maxBytes() {
		return "", noop, models.Errorf(models.ETooLarge, "video_uri %q is %d bytes, more than %d", path, st.Size(), f.maxBytes())
	}
	return clean, noop, nil
}

func localError(path string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return models.WrapError(models.ENotFound, err, "video_uri %q does not exist", path)
	}
	return models.WrapError(models.EInvalid, err, "video_uri %q is unreadable", path)
}

// permanentError marks a download failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func (f *Fetcher) download(ctx context.Context, u *url.URL) (string, func(), error) {
	noop := func() {}
	attempts := f.Attempts
	if attempts <= 0 {
		attempts = DefaultFetchAttempts
	}
	backoff := f.Backoff
	if backoff <= 0 {
		backoff = DefaultFetchBackoff
	}
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if err := sleep(ctx, backoff<<(i-1)); err != nil {
				return "", noop, err
			}
		}
		path, err := f.downloadOnce(ctx, u)
		if err == nil {
			return path, func() { _ = os.Remove(path) }, nil
		}
		if ctx.Err() != nil {
			return "", noop, ctx.Err()
		}
		var perm permanentError
		if errors.As(err, &perm) {
			return "", noop, perm.err
		}
		last = err
	}
	return "", noop, models.WrapError(models.EUnavailable, last, "fetch %s: gave up after %d attempts", redact(u), attempts)
}

func (f *Fetcher) downloadOnce(ctx context.Context, u *url.URL) (path string, err error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", permanentError{models.WrapError(models.EInvalid, err, "fetch %s", redact(u))}
	}
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return "", permanentError{models.WrapError(models.EInvalid, err, "fetch %s: unknown host", redact(u))}
		}
		return "", fmt.Errorf("fetch %s: %w", redact(u), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", fmt.Errorf("fetch %s: %s", redact(u), resp.Status)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return "", permanentError{models.Errorf(models.ENotFound, "fetch %s: %s", redact(u), resp.Status)}
	default:
		return "", permanentError{models.Errorf(models.EInvalid, "fetch %s: %s", redact(u), resp.Status)}
	}
	max := f.maxBytes()
	if resp.ContentLength > max {
		return "", permanentError{models.Errorf(models.ETooLarge, "fetch %s: %d bytes, more than %d", redact(u), resp.ContentLength, max)}
	}
	tmp, err := os.CreateTemp(f.TempDir, "copycat-upload-*")
	if err != nil {
		return "", permanentError{models.WrapError(models.EInternal, err, "fetch %s: temp file", redact(u))}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, max+1))
	if err != nil {
		return "", fmt.Errorf("fetch %s: body: %w", redact(u), err)
	}
	if n > max {
		return "", permanentError{models.Errorf(models.ETooLarge, "fetch %s: more than %d bytes", redact(u), max)}
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return "", fmt.Errorf("fetch %s: body truncated at %d of %d bytes", redact(u), n, resp.ContentLength)
	}
	if err := tmp.Close(); err != nil {
		return "", permanentError{models.WrapError(models.EInternal, err, "fetch %s: temp file", redact(u))}
	}
	return tmp.Name(), nil
}

// redact drops credentials and the query (often a signature) from a URL
// before it goes into an error, a log line or a dead letter.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
