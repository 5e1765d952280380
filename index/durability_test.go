package index_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/copycat-video/copycat/index"
	"github.com/copycat-video/copycat/index/indextest"
	"github.com/copycat-video/copycat/models"
)

// The crash tests re-execute the test binary as a child that works on an
// index until the parent kills it. These variables select the child's role.
const (
	childEnv    = "COPYCAT_INDEX_CHILD" // "writer" or "open"
	childDirEnv = "COPYCAT_INDEX_CHILD_DIR"
	childBase   = "COPYCAT_INDEX_CHILD_BASE"
)

// framesOf derives a video's hashes from its id, so that the parent can
// check a video the child added without being told its hashes.
func framesOf(id string) []models.FrameHash {
	h := fnv.New64a()
	h.Write([]byte(id))
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	return indextest.Frames(rng, models.KindPHash, 20+rng.IntN(30))
}

// TestChild is not a test: it is the body of the child process of the crash
// tests, and skips unless started by one.
func TestChild(t *testing.T) {
	role := os.Getenv(childEnv)
	if role == "" {
		t.Skip("child process of TestKill9KeepsAcknowledgedWrites; runs only when started by it")
	}
	dir := os.Getenv(childDirEnv)
	e, err := index.OpenEmbedded(dir, index.EmbeddedOptions{CompactBytes: 32 << 10})
	if role == "open" {
		if err != nil {
			fmt.Printf("ERR %s %s\n", models.ErrorCode(err), err)
		} else {
			fmt.Println("OPENED")
		}
		return
	}
	if err != nil {
		fmt.Printf("ERR %s\n", err)
		os.Exit(1)
	}
	base, _ := strconv.Atoi(os.Getenv(childBase))
	ctx := context.Background()
	out := bufio.NewWriter(os.Stdout)
	var added []string
	rng := rand.New(rand.NewPCG(uint64(base), 2))
	for i := 0; ; i++ {
		// Mostly adds; some deletes and some re-adds of acknowledged ids,
		// so that every kind of record is in flight when the kill comes.
		if len(added) > 3 && rng.IntN(8) == 0 {
			j := rng.IntN(len(added))
			id := added[j]
			// The intent goes out first: if the kill comes before the
			// acknowledgement, the delete may or may not have happened.
			fmt.Fprintf(out, "d %s\n", id)
			out.Flush()
			if err := e.Delete(ctx, id); err != nil {
				fmt.Fprintf(out, "ERR delete %s: %v\n", id, err)
				out.Flush()
				os.Exit(1)
			}
			added = slices.Delete(added, j, j+1)
			fmt.Fprintf(out, "D %s\n", id)
			out.Flush()
			continue
		}
		id := fmt.Sprintf("crash-%07d", base+i)
		fmt.Fprintf(out, "a %s\n", id)
		out.Flush()
		if err := e.Add(ctx, indextest.Video(id), framesOf(id)); err != nil {
			fmt.Fprintf(out, "ERR add %s: %v\n", id, err)
			out.Flush()
			os.Exit(1)
		}
		added = append(added, id)
		fmt.Fprintf(out, "A %s\n", id)
		out.Flush()
	}
}

func startChild(t *testing.T, role, dir string, base int) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+role, childDirEnv+"="+dir, childBase+"="+strconv.Itoa(base))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout
}

