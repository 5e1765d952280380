package milvus

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/milvus-io/milvus-sdk-go/v2/client"
	"github.com/milvus-io/milvus-sdk-go/v2/entity"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/models"
)

const (
	// insertChunk bounds the rows of one Insert call (~70 bytes a row) far
	// below Milvus's message size limits.
	insertChunk = 50_000
	// deleteChunk bounds the primary keys of one delete expression.
	deleteChunk = 10_000
	// resultBudget bounds query vectors x result slots of one search call:
	// Milvus allocates nq*topk slots per segment whatever the hits.
	resultBudget = 1 << 20
	// maxBatch bounds query vectors per search call.
	maxBatch = 1024
	// parallelSearches is how many search calls one Search keeps in flight:
	// each call waits for the Strong consistency point, so overlapping them
	// hides most of that wait.
	parallelSearches = 4
)

// Add indexes the hashes of v, replacing whatever was stored under v.ID.
// The new rows are inserted before the old ones are deleted, so a crash in
// between leaves duplicates (removed by the next Add or Delete of the
// video), never a video without its frames.
func (x *Index) Add(ctx context.Context, v models.Video, hashes []models.FrameHash) error {
	return x.AddBatch(ctx, []index.VideoHashes{{Video: v, Hashes: hashes}})
}

// prepared is one validated video of a batch.
type prepared struct {
	v      models.Video
	vid    int64
	meta   string
	byKind [][]models.FrameHash // indexed like models.HashKinds
}

// AddBatch adds several videos with a handful of calls in all, the fast
// path for bulk ingestion: a Strong read of what the videos had, one
// insert per kind (in chunks of 50,000 rows), one catalogue upsert and one
// delete per kind of the replaced rows. Every video is validated before
// anything is written; a video listed twice ends up as its last listing.
// Milvus has no transactions, so a failure part-way can leave some videos
// added (each completely, new rows before old ones are removed); adding
// the batch again repairs it.
func (x *Index) AddBatch(ctx context.Context, batch []index.VideoHashes) error {
	if err := x.checkOpen(); err != nil {
		return err
	}
	ps := make([]prepared, 0, len(batch))
	at := map[string]int{} // id -> position in ps: the last listing wins
	for _, b := range batch {
		p, err := prepare(b.Video, b.Hashes)
		if err != nil {
			return err
		}
		if i, ok := at[p.v.ID]; ok {
			ps[i] = p
			continue
		}
		at[p.v.ID] = len(ps)
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil
	}
	byVID := map[int64]string{}
	vids := make([]int64, len(ps))
	for i, p := range ps {
		if other, ok := byVID[p.vid]; ok {
			return models.Errorf(models.EConflict, "video ids %q and %q collide in the milvus index; use another id", p.v.ID, other)
		}
		byVID[p.vid] = p.v.ID
		vids[i] = p.vid
	}
	defer x.lockAll(vids)()

	// The reads each wait for the Strong consistency point; running them
	// together costs one wait instead of four.
	in := fieldVID + " in " + int64List(vids)
	old := make([][]int64, len(models.HashKinds))
	existing := map[string]bool{}
	err := parallel(ctx, len(models.HashKinds)+1, func(ctx context.Context, i int) error {
		if i < len(models.HashKinds) {
			var err error
			old[i], err = x.framePKs(ctx, models.HashKinds[i], in)
			return err
		}
		have, err := x.queryVideos(ctx, in, []string{fieldID})
		for _, h := range have {
			if want := byVID[vidOf(h.ID)]; want != h.ID {
				return models.Errorf(models.EConflict,
					"video id %q collides with indexed video %q in the milvus index; use another id", want, h.ID)
			}
			existing[h.ID] = true
		}
		return err
	})
	if err != nil {
		return err
	}
	for i, k := range models.HashKinds {
		if err := x.insertFrames(ctx, k, i, ps); err != nil {
			return err
		}
	}
	// Catalogue rows of new videos are inserted, of known ones upserted:
	// an upsert costs Milvus a primary-key lookup and a delete per row,
	// which doubled the time of a bulk load of new videos.
	var fresh, known []prepared
	for _, p := range ps {
		if existing[p.v.ID] {
			known = append(known, p)
		} else {
			fresh = append(fresh, p)
		}
	}
	if err := x.storeVideos(ctx, fresh, x.c.Insert); err != nil {
		return err
	}
	if err := x.storeVideos(ctx, known, x.c.Upsert); err != nil {
		return err
	}
	for i, k := range models.HashKinds {
		if err := x.deletePKs(ctx, x.collection(k), old[i]); err != nil {
			return err
		}
	}
	return nil
}

