package index

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/copycat-video/copycat/models"
)

var _ Index = (*Embedded)(nil)

// EmbeddedOptions configures OpenEmbedded. The zero value is ready to use.
type EmbeddedOptions struct {
	// Log receives maintenance events (compactions, a torn log tail cut on
	// open). Nil discards them.
	Log *slog.Logger
	// CompactBytes is the write-ahead log size after which the log is folded
	// into a fresh snapshot (also never before the log reaches half the last
	// snapshot's size, so that compaction work stays proportional to the
	// writes). Zero means 64 MiB.
	CompactBytes int64
}

// Tuning of the in-memory layout.
const (
	// deltaMin is the number of recent entries of a kind that are scanned
	// linearly before they are merged into that kind's multi-index tables.
	// Scanning 16 Ki entries costs about as much as one probe of a large
	// table.
	deltaMin = 16 << 10
	// deltaShare: while writes keep coming, the recent entries may grow to
	// 1/8 of the tables before a merge, so that the O(n) rebuilds of a
	// growing index cost O(1) per added hash (about 9 entry copies) and a
	// bulk load is not dominated by rebuilds. Searches meanwhile scan that
	// eighth; idleMerge bounds how long they do once writes stop.
	deltaShare = 8
	// idleMerge is how long after the last write a non-empty delta is
	// merged anyway, so that a quiet index always searches at full speed.
	idleMerge           = time.Second
	defaultCompactBytes = 64 << 20
)

// Embedded is the default index: in memory, exact, persisted under a
// directory with a write-ahead log and snapshots so that every acknowledged
// write survives a crash or power loss.
//
// Writes are logged and fsynced before Add or Delete returns (concurrent
// writers share an fsync). A write becomes visible to searches just before
// its fsync completes; if the fsync fails the index refuses all later
// writes, since it can no longer tell what is on disk.
type Embedded struct {
	dir          string
	log          *slog.Logger
	lock         *os.File
	compactBytes int64

	wmu       sync.Mutex // serialises writers so that log order is apply order
	compactMu sync.Mutex // one compaction at a time
	wal       *wal
	broken    error // first failed log write or sync; guarded by wmu

	mu       sync.RWMutex
	slots    []slot // by video ordinal
	byID     map[string]uint32
	kinds    [numKinds]kindSet
	live     [numKinds]int // hashes of live videos, per kind
	sorted   []string      // ids in order for Videos; nil when stale
	metaSize int64         // approximate bytes of live video metadata
	closed   bool
	snapSize int64 // bytes of the newest snapshot

	kick     chan struct{}      // wakes the maintenance goroutine
	optimize chan chan struct{} // asks it to merge every delta now
	stop     chan struct{}
	done     chan struct{}
}

// slot is one video version. Ordinals are never reused within a process: a
// deleted or replaced video's entries stay in the tables until the next
// rebuild and are filtered out by their dead slot.
type slot struct {
	v *models.Video // nil once deleted or replaced
	n [numKinds]uint32
}

// kindSet holds one hash kind's entries: hashes of different kinds live in
// different tables, so they can never match one another.
type kindSet struct {
	main  *segment // immutable; replaced whole by a rebuild
	delta []entry  // recent entries, scanned linearly; append-only
	dead  int      // entries of main and delta whose slot is dead
}

// VideoHashes is one video and its frame hashes, for AddBatch.
type VideoHashes struct {
	Video  models.Video
	Hashes []models.FrameHash
}

