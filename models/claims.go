package models

import (
	"strings"
	"time"
)

// ClaimState is where a claim is in its lifecycle. The allowed moves between
// states are a table in package claims; everything else is rejected.
type ClaimState string

// Claim states.
//
//	open ──► in_review ──► upheld ──► disputed ──► reinstated
//	  │          │            │           └──────► upheld_final ──► counter_noticed ──► reinstated
//	  └──────────┴─► rejected └──(dispute window passes)──► upheld_final      └──► upheld_final
const (
	// StateOpen: the claim waits for a reviewer (review deadline running).
	StateOpen ClaimState = "open"
	// StateInReview: a reviewer took it, it was escalated, or it came from an
	// unverified complaint; still waiting for a decision.
	StateInReview ClaimState = "in_review"
	// StateUpheld: the claim stands; the uploader may dispute it until the
	// dispute deadline.
	StateUpheld ClaimState = "upheld"
	// StateRejected: the claim was rejected or released (terminal).
	StateRejected ClaimState = "rejected"
	// StateDisputed: the uploader disputed; the claimant must respond by the
	// response deadline.
	StateDisputed ClaimState = "disputed"
	// StateReinstated: the dispute or counter-notice succeeded; the upload is
	// back (terminal).
	StateReinstated ClaimState = "reinstated"
	// StateUpheldFinal: the claim stands for good, unless the uploader sends a
	// counter-notice.
	StateUpheldFinal ClaimState = "upheld_final"
	// StateCounterNoticed: the uploader sent a legal counter-notice; the
	// claimant must show court action by the deadline or the upload returns.
	StateCounterNoticed ClaimState = "counter_noticed"
)

// ClaimStates lists every state in lifecycle order.
var ClaimStates = []ClaimState{StateOpen, StateInReview, StateUpheld, StateRejected,
	StateDisputed, StateReinstated, StateUpheldFinal, StateCounterNoticed}

