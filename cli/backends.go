package cli

import (
	"context"
	"flag"
	"path/filepath"
	"strings"

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
// index creates its directory).
func openIndex(ctx context.Context, env *Env, dataDir, indexURL string) (index.Index, error) {
	_ = ctx
	switch {
	case indexURL == "":
		return index.OpenEmbedded(filepath.Join(dataDir, "index"), index.EmbeddedOptions{Log: env.Log})
	case strings.HasPrefix(indexURL, "embedded:"):
		return index.OpenEmbedded(strings.TrimPrefix(indexURL, "embedded:"), index.EmbeddedOptions{Log: env.Log})
	case strings.HasPrefix(indexURL, "milvus://"):
		return milvus.Open(ctx, indexURL, milvus.Options{Logger: env.Log, Create: true})
	case strings.Contains(indexURL, "://"):
		return nil, models.Errorf(models.EInvalid, "unknown index backend %q", indexURL)
	default:
		return index.OpenEmbedded(indexURL, index.EmbeddedOptions{Log: env.Log})
	}
}
