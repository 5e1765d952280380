package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/models"
	"github.com/copycat-video/copycat/pipeline"
)

// defaultPlatform is the platform of references added without --platform:
// some rival platform, as opposed to our own (models.PlatformSelf).
const defaultPlatform = "external"

// runRefs dispatches `copycat refs add|import|list|rm`.
func runRefs(ctx context.Context, env *Env, args []string) error {
	sub := map[string]func(context.Context, *Env, []string) error{
		"add": runRefsAdd, "import": runRefsImport, "list": runRefsList, "rm": runRefsRm,
	}
	if len(args) == 0 || sub[args[0]] == nil {
		if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
			fmt.Fprintf(env.Stderr, "copycat refs: unknown subcommand %q\n", args[0])
		}
		fmt.Fprintln(env.Stderr, "usage: copycat refs add|import|list|rm [flags] [args]\n\n"+
			"  add [--platform P] [--id ID] [--author A] [--url U] [--published T] VIDEO...\n"+
			"  import MANIFEST|DIR   bulk import (CSV or JSON lines: path, platform, id, author, url, published)\n"+
			"  list                  list indexed videos\n"+
			"  rm ID...              remove videos from the index")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return errUsage
	}
	return sub[args[0]](ctx, env, args[1:])
}

// backendFlags are the flags every command that opens the index shares.
type backendFlags struct {
	data, index *string
}

func (env *Env) backendFlags(fs *flag.FlagSet) backendFlags {
	return backendFlags{data: env.dataFlag(fs), index: env.indexFlag(fs)}
}

// openChecker opens the index and a pipeline on it.
func (b backendFlags) openChecker(ctx context.Context, env *Env) (*pipeline.Checker, index.Index, error) {
	idx, err := openIndex(ctx, env, *b.data, *b.index)
	if err != nil {
		return nil, nil, err
	}
	c, err := pipeline.New(pipeline.Config{Index: idx, Log: env.Log})
	if err != nil {
		idx.Close()
		return nil, nil, err
	}
	return c, idx, nil
}

// parsePublished accepts RFC 3339 times and plain dates (UTC).
func parsePublished(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, models.Errorf(models.EInvalid, "published time %q: want RFC 3339 (2024-05-01T12:00:00Z) or a date (2024-05-01)", s)
}

