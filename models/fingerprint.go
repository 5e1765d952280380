package models

// FingerprintVersion is bumped whenever the meaning of a fingerprint changes
// (sampling, normalisation, hash layout) so that stored fingerprints of an
// older version are recomputed rather than compared with new ones.
const FingerprintVersion = 1

// Source describes the decoded file.
type Source struct {
	Path     string  `json:"path,omitempty"`
	SHA256   string  `json:"sha256"`
	Size     int64   `json:"size"`
	Duration float64 `json:"duration"` // seconds
	FPS      float64 `json:"fps"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Codec    string  `json:"codec"`
}

// Fingerprint is the perceptual signature of one video.
type Fingerprint struct {
	Version int    `json:"version"`
	Source  Source `json:"source"`
	// Rate is the sampling rate in frames per second.
	Rate float64 `json:"rate"`
	// Sampled counts the frames that were sampled; Skipped counts those left
	// out because they were flat or black.
	Sampled int `json:"sampled"`
	Skipped int `json:"skipped"`
	// Frames holds the hashes in time order. A sampled frame may have several
	// hashes (kinds and variants) at the same T.
	Frames []FrameHash `json:"frames"`
}

// Hashes returns the frame hashes of the given variant.
func (f *Fingerprint) Hashes(v Variant) []FrameHash {
	out := make([]FrameHash, 0, len(f.Frames))
	for _, h := range f.Frames {
		if h.Variant == v {
			out = append(out, h)
		}
	}
	return out
}
