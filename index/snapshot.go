package index

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/copycat-video/copycat/models"
)

// maintain runs rebuilds and compactions in the background, so that writers
// and searchers never wait for them.
func (e *Embedded) maintain() {
	defer close(e.done)
	idle := time.NewTimer(idleMerge)
	defer idle.Stop()
	var retryAt time.Time // no compaction before this, after a failure
	for {
		var optimized chan struct{}
		merge := false
		select {
		case <-e.stop:
			return
		case <-e.kick:
			idle.Reset(idleMerge)
		case <-idle.C:
			merge = true
		case optimized = <-e.optimize:
			merge = true
		}
		for k := range e.kinds {
			if e.needsRebuild(k, merge) {
				e.rebuild(k)
			}
		}
		if optimized != nil {
			close(optimized)
		}
		if time.Now().After(retryAt) && e.needsCompaction() {
			if err := e.compact(); err != nil {
				// The log keeps every write, so nothing is lost; retry
				// later rather than on every write (a full disk would
				// otherwise be hammered with snapshot attempts).
				e.log.Error("index: compaction failed", "dir", e.dir, "err", err)
				retryAt = time.Now().Add(compactRetry)
			}
		}
	}
}

// needsRebuild says whether kind k's delta or dead entries call for new
// tables; with merge (idle or asked to optimize) any delta or dead entry
// does.
func (e *Embedded) needsRebuild(k int, merge bool) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ks := &e.kinds[k]
	if merge {
		return len(ks.delta) > 0 || ks.dead > 0
	}
	n := len(ks.delta)
	if ks.main != nil {
		n += ks.main.len()
	}
	return len(ks.delta) >= max(deltaMin, n/deltaShare) || ks.dead >= max(deltaMin, n/4)
}

// rebuild merges a kind's delta into new tables while searches go on with
// the old ones, then swaps them in. Entries added meanwhile stay in the
// delta; videos deleted meanwhile stay dead-filtered until the next rebuild.
func (e *Embedded) rebuild(k int) {
	start := time.Now()
	e.mu.RLock()
	main, delta, alive := e.kinds[k].main, e.kinds[k].delta, e.aliveSet()
	e.mu.RUnlock()
	seg := buildSegment(e.liveEntries(main, delta, alive))
	e.mu.Lock()
	ks := &e.kinds[k]
	old := len(delta)
	if main != nil {
		old += main.len()
	}
	ks.dead -= old - seg.len()
	ks.delta = append([]entry(nil), ks.delta[len(delta):]...)
	ks.main = seg
	e.mu.Unlock()
	e.log.Debug("index: rebuilt tables", "kind", kindName(uint8(k)), "entries", seg.len(), "took", time.Since(start))
}

func (e *Embedded) needsCompaction() bool {
	e.mu.RLock()
	snap := e.snapSize
	e.mu.RUnlock()
	return e.wal.size.Load() >= max(e.compactBytes, snap/2)
}

// compact writes the whole index as a new snapshot and drops the logs it
// covers. The log is rotated under the writer lock so that the snapshot
// covers exactly the closed generations; the snapshot is written to a
// temporary file, fsynced and renamed, so a crash leaves either the old or
// the new snapshot, never a partial one.
func (e *Embedded) compact() error {
	e.compactMu.Lock()
	defer e.compactMu.Unlock()
	start := time.Now()
	e.wmu.Lock()
	if e.closed || e.broken != nil {
		e.wmu.Unlock()
		return nil
	}
	closedGen, err := e.wal.rotate()
	if err != nil {
		e.broken = err
		e.wmu.Unlock()
		return err
	}
	e.mu.RLock()
	var videos []models.Video
	remap := make([]uint32, len(e.slots))
	for ord, s := range e.slots {
		remap[ord] = math.MaxUint32
		if s.v != nil {
			remap[ord] = uint32(len(videos))
			videos = append(videos, *s.v)
		}
	}
	var mains [numKinds]*segment
	var deltas [numKinds][]entry
	for k := range e.kinds {
		mains[k], deltas[k] = e.kinds[k].main, e.kinds[k].delta
	}
	e.mu.RUnlock()
	e.wmu.Unlock()

	path := filepath.Join(e.dir, snapshotName)
	size, err := writeSnapshot(path, closedGen+1, videos, remap, mains, deltas)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.snapSize = size
	e.mu.Unlock()
	gens, err := walGens(e.dir)
	if err != nil {
		return err
	}
	for _, g := range gens {
		if g <= closedGen {
			if err := os.Remove(filepath.Join(e.dir, walName(g))); err != nil {
				return fmt.Errorf("remove compacted log: %w", err)
			}
		}
	}
	if err := syncDir(e.dir); err != nil {
		return err
	}
	e.log.Info("index: compacted", "dir", e.dir, "videos", len(videos), "snapshot_bytes", size, "took", time.Since(start))
	return nil
}

