package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is a progress bar on stderr for long batch commands (fingerprint,
// refs import). It draws only when stderr is a terminal, so logs and CI
// output stay clean; otherwise every method is a no-op. A nil *progress is
// valid and draws nothing. It is safe for concurrent use.
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
	w   io.Writer
}

// newProgress starts a bar for total items described by what ("files",
// "videos", ...), showing count, rate and ETA. total <= 0 means unknown (a
// spinner with count and rate).
func newProgress(env *Env, total int, what string) *progress {
	if !isTerminal(env.Stderr) {
		return &progress{}
	}
	if total <= 0 {
		total = -1
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(what),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
	_ = bar.RenderBlank()
	return &progress{bar: bar, w: env.Stderr}
}

// isTerminal reports whether w is a terminal (only an *os.File can be).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Add records n more items done.
func (p *progress) Add(n int) {
	if p == nil || p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Add(n)
}

// Printf prints a line on stderr without garbling the bar: the bar is
// cleared, the line written and the bar redrawn on the next Add. Without a
// bar it writes to fallback.
func (p *progress) Printf(fallback io.Writer, format string, args ...any) {
	if p == nil || p.bar == nil {
		fmt.Fprintf(fallback, format, args...)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Clear()
	fmt.Fprintf(p.w, format, args...)
}

// Finish completes and removes the bar.
func (p *progress) Finish() {
	if p == nil || p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Finish()
}