// idFromPath is the default video id: the file name without extension.
func idFromPath(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

func runRefsAdd(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("refs add")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: copycat refs add [--platform P] [--id ID] [--author A] [--url U] [--published T] VIDEO...\n\n"+
			"Fingerprints and indexes reference videos. The id defaults to the file name\n"+
			"without extension; --id is only allowed with a single video.\n\nflags:")
		fs.PrintDefaults()
	}
	bf := env.backendFlags(fs)
	platform := fs.String("platform", defaultPlatform, "platform the videos were published on (e.g. tiktok); \"self\" for our own uploads")
	id := fs.String("id", "", "video id (default: file name without extension)")
	author := fs.String("author", "", "author or channel")
	url := fs.String("url", "", "URL of the original")
	published := fs.String("published", "", "publish time, RFC 3339 or YYYY-MM-DD")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	if *id != "" && fs.NArg() > 1 {
		return models.Errorf(models.EInvalid, "--id names one video, but %d were given", fs.NArg())
	}
	pub, err := parsePublished(*published)
	if err != nil {
		return err
	}
	checker, idx, err := bf.openChecker(ctx, env)
	if err != nil {
		return err
	}
	defer idx.Close()
	failed := 0
	for _, path := range fs.Args() {
		v := models.Video{ID: *id, Platform: *platform, Author: *author, URL: *url, Published: pub}
		if v.ID == "" {
			v.ID = idFromPath(path)
		}
		abs, err := filepath.Abs(path)
		if err == nil {
			v.Path = abs
		}
		added, err := checker.AddReference(ctx, path, v)
		if err != nil {
			failed++
			fmt.Fprintf(env.Stderr, "copycat refs add: %s: %s\n", path, oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(env.Stdout, "added %s (%s, %.1f s)\n", added.ID, added.Platform, added.Duration)
	}
	if failed > 0 {
		return models.Errorf(models.EInvalid, "%d of %d videos failed", failed, fs.NArg())
	}
	return nil
}

// importItem is one video to import.
type importItem struct {
	line int // manifest line, 0 for directory imports
	path string
	v    models.Video
}

func runRefsImport(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("refs import")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: copycat refs import [--jobs N] [--platform P] MANIFEST|DIR\n\n"+
			"Bulk import. MANIFEST is CSV (a header naming the columns path, platform,\n"+
			"id, author, url, published; only path is required) or JSON lines with the\n"+
			"same keys; relative paths are relative to the manifest. DIR imports every\n"+
			"video below it with the file name as id. Videos whose id is already indexed\n"+
			"are skipped, so an interrupted import can be re-run. Failures are reported\n"+
			"at the end; they do not stop the batch.\n\nflags:")
		fs.PrintDefaults()
	}
	bf := env.backendFlags(fs)
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "videos fingerprinted in parallel")
	platform := fs.String("platform", defaultPlatform, "platform for rows (or directory files) without one")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	if *jobs < 1 {
		return models.Errorf(models.EInvalid, "--jobs must be at least 1")
	}
	src := fs.Arg(0)
	st, err := os.Stat(src)
	if err != nil {
		return models.WrapError(models.EInvalid, err, "%s: cannot open", src)
	}
	var (
		items    []importItem
		problems []string // malformed manifest lines
	)
	if st.IsDir() {
		paths, err := expandVideos([]string{src})
		if err != nil {
			return err
		}
		for _, p := range paths {
			items = append(items, importItem{path: p, v: models.Video{ID: idFromPath(p), Platform: *platform}})
		}
	} else {
		f, err := os.Open(src)
		if err != nil {
			return models.WrapError(models.EInvalid, err, "%s: cannot open", src)
		}
		items, problems, err = parseManifest(f, filepath.Dir(src), *platform)
		f.Close()
		if err != nil {
			return models.WrapError(models.EInvalid, err, "%s", src)
		}
	}
	for _, p := range problems {
		fmt.Fprintf(env.Stderr, "copycat refs import: %s: %s\n", src, p)
	}
	// Two rows with one id would race to replace each other: keep the first.
	seen := map[string]int{}
	dedup := items[:0]
	for _, it := range items {
		if first, ok := seen[it.v.ID]; ok {
			problems = append(problems, fmt.Sprintf("line %d: id %q already on line %d, skipped", it.line, it.v.ID, first))
			fmt.Fprintf(env.Stderr, "copycat refs import: %s: %s\n", src, problems[len(problems)-1])
			continue
		}
		seen[it.v.ID] = it.line
		dedup = append(dedup, it)
	}
	items = dedup

	checker, idx, err := bf.openChecker(ctx, env)
	if err != nil {
		return err
	}
	defer idx.Close()

	bar := newProgress(env, len(items), "videos")
	var (
		mu       sync.Mutex
		added    int
		skipped  int
		failures []string
	)
	parallel(ctx, *jobs, len(items), func(i int) {
		it := items[i]
		defer bar.Add(1)
		if _, err := idx.Video(ctx, it.v.ID); err == nil {
			mu.Lock()
			skipped++
			mu.Unlock()
			return
		}
		_, err := checker.AddReference(ctx, it.path, it.v)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s (%s): %s", it.path, it.v.ID, oneLine(err.Error())))
			return
		}
		added++
	})
	bar.Finish()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import interrupted after %d videos (re-run to resume): %w", added, err)
	}
	sort.Strings(failures)
	for _, f := range failures {
		fmt.Fprintf(env.Stderr, "copycat refs import: failed: %s\n", f)
	}
	fmt.Fprintf(env.Stdout, "imported %d, skipped %d already indexed, failed %d, malformed lines %d\n",
		added, skipped, len(failures), len(problems))
	if n := len(failures) + len(problems); n > 0 {
		return models.Errorf(models.EInvalid, "%d of %d entries not imported (see above)", n, len(items)+len(problems)-countDup(problems))
	}
	return nil
}

// countDup counts duplicate-id problems, which are also in items' count.
func countDup(problems []string) int {
	n := 0
	for _, p := range problems {
		if strings.Contains(p, "already on line") {
			n++
		}
	}
	return n
}

// manifestRow is one manifest entry, as JSON lines spell it.
type manifestRow struct {
	Path      string `json:"path"`
	Platform  string `json:"platform"`
	ID        string `json:"id"`
	Author    string `json:"author"`
	URL       string `json:"url"`
	Published string `json:"published"`
}

var manifestColumns = []string{"path", "platform", "id", "author", "url", "published"}

