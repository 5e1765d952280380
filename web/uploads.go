package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/copycat-video/copycat/models"
)

// checkRequest is the JSON form of POST /v1/uploads:check, naming a
// server-local file instead of uploading one.
type checkRequest struct {
	UploadID string `json:"upload_id"`
	// Path is a server-local file inside one of the allowed directories.
	Path string `json:"path"`
	// VideoURI is accepted as a synonym of Path (the Kafka message's name)
	// when it is a local path or a file:// URI.
	VideoURI         string          `json:"video_uri"`
	Uploader         string          `json:"uploader"`
	PublishedAt      *time.Time      `json:"published_at"`
	PlatformMetadata json.RawMessage `json:"platform_metadata"`
}

// checkResponse is the verdict JSON of `copycat check --json` (video,
// verdict, matches) plus the upload id, the action and the claims opened.
// A repeated upload id answers the identical body; the
// Idempotent-Replayed: true header tells the two apart.
type checkResponse struct {
	UploadID string `json:"upload_id"`
	models.Verdict
	Action    models.Action `json:"action"`
	ClaimIDs  []string      `json:"claim_ids"`
	CheckedAt time.Time     `json:"checked_at"`
}

func newCheckResponse(res models.UploadResult) checkResponse {
	v := res.Verdict
	v.Matches = publicMatches(v.Matches)
	ids := res.ClaimIDs
	if ids == nil {
		ids = []string{}
	}
	return checkResponse{UploadID: res.Upload.ID, Verdict: v, Action: res.Action, ClaimIDs: ids, CheckedAt: res.CheckedAt.UTC()}
}

// publicMatches copies ms without the server-local file paths of the
// references: clients fetch frames through the evidence routes instead.
func publicMatches(ms []models.Match) []models.Match {
	out := make([]models.Match, len(ms))
	for i, m := range ms {
		m.Reference.Path = ""
		out[i] = m
	}
	if out == nil {
		out = []models.Match{}
	}
	return out
}

// checkUpload is POST /v1/uploads:check: a multipart upload (fields
// upload_id, uploader, published_at, platform_metadata and the file part
// video) or JSON naming a server-local file.
func (s *Server) checkUpload(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	var (
		u    models.Upload
		path string
		tmp  string // an uploaded file not yet moved into place
		err  error
	)
	defer func() {
		if tmp != "" {
			_ = os.Remove(tmp)
		}
	}()
	switch {
	case isMultipart(r):
		var f form
		f, err = s.readForm(r, "video", map[string]bool{"upload_id": true, "uploader": true, "published_at": true, "platform_metadata": true})
		tmp = f.file
		if err != nil {
			return err
		}
		if tmp == "" {
			return models.Errorf(models.EInvalid, "multipart body has no video file part")
		}
		u.ID, u.Uploader = f.fields["upload_id"], f.fields["uploader"]
		if u.Published, err = parseTime("published_at", f.fields["published_at"]); err != nil {
			return err
		}
		if u.Metadata, err = validMetadata([]byte(f.fields["platform_metadata"])); err != nil {
			return err
		}
	case isJSON(r):
		var req checkRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		name := req.Path
		if name == "" {
			name = strings.TrimPrefix(req.VideoURI, "file://")
		} else if req.VideoURI != "" {
			return models.Errorf(models.EInvalid, "give path or video_uri, not both")
		}
		if name == "" {
			return models.Errorf(models.EInvalid, "missing path: a server-local video file")
		}
		if path, err = s.paths.resolve(name); err != nil {
			return err
		}
		u = models.Upload{ID: req.UploadID, VideoURI: path, Uploader: req.Uploader}
		if req.PublishedAt != nil {
			u.Published = req.PublishedAt.UTC()
		}
		if u.Metadata, err = validMetadata(req.PlatformMetadata); err != nil {
			return err
		}
	default:
		return models.Errorf(eUnsupportedMedia, "content type %q: want multipart/form-data (a video upload) or application/json (a server-local path)", r.Header.Get("Content-Type"))
	}
	if len(u.Uploader) > 256 {
		return models.Errorf(models.EInvalid, "uploader longer than 256 bytes")
	}
	if u.ID == "" {
		u.ID = newID("up_")
	} else if err := models.ValidateID(u.ID); err != nil {
		return models.Errorf(models.EInvalid, "upload_id: %s", models.ErrorMessage(err))
	}

	// A repeat of a checked upload is answered from the store without
	// touching the stored file.
	if res, err := s.cfg.Uploads.Result(r.Context(), p, u.ID); err == nil {
		s.metrics.checks.WithLabelValues("replayed").Inc()
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, http.StatusOK, newCheckResponse(res))
		return nil
	} else if models.ErrorCode(err) != models.ENotFound {
		return err
	}
	kept := false
	if tmp != "" {
		path = KeptUploadPath(s.cfg.UploadDir, u.ID)
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("keep upload %q: %w", u.ID, err)
		}
		tmp, kept = "", true
	}

	res, replayed, err := s.runCheck(r.Context(), p, u, path)
	if err != nil {
		s.metrics.checks.WithLabelValues("failed").Inc()
		if kept {
			// Nothing refers to the file of a failed check; a retry
			// uploads it again.
			_ = os.Remove(path)
		}
		return err
	}
	if replayed {
		s.metrics.checks.WithLabelValues("replayed").Inc()
		w.Header().Set("Idempotent-Replayed", "true")
	} else {
		s.metrics.checks.WithLabelValues("checked").Inc()
		s.metrics.verdicts.WithLabelValues(string(res.Verdict.Verdict)).Inc()
	}
	writeJSON(w, http.StatusOK, newCheckResponse(res))
	return nil
}

