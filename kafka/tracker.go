package kafka

import (
	"sort"
	"sync"
)

// tp names a topic partition.
type tp struct {
	topic     string
	partition int32
}

// entryState is where one dispatched record is.
type entryState uint8

const (
	entryPending   entryState = iota // being processed
	entryDone                        // verdict or dead letter acknowledged by the broker
	entryAbandoned                   // given up (shutdown or revocation): must be redelivered
)

type entry struct {
	offset int64
	epoch  int32
	state  entryState
}

// partState is the bookkeeping of one assigned partition. Records of one
// partition are processed concurrently, so they finish out of order; the
// committable offset only moves past a record once every earlier record of
// the partition is done. An abandoned record stops it for good: everything
// from there on is redelivered to whoever owns the partition next.
type partState struct {
	// next is the lowest offset not yet dispatched; records below it that a
	// stale poll hands us again are ignored.
	next int64
	// entries are the dispatched records not yet folded into commit, in
	// offset order.
	entries []entry
	// commit is the offset (and leader epoch) to commit: one past the last
	// record of the done prefix; -1 until something is done.
	commit      int64
	commitEpoch int32
	// committed is what the group coordinator acknowledged last.
	committed int64
	// stuck is set once a record was abandoned.
	stuck bool
	// inflight counts pending entries; drained is signalled when it drops to
	// zero so that a revocation can wait for the partition.
	inflight int
	drained  chan struct{}
	// highWatermark is the last high watermark a fetch reported, and first
	// the first offset dispatched: the group's position before our first
	// commit. Both feed the lag gauge.
	highWatermark int64
	first         int64
}

// tracker keeps per-partition commit order for a consumer that processes
// records of one partition concurrently. It is safe for concurrent use.
type tracker struct {
	mu    sync.Mutex
	parts map[tp]*partState
}

func newTracker() *tracker { return &tracker{parts: make(map[tp]*partState)} }

// assign starts tracking partitions. A partition already tracked keeps its
// state (cooperative rebalances re-announce nothing, but be safe).
func (t *tracker) assign(p tp) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.parts[p]; !ok {
		t.parts[p] = &partState{next: -1, commit: -1, committed: -1, highWatermark: -1, first: -1}
	}
}

// dispatch registers a record about to be processed and returns the state
// its outcome must be reported to. It returns nil when the record must be
// skipped: its partition is not (or no longer) assigned to us, a record of
// the partition was abandoned, or the record was already dispatched.
func (t *tracker) dispatch(p tp, offset int64, epoch int32) *partState {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.parts[p]
	if !ok || s.stuck || (s.next >= 0 && offset < s.next) {
		return nil
	}
	if s.first < 0 {
		s.first = offset
	}
	s.next = offset + 1
	s.entries = append(s.entries, entry{offset: offset, epoch: epoch})
	if s.inflight == 0 {
		s.drained = make(chan struct{})
	}
	s.inflight++
	return s
}

// finish records the outcome of a record dispatched into s and reports
// whether the committable offset moved. The state, not the partition, is
// the key: if the partition was revoked and assigned again meanwhile, a
// late outcome from the old assignment touches only the old, forgotten
// state.
func (t *tracker) finish(s *partState, offset int64, done bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].offset >= offset })
	if i == len(s.entries) || s.entries[i].offset != offset || s.entries[i].state != entryPending {
		return false
	}
	if done {
		s.entries[i].state = entryDone
	} else {
		s.entries[i].state = entryAbandoned
		s.stuck = true
	}
	s.inflight--
	if s.inflight == 0 {
		close(s.drained)
	}
	moved := false
	n := 0
	for n < len(s.entries) && s.entries[n].state == entryDone {
		s.commit = s.entries[n].offset + 1
		s.commitEpoch = s.entries[n].epoch
		moved = true
		n++
	}
	s.entries = s.entries[n:]
	return moved
}

// waitChan returns a channel closed once the partition has nothing in
// flight (nil when it has nothing in flight or is not tracked).
func (t *tracker) waitChan(p tp) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.parts[p]
	if !ok || s.inflight == 0 {
		return nil
	}
	return s.drained
}

// revoke stops dispatching to p: later dispatches are refused. The state
// stays until forget so that the final commit can read it.
func (t *tracker) revoke(p tp) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.parts[p]; ok {
		s.stuck = true
	}
}

// forget drops p entirely.
func (t *tracker) forget(p tp) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.parts, p)
}

// commitOffset is one offset to commit.
type commitOffset struct {
	tp
	offset int64
	epoch  int32
}

// uncommitted returns the partitions whose committable offset is ahead of
// what was acknowledged, restricted to only when only is non-nil.
func (t *tracker) uncommitted(only map[tp]bool) []commitOffset {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []commitOffset
	for p, s := range t.parts {
		if only != nil && !only[p] {
			continue
		}
		if s.commit > s.committed {
			out = append(out, commitOffset{tp: p, offset: s.commit, epoch: s.commitEpoch})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].topic != out[j].topic {
			return out[i].topic < out[j].topic
		}
		return out[i].partition < out[j].partition
	})
	return out
}

// committed records an acknowledged commit.
func (t *tracker) committed(p tp, offset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.parts[p]; ok && offset > s.committed {
		s.committed = offset
	}
}

// setHighWatermark records the partition's high watermark from a fetch.
func (t *tracker) setHighWatermark(p tp, hw int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.parts[p]; ok {
		s.highWatermark = hw
	}
}

// lag returns, per tracked partition with a known high watermark, how many
// records lie between the committed position and the end of the log: what
// a restart would have to (re)process. Before our first commit the group's
// position is the first record we were handed or, before that, the offset
// the group had committed when we joined (groupCommitted, may be nil).
func (t *tracker) lag(groupCommitted map[tp]int64) map[tp]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[tp]int64, len(t.parts))
	for p, s := range t.parts {
		if s.highWatermark < 0 {
			continue
		}
		pos := s.committed
		if pos < 0 {
			pos = s.first
		}
		if pos < 0 {
			c, ok := groupCommitted[p]
			if !ok || c < 0 {
				continue
			}
			pos = c
		}
		l := s.highWatermark - pos
		if l < 0 {
			l = 0
		}
		out[p] = l
	}
	return out
}
