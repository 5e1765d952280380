package cli

import (
	"context"
	"flag"
	"path/filepath"
	"strings"
	"time"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/index/milvus"
	"github.com/copycat-video/copycat/models"
)

// indexFlag registers --index with its COPYCAT_INDEX fallback. Empty means
// the embedded index under <data>/index.
func (env *Env) indexFlag(fs *flag.FlagSet) *string {
	return fs.String("index", env.envOr("COPYCAT_INDEX", ""),
		"index backend: empty for the embedded index under <data>/index, a directory path, or milvus://host:19530/collection (env COPYCAT_INDEX)")
}

// openIndex opens the index named by indexURL: "" (the embedded index in
// dataDir/index), "embedded:DIR" or a plain directory path for an embedded
// index elsewhere, or "milvus://host:port/collection" for the Milvus
// backend (its collections are created on first use, as the embedded
// index creates its directory). A short-lived command gives up on an
// unreachable Milvus after a few tries.
func openIndex(ctx context.Context, env *Env, dataDir, indexURL string) (index.Index, error) {
	return openIndexRetry(ctx, env, dataDir, indexURL, milvus.RetryPolicy{})
}

// openServerIndex is openIndex for long-running processes (serve, consume):
// a Milvus that is still starting or briefly away is waited for with capped
// backoff until ctx ends, instead of crashing the server.
func openServerIndex(ctx context.Context, env *Env, dataDir, indexURL string) (index.Index, error) {
	return openIndexRetry(ctx, env, dataDir, indexURL, milvus.RetryPolicy{Attempts: 1 << 20, Max: 30 * time.Second})
}

func openIndexRetry(ctx context.Context, env *Env, dataDir, indexURL string, retry milvus.RetryPolicy) (index.Index, error) {
	dir := indexURL
	switch {
	case indexURL == "":
		dir = filepath.Join(dataDir, "index")
	case strings.HasPrefix(indexURL, "embedded:"):
		dir = strings.TrimPrefix(indexURL, "embedded:")
	case strings.HasPrefix(indexURL, "milvus://"):
		m, err := milvus.Open(ctx, indexURL, milvus.Options{Logger: env.Log, Create: true, Retry: retry})
		if err != nil {
			return nil, err // never a typed nil inside the interface
		}
		return m, nil
	case strings.Contains(indexURL, "://"):
		return nil, models.Errorf(models.EInvalid, "unknown index backend %q", indexURL)
	}
	e, err := index.OpenEmbedded(dir, index.EmbeddedOptions{Log: env.Log})
	if err != nil {
		return nil, err
	}
	return e, nil
}
