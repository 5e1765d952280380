package web

import (
	"context"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// Uploads checks uploads and keeps their results; pipeline.UploadService
// satisfies it.
type Uploads interface {
	// Check fingerprints the video at path, decides the verdict, opens claims
	// and records the upload. A repeated upload id returns the stored result
	// with replayed set and does nothing else.
	// p is the caller (pipeline or admin), recorded as the actor.
	Check(ctx context.Context, p models.Principal, u models.Upload, path string) (res models.UploadResult, replayed bool, err error)
	// Result returns the stored result of one upload (ENotFound if none).
	Result(ctx context.Context, p models.Principal, uploadID string) (models.UploadResult, error)
}

// References is the reference catalogue.
type References interface {
	// Add fingerprints the video at path and indexes it as v (replacing an
	// entry with the same id); it returns the stored video, duration filled.
	Add(ctx context.Context, v models.Video, path string) (models.Video, error)
	// Video returns one indexed video, a reference or a recorded upload.
	Video(ctx context.Context, id string) (models.Video, error)
	// Videos lists indexed videos by id after `after`, at most limit.
	Videos(ctx context.Context, after string, limit int) ([]models.Video, error)
	// Delete removes a video from the index.
	Delete(ctx context.Context, id string) error
}

// Frames renders the frame of a video file at t seconds as a JPEG;
// fingerprint.Frame satisfies it through a FramesFunc.
type Frames interface {
	Frame(ctx context.Context, path string, t float64) ([]byte, error)
}

// FramesFunc adapts a function to Frames.
type FramesFunc func(ctx context.Context, path string, t float64) ([]byte, error)

// Frame implements Frames.
func (f FramesFunc) Frame(ctx context.Context, path string, t float64) ([]byte, error) {
	return f(ctx, path, t)
}

// Claims is the claim workflow; *claims.Service satisfies it. Every method
// takes the caller and enforces organisation scoping itself; the handlers
// add the role matrix in front.
type Claims interface {
	List(ctx context.Context, p models.Principal, f claims.Filter, pg claims.Page) (claims.ClaimPage, error)
	Get(ctx context.Context, p models.Principal, id string) (claims.ClaimDetail, error)
	Decide(ctx context.Context, p models.Principal, id string, d claims.Decision, reason string, expectedVersion int64) (models.Claim, error)
	Dispute(ctx context.Context, p models.Principal, id string, reason models.DisputeReason, statement string, expectedVersion int64) (models.Claim, error)
	CounterNotice(ctx context.Context, p models.Principal, id, statement, contact string, expectedVersion int64) (models.Claim, error)
	FileComplaint(ctx context.Context, p models.Principal, r claims.ComplaintRequest) (claims.ComplaintDetail, error)
	Complaints(ctx context.Context, p models.Principal, pg claims.Page) ([]models.Complaint, int, error)
	Complaint(ctx context.Context, p models.Principal, id string) (claims.ComplaintDetail, error)
}

// Fingerprinter fingerprints a rights holder's uploaded original for a
// complaint; nil disables complaint originals by file.
type Fingerprinter interface {
	Fingerprint(ctx context.Context, path string) (models.Fingerprint, error)
}
