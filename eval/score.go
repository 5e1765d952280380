package eval

import (
	"math"
	"sort"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// Result is copycat's answer for one query: every candidate match with its
// score (the check ran with AllMatches), or the error that stopped it.
type Result struct {
	Query   string
	Matches []models.Match
	Err     string
}

// Report is the outcome of Score.
type Report struct {
	Queries    int `json:"queries"`
	Positives  int `json:"positives"`
	Negatives  int `json:"negatives"`
	References int `json:"references"`
	Errors     int `json:"errors"`
	// MicroAP is VSC22's µAP: the average precision of one global ranking of
	// every (query, reference) pair copycat scored, over all true pairs.
	MicroAP float64 `json:"micro_ap"`
	// At the operating point (the policy's significance test):
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// FalseFlags counts negative queries with at least one significant match.
	FalseFlags int `json:"false_flags"`
	// Segment localisation, VCSL-style: per true pair, the overlap of the
	// predicted and true segments on the query axis and on the reference
	// axis (averaged). Precision is averaged over the true pairs copycat
	// flagged, recall over all true pairs (a missed pair has recall 0).
	SegmentPrecision float64 `json:"segment_precision"`
	SegmentRecall    float64 `json:"segment_recall"`
	SegmentF1        float64 `json:"segment_f1"`
	// LocalisationF1 is the same overlap F1 over the flagged true pairs
	// only: how well the segments are placed when a copy is found.
	LocalisationF1 float64     `json:"localisation_f1"`
	Families       []FamilyRow `json:"families"`
	// Missed lists positive queries whose true pair was not flagged;
	// Flagged lists wrong significant pairs (query→reference).
	Missed  []string `json:"missed,omitempty"`
	Flagged []string `json:"flagged,omitempty"`
}

// FamilyRow is the recall of one transformation family. Combinations
// ("crop+mirror") are reported together as "combo".
type FamilyRow struct {
	Family     string  `json:"family"`
	Positives  int     `json:"positives"`
	Detected   int     `json:"detected"`
	Recall     float64 `json:"recall"`
	Negatives  int     `json:"negatives"`
	FalseFlags int     `json:"false_flags"`
}

// FamilyOf maps a queries.csv family to its reporting family.
func FamilyOf(f string) string {
	if strings.Contains(f, "+") {
		return "combo"
	}
	return f
}

type pairKey struct{ q, r string }

// Score compares results with the corpus. significant is the operating
// point: whether a match counts as a flagged copy.
func Score(c *Corpus, results []Result, significant func(models.Match) bool) Report {
	rep := Report{Queries: len(c.Queries), References: len(c.References)}
	refSource := map[string]string{}
	for _, r := range c.References {
		refSource[r.ID] = r.Source
	}
	query := map[string]Query{}
	for _, q := range c.Queries {
		query[q.ID] = q
		if q.Positive {
			rep.Positives++
		} else {
			rep.Negatives++
		}
	}
	truth := map[pairKey][]models.Segment{}
	for _, t := range c.Truth {
		k := pairKey{t.Query, t.Reference}
		truth[k] = append(truth[k], t.Segment)
	}
	// A pair outside the truth whose reference was cut from the same source
	// clip as the query is neither right nor wrong (README.txt).
	ignored := func(k pairKey) bool {
		if _, ok := truth[k]; ok {
			return false
		}
		q, ok := query[k.q]
		return ok && q.Source != "" && refSource[k.r] == q.Source
	}

	type scored struct {
		k     pairKey
		score float64
	}
	var ranked []scored
	flagged := map[pairKey]models.Match{}
	flaggedQuery := map[string]bool{}
	for _, res := range results {
		if res.Err != "" {
			rep.Errors++
			continue
		}
		best := map[string]models.Match{} // a reference listed twice counts once, at its best
		for _, m := range res.Matches {
			if cur, ok := best[m.Reference.ID]; !ok || m.Score > cur.Score {
				best[m.Reference.ID] = m
			}
		}
		for id, m := range best {
			k := pairKey{res.Query, id}
			if ignored(k) {
				continue
			}
			ranked = append(ranked, scored{k, m.Score})
			if significant(m) {
				flagged[k] = m
				flaggedQuery[res.Query] = true
			}
		}
	}

	// µAP over the global ranking; ties broken by ids so that it is
	// deterministic (VSC22 leaves tie order to the submission).
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].score != ranked[j].score {
			return ranked[i].score > ranked[j].score
		}
		if ranked[i].k.q != ranked[j].k.q {
			return ranked[i].k.q < ranked[j].k.q
		}
		return ranked[i].k.r < ranked[j].k.r
	})
	hits, ap := 0, 0.0
	for i, s := range ranked {
		if _, ok := truth[s.k]; ok {
			hits++
			ap += float64(hits) / float64(i+1)
		}
	}
	if len(truth) > 0 {
		rep.MicroAP = ap / float64(len(truth))
	}

	// Operating point.
	var segP, segR, locF float64
	var nDetected int
	for k := range flagged {
		if _, ok := truth[k]; ok {
			rep.TP++
		} else {
			rep.FP++
			rep.Flagged = append(rep.Flagged, k.q+"→"+k.r)
		}
	}
	for k, segs := range truth {
		m, ok := flagged[k]
		if !ok {
			rep.FN++
			rep.Missed = append(rep.Missed, k.q+" ("+query[k.q].Family+")")
			continue
		}
		p, r := overlap(m.Segments, segs)
		segP += p
		segR += r
		locF += f1(p, r)
		nDetected++
	}
	sort.Strings(rep.Missed)
	sort.Strings(rep.Flagged)
	if rep.TP+rep.FP > 0 {
		rep.Precision = float64(rep.TP) / float64(rep.TP+rep.FP)
	}
	if len(truth) > 0 {
		rep.Recall = float64(rep.TP) / float64(len(truth))
		rep.SegmentRecall = segR / float64(len(truth))
	}
	if nDetected > 0 {
		rep.SegmentPrecision = segP / float64(nDetected)
		rep.LocalisationF1 = locF / float64(nDetected)
	}
	rep.SegmentF1 = f1(rep.SegmentPrecision, rep.SegmentRecall)

	// Families.
	rows := map[string]*FamilyRow{}
	row := func(f string) *FamilyRow {
		f = FamilyOf(f)
		if rows[f] == nil {
			rows[f] = &FamilyRow{Family: f}
		}
		return rows[f]
	}
	truthByQuery := map[string][]pairKey{}
	for k := range truth {
		truthByQuery[k.q] = append(truthByQuery[k.q], k)
	}
	for _, q := range c.Queries {
		r := row(q.Family)
		if !q.Positive {
			r.Negatives++
			if flaggedQuery[q.ID] {
				r.FalseFlags++
				rep.FalseFlags++
			}
			continue
		}
		r.Positives++
		found := len(truthByQuery[q.ID]) > 0
		for _, k := range truthByQuery[q.ID] {
			if _, ok := flagged[k]; !ok {
				found = false
			}
		}
		if found {
			r.Detected++
		}
	}
	for _, r := range rows {
		if r.Positives > 0 {
			r.Recall = float64(r.Detected) / float64(r.Positives)
		}
		rep.Families = append(rep.Families, *r)
	}
	sort.Slice(rep.Families, func(i, j int) bool { return rep.Families[i].Family < rep.Families[j].Family })
	return rep
}

