// Package milvus is the index.Index backend on a Milvus vector database
// (github.com/milvus-io/milvus-sdk-go/v2), for reference catalogues that
// outgrow one machine. It is the only package that imports the Milvus SDK:
// SDK columns, results and errors never leave it.
//
// # Layout in Milvus
//
// An index is a collection prefix P (from milvus://host:port/P) and four
// collections:
//
//   - P_phash, P_ahash, P_dhash: one row per indexed frame hash of that kind:
//     pk (our own int64 primary key, random per row), vid (the video's int64
//     ordinal), video (the video id), platform, t (frame time, seconds) and
//     bits, a 64-dimension BINARY_VECTOR searched with the HAMMING metric.
//     Kinds live in separate collections so they can never be compared.
//   - P_videos: one row per video: vid (primary key), id, platform, and meta,
//     the models.Video as JSON. Milvus 2.3 insists on a vector field in every
//     collection, so the row also carries a one-byte placeholder vector.
//
// Everything, the catalogue included, lives in Milvus so that several
// copycat processes share one index and a reopened client sees it all.
//
// # Consistency
//
// index.Index promises read-your-writes. Milvus reads are eventually
// consistent by default, so every search and query here asks for Strong
// consistency: the query node waits until it has applied every write that
// was acknowledged before the read started. Writes are durable once Insert
// returns (they are in Milvus's write-ahead message queue), so Add does not
// Flush, which would only seal tiny segments.
package milvus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/milvus-io/milvus-sdk-go/v2/client"
	"github.com/milvus-io/milvus-sdk-go/v2/entity"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/models"
)

var _ index.Index = (*Index)(nil)

// DefaultPrefix names the collections when the address has no path.
const DefaultPrefix = "copycat"

// Index types the backend can build on the frame collections.
const (
	// IndexBinFlat is an exact scan: the default, chosen by measurement
	// (BenchmarkIndexTypes).
	IndexBinFlat = "BIN_FLAT"
	// IndexBinIVFFlat clusters the codes. On Milvus 2.3 its range search
	// is approximate whatever NProbe: knowhere walks the clusters nearest
	// first and stops at the first one without a hit (milvus-io/milvus
	// #34199), which found 35-50 % of the frames within radius 10 in
	// BenchmarkIndexTypes. It breaks index.Index's exactness and is here
	// only so that the measurement can be repeated on newer servers.
	IndexBinIVFFlat = "BIN_IVF_FLAT"
)

// Field and collection names. Changing any of them orphans existing data.
const (
	fieldPK       = "pk"
	fieldVID      = "vid"
	fieldVideo    = "video"
	fieldPlatform = "platform"
	fieldT        = "t"
	fieldBits     = "bits"
	fieldID       = "id"
	fieldMeta     = "meta"
	fieldDummy    = "placeholder"
	videosSuffix  = "videos"

	hashDim = 64 // bits per hash: models.Hash64
	// maxMeta bounds the JSON of one models.Video; Validate keeps real
	// videos far below it (the longest fields add up to ~11 KB).
	maxMeta = 65535
	// maxTopK is Milvus's cap on the results of one search query.
	maxTopK = 16384
	// maxNQ is Milvus's cap on query vectors per search call.
	maxNQ = 16384
)

// Options tune Open. The zero value is usable.
type Options struct {
	// Logger receives retries and slow operations; nil discards.
	Logger *slog.Logger
	// Create makes the collections when they are missing. Without it a
	// missing collection is an ENotFound error, so that a typo in the
	// address does not silently start an empty index.
	Create bool
	// DialTimeout bounds one connection attempt (default 10s).
	DialTimeout time.Duration
	// Retry governs reconnecting when the server is unreachable at Open
	// and retrying reads that failed because it was (default: 4 attempts,
	// 200ms doubling to 5s). A long-running server sets more attempts.
	Retry RetryPolicy
	// IndexType is used when Create makes the frame collections:
	// IndexBinFlat (default, exact) or IndexBinIVFFlat (approximate on
	// Milvus 2.3, see there). Existing collections keep the index they have.
	IndexType string
	// NList is the number of clusters for IndexBinIVFFlat (default 1024).
	NList int
	// NProbe is the number of clusters an IndexBinIVFFlat search scans
	// (default 0: all of them, exact, as the index contract requires).
	NProbe int
	// Shards is the number of insert channels per new collection
	// (default 1: one standalone server gains nothing from more).
	Shards int
}

