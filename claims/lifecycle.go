package claims

import (
	"slices"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// Decision is what a reviewer or claimant decides on a claim. The same
// decision means different moves in different states, as in Content ID:
// "uphold" on an open claim upholds it, on a disputed claim it rejects the
// dispute (upheld_final).
type Decision string

// Decisions.
const (
	// DecideReview: a reviewer takes an open claim (open → in_review).
	DecideReview Decision = "review"
	// DecideEscalate: flag the claim for senior review (→ in_review, escalated).
	DecideEscalate Decision = "escalate"
	// DecideUphold: open|in_review → upheld; disputed|counter_noticed →
	// upheld_final (the claimant stands by the claim / shows court action).
	DecideUphold Decision = "uphold"
	// DecideReject: open|in_review → rejected; disputed|counter_noticed →
	// reinstated (the claimant releases the claim).
	DecideReject Decision = "reject"
)

// Decisions lists every decision.
var Decisions = []Decision{DecideReview, DecideEscalate, DecideUphold, DecideReject}

// ParseDecision turns a user-supplied name into a Decision ("upheld",
// "release" and "reinstate" are accepted as synonyms).
func ParseDecision(s string) (Decision, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "review", "in_review":
		return DecideReview, nil
	case "escalate":
		return DecideEscalate, nil
	case "uphold", "upheld":
		return DecideUphold, nil
	case "reject", "rejected", "release", "reinstate":
		return DecideReject, nil
	}
	return "", models.Errorf(models.EInvalid, "unknown decision %q (want review, escalate, uphold or reject)", s)
}

// who may make a move.
type actors uint8

const (
	byReviewer actors = 1 << iota // reviewer or admin
	byClaimant                    // rights holder of the claim's org
	byUploader                    // relayed by the pipeline, a reviewer or an admin
	bySystem                      // the deadline job
)

// transition is one allowed move of the lifecycle.
type transition struct {
	from models.ClaimState
	kind models.EventKind
	to   models.ClaimState
	who  actors
	why  string // why the move exists, shown in conflict messages
}

// transitions is the whole lifecycle: any move not listed is rejected with
// models.EConflict. Deadline expiry moves are the bySystem rows.
var transitions = []transition{
	{models.StateOpen, models.EventReview, models.StateInReview, byReviewer, "a reviewer takes the claim"},
	{models.StateOpen, models.EventEscalate, models.StateInReview, byReviewer | bySystem, "escalation"},
	{models.StateInReview, models.EventEscalate, models.StateInReview, byReviewer | bySystem, "escalation"},
	{models.StateOpen, models.EventUphold, models.StateUpheld, byReviewer, "review decision"},
	{models.StateInReview, models.EventUphold, models.StateUpheld, byReviewer, "review decision"},
	{models.StateOpen, models.EventReject, models.StateRejected, byReviewer, "review decision"},
	{models.StateInReview, models.EventReject, models.StateRejected, byReviewer, "review decision"},
	{models.StateInReview, models.EventExpire, models.StateRejected, bySystem, "escalated claim not reviewed in time is released"},
	{models.StateUpheld, models.EventDispute, models.StateDisputed, byUploader, "uploader disputes"},
	{models.StateUpheld, models.EventExpire, models.StateUpheldFinal, bySystem, "dispute window passed"},
	{models.StateDisputed, models.EventUphold, models.StateUpheldFinal, byClaimant | byReviewer, "dispute rejected"},
	{models.StateDisputed, models.EventReject, models.StateReinstated, byClaimant | byReviewer, "claim released after dispute"},
	{models.StateDisputed, models.EventExpire, models.StateReinstated, bySystem, "claimant did not respond to the dispute"},
	{models.StateUpheldFinal, models.EventCounterNotice, models.StateCounterNoticed, byUploader, "uploader sends a counter-notice"},
	{models.StateCounterNoticed, models.EventUphold, models.StateUpheldFinal, byClaimant | byReviewer, "claimant shows court action"},
	{models.StateCounterNoticed, models.EventReject, models.StateReinstated, byClaimant | byReviewer, "claimant withdraws"},
	{models.StateCounterNoticed, models.EventExpire, models.StateReinstated, bySystem, "no court action before the counter-notice deadline"},
}

// findTransition returns the move of kind from state, or an EConflict error
// naming what is allowed from there.
func findTransition(from models.ClaimState, kind models.EventKind) (transition, error) {
	var allowed []string
	for _, t := range transitions {
		if t.from != from {
			continue
		}
		if t.kind == kind {
			return t, nil
		}
		if t.who != bySystem && !slices.Contains(allowed, string(t.kind)) {
			allowed = append(allowed, string(t.kind))
		}
	}
	if len(allowed) == 0 {
		return transition{}, models.Errorf(models.EConflict, "cannot %s a claim that is %s: no further moves are allowed", kind, from)
	}
	return transition{}, models.Errorf(models.EConflict, "cannot %s a claim that is %s (allowed: %s)", kind, from, strings.Join(allowed, ", "))
}

// decisionKind maps a Decision to the event kind it causes.
func decisionKind(d Decision) models.EventKind {
	switch d {
	case DecideReview:
		return models.EventReview
	case DecideEscalate:
		return models.EventEscalate
	case DecideUphold:
		return models.EventUphold
	case DecideReject:
		return models.EventReject
	}
	return ""
}
