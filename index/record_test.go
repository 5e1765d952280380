package index

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/copycat-video/copycat/models"
)

func seedRecords(t testing.TB) [][]byte {
	t.Helper()
	v := models.Video{ID: "tiktok:1", Platform: "tiktok", URL: "https://x/1", Published: time.Unix(1700000000, 0).UTC(), Duration: 3}
	add, err := encodeAdd(nil, v, []uint8{0, 2}, []entry{{hash: 0xdeadbeef, ms: 500}, {hash: 1, ms: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	vids, err := encodeSnapVideos(nil, []models.Video{v, {ID: "b", Platform: "self"}})
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{
		add,
		encodeDelete(nil, "tiktok:1"),
		encodeSnapHeader(nil, 7),
		vids,
		encodeSnapHashes(nil, 1, []entry{{hash: 42, ord: 1, ms: 3}}),
		encodeSnapEnd(nil, 2, 1),
	}
}

// TestRecordRoundTrip checks that every record type decodes to what was
// encoded, and that re-encoding a decoded record gives the same bytes.
func TestRecordRoundTrip(t *testing.T) {
	for _, p := range seedRecords(t) {
		r, err := decodeRecord(p)
		if err != nil {
			t.Fatalf("decode type %d: %v", p[0], err)
		}
		if again := encodeRecord(t, r); !bytes.Equal(again, p) {
			t.Errorf("type %d: re-encoded %x, want %x", p[0], again, p)
		}
	}
}

func encodeRecord(t testing.TB, r record) []byte {
	t.Helper()
	var (
		b   []byte
		err error
	)
	switch r.typ {
	case recAdd:
		b, err = encodeAdd(nil, r.video, r.kinds, r.entries)
	case recDelete:
		b = encodeDelete(nil, r.id)
	case recSnapHeader:
		b = encodeSnapHeader(nil, r.walGen)
	case recSnapVideos:
		b, err = encodeSnapVideos(nil, r.videos)
	case recSnapHashes:
		b = encodeSnapHashes(nil, r.kind, r.entries)
	case recSnapEnd:
		b = encodeSnapEnd(nil, r.nVideos, r.nHashes)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeRecordRejects(t *testing.T) {
	add := seedRecords(t)[0]
	cases := []struct {
		name string
		p    []byte
	}{
		{"empty", nil},
		{"unknown type", []byte{99}},
		{"truncated add", add[:len(add)-3]},
		{"stray bytes", append(append([]byte{}, add...), 0)},
		{"bad kind", func() []byte { b := append([]byte{}, add...); b[len(b)-13] = 7; return b }()},
		{"huge count", append([]byte{recSnapHashes, 0}, 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{"empty delete id", []byte{recDelete, 0}},
		{"newer snapshot", []byte{recSnapHeader, 9, 0}},
		{"invalid video", func() []byte {
			b, _ := encodeAdd(nil, models.Video{ID: "x"}, nil, nil) // no platform
			return b
		}()},
	}
	for _, c := range cases {
		if _, err := decodeRecord(c.p); err == nil {
			t.Errorf("%s: decoded without error", c.name)
		}
	}
}

// FuzzDecodeRecord feeds arbitrary payloads to the record decoder: it must
// never panic, and whatever it accepts must survive a re-encode.
func FuzzDecodeRecord(f *testing.F) {
	for _, p := range seedRecords(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := decodeRecord(p)
		if err != nil {
			return
		}
		again := encodeRecord(t, r)
		r2, err := decodeRecord(again)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the record:\n%+v\n%+v", r, r2)
		}
	})
}

// FuzzScanLog feeds arbitrary logs to the log reader with torn tails
// allowed: it must never panic; what it accepts must be a prefix of the
// data, and that prefix must read again, strictly, to the same records.
func FuzzScanLog(f *testing.F) {
	var log []byte
	for _, p := range seedRecords(f)[:2] {
		log = appendFrame(log, p)
	}
	f.Add(log)
	f.Add(log[:len(log)-4])
	f.Add(append(append([]byte{}, log...), "CCR1junk"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		var first []record
		good, err := scanLog(data, true, func(r record) error { first = append(first, r); return nil })
		if err != nil {
			return
		}
		if good < 0 || good > len(data) {
			t.Fatalf("valid prefix %d of %d bytes", good, len(data))
		}
		var second []record
		if _, err := scanLog(data[:good], false, func(r record) error { second = append(second, r); return nil }); err != nil {
			t.Fatalf("the valid prefix does not read strictly: %v", err)
		}
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("records differ when the prefix is read again")
		}
	})
}
