package models

import (
	"encoding/json"
	"time"
)

// Upload is one video uploaded to our platform, as the upload pipeline (HTTP
// hook or Kafka topic) announces it.
type Upload struct {
	ID        string    `json:"upload_id"`
	VideoURI  string    `json:"video_uri,omitempty"`
	Uploader  string    `json:"uploader,omitempty"`
	Published time.Time `json:"published_at,omitzero"`
	// Metadata is passed through untouched from the platform.
	Metadata json.RawMessage `json:"platform_metadata,omitempty"`
}

// Action is what the platform should do with an upload or claimed video,
// from least to most restrictive.
type Action string

// Actions, in increasing order of restriction.
const (
	ActionAllow     Action = "allow"
	ActionTrack     Action = "track"
	ActionAttribute Action = "attribute"
	ActionReview    Action = "review"
	ActionTakedown  Action = "takedown"
	ActionBlock     Action = "block"
)

// Rank orders actions by restriction; unknown actions rank lowest.
func (a Action) Rank() int {
	switch a {
	case ActionTrack:
		return 1
	case ActionAttribute:
		return 2
	case ActionReview:
		return 3
	case ActionTakedown:
		return 4
	case ActionBlock:
		return 5
	}
	return 0
}

// UploadResult is the outcome of checking one upload: the verdict, what to do
// with it and the claims it opened. Stored per upload id so that a
// redelivered upload gets the same answer.
type UploadResult struct {
	Upload    Upload    `json:"upload"`
	Verdict   Verdict   `json:"verdict"`
	Action    Action    `json:"action"`
	ClaimIDs  []string  `json:"claim_ids"`
	CheckedAt time.Time `json:"checked_at"`
}
