package models

import (
	"strings"
	"time"
)

// PlatformSelf is the platform of uploads made on our own service. A match
// against a PlatformSelf video is a duplicate; against any other platform it
// is a lift.
const PlatformSelf = "self"

// Video is the catalogue entry for an indexed video: a rival platform's
// reference or one of our own earlier uploads.
type Video struct {
	// ID is unique across the whole index (for example "tiktok:7281" or an
	// upload id); it is the key for delete and replace.
	ID         string    `json:"id"`
	Platform   string    `json:"platform"`
	ExternalID string    `json:"external_id,omitempty"`
	URL        string    `json:"url,omitempty"`
	Author     string    `json:"author,omitempty"`
	Published  time.Time `json:"published,omitzero"`
	// Duration in seconds of the indexed footage, needed for reference
	// coverage.
	Duration float64 `json:"duration"`
	// Path is where the indexed file was read from (a server-local path), kept
	// so that reviewers can be shown evidence frames; empty when unknown.
	Path string `json:"path,omitempty"`
}

// maxIDLen bounds ids so that no store or index has to cope with megabyte keys.
const maxIDLen = 256

// ValidateID checks that id is usable as a video id.
func ValidateID(id string) error {
	switch {
	case id == "":
		return Errorf(EInvalid, "video id is empty")
	case len(id) > maxIDLen:
		return Errorf(EInvalid, "video id is longer than %d bytes", maxIDLen)
	case strings.ContainsAny(id, "\x00\n\r"):
		return Errorf(EInvalid, "video id %q contains control characters", id)
	}
	return nil
}

// Validate checks the fields every index backend relies on.
func (v Video) Validate() error {
	if err := ValidateID(v.ID); err != nil {
		return err
	}
	if v.Platform == "" {
		return Errorf(EInvalid, "video %q: platform is empty", v.ID)
	}
	if len(v.Platform) > 64 || len(v.Author) > 1024 || len(v.URL) > 4096 || len(v.ExternalID) > 1024 || len(v.Path) > 4096 {
		return Errorf(EInvalid, "video %q: a metadata field is too long", v.ID)
	}
	if v.Duration < 0 {
		return Errorf(EInvalid, "video %q: negative duration", v.ID)
	}
	return nil
}
