package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/copycat-video/copycat/claims"
	"github.com/copycat-video/copycat/models"
)

// The claims and tokens commands act as the operator: an admin principal
// named after the local user. Whoever can run the binary against the store
// could edit the database directly anyway; the audit trail records
// "cli:<user>" for everything they do.
func operator(env *Env) models.Principal {
	u := env.Getenv("USER")
	if u == "" {
		u = "operator"
	}
	return models.Principal{Role: models.RoleAdmin, Name: "cli:" + u}
}

// maxInputFile bounds the JSON files the claims commands read (complaints,
// fingerprints, policies).
const maxInputFile = 64 << 20

// storeFlags registers --data and --db.
func (env *Env) storeFlags(fs *flag.FlagSet) (data, db *string) {
	data = env.dataFlag(fs)
	db = fs.String("db", env.envOr("COPYCAT_DB", ""), "claims store: empty for SQLite under --data, a SQLite file, or a postgres:// URL (env COPYCAT_DB)")
	return data, db
}

// withClaims opens the claims store and service, runs fn and closes the store.
func withClaims(ctx context.Context, env *Env, data, db string, fn func(*claims.Service) error) error {
	store, err := openServeStore(ctx, data, db)
	if err != nil {
		return err
	}
	defer store.Close()
	// No Verifier here: complaints filed from the CLI are verified when a
	// reviewer looks at them, or by `copycat serve`, which wires the pipeline.
	svc, err := claims.New(claims.Config{Store: store, Log: env.Log})
	if err != nil {
		return err
	}
	return fn(svc)
}

// parseInterleaved parses flags that may come before or after positional
// arguments ("decide ID uphold --reason x") and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runClaims(ctx context.Context, env *Env, args []string) error {
	subs := map[string]func(context.Context, *Env, []string) error{
		"list":           claimsList,
		"show":           claimsShow,
		"decide":         claimsDecide,
		"dispute":        claimsDispute,
		"counter-notice": claimsCounterNotice,
		"file":           claimsFile,
		"complaints":     claimsComplaints,
		"deadlines":      claimsDeadlines,
		"strikes":        claimsStrikes,
		"policy":         claimsPolicy,
	}
	if len(args) == 0 || subs[args[0]] == nil {
		if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
			fmt.Fprintf(env.Stderr, "copycat claims: unknown subcommand %q\n", args[0])
		}
		fmt.Fprint(env.Stderr, `usage: copycat claims SUBCOMMAND [flags]

  list            list claims (filters: --state --platform --origin --org --upload --uploader; --sort --offset --limit)
  show ID         a claim with its evidence and audit trail
  decide ID DECISION --reason R      review | escalate | uphold | reject (release)
  dispute ID --reason REASON         misidentified | licensed | original | fair_use | public_domain
  counter-notice ID --statement S --contact C
  file            file a complaint (--org, --reference or --original-fingerprint, upload ids; or --complaint FILE.json)
  complaints      list complaints
  deadlines       apply passed deadlines once (serve runs this continuously)
  strikes UPLOADER
  policy list | set FILE.json | rm ID

Every subcommand takes --data DIR / --db URL (env COPYCAT_DATA, COPYCAT_DB)
and acts as an admin ("cli:$USER" in the audit trail).
`)
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			if len(args) == 0 {
				return errUsage
			}
			return nil
		}
		return errUsage
	}
	return subs[args[0]](ctx, env, args[1:])
}

func claimsList(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims list")
	data, db := env.storeFlags(fs)
	state := fs.String("state", "", "comma-separated states ("+joinStates()+")")
	platform := fs.String("platform", "", "reference platform")
	origin := fs.String("origin", "", "auto or complaint")
	org := fs.String("org", "", "claimant organisation")
	upload := fs.String("upload", "", "upload id")
	uploader := fs.String("uploader", "", "uploader")
	sort := fs.String("sort", "newest", "newest or deadline (the reviewer queue order)")
	offset := fs.Int("offset", 0, "skip this many claims")
	limit := fs.Int("limit", claims.DefaultLimit, "at most this many claims")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return models.Errorf(models.EInvalid, "unexpected arguments %q", pos)
	}
	q := url.Values{}
	for k, v := range map[string]string{"state": *state, "platform": *platform, "origin": *origin, "org": *org,
		"upload": *upload, "uploader": *uploader, "sort": *sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("offset", strconv.Itoa(*offset))
	q.Set("limit", strconv.Itoa(*limit))
	f, pg, err := claims.ParseFilter(q)
	if err != nil {
		return err
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		page, err := svc.List(ctx, operator(env), f, pg)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, page)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tORIGIN\tACTION\tORG\tUPLOAD\tREFERENCE\tSCORE\tDEADLINE")
		for _, c := range page.Claims {
			dl := "-"
			if !c.Deadline.IsZero() {
				dl = c.Deadline.Format(time.RFC3339)
			}
			st := string(c.State)
			if c.Escalated {
				st += "!"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\n", c.ID, st, c.Origin, c.Action, c.Org, c.Upload.ID, c.Reference.ID, c.Match.Score, dl)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "%d of %d claims (offset %d)\n", len(page.Claims), page.Total, page.Page.Offset)
		return nil
	})
}

