// Package pipeline wires the stages of a check together: fingerprint the
// video, search the index for each frame hash, align the neighbours with the
// matcher and decide with the policy. It is shared by the CLI, the HTTP API
// and the Kafka consumer, so it holds no request state and is safe for
// concurrent use.
package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/copycat-video/copycat/fingerprint"
	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/matcher"
	"github.com/copycat-video/copycat/models"
)

// FingerprintFunc computes the fingerprint of a file. fingerprint.File is the
// default; eval passes a caching wrapper so that re-runs skip decoding.
type FingerprintFunc func(ctx context.Context, path string, opts fingerprint.Options) (models.Fingerprint, error)

// Config configures a Checker. Only Index is required.
type Config struct {
	Index index.Index
	// Params tune the matcher (zero fields: matcher defaults).
	Params matcher.Params
	// Policy is the decision policy; the zero value means
	// matcher.DefaultPolicy().
	Policy *matcher.Policy
	// Radius and TopK bound the index search per query hash (defaults
	// DefaultRadius and DefaultTopK). CropRadius is the radius of the
	// query's crop windows (default DefaultCropRadius, at most Radius).
	Radius     int
	CropRadius int
	TopK       int
	// Rate is the sampling rate of queries and ReferenceRate that of
	// references, in frames per second (defaults DefaultRate and
	// DefaultReferenceRate); Kind is the hash kind of both (default pHash).
	Rate          float64
	ReferenceRate float64
	Kind          models.HashKind
	// QuerySamples raises the query rate of short videos so that about
	// this many frames are sampled, up to ReferenceRate (default
	// DefaultQuerySamples; negative: never raised).
	QuerySamples int
	// ReferenceDense is how many times faster than ReferenceRate
	// references are sampled where the picture moves
	// (fingerprint.Options.Dense; default DefaultReferenceDense; 1: never).
	ReferenceDense int
	// Fingerprint replaces fingerprint.File (tests, caches).
	Fingerprint FingerprintFunc
	// Log receives one line per check; nil discards.
	Log *slog.Logger
}

// Search defaults. A 64-bit pHash of the same frame after re-encoding,
// scaling, colour changes and overlays stays within about 10 bits; unrelated
// frames sit near 32. Radius 12 keeps the edited copies and the top 40
// neighbours keep generic frames (that hit hundreds of videos) from flooding
// the matcher.
const (
	DefaultRadius = 12
	DefaultTopK   = 40
)

// DefaultCropRadius is the search radius of the query's crop windows
// (fingerprint.IsCrop). A query frame carries 16 of them next to its 4 other
// hashes, and each hash searched is one more chance for an unrelated frame to
// come within the radius. Of random 64-bit hashes about 20 times fewer lie
// within 10 bits than within 12, so the 16 windows at radius 10 add fewer
// chance matches than one hash at 12 (and cost about 40% of one search
// each), while a window that frames the original's centre well meets it at
// 10 bits or less on most frames.
const DefaultCropRadius = 10

// Sampling defaults. References are sampled twice as densely as queries:
// a query frame then lies at most a quarter of a query period from a
// reference frame, whatever the offset or speed change of the copy, so fast
// motion between samples costs fewer matches; the index grows, the query
// (the latency-critical side) does not.
//
// A short query gets fewer chances to meet its original's frames: a 5 s
// copy sampled at 2/s has ten frames, and a few edited frames decide
// whether it clears the score threshold. Queries are therefore sampled so
// that they have about DefaultQuerySamples frames, at the reference rate at
// most (30 s and shorter at 4/s, 60 s at 2/s): the search cost per check
// stays that of a 60 s video, and the evidence of short copies doubles. On
// both corpus seeds this raised µAP and recall and lowered the best score of
// a wrong pair (README, Accuracy).
//
// References are also sampled up to DefaultReferenceDense times as fast
// where the picture moves (fingerprint.Options.Dense): in fast footage two
// frames a quarter second apart can differ by more than the search radius,
// and a query frame sampled between them then meets neither. The extra
// frames are kept only where the picture moved that much, so the index
// grows with fast footage only (by 60-64 % on the corpus, whose clips move
// a lot), and the query side, and with it the check's cost, is unchanged.
// Sampling the queries densely too found the same copies at 27-50 % more
// check CPU.
const (
	DefaultRate           = 2.0
	DefaultReferenceRate  = 4.0
	DefaultQuerySamples   = 120
	DefaultReferenceDense = 4
)

