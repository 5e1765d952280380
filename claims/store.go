package claims

import (
	"context"
	"time"

	"github.com/copycat-video/copycat/models"
)

// Store persists claims, complaints, the audit trail, strikes, the block
// list, match policies, upload results and API tokens. Implementations
// (claims/sqlite, claims/postgres) pass claimstest.Run and are safe for
// concurrent use.
//
// The service does all its work inside Update or View so that a state change
// and its audit event commit together or not at all.
type Store interface {
	// Update runs fn in a read-write transaction and commits it when fn
	// returns nil; any error (or panic) rolls everything back. Concurrent
	// Updates are serialised or conflict-checked by the backend; a lost race
	// surfaces as a models.EConflict error from UpdateClaim.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn with read-only access. Reads inside one View are not
	// guaranteed to see a single snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Close releases the store; it must not be used afterwards.
	Close() error
}

// Tx is the access a Store grants inside Update or View. Writing methods
// fail inside View. Missing rows are models.ENotFound errors.
type Tx interface {
	// Claim returns one claim.
	Claim(ctx context.Context, id string) (models.Claim, error)
	// Claims returns one page of claims matching f and the total number of
	// matches.
	Claims(ctx context.Context, f Filter, p Page) ([]models.Claim, int, error)
	// ActiveClaim returns org's claim on uploadID for referenceID that is not
	// rejected or reinstated; found is false when there is none. There is at
	// most one: InsertClaim refuses a second with EConflict.
	ActiveClaim(ctx context.Context, uploadID, referenceID, org string) (c models.Claim, found bool, err error)
	// DueClaims returns up to limit claims whose deadline is at or before
	// now, earliest deadline first.
	DueClaims(ctx context.Context, now time.Time, limit int) ([]models.Claim, error)
	// InsertClaim stores a new claim (Version must be 1); EConflict if the
	// id exists or org already has an active claim on the same upload and
	// reference.
	InsertClaim(ctx context.Context, c models.Claim) error
	// UpdateClaim replaces a claim whose stored version is c.Version-1 and
	// stores c.Version; EConflict when the stored version differs (someone
	// else changed it first), ENotFound when the claim does not exist.
	UpdateClaim(ctx context.Context, c models.Claim) error

	// AppendEvent adds an audit event and returns its sequence number. The
	// trail is append-only: there is no way to change or delete an event.
	AppendEvent(ctx context.Context, e models.AuditEvent) (int64, error)
	// Events returns the events of one subject in order, oldest first.
	Events(ctx context.Context, subject, subjectID string) ([]models.AuditEvent, error)

	// InsertComplaint stores a new complaint; EConflict if the id exists.
	InsertComplaint(ctx context.Context, c models.Complaint) error
	// Complaint returns one complaint.
	Complaint(ctx context.Context, id string) (models.Complaint, error)
	// Complaints returns one page of complaints (of org, or all when org is
	// empty), newest first, and the total.
	Complaints(ctx context.Context, org string, p Page) ([]models.Complaint, int, error)

	// PutUploadResult stores r under r.Upload.ID unless a result is stored
	// already; it returns the stored result and whether r was inserted.
	PutUploadResult(ctx context.Context, r models.UploadResult) (stored models.UploadResult, inserted bool, err error)
	// UploadResult returns the stored result of one upload.
	UploadResult(ctx context.Context, uploadID string) (models.UploadResult, error)

	// AddStrike records a strike and returns its id.
	AddStrike(ctx context.Context, s models.Strike) (int64, error)
	// VoidStrikes voids the strikes recorded for a claim and returns how many.
	VoidStrikes(ctx context.Context, claimID string, at time.Time) (int, error)
	// Strikes returns every strike of an uploader, newest first.
	Strikes(ctx context.Context, uploader string) ([]models.Strike, error)

	// AddBlock puts a video on the block list for a claim (idempotent).
	AddBlock(ctx context.Context, b models.BlockEntry) error
	// RemoveBlocks takes a claim's entries off the block list and returns how
	// many were removed.
	RemoveBlocks(ctx context.Context, claimID string) (int, error)
	// Blocked returns the block entries for any of videoIDs.
	Blocked(ctx context.Context, videoIDs []string) ([]models.BlockEntry, error)

	// PutPolicy inserts or replaces a policy.
	PutPolicy(ctx context.Context, p models.Policy) error
	// DeletePolicy removes a policy.
	DeletePolicy(ctx context.Context, id string) error
	// Policies returns the policies of org (all when org is empty), by id.
	Policies(ctx context.Context, org string) ([]models.Policy, error)

	// InsertToken stores a token; EConflict if the id or hash exists.
	InsertToken(ctx context.Context, t models.Token) error
	// TokenByHash returns the token with the given hex SHA-256.
	TokenByHash(ctx context.Context, hash string) (models.Token, error)
	// Tokens lists every token, oldest first.
	Tokens(ctx context.Context) ([]models.Token, error)
	// RevokeToken marks a token revoked (idempotent for an already revoked
	// token: the first revocation time stays).
	RevokeToken(ctx context.Context, id string, at time.Time) error
}

// Sort orders a claim listing.
type Sort string

// Claim listing orders.
const (
	// SortNewest: newest first (the default).
	SortNewest Sort = "newest"
	// SortDeadline: the reviewer queue order: escalated first, then earliest
	// deadline, then highest score.
	SortDeadline Sort = "deadline"
)

// Filter selects claims. Empty fields match everything.
type Filter struct {
	States   []models.ClaimState `json:"states,omitempty"`
	Platform string              `json:"platform,omitempty"` // reference platform
	Origin   models.Origin       `json:"origin,omitempty"`
	Org      string              `json:"org,omitempty"` // claimant
	UploadID string              `json:"upload_id,omitempty"`
	Uploader string              `json:"uploader,omitempty"`
	Sort     Sort                `json:"sort,omitempty"`
}

// Page is an offset page. Limit 0 means DefaultLimit; larger than MaxLimit
// is capped.
type Page struct {
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// Paging bounds.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Normalize returns p with the limit defaulted and capped and a negative
// offset clamped to zero.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit > MaxLimit {
		p.Limit = MaxLimit
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}
