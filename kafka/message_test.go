package kafka

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/copycat-video/copycat/models"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var recordTime = time.Date(2024, 6, 1, 8, 30, 0, 0, time.UTC)

// TestParseUploadGolden parses every testdata/messages/*.json and compares
// the upload (or the error) with the .golden file beside it.
func TestParseUploadGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no messages in testdata/messages: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			u, err := ParseUpload(bytes.TrimSuffix(in, []byte("\n")), recordTime)
			var got []byte
			if err != nil {
				if models.ErrorCode(err) != models.EInvalid {
					t.Errorf("error code %q, want invalid", models.ErrorCode(err))
				}
				got = []byte("error: " + models.ErrorMessage(err) + "\n")
			} else {
				got, _ = json.MarshalIndent(u, "", "  ")
				got = append(got, '\n')
			}
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestParseUploadBadInput(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct {
		name, in, wantMsg string
	}{
		{"empty", "", "empty"},
		{"null", "null", "null"},
		{"array", `[]`, "malformed"},
		{"string", `"u1"`, "malformed"},
		{"truncated", `{"upload_id":"u1","video_uri":"/v.mp4"`, "malformed"},
		{"trailing data", `{"upload_id":"u1","video_uri":"/v.mp4","uploader":"a"} {}`, "after the JSON object"},
		{"not utf-8", "{\"upload_id\":\"\xff\"}", "not UTF-8"},
		{"number id", `{"upload_id":1,"video_uri":"/v.mp4","uploader":"a"}`, "malformed"},
		{"missing all", `{}`, "lacks upload_id, video_uri, uploader"},
		{"blank uri", `{"upload_id":"u1","video_uri":"  ","uploader":"a"}`, "lacks video_uri"},
		{"empty id", `{"upload_id":"","video_uri":"/v.mp4","uploader":"a"}`, "upload_id"},
		{"long id", `{"upload_id":"` + long + `","video_uri":"/v.mp4","uploader":"a"}`, "upload_id"},
		{"newline in id", `{"upload_id":"a\nb","video_uri":"/v.mp4","uploader":"a"}`, "upload_id"},
		{"newline in uri", `{"upload_id":"u1","video_uri":"/v\n.mp4","uploader":"a"}`, "control characters"},
		{"bad time", `{"upload_id":"u1","video_uri":"/v.mp4","uploader":"a","published_at":"yesterday"}`, "malformed"},
		{"metadata array", `{"upload_id":"u1","video_uri":"/v.mp4","uploader":"a","platform_metadata":[1]}`, "must be a JSON object"},
		{"huge", `{"upload_id":"u1","video_uri":"/v.mp4","uploader":"a","x":"` + strings.Repeat("x", maxMessageBytes) + `"}`, "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseUpload([]byte(tc.in), recordTime)
			if models.ErrorCode(err) != models.EInvalid || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("ParseUpload: %v, want an invalid error mentioning %q", err, tc.wantMsg)
			}
		})
	}
}

func TestParseUploadDefaultsPublishedToRecordTime(t *testing.T) {
	u, err := ParseUpload([]byte(`{"upload_id":"u1","video_uri":"https://cdn.example/v.mp4","uploader":"a","published_at":null}`), recordTime)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Published.Equal(recordTime) {
		t.Fatalf("published %v, want the record time %v", u.Published, recordTime)
	}
}

func TestDeadLetterRoundTrip(t *testing.T) {
	d := DeadLetter{Stage: StageFetch, Code: models.ENotFound, Error: "gone", Topic: "uploads", Partition: 3, Offset: 42, Attempts: 4,
		FailedAt: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)}
	h := make(map[string]string)
	for _, kv := range d.headers() {
		h[kv[0]] = kv[1]
	}
	got, err := ParseDeadLetter(h)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip %+v, want %+v", got, d)
	}
	for _, bad := range []string{HeaderStage, HeaderPartition, HeaderOffset, HeaderFailedAt} {
		c := make(map[string]string)
		for k, v := range h {
			c[k] = v
		}
		c[bad] = ""
		if _, err := ParseDeadLetter(c); models.ErrorCode(err) != models.EInvalid {
			t.Errorf("without %s: %v, want invalid", bad, err)
		}
	}
}

// FuzzParseUpload: no input panics, every accepted upload satisfies the
// checks the stores rely on, and parsing is stable: an accepted upload
// re-encoded parses to the same upload.
func FuzzParseUpload(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "messages", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"upload_id":"u","video_uri":"/v","uploader":"x","platform_metadata":{"a":[1,{}]}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		u, err := ParseUpload(in, recordTime)
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid {
				t.Fatalf("error code %q for %q", models.ErrorCode(err), in)
			}
			return
		}
		if models.ValidateID(u.ID) != nil || strings.TrimSpace(u.VideoURI) == "" || u.Uploader == "" || u.Published.IsZero() && !recordTime.IsZero() {
			t.Fatalf("accepted an invalid upload %+v from %q", u, in)
		}
		if len(u.Metadata) > 0 && !json.Valid(u.Metadata) {
			t.Fatalf("metadata %q is not JSON", u.Metadata)
		}
		again, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		u2, err := ParseUpload(again, recordTime)
		if err != nil {
			t.Fatalf("re-encoded upload %s rejected: %v", again, err)
		}
		if u2.ID != u.ID || u2.VideoURI != u.VideoURI || u2.Uploader != u.Uploader || !u2.Published.Equal(u.Published) {
			t.Fatalf("unstable parse: %+v then %+v", u, u2)
		}
	})
}
