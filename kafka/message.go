package kafka

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/copycat-video/copycat/models"
)

// Limits on the fields of an upload message. A message past them is poison:
// it goes to the dead-letter topic instead of into the stores.
const (
	maxMessageBytes  = 1 << 20
	maxURIBytes      = 8 << 10
	maxUploaderBytes = 1 << 10
	maxMetadataBytes = 64 << 10
)

// uploadMessage is the wire form of an upload on the uploads topic. It is
// decoded separately from models.Upload so that a missing published_at can
// be told from the zero time and JSON null from absence.
type uploadMessage struct {
	UploadID         *string         `json:"upload_id"`
	VideoURI         *string         `json:"video_uri"`
	Uploader         *string         `json:"uploader"`
	PublishedAt      *time.Time      `json:"published_at"`
	PlatformMetadata json.RawMessage `json:"platform_metadata"`
}

// ParseUpload decodes one message of the uploads topic:
//
//	{"upload_id": "u1", "video_uri": "https://…/v.mp4" | "/path/v.mp4",
//	 "uploader": "alice", "published_at": "2024-05-01T12:00:00Z",
//	 "platform_metadata": {…}}
//
// upload_id, video_uri and uploader are required. A missing published_at
// defaults to recordTime (when the platform announced the upload), so that
// "published before" comparisons still have a time. platform_metadata, if
// present, must be a JSON object and is passed through untouched. Unknown
// fields are ignored so that producers can add fields first. Every failure
// is a models.EInvalid error naming the problem.
func ParseUpload(value []byte, recordTime time.Time) (models.Upload, error) {
	var u models.Upload
	if len(value) == 0 {
		return u, models.Errorf(models.EInvalid, "upload message is empty")
	}
	if len(value) > maxMessageBytes {
		return u, models.Errorf(models.EInvalid, "upload message is %d bytes, more than %d", len(value), maxMessageBytes)
	}
	if !utf8.Valid(value) {
		return u, models.Errorf(models.EInvalid, "upload message is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(value))
	var m uploadMessage
	if err := dec.Decode(&m); err != nil {
		return u, models.WrapError(models.EInvalid, err, "upload message is malformed: %s", err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return u, models.Errorf(models.EInvalid, "upload message has data after the JSON object")
	}
	// Decode accepts `null` into a struct without complaint; it has no fields.
	if bytes.Equal(bytes.TrimSpace(value), []byte("null")) {
		return u, models.Errorf(models.EInvalid, "upload message is null")
	}
	var missing []string
	if m.UploadID == nil {
		missing = append(missing, "upload_id")
	}
	if m.VideoURI == nil || strings.TrimSpace(*m.VideoURI) == "" {
		missing = append(missing, "video_uri")
	}
	if m.Uploader == nil || strings.TrimSpace(*m.Uploader) == "" {
		missing = append(missing, "uploader")
	}
	if len(missing) > 0 {
		return u, models.Errorf(models.EInvalid, "upload message lacks %s", strings.Join(missing, ", "))
	}
	if err := models.ValidateID(*m.UploadID); err != nil {
		return u, models.WrapError(models.EInvalid, err, "upload_id")
	}
	switch {
	case len(*m.VideoURI) > maxURIBytes:
		return u, models.Errorf(models.EInvalid, "video_uri is longer than %d bytes", maxURIBytes)
	case strings.ContainsAny(*m.VideoURI, "\x00\r\n"):
		return u, models.Errorf(models.EInvalid, "video_uri contains control characters")
	case len(*m.Uploader) > maxUploaderBytes:
		return u, models.Errorf(models.EInvalid, "uploader is longer than %d bytes", maxUploaderBytes)
	case len(m.PlatformMetadata) > maxMetadataBytes:
		return u, models.Errorf(models.EInvalid, "platform_metadata is larger than %d bytes", maxMetadataBytes)
	}
	meta := bytes.TrimSpace(m.PlatformMetadata)
	if bytes.Equal(meta, []byte("null")) {
		meta = nil
	}
	if len(meta) > 0 && meta[0] != '{' {
		return u, models.Errorf(models.EInvalid, "platform_metadata must be a JSON object")
	}
	u = models.Upload{
		ID:       *m.UploadID,
		VideoURI: *m.VideoURI,
		Uploader: *m.Uploader,
	}
	if len(meta) > 0 {
		u.Metadata = append(json.RawMessage(nil), meta...)
	}
	if m.PublishedAt != nil {
		u.Published = m.PublishedAt.UTC()
	} else {
		u.Published = recordTime.UTC()
	}
	return u, nil
}

// Headers set on every dead-letter record. The record's key and value are
// the original message's, untouched, so that a fixed message can be replayed
// by producing the value back to the uploads topic.
const (
	HeaderError     = "copycat-error"            // the error message
	HeaderErrorCode = "copycat-error-code"       // a models error code (invalid, too_large, …)
	HeaderStage     = "copycat-stage"            // parse, fetch, process
	HeaderTopic     = "copycat-source-topic"     // where the message came from
	HeaderPartition = "copycat-source-partition" // decimal
	HeaderOffset    = "copycat-source-offset"    // decimal
	HeaderAttempts  = "copycat-attempts"         // how many times it was tried
	HeaderFailedAt  = "copycat-failed-at"        // RFC 3339
)

// Stages at which an upload can fail.
const (
	StageParse   = "parse"
	StageFetch   = "fetch"
	StageProcess = "process"
)

// DeadLetter describes why an upload went to the dead-letter topic.
type DeadLetter struct {
	Stage     string
	Code      string
	Error     string
	Topic     string
	Partition int32
	Offset    int64
	Attempts  int
	FailedAt  time.Time
}

// headers renders d as record headers, in a stable order.
func (d DeadLetter) headers() [][2]string {
	return [][2]string{
		{HeaderError, d.Error},
		{HeaderErrorCode, d.Code},
		{HeaderStage, d.Stage},
		{HeaderTopic, d.Topic},
		{HeaderPartition, fmt.Sprint(d.Partition)},
		{HeaderOffset, fmt.Sprint(d.Offset)},
		{HeaderAttempts, fmt.Sprint(d.Attempts)},
		{HeaderFailedAt, d.FailedAt.UTC().Format(time.RFC3339Nano)},
	}
}

// ParseDeadLetter reads the headers of a dead-letter record back; tools
// that replay or report dead letters use it.
func ParseDeadLetter(headers map[string]string) (DeadLetter, error) {
	var d DeadLetter
	if headers[HeaderStage] == "" || headers[HeaderErrorCode] == "" {
		return d, models.Errorf(models.EInvalid, "not a copycat dead letter: %s or %s header missing", HeaderStage, HeaderErrorCode)
	}
	d.Stage, d.Code, d.Error, d.Topic = headers[HeaderStage], headers[HeaderErrorCode], headers[HeaderError], headers[HeaderTopic]
	if _, err := fmt.Sscan(headers[HeaderPartition], &d.Partition); err != nil {
		return d, models.WrapError(models.EInvalid, err, "dead letter: bad %s", HeaderPartition)
	}
	if _, err := fmt.Sscan(headers[HeaderOffset], &d.Offset); err != nil {
		return d, models.WrapError(models.EInvalid, err, "dead letter: bad %s", HeaderOffset)
	}
	if _, err := fmt.Sscan(headers[HeaderAttempts], &d.Attempts); err != nil {
		return d, models.WrapError(models.EInvalid, err, "dead letter: bad %s", HeaderAttempts)
	}
	t, err := time.Parse(time.RFC3339Nano, headers[HeaderFailedAt])
	if err != nil {
		return d, models.WrapError(models.EInvalid, err, "dead letter: bad %s", HeaderFailedAt)
	}
	d.FailedAt = t
	return d, nil
}
