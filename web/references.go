package web

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/copycat-video/copycat/models"
)

// referenceRequest describes a reference: the JSON body of a server-local
// add and each item of a bulk import.
type referenceRequest struct {
	ID         string     `json:"id"`
	Platform   string     `json:"platform"`
	ExternalID string     `json:"external_id"`
	URL        string     `json:"url"`
	Author     string     `json:"author"`
	Published  *time.Time `json:"published"`
	// Path is a server-local file inside an allowed directory.
	Path string `json:"path"`
}

func (q referenceRequest) video() (models.Video, error) {
	v := models.Video{ID: q.ID, Platform: q.Platform, ExternalID: q.ExternalID, URL: q.URL, Author: q.Author}
	if q.Published != nil {
		v.Published = q.Published.UTC()
	}
	return v, checkReference(v)
}

// checkReference validates a reference before any fingerprinting work.
func checkReference(v models.Video) error {
	if err := v.Validate(); err != nil {
		return err
	}
	if v.Platform == models.PlatformSelf {
		return models.Errorf(models.EInvalid, "platform %q is reserved for our own uploads", models.PlatformSelf)
	}
	return nil
}

// publicVideo hides the server-local path of a video.
func publicVideo(v models.Video) models.Video {
	v.Path = ""
	return v
}

// addReference is POST /v1/references: multipart (fields id, platform,
// external_id, url, author, published and the file part video) or JSON
// naming a server-local file.
func (s *Server) addReference(w http.ResponseWriter, r *http.Request, _ models.Principal) error {
	var (
		v    models.Video
		path string
		tmp  string
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
		f, err = s.readForm(r, "video", map[string]bool{"id": true, "platform": true, "external_id": true, "url": true, "author": true, "published": true})
		tmp = f.file
		if err != nil {
			return err
		}
		if tmp == "" {
			return models.Errorf(models.EInvalid, "multipart body has no video file part")
		}
		v = models.Video{ID: f.fields["id"], Platform: f.fields["platform"], ExternalID: f.fields["external_id"], URL: f.fields["url"], Author: f.fields["author"]}
		if v.Published, err = parseTime("published", f.fields["published"]); err != nil {
			return err
		}
		if err := checkReference(v); err != nil {
			return err
		}
		dir := s.cfg.ReferenceDir
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("create reference directory: %w", err)
		}
		// A fresh name per add: replacing a reference must not touch the
		// file of the entry it replaces until the new one is indexed.
		path = filepath.Join(dir, newID(fileKey(v.ID)+"-")+".video")
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("keep reference %q: %w", v.ID, err)
		}
		tmp = path // removed below unless the add succeeds
	case isJSON(r):
		var req referenceRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if v, err = req.video(); err != nil {
			return err
		}
		if path, err = s.paths.resolve(req.Path); err != nil {
			return err
		}
	default:
		return models.Errorf(eUnsupportedMedia, "content type %q: want multipart/form-data (a video upload) or application/json (a server-local path)", r.Header.Get("Content-Type"))
	}
	previous, prevErr := s.cfg.References.Video(r.Context(), v.ID)
	stored, err := s.addOne(r.Context(), v, path)
	if err != nil {
		return err
	}
	tmp = ""
	if prevErr == nil && previous.Path != path {
		s.removeKept(previous)
	}
	writeJSON(w, http.StatusCreated, publicVideo(stored))
	return nil
}

// removeKept deletes the file kept for a reference added by upload (files
// named by server-local path belong to the operator and stay).
func (s *Server) removeKept(v models.Video) {
	if v.Path == "" || filepath.Dir(v.Path) != filepath.Clean(s.cfg.ReferenceDir) {
		return
	}
	if err := os.Remove(v.Path); err != nil && !os.IsNotExist(err) {
		s.log.Warn("remove reference file", "id", v.ID, "err", err)
	}
}

// addOne fingerprints and indexes one reference under the concurrency limit,
// detached from client cancellation so an index write is never cut short.
func (s *Server) addOne(ctx context.Context, v models.Video, path string) (models.Video, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return models.Video{}, err
	}
	defer release()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeouts.Write)
	defer cancel()
	v.Path = path
	return s.cfg.References.Add(cctx, v, path)
}

// importRequest is the body of POST /v1/references:import.
type importRequest struct {
	References []referenceRequest `json:"references"`
	// SkipExisting leaves already-indexed ids alone, which makes a retried
	// import resume where it stopped.
	SkipExisting bool `json:"skip_existing"`
}

type importFailure struct {
	ID    string      `json:"id"`
	Error errorDetail `json:"error"`
}

