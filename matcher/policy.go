package matcher

import (
	"time"

	"github.com/copycat-video/copycat/models"
)

// Policy turns matches into a decision. A match is significant when it
// clears all three thresholds; the best significant match decides.
type Policy struct {
	// MinScore is the operating threshold on Match.Score.
	MinScore float64
	// MinDuration is the least query time, in seconds, the segments must
	// cover: a second or two of stock footage is not a copy.
	MinDuration float64
	// MinCoverage is the least share of either video (the larger of query
	// and reference coverage) the segments must cover. It is small because
	// a short excerpt of a long reference, spliced into other footage, is
	// still a copy; it only guards against a long video sharing a moment.
	MinCoverage float64
}

// DefaultPolicy is the operating point measured on the labelled corpus
// (see README: accuracy).
func DefaultPolicy() Policy {
	return Policy{MinScore: 0.5, MinDuration: 2.5, MinCoverage: 0.1}
}

// Significant reports whether mt clears the policy's thresholds.
func (p Policy) Significant(mt models.Match) bool {
	if mt.Score < p.MinScore {
		return false
	}
	if MatchedDuration(mt) < p.MinDuration {
		return false
	}
	cov := mt.QueryCoverage
	if mt.ReferenceCoverage > cov {
		cov = mt.ReferenceCoverage
	}
	return cov >= p.MinCoverage
}

// Decide returns the decision for an upload published at `published` (zero:
// unknown, treated as now) given its matches sorted best first, and the
// match that decided it (nil for clean).
//
// Significant matches are considered best score first:
//   - a reference of our own platform (models.PlatformSelf) makes the
//     upload a duplicate;
//   - a reference of another platform published before the upload makes it
//     lifted. A reference with an unknown publish time is treated as earlier:
//     catalogues are imported from rival platforms where the videos are
//     already public, and an unknown date must not hide a lift (reviewers
//     see the missing date in the claim);
//   - a reference published after the upload cannot be its source (if
//     anything it copied us) and is passed over.
func (p Policy) Decide(matches []models.Match, published time.Time) (models.Decision, *models.Match) {
	for i := range matches {
		mt := &matches[i]
		if !p.Significant(*mt) {
			continue
		}
		if mt.Reference.Platform == models.PlatformSelf {
			if !published.IsZero() && !mt.Reference.Published.IsZero() && mt.Reference.Published.After(published) {
				continue
			}
			return models.Duplicate, mt
		}
		if !published.IsZero() && !mt.Reference.Published.IsZero() && mt.Reference.Published.After(published) {
			continue
		}
		return models.Lifted, mt
	}
	return models.Clean, nil
}

// MatchedDuration is the query time covered by the match's segments,
// counting overlaps once.
func MatchedDuration(mt models.Match) float64 {
	iv := make([][2]float64, len(mt.Segments))
	for i, s := range mt.Segments {
		iv[i] = [2]float64{s.QueryStart, s.QueryEnd}
	}
	return unionLength(iv)
}
