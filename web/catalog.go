package web

import (
	"context"

	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
)

// Catalog is the reference catalogue of a pipeline.Checker: adds go through
// its reference fingerprinting, reads and deletes straight to its index.
type Catalog struct {
	Checker *pipeline.Checker
}

var _ References = Catalog{}

// Add implements References.
func (c Catalog) Add(ctx context.Context, v models.Video, path string) (models.Video, error) {
	return c.Checker.AddReference(ctx, path, v)
}

// Video implements References.
func (c Catalog) Video(ctx context.Context, id string) (models.Video, error) {
	return c.Checker.Index().Video(ctx, id)
}

// Videos implements References.
func (c Catalog) Videos(ctx context.Context, after string, limit int) ([]models.Video, error) {
	return c.Checker.Index().Videos(ctx, after, limit)
}

// Delete implements References.
func (c Catalog) Delete(ctx context.Context, id string) error {
	return c.Checker.Index().Delete(ctx, id)
}