// numLocks is the number of stripes serialising writes to one video.
const numLocks = 64

// Index is a Milvus-backed index.Index. It is safe for concurrent use.
type Index struct {
	c      client.Client
	addr   string
	prefix string
	log    *slog.Logger
	retry  RetryPolicy

	// locks serialises Add and Delete of one video id within this process
	// so that two concurrent re-adds cannot both keep their rows.
	locks [numLocks]sync.Mutex

	// bounded switches reads to Bounded consistency; only benchmarks set
	// it, to price Strong reads.
	bounded bool

	mu     sync.Mutex
	closed bool
	rng    *rand.Rand                    // guarded by mu
	ivf    map[models.HashKind]ivfParams // guarded by mu; absent for BIN_FLAT
}

// Target is a parsed milvus:// address.
type Target struct {
	Addr   string // host:port of the proxy
	Prefix string // collection prefix
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	hostRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$`)
)

// ParseTarget parses "milvus://host:port/prefix", "host:port/prefix" or
// "host:port" (prefix DefaultPrefix). The port defaults to 19530.
func ParseTarget(s string) (Target, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Target{}, models.Errorf(models.EInvalid, "milvus address is empty")
	}
	if !strings.Contains(raw, "://") {
		raw = "milvus://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, models.WrapError(models.EInvalid, err, "milvus address %q", s)
	}
	if u.Scheme != "milvus" {
		return Target{}, models.Errorf(models.EInvalid, "milvus address %q: scheme %q, want milvus://", s, u.Scheme)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Target{}, models.Errorf(models.EInvalid, "milvus address %q: credentials, query and fragment are not supported", s)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return Target{}, models.Errorf(models.EInvalid, "milvus address %q: no host", s)
	}
	if net.ParseIP(host) == nil && !hostRE.MatchString(host) {
		return Target{}, models.Errorf(models.EInvalid, "milvus address %q: bad host %q", s, host)
	}
	if port == "" {
		port = "19530"
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return Target{}, models.Errorf(models.EInvalid, "milvus address %q: bad port %q", s, port)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix == "" {
		prefix = DefaultPrefix
	}
	// Milvus collection names: a letter or underscore, then letters,
	// digits and underscores, 255 at most (we append up to 7 bytes).
	if !nameRE.MatchString(prefix) || len(prefix) > 200 {
		return Target{}, models.Errorf(models.EInvalid,
			"milvus address %q: collection %q must be letters, digits and underscores, starting with a letter, at most 200 long", s, prefix)
	}
	return Target{Addr: net.JoinHostPort(host, port), Prefix: prefix}, nil
}

// String returns the canonical milvus:// form.
func (t Target) String() string { return "milvus://" + t.Addr + "/" + t.Prefix }

// Open connects to the Milvus server named by addr (see ParseTarget) and
// opens the index under its collection prefix, creating it when
// opts.Create is set. Unreachable servers are retried per opts.Retry.
func Open(ctx context.Context, addr string, opts Options) (*Index, error) {
	tg, err := ParseTarget(addr)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	x := &Index{
		addr:   tg.Addr,
		prefix: tg.Prefix,
		log:    opts.Logger.With("milvus", tg.Addr, "collection", tg.Prefix),
		retry:  opts.Retry,
		ivf:    map[models.HashKind]ivfParams{},
		rng:    rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	err = x.retry.Do(ctx, x.log, "connect", func(ctx context.Context) error {
		c, err := dial(ctx, tg.Addr, opts.DialTimeout)
		if err != nil {
			return err
		}
		x.c = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := x.prepare(ctx, opts); err != nil {
		_ = x.c.Close()
		return nil, err
	}
	return x, nil
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	o.Retry = o.Retry.withDefaults()
	if o.IndexType == "" {
		o.IndexType = IndexBinFlat
	}
	if o.NList <= 0 {
		o.NList = 1024
	}
	if o.Shards <= 0 {
		o.Shards = 1
	}
	return o
}

// dial connects and checks that the server answers, bounded by timeout.
func dial(ctx context.Context, addr string, timeout time.Duration) (client.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := client.NewClient(dctx, client.Config{Address: addr})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if dctx.Err() != nil {
			return nil, models.WrapError(models.EUnavailable, err, "milvus at %s: no answer within %s", addr, timeout)
		}
		return nil, classify(err, "milvus at %s: connect", addr)
	}
	return c, nil
}

// Ping connects to the server at addr (host:port or milvus:// form) and
// makes two real calls, the server version and the collection list, as the
// readiness check of scripts/milvus.sh. It returns the server version.
func Ping(ctx context.Context, addr string, timeout time.Duration) (string, error) {
	tg, err := ParseTarget(addr)
	if err != nil {
		return "", err
	}
	c, err := dial(ctx, tg.Addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := c.GetVersion(cctx)
	if err != nil {
		return "", classify(err, "milvus at %s: version", tg.Addr)
	}
	if _, err := c.ListCollections(cctx); err != nil {
		return "", classify(err, "milvus at %s: list collections", tg.Addr)
	}
	return v, nil
}

func (x *Index) collection(k models.HashKind) string { return x.prefix + "_" + string(k) }
func (x *Index) videos() string                      { return x.prefix + "_" + videosSuffix }

// Addr returns where the index lives, in milvus:// form.
func (x *Index) Addr() string { return Target{Addr: x.addr, Prefix: x.prefix}.String() }

// prepare checks (or creates) the collections, their indexes and loads
// them into memory, which Milvus requires before any search or query.
func (x *Index) prepare(ctx context.Context, opts Options) error {
	names := []string{x.videos()}
	for _, k := range models.HashKinds {
		names = append(names, x.collection(k))
	}
	// Collections are independent; creating and loading them together
	// takes a quarter of the time.
	return parallel(ctx, len(names), func(ctx context.Context, i int) error {
		return x.prepareOne(ctx, names[i], opts)
	})
}

func (x *Index) prepareOne(ctx context.Context, name string, opts Options) error {
	var has bool
	err := x.retry.Do(ctx, x.log, "has collection", func(ctx context.Context) error {
		var err error
		has, err = x.c.HasCollection(ctx, name)
		return classify(err, "milvus at %s: has collection %s", x.addr, name)
	})
	if err != nil {
		return err
	}
	want := x.schema(name)
	if !has {
		if !opts.Create {
			return models.Errorf(models.ENotFound,
				"milvus at %s: collection %s not found (index %s does not exist; create it with an ingest first)",
				x.addr, name, x.prefix)
		}
		if err := x.create(ctx, want, opts); err != nil {
			return err
		}
	} else if err := x.checkSchema(ctx, want); err != nil {
		return err
	}
	if err := x.ensureIndex(ctx, name, opts); err != nil {
		return err
	}
	if err := x.c.LoadCollection(ctx, name, false); err != nil {
		return classify(err, "milvus at %s: load collection %s", x.addr, name)
	}
	return nil
}

func (x *Index) schema(name string) *entity.Schema {
	pk := func(n string) *entity.Field {
		return entity.NewField().WithName(n).WithDataType(entity.FieldTypeInt64).WithIsPrimaryKey(true).WithIsAutoID(false)
	}
	if name == x.videos() {
		return entity.NewSchema().WithName(name).
			WithDescription("copycat videos (metadata of the indexed videos)").
			WithField(pk(fieldVID)).
			WithField(entity.NewField().WithName(fieldID).WithDataType(entity.FieldTypeVarChar).WithMaxLength(256)).
			WithField(entity.NewField().WithName(fieldPlatform).WithDataType(entity.FieldTypeVarChar).WithMaxLength(64)).
			WithField(entity.NewField().WithName(fieldMeta).WithDataType(entity.FieldTypeVarChar).WithMaxLength(maxMeta)).
			WithField(entity.NewField().WithName(fieldDummy).WithDataType(entity.FieldTypeBinaryVector).WithDim(8))
	}
	return entity.NewSchema().WithName(name).
		WithDescription("copycat frame hashes").
		WithField(pk(fieldPK)).
		WithField(entity.NewField().WithName(fieldVID).WithDataType(entity.FieldTypeInt64)).
		WithField(entity.NewField().WithName(fieldVideo).WithDataType(entity.FieldTypeVarChar).WithMaxLength(256)).
		WithField(entity.NewField().WithName(fieldPlatform).WithDataType(entity.FieldTypeVarChar).WithMaxLength(64)).
		WithField(entity.NewField().WithName(fieldT).WithDataType(entity.FieldTypeDouble)).
		WithField(entity.NewField().WithName(fieldBits).WithDataType(entity.FieldTypeBinaryVector).WithDim(hashDim))
}

func (x *Index) create(ctx context.Context, s *entity.Schema, opts Options) error {
	err := x.c.CreateCollection(ctx, s, int32(opts.Shards), client.WithConsistencyLevel(entity.ClStrong))
	if err != nil {
		// Another process may have created it between our check and now.
		if has, herr := x.c.HasCollection(ctx, s.CollectionName); herr == nil && has {
			return x.checkSchema(ctx, s)
		}
		return classify(err, "milvus at %s: create collection %s", x.addr, s.CollectionName)
	}
	x.log.Info("created milvus collection", "name", s.CollectionName)
	return nil
}

// checkSchema refuses collections that are not ours, rather than failing
// later with an obscure field error.
func (x *Index) checkSchema(ctx context.Context, want *entity.Schema) error {
	coll, err := x.c.DescribeCollection(ctx, want.CollectionName)
	if err != nil {
		return classify(err, "milvus at %s: describe collection %s", x.addr, want.CollectionName)
	}
	have := map[string]entity.FieldType{}
	for _, f := range coll.Schema.Fields {
		have[f.Name] = f.DataType
	}
	for _, f := range want.Fields {
		if t, ok := have[f.Name]; !ok || t != f.DataType {
			return models.Errorf(models.EInvalid,
				"milvus at %s: collection %s is not a copycat index (field %s missing or of another type)",
				x.addr, want.CollectionName, f.Name)
		}
	}
	return nil
}

// ensureIndex builds the vector index when the collection has none (a new
// collection, or one whose creator crashed before indexing) and records
// the search parameters the existing index needs.
func (x *Index) ensureIndex(ctx context.Context, name string, opts Options) error {
	field := fieldBits
	if name == x.videos() {
		field = fieldDummy
	}
	idxs, err := x.c.DescribeIndex(ctx, name, field)
	if err == nil && len(idxs) > 0 {
		x.noteIndex(name, idxs[0].IndexType(), idxs[0].Params(), opts.NProbe)
		return nil
	}
	if !opts.Create {
		return models.Errorf(models.EInvalid, "milvus at %s: collection %s has no vector index", x.addr, name)
	}
	var idx entity.Index
	if field == fieldBits && opts.IndexType == IndexBinIVFFlat {
		idx, err = entity.NewIndexBinIvfFlat(entity.HAMMING, opts.NList)
	} else if field == fieldBits && opts.IndexType != IndexBinFlat {
		return models.Errorf(models.EInvalid, "milvus index type %q: want %s or %s", opts.IndexType, IndexBinFlat, IndexBinIVFFlat)
	} else {
		idx, err = entity.NewIndexBinFlat(entity.HAMMING, 1)
	}
	if err != nil {
		return models.WrapError(models.EInvalid, err, "milvus index parameters")
	}
	if err := x.c.CreateIndex(ctx, name, field, idx, false); err != nil {
		// A concurrent creator may have won the race.
		if idxs, derr := x.c.DescribeIndex(ctx, name, field); derr == nil && len(idxs) > 0 {
			x.noteIndex(name, idxs[0].IndexType(), idxs[0].Params(), opts.NProbe)
			return nil
		}
		return classify(err, "milvus at %s: create index on %s", x.addr, name)
	}
	x.noteIndex(name, idx.IndexType(), idx.Params(), opts.NProbe)
	return nil
}

// noteIndex remembers the cluster count of IVF collections: a search
// scans all of them (exact, as index.Index requires) unless Options.NProbe
// or SetNProbe asks for fewer.
func (x *Index) noteIndex(name string, typ entity.IndexType, params map[string]string, nprobe int) {
	if string(typ) != IndexBinIVFFlat {
		return
	}
	nlist := 0
	if v, ok := params["nlist"]; ok {
		nlist, _ = strconv.Atoi(v)
	}
	var p struct {
		NList json.Number `json:"nlist"`
	}
	if nlist <= 0 && json.Unmarshal([]byte(params["params"]), &p) == nil {
		n, _ := p.NList.Int64()
		nlist = int(n)
	}
	if nlist <= 0 {
		nlist = 65536 // Milvus's maximum: scanning "all" clusters stays exact
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, k := range models.HashKinds {
		if x.collection(k) == name {
			x.ivf[k] = ivfParams{nlist: nlist, nprobe: clampProbe(nprobe, nlist)}
		}
	}
}

// ivfParams is how an IVF collection is searched.
type ivfParams struct{ nlist, nprobe int }

func clampProbe(n, nlist int) int {
	if n <= 0 || n > nlist {
		return nlist
	}
	return n
}

// SetNProbe sets how many clusters an IVF search of kind k scans, trading
// recall for speed (benchmarks measure it); n <= 0 scans them all, which is
// exact. It has no effect on BIN_FLAT collections.
func (x *Index) SetNProbe(k models.HashKind, n int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if p, ok := x.ivf[k]; ok {
		p.nprobe = clampProbe(n, p.nlist)
		x.ivf[k] = p
	}
}

// Drop deletes every collection of the index (tests and benchmarks clean up
// with it). The index is closed afterwards.
func (x *Index) Drop(ctx context.Context) error {
	var errs []error
	names := []string{x.videos()}
	for _, k := range models.HashKinds {
		names = append(names, x.collection(k))
	}
	for _, n := range names {
		if err := x.c.DropCollection(ctx, n); err != nil {
			errs = append(errs, classify(err, "milvus at %s: drop collection %s", x.addr, n))
		}
	}
	errs = append(errs, x.Close())
	return errors.Join(errs...)
}

// Close releases the connection.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	if err := x.c.Close(); err != nil {
		return fmt.Errorf("milvus: close: %w", err)
	}
	return nil
}

func (x *Index) checkOpen() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return models.Errorf(models.EInvalid, "milvus index %s is closed", x.Addr())
	}
	return nil
}

// vidOf maps a video id to its int64 ordinal: FNV-1a, top bit cleared.
// Hashing rather than allocating needs no coordination between processes;
// Add detects the (astronomically unlikely) collision and refuses it.
func vidOf(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int64(h.Sum64() >> 1)
}

// newPKs draws n fresh primary keys. Keys are random rather than derived
// from the video so that a re-add can insert its new rows before deleting
// the old ones without the two sets colliding.
func (x *Index) newPKs(n int) []int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(x.rng.Uint64() >> 1)
	}
	return out
}

func (x *Index) lock(vid int64) func() {
	return x.lockAll([]int64{vid})
}

// lockAll takes the stripes of every vid in ascending stripe order, so two
// batches can never wait on each other in a cycle.
func (x *Index) lockAll(vids []int64) func() {
	var want [numLocks]bool
	for _, v := range vids {
		want[uint64(v)%uint64(len(want))] = true
	}
	for i, w := range want {
		if w {
			x.locks[i].Lock()
		}
	}
	return func() {
		for i, w := range want {
			if w {
				x.locks[i].Unlock()
			}
		}
	}
}
