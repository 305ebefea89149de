package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
)

// isTerminal reports whether w is a terminal; a buffer or a pipe is not.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// progress draws a one-line bar on a terminal, redrawn at most every
// redrawEvery so a fast batch does not flood a slow SSH link. On anything
// else it stays silent and the caller prints one summary line.
type progress struct {
	w         io.Writer
	tty       bool
	total     int
	done      int
	failed    int
	lastDraw  time.Time
	drawnOnce bool
}

const (
	redrawEvery = 100 * time.Millisecond
	barWidth    = 30
)

func newProgress(w io.Writer, tty bool, total int) *progress {
	p := &progress{w: w, tty: tty, total: total}
	p.draw()
	return p
}

func (p *progress) step(failed bool) {
	p.done++
	if failed {
		p.failed++
	}
	if time.Since(p.lastDraw) >= redrawEvery || p.done == p.total {
		p.draw()
	}
}

func (p *progress) draw() {
	if !p.tty {
		return
	}
	p.lastDraw = time.Now()
	p.drawnOnce = true
	fmt.Fprintf(p.w, "\r\x1b[2K%s", p.line())
}

func (p *progress) line() string {
	filled := barWidth
	if p.total > 0 {
		filled = p.done * barWidth / p.total
	}
	bar := strings.Repeat("█", filled) + strings.Repeat("░", barWidth-filled)
	s := fmt.Sprintf("refreshing %s %d/%d", bar, p.done, p.total)
	if p.failed > 0 {
		s += fmt.Sprintf("  %d failed", p.failed)
	}
	return s
}

// finish clears the bar so the summary line takes its place.
func (p *progress) finish() {
	if p.tty && p.drawnOnce {
		fmt.Fprint(p.w, "\r\x1b[2K")
	}
}