func prepare(v models.Video, hashes []models.FrameHash) (prepared, error) {
	if err := v.Validate(); err != nil {
		return prepared{}, err
	}
	p := prepared{v: v, vid: vidOf(v.ID), byKind: make([][]models.FrameHash, len(models.HashKinds))}
	for i, h := range hashes {
		if err := validHash(h); err != nil {
			return prepared{}, models.WrapError(models.EInvalid, err, "video %q: hash %d", v.ID, i)
		}
		k := slices.Index(models.HashKinds, h.Kind)
		p.byKind[k] = append(p.byKind[k], h)
	}
	meta, err := json.Marshal(v)
	if err != nil {
		return prepared{}, models.WrapError(models.EInvalid, err, "video %q: encode metadata", v.ID)
	}
	if len(meta) > maxMeta {
		return prepared{}, models.Errorf(models.EInvalid, "video %q: metadata is %d bytes, more than %d", v.ID, len(meta), maxMeta)
	}
	p.meta = string(meta)
	return p, nil
}

// storeVideos writes catalogue rows with write (the client's Insert or
// Upsert).
func (x *Index) storeVideos(ctx context.Context, ps []prepared,
	write func(ctx context.Context, coll, partition string, cols ...entity.Column) (entity.Column, error)) error {
	for len(ps) > 0 {
		// Metadata rows are up to 64 KiB; keep one call well under Milvus's
		// message limits.
		n := min(len(ps), 1000)
		vids := make([]int64, n)
		ids := make([]string, n)
		plats := make([]string, n)
		metas := make([]string, n)
		dummy := make([][]byte, n)
		for i, p := range ps[:n] {
			vids[i], ids[i], plats[i], metas[i], dummy[i] = p.vid, p.v.ID, p.v.Platform, p.meta, []byte{0}
		}
		_, err := write(ctx, x.videos(), "",
			entity.NewColumnInt64(fieldVID, vids),
			entity.NewColumnVarChar(fieldID, ids),
			entity.NewColumnVarChar(fieldPlatform, plats),
			entity.NewColumnVarChar(fieldMeta, metas),
			entity.NewColumnBinaryVector(fieldDummy, 8, dummy))
		if err != nil {
			return classify(err, "milvus at %s: store %d videos (first %q)", x.addr, n, ids[0])
		}
		ps = ps[n:]
	}
	return nil
}

func int64List(ns []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range ns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(n, 10))
	}
	b.WriteByte(']')
	return b.String()
}

func validHash(h models.FrameHash) error {
	switch {
	case !h.Kind.Valid():
		return models.Errorf(models.EInvalid, "unknown hash kind %q", h.Kind)
	case h.Variant != models.VariantFull:
		return models.Errorf(models.EInvalid, "variant %q: only full-frame hashes are indexed", h.Variant)
	case math.IsNaN(h.T) || math.IsInf(h.T, 0) || h.T < 0:
		return models.Errorf(models.EInvalid, "frame time %v is not a non-negative number", h.T)
	}
	return nil
}