// ParseClaimState turns a user-supplied name into a ClaimState.
func ParseClaimState(s string) (ClaimState, error) {
	for _, st := range ClaimStates {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Errorf(EInvalid, "unknown claim state %q (want one of %s)", s, joinStrings(ClaimStates))
}

// Terminal reports whether no further transition can leave the state
// (upheld_final is not terminal: a counter-notice can still reopen it).
func (s ClaimState) Terminal() bool { return s == StateRejected || s == StateReinstated }

// Origin says how a claim came about.
type Origin string

// Claim origins.
const (
	// OriginAuto: the matcher flagged an upload as lifted or duplicate.
	OriginAuto Origin = "auto"
	// OriginComplaint: a rights holder filed a complaint.
	OriginComplaint Origin = "complaint"
)

// ParseOrigin turns a user-supplied name into an Origin.
func ParseOrigin(s string) (Origin, error) {
	switch Origin(s) {
	case OriginAuto, OriginComplaint:
		return Origin(s), nil
	}
	return "", Errorf(EInvalid, "unknown claim origin %q (want auto or complaint)", s)
}

// ParseAction turns a user-supplied name into an Action.
func ParseAction(s string) (Action, error) {
	a := Action(s)
	if a == ActionAllow || a.Rank() > 0 {
		return a, nil
	}
	return "", Errorf(EInvalid, "unknown action %q (want allow, track, attribute, review, takedown or block)", s)
}

// DisputeReason is the uploader's ground for disputing a claim, as offered by
// YouTube Content ID and Meta Rights Manager.
type DisputeReason string

// Dispute reasons.
const (
	ReasonMisidentified DisputeReason = "misidentified" // the match is wrong
	ReasonLicensed      DisputeReason = "licensed"      // the uploader holds a licence
	ReasonOriginal      DisputeReason = "original"      // the uploader made it
	ReasonFairUse       DisputeReason = "fair_use"      // fair use / fair dealing
	ReasonPublicDomain  DisputeReason = "public_domain" // no copyright applies
)

// DisputeReasons lists every dispute reason.
var DisputeReasons = []DisputeReason{ReasonMisidentified, ReasonLicensed, ReasonOriginal, ReasonFairUse, ReasonPublicDomain}

// ParseDisputeReason turns a user-supplied name into a DisputeReason; "fair
// use" and "public-domain" spellings are accepted.
func ParseDisputeReason(s string) (DisputeReason, error) {
	n := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
	for _, r := range DisputeReasons {
		if string(r) == n {
			return r, nil
		}
	}
	return "", Errorf(EInvalid, "unknown dispute reason %q (want one of %s)", s, joinStrings(DisputeReasons))
}

// Verification says whether a complaint's original was found in the accused
// upload by fingerprint matching.
type Verification string

// Verification outcomes. Auto claims carry VerificationNone: the matcher's
// evidence is the verification.
const (
	VerificationNone       Verification = ""
	VerificationVerified   Verification = "verified"
	VerificationUnverified Verification = "unverified"
)

// Dispute is the uploader's dispute of an upheld claim.
type Dispute struct {
	Reason    DisputeReason `json:"reason"`
	Statement string        `json:"statement,omitempty"`
	By        string        `json:"by"`
	At        time.Time     `json:"at"`
}

// CounterNotice is the uploader's legal counter-notification (DMCA §512(g)
// style) against a final claim.
type CounterNotice struct {
	Statement string    `json:"statement"`
	Contact   string    `json:"contact"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// Claim links one upload to one reference (an indexed video or a rights
// holder's submitted original) with the evidence, the claimant and the
// requested action.
type Claim struct {
	ID string `json:"id"`
	// Upload is the accused upload as the pipeline announced it (empty but
	// for ID when a complaint names an upload copycat has not checked).
	Upload Upload `json:"upload"`
	// Reference is what the upload is said to copy. For a complaint with a
	// file original, its ID is "original:" plus the file's SHA-256 and
	// Platform/URL/Published say where the rights holder first published it.
	Reference Video `json:"reference"`
	// Match is the evidence: segments, coverages, score, frame pairs. Empty
	// for an unverified complaint.
	Match Match `json:"match"`
	// Org is the claimant: the reference owner or the complaining rights holder.
	Org    string     `json:"org"`
	Action Action     `json:"action"`
	Origin Origin     `json:"origin"`
	State  ClaimState `json:"state"`
	// Verification is set for complaint claims.
	Verification Verification `json:"verification,omitempty"`
	// Escalated marks a claim whose review deadline passed once; it sorts
	// first in the reviewer queue.
	Escalated bool `json:"escalated,omitempty"`
	// Deadline is when the current waiting state expires; zero for states
	// that wait for nothing.
	Deadline      time.Time      `json:"deadline,omitzero"`
	Dispute       *Dispute       `json:"dispute,omitempty"`
	CounterNotice *CounterNotice `json:"counter_notice,omitempty"`
	// ComplaintIDs lists the complaints merged into this claim.
	ComplaintIDs []string `json:"complaint_ids,omitempty"`
	// Note explains how the claim came about (policy rule, block list hit,
	// verification failure).
	Note    string    `json:"note,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Version increases with every change; decisions name the version they
	// were made on so that concurrent decisions cannot both win.
	Version int64 `json:"version"`
}

// Publication says where and when a video was first published.
type Publication struct {
	Platform string    `json:"platform,omitempty"`
	URL      string    `json:"url,omitempty"`
	At       time.Time `json:"at,omitzero"`
}

// ComplaintOriginal is the rights holder's original: either an indexed
// reference id or the fingerprint of a file they uploaded (exactly one), plus
// where and when they first published it.
type ComplaintOriginal struct {
	ReferenceID string       `json:"reference_id,omitempty"`
	Fingerprint *Fingerprint `json:"fingerprint,omitempty"`
	Title       string       `json:"title,omitempty"`
	Published   Publication  `json:"first_published"`
}

// Complaint is a rights holder's report that uploads copy their original.
// Each accused upload becomes (or merges into) one claim.
type Complaint struct {
	ID       string            `json:"id"`
	Org      string            `json:"org"`
	FiledBy  string            `json:"filed_by"`
	Original ComplaintOriginal `json:"original"`
	// UploadIDs are the accused uploads, ClaimIDs the claims they became,
	// in the same order.
	UploadIDs []string  `json:"upload_ids"`
	ClaimIDs  []string  `json:"claim_ids"`
	Action    Action    `json:"action"`
	Statement string    `json:"statement,omitempty"`
	Created   time.Time `json:"created"`
}

// EventKind names what happened in an audit event.
type EventKind string

// Audit event kinds.
const (
	EventOpen          EventKind = "open"           // auto claim opened
	EventFile          EventKind = "file"           // complaint filed / complaint claim opened
	EventMerge         EventKind = "merge"          // duplicate complaint merged into a claim
	EventReview        EventKind = "review"         // reviewer took the claim
	EventEscalate      EventKind = "escalate"       // escalated by a reviewer or a passed deadline
	EventUphold        EventKind = "uphold"         // upheld (or upheld_final)
	EventReject        EventKind = "reject"         // rejected / released
	EventDispute       EventKind = "dispute"        // uploader disputed
	EventCounterNotice EventKind = "counter_notice" // uploader sent a counter-notice
	EventExpire        EventKind = "expire"         // a deadline passed
	EventStrike        EventKind = "strike"         // repeat-infringer strike recorded
	EventBlock         EventKind = "block"          // content added to / removed from the block list
	EventCheck         EventKind = "check"          // an upload was checked
	EventTokenCreate   EventKind = "token_create"
	EventTokenRevoke   EventKind = "token_revoke"
	EventPolicySet     EventKind = "policy_set"
	EventPolicyDelete  EventKind = "policy_delete"
)

// Audit subjects.
const (
	SubjectClaim     = "claim"
	SubjectComplaint = "complaint"
	SubjectToken     = "token"
	SubjectPolicy    = "policy"
	SubjectUpload    = "upload"
)

// AuditEvent is one entry of the append-only audit trail: who did what to
// which subject, when and why.
type AuditEvent struct {
	// Seq is assigned by the store, increasing in commit order.
	Seq       int64      `json:"seq"`
	At        time.Time  `json:"at"`
	Actor     string     `json:"actor"`
	ActorRole Role       `json:"actor_role"`
	Subject   string     `json:"subject"`
	SubjectID string     `json:"subject_id"`
	Kind      EventKind  `json:"kind"`
	From      ClaimState `json:"from,omitempty"`
	To        ClaimState `json:"to,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	// Detail is free-form context (ids, rule, counts) for humans.
	Detail string `json:"detail,omitempty"`
}

// Strike is a repeat-infringer strike against an uploader, recorded when a
// claim against one of their uploads is upheld.
type Strike struct {
	ID       int64     `json:"id"`
	Uploader string    `json:"uploader"`
	ClaimID  string    `json:"claim_id"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	// Voided is set when the claim was later reinstated.
	Voided time.Time `json:"voided,omitzero"`
}

// Active reports whether the strike counts at time now.
func (s Strike) Active(now time.Time) bool { return s.Voided.IsZero() && now.Before(s.Expires) }

// BlockEntry puts a video (a reference or an upload) on the block list
// because of an upheld claim: later uploads matching it are blocked.
type BlockEntry struct {
	VideoID string    `json:"video_id"`
	ClaimID string    `json:"claim_id"`
	Created time.Time `json:"created"`
}

// PolicyRule applies Action when a match reaches all of the minimums.
type PolicyRule struct {
	// MinDuration is the matched duration of the upload, in seconds.
	MinDuration          float64 `json:"min_duration,omitempty"`
	MinQueryCoverage     float64 `json:"min_query_coverage,omitempty"`
	MinReferenceCoverage float64 `json:"min_reference_coverage,omitempty"`
	Action               Action  `json:"action"`
}

// Policy is a reference owner's match policy: which references it covers
// (by platform and author; empty fields match anything), who claims, and
// which action each rule asks for. Among the rules a match satisfies, the
// most restrictive action applies.
type Policy struct {
	ID       string       `json:"id"`
	Org      string       `json:"org"`
	Platform string       `json:"platform,omitempty"`
	Author   string       `json:"author,omitempty"`
	Rules    []PolicyRule `json:"rules"`
	Updated  time.Time    `json:"updated"`
}

// Role is what an API token may do.
type Role string

// Roles.
const (
	RolePipeline     Role = "pipeline"      // submits uploads for checking
	RoleReviewer     Role = "reviewer"      // decides claims
	RoleRightsHolder Role = "rights_holder" // files complaints for one org
	RoleAdmin        Role = "admin"         // everything
	// RoleSystem is the actor of background jobs; no token has it.
	RoleSystem Role = "system"
)

// ParseRole turns a user-supplied name into a token role.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ReplaceAll(s, "-", "_")); r {
	case RolePipeline, RoleReviewer, RoleRightsHolder, RoleAdmin:
		return r, nil
	}
	return "", Errorf(EInvalid, "unknown role %q (want pipeline, reviewer, rights_holder or admin)", s)
}

// Principal is who is acting: the holder of a token, the operator at the CLI
// or the system itself.
type Principal struct {
	Role Role   `json:"role"`
	Org  string `json:"org,omitempty"` // rights holders only
	Name string `json:"name"`
	// TokenID is the authenticating token, empty for the CLI and the system.
	TokenID string `json:"token_id,omitempty"`
}

// Token is a stored API token. Only the SHA-256 of the secret is kept.
type Token struct {
	ID      string    `json:"id"`
	Role    Role      `json:"role"`
	Org     string    `json:"org,omitempty"`
	Name    string    `json:"name"`
	Hash    string    `json:"-"` // hex SHA-256 of the plaintext
	Created time.Time `json:"created"`
	Revoked time.Time `json:"revoked,omitzero"`
}

// Principal returns the principal a token authenticates.
func (t Token) Principal() Principal {
	return Principal{Role: t.Role, Org: t.Org, Name: t.Name, TokenID: t.ID}
}

func joinStrings[S ~string](xs []S) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = string(x)
	}
	return strings.Join(parts, ", ")
}
