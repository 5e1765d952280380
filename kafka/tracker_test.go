package kafka

import (
	"math/rand"
	"testing"
)

func TestTrackerCommitOrder(t *testing.T) {
	p := tp{"uploads", 0}
	type step struct {
		op     string // "dispatch", "done", "abandon"
		offset int64
		ok     bool  // dispatch accepted / commit moved
		commit int64 // committable offset after the step (-1: none)
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"in order", []step{
			{"dispatch", 0, true, -1}, {"dispatch", 1, true, -1},
			{"done", 0, true, 1}, {"done", 1, true, 2},
		}},
		{"out of order waits for the gap", []step{
			{"dispatch", 5, true, -1}, {"dispatch", 6, true, -1}, {"dispatch", 7, true, -1},
			{"done", 7, false, -1}, {"done", 6, false, -1}, {"done", 5, true, 8},
		}},
		{"offset gaps (compaction, control records) are fine", []step{
			{"dispatch", 10, true, -1}, {"dispatch", 13, true, -1},
			{"done", 13, false, -1}, {"done", 10, true, 14},
		}},
		{"stale redispatch is refused", []step{
			{"dispatch", 3, true, -1}, {"dispatch", 4, true, -1},
			{"dispatch", 3, false, -1}, {"done", 3, true, 4},
		}},
		{"abandoned record stops commits for good", []step{
			{"dispatch", 0, true, -1}, {"dispatch", 1, true, -1}, {"dispatch", 2, true, -1},
			{"done", 0, true, 1}, {"abandon", 1, false, 1}, {"done", 2, false, 1},
			{"dispatch", 3, false, 1},
		}},
		{"double finish is ignored", []step{
			{"dispatch", 0, true, -1}, {"done", 0, true, 1}, {"done", 0, false, 1}, {"abandon", 0, false, 1},
		}},
		{"unknown offset is ignored", []step{
			{"dispatch", 0, true, -1}, {"done", 9, false, -1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTracker()
			tr.assign(p)
			var st *partState
			for i, s := range tc.steps {
				var ok bool
				switch s.op {
				case "dispatch":
					got := tr.dispatch(p, s.offset, 1)
					ok = got != nil
					if got != nil {
						st = got
					}
				case "done", "abandon":
					ok = tr.finish(st, s.offset, s.op == "done")
				}
				if ok != s.ok {
					t.Fatalf("step %d %s %d: ok=%v, want %v", i, s.op, s.offset, ok, s.ok)
				}
				if got := committable(tr, p); got != s.commit {
					t.Fatalf("step %d %s %d: committable %d, want %d", i, s.op, s.offset, got, s.commit)
				}
			}
		})
	}
}

func committable(tr *tracker, p tp) int64 {
	for _, o := range tr.uncommitted(nil) {
		if o.tp == p {
			return o.offset
		}
	}
	return -1
}

func TestTrackerRevokeAndReassign(t *testing.T) {
	p := tp{"uploads", 1}
	tr := newTracker()
	if tr.dispatch(p, 0, 0) != nil {
		t.Fatal("dispatch on an unassigned partition accepted")
	}
	tr.assign(p)
	old := tr.dispatch(p, 4, 0)
	if tr.waitChan(p) == nil {
		t.Fatal("no wait channel with a record in flight")
	}
	tr.revoke(p)
	if tr.dispatch(p, 5, 0) != nil {
		t.Fatal("dispatch after revoke accepted")
	}
	ch := tr.waitChan(p)
	tr.finish(old, 4, true)
	select {
	case <-ch:
	default:
		t.Fatal("wait channel not closed after the last record finished")
	}
	if got := tr.uncommitted(map[tp]bool{p: true}); len(got) != 1 || got[0].offset != 5 {
		t.Fatalf("uncommitted %+v, want offset 5", got)
	}
	tr.forget(p)

	// Assigned again: a late outcome of the old assignment must not touch
	// the new state, and records from the committed offset are accepted.
	tr.assign(p)
	st := tr.dispatch(p, 5, 1)
	if st == nil {
		t.Fatal("dispatch after reassignment refused")
	}
	if tr.finish(old, 5, false) {
		t.Fatal("late outcome of the old assignment moved the new state")
	}
	if !tr.finish(st, 5, true) || committable(tr, p) != 6 {
		t.Fatalf("new state: committable %d, want 6", committable(tr, p))
	}
	tr.committed(p, 6)
	if len(tr.uncommitted(nil)) != 0 {
		t.Fatal("still uncommitted after the commit was acknowledged")
	}
	tr.setHighWatermark(p, 10)
	if l := tr.lag(nil)[p]; l != 4 {
		t.Fatalf("lag %d, want 4", l)
	}
	// An idle partition: no record handled yet, the group's committed
	// offset from the join is the position.
	idle := tp{"uploads", 2}
	tr.assign(idle)
	tr.setHighWatermark(idle, 30)
	if _, ok := tr.lag(nil)[idle]; ok {
		t.Fatal("lag reported for an idle partition with no known position")
	}
	if l := tr.lag(map[tp]int64{idle: 25})[idle]; l != 5 {
		t.Fatalf("idle lag %d, want 5", l)
	}
}

// TestTrackerRandomOrder finishes records in random order and checks the
// invariant the consumer's at-least-once guarantee rests on: the
// committable offset never passes a record that is not done.
func TestTrackerRandomOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		p := tp{"uploads", 0}
		tr := newTracker()
		tr.assign(p)
		n := 1 + rng.Intn(30)
		var st *partState
		for i := 0; i < n; i++ {
			st = tr.dispatch(p, int64(i), 0)
		}
		done := make([]bool, n)
		for _, i := range rng.Perm(n) {
			done[i] = rng.Intn(10) > 0 // some are abandoned
			tr.finish(st, int64(i), done[i])
			c := committable(tr, p)
			for j := int64(0); j < c; j++ {
				if !done[j] {
					t.Fatalf("round %d: committable %d passes record %d which is not done", round, c, j)
				}
			}
		}
	}
}
