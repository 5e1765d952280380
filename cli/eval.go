package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/copycat-video/copycat/eval"
	"github.com/copycat-video/copycat/fingerprint"
	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
)

// runEval implements `copycat eval --corpus DIR`: index the corpus's
// references, check its queries and score the verdicts against truth.csv.
func runEval(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("eval")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: copycat eval --corpus DIR [--json] [--cache DIR] [--jobs N]\n\n"+
			"Indexes DIR/references (into a fresh temporary index unless --index is\n"+
			"given), checks DIR/queries and scores the verdicts against DIR/truth.csv:\n"+
			"µAP, precision and recall at the operating threshold, false flags on\n"+
			"negative queries, segment F1 and recall per family.\n\nflags:")
		fs.PrintDefaults()
	}
	corpusDir := fs.String("corpus", "", "corpus directory made by make_corpus.py (required)")
	data := env.dataFlag(fs)
	indexURL := fs.String("index", "", "index to fill and search (default: a fresh temporary embedded index)")
	cacheDir := fs.String("cache", "", "fingerprint cache directory (default <data>/fpcache)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "videos fingerprinted in parallel")
	minScore := fs.Float64("min-score", 0, "operating threshold (default: the policy's)")
	dump := fs.String("dump", "", "also write every query's candidate matches to this JSON-lines file")
	rate := fs.Float64("rate", pipeline.DefaultRate, "query sampling rate, frames per second")
	refRate := fs.Float64("ref-rate", pipeline.DefaultReferenceRate, "reference sampling rate, frames per second")
	dense := fs.Int("ref-dense", pipeline.DefaultReferenceDense, "sample references up to this many times faster than --ref-rate where the picture moves (1, 2, 4 or 8; 1: never)")
	samples := fs.Int("query-samples", pipeline.DefaultQuerySamples, "sample short queries faster (up to --ref-rate) so that they have about this many frames; -1: never")
	radius := fs.Int("radius", pipeline.DefaultRadius, "Hamming search radius")
	cropRadius := fs.Int("crop-radius", pipeline.DefaultCropRadius, "Hamming search radius of the query's crop windows (at most --radius)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *corpusDir == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *jobs < 1 {
		return models.Errorf(models.EInvalid, "--jobs must be at least 1")
	}
	corpus, err := eval.Load(*corpusDir)
	if err != nil {
		return err
	}
	if *cacheDir == "" {
		*cacheDir = filepath.Join(*data, "fpcache")
	}
	if *indexURL == "" {
		tmp, err := os.MkdirTemp("", "copycat-eval-index-")
		if err != nil {
			return fmt.Errorf("temporary index: %w", err)
		}
		defer os.RemoveAll(tmp)
		*indexURL = tmp
	}
	idx, err := openIndex(ctx, env, *data, *indexURL)
	if err != nil {
		return err
	}
	defer idx.Close()
	checker, err := pipeline.New(pipeline.Config{
		Index:       idx,
		Fingerprint: pipeline.CachedFingerprint(*cacheDir, fingerprint.File),
		Rate:        *rate, ReferenceRate: *refRate, Radius: *radius, QuerySamples: *samples, CropRadius: *cropRadius, ReferenceDense: *dense,
		Log: env.Log,
	})
	if err != nil {
		return err
	}
	policy := checker.Policy()
	if *minScore > 0 {
		policy.MinScore = *minScore
	}

	start := time.Now()
	bar := newProgress(env, len(corpus.References), "references")
	var failMu sync.Mutex
	var failures []string
	parallel(ctx, *jobs, len(corpus.References), func(i int) {
		r := corpus.References[i]
		defer bar.Add(1)
		if _, err := idx.Video(ctx, r.ID); err == nil {
			return // already indexed (a reused --index)
		}
		if _, err := checker.AddReference(ctx, corpus.ReferencePath(r.ID), models.Video{ID: r.ID, Platform: "corpus"}); err != nil {
			failMu.Lock()
			failures = append(failures, fmt.Sprintf("reference %s: %s", r.ID, models.ErrorMessage(err)))
			failMu.Unlock()
		}
	})
	bar.Finish()
	if err := ctx.Err(); err != nil {
		return err
	}
	indexed := time.Since(start)

	bar = newProgress(env, len(corpus.Queries), "queries")
	results := make([]eval.Result, len(corpus.Queries))
	parallel(ctx, *jobs, len(corpus.Queries), func(i int) {
		q := corpus.Queries[i]
		defer bar.Add(1)
		v, err := checker.Check(ctx, corpus.QueryPath(q.ID), pipeline.CheckMeta{AllMatches: true})
		results[i] = eval.Result{Query: q.ID, Matches: v.Matches}
		if err != nil {
			results[i].Err = err.Error()
			failMu.Lock()
			failures = append(failures, fmt.Sprintf("query %s: %s", q.ID, models.ErrorMessage(err)))
			failMu.Unlock()
		}
	})
	bar.Finish()
	if err := ctx.Err(); err != nil {
		return err
	}
	if *dump != "" {
		if err := writeDump(*dump, results); err != nil {
			return err
		}
	}
	rep := eval.Score(corpus, results, policy.Significant)
	env.Log.Info("eval done", "references", len(corpus.References), "queries", len(corpus.Queries),
		"index_time", indexed.Round(time.Millisecond), "total_time", time.Since(start).Round(time.Millisecond))
	for _, f := range failures {
		fmt.Fprintln(env.Stderr, "copycat eval:", f)
	}
	if *asJSON {
		out := struct {
			Corpus    string        `json:"corpus"`
			Threshold matcherPolicy `json:"policy"`
			eval.Report
		}{*corpusDir, matcherPolicy(policy), rep}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	printReport(env, *corpusDir, policy.MinScore, rep)
	return nil
}

// matcherPolicy is the JSON form of the operating point.
type matcherPolicy struct {
	MinScore    float64 `json:"min_score"`
	MinDuration float64 `json:"min_duration"`
	MinCoverage float64 `json:"min_coverage"`
}

func printReport(env *Env, dir string, threshold float64, r eval.Report) {
	w := env.Stdout
	fmt.Fprintf(w, "corpus %s: %d references, %d queries (%d positive, %d negative)", dir, r.References, r.Queries, r.Positives, r.Negatives)
	if r.Errors > 0 {
		fmt.Fprintf(w, ", %d failed", r.Errors)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "µAP                 %.3f\n", r.MicroAP)
	fmt.Fprintf(w, "precision           %.3f   (%d true, %d false pairs at score >= %.2f)\n", r.Precision, r.TP, r.FP, threshold)
	fmt.Fprintf(w, "recall              %.3f   (%d missed)\n", r.Recall, r.FN)
	fmt.Fprintf(w, "false flags         %d of %d negative queries\n", r.FalseFlags, r.Negatives)
	fmt.Fprintf(w, "segment F1          %.3f   (precision %.3f, recall %.3f; localisation F1 on found pairs %.3f)\n",
		r.SegmentF1, r.SegmentPrecision, r.SegmentRecall, r.LocalisationF1)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "family\tpositives\tfound\trecall\tnegatives\tfalse flags\t")
	for _, f := range r.Families {
		rec := "-"
		if f.Positives > 0 {
			rec = fmt.Sprintf("%.2f", f.Recall)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t\n", f.Family, f.Positives, f.Detected, rec, f.Negatives, f.FalseFlags)
	}
	tw.Flush()
	if len(r.Missed) > 0 {
		fmt.Fprintf(w, "\nmissed: %v\n", r.Missed)
	}
	if len(r.Flagged) > 0 {
		fmt.Fprintf(w, "wrong pairs: %v\n", r.Flagged)
	}
}

func writeDump(path string, results []eval.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return models.WrapError(models.EInvalid, err, "dump: cannot create %s", path)
	}
	enc := json.NewEncoder(f)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("dump: %w", err)
		}
	}
	return f.Close()
}

// parallel calls fn(i) for i in [0, n) on up to jobs goroutines and returns
// when all calls are done or ctx is cancelled (the running calls finish).
func parallel(ctx context.Context, jobs, n int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < jobs && w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	defer func() {
		close(next)
		wg.Wait()
	}()
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			return
		}
	}
}