// insertFrames inserts the kind-k hashes (k at position ki of
// models.HashKinds) of every prepared video, in chunks. Times are stored
// to the millisecond, the precision of the embedded index, so that both
// backends give the matcher identical neighbours.
func (x *Index) insertFrames(ctx context.Context, k models.HashKind, ki int, ps []prepared) error {
	var (
		vids  []int64
		ids   []string
		plats []string
		ts    []float64
		vecs  [][]byte
	)
	flush := func() error {
		if len(vids) == 0 {
			return nil
		}
		n := len(vids)
		_, err := x.c.Insert(ctx, x.collection(k), "",
			entity.NewColumnInt64(fieldPK, x.newPKs(n)),
			entity.NewColumnInt64(fieldVID, vids),
			entity.NewColumnVarChar(fieldVideo, ids),
			entity.NewColumnVarChar(fieldPlatform, plats),
			entity.NewColumnDouble(fieldT, ts),
			entity.NewColumnBinaryVector(fieldBits, hashDim, vecs))
		if err != nil {
			return classify(err, "milvus at %s: insert %d %s hashes (video %q first)", x.addr, n, k, ids[0])
		}
		vids, ids, plats, ts, vecs = vids[:0], ids[:0], plats[:0], ts[:0], vecs[:0]
		return nil
	}
	for _, p := range ps {
		for _, h := range p.byKind[ki] {
			vids = append(vids, p.vid)
			ids = append(ids, p.v.ID)
			plats = append(plats, p.v.Platform)
			ts = append(ts, math.Round(h.T*1000)/1000)
			vecs = append(vecs, hashBytes(h.Bits))
			if len(vids) == insertChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// hashBytes lays a hash out as Milvus's 8-byte binary vector. Any fixed
// byte order works: Hamming distance counts differing bits wherever they are.
func hashBytes(h models.Hash64) []byte {
	return binary.LittleEndian.AppendUint64(make([]byte, 0, 8), uint64(h))
}

// framePKs lists the primary keys of the frame rows of kind k that match
// expr (a condition on vid).
func (x *Index) framePKs(ctx context.Context, k models.HashKind, expr string) ([]int64, error) {
	var pks []int64
	err := x.retry.Do(ctx, x.log, "query frames", func(ctx context.Context) error {
		rs, err := x.c.Query(ctx, x.collection(k), nil, expr, []string{fieldPK}, x.readLevel())
		if err != nil {
			return classify(err, "milvus at %s: list %s frames", x.addr, k)
		}
		pks, err = int64s(rs, fieldPK)
		return err
	})
	return pks, err
}

func (x *Index) deletePKs(ctx context.Context, coll string, pks []int64) error {
	for len(pks) > 0 {
		n := min(len(pks), deleteChunk)
		if err := x.c.DeleteByPks(ctx, coll, "", entity.NewColumnInt64(fieldPK, pks[:n])); err != nil {
			return classify(err, "milvus at %s: delete %d rows of %s", x.addr, n, coll)
		}
		pks = pks[n:]
	}
	return nil
}

// Delete removes a video and its hashes. Frames go first, the catalogue row
// last, so an interrupted Delete can simply be repeated.
func (x *Index) Delete(ctx context.Context, id string) error {
	if err := x.checkOpen(); err != nil {
		return err
	}
	if err := models.ValidateID(id); err != nil {
		return err
	}
	vid := vidOf(id)
	defer x.lock(vid)()
	if _, err := x.video(ctx, vid, id); err != nil {
		return err
	}
	err := parallel(ctx, len(models.HashKinds), func(ctx context.Context, i int) error {
		k := models.HashKinds[i]
		pks, err := x.framePKs(ctx, k, fieldVID+" == "+strconv.FormatInt(vid, 10))
		if err != nil {
			return err
		}
		return x.deletePKs(ctx, x.collection(k), pks)
	})
	if err != nil {
		return err
	}
	if err := x.c.DeleteByPks(ctx, x.videos(), "", entity.NewColumnInt64(fieldVID, []int64{vid})); err != nil {
		return classify(err, "milvus at %s: delete video %q", x.addr, id)
	}
	return nil
}

// Video returns the metadata of one indexed video.
func (x *Index) Video(ctx context.Context, id string) (models.Video, error) {
	if err := x.checkOpen(); err != nil {
		return models.Video{}, err
	}
	if err := models.ValidateID(id); err != nil {
		return models.Video{}, err
	}
	return x.video(ctx, vidOf(id), id)
}

// video reads the catalogue row of vid. A row of another id under the same
// ordinal is a hash collision: reported as EConflict.
func (x *Index) video(ctx context.Context, vid int64, id string) (models.Video, error) {
	vs, err := x.queryVideos(ctx, fieldVID+" == "+strconv.FormatInt(vid, 10), []string{fieldID, fieldMeta})
	if err != nil {
		return models.Video{}, err
	}
	if len(vs) == 0 {
		return models.Video{}, models.Errorf(models.ENotFound, "video %q is not indexed", id)
	}
	if vs[0].ID != id {
		return models.Video{}, models.Errorf(models.EConflict,
			"video id %q collides with indexed video %q in the milvus index; use another id", id, vs[0].ID)
	}
	return vs[0], nil
}

// queryVideos runs a Strong query on the catalogue. With only fieldID in
// fields, the returned videos carry just their ids.
func (x *Index) queryVideos(ctx context.Context, expr string, fields []string) ([]models.Video, error) {
	var out []models.Video
	err := x.retry.Do(ctx, x.log, "query videos", func(ctx context.Context) error {
		rs, err := x.c.Query(ctx, x.videos(), nil, expr, fields, x.readLevel())
		if err != nil {
			return classify(err, "milvus at %s: query videos", x.addr)
		}
		ids, err := strs(rs, fieldID)
		if err != nil {
			return err
		}
		var metas []string
		if slices.Contains(fields, fieldMeta) {
			if metas, err = strs(rs, fieldMeta); err != nil {
				return err
			}
		}
		out = make([]models.Video, len(ids))
		for i, id := range ids {
			out[i].ID = id
			if metas == nil {
				continue
			}
			if err := json.Unmarshal([]byte(metas[i]), &out[i]); err != nil {
				return models.WrapError(models.EInternal, err, "milvus at %s: video %q: corrupt metadata", x.addr, id)
			}
			if out[i].ID != id {
				return models.Errorf(models.EInternal, "milvus at %s: video %q: metadata names %q", x.addr, id, out[i].ID)
			}
		}
		return nil
	})
	return out, err
}

// Videos lists indexed videos ordered by id. Milvus cannot sort a query, so
// the ids after `after` are fetched and sorted here, then the metadata of
// one page is read: O(videos) ids per call, fine for catalogues of
// millions of videos paged by the thousand.
func (x *Index) Videos(ctx context.Context, after string, limit int) ([]models.Video, error) {
	if err := x.checkOpen(); err != nil {
		return nil, err
	}
	expr := fieldVID + " >= 0"
	if after != "" {
		expr += " && " + fieldID + " > " + quote(after)
	}
	if limit <= 0 {
		vs, err := x.queryVideos(ctx, expr, []string{fieldID, fieldMeta})
		slices.SortFunc(vs, func(a, b models.Video) int { return strings.Compare(a.ID, b.ID) })
		return vs, err
	}
	ids, err := x.queryVideos(ctx, expr, []string{fieldID})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	slices.SortFunc(ids, func(a, b models.Video) int { return strings.Compare(a.ID, b.ID) })
	ids = ids[:min(limit, len(ids))]
	vids := make([]string, len(ids))
	for i, v := range ids {
		vids[i] = strconv.FormatInt(vidOf(v.ID), 10)
	}
	vs, err := x.queryVideos(ctx, fieldVID+" in ["+strings.Join(vids, ",")+"]", []string{fieldID, fieldMeta})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(vs, func(a, b models.Video) int { return strings.Compare(a.ID, b.ID) })
	return vs, nil
}

// quote makes a Milvus expression string literal. Milvus unquotes literals
// with Go's rules, so Go's quoting escapes quotes, backslashes and control
// characters the same way.
func quote(s string) string { return strconv.Quote(s) }

// Stats counts videos and hashes with Strong count(*) queries.
func (x *Index) Stats(ctx context.Context) (index.Stats, error) {
	if err := x.checkOpen(); err != nil {
		return index.Stats{}, err
	}
	counts := make([]int64, len(models.HashKinds)+1)
	err := parallel(ctx, len(counts), func(ctx context.Context, i int) error {
		var err error
		if i == len(models.HashKinds) {
			counts[i], err = x.count(ctx, x.videos(), fieldVID)
		} else {
			counts[i], err = x.count(ctx, x.collection(models.HashKinds[i]), fieldPK)
		}
		return err
	})
	if err != nil {
		return index.Stats{}, err
	}
	st := index.Stats{Videos: int(counts[len(models.HashKinds)]), ByKind: map[models.HashKind]int{}}
	for i, k := range models.HashKinds {
		st.ByKind[k] = int(counts[i])
		st.Hashes += int(counts[i])
	}
	return st, nil
}

func (x *Index) count(ctx context.Context, coll, pk string) (int64, error) {
	var n int64
	err := x.retry.Do(ctx, x.log, "count", func(ctx context.Context) error {
		rs, err := x.c.Query(ctx, coll, nil, pk+" >= 0", []string{"count(*)"}, x.readLevel())
		if err != nil {
			return classify(err, "milvus at %s: count %s", x.addr, coll)
		}
		ns, err := int64s(rs, "count(*)")
		if err != nil {
			return err
		}
		if len(ns) != 1 {
			return models.Errorf(models.EInternal, "milvus at %s: count %s: %d values", x.addr, coll, len(ns))
		}
		n = ns[0]
		return nil
	})
	return n, err
}

// Search finds, for each query, the indexed frames of its kind within
// opts.Radius, nearest first. Queries are grouped by kind and sent in
// batches, several in flight at once.
func (x *Index) Search(ctx context.Context, queries []models.FrameHash, opts index.SearchOptions) ([][]models.Neighbor, error) {
	if err := x.checkOpen(); err != nil {
		return nil, err
	}
	if opts.Radius < 0 || opts.Radius > hashDim {
		return nil, models.Errorf(models.EInvalid, "radius %d is outside 0..%d", opts.Radius, hashDim)
	}
	if opts.TopK < 0 {
		return nil, models.Errorf(models.EInvalid, "top-k %d is negative", opts.TopK)
	}
	byKind := map[models.HashKind][]int{}
	for i, q := range queries {
		if !q.Kind.Valid() {
			return nil, models.Errorf(models.EInvalid, "query %d: unknown hash kind %q", i, q.Kind)
		}
		byKind[q.Kind] = append(byKind[q.Kind], i)
	}
	out := make([][]models.Neighbor, len(queries))
	limit := maxTopK
	if opts.TopK > 0 && opts.TopK < maxTopK {
		limit = opts.TopK
	}
	batch := min(max(resultBudget/limit, 1), maxBatch)

	var (
		wg       sync.WaitGroup
		sem      = make(chan struct{}, parallelSearches)
		errMu    sync.Mutex
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	for _, k := range models.HashKinds {
		idx := byKind[k]
		for len(idx) > 0 {
			n := min(len(idx), batch)
			part := idx[:n]
			idx = idx[n:]
			wg.Go(func() {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				defer func() { <-sem }()
				if err := x.searchPart(ctx, k, queries, part, opts, limit, out); err != nil {
					fail(err)
				}
			})
		}
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// searchPart searches the queries at positions part (all of kind k) and
// stores their answers in out. Two follow-ups keep the answers exact and
// identical to the embedded index's:
//
//   - a query that fills the whole Milvus result cap when the caller asked
//     for more is searched again one distance at a time, so that no
//     neighbour is silently dropped;
//   - a query cut at top-k may have more frames at its farthest distance
//     than made the cut, and Milvus picks among such ties arbitrarily. The
//     whole band at that distance is fetched (one search per distinct
//     distance) and the ties broken by video id and time, as the embedded
//     index does.
func (x *Index) searchPart(ctx context.Context, k models.HashKind, queries []models.FrameHash, part []int, opts index.SearchOptions, limit int, out [][]models.Neighbor) error {
	vecs := make([]entity.Vector, len(part))
	for i, qi := range part {
		vecs[i] = entity.BinaryVector(hashBytes(queries[qi].Bits))
	}
	res, err := x.rangeSearch(ctx, k, vecs, 0, opts.Radius, limit)
	if err != nil {
		return err
	}
	cut := map[int][]int{} // farthest distance -> positions in part cut at top-k
	for i, qi := range part {
		ns := res[i]
		if len(ns) == maxTopK && (opts.TopK == 0 || opts.TopK > maxTopK) {
			if ns, err = x.searchByDistance(ctx, k, vecs[i], opts); err != nil {
				return fmt.Errorf("query %d: %w", qi, err)
			}
		} else if opts.TopK > 0 && len(ns) == opts.TopK {
			far := slices.MaxFunc(ns, func(a, b models.Neighbor) int { return cmp.Compare(a.Distance, b.Distance) }).Distance
			cut[far] = append(cut[far], i)
		}
		res[i] = ns
	}
	for far, is := range cut {
		band := make([]entity.Vector, len(is))
		for j, i := range is {
			band[j] = vecs[i]
		}
		ties, err := x.rangeSearch(ctx, k, band, far, far, maxTopK)
		if err != nil {
			return err
		}
		for j, i := range is {
			if len(ties[j]) == maxTopK {
				continue // a band too wide to fetch whole: keep Milvus's pick
			}
			kept := slices.DeleteFunc(res[i], func(n models.Neighbor) bool { return n.Distance == far })
			res[i] = append(kept, ties[j]...)
		}
	}
	for i, qi := range part {
		ns := res[i]
		sortNeighbours(ns)
		if opts.TopK > 0 && len(ns) > opts.TopK {
			ns = ns[:opts.TopK]
		}
		out[qi] = ns
	}
	return nil
}

// searchByDistance answers one query whose neighbours overflow a single
// search, distance band by distance band, nearest first.
func (x *Index) searchByDistance(ctx context.Context, k models.HashKind, vec entity.Vector, opts index.SearchOptions) ([]models.Neighbor, error) {
	var all []models.Neighbor
	for d := 0; d <= opts.Radius; d++ {
		res, err := x.rangeSearch(ctx, k, []entity.Vector{vec}, d, d, maxTopK)
		if err != nil {
			return nil, err
		}
		if len(res[0]) == maxTopK {
			return nil, models.Errorf(models.ETooLarge,
				"more than %d indexed %s frames at distance %d; search with a top-k", maxTopK, k, d)
		}
		all = append(all, res[0]...)
		if opts.TopK > 0 && len(all) >= opts.TopK {
			break
		}
	}
	return all, nil
}

// rangeSearch returns, per vector, the frames at Hamming distance lo..hi
// (inclusive), at most limit of them. Milvus's range search keeps
// range_filter <= distance < radius, so the radius sent is hi+1.
func (x *Index) rangeSearch(ctx context.Context, k models.HashKind, vecs []entity.Vector, lo, hi, limit int) ([][]models.Neighbor, error) {
	sp, err := x.searchParam(k)
	if err != nil {
		return nil, err
	}
	sp.AddRadius(float64(hi + 1))
	if lo > 0 {
		sp.AddRangeFilter(float64(lo))
	}
	var res []client.SearchResult
	err = x.retry.Do(ctx, x.log, "search", func(ctx context.Context) error {
		var err error
		res, err = x.c.Search(ctx, x.collection(k), nil, "", []string{fieldVideo, fieldT},
			vecs, fieldBits, entity.HAMMING, limit, sp, x.readLevel())
		return classify(err, "milvus at %s: search %d %s hashes", x.addr, len(vecs), k)
	})
	if err != nil {
		return nil, err
	}
	out := make([][]models.Neighbor, len(vecs))
	if len(res) == 0 {
		return out, nil // Milvus answers an empty collection with no result sets
	}
	if len(res) != len(vecs) {
		return nil, models.Errorf(models.EInternal, "milvus at %s: %d result sets for %d queries", x.addr, len(res), len(vecs))
	}
	for i, r := range res {
		if r.ResultCount == 0 {
			// Checked before r.Err: the SDK flags an answer without hits
			// as lacking the output fields.
			continue
		}
		if r.Err != nil {
			return nil, classify(r.Err, "milvus at %s: search result", x.addr)
		}
		videos, err := strs(r.Fields, fieldVideo)
		if err != nil {
			return nil, err
		}
		ts, err := float64s(r.Fields, fieldT)
		if err != nil {
			return nil, err
		}
		if len(videos) != r.ResultCount || len(ts) != r.ResultCount || len(r.Scores) != r.ResultCount {
			return nil, models.Errorf(models.EInternal, "milvus at %s: ragged search result", x.addr)
		}
		ns := make([]models.Neighbor, r.ResultCount)
		for j := range ns {
			ns[j] = models.Neighbor{VideoID: videos[j], T: ts[j], Distance: int(math.Round(float64(r.Scores[j])))}
		}
		out[i] = ns
	}
	return out, nil
}

func (x *Index) searchParam(k models.HashKind) (entity.SearchParam, error) {
	x.mu.Lock()
	p, ivf := x.ivf[k]
	x.mu.Unlock()
	var (
		sp  entity.SearchParam
		err error
	)
	if ivf {
		sp, err = entity.NewIndexBinIvfFlatSearchParam(p.nprobe)
	} else {
		sp, err = entity.NewIndexBinFlatSearchParam(1)
	}
	if err != nil {
		return nil, models.WrapError(models.EInternal, err, "milvus search parameters")
	}
	return sp, nil
}

// sortNeighbours orders by distance, then video and time, so that results
// are deterministic where Milvus leaves ties in any order.
func sortNeighbours(ns []models.Neighbor) {
	slices.SortFunc(ns, func(a, b models.Neighbor) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), strings.Compare(a.VideoID, b.VideoID), cmp.Compare(a.T, b.T))
	})
}

// Column readers: the only places that look inside SDK columns.

func column(rs client.ResultSet, name string) (entity.Column, error) {
	if rs.Len() == 0 {
		return nil, nil
	}
	c := rs.GetColumn(name)
	if c == nil {
		return nil, models.Errorf(models.EInternal, "milvus result has no %s column", name)
	}
	return c, nil
}

func int64s(rs client.ResultSet, name string) ([]int64, error) {
	c, err := column(rs, name)
	if c == nil {
		return nil, err
	}
	if ic, ok := c.(*entity.ColumnInt64); ok {
		return ic.Data(), nil
	}
	return nil, models.Errorf(models.EInternal, "milvus column %s is %T, want int64", name, c)
}

func float64s(rs client.ResultSet, name string) ([]float64, error) {
	c, err := column(rs, name)
	if c == nil {
		return nil, err
	}
	if fc, ok := c.(*entity.ColumnDouble); ok {
		return fc.Data(), nil
	}
	return nil, models.Errorf(models.EInternal, "milvus column %s is %T, want double", name, c)
}

func strs(rs client.ResultSet, name string) ([]string, error) {
	c, err := column(rs, name)
	if c == nil {
		return nil, err
	}
	if sc, ok := c.(*entity.ColumnVarChar); ok {
		return sc.Data(), nil
	}
	return nil, models.Errorf(models.EInternal, "milvus column %s is %T, want varchar", name, c)
}

// readLevel is the consistency every read asks for: Strong, for
// read-your-writes (benchmarks measure what that costs against Bounded).
func (x *Index) readLevel() client.SearchQueryOptionFunc {
	if x.bounded {
		return client.WithSearchQueryConsistencyLevel(entity.ClBounded)
	}
	return client.WithSearchQueryConsistencyLevel(entity.ClStrong)
}

// Optimize seals the rows added so far into segments and waits until
// Milvus has indexed them: after a bulk load this makes IVF searches use
// the index instead of scanning unsealed rows. BIN_FLAT gains little.
func (x *Index) Optimize(ctx context.Context) error {
	if err := x.checkOpen(); err != nil {
		return err
	}
	return parallel(ctx, len(models.HashKinds), func(ctx context.Context, i int) error {
		coll := x.collection(models.HashKinds[i])
		if err := x.c.Flush(ctx, coll, false); err != nil {
			return classify(err, "milvus at %s: flush %s", x.addr, coll)
		}
		for {
			total, done, err := x.c.GetIndexBuildProgress(ctx, coll, fieldBits)
			if err != nil {
				return classify(err, "milvus at %s: index progress of %s", x.addr, coll)
			}
			if done >= total {
				return nil
			}
			select {
			case <-ctx.Done():
				return models.WrapError(models.EUnavailable, ctx.Err(), "milvus at %s: waiting for the index of %s", x.addr, coll)
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
}

// parallel runs fn(0..n-1) concurrently and returns the first error to
// happen; the others see a cancelled ctx, and their resulting errors are
// dropped.
func parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i := range n {
		wg.Go(func() {
			if err := fn(ctx, i); err != nil {
				once.Do(func() {
					first = err
					cancel()
				})
			}
		})
	}
	wg.Wait()
	return first
}