// parseManifest reads a CSV or JSON-lines manifest. Rows that do not parse
// or validate are returned as problems (with their line numbers) and left
// out; only an unreadable manifest is an error.
func parseManifest(r io.Reader, base, platform string) ([]importItem, []string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF}) // spreadsheet byte order mark
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, nil, models.Errorf(models.EInvalid, "manifest is empty")
	}
	br := bytes.NewReader(data)
	var rows []manifestRow
	var lines []int
	var problems []string
	if trimmed[0] == '{' {
		sc := bufio.NewScanner(br)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var row manifestRow
			dec := json.NewDecoder(strings.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&row); err != nil {
				problems = append(problems, fmt.Sprintf("line %d: not a JSON object with keys %s: %v", n, strings.Join(manifestColumns, ", "), err))
				continue
			}
			rows = append(rows, row)
			lines = append(lines, n)
		}
		if err := sc.Err(); err != nil {
			return nil, problems, err
		}
	} else {
		cr := csv.NewReader(br)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = false
		header, err := cr.Read()
		if err != nil {
			return nil, nil, models.WrapError(models.EInvalid, err, "manifest header")
		}
		col := map[string]int{}
		for i, h := range header {
			col[strings.ToLower(strings.TrimSpace(h))] = i
		}
		start := 2
		if _, ok := col["path"]; !ok {
			// No header: the columns are in the documented order.
			col = map[string]int{}
			for i, c := range manifestColumns {
				col[c] = i
			}
			start = 1
		} else {
			for h := range col {
				if !contains(manifestColumns, h) {
					return nil, nil, models.Errorf(models.EInvalid, "manifest header: unknown column %q (want %s)", h, strings.Join(manifestColumns, ", "))
				}
			}
		}
		get := func(rec []string, name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if start == 1 {
			rows = append(rows, manifestRow{get(header, "path"), get(header, "platform"), get(header, "id"), get(header, "author"), get(header, "url"), get(header, "published")})
			lines = append(lines, 1)
		}
		for n := start; ; n++ {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					problems = append(problems, fmt.Sprintf("line %d: %v", pe.Line, pe.Err))
					continue
				}
				return nil, problems, err
			}
			if len(rec) > len(col) && start == 2 {
				problems = append(problems, fmt.Sprintf("line %d: %d fields, header has %d", n, len(rec), len(col)))
				continue
			}
			rows = append(rows, manifestRow{get(rec, "path"), get(rec, "platform"), get(rec, "id"), get(rec, "author"), get(rec, "url"), get(rec, "published")})
			lines = append(lines, n)
		}
	}
	var items []importItem
	for i, row := range rows {
		it, err := row.item(base, platform)
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %s", lines[i], models.ErrorMessage(err)))
			continue
		}
		it.line = lines[i]
		items = append(items, it)
	}
	return items, problems, nil
}

func (row manifestRow) item(base, platform string) (importItem, error) {
	if row.Path == "" {
		return importItem{}, models.Errorf(models.EInvalid, "path is empty")
	}
	path := row.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(base, path)
	}
	pub, err := parsePublished(row.Published)
	if err != nil {
		return importItem{}, err
	}
	v := models.Video{ID: row.ID, Platform: row.Platform, Author: row.Author, URL: row.URL, Published: pub, Path: path}
	if v.ID == "" {
		v.ID = idFromPath(path)
	}
	if v.Platform == "" {
		v.Platform = platform
	}
	if err := v.Validate(); err != nil {
		return importItem{}, err
	}
	return importItem{path: path, v: v}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func runRefsList(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("refs list")
	bf := env.backendFlags(fs)
	asJSON := fs.Bool("json", false, "one JSON object per video")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	idx, err := openIndex(ctx, env, *bf.data, *bf.index)
	if err != nil {
		return err
	}
	defer idx.Close()
	var tw *tabwriter.Writer
	enc := json.NewEncoder(env.Stdout)
	if !*asJSON {
		tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPLATFORM\tDURATION\tPUBLISHED\tAUTHOR\tURL")
	}
	after := ""
	for {
		page, err := idx.Videos(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("list videos: %w", err)
		}
		for _, v := range page {
			if *asJSON {
				if err := enc.Encode(v); err != nil {
					return err
				}
				continue
			}
			pub := "-"
			if !v.Published.IsZero() {
				pub = v.Published.Format("2006-01-02")
			}
			fmt.Fprintf(tw, "%s\t%s\t%.1fs\t%s\t%s\t%s\n", v.ID, v.Platform, v.Duration, pub, dash(v.Author), dash(v.URL))
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runRefsRm(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("refs rm")
	bf := env.backendFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(env.Stderr, "usage: copycat refs rm ID...")
		return errUsage
	}
	idx, err := openIndex(ctx, env, *bf.data, *bf.index)
	if err != nil {
		return err
	}
	defer idx.Close()
	failed := 0
	for _, id := range fs.Args() {
		if err := idx.Delete(ctx, id); err != nil {
			failed++
			if models.ErrorCode(err) == models.ENotFound {
				fmt.Fprintf(env.Stderr, "copycat refs rm: %s: no such video\n", id)
			} else {
				fmt.Fprintf(env.Stderr, "copycat refs rm: %s: %s\n", id, oneLine(err.Error()))
			}
			continue
		}
		fmt.Fprintf(env.Stdout, "removed %s\n", id)
	}
	if failed > 0 {
		return models.Errorf(models.ENotFound, "%d of %d ids not removed", failed, fs.NArg())
	}
	return nil
}