// OpenEmbedded opens (creating if needed) the embedded index stored in dir.
// Only one process may have a directory open; a second gets a
// models.EConflict error. A torn write at the end of the log (a crash in
// the middle of an unacknowledged append) is cut off; any other damage is an
// error naming the file, which is left untouched.
func OpenEmbedded(dir string, opts EmbeddedOptions) (*Embedded, error) {
	if dir == "" {
		return nil, models.Errorf(models.EInvalid, "index directory is empty")
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create index directory: %w", err)
		}
		// The new directory's own entry must survive a power loss too.
		if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
			return nil, err
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	e := &Embedded{
		dir:          dir,
		log:          opts.Log,
		lock:         lock,
		compactBytes: opts.CompactBytes,
		byID:         map[string]uint32{},
		kick:         make(chan struct{}, 1),
		optimize:     make(chan chan struct{}),
		stop:         make(chan struct{}),
		done:         make(chan struct{}),
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.compactBytes <= 0 {
		e.compactBytes = defaultCompactBytes
	}
	if err := e.load(); err != nil {
		if e.wal != nil {
			e.wal.close()
		}
		unlockDir(lock)
		return nil, err
	}
	go e.maintain()
	e.poke()
	return e, nil
}

// load reads the snapshot and replays the logs after it.
func (e *Embedded) load() error {
	des, err := os.ReadDir(e.dir)
	if err != nil {
		return fmt.Errorf("list index directory: %w", err)
	}
	for _, de := range des {
		// Leftovers of a compaction interrupted before its rename: never
		// part of the index.
		if strings.HasSuffix(de.Name(), tmpSuffix) {
			if err := os.Remove(filepath.Join(e.dir, de.Name())); err != nil {
				return fmt.Errorf("remove unfinished snapshot: %w", err)
			}
		}
	}
	var firstGen uint64 // the first log generation the snapshot does not cover
	snap := filepath.Join(e.dir, snapshotName)
	if st, err := os.Stat(snap); err == nil {
		if firstGen, err = e.readSnapshot(snap); err != nil {
			return err
		}
		e.snapSize = st.Size()
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stat snapshot: %w", err)
	}
	gens, err := walGens(e.dir)
	if err != nil {
		return err
	}
	var replay []uint64
	for _, g := range gens {
		if g < firstGen {
			// Folded into the snapshot by a compaction that crashed
			// before removing the log.
			if err := os.Remove(filepath.Join(e.dir, walName(g))); err != nil {
				return fmt.Errorf("remove compacted log: %w", err)
			}
			continue
		}
		replay = append(replay, g)
	}
	for i, g := range replay {
		path := filepath.Join(e.dir, walName(g))
		last := i == len(replay)-1
		before := fileSize(path)
		if err := readLog(path, last, e.replay); err != nil {
			return err
		}
		if after := fileSize(path); after != before {
			e.log.Warn("index: cut a torn write off the end of the log", "file", path, "bytes", before-after)
		}
	}
	next := firstGen
	if len(replay) > 0 {
		next = replay[len(replay)-1] + 1
	}
	if e.wal, err = openWAL(e.dir, next); err != nil {
		return err
	}
	// The replayed logs stay until the next compaction, which the
	// maintenance goroutine starts if they are large; empty ones (left by
	// opens without writes) are dropped now so they do not pile up.
	var logBytes int64
	for _, g := range replay {
		path := filepath.Join(e.dir, walName(g))
		size := fileSize(path)
		if size == 0 {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("remove empty log: %w", err)
			}
		}
		logBytes += size
	}
	e.wal.size.Add(logBytes)
	for k := range e.kinds {
		e.rebuildLocked(k)
	}
	return nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// replay applies one log record during load.
func (e *Embedded) replay(r record) error {
	switch r.typ {
	case recAdd:
		e.applyAdd(r.video, r.kinds, r.entries)
	case recDelete:
		// The log only holds deletes of videos that existed, so a miss
		// cannot happen; ignoring it keeps replay idempotent anyway.
		e.applyDelete(r.id)
	default:
		return fmt.Errorf("record type %d does not belong in a log", r.typ)
	}
	return nil
}

// rebuildLocked merges a kind's delta into fresh tables, dropping dead
// entries. Used on load, with nobody else running.
func (e *Embedded) rebuildLocked(k int) {
	ks := &e.kinds[k]
	es := e.liveEntries(ks.main, ks.delta, e.aliveSet())
	ks.main = buildSegment(es)
	ks.delta = nil
	ks.dead = 0
}

// aliveSet says which ordinals are live. Callers hold mu.
func (e *Embedded) aliveSet() []bool {
	alive := make([]bool, len(e.slots))
	for i, s := range e.slots {
		alive[i] = s.v != nil
	}
	return alive
}

func (e *Embedded) liveEntries(main *segment, delta []entry, alive []bool) []entry {
	n := len(delta)
	if main != nil {
		n += main.len()
	}
	es := make([]entry, 0, n)
	if main != nil {
		for p, h := range main.hashes {
			if o := main.ords[p]; alive[o] {
				es = append(es, entry{h, o, main.ms[p]})
			}
		}
	}
	for _, en := range delta {
		if alive[en.ord] {
			es = append(es, en)
		}
	}
	return es
}

// applyAdd makes a video current. Callers hold mu (or are loading).
func (e *Embedded) applyAdd(v models.Video, kinds []uint8, es []entry) {
	if old, ok := e.byID[v.ID]; ok {
		e.kill(old)
	} else {
		e.sorted = nil
	}
	ord := uint32(len(e.slots))
	s := slot{v: &v}
	for i, en := range es {
		k := kinds[i]
		en.ord = ord
		e.kinds[k].delta = append(e.kinds[k].delta, en)
		s.n[k]++
	}
	for k, n := range s.n {
		e.live[k] += int(n)
	}
	e.slots = append(e.slots, s)
	e.byID[v.ID] = ord
	e.metaSize += metaSize(&v)
}

// metaSize approximates the heap a video's metadata takes: the struct, its
// strings and its map entry.
func metaSize(v *models.Video) int64 {
	return int64(unsafe.Sizeof(*v)) + int64(2*len(v.ID)+len(v.Platform)+len(v.ExternalID)+len(v.URL)+len(v.Author)+len(v.Path)) + 48
}

func (e *Embedded) applyDelete(id string) {
	if ord, ok := e.byID[id]; ok {
		e.kill(ord)
		delete(e.byID, id)
		e.sorted = nil
	}
}

func (e *Embedded) kill(ord uint32) {
	s := &e.slots[ord]
	e.metaSize -= metaSize(s.v)
	for k, n := range s.n {
		e.kinds[k].dead += int(n)
		e.live[k] -= int(n)
	}
	s.v = nil
}

// prepare validates a video's hashes and converts them to entries.
func prepare(v models.Video, hs []models.FrameHash) ([]uint8, []entry, error) {
	if err := v.Validate(); err != nil {
		return nil, nil, err
	}
	if len(hs) > maxVideoHashes {
		return nil, nil, models.Errorf(models.ETooLarge, "video %q: %d hashes, at most %d per video", v.ID, len(hs), maxVideoHashes)
	}
	kinds := make([]uint8, len(hs))
	es := make([]entry, len(hs))
	for i, h := range hs {
		if h.Variant != models.VariantFull {
			return nil, nil, models.Errorf(models.EInvalid, "video %q: hash %d has variant %q; only full-frame hashes are indexed", v.ID, i, h.Variant)
		}
		k, ok := kindIndex(h.Kind)
		if !ok {
			return nil, nil, models.Errorf(models.EInvalid, "video %q: hash %d has unknown kind %q", v.ID, i, h.Kind)
		}
		ms, ok := frameTime(h.T)
		if !ok {
			return nil, nil, models.Errorf(models.EInvalid, "video %q: hash %d has invalid time %v", v.ID, i, h.T)
		}
		kinds[i], es[i] = k, entry{hash: uint64(h.Bits), ms: ms}
	}
	return kinds, es, nil
}

// Add indexes v's hashes, replacing whatever was stored under v.ID. It
// returns once the video is durable.
func (e *Embedded) Add(ctx context.Context, v models.Video, hashes []models.FrameHash) error {
	return e.AddBatch(ctx, []VideoHashes{{v, hashes}})
}

// AddBatch adds several videos with one log write and one fsync: the fast
// path for bulk ingestion. Either every video is valid and all are added,
// or none is. A video listed twice ends up as its last listing.
func (e *Embedded) AddBatch(ctx context.Context, batch []VideoHashes) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	type prepared struct {
		kinds []uint8
		es    []entry
	}
	ps := make([]prepared, len(batch))
	var frames, payload []byte
	for i, b := range batch {
		kinds, es, err := prepare(b.Video, b.Hashes)
		if err != nil {
			return err
		}
		ps[i] = prepared{kinds, es}
		if payload, err = encodeAdd(payload[:0], b.Video, kinds, es); err != nil {
			return models.WrapError(models.EInvalid, err, "video %q: cannot encode its metadata", b.Video.ID)
		}
		if len(payload) > maxPayload {
			return models.Errorf(models.ETooLarge, "video %q: metadata and hashes take %d bytes, at most %d", b.Video.ID, len(payload), maxPayload)
		}
		frames = appendFrame(frames, payload)
	}
	return e.commit(frames, len(batch), nil, func() {
		for i, b := range batch {
			e.applyAdd(b.Video, ps[i].kinds, ps[i].es)
		}
	})
}

