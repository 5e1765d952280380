package cli

import (
	"context"
	"flag"
	"path/filepath"
	"strings"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/models"
)

// indexFlag registers --index with its COPYCAT_INDEX fallback. Empty means
// the embedded index under <data>/index.
func (env *Env) indexFlag(fs *flag.FlagSet) *string {
	return fs.String("index", env.envOr("COPYCAT_INDEX", ""),
		"index backend: empty for the embedded index under <data>/index, or a directory path (env COPYCAT_INDEX)")
}

// openIndex opens the index named by indexURL: "" (the embedded index in
// dataDir/index), "embedded:DIR" or a plain directory path for an embedded
// index elsewhere.
func openIndex(ctx context.Context, env *Env, dataDir, indexURL string) (index.Index, error) {
	_ = ctx
	switch {
	case indexURL == "":
		return index.OpenEmbedded(filepath.Join(dataDir, "index"), index.EmbeddedOptions{Log: env.Log})
	case strings.HasPrefix(indexURL, "embedded:"):
		return index.OpenEmbedded(strings.TrimPrefix(indexURL, "embedded:"), index.EmbeddedOptions{Log: env.Log})
	case strings.Contains(indexURL, "://"):
		return nil, models.Errorf(models.EInvalid, "unknown index backend %q", indexURL)
	default:
		return index.OpenEmbedded(indexURL, index.EmbeddedOptions{Log: env.Log})
	}
}
