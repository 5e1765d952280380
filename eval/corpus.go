// Package eval scores copycat's verdicts against a labelled corpus built by
// make_corpus.py (see ../shared/corpus): µAP over one global ranking of
// (query, reference) pairs, precision and recall at the operating threshold,
// false flags on negative queries, segment localisation F1 and recall per
// transformation family. It reads CSV files and does arithmetic; running the
// checks is the caller's business (cli/eval.go).
package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/copycat-video/copycat/models"
)

// Truth is one copied segment: query [QueryStart, QueryEnd] shows
// reference [ReferenceStart, ReferenceEnd].
type Truth struct {
	Query, Reference string
	Segment          models.Segment
	Family           string
}

// Query is one query video of the corpus.
type Query struct {
	ID       string
	Family   string // e.g. "crop" or a combination "crop+mirror"
	Positive bool
	Source   string
}

// Reference is one reference video of the corpus.
type Reference struct {
	ID       string
	Source   string
	Duration float64
}

// Corpus is a loaded corpus directory.
type Corpus struct {
	Dir        string
	Queries    []Query
	References []Reference
	Truth      []Truth
}

// QueryPath is where the video of query id lives.
func (c *Corpus) QueryPath(id string) string { return filepath.Join(c.Dir, "queries", id+".mp4") }

// ReferencePath is where the video of reference id lives.
func (c *Corpus) ReferencePath(id string) string {
	return filepath.Join(c.Dir, "references", id+".mp4")
}

// Load reads truth.csv, queries.csv and references.csv from dir.
func Load(dir string) (*Corpus, error) {
	c := &Corpus{Dir: dir}
	err := readCSV(filepath.Join(dir, "references.csv"), []string{"reference", "source", "duration"}, func(r []string) error {
		d, err := strconv.ParseFloat(r[2], 64)
		if err != nil {
			return fmt.Errorf("duration %q: %w", r[2], err)
		}
		c.References = append(c.References, Reference{ID: r[0], Source: r[1], Duration: d})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readCSV(filepath.Join(dir, "queries.csv"), []string{"query", "family", "positive", "source"}, func(r []string) error {
		if r[2] != "0" && r[2] != "1" {
			return fmt.Errorf("positive %q: want 0 or 1", r[2])
		}
		c.Queries = append(c.Queries, Query{ID: r[0], Family: r[1], Positive: r[2] == "1", Source: r[3]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readCSV(filepath.Join(dir, "truth.csv"), []string{"query", "reference", "query_start", "query_end", "reference_start", "reference_end", "family"}, func(r []string) error {
		var v [4]float64
		for i := range v {
			f, err := strconv.ParseFloat(r[2+i], 64)
			if err != nil {
				return fmt.Errorf("time %q: %w", r[2+i], err)
			}
			v[i] = f
		}
		c.Truth = append(c.Truth, Truth{Query: r[0], Reference: r[1], Family: r[6],
			Segment: models.Segment{QueryStart: v[0], QueryEnd: v[1], ReferenceStart: v[2], ReferenceEnd: v[3]}})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(c.Queries) == 0 || len(c.References) == 0 {
		return nil, models.Errorf(models.EInvalid, "%s: corpus has no queries or no references", dir)
	}
	return c, nil
}

func readCSV(path string, header []string, row func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return models.WrapError(models.EInvalid, err, "corpus: cannot open %s", path)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(header)
	got, err := r.Read()
	if err != nil {
		return models.WrapError(models.EInvalid, err, "corpus: %s: no header", path)
	}
	if strings.Join(got, ",") != strings.Join(header, ",") {
		return models.Errorf(models.EInvalid, "corpus: %s: header %q, want %q", path, strings.Join(got, ","), strings.Join(header, ","))
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return models.WrapError(models.EInvalid, err, "corpus: %s", path)
		}
		if err := row(rec); err != nil {
			return models.WrapError(models.EInvalid, err, "corpus: %s line %d", path, line)
		}
	}
}