func joinStates() string {
	s := make([]string, len(models.ClaimStates))
	for i, st := range models.ClaimStates {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

func claimsShow(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims show")
	data, db := env.storeFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return models.Errorf(models.EInvalid, "want exactly one claim id")
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		d, err := svc.Get(ctx, operator(env), pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, d)
		}
		printClaim(env.Stdout, d)
		return nil
	})
}

func printClaim(w io.Writer, d claims.ClaimDetail) {
	c := d.Claim
	fmt.Fprintf(w, "claim      %s (version %d)\n", c.ID, c.Version)
	st := string(c.State)
	if c.Escalated {
		st += " (escalated)"
	}
	fmt.Fprintf(w, "state      %s\n", st)
	if !c.Deadline.IsZero() {
		fmt.Fprintf(w, "deadline   %s\n", c.Deadline.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "origin     %s  claimant %s  action %s", c.Origin, c.Org, c.Action)
	if c.Verification != "" {
		fmt.Fprintf(w, "  %s", c.Verification)
	}
	fmt.Fprintln(w)
	pub := func(t time.Time) string {
		if t.IsZero() {
			return "unknown"
		}
		return t.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "upload     %s by %q, published %s (%d active strikes)\n", c.Upload.ID, c.Upload.Uploader, pub(c.Upload.Published), d.UploaderStrikes)
	fmt.Fprintf(w, "reference  %s on %s by %q, published %s %s\n", c.Reference.ID, c.Reference.Platform, c.Reference.Author, pub(c.Reference.Published), c.Reference.URL)
	fmt.Fprintf(w, "match      score %.3f, query coverage %.2f, reference coverage %.2f, %.1fs matched\n",
		c.Match.Score, c.Match.QueryCoverage, c.Match.ReferenceCoverage, claims.MatchedDuration(c.Match))
	for _, s := range c.Match.Segments {
		fmt.Fprintf(w, "  segment  upload %.2f–%.2fs ↔ reference %.2f–%.2fs\n", s.QueryStart, s.QueryEnd, s.ReferenceStart, s.ReferenceEnd)
	}
	if n := len(c.Match.Evidence); n > 0 {
		fmt.Fprintf(w, "  evidence %d frame pairs\n", n)
	}
	if c.Note != "" {
		fmt.Fprintf(w, "note       %s\n", c.Note)
	}
	if c.Dispute != nil {
		fmt.Fprintf(w, "dispute    %s by %s at %s: %s\n", c.Dispute.Reason, c.Dispute.By, c.Dispute.At.Format(time.RFC3339), c.Dispute.Statement)
	}
	if c.CounterNotice != nil {
		fmt.Fprintf(w, "counter    by %s at %s (%s): %s\n", c.CounterNotice.By, c.CounterNotice.At.Format(time.RFC3339), c.CounterNotice.Contact, c.CounterNotice.Statement)
	}
	if len(c.ComplaintIDs) > 0 {
		fmt.Fprintf(w, "complaints %s\n", strings.Join(c.ComplaintIDs, ", "))
	}
	fmt.Fprintln(w, "audit trail:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range d.Events {
		move := ""
		if e.To != "" {
			move = string(e.From) + "→" + string(e.To)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s (%s)\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Kind, e.Actor, e.ActorRole, move, e.Reason, e.Detail)
	}
	tw.Flush()
}

func claimsDecide(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims decide")
	data, db := env.storeFlags(fs)
	reason := fs.String("reason", "", "why (required; goes into the audit trail)")
	version := fs.Int64("version", 0, "the claim version the decision is based on (0: current); a changed claim is a conflict")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return models.Errorf(models.EInvalid, "want a claim id and a decision (review, escalate, uphold or reject)")
	}
	d, err := claims.ParseDecision(pos[1])
	if err != nil {
		return err
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		c, err := svc.Decide(ctx, operator(env), pos[0], d, *reason, *version)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s %s (version %d)\n", c.ID, c.State, c.Version)
		return nil
	})
}

