package claims

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// Validate checks a filter's enumerations and lengths.
func (f Filter) Validate() error {
	for _, st := range f.States {
		if _, err := models.ParseClaimState(string(st)); err != nil {
			return err
		}
	}
	if f.Origin != "" {
		if _, err := models.ParseOrigin(string(f.Origin)); err != nil {
			return err
		}
	}
	switch f.Sort {
	case "", SortNewest, SortDeadline:
	default:
		return models.Errorf(models.EInvalid, "unknown sort %q (want newest or deadline)", f.Sort)
	}
	for _, s := range []string{f.Platform, f.Org, f.UploadID, f.Uploader} {
		if len(s) > 256 {
			return models.Errorf(models.EInvalid, "filter value is longer than 256 bytes")
		}
	}
	if len(f.States) > len(models.ClaimStates) {
		return models.Errorf(models.EInvalid, "too many states in filter")
	}
	return nil
}

// ParseFilter reads a claim filter and page from query parameters, as the
// HTTP API and the reviewer pages receive them:
//
//	state=open,in_review (repeatable)  platform=tiktok  origin=auto|complaint
//	org=acme  upload=ID  uploader=NAME  sort=newest|deadline  offset=N  limit=N
//
// Unknown parameters are rejected so that a typo does not silently widen a
// listing.
func ParseFilter(q url.Values) (Filter, Page, error) {
	var f Filter
	var p Page
	for key, vals := range q {
		if len(vals) == 0 {
			continue
		}
		v := vals[len(vals)-1]
		switch key {
		case "state":
			for _, vv := range vals {
				for _, s := range strings.Split(vv, ",") {
					if s = strings.TrimSpace(s); s == "" {
						continue
					}
					st, err := models.ParseClaimState(s)
					if err != nil {
						return Filter{}, Page{}, err
					}
					if !containsState(f.States, st) {
						f.States = append(f.States, st)
					}
				}
			}
		case "platform":
			f.Platform = v
		case "origin":
			if v != "" {
				o, err := models.ParseOrigin(v)
				if err != nil {
					return Filter{}, Page{}, err
				}
				f.Origin = o
			}
		case "org":
			f.Org = v
		case "upload":
			f.UploadID = v
		case "uploader":
			f.Uploader = v
		case "sort":
			f.Sort = Sort(v)
		case "offset", "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Filter{}, Page{}, models.Errorf(models.EInvalid, "%s must be a non-negative integer, got %q", key, v)
			}
			if key == "offset" {
				p.Offset = n
			} else {
				p.Limit = n
			}
		default:
			return Filter{}, Page{}, models.Errorf(models.EInvalid, "unknown filter parameter %q", key)
		}
	}
	if err := f.Validate(); err != nil {
		return Filter{}, Page{}, err
	}
	return f, p.Normalize(), nil
}

func containsState(ss []models.ClaimState, s models.ClaimState) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown
// fields and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// DecodePolicy parses a policy from JSON, rejecting unknown fields.
func DecodePolicy(b []byte) (models.Policy, error) {
	var p models.Policy
	if err := decodeStrict(b, &p); err != nil {
		return models.Policy{}, models.WrapError(models.EInvalid, err, "policy: malformed JSON")
	}
	return p, nil
}