// overlap returns the precision and recall of the predicted segments
// against the true ones, each the mean of the query-axis and
// reference-axis interval overlaps.
func overlap(pred, truth []models.Segment) (precision, recall float64) {
	axis := func(get func(models.Segment) [2]float64) (float64, float64) {
		var p, t [][2]float64
		for _, s := range pred {
			p = append(p, get(s))
		}
		for _, s := range truth {
			t = append(t, get(s))
		}
		inter := intersection(p, t)
		lp, lt := union(p), union(t)
		var pr, rc float64
		if lp > 0 {
			pr = inter / lp
		}
		if lt > 0 {
			rc = inter / lt
		}
		return pr, rc
	}
	qp, qr := axis(func(s models.Segment) [2]float64 { return [2]float64{s.QueryStart, s.QueryEnd} })
	rp, rr := axis(func(s models.Segment) [2]float64 { return [2]float64{s.ReferenceStart, s.ReferenceEnd} })
	return (qp + rp) / 2, (qr + rr) / 2
}

// merge returns the sorted, disjoint union of intervals.
func merge(iv [][2]float64) [][2]float64 {
	s := append([][2]float64(nil), iv...)
	sort.Slice(s, func(i, j int) bool { return s[i][0] < s[j][0] })
	var out [][2]float64
	for _, x := range s {
		if x[1] <= x[0] {
			continue
		}
		if n := len(out); n > 0 && x[0] <= out[n-1][1] {
			out[n-1][1] = math.Max(out[n-1][1], x[1])
			continue
		}
		out = append(out, x)
	}
	return out
}

func union(iv [][2]float64) float64 {
	total := 0.0
	for _, x := range merge(iv) {
		total += x[1] - x[0]
	}
	return total
}

func intersection(a, b [][2]float64) float64 {
	ma, mb := merge(a), merge(b)
	total := 0.0
	i, j := 0, 0
	for i < len(ma) && j < len(mb) {
		lo := math.Max(ma[i][0], mb[j][0])
		hi := math.Min(ma[i][1], mb[j][1])
		if hi > lo {
			total += hi - lo
		}
		if ma[i][1] < mb[j][1] {
			i++
		} else {
			j++
		}
	}
	return total
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
