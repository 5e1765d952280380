package index

import (
	"math"
	"math/bits"
)

// Multi-index hashing (Norouzi, Punjani and Fleet, "Fast Exact Search in
// Hamming Space with Multi-Index Hashing", 2014). The 64 bits are split into
// m disjoint substrings, one table per substring. If two codes are within
// distance r, the distances of their substrings add up to at most r, so by
// the pigeonhole principle substring i is within t_i of the query for some
// i, whenever the thresholds satisfy sum(t_i) >= r - m + 1. Probing every
// table with its own threshold and verifying candidates with a full popcount
// therefore finds every neighbour: the search is exact for any radius.
// Thresholds may be -1, which skips a table entirely (for r < m-1 fewer
// tables than m are probed).
//
// A table's key is the top keyBits bits of its substring: when the index is
// smaller than 2^len buckets would warrant, a shorter key keeps the bucket
// offsets array small (it costs 4 bytes per bucket) at the price of larger
// buckets. Distance on a key prefix is at most the distance on the whole
// substring, so probing the key within t_i stays exact.
//
// Layout, struct-of-arrays: the entries are stored grouped by table 0's key
// (the top bits of the hash), so table 0 needs no position array and its
// candidates are read sequentially; tables 1..m-1 hold uint32 positions into
// that storage. Per entry that is 8 (hash) + 4 (video ordinal) + 4 (time) +
// 4*(m-1) bytes, plus the offsets arrays (about 4*m*2^keyBits/n bytes).

// scanMax is the size up to which a segment is only ever scanned: building
// tables does not pay for itself below it.
const scanMax = 4096

// segment is an immutable, searchable set of one kind's entries.
type segment struct {
	hashes []uint64
	ords   []uint32
	ms     []uint32
	tables []mihTable // nil when the segment is scanned
}

// mihTable is one substring's table.
type mihTable struct {
	shift   uint     // key = (hash >> shift) & mask
	mask    uint64   // (1 << keyBits) - 1
	keyBits int      // width of the key
	offsets []uint32 // bucket k holds positions offsets[k]..offsets[k+1]
	perm    []uint32 // positions in bucket order; nil for table 0
}

func (t *mihTable) key(h uint64) uint64 { return (h >> t.shift) & t.mask }

// found is one hit inside a segment.
type found struct {
	ord  uint32
	ms   uint32
	dist int
}

// layoutFor chooses the number of substrings and key widths for n entries:
// m = 64 / log2(n) as Norouzi et al. recommend (substrings about log2(n)
// bits long so that a bucket holds about one entry), between 3 and 5.
func layoutFor(n int) (subLens []int, keyBits []int) {
	if n <= scanMax {
		return nil, nil
	}
	lg := math.Log2(float64(n))
	m := int(math.Round(64 / lg))
	m = max(3, min(5, m))
	// Keys one bit shorter than log2(n): buckets of about two entries keep
	// the offsets arrays at about 2 bytes per entry per table.
	kb := max(8, int(lg)-1)
	for i := range m {
		l := 64 / m
		if i < 64%m {
			l++ // table 0, read sequentially, gets the longest substring
		}
		subLens = append(subLens, l)
		keyBits = append(keyBits, min(l, kb))
	}
	return subLens, keyBits
}

// buildSegment indexes es (which it may reorder).
func buildSegment(es []entry) *segment {
	n := len(es)
	s := &segment{hashes: make([]uint64, n), ords: make([]uint32, n), ms: make([]uint32, n)}
	subLens, keyBits := layoutFor(n)
	if subLens == nil {
		for i, e := range es {
			s.hashes[i], s.ords[i], s.ms[i] = e.hash, e.ord, e.ms
		}
		return s
	}
	hi := 64 // substrings from the top bit down
	for i, l := range subLens {
		lo := hi - l
		kb := keyBits[i]
		s.tables = append(s.tables, mihTable{
			shift:   uint(lo + l - kb),
			mask:    1<<uint(kb) - 1,
			keyBits: kb,
			offsets: make([]uint32, 1<<uint(kb)+1),
		})
		hi = lo
	}
	// Table 0: counting sort of the entries themselves by key.
	t0 := &s.tables[0]
	for _, e := range es {
		t0.offsets[t0.key(e.hash)+1]++
	}
	for k := 1; k < len(t0.offsets); k++ {
		t0.offsets[k] += t0.offsets[k-1]
	}
	next := make([]uint32, len(t0.offsets)-1)
	copy(next, t0.offsets)
	for _, e := range es {
		k := t0.key(e.hash)
		p := next[k]
		next[k]++
		s.hashes[p], s.ords[p], s.ms[p] = e.hash, e.ord, e.ms
	}
	// Other tables: counting sort of positions; positions stay ascending
	// within a bucket, which keeps reads of one bucket roughly in order.
	for ti := 1; ti < len(s.tables); ti++ {
		t := &s.tables[ti]
		for _, h := range s.hashes {
			t.offsets[t.key(h)+1]++
		}
		for k := 1; k < len(t.offsets); k++ {
			t.offsets[k] += t.offsets[k-1]
		}
		if cap(next) < len(t.offsets)-1 {
			next = make([]uint32, len(t.offsets)-1)
		}
		next = next[:len(t.offsets)-1]
		copy(next, t.offsets)
		t.perm = make([]uint32, n)
		for p, h := range s.hashes {
			k := t.key(h)
			t.perm[next[k]] = uint32(p)
			next[k]++
		}
	}
	return s
}

