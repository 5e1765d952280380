package pipeline

import (
	"context"
	"fmt"
	"sort"

	"github.com/copycat-video/copycat/matcher"
	"github.com/copycat-video/copycat/models"
)

// ComplaintVerifier checks a rights holder's original against an accused
// upload by fingerprint matching; it implements claims.Verifier, so that a
// complaint is verified the same way uploads are checked.
type ComplaintVerifier struct {
	c *Checker
}

// NewComplaintVerifier returns a verifier using c's index, matcher and
// policy. The accused upload must have been recorded (checked through the
// upload service), which keeps the path of its video.
func NewComplaintVerifier(c *Checker) *ComplaintVerifier { return &ComplaintVerifier{c: c} }

// Verify returns the match between the original and the upload when it
// clears the decision policy's thresholds (publication order is the
// reviewer's call, not the verifier's), nil when it does not, and an
// ENotFound error when the upload or the reference is unknown.
func (v *ComplaintVerifier) Verify(ctx context.Context, original models.ComplaintOriginal, uploadID string) (*models.Match, error) {
	up, err := v.c.idx.Video(ctx, uploadID)
	if models.ErrorCode(err) == models.ENotFound || (err == nil && (up.Platform != models.PlatformSelf || up.Path == "")) {
		return nil, models.Errorf(models.ENotFound, "upload %q was not checked here, so its video is not available", uploadID)
	}
	if err != nil {
		return nil, err
	}
	fp, err := v.c.FingerprintQuery(ctx, up.Path)
	if err != nil {
		return nil, fmt.Errorf("verify against upload %s: %w", uploadID, err)
	}
	var matches []models.Match
	switch {
	case original.ReferenceID != "":
		if _, err := v.c.idx.Video(ctx, original.ReferenceID); err != nil {
			return nil, err
		}
		verdict, err := v.c.CheckFingerprint(ctx, fp, CheckMeta{UploadID: uploadID, AllMatches: true})
		if err != nil {
			return nil, err
		}
		for _, m := range verdict.Matches {
			if m.Reference.ID == original.ReferenceID {
				matches = append(matches, m)
			}
		}
	case original.Fingerprint != nil:
		matches = v.matchFingerprint(fp, *original.Fingerprint)
	default:
		return nil, models.Errorf(models.EInvalid, "complaint original has neither a reference id nor a fingerprint")
	}
	for i := range matches {
		if v.c.policy.Significant(matches[i]) {
			return &matches[i], nil
		}
	}
	return nil, nil
}

// originalID names a submitted original the way claims does.
const originalID = "original"

// matchFingerprint aligns the upload's fingerprint with a submitted
// original's by brute force: the original is not in the index, and one
// video's frames (at most claims.MaxFingerprintFrames) are few enough to
// scan.
func (v *ComplaintVerifier) matchFingerprint(query, orig models.Fingerprint) []models.Match {
	byKind := map[models.HashKind][]models.FrameHash{}
	for _, h := range orig.Frames {
		if h.Variant == models.VariantFull {
			byKind[h.Kind] = append(byKind[h.Kind], h)
		}
	}
	radius, topK := v.c.search.Radius, v.c.search.TopK
	neighbors := make([][]models.Neighbor, len(query.Frames))
	for i, q := range query.Frames {
		var ns []models.Neighbor
		for _, r := range byKind[q.Kind] {
			if d := q.Bits.Distance(r.Bits); d <= radius {
				ns = append(ns, models.Neighbor{VideoID: originalID, T: r.T, Distance: d})
			}
		}
		sort.Slice(ns, func(a, b int) bool { return ns[a].Distance < ns[b].Distance })
		if topK > 0 && len(ns) > topK {
			ns = ns[:topK]
		}
		neighbors[i] = ns
	}
	dur := orig.Source.Duration
	if dur <= 0 && len(orig.Frames) > 0 {
		dur = orig.Frames[len(orig.Frames)-1].T
	}
	videos := map[string]models.Video{originalID: {ID: originalID, Platform: "complaint", Duration: dur}}
	return v.c.m.Match(matcher.Query{Duration: query.Source.Duration, Rate: query.Rate, Frames: query.Frames, Neighbors: neighbors}, videos)
}
