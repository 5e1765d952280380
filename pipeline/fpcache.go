package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/copycat-video/copycat/fingerprint"
	"github.com/copycat-video/copycat/models"
)

// CachedFingerprint wraps next with a cache of fingerprints on disk under
// dir, keyed by the file's SHA-256, the fingerprint options and
// models.FingerprintVersion, so that re-running an evaluation while tuning
// the matcher does not decode the corpus again. fingerprint.Revision is part
// of the key, so a change to the hashing never serves stale entries. Entries are written
// atomically (temp file + rename); an unreadable entry is recomputed.
func CachedFingerprint(dir string, next FingerprintFunc) FingerprintFunc {
	return func(ctx context.Context, path string, opts fingerprint.Options) (models.Fingerprint, error) {
		sum, err := fileSHA256(path)
		if err != nil {
			return models.Fingerprint{}, err
		}
		key := fmt.Sprintf("v%d-%s-%s-r%g-%s-m%t", models.FingerprintVersion, fingerprint.Revision, sum, opts.Rate, opts.Kind, opts.Mirror)
		if opts.MinSamples > 0 {
			key += fmt.Sprintf("-n%d-s%g", opts.MinSamples, opts.ShortRate)
		}
		if opts.Dense > 1 {
			key += fmt.Sprintf("-x%d", opts.Dense)
		}
		// The decoder's options decide which frames exist to be sampled
		// (fingerprint.DefaultCaptureOptions skips some).
		if dec := os.Getenv(fingerprint.CaptureOptionsEnv); dec != fingerprint.DefaultCaptureOptions {
			digest := sha256.Sum256([]byte(dec))
			key += "-d" + hex.EncodeToString(digest[:4])
		}
		file := filepath.Join(dir, sum[:2], key+".json")
		if b, err := os.ReadFile(file); err == nil {
			var fp models.Fingerprint
			if json.Unmarshal(b, &fp) == nil && fp.Version == models.FingerprintVersion {
				fp.Source.Path = path
				return fp, nil
			}
		}
		fp, err := next(ctx, path, opts)
		if err != nil {
			return fp, err
		}
		if err := writeAtomic(file, fp); err != nil {
			return fp, fmt.Errorf("fingerprint cache: %w", err)
		}
		return fp, nil
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", models.WrapError(models.EInvalid, err, "%s: cannot open", path)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", models.WrapError(models.EInvalid, err, "%s: cannot read", path)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeAtomic(file string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), file)
}
