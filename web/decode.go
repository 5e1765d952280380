package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/copycat-video/copycat/models"
)

// decodeJSON decodes exactly one JSON object from r's body into v, rejecting
// unknown fields (a misspelt field must not silently mean "not given") and
// trailing data.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return models.Errorf(eUnsupportedMedia, "content type %q: want application/json", ct)
		}
	}
	return decodeJSONBody(r.Body, v)
}

// decodeJSONBody is decodeJSON without the header check; it is what the fuzz
// target exercises.
func decodeJSONBody(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return models.Errorf(models.EInvalid, "malformed JSON: trailing data after the object")
	}
	return nil
}

// jsonError turns encoding/json's errors into EInvalid errors that say where
// the problem is, keeping MaxBytesError so the caller answers 413.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var app *models.Error
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return models.Errorf(models.EInvalid, "malformed JSON: empty body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return models.Errorf(models.EInvalid, "malformed JSON: truncated body")
	case errors.As(err, &syn):
		return models.Errorf(models.EInvalid, "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		return models.Errorf(models.EInvalid, "malformed JSON: field %q: want %s, got %s", typ.Field, typ.Type, typ.Value)
	case errors.As(err, &app):
		return err
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return models.Errorf(models.EInvalid, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return models.Errorf(models.EInvalid, "malformed JSON: %s", err.Error())
}

// isJSON reports whether the request declares a JSON body.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// isMultipart reports whether the request declares a multipart/form-data body.
func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// page is offset paging from the query string.
type page struct {
	Offset int
	Limit  int
}

// parsePage reads ?offset= and ?limit= (defaults 0 and 50), capping limit.
func parsePage(q url.Values, max int) (page, error) {
	p := page{Limit: 50}
	var err error
	if v := q.Get("offset"); v != "" {
		if p.Offset, err = strconv.Atoi(v); err != nil || p.Offset < 0 {
			return page{}, models.Errorf(models.EInvalid, "offset %q: want a non-negative integer", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		if p.Limit, err = strconv.Atoi(v); err != nil || p.Limit < 1 {
			return page{}, models.Errorf(models.EInvalid, "limit %q: want a positive integer", v)
		}
	}
	if p.Limit > max {
		p.Limit = max
	}
	return p, nil
}

// parseTime accepts RFC 3339 (with or without fractional seconds) or a
// plain date.
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, models.Errorf(models.EInvalid, "%s %q: want an RFC 3339 time such as 2024-05-01T12:00:00Z", field, v)
}

// parseSeconds reads a frame time ?t= in seconds.
func parseSeconds(v string) (float64, error) {
	if v == "" {
		return 0, models.Errorf(models.EInvalid, "missing t (seconds from the start)")
	}
	t, err := strconv.ParseFloat(v, 64)
	if err != nil || t < 0 || t != t || t > 24*3600 {
		return 0, models.Errorf(models.EInvalid, "t %q: want seconds from the start, 0 to 86400", v)
	}
	return t, nil
}

// validMetadata checks that platform metadata is a JSON object (or absent)
// so that it can be stored and passed through as JSON.
func validMetadata(raw []byte) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) > 64<<10 {
		return nil, models.Errorf(models.ETooLarge, "platform_metadata larger than 64 KiB")
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, models.Errorf(models.EInvalid, "platform_metadata: want a JSON object")
	}
	return json.RawMessage(raw), nil
}
