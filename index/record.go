package index

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/copycat-video/copycat/models"
)

// On-disk records. The write-ahead log and the snapshot are both sequences of
// frames:
//
//	magic uint32 | length uint32 | crc32c(length bytes + payload) uint32 | payload
//
// all little-endian. The magic lets the reader tell a torn tail (nothing
// valid follows the bad frame) from damage in the middle of a file (a valid
// frame follows), and the CRC covers the length so that a corrupted length
// is caught too. A payload starts with its record type.
const (
	frameMagic      = 0x31524343 // "CCR1"
	frameHeaderSize = 12
	// maxPayload bounds one record so that a corrupted length cannot make
	// the reader allocate gigabytes. A video of 256 Ki frames of 13 bytes
	// plus metadata fits; snapshot chunks are much smaller.
	maxPayload = 8 << 20
	// maxVideoHashes is the most hashes one Add may carry (two days of
	// video at 2 frames per second in each of the three kinds), so that
	// every accepted Add fits in one record.
	maxVideoHashes = 500_000
)

// Record types.
const (
	recAdd        byte = 1  // a video and its hashes (WAL)
	recDelete     byte = 2  // a video id (WAL)
	recSnapHeader byte = 10 // snapshot version and the first WAL generation it does not cover
	recSnapVideos byte = 11 // a run of video metadata; ordinals follow file order
	recSnapHashes byte = 12 // a chunk of one kind's hashes with video ordinals and times
	recSnapEnd    byte = 13 // counts that prove the snapshot is complete
)

const snapshotVersion = 1

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// entry is one stored frame hash: the compact form every layer shares.
type entry struct {
	hash uint64
	ord  uint32 // video ordinal
	ms   uint32 // frame time in milliseconds
}

// record is a decoded payload. Which fields are set depends on typ.
type record struct {
	typ     byte
	video   models.Video // recAdd
	kinds   []uint8      // recAdd: kind of each entry
	entries []entry      // recAdd (ord unused), recSnapHashes
	kind    uint8        // recSnapHashes
	id      string       // recDelete
	videos  []models.Video
	walGen  uint64 // recSnapHeader
	nVideos uint64 // recSnapEnd
	nHashes uint64 // recSnapEnd
}

// appendFrame appends payload framed for the log to dst.
func appendFrame(dst, payload []byte) []byte {
	var h [frameHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:], frameMagic)
	binary.LittleEndian.PutUint32(h[4:], uint32(len(payload)))
	crc := crc32.Update(0, crcTable, h[4:8])
	crc = crc32.Update(crc, crcTable, payload)
	binary.LittleEndian.PutUint32(h[8:], crc)
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// errTruncated says a frame runs past the end of the data: a torn tail when
// it is the last thing in a log.
var errTruncated = errors.New("truncated record")

// parseFrame reads the frame at the start of b and returns its payload and
// the frame's total size.
func parseFrame(b []byte) (payload []byte, size int, err error) {
	if len(b) < frameHeaderSize {
		return nil, 0, errTruncated
	}
	if m := binary.LittleEndian.Uint32(b); m != frameMagic {
		return nil, 0, fmt.Errorf("bad record magic %#08x", m)
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if n > maxPayload {
		return nil, 0, fmt.Errorf("record length %d exceeds %d", n, maxPayload)
	}
	if uint64(len(b)-frameHeaderSize) < uint64(n) {
		return nil, 0, errTruncated
	}
	payload = b[frameHeaderSize : frameHeaderSize+int(n)]
	crc := crc32.Update(0, crcTable, b[4:8])
	crc = crc32.Update(crc, crcTable, payload)
	if want := binary.LittleEndian.Uint32(b[8:]); crc != want {
		return nil, 0, fmt.Errorf("record checksum %#08x, want %#08x", crc, want)
	}
	return payload, frameHeaderSize + int(n), nil
}

// nextValidFrame reports whether a valid frame starts anywhere in b. The
// log reader calls it after a bad frame: if one does, the file is damaged in
// the middle rather than torn at the end.
func nextValidFrame(b []byte) bool {
	var magic [4]byte
	binary.LittleEndian.PutUint32(magic[:], frameMagic)
	for i := 0; i+frameHeaderSize <= len(b); i++ {
		if b[i] != magic[0] || b[i+1] != magic[1] || b[i+2] != magic[2] || b[i+3] != magic[3] {
			continue
		}
		if _, _, err := parseFrame(b[i:]); err == nil {
			return true
		}
	}
	return false
}

func kindIndex(k models.HashKind) (uint8, bool) {
	switch k {
	case models.KindPHash:
		return 0, true
	case models.KindAHash:
		return 1, true
	case models.KindDHash:
		return 2, true
	}
	return 0, false
}

const numKinds = 3

func kindName(k uint8) models.HashKind { return models.HashKinds[k] }

// encodeAdd encodes a validated video and its hashes (kinds as indexes,
// times in milliseconds).
func encodeAdd(dst []byte, v models.Video, kinds []uint8, es []entry) ([]byte, error) {
	meta, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode video %q: %w", v.ID, err)
	}
	dst = append(dst, recAdd)
	dst = binary.AppendUvarint(dst, uint64(len(meta)))
	dst = append(dst, meta...)
	dst = binary.AppendUvarint(dst, uint64(len(es)))
	for i, e := range es {
		dst = append(dst, kinds[i])
		dst = binary.LittleEndian.AppendUint64(dst, e.hash)
		dst = binary.LittleEndian.AppendUint32(dst, e.ms)
	}
	return dst, nil
}

