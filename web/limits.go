package web

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/copycat-video/copycat/models"
)

// rateLimiter is a token bucket per API token. Buckets idle for longer than
// it takes them to refill are dropped, so the map stays as small as the set
// of recently active tokens.
type rateLimiter struct {
	rps   rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newRateLimiter(rps float64, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rps: rate.Limit(rps), burst: burst, now: now, buckets: map[string]*bucket{}}
}

// allow takes one request from key's bucket; false means the client must
// slow down.
func (l *rateLimiter) allow(key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	refill := time.Duration(float64(l.burst)/float64(l.rps)*float64(time.Second)) + time.Minute
	if now.Sub(l.swept) > refill {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > refill {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.rps, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// localPaths confines server-local file names in requests to configured
// directories, so that an API client cannot make the server fingerprint (and
// then serve frames of) /etc/shadow or another tenant's files.
type localPaths struct {
	dirs []string // cleaned, symlink-resolved, absolute
}

func newLocalPaths(dirs []string) (*localPaths, error) {
	lp := &localPaths{}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, models.WrapError(models.EInvalid, err, "local directory %q", d)
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		lp.dirs = append(lp.dirs, abs)
	}
	return lp, nil
}

// resolve returns the real path of name when it is a regular file inside one
// of the allowed directories, after following symlinks (a link inside an
// allowed directory pointing outside it is refused). Whether a file outside
// the allowed directories exists is never revealed.
func (lp *localPaths) resolve(name string) (string, error) {
	if len(lp.dirs) == 0 {
		return "", models.Errorf(models.EForbidden, "server-local paths are disabled on this server (start it with --local-dir)")
	}
	if name == "" || !filepath.IsAbs(name) || strings.ContainsRune(name, 0) {
		return "", models.Errorf(models.EInvalid, "path must be an absolute server-local path")
	}
	outside := models.Errorf(models.EForbidden, "path %q is not inside an allowed directory", name)
	clean := filepath.Clean(name)
	if !lp.inside(clean) {
		return "", outside
	}
	real, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return "", models.Errorf(models.ENotFound, "no file at %q", name)
	}
	if !lp.inside(real) {
		return "", outside
	}
	fi, err := os.Stat(real)
	if err != nil || !fi.Mode().IsRegular() {
		return "", models.Errorf(models.EInvalid, "path %q is not a regular file", name)
	}
	return real, nil
}

// inside reports whether the clean absolute path p lies in an allowed
// directory.
func (lp *localPaths) inside(p string) bool {
	for _, d := range lp.dirs {
		rel, err := filepath.Rel(d, p)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}
