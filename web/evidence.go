package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// uploadFrame is GET /v1/uploads/{id}/frame?t=SECONDS: the JPEG of a
// recorded upload at t. Rights holders see frames only of uploads their
// organisation has a claim on.
func (s *Server) uploadFrame(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	id := r.PathValue("id")
	t, err := parseSeconds(r.URL.Query().Get("t"))
	if err != nil {
		return err
	}
	notFound := models.Errorf(models.ENotFound, "upload %q not found", id)
	if p.Role == models.RoleRightsHolder {
		pg, err := s.cfg.Claims.List(r.Context(), p, claims.Filter{UploadID: id}, claims.Page{Limit: 1})
		if err != nil {
			return err
		}
		if pg.Total == 0 {
			return notFound
		}
	}
	v, err := s.cfg.References.Video(r.Context(), id)
	if models.ErrorCode(err) == models.ENotFound || (err == nil && v.Platform != models.PlatformSelf) {
		return notFound
	}
	if err != nil {
		return err
	}
	return s.writeFrame(w, r, v, t)
}

// referenceFrame is GET /v1/references/{id}/frame?t=SECONDS. Rights
// holders see frames only of references their organisation claims.
func (s *Server) referenceFrame(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	id := r.PathValue("id")
	t, err := parseSeconds(r.URL.Query().Get("t"))
	if err != nil {
		return err
	}
	notFound := models.Errorf(models.ENotFound, "reference %q not found", id)
	if p.Role == models.RoleRightsHolder {
		ok, err := s.orgClaimsReference(r.Context(), p, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound
		}
	}
	v, err := s.cfg.References.Video(r.Context(), id)
	if models.ErrorCode(err) == models.ENotFound {
		return notFound
	}
	if err != nil {
		return err
	}
	return s.writeFrame(w, r, v, t)
}

// orgClaimsReference reports whether p's organisation has a claim against
// reference id. The claims filter has no reference field, so it walks the
// organisation's claims page by page.
func (s *Server) orgClaimsReference(ctx context.Context, p models.Principal, id string) (bool, error) {
	for off := 0; ; off += claims.MaxLimit {
		pg, err := s.cfg.Claims.List(ctx, p, claims.Filter{}, claims.Page{Offset: off, Limit: claims.MaxLimit})
		if err != nil {
			return false, err
		}
		for _, c := range pg.Claims {
			if c.Reference.ID == id || c.Match.Reference.ID == id {
				return true, nil
			}
		}
		if len(pg.Claims) < claims.MaxLimit {
			return false, nil
		}
	}
}

// writeFrame renders v at t as image/jpeg.
func (s *Server) writeFrame(w http.ResponseWriter, r *http.Request, v models.Video, t float64) error {
	if s.cfg.Frames == nil {
		return models.Errorf(models.EUnavailable, "evidence frames are not available on this server")
	}
	release, err := s.acquire(r.Context())
	if err != nil {
		return err
	}
	img, err := renderFrame(r.Context(), s.cfg.Frames, v, t)
	release()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(img)))
	// Frames of a stored file never change; reviewers flip back and forth.
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(img)
	return nil
}

// renderFrame renders the kept file of v at t. Errors name the video id,
// never the server-local path.
func renderFrame(ctx context.Context, frames Frames, v models.Video, t float64) ([]byte, error) {
	if v.Path == "" {
		return nil, models.Errorf(models.ENotFound, "no video file is kept for %q", v.ID)
	}
	img, err := frames.Frame(ctx, v.Path, t)
	if err != nil {
		code := models.ErrorCode(err)
		if code == models.EInternal {
			return nil, err
		}
		return nil, models.WrapError(code, err, "cannot render the frame of %q at %gs", v.ID, t)
	}
	return img, nil
}

// FrameSource renders evidence frames by video id, for the reviewer pages
// (package ui), which check claim visibility themselves before asking.
type FrameSource struct {
	videos interface {
		Video(ctx context.Context, id string) (models.Video, error)
	}
	frames Frames
}

// NewFrameSource returns a FrameSource reading video files from refs'
// catalogue entries (references and recorded uploads alike).
func NewFrameSource(refs References, frames Frames) *FrameSource {
	return &FrameSource{videos: refs, frames: frames}
}

// Frame renders the frame of an upload (kind "upload") or a reference (kind
// "reference") at t seconds as a JPEG.
func (f *FrameSource) Frame(ctx context.Context, kind, id string, t float64) ([]byte, error) {
	v, err := f.videos.Video(ctx, id)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "upload":
		if v.Platform != models.PlatformSelf {
			return nil, models.Errorf(models.ENotFound, "upload %q not found", id)
		}
	case "reference":
	default:
		return nil, models.Errorf(models.EInvalid, "unknown frame kind %q (want upload or reference)", kind)
	}
	return renderFrame(ctx, f.frames, v, t)
}