// runCheck runs one check under the concurrency limit. The check is
// detached from the request's cancellation: once started it finishes and
// stores its result even if the client hangs up or the server is shutting
// down, so a retry with the same upload id finds a complete result.
func (s *Server) runCheck(ctx context.Context, p models.Principal, u models.Upload, path string) (models.UploadResult, bool, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return models.UploadResult{}, false, err
	}
	defer release()
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeouts.Write)
	defer cancel()
	return s.cfg.Uploads.Check(cctx, p, u, path)
}

// acquire takes a slot of the fingerprinting semaphore, waiting while the
// client is still there.
func (s *Server) acquire(ctx context.Context) (func(), error) {
	select {
	case s.checks <- struct{}{}:
		return func() { <-s.checks }, nil
	case <-ctx.Done():
		return nil, models.WrapError(models.EUnavailable, ctx.Err(), "request cancelled while waiting for a check slot")
	}
}

// getUpload is GET /v1/uploads/{id}: the stored result of a check.
func (s *Server) getUpload(w http.ResponseWriter, r *http.Request, p models.Principal) error {
	id := r.PathValue("id")
	res, err := s.cfg.Uploads.Result(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newCheckResponse(res))
	return nil
}

// form is a streamed multipart form: small text fields in memory and at
// most one file part spooled to disk.
type form struct {
	fields map[string]string
	file   string // temporary file holding the file part, "" if none
	name   string // the file part's client-side file name
}

// maxFieldBytes bounds each text field of a multipart form.
const maxFieldBytes = 64 << 10

// readForm streams a multipart body: the part named filePart is written to
// a temporary file in the upload directory (never held in memory), fields
// must be among allowed. On error the temporary file, if any, is returned
// for the caller to remove.
func (s *Server) readForm(r *http.Request, filePart string, allowed map[string]bool) (form, error) {
	f := form{fields: map[string]string{}}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, models.Errorf(models.EInvalid, "malformed multipart body: %s", err.Error())
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return f, multipartError(err)
		}
		name := part.FormName()
		switch {
		case name == filePart:
			if f.file != "" {
				return f, models.Errorf(models.EInvalid, "more than one %s part", filePart)
			}
			f.name = part.FileName()
			f.file, err = s.spool(part)
			if err != nil {
				return f, err
			}
		case allowed[name]:
			if _, dup := f.fields[name]; dup {
				return f, models.Errorf(models.EInvalid, "field %s given twice", name)
			}
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return f, multipartError(err)
			}
			if len(b) > maxFieldBytes {
				return f, models.Errorf(models.ETooLarge, "field %s larger than %d bytes", name, maxFieldBytes)
			}
			f.fields[name] = strings.TrimSpace(string(b))
		default:
			return f, models.Errorf(models.EInvalid, "unknown multipart field %q", name)
		}
		_ = part.Close()
	}
}

func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return models.Errorf(models.EInvalid, "malformed multipart body: %s", err.Error())
}

// spool copies a file part into a temporary file in the upload directory
// (same file system as its final place, so the later rename is atomic).
func (s *Server) spool(part *multipart.Part) (string, error) {
	dir := filepath.Join(s.cfg.UploadDir, ".incoming")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("create upload directory: %w", err)
	}
	tf, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return "", fmt.Errorf("create upload file: %w", err)
	}
	n, err := io.Copy(tf, part)
	if err == nil {
		err = tf.Sync()
	}
	if cerr := tf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tf.Name())
		return "", multipartError(err)
	}
	if n == 0 {
		_ = os.Remove(tf.Name())
		return "", models.Errorf(models.EInvalid, "the video file part is empty")
	}
	return tf.Name(), nil
}

// KeptUploadPath is where an upload's video is kept (for evidence frames)
// in the upload directory dir. The Kafka hook keeps its uploads there too.
func KeptUploadPath(dir, uploadID string) string {
	return filepath.Join(dir, fileKey(uploadID)+".video")
}

// fileKey names the stored file of an id: a hash, so that client-chosen ids
// can never escape the directory or collide with one another.
func fileKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:20])
}

// newID returns prefix plus 16 random hex digits.
func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux (Go ≥1.24 panics instead)
	return prefix + hex.EncodeToString(b[:])
}