// TestKill9KeepsAcknowledgedWrites kills a writing child with SIGKILL at
// random points, several times over the same directory, and checks after
// each kill that every add and delete the child acknowledged holds.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test spawns processes; skipped with -short")
	}
	dir := t.TempDir()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	live := map[string]bool{}       // acknowledged state: id -> present
	inFlight := map[string]string{} // id -> "a" or "d" started, not acknowledged
	record := func(l string) bool {
		op, id, ok := strings.Cut(l, " ")
		if !ok {
			return false
		}
		switch op {
		case "a", "d":
			inFlight[id] = op
		case "A":
			live[id] = true
			delete(inFlight, id)
		case "D":
			live[id] = false
			delete(inFlight, id)
		default:
			return false
		}
		return true
	}
	for round := range 5 {
		cmd, stdout := startChild(t, "writer", dir, round*1_000_000)
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it acknowledge a random number of writes, then kill it
		// without warning, wherever it is.
		want := 20 + rng.IntN(200)
		acks := 0
		deadline := time.After(2 * time.Minute)
	read:
		for acks < want {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if !record(l) {
					t.Fatalf("round %d: child: %s", round, l)
				}
				if l[0] == 'A' || l[0] == 'D' {
					acks++
				}
			case <-deadline:
				t.Fatalf("round %d: child acknowledged only %d writes in 2 minutes", round, acks)
			}
		}
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		// Whatever the child printed before it died was acknowledged.
		for l := range lines {
			record(l)
		}
		cmd.Wait()
		if acks < want {
			t.Fatalf("round %d: child stopped after %d writes", round, acks)
		}

		e, err := index.OpenEmbedded(dir, index.EmbeddedOptions{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		present := 0
		// The write in flight at the kill may or may not have happened,
		// but never in part: settle it by what the index holds, then check
		// everything as acknowledged.
		for id, op := range inFlight {
			_, verr := e.Video(ctx, id)
			if op == "a" && verr == nil {
				live[id] = true
			}
			if op == "d" && verr != nil {
				live[id] = false
			}
			delete(inFlight, id)
		}
		for id, ok := range live {
			_, verr := e.Video(ctx, id)
			if !ok {
				if verr == nil {
					t.Errorf("round %d: %s was deleted (acknowledged) but is back", round, id)
				}
				continue
			}
			present++
			if verr != nil {
				t.Errorf("round %d: acknowledged %s lost: %v", round, id, verr)
				continue
			}
			hs := framesOf(id)
			res, err := e.Search(ctx, hs, index.SearchOptions{Radius: 0})
			if err != nil {
				t.Fatal(err)
			}
			for i, ns := range res {
				if !slices.ContainsFunc(ns, func(n models.Neighbor) bool {
					return n.VideoID == id && n.Distance == 0 && int(n.T*1000+0.5) == int(hs[i].T*1000+0.5)
				}) {
					t.Errorf("round %d: %s frame %d (t=%v) lost", round, id, i, hs[i].T)
					break
				}
			}
		}
		t.Logf("round %d: killed after %d acknowledged writes; %d acknowledged videos all present", round, acks, present)
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			return
		}
	}
}