// Delete removes a video and its hashes durably.
func (e *Embedded) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := models.ValidateID(id); err != nil {
		return err
	}
	frames := appendFrame(nil, encodeDelete(nil, id))
	return e.commit(frames, 1, func() error {
		e.mu.RLock()
		_, ok := e.byID[id]
		e.mu.RUnlock()
		if !ok {
			return models.Errorf(models.ENotFound, "video %q is not indexed", id)
		}
		return nil
	}, func() { e.applyDelete(id) })
}

// commit logs frames, applies the change in memory and waits until the log
// is durable. check, run under the writer lock, can refuse the change
// before anything is written.
func (e *Embedded) commit(frames []byte, records int, check func() error, apply func()) error {
	e.wmu.Lock()
	if e.closed {
		e.wmu.Unlock()
		return errClosed
	}
	if e.broken != nil {
		err := e.broken
		e.wmu.Unlock()
		return models.WrapError(models.EUnavailable, err, "index refuses writes after a failed log write; reopen it")
	}
	if check != nil {
		if err := check(); err != nil {
			e.wmu.Unlock()
			return err
		}
	}
	seq, err := e.wal.write(frames, records)
	if err != nil {
		// The file may now end in a partial record; appending more would
		// put garbage in the middle of the log.
		e.broken = err
		e.wmu.Unlock()
		return models.WrapError(models.EUnavailable, err, "index log write failed")
	}
	e.mu.Lock()
	apply()
	e.mu.Unlock()
	e.wmu.Unlock()
	if err := e.wal.syncTo(seq); err != nil {
		e.wmu.Lock()
		if e.broken == nil {
			e.broken = err
		}
		e.wmu.Unlock()
		return models.WrapError(models.EUnavailable, err, "index log sync failed")
	}
	e.poke()
	return nil
}

