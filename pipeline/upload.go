package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/models"
)

// UploadLimits bound what an upload may be. Zero fields mean no limit
// beyond the fingerprinter's own (4 h, 7680×7680).
type UploadLimits struct {
	MaxDuration float64 // seconds
	MaxWidth    int
	MaxHeight   int
}

// check returns an ETooLarge error when src is over a limit.
func (l UploadLimits) check(src models.Source) error {
	switch {
	case l.MaxDuration > 0 && src.Duration > l.MaxDuration:
		return models.Errorf(models.ETooLarge, "video is %.1f s long; uploads may be at most %.0f s", src.Duration, l.MaxDuration)
	case l.MaxWidth > 0 && src.Width > l.MaxWidth, l.MaxHeight > 0 && src.Height > l.MaxHeight:
		return models.Errorf(models.ETooLarge, "video is %d×%d; uploads may be at most %d×%d", src.Width, src.Height, l.MaxWidth, l.MaxHeight)
	}
	return nil
}

// UploadClaims is the part of claims.Service the upload service needs:
// turning a verdict into claims and an action, stored per upload id.
type UploadClaims interface {
	OnVerdict(ctx context.Context, p models.Principal, u models.Upload, v models.Verdict) (models.UploadResult, error)
	UploadResult(ctx context.Context, p models.Principal, uploadID string) (models.UploadResult, error)
}

// UploadService checks uploads exactly once per upload id, for both upload
// hooks (HTTP and Kafka):
//
//  1. a stored result for the id is returned as is (replayed);
//  2. otherwise the file is checked, the verdict goes to claims.OnVerdict,
//     which opens the claims and stores the result atomically (a racing
//     duplicate delivery gets the winner's result, never a second claim);
//  3. only then is the upload recorded in the index as platform self, so
//     later re-uploads of it come back as duplicates. A crash between 2 and
//     3 is repaired by the next delivery of the same id, which finds the
//     stored result and records the upload if the index lacks it.
//
// Recording after storing also means a redelivered upload can never match
// itself.
type UploadService struct {
	checker *Checker
	claims  UploadClaims
	index   index.Index
	limits  UploadLimits
	log     *slog.Logger

	mu    sync.Mutex
	locks map[string]*idLock
}

type idLock struct {
	mu   sync.Mutex
	refs int
}

// NewUploadService returns an UploadService checking with checker (and
// recording into its index). log may be nil.
func NewUploadService(checker *Checker, claims UploadClaims, limits UploadLimits, log *slog.Logger) *UploadService {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &UploadService{checker: checker, claims: claims, index: checker.Index(), limits: limits, log: log, locks: map[string]*idLock{}}
}

// lock serialises work on one upload id inside this process, so that two
// concurrent deliveries do not both fingerprint the same file; across
// processes the claims store's insert-if-absent keeps the result single.
func (s *UploadService) lock(id string) func() {
	s.mu.Lock()
	l, ok := s.locks[id]
	if !ok {
		l = &idLock{}
		s.locks[id] = l
	}
	l.refs++
	s.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.locks, id)
		}
		s.mu.Unlock()
	}
}

// Result returns the stored result of one upload.
func (s *UploadService) Result(ctx context.Context, p models.Principal, uploadID string) (models.UploadResult, error) {
	return s.claims.UploadResult(ctx, p, uploadID)
}

// Check checks the upload u whose video is the local file path, on behalf
// of p (the pipeline). replayed is true when the result was stored by an
// earlier delivery of the same upload id.
func (s *UploadService) Check(ctx context.Context, p models.Principal, u models.Upload, path string) (res models.UploadResult, replayed bool, err error) {
	if err := models.ValidateID(u.ID); err != nil {
		return models.UploadResult{}, false, models.WrapError(models.EInvalid, err, "upload id")
	}
	unlock := s.lock(u.ID)
	defer unlock()

	stored, err := s.claims.UploadResult(ctx, p, u.ID)
	switch models.ErrorCode(err) {
	case "":
		s.repair(ctx, u, path)
		return stored, true, nil
	case models.ENotFound:
	default:
		return models.UploadResult{}, false, fmt.Errorf("upload %s: read stored result: %w", u.ID, err)
	}

	fp, err := s.checker.FingerprintQuery(ctx, path)
	if err != nil {
		return models.UploadResult{}, false, fmt.Errorf("upload %s: %w", u.ID, err)
	}
	if err := s.limits.check(fp.Source); err != nil {
		return models.UploadResult{}, false, err
	}
	verdict, err := s.checker.CheckFingerprint(ctx, fp, CheckMeta{UploadID: u.ID, Published: u.Published})
	if err != nil {
		return models.UploadResult{}, false, fmt.Errorf("upload %s: %w", u.ID, err)
	}
	// The verdict names the upload, not the server-local file it came in.
	verdict.Video = u.ID
	res, err = s.claims.OnVerdict(ctx, p, u, verdict)
	if err != nil {
		return models.UploadResult{}, false, fmt.Errorf("upload %s: open claims: %w", u.ID, err)
	}
	if !sameCheck(res, u) {
		// Another process stored this id first; its result stands.
		return res, true, nil
	}
	if err := s.record(ctx, u, path, fp); err != nil {
		// The verdict and claims are stored; only duplicate detection of
		// later re-uploads is missing, and the next delivery repairs it.
		s.log.Error("record upload in index", "upload", u.ID, "err", err)
	}
	return res, false, nil
}

// sameCheck reports whether res is the result of checking u now rather than
// a result another delivery stored first. OnVerdict returns the stored one
// in that case; its upload fields came from that delivery.
func sameCheck(res models.UploadResult, u models.Upload) bool {
	return res.Upload.ID == u.ID && res.Upload.Uploader == u.Uploader && res.Upload.Published.Equal(u.Published) && res.Upload.VideoURI == u.VideoURI
}

// record indexes the upload as platform self. An id already used by a
// reference of another platform is left alone: an upload must never replace
// a rival platform's reference.
func (s *UploadService) record(ctx context.Context, u models.Upload, path string, fp models.Fingerprint) error {
	if existing, err := s.index.Video(ctx, u.ID); err == nil && existing.Platform != models.PlatformSelf {
		return models.Errorf(models.EConflict, "upload id %q is already a %s reference; not recorded", u.ID, existing.Platform)
	}
	if len(fp.Hashes(models.VariantFull)) == 0 {
		return nil // nothing matchable (all frames flat); nothing to record
	}
	v := models.Video{ID: u.ID, Author: u.Uploader, Published: u.Published, Path: path}
	return s.checker.Record(ctx, v, fp)
}

// repair records a replayed upload whose recording was lost (a crash after
// its result was stored). Failures are logged: the stored result stands
// either way.
func (s *UploadService) repair(ctx context.Context, u models.Upload, path string) {
	if _, err := s.index.Video(ctx, u.ID); models.ErrorCode(err) != models.ENotFound || path == "" {
		return
	}
	fp, err := s.checker.FingerprintQuery(ctx, path)
	if err == nil {
		err = s.record(ctx, u, path, fp)
	}
	if err != nil {
		s.log.Warn("repair upload recording", "upload", u.ID, "err", err)
	}
}