// TestSecondProcessRefused checks the directory lock across processes.
func TestSecondProcessRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process; skipped with -short")
	}
	dir := t.TempDir()
	e, err := index.OpenEmbedded(dir, index.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run := func() string {
		cmd, stdout := startChild(t, "open", dir, 0)
		out, _ := io.ReadAll(stdout)
		cmd.Wait()
		first, _, _ := strings.Cut(string(out), "\n") // then the test framework's PASS
		return first
	}
	got := run()
	if !strings.HasPrefix(got, "ERR "+models.EConflict) || !strings.Contains(got, dir) || !strings.Contains(got, "in use by another copycat process") {
		t.Errorf("second process: %q, want a conflict naming %s", got, dir)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if got := run(); got != "OPENED" {
		t.Errorf("after the first process closed: %q", got)
	}
}

func TestSecondOpenInProcessRefused(t *testing.T) {
	dir := t.TempDir()
	e, err := index.OpenEmbedded(dir, index.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = index.OpenEmbedded(dir, index.EmbeddedOptions{})
	if models.ErrorCode(err) != models.EConflict || !strings.Contains(err.Error(), dir) {
		t.Errorf("second open: %v, want a conflict naming the directory", err)
	}
}

// newestLog returns the newest non-empty write-ahead log in dir.
func newestLog(t *testing.T, dir string) string {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(logs)
	for i := len(logs) - 1; i >= 0; i-- {
		if st, err := os.Stat(logs[i]); err == nil && st.Size() > 0 {
			return logs[i]
		}
	}
	t.Fatalf("no log with data in %s", dir)
	return ""
}

func addN(t *testing.T, dir string, ids []string) {
	t.Helper()
	e, err := index.OpenEmbedded(dir, index.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := e.Add(context.Background(), indextest.Video(id), framesOf(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

// present returns which of ids the index holds, with all their hashes.
func present(t *testing.T, e index.Index, ids []string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, id := range ids {
		if _, err := e.Video(ctx, id); err != nil {
			continue
		}
		res, err := e.Search(ctx, framesOf(id), index.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i, ns := range res {
			if !slices.ContainsFunc(ns, func(n models.Neighbor) bool { return n.VideoID == id }) {
				t.Errorf("%s is listed but its frame %d is missing", id, i)
			}
		}
		out = append(out, id)
	}
	return out
}

// TestTornTail damages the end of the log the way a crash in the middle of
// an append does: the last record is lost, the ones before it are not, the
// index opens, and writes after the repair survive another reopen.
func TestTornTail(t *testing.T) {
	cases := []struct {
		name    string
		cut     int64  // bytes removed from the end
		garbage []byte // then appended
		lost    bool   // whether the last video is lost
	}{
		{"cut in payload", 3, nil, true},
		{"cut in header", -1, nil, true}, // -1: leave 5 bytes of the last frame
		{"cut and garbage", 7, []byte("\x00\xff\x13garbage after a torn write"), true},
		{"zeros appended", 0, make([]byte, 4096), false},
		{"garbage appended", 0, []byte("CCR1\xff\xff\xff\x7f"), false},
	}
	ids := []string{"torn-0", "torn-1", "torn-2", "torn-3"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			addN(t, dir, ids)
			log := newestLog(t, dir)
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			cut := c.cut
			if cut < 0 {
				last := lastFrameSize(t, data)
				cut = int64(last - 5)
			}
			data = append(data[:int64(len(data))-cut], c.garbage...)
			if err := os.WriteFile(log, data, 0o644); err != nil {
				t.Fatal(err)
			}
			e, err := index.OpenEmbedded(dir, index.EmbeddedOptions{})
			if err != nil {
				t.Fatalf("open with a torn tail: %v", err)
			}
			want := ids
			if c.lost {
				want = ids[:3]
			}
			if got := present(t, e, ids); !slices.Equal(got, want) {
				t.Errorf("after the torn write: %v, want %v", got, want)
			}
			if err := e.Add(context.Background(), indextest.Video("torn-after"), framesOf("torn-after")); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			e, err = index.OpenEmbedded(dir, index.EmbeddedOptions{})
			if err != nil {
				t.Fatalf("second open after repair: %v", err)
			}
			defer e.Close()
			want = append(slices.Clone(want), "torn-after")
			if got := present(t, e, append(slices.Clone(ids), "torn-after")); !slices.Equal(got, want) {
				t.Errorf("after repair and reopen: %v, want %v", got, want)
			}
		})
	}
}

// lastFrameSize walks the frames of a log (magic, length, crc, payload) and
// returns the size of the last one.
func lastFrameSize(t *testing.T, data []byte) int {
	t.Helper()
	off, last := 0, 0
	for off < len(data) {
		if len(data)-off < 12 {
			t.Fatalf("log ends inside a frame header")
		}
		n := int(uint32(data[off+4]) | uint32(data[off+5])<<8 | uint32(data[off+6])<<16 | uint32(data[off+7])<<24)
		last = 12 + n
		off += last
	}
	return last
}

// TestCorruptLogRefused damages the middle of the log: the index must not
// open, must name the file, and must leave it byte for byte as it was.
func TestCorruptLogRefused(t *testing.T) {
	dir := t.TempDir()
	addN(t, dir, []string{"mid-0", "mid-1", "mid-2", "mid-3"})
	log := newestLog(t, dir)
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/3] ^= 0x40
	if err := os.WriteFile(log, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = index.OpenEmbedded(dir, index.EmbeddedOptions{})
	if err == nil || !strings.Contains(err.Error(), log) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("open with a damaged log: %v, want an error naming %s", err, log)
	}
	after, rerr := os.ReadFile(log)
	if rerr != nil || !bytes.Equal(after, data) {
		t.Errorf("the damaged log was modified")
	}
	// Still refused the second time: nothing was "repaired" behind our back.
	if _, err2 := index.OpenEmbedded(dir, index.EmbeddedOptions{}); err2 == nil {
		t.Errorf("second open of a damaged log succeeded")
	}
}