type importResponse struct {
	Added   []string        `json:"added"`
	Skipped []string        `json:"skipped"`
	Failed  []importFailure `json:"failed"`
}

// maxImportItems bounds one bulk import request; larger catalogues go
// through several requests or `copycat refs import`.
const maxImportItems = 1000

// importReferences is POST /v1/references:import: server-local files in
// bulk, in parallel up to the check concurrency. One bad item does not abort
// the batch; it is listed under failed.
func (s *Server) importReferences(w http.ResponseWriter, r *http.Request, _ models.Principal) error {
	var req importRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch n := len(req.References); {
	case n == 0:
		return models.Errorf(models.EInvalid, "references is empty")
	case n > maxImportItems:
		return models.Errorf(models.ETooLarge, "%d references in one import; at most %d", n, maxImportItems)
	}
	seen := map[string]bool{}
	for _, q := range req.References {
		if q.ID != "" && seen[q.ID] {
			return models.Errorf(models.EInvalid, "reference id %q appears twice", q.ID)
		}
		seen[q.ID] = true
	}
	type outcome struct {
		skipped bool
		err     error
	}
	outs := make([]outcome, len(req.References))
	var wg sync.WaitGroup
	for i, q := range req.References {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := q.video()
			if err != nil {
				outs[i].err = err
				return
			}
			path, err := s.paths.resolve(q.Path)
			if err != nil {
				outs[i].err = err
				return
			}
			if req.SkipExisting {
				if _, err := s.cfg.References.Video(r.Context(), v.ID); err == nil {
					outs[i].skipped = true
					return
				}
			}
			_, outs[i].err = s.addOne(r.Context(), v, path)
		}()
	}
	wg.Wait()
	resp := importResponse{Added: []string{}, Skipped: []string{}, Failed: []importFailure{}}
	for i, o := range outs {
		id := req.References[i].ID
		switch {
		case o.err != nil:
			if models.ErrorCode(o.err) == models.EInternal {
				s.log.Error("import reference", "id", id, "err", o.err)
			}
			resp.Failed = append(resp.Failed, importFailure{ID: id, Error: errorDetail{Code: models.ErrorCode(o.err), Message: models.ErrorMessage(o.err)}})
		case o.skipped:
			resp.Skipped = append(resp.Skipped, id)
		default:
			resp.Added = append(resp.Added, id)
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type videoList struct {
	Items []models.Video `json:"items"`
	// Next is the cursor for the following page ("" at the end).
	Next string `json:"next"`
}

// listReferences is GET /v1/references?after=ID&limit=N&platform=P: cursor
// paging by id. Our own recorded uploads are listed only with
// platform=self.
func (s *Server) listReferences(w http.ResponseWriter, r *http.Request, _ models.Principal) error {
	q := r.URL.Query()
	pg, err := parsePage(q, s.limits.MaxPageSize)
	if err != nil {
		return err
	}
	platform := q.Get("platform")
	after := q.Get("after")
	out := videoList{Items: []models.Video{}}
	// Filtering happens after the index read, so read batches until the page
	// is full or the index ends.
	for len(out.Items) < pg.Limit {
		batch, err := s.cfg.References.Videos(r.Context(), after, pg.Limit)
		if err != nil {
			return err
		}
		for _, v := range batch {
			after = v.ID
			keep := v.Platform == platform || (platform == "" && v.Platform != models.PlatformSelf)
			if keep {
				out.Items = append(out.Items, publicVideo(v))
				if len(out.Items) == pg.Limit {
					break
				}
			}
		}
		if len(batch) < pg.Limit {
			break
		}
	}
	if len(out.Items) == pg.Limit {
		out.Next = out.Items[len(out.Items)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getReference is GET /v1/references/{id}.
func (s *Server) getReference(w http.ResponseWriter, r *http.Request, _ models.Principal) error {
	v, err := s.cfg.References.Video(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, publicVideo(v))
	return nil
}

// deleteReference is DELETE /v1/references/{id}. The kept file of a
// reference added by upload is removed too.
func (s *Server) deleteReference(w http.ResponseWriter, r *http.Request, _ models.Principal) error {
	id := r.PathValue("id")
	v, err := s.cfg.References.Video(r.Context(), id)
	if err != nil {
		return err
	}
	if v.Platform == models.PlatformSelf {
		return models.Errorf(models.EInvalid, "video %q is a recorded upload, not a reference", id)
	}
	if err := s.cfg.References.Delete(context.WithoutCancel(r.Context()), id); err != nil {
		return err
	}
	s.removeKept(v)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
