package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
)

// checkJSON is the documented `copycat check --json` line.
type checkJSON struct {
	Video   string           `json:"video"`
	Verdict models.Decision  `json:"verdict"`
	Matches []checkMatchJSON `json:"matches"`
}

type checkMatchJSON struct {
	Reference         checkRefJSON     `json:"reference"`
	Score             float64          `json:"score"`
	QueryCoverage     float64          `json:"query_coverage"`
	ReferenceCoverage float64          `json:"reference_coverage"`
	Segments          []models.Segment `json:"segments"`
}

type checkRefJSON struct {
	ID        string     `json:"id"`
	Platform  string     `json:"platform"`
	Author    string     `json:"author"`
	URL       string     `json:"url"`
	Published *time.Time `json:"published"` // null when unknown
}

func toCheckJSON(v models.Verdict) checkJSON {
	out := checkJSON{Video: v.Video, Verdict: v.Verdict, Matches: []checkMatchJSON{}}
	for _, m := range v.Matches {
		ref := checkRefJSON{ID: m.Reference.ID, Platform: m.Reference.Platform, Author: m.Reference.Author, URL: m.Reference.URL}
		if !m.Reference.Published.IsZero() {
			p := m.Reference.Published.UTC()
			ref.Published = &p
		}
		segs := m.Segments
		if segs == nil {
			segs = []models.Segment{}
		}
		out.Matches = append(out.Matches, checkMatchJSON{
			Reference: ref, Score: round3(m.Score), QueryCoverage: round3(m.QueryCoverage),
			ReferenceCoverage: round3(m.ReferenceCoverage), Segments: roundSegments(segs),
		})
	}
	return out
}

// round3 keeps three decimals: more is noise, and stable output diffs well.
func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

func roundSegments(s []models.Segment) []models.Segment {
	out := make([]models.Segment, len(s))
	for i, x := range s {
		out[i] = models.Segment{QueryStart: round3(x.QueryStart), QueryEnd: round3(x.QueryEnd),
			ReferenceStart: round3(x.ReferenceStart), ReferenceEnd: round3(x.ReferenceEnd)}
	}
	return out
}

// runCheck implements `copycat check`: the verdict per file.
func runCheck(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("check")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: copycat check [--json] [--min-score S] [--record] VIDEO...\n\n"+
			"Checks each video against the index and prints its verdict: clean,\n"+
			"duplicate (of an earlier upload recorded on our platform) or lifted (from\n"+
			"another platform's earlier video). --json prints one object per video per\n"+
			"line, matches sorted by score; --min-score 0 lists every candidate.\n\nflags:")
		fs.PrintDefaults()
	}
	bf := env.backendFlags(fs)
	asJSON := fs.Bool("json", false, "one JSON object per video per line")
	minScore := fs.Float64("min-score", -1, "list matches scoring at least S (default: the matches significant under the policy; 0: every candidate)")
	record := fs.Bool("record", false, "also index each checked video as an upload of our own platform (platform self)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	if *minScore > 1 {
		return models.Errorf(models.EInvalid, "--min-score %g is above 1", *minScore)
	}
	checker, idx, err := bf.openChecker(ctx, env)
	if err != nil {
		return err
	}
	defer idx.Close()
	meta := pipeline.CheckMeta{Record: *record}
	switch {
	case *minScore == 0:
		meta.AllMatches = true
	case *minScore > 0:
		meta.MinScore = *minScore
	}
	paths, err := expandVideos(fs.Args())
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.Stdout)
	failed := 0
	for _, path := range paths {
		v, err := checker.Check(ctx, path, meta)
		if err != nil {
			failed++
			fmt.Fprintf(env.Stderr, "copycat check: %s\n", oneLine(err.Error()))
			continue
		}
		if *asJSON {
			if err := enc.Encode(toCheckJSON(v)); err != nil {
				return err
			}
			continue
		}
		printVerdict(env, v)
	}
	if failed > 0 {
		return models.Errorf(models.EInvalid, "%d of %d videos could not be checked", failed, len(paths))
	}
	return nil
}

func printVerdict(env *Env, v models.Verdict) {
	fmt.Fprintf(env.Stdout, "%s: %s\n", v.Video, v.Verdict)
	if len(v.Matches) == 0 {
		return
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SCORE\tREFERENCE\tPLATFORM\tPUBLISHED\tQUERY\tREFERENCE TIME\tCOVERAGE Q/R")
	for _, m := range v.Matches {
		pub := "-"
		if !m.Reference.Published.IsZero() {
			pub = m.Reference.Published.Format("2006-01-02")
		}
		for i, s := range m.Segments {
			if i == 0 {
				fmt.Fprintf(tw, "  %.3f\t%s\t%s\t%s\t%s\t%s\t%.0f%%/%.0f%%\n", m.Score, m.Reference.ID, m.Reference.Platform, pub,
					span(s.QueryStart, s.QueryEnd), span(s.ReferenceStart, s.ReferenceEnd), 100*m.QueryCoverage, 100*m.ReferenceCoverage)
				continue
			}
			fmt.Fprintf(tw, "  \t\t\t\t%s\t%s\t\n", span(s.QueryStart, s.QueryEnd), span(s.ReferenceStart, s.ReferenceEnd))
		}
	}
	tw.Flush()
}

func span(a, b float64) string { return fmt.Sprintf("%.1f–%.1fs", a, b) }