var errClosed = models.Errorf(models.EUnavailable, "index is closed")

// poke wakes the maintenance goroutine without waiting.
func (e *Embedded) poke() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Video returns one video's metadata.
func (e *Embedded) Video(ctx context.Context, id string) (models.Video, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return models.Video{}, errClosed
	}
	ord, ok := e.byID[id]
	if !ok {
		return models.Video{}, models.Errorf(models.ENotFound, "video %q is not indexed", id)
	}
	return *e.slots[ord].v, nil
}

// Videos lists videos in id order after the id `after`.
func (e *Embedded) Videos(ctx context.Context, after string, limit int) ([]models.Video, error) {
	// The sorted id list is rebuilt lazily, so that paging through a large
	// catalogue sorts once, not once per page.
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errClosed
	}
	if e.sorted == nil {
		e.sorted = make([]string, 0, len(e.byID))
		for id := range e.byID {
			e.sorted = append(e.sorted, id)
		}
		sort.Strings(e.sorted)
	}
	start := sort.Search(len(e.sorted), func(i int) bool { return e.sorted[i] > after })
	end := len(e.sorted)
	if limit > 0 {
		end = min(end, start+limit)
	}
	out := make([]models.Video, 0, end-start)
	for _, id := range e.sorted[start:end] {
		out = append(out, *e.slots[e.byID[id]].v)
	}
	return out, nil
}