func claimsDispute(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims dispute")
	data, db := env.storeFlags(fs)
	reason := fs.String("reason", "", "misidentified, licensed, original, fair_use or public_domain")
	statement := fs.String("statement", "", "the uploader's statement")
	version := fs.Int64("version", 0, "expected claim version (0: current)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return models.Errorf(models.EInvalid, "want exactly one claim id")
	}
	r, err := models.ParseDisputeReason(*reason)
	if err != nil {
		return err
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		c, err := svc.Dispute(ctx, operator(env), pos[0], r, *statement, *version)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s %s until %s (version %d)\n", c.ID, c.State, c.Deadline.Format(time.RFC3339), c.Version)
		return nil
	})
}

func claimsCounterNotice(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims counter-notice")
	data, db := env.storeFlags(fs)
	statement := fs.String("statement", "", "the uploader's sworn statement (required)")
	contact := fs.String("contact", "", "the uploader's contact details (required)")
	version := fs.Int64("version", 0, "expected claim version (0: current)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return models.Errorf(models.EInvalid, "want exactly one claim id")
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		c, err := svc.CounterNotice(ctx, operator(env), pos[0], *statement, *contact, *version)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s %s until %s (version %d)\n", c.ID, c.State, c.Deadline.Format(time.RFC3339), c.Version)
		return nil
	})
}

// readInput reads a file ("-" for stdin) of at most maxInputFile bytes.
func readInput(env *Env, path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = env.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, models.WrapError(models.EInvalid, err, "open %s", path)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInputFile+1))
	if err != nil {
		return nil, models.WrapError(models.EInvalid, err, "read %s", path)
	}
	if len(b) > maxInputFile {
		return nil, models.Errorf(models.ETooLarge, "%s is larger than %d MiB", path, maxInputFile>>20)
	}
	return b, nil
}

// decodeFingerprint reads the output of `copycat fingerprint`: one
// fingerprint as JSON (the first line when the file holds JSON lines).
func decodeFingerprint(b []byte) (*models.Fingerprint, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var fp models.Fingerprint
	if err := dec.Decode(&fp); err != nil {
		return nil, models.WrapError(models.EInvalid, err, "fingerprint: malformed JSON")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, models.Errorf(models.EInvalid, "fingerprint file holds more than one fingerprint; give one original")
	}
	if len(fp.Frames) == 0 {
		return nil, models.Errorf(models.EInvalid, "fingerprint has no frames")
	}
	return &fp, nil
}

func claimsFile(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims file")
	data, db := env.storeFlags(fs)
	jsonFile := fs.String("complaint", "", "read the whole complaint from this JSON file (- for stdin) instead of flags")
	org := fs.String("org", "", "the complaining organisation (required)")
	ref := fs.String("reference", "", "the original: an indexed reference id")
	fpFile := fs.String("original-fingerprint", "", "the original: a fingerprint file written by `copycat fingerprint`")
	platform := fs.String("platform", "", "where the original was first published")
	pubURL := fs.String("url", "", "URL of the first publication")
	published := fs.String("published", "", "when the original was first published (RFC 3339)")
	title := fs.String("title", "", "title of the original")
	action := fs.String("action", "takedown", "requested action: track, attribute, review, takedown or block")
	statement := fs.String("statement", "", "the complaint's statement")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	uploads, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	var req claims.ComplaintRequest
	if *jsonFile != "" {
		if *ref != "" || *fpFile != "" || len(uploads) > 0 {
			return models.Errorf(models.EInvalid, "--complaint replaces --reference, --original-fingerprint and upload arguments")
		}
		b, err := readInput(env, *jsonFile)
		if err != nil {
			return err
		}
		if req, err = claims.DecodeComplaint(b); err != nil {
			return err
		}
		if *org != "" {
			req.Org = *org
		}
	} else {
		a, err := models.ParseAction(*action)
		if err != nil {
			return err
		}
		req = claims.ComplaintRequest{Org: *org, UploadIDs: uploads, Action: a, Statement: *statement,
			Original: models.ComplaintOriginal{ReferenceID: *ref, Title: *title, Published: models.Publication{Platform: *platform, URL: *pubURL}}}
		if *published != "" {
			at, err := time.Parse(time.RFC3339, *published)
			if err != nil {
				return models.Errorf(models.EInvalid, "--published %q: want RFC 3339, e.g. 2026-01-31T18:00:00Z", *published)
			}
			req.Original.Published.At = at.UTC()
		}
		if *fpFile != "" {
			b, err := readInput(env, *fpFile)
			if err != nil {
				return err
			}
			if req.Original.Fingerprint, err = decodeFingerprint(b); err != nil {
				return models.WrapError(models.EInvalid, err, "%s", *fpFile)
			}
		}
	}
	if req.Org == "" {
		return models.Errorf(models.EInvalid, "--org is required")
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		d, err := svc.FileComplaint(ctx, operator(env), req)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, d)
		}
		fmt.Fprintf(env.Stdout, "complaint %s filed for %s\n", d.Complaint.ID, d.Complaint.Org)
		for _, c := range d.Claims {
			fmt.Fprintf(env.Stdout, "  %s  upload %s  %s  %s  %s\n", c.ID, c.Upload.ID, c.State, c.Verification, c.Note)
		}
		return nil
	})
}