func (s *segment) len() int { return len(s.hashes) }

// bytes is the memory the segment holds.
func (s *segment) bytes() int64 {
	b := int64(len(s.hashes))*16 + 64
	for _, t := range s.tables {
		b += int64(len(t.offsets))*4 + int64(len(t.perm))*4
	}
	return b
}

// thresholds returns the per-table substring radii for radius r: as even as
// possible, the extra units to the lowest tables (table 0 is cheapest to
// probe), summing to r - m + 1.
func thresholds(m, r int, out []int) []int {
	total := r - m + 1
	out = out[:0]
	for i := range m {
		out = append(out, floorDiv(total+m-1-i, m))
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// ballSize is the number of keyBits-bit keys within distance t of a key.
func ballSize(keyBits, t int) float64 {
	if t < 0 {
		return 0
	}
	sum, c := 1.0, 1.0
	for k := 1; k <= t && k <= keyBits; k++ {
		c = c * float64(keyBits-k+1) / float64(k)
		sum += c
	}
	return sum
}

// useTables decides, per query radius, between probing the tables and a
// plain scan, from the expected work: probes and candidates of tables other
// than table 0 are random memory reads, table 0's candidates are read in
// order, the scan reads everything in order. The weights are in units of
// one scanned entry, fitted to BenchmarkSearch at 1 M hashes, radius 4 to
// 12 (the measured speedups were about half of what unit weights
// predicted). m itself is
// chosen from the index size (layoutFor): for 64-bit codes and 1-10 M
// hashes, 3 substrings beat 2 (2^32-entry tables) and 4 (buckets of
// hundreds) at every radius, so building other layouts per radius would
// not pay.
func (s *segment) useTables(ts []int) bool {
	if s.tables == nil {
		return false
	}
	n := float64(len(s.hashes))
	cost := 0.0
	for i, t := range ts {
		tb := &s.tables[i]
		probes := ballSize(tb.keyBits, t)
		cands := probes * n / float64(len(tb.offsets)-1)
		cost += probes * 24
		if i == 0 {
			cost += cands * 2
		} else {
			cost += cands * 16
		}
	}
	return cost < n
}

// segScratch holds buffers reused across the queries of one Search.
type segScratch struct {
	ts     []int
	ranges []uint32 // bucket bounds, lo/hi pairs
	pos    []uint32 // candidate positions
}

// search appends the entries within distance r of q to out.
func (s *segment) search(q uint64, r int, sc *segScratch, out []found) []found {
	if len(s.hashes) == 0 {
		return out
	}
	sc.ts = thresholds(len(s.tables), r, sc.ts)
	if !s.useTables(sc.ts) {
		for p, h := range s.hashes {
			if d := bits.OnesCount64(h ^ q); d <= r {
				out = append(out, found{s.ords[p], s.ms[p], d})
			}
		}
		return out
	}
	for i, t := range sc.ts {
		if t < 0 {
			continue
		}
		out = s.probe(i, sc, q, r, t, out)
	}
	return out
}

// probe enumerates every key of table i within distance t of q's key
// (Gosper's hack walks the masks of each popcount) and verifies the bucket
// entries. An entry already reachable through an earlier table (its key
// there within that table's threshold) is skipped, so each neighbour is
// reported once without a set.
//
// The work is split in passes (bucket bounds, then positions, then hashes)
// so that the loads of each pass are independent of one another: the CPU
// overlaps their cache misses instead of waiting for each in turn, which
// is where the time goes in a large index.
func (s *segment) probe(i int, sc *segScratch, q uint64, r, t int, out []found) []found {
	tb := &s.tables[i]
	qk := tb.key(q)
	limit := uint64(1) << uint(tb.keyBits)
	ranges := sc.ranges[:0]
	offs := tb.offsets
	for k := 0; k <= t && k <= tb.keyBits; k++ {
		mask := uint64(1)<<uint(k) - 1
		for mask < limit {
			key := qk ^ mask
			ranges = append(ranges, offs[key], offs[key+1])
			if mask == 0 {
				break
			}
			// Next mask with the same popcount.
			c := mask | (mask - 1)
			mask = (c + 1) | ((^c&-^c)-1)>>(bits.TrailingZeros64(mask)+1)
		}
	}
	sc.ranges = ranges
	if i == 0 {
		for j := 0; j < len(ranges); j += 2 {
			for p := ranges[j]; p < ranges[j+1]; p++ {
				if d := bits.OnesCount64(s.hashes[p] ^ q); d <= r {
					out = append(out, found{s.ords[p], s.ms[p], d})
				}
			}
		}
		return out
	}
	pos := sc.pos[:0]
	for j := 0; j < len(ranges); j += 2 {
		pos = append(pos, tb.perm[ranges[j]:ranges[j+1]]...)
	}
	sc.pos = pos
	earlier := sc.ts[:i]
	for _, p := range pos {
		h := s.hashes[p]
		if d := bits.OnesCount64(h ^ q); d <= r && !s.seen(earlier, h, q) {
			out = append(out, found{s.ords[p], s.ms[p], d})
		}
	}
	return out
}

// seen reports whether h was already a candidate of one of the earlier
// tables, whose thresholds are given.
func (s *segment) seen(earlier []int, h, q uint64) bool {
	for j, t := range earlier {
		if t >= 0 && bits.OnesCount64(s.tables[j].key(h^q)) <= t {
			return true
		}
	}
	return false
}
