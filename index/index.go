// Package index defines the contract between copycat and the stores of
// reference frame hashes, and provides the embedded default backend.
package index

import (
	"context"

	"github.com/copycat-video/copycat/models"
)

// Index stores the frame hashes of videos and answers Hamming-radius queries.
// Implementations are safe for concurrent use.
type Index interface {
	// Add indexes the hashes of v, replacing everything stored under v.ID.
	// Only VariantFull hashes are expected; hashes of other variants are
	// rejected. When Add returns nil the video is durable.
	Add(ctx context.Context, v models.Video, hashes []models.FrameHash) error
	// Delete removes a video and its hashes; a models.ENotFound error when
	// the id is unknown.
	Delete(ctx context.Context, id string) error
	// Video returns the metadata of one indexed video (ENotFound if absent).
	Video(ctx context.Context, id string) (models.Video, error)
	// Videos lists indexed videos ordered by id, starting after the id
	// `after` ("" for the start), at most limit of them (limit <= 0: all).
	Videos(ctx context.Context, after string, limit int) ([]models.Video, error)
	// Search returns, for each query hash, the indexed frames of the same
	// kind within Hamming distance opts.Radius (inclusive), nearest first,
	// at most opts.TopK per query hash when TopK > 0. The result has one
	// entry per query hash, in order.
	Search(ctx context.Context, queries []models.FrameHash, opts SearchOptions) ([][]models.Neighbor, error)
	// Stats reports the size of the index.
	Stats(ctx context.Context) (Stats, error)
	// Close releases resources; the index must not be used afterwards.
	Close() error
}

// SearchOptions tunes a Search.
type SearchOptions struct {
	Radius int // inclusive Hamming radius, 0..64
	TopK   int // cap per query hash; 0 means no cap
}

// Stats describes an index.
type Stats struct {
	Videos int                     `json:"videos"`
	Hashes int                     `json:"hashes"`
	ByKind map[models.HashKind]int `json:"by_kind"`
	// Bytes is the approximate memory or storage the backend uses, 0 if unknown.
	Bytes int64 `json:"bytes"`
}
