package models

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// HashKind names the perceptual hash algorithm that produced a FrameHash.
// Hashes of different kinds are never compared with one another.
type HashKind string

// Hash kinds copycat can compute. PHash is the default: it is the most robust
// of the three to re-encoding, scaling and mild colour changes.
const (
	KindPHash HashKind = "phash"
	KindAHash HashKind = "ahash"
	KindDHash HashKind = "dhash"
)

// HashKinds lists every known kind, in a stable order.
var HashKinds = []HashKind{KindPHash, KindAHash, KindDHash}

// Valid reports whether k is a known hash kind.
func (k HashKind) Valid() bool {
	switch k {
	case KindPHash, KindAHash, KindDHash:
		return true
	}
	return false
}

// ParseHashKind turns a user-supplied name into a HashKind.
func ParseHashKind(s string) (HashKind, error) {
	k := HashKind(s)
	if !k.Valid() {
		return "", Errorf(EInvalid, "unknown hash kind %q (want phash, ahash or dhash)", s)
	}
	return k, nil
}

// Hash64 is a 64-bit perceptual hash. It marshals to JSON as 16 lower-case
// hex digits so that it survives JavaScript number precision.
type Hash64 uint64

// Distance is the Hamming distance between two hashes.
func (h Hash64) Distance(o Hash64) int { return bits.OnesCount64(uint64(h ^ o)) }

// String returns the 16-digit hex form.
func (h Hash64) String() string { return fmt.Sprintf("%016x", uint64(h)) }

// MarshalJSON implements json.Marshaler.
func (h Hash64) MarshalJSON() ([]byte, error) { return []byte(`"` + h.String() + `"`), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (h *Hash64) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("hash: want a hex string: %w", err)
	}
	v, err := ParseHash64(s)
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ParseHash64 parses exactly 16 hex digits.
func ParseHash64(s string) (Hash64, error) {
	if len(s) != 16 {
		return 0, Errorf(EInvalid, "hash %q: want 16 hex digits", s)
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, Errorf(EInvalid, "hash %q: not hex", s)
	}
	return Hash64(v), nil
}

// Variant says which transformation of the sampled frame a hash was computed
// on. References are indexed with VariantFull only; queries may also carry
// other variants (for example the mirrored frame) so that evasions match.
type Variant string

// Frame variants.
const (
	VariantFull   Variant = ""       // the normalised frame as decoded
	VariantMirror Variant = "mirror" // the normalised frame flipped left-right
)

// MirrorSuffix ends the name of the mirrored twin of any other variant
// than VariantFull (for example "inset-mirror").
const MirrorSuffix = "-mirror"

// Mirrored reports whether a hash of variant v was computed on the
// left-right mirrored picture: VariantMirror or a name ending in
// MirrorSuffix. A copy is mirrored or not for its whole length, so evidence
// of one copy comes from one side only.
func (v Variant) Mirrored() bool {
	return v == VariantMirror || strings.HasSuffix(string(v), MirrorSuffix)
}

// FrameHash is the hash of one sampled frame.
type FrameHash struct {
	// T is the presentation time of the frame, in seconds from the start.
	T       float64  `json:"t"`
	Kind    HashKind `json:"kind"`
	Bits    Hash64   `json:"bits"`
	Variant Variant  `json:"variant,omitempty"`
	// Quality in [0,1] says how much texture the frame has; flat frames score
	// near 0 and match too much to be evidence on their own.
	Quality float64 `json:"quality"`
}
