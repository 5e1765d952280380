package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/web/httpstatus"
)

// errorBody is the one JSON error shape every route answers with:
// {"error":{"code":"not_found","message":"claim \"c1\" not found"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf maps an error code to an HTTP status: the codes that exist only
// at the HTTP edge here, every application code through httpstatus.Of, the
// mapping the pages share. No handler picks a status for an error on its own.
func statusOf(code string) int {
	switch code {
	case eRateLimited:
		return http.StatusTooManyRequests
	case eMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case eUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	}
	return httpstatus.Of(code)
}

// Codes that only exist at the HTTP edge. They are not in models because no
// domain package can produce them.
const (
	eRateLimited      = "rate_limited"
	eMethodNotAllowed = "method_not_allowed"
	eUnsupportedMedia = "unsupported_media_type"
)

// writeError answers with the JSON error shape. Internal errors are logged
// here, once, with their cause, and reach the client only as a generic
// message so that paths, SQL and stack details never leak.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := models.ErrorCode(err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		code = models.ETooLarge
		err = models.Errorf(models.ETooLarge, "request body larger than %d bytes", mbe.Limit)
	}
	msg := models.ErrorMessage(err)
	status := statusOf(code)
	if status >= 500 {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("code", code), slog.String("err", err.Error()))
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// writeJSON writes v with the given status. An encoding failure can only be a
// programming error (all response types are plain structs), so it is not
// reported to the client, whose headers are already sent.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// API answers carry claims and evidence: no shared cache may keep them.
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