// compactRetry is how long a failed compaction waits before the next try.
const compactRetry = time.Minute

// snapChunk is the number of entries per hash record of a snapshot.
const snapChunk = 64 << 10

func writeSnapshot(path string, firstGen uint64, videos []models.Video, remap []uint32, mains [numKinds]*segment, deltas [numKinds][]entry) (int64, error) {
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("create snapshot: %w", err)
	}
	fail := func(err error) (int64, error) {
		f.Close()
		os.Remove(tmp)
		return 0, fmt.Errorf("write snapshot %s: %w", tmp, err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var size int64
	var frame, payload []byte
	put := func(p []byte) error {
		frame = appendFrame(frame[:0], p)
		size += int64(len(frame))
		_, err := w.Write(frame)
		return err
	}
	if err := put(encodeSnapHeader(payload[:0], firstGen)); err != nil {
		return fail(err)
	}
	for i := 0; i < len(videos); {
		// Runs of videos up to about 1 MiB per record.
		j, bytes := i, 0
		for j < len(videos) && bytes < 1<<20 && j-i < 4096 {
			bytes += 256 + len(videos[j].URL) + len(videos[j].Path) + len(videos[j].Author)
			j++
		}
		if payload, err = encodeSnapVideos(payload[:0], videos[i:j]); err != nil {
			return fail(err)
		}
		if err := put(payload); err != nil {
			return fail(err)
		}
		i = j
	}
	var hashes uint64
	chunk := make([]entry, 0, snapChunk)
	for k := range numKinds {
		flush := func() error {
			if len(chunk) == 0 {
				return nil
			}
			hashes += uint64(len(chunk))
			payload = encodeSnapHashes(payload[:0], uint8(k), chunk)
			chunk = chunk[:0]
			return put(payload)
		}
		add := func(en entry) error {
			if o := remap[en.ord]; o != math.MaxUint32 {
				en.ord = o
				chunk = append(chunk, en)
				if len(chunk) == snapChunk {
					return flush()
				}
			}
			return nil
		}
		if m := mains[k]; m != nil {
			for p, h := range m.hashes {
				if err := add(entry{h, m.ords[p], m.ms[p]}); err != nil {
					return fail(err)
				}
			}
		}
		for _, en := range deltas[k] {
			if err := add(en); err != nil {
				return fail(err)
			}
		}
		if err := flush(); err != nil {
			return fail(err)
		}
	}
	if err := put(encodeSnapEnd(payload[:0], uint64(len(videos)), hashes)); err != nil {
		return fail(err)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("close snapshot %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("install snapshot: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return 0, err
	}
	return size, nil
}

// readSnapshot loads a snapshot and returns the first log generation it
// does not cover. A snapshot is written whole and renamed into place, so
// any damage, including a missing end, is corruption.
func (e *Embedded) readSnapshot(path string) (uint64, error) {
	var (
		firstGen   uint64
		haveHeader bool
		ended      bool
		hashes     uint64
	)
	err := readLog(path, false, func(r record) error {
		if ended {
			return fmt.Errorf("data after the end record")
		}
		if !haveHeader && r.typ != recSnapHeader {
			return fmt.Errorf("snapshot does not start with its header")
		}
		switch r.typ {
		case recSnapHeader:
			if haveHeader {
				return fmt.Errorf("second snapshot header")
			}
			haveHeader, firstGen = true, r.walGen
		case recSnapVideos:
			for _, v := range r.videos {
				if _, dup := e.byID[v.ID]; dup {
					return fmt.Errorf("video %q stored twice", v.ID)
				}
				e.byID[v.ID] = uint32(len(e.slots))
				e.slots = append(e.slots, slot{v: &v})
				e.metaSize += metaSize(&v)
			}
		case recSnapHashes:
			ks := &e.kinds[r.kind]
			for _, en := range r.entries {
				if int(en.ord) >= len(e.slots) {
					return fmt.Errorf("hash of unknown video ordinal %d", en.ord)
				}
				e.slots[en.ord].n[r.kind]++
			}
			ks.delta = append(ks.delta, r.entries...)
			e.live[r.kind] += len(r.entries)
			hashes += uint64(len(r.entries))
		case recSnapEnd:
			if r.nVideos != uint64(len(e.slots)) || r.nHashes != hashes {
				return fmt.Errorf("end record counts %d videos and %d hashes, the file holds %d and %d", r.nVideos, r.nHashes, len(e.slots), hashes)
			}
			ended = true
		default:
			return fmt.Errorf("record type %d does not belong in a snapshot", r.typ)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if !ended {
		return 0, corruptError(path, fileSize(path), fmt.Errorf("snapshot ends before its end record"))
	}
	return firstGen, nil
}