// Checker runs checks and adds videos to the index.
type Checker struct {
	idx    index.Index
	m      *matcher.Matcher
	policy matcher.Policy
	search index.SearchOptions
	crop   index.SearchOptions // for the crop windows
	query  fingerprint.Options
	ref    fingerprint.Options
	fp     FingerprintFunc
	log    *slog.Logger
}

// New returns a Checker for cfg.
func New(cfg Config) (*Checker, error) {
	if cfg.Index == nil {
		return nil, models.Errorf(models.EInvalid, "pipeline: no index")
	}
	c := &Checker{
		idx:    cfg.Index,
		policy: matcher.DefaultPolicy(),
		search: index.SearchOptions{Radius: cfg.Radius, TopK: cfg.TopK},
		fp:     cfg.Fingerprint,
		log:    cfg.Log,
	}
	if cfg.Policy != nil {
		c.policy = *cfg.Policy
	}
	if c.search.Radius <= 0 {
		c.search.Radius = DefaultRadius
	}
	if c.search.Radius > 64 {
		return nil, models.Errorf(models.EInvalid, "pipeline: radius %d is more than 64 bits", c.search.Radius)
	}
	if c.search.TopK <= 0 {
		c.search.TopK = DefaultTopK
	}
	c.crop = index.SearchOptions{Radius: cfg.CropRadius, TopK: c.search.TopK}
	if c.crop.Radius <= 0 {
		c.crop.Radius = DefaultCropRadius
	}
	c.crop.Radius = min(c.crop.Radius, c.search.Radius)
	p := cfg.Params
	p.Radius = c.search.Radius
	c.m = matcher.New(p)
	if c.fp == nil {
		c.fp = fingerprint.File
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// References are indexed as they are; queries also carry the mirrored
	// frames, which the index matches against the full-frame references.
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.ReferenceRate <= 0 {
		cfg.ReferenceRate = DefaultReferenceRate
	}
	if cfg.QuerySamples == 0 {
		cfg.QuerySamples = DefaultQuerySamples
	}
	if cfg.ReferenceDense == 0 {
		cfg.ReferenceDense = DefaultReferenceDense
	}
	if err := fingerprint.CheckDense(cfg.ReferenceDense); err != nil {
		return nil, fmt.Errorf("pipeline: reference %w", err)
	}
	c.ref = fingerprint.Options{Rate: cfg.ReferenceRate, Kind: cfg.Kind, Dense: cfg.ReferenceDense}
	c.query = fingerprint.Options{Rate: cfg.Rate, Kind: cfg.Kind, Mirror: true,
		MinSamples: max(0, cfg.QuerySamples), ShortRate: max(cfg.Rate, cfg.ReferenceRate)}
	return c, nil
}

// Policy returns the decision policy in use.
func (c *Checker) Policy() matcher.Policy { return c.policy }

// Index returns the index the checker searches.
func (c *Checker) Index() index.Index { return c.idx }

// CheckMeta is what the caller knows about the checked video.
type CheckMeta struct {
	// UploadID, when set, is the video's own id: a match against it (the
	// upload recorded earlier) is not a duplicate of itself.
	UploadID string
	// Published is when the upload was published (zero: now).
	Published time.Time
	// MinScore leaves matches scoring below it out of the verdict; 0 lists
	// the matches the policy finds significant (score, duration and
	// coverage). The decision always considers every match.
	MinScore float64
	// AllMatches lists every candidate whatever its score (for ranking).
	AllMatches bool
	// Record also indexes the checked video as an upload of our own
	// platform (id UploadID, or FileID of the file when empty), so that
	// later re-uploads of it are duplicates. Video supplies the rest of its
	// metadata (author, URL); Platform is forced to models.PlatformSelf.
	Record bool
	Video  models.Video
}

// Check fingerprints the file at path and returns its verdict; with
// meta.Record it then records the video (see CheckMeta.Record).
func (c *Checker) Check(ctx context.Context, path string, meta CheckMeta) (models.Verdict, error) {
	fp, err := c.FingerprintQuery(ctx, path)
	if err != nil {
		return models.Verdict{Video: path}, err
	}
	v, err := c.CheckFingerprint(ctx, fp, meta)
	v.Video = path
	if err != nil || !meta.Record {
		return v, err
	}
	rec := meta.Video
	rec.ID = meta.UploadID
	if rec.ID == "" {
		if rec.ID, err = FileID(path); err != nil {
			return v, err
		}
	}
	if rec.Published.IsZero() {
		rec.Published = meta.Published
	}
	if rec.Published.IsZero() {
		// The upload is being published now; a later copy of it must find
		// it earlier than itself.
		rec.Published = time.Now().UTC()
	}
	if rec.Path == "" {
		rec.Path = path
	}
	if err := c.Record(ctx, rec, fp); err != nil {
		return v, err
	}
	return v, nil
}

// FingerprintQuery fingerprints a video to be checked (with mirrored frames).
func (c *Checker) FingerprintQuery(ctx context.Context, path string) (models.Fingerprint, error) {
	fp, err := c.fp(ctx, path, c.query)
	if err != nil {
		return fp, fmt.Errorf("fingerprint %s: %w", path, err)
	}
	return fp, nil
}

// FingerprintReference fingerprints a video to be indexed.
func (c *Checker) FingerprintReference(ctx context.Context, path string) (models.Fingerprint, error) {
	fp, err := c.fp(ctx, path, c.ref)
	if err != nil {
		return fp, fmt.Errorf("fingerprint %s: %w", path, err)
	}
	return fp, nil
}

// CheckFingerprint searches, aligns and decides for an already computed
// query fingerprint.
func (c *Checker) CheckFingerprint(ctx context.Context, fp models.Fingerprint, meta CheckMeta) (models.Verdict, error) {
	start := time.Now()
	verdict := models.Verdict{Video: fp.Source.Path, Verdict: models.Clean, Matches: []models.Match{}}
	if len(fp.Frames) == 0 {
		return verdict, nil
	}
	neighbors, err := c.searchAll(ctx, fp.Frames)
	if err != nil {
		return verdict, err
	}
	videos, err := c.candidates(ctx, neighbors, meta.UploadID)
	if err != nil {
		return verdict, err
	}
	// Neighbours of videos that vanished since the search (deleted) or of
	// the upload itself are dropped before alignment.
	for i, ns := range neighbors {
		kept := ns[:0:0]
		for _, n := range ns {
			if _, ok := videos[n.VideoID]; ok {
				kept = append(kept, n)
			}
		}
		neighbors[i] = kept
	}
	matches := c.m.Match(matcher.Query{
		Duration: fp.Source.Duration, Rate: fp.Rate, Frames: fp.Frames, Neighbors: neighbors,
	}, videos)
	decision, _ := c.policy.Decide(matches, meta.Published)
	verdict.Verdict = decision
	for _, mt := range matches {
		switch {
		case meta.AllMatches,
			meta.MinScore > 0 && mt.Score >= meta.MinScore,
			meta.MinScore <= 0 && c.policy.Significant(mt):
			verdict.Matches = append(verdict.Matches, mt)
		}
	}
	c.log.Debug("checked", "video", fp.Source.Path, "verdict", decision, "candidates", len(matches),
		"frames", len(fp.Frames), "took", time.Since(start))
	return verdict, nil
}

// searchAll searches the index for every hash of a query, the crop windows
// at their own radius, and returns the neighbours in the order of frames.
func (c *Checker) searchAll(ctx context.Context, frames []models.FrameHash) ([][]models.Neighbor, error) {
	var base, crop []int
	for i, f := range frames {
		if fingerprint.IsCrop(f.Variant) {
			crop = append(crop, i)
		} else {
			base = append(base, i)
		}
	}
	out := make([][]models.Neighbor, len(frames))
	for _, part := range []struct {
		at   []int
		opts index.SearchOptions
	}{{base, c.search}, {crop, c.crop}} {
		if len(part.at) == 0 {
			continue
		}
		hs := make([]models.FrameHash, len(part.at))
		for j, i := range part.at {
			hs[j] = frames[i]
		}
		ns, err := c.idx.Search(ctx, hs, part.opts)
		if err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
		if len(ns) != len(hs) {
			return nil, models.Errorf(models.EInternal, "index returned %d neighbour lists for %d hashes", len(ns), len(hs))
		}
		for j, i := range part.at {
			out[i] = ns[j]
		}
	}
	return out, nil
}

// candidates loads the metadata of every video the neighbours hit, except
// skip.
func (c *Checker) candidates(ctx context.Context, neighbors [][]models.Neighbor, skip string) (map[string]models.Video, error) {
	ids := map[string]bool{}
	for _, ns := range neighbors {
		for _, n := range ns {
			if n.VideoID != skip {
				ids[n.VideoID] = true
			}
		}
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	videos := make(map[string]models.Video, len(sorted))
	for _, id := range sorted {
		v, err := c.idx.Video(ctx, id)
		if models.ErrorCode(err) == models.ENotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load candidate %s: %w", id, err)
		}
		videos[id] = v
	}
	return videos, nil
}

// AddReference fingerprints the file at path and indexes it as v (v.ID and
// v.Platform are required; Duration and Path are filled in from the file).
// Nothing is written unless the whole file fingerprints cleanly.
func (c *Checker) AddReference(ctx context.Context, path string, v models.Video) (models.Video, error) {
	if err := v.Validate(); err != nil {
		return v, err
	}
	fp, err := c.FingerprintReference(ctx, path)
	if err != nil {
		return v, err
	}
	if len(fp.Frames) == 0 {
		return v, models.Errorf(models.EInvalid, "%s: no frame with picture to index (black, flat or empty video)", path)
	}
	v.Duration = fp.Source.Duration
	if v.Path == "" {
		v.Path = path
	}
	if err := c.idx.Add(ctx, v, fp.Hashes(models.VariantFull)); err != nil {
		return v, fmt.Errorf("index %s: %w", v.ID, err)
	}
	return v, nil
}

// Record indexes a checked upload as a video of our own platform, so that
// later re-uploads of it come back as duplicates. Only the full-frame hashes
// of fp are stored.
func (c *Checker) Record(ctx context.Context, v models.Video, fp models.Fingerprint) error {
	v.Platform = models.PlatformSelf
	if v.Duration == 0 {
		v.Duration = fp.Source.Duration
	}
	if err := v.Validate(); err != nil {
		return err
	}
	hashes := fp.Hashes(models.VariantFull)
	if len(hashes) == 0 {
		return models.Errorf(models.EInvalid, "video %q has no frame with picture to record", v.ID)
	}
	if err := c.idx.Add(ctx, v, hashes); err != nil {
		return fmt.Errorf("record %s: %w", v.ID, err)
	}
	return nil
}

// FileID returns a stable id for a file's content ("sha256:" and the first
// 16 hex digits of its SHA-256), used for uploads recorded without an id of
// their own.
func FileID(path string) (string, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return "", err
	}
	return "sha256:" + sum[:16], nil
}