func encodeDelete(dst []byte, id string) []byte {
	dst = append(dst, recDelete)
	dst = binary.AppendUvarint(dst, uint64(len(id)))
	return append(dst, id...)
}

func encodeSnapHeader(dst []byte, walGen uint64) []byte {
	dst = append(dst, recSnapHeader)
	dst = binary.AppendUvarint(dst, snapshotVersion)
	return binary.AppendUvarint(dst, walGen)
}

func encodeSnapVideos(dst []byte, vs []models.Video) ([]byte, error) {
	dst = append(dst, recSnapVideos)
	dst = binary.AppendUvarint(dst, uint64(len(vs)))
	for _, v := range vs {
		meta, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode video %q: %w", v.ID, err)
		}
		dst = binary.AppendUvarint(dst, uint64(len(meta)))
		dst = append(dst, meta...)
	}
	return dst, nil
}

func encodeSnapHashes(dst []byte, kind uint8, es []entry) []byte {
	dst = append(dst, recSnapHashes, kind)
	dst = binary.AppendUvarint(dst, uint64(len(es)))
	for _, e := range es {
		dst = binary.LittleEndian.AppendUint64(dst, e.hash)
		dst = binary.LittleEndian.AppendUint32(dst, e.ord)
		dst = binary.LittleEndian.AppendUint32(dst, e.ms)
	}
	return dst
}

func encodeSnapEnd(dst []byte, nVideos, nHashes uint64) []byte {
	dst = append(dst, recSnapEnd)
	dst = binary.AppendUvarint(dst, nVideos)
	return binary.AppendUvarint(dst, nHashes)
}

// decoder reads the fields of one payload; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail("%w", io.ErrUnexpectedEOF)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of items that take at least size bytes each, so that
// a hostile count cannot cause a huge allocation.
func (d *decoder) count(size int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/size) {
		d.fail("count %d exceeds the record", n)
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) u32() uint32 {
	if d.err != nil || len(d.b) < 4 {
		d.fail("%w", io.ErrUnexpectedEOF)
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) u64() uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.fail("%w", io.ErrUnexpectedEOF)
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) video() models.Video {
	meta := d.bytes()
	var v models.Video
	if d.err != nil {
		return v
	}
	if err := json.Unmarshal(meta, &v); err != nil {
		d.fail("video metadata: %w", err)
		return v
	}
	if err := v.Validate(); err != nil {
		d.fail("video metadata: %w", err)
	}
	return v
}

func (d *decoder) kind() uint8 {
	k := d.byte()
	if d.err == nil && k >= numKinds {
		d.fail("unknown hash kind %d", k)
	}
	return k
}

// decodeRecord decodes one payload. It never panics and checks every field
// the index relies on, so that a decoded record can be applied as is.
func decodeRecord(p []byte) (record, error) {
	d := &decoder{b: p}
	r := record{typ: d.byte()}
	switch r.typ {
	case recAdd:
		r.video = d.video()
		n := d.count(13)
		if n > maxVideoHashes {
			d.fail("%d hashes in one video", n)
		}
		if d.err == nil {
			r.kinds = make([]uint8, n)
			r.entries = make([]entry, n)
		}
		for i := 0; i < n && d.err == nil; i++ {
			r.kinds[i] = d.kind()
			r.entries[i] = entry{hash: d.u64(), ms: d.u32()}
		}
	case recDelete:
		r.id = string(d.bytes())
		if d.err == nil {
			if err := models.ValidateID(r.id); err != nil {
				d.fail("delete: %w", err)
			}
		}
	case recSnapHeader:
		if v := d.uvarint(); d.err == nil && v != snapshotVersion {
			d.fail("snapshot version %d, this copycat reads %d", v, snapshotVersion)
		}
		r.walGen = d.uvarint()
	case recSnapVideos:
		n := d.count(2)
		for i := 0; i < n && d.err == nil; i++ {
			r.videos = append(r.videos, d.video())
		}
	case recSnapHashes:
		r.kind = d.kind()
		n := d.count(16)
		if d.err == nil {
			r.entries = make([]entry, n)
		}
		for i := 0; i < n && d.err == nil; i++ {
			r.entries[i] = entry{hash: d.u64(), ord: d.u32(), ms: d.u32()}
		}
	case recSnapEnd:
		r.nVideos = d.uvarint()
		r.nHashes = d.uvarint()
	default:
		d.fail("unknown record type %d", r.typ)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d stray bytes after record type %d", len(d.b), r.typ)
	}
	if d.err != nil {
		return record{}, d.err
	}
	return r, nil
}

// frameTime converts a frame time in seconds to the stored milliseconds.
func frameTime(t float64) (uint32, bool) {
	if math.IsNaN(t) || t < 0 {
		return 0, false
	}
	ms := math.Round(t * 1000)
	if ms > math.MaxUint32 {
		return 0, false
	}
	return uint32(ms), true
}