// Search finds, per query, the indexed frames of the same kind within
// opts.Radius, nearest first; ties in distance are ordered by video id and
// time so that results are deterministic.
func (e *Embedded) Search(ctx context.Context, queries []models.FrameHash, opts SearchOptions) ([][]models.Neighbor, error) {
	if opts.Radius < 0 || opts.Radius > 64 {
		return nil, models.Errorf(models.EInvalid, "search radius %d is outside 0..64", opts.Radius)
	}
	if opts.TopK < 0 {
		return nil, models.Errorf(models.EInvalid, "search topk %d is negative", opts.TopK)
	}
	kinds := make([]uint8, len(queries))
	for i, q := range queries {
		k, ok := kindIndex(q.Kind)
		if !ok {
			return nil, models.Errorf(models.EInvalid, "query %d has unknown hash kind %q", i, q.Kind)
		}
		kinds[i] = k
	}
	out := make([][]models.Neighbor, len(queries))
	var sc searchScratch
	// The read lock is taken per chunk of queries, so that a large batch
	// does not hold writers (and, behind a waiting writer, other searches)
	// for its whole duration.
	const chunk = 32
	for start := 0; start < len(queries); start += chunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(len(queries), start+chunk)
		if err := e.searchChunk(queries[start:end], kinds[start:end], opts, &sc, out[start:end]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// searchScratch holds the buffers one Search reuses across its queries.
type searchScratch struct {
	seg segScratch
	buf []found
}

func (e *Embedded) searchChunk(queries []models.FrameHash, kinds []uint8, opts SearchOptions, sc *searchScratch, out [][]models.Neighbor) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return errClosed
	}
	r := opts.Radius
	for i, q := range queries {
		ks := &e.kinds[kinds[i]]
		qb := uint64(q.Bits)
		buf := sc.buf[:0]
		if ks.main != nil {
			buf = ks.main.search(qb, r, &sc.seg, buf)
		}
		for _, en := range ks.delta {
			if d := bits.OnesCount64(en.hash ^ qb); d <= r {
				buf = append(buf, found{en.ord, en.ms, d})
			}
		}
		sc.buf = buf
		live := buf[:0]
		for _, f := range buf {
			if e.slots[f.ord].v != nil {
				live = append(live, f)
			}
		}
		slices.SortFunc(live, func(a, b found) int {
			if c := cmp.Compare(a.dist, b.dist); c != 0 {
				return c
			}
			if a.ord != b.ord {
				return strings.Compare(e.slots[a.ord].v.ID, e.slots[b.ord].v.ID)
			}
			return cmp.Compare(a.ms, b.ms)
		})
		if opts.TopK > 0 && len(live) > opts.TopK {
			live = live[:opts.TopK]
		}
		ns := make([]models.Neighbor, len(live))
		for j, f := range live {
			ns[j] = models.Neighbor{VideoID: e.slots[f.ord].v.ID, T: float64(f.ms) / 1000, Distance: f.dist}
		}
		out[i] = ns
	}
	return nil
}

// Stats reports counts and the approximate memory the index holds.
func (e *Embedded) Stats(ctx context.Context) (Stats, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return Stats{}, errClosed
	}
	st := Stats{Videos: len(e.byID), ByKind: map[models.HashKind]int{}}
	for k := range e.kinds {
		ks := &e.kinds[k]
		st.Hashes += e.live[k]
		st.ByKind[kindName(uint8(k))] = e.live[k]
		if ks.main != nil {
			st.Bytes += ks.main.bytes()
		}
		st.Bytes += int64(cap(ks.delta)) * 16
	}
	st.Bytes += int64(len(e.slots))*int64(unsafe.Sizeof(slot{})) + e.metaSize
	return st, nil
}

// Optimize merges every recently added hash into the search tables and
// waits for it. Searches are exact either way; after a bulk load this makes
// them as fast as they get instead of leaving up to 1/32 of the index to be
// scanned until the next background merge.
func (e *Embedded) Optimize(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case e.optimize <- done:
	case <-e.done:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops background work, makes the log durable and releases the
// directory lock.
func (e *Embedded) Close() error {
	e.wmu.Lock()
	if e.closed {
		e.wmu.Unlock()
		return nil
	}
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.wmu.Unlock()
	close(e.stop)
	<-e.done
	err := e.wal.close()
	if uerr := unlockDir(e.lock); err == nil {
		err = uerr
	}
	if err != nil {
		return fmt.Errorf("close index: %w", err)
	}
	return nil
}