func claimsComplaints(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims complaints")
	data, db := env.storeFlags(fs)
	offset := fs.Int("offset", 0, "skip this many complaints")
	limit := fs.Int("limit", claims.DefaultLimit, "at most this many complaints")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		cs, total, err := svc.Complaints(ctx, operator(env), claims.Page{Offset: *offset, Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, map[string]any{"complaints": cs, "total": total})
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tORG\tORIGINAL\tUPLOADS\tCLAIMS\tCREATED")
		for _, c := range cs {
			orig := c.Original.ReferenceID
			if orig == "" {
				orig = "fingerprint " + c.Original.Fingerprint.Source.SHA256
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", c.ID, c.Org, orig, len(c.UploadIDs), strings.Join(c.ClaimIDs, ","), c.Created.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

func claimsDeadlines(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims deadlines")
	data, db := env.storeFlags(fs)
	at := fs.String("now", "", "apply deadlines as of this RFC 3339 time instead of now")
	if err := parse(fs, args); err != nil {
		return err
	}
	now := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return models.Errorf(models.EInvalid, "--now %q: want RFC 3339", *at)
		}
		now = t
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		rep, err := svc.ProcessDeadlines(ctx, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "escalated %d, released %d, finalised %d, reinstated %d, conflicts %d\n",
			rep.Escalated, rep.Released, rep.Finalised, rep.Reinstated, rep.Conflicts)
		return nil
	})
}

func claimsStrikes(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims strikes")
	data, db := env.storeFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return models.Errorf(models.EInvalid, "want exactly one uploader")
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		s, err := svc.Strikes(ctx, operator(env), pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, s)
		}
		fmt.Fprintf(env.Stdout, "%s: %d active strike(s)\n", s.Uploader, s.Active)
		for _, st := range s.Strikes {
			status := "expires " + st.Expires.Format(time.DateOnly)
			if !st.Voided.IsZero() {
				status = "voided " + st.Voided.Format(time.DateOnly)
			}
			fmt.Fprintf(env.Stdout, "  claim %s  %s  %s\n", st.ClaimID, st.Created.Format(time.DateOnly), status)
		}
		return nil
	})
}

func claimsPolicy(ctx context.Context, env *Env, args []string) error {
	fs := env.newFlags("claims policy")
	data, db := env.storeFlags(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return models.Errorf(models.EInvalid, "want list, set FILE.json or rm ID")
	}
	return withClaims(ctx, env, *data, *db, func(svc *claims.Service) error {
		p := operator(env)
		switch {
		case pos[0] == "list" && len(pos) == 1:
			ps, err := svc.Policies(ctx, p)
			if err != nil {
				return err
			}
			return writeJSON(env.Stdout, ps)
		case pos[0] == "set" && len(pos) == 2:
			b, err := readInput(env, pos[1])
			if err != nil {
				return err
			}
			pol, err := claims.DecodePolicy(b)
			if err != nil {
				return err
			}
			if pol, err = svc.SetPolicy(ctx, p, pol); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "policy %s set for %s\n", pol.ID, pol.Org)
			return nil
		case pos[0] == "rm" && len(pos) == 2:
			if err := svc.DeletePolicy(ctx, p, pos[1]); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "policy %s removed\n", pos[1])
			return nil
		}
		return models.Errorf(models.EInvalid, "want list, set FILE.json or rm ID")
	})
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
