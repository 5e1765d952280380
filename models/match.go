package models

// Neighbor is one indexed frame found near a query frame.
type Neighbor struct {
	VideoID  string  `json:"video_id"`
	T        float64 `json:"t"` // reference frame time, seconds
	Distance int     `json:"distance"`
}

// Segment is a matched stretch: query [QueryStart, QueryEnd] lines up with
// reference [ReferenceStart, ReferenceEnd]. Times in seconds.
type Segment struct {
	QueryStart     float64 `json:"query_start"`
	QueryEnd       float64 `json:"query_end"`
	ReferenceStart float64 `json:"reference_start"`
	ReferenceEnd   float64 `json:"reference_end"`
}

// FramePair is one piece of evidence: a query frame and the reference frame
// it matched.
type FramePair struct {
	QueryT     float64 `json:"query_t"`
	ReferenceT float64 `json:"reference_t"`
	Distance   int     `json:"distance"`
	Variant    Variant `json:"variant,omitempty"`
}

// Match is the matcher's finding for one candidate reference video.
type Match struct {
	Reference         Video       `json:"reference"`
	Score             float64     `json:"score"`
	QueryCoverage     float64     `json:"query_coverage"`
	ReferenceCoverage float64     `json:"reference_coverage"`
	Segments          []Segment   `json:"segments"`
	Evidence          []FramePair `json:"evidence,omitempty"`
}

// Decision is the verdict on an upload.
type Decision string

// Decisions.
const (
	Clean     Decision = "clean"
	Duplicate Decision = "duplicate"
	Lifted    Decision = "lifted"
)

// Verdict is the answer for one checked video.
type Verdict struct {
	Video   string   `json:"video"`
	Verdict Decision `json:"verdict"`
	Matches []Match  `json:"matches"`
}
