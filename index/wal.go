package index

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/copycat-video/copycat/models"
)

// File names under the index directory.
const (
	lockName     = "LOCK"
	snapshotName = "index.snap"
	walPrefix    = "wal-"
	walSuffix    = ".log"
	tmpSuffix    = ".tmp"
)

func walName(gen uint64) string { return fmt.Sprintf("%s%016d%s", walPrefix, gen, walSuffix) }

// walGens lists the generations of the log files in dir, ascending.
func walGens(dir string) ([]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var gens []uint64
	for _, de := range des {
		name := de.Name()
		if !strings.HasPrefix(name, walPrefix) || !strings.HasSuffix(name, walSuffix) {
			continue
		}
		g, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, walPrefix), walSuffix), 10, 64)
		if err != nil {
			return nil, models.Errorf(models.EInternal, "index file %s: unexpected log file name", filepath.Join(dir, name))
		}
		gens = append(gens, g)
	}
	sort.Slice(gens, func(i, j int) bool { return gens[i] < gens[j] })
	return gens, nil
}

// wal is the append-only write-ahead log. Writers append under the
// embedded index's writer lock, so the log order is the apply order; they
// then wait for durability outside it, which lets concurrent writers share
// one fsync (group commit).
type wal struct {
	dir string

	// syncMu serialises fsync and rotation; f and gen change only with
	// syncMu held and the writer lock held.
	syncMu sync.Mutex
	f      *os.File
	gen    uint64
	synced uint64 // records known durable

	written atomic.Uint64 // records written so far
	size    atomic.Int64  // bytes in the current file
}

// openWAL creates a fresh log file of generation gen.
func openWAL(dir string, gen uint64) (*wal, error) {
	w := &wal{dir: dir}
	if err := w.create(gen); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *wal) create(gen uint64) error {
	path := filepath.Join(w.dir, walName(gen))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("create log: %w", err)
	}
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	w.f, w.gen = f, gen
	w.size.Store(0)
	return nil
}

// write appends framed records and returns the sequence number to pass to
// syncTo. Callers hold the writer lock.
func (w *wal) write(frames []byte, records int) (uint64, error) {
	if _, err := w.f.Write(frames); err != nil {
		return 0, fmt.Errorf("write %s: %w", w.f.Name(), err)
	}
	w.size.Add(int64(len(frames)))
	return w.written.Add(uint64(records)), nil
}

// syncTo returns once record seq is on stable storage. Whoever gets the lock
// first syncs everything written so far, for everyone waiting.
func (w *wal) syncTo(seq uint64) error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if w.synced >= seq {
		return nil
	}
	target := w.written.Load()
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", w.f.Name(), err)
	}
	w.synced = target
	return nil
}

// rotate makes the current file durable, closes it and starts generation
// gen+1. It returns the generation just closed. Callers hold the writer
// lock, so nothing is written meanwhile.
func (w *wal) rotate() (uint64, error) {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if err := w.f.Sync(); err != nil {
		return 0, fmt.Errorf("sync %s: %w", w.f.Name(), err)
	}
	w.synced = w.written.Load()
	if err := w.f.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", w.f.Name(), err)
	}
	old := w.gen
	if err := w.create(old + 1); err != nil {
		return 0, err
	}
	return old, nil
}

func (w *wal) close() error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a directory's entries (created, renamed, removed files)
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// corruptError names a damaged index file. The file is never rewritten:
// the operator decides whether to restore it or remove it.
func corruptError(path string, off int64, err error) error {
	return models.WrapError(models.EInternal, err,
		"index file %s is corrupt at byte %d (left untouched; restore it from a backup or remove the index directory and re-ingest)", path, off)
}

// readLog decodes every record of a log file and calls apply for each. With
// tornOK, a torn tail (see scanLog) is cut off the file. Anything else
// wrong is corruption, reported with the file's name.
func readLog(path string, tornOK bool, apply func(record) error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	good, err := scanLog(data, tornOK, apply)
	if err != nil {
		var le *logError
		if errors.As(err, &le) {
			return corruptError(path, le.off, le.err)
		}
		return err
	}
	if good < len(data) {
		return truncateTail(path, int64(good))
	}
	return nil
}

// logError is damage at an offset of a log.
type logError struct {
	off int64
	err error
}

func (e *logError) Error() string { return fmt.Sprintf("byte %d: %v", e.off, e.err) }

// scanLog decodes the frames of data in order and returns the length of
// the valid prefix. With tornOK, a bad frame after which no valid frame
// follows is a torn write of the last, unacknowledged append: scanning
// stops there and the prefix before it is valid. A bad frame followed by a
// valid one is damage in the middle, and a frame whose checksum holds but
// whose payload does not decode was written that way: both are errors.
func scanLog(data []byte, tornOK bool, apply func(record) error) (int, error) {
	off := 0
	for off < len(data) {
		payload, size, err := parseFrame(data[off:])
		if err != nil {
			if !tornOK || nextValidFrame(data[off+1:]) {
				return off, &logError{int64(off), err}
			}
			return off, nil
		}
		r, err := decodeRecord(payload)
		if err == nil {
			err = apply(r)
		}
		if err != nil {
			return off, &logError{int64(off), err}
		}
		off += size
	}
	return off, nil
}

// truncateTail cuts a torn write off the end of a log.
func truncateTail(path string, off int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s to cut its torn tail: %w", path, err)
	}
	err = f.Truncate(off)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cut torn tail of %s at byte %d: %w", path, off, err)
	}
	return nil
}
