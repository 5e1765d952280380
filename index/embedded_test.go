package index_test

import (
	"testing"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/index/indextest"
)

func TestEmbeddedConformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) (index.Index, func(t *testing.T) index.Index) {
		dir := t.TempDir()
		open := func(t *testing.T) index.Index {
			t.Helper()
			e, err := index.OpenEmbedded(dir, index.EmbeddedOptions{})
			if err != nil {
				t.Fatalf("open embedded index: %v", err)
			}
			return e
		}
		return open(t), open
	})
}
