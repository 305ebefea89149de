package cli

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

// terminalWidth is w's width in columns, or 80 when it cannot be told.
func terminalWidth(w any) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(f.Fd()); err == nil && cols > 0 {
			return cols
		}
	}
	return 80
}

// progress draws a one-line bar on a terminal, redrawn at most every
// redrawEvery so a fast batch does not flood a slow SSH link. On anything
// else it stays silent and the caller prints one summary line.
type progress struct {
	w         io.Writer
	verb      string // what the bar counts: "refreshing" when ""
	tty       bool
	barWidth  int
	total     int
	done      int
	failed    int
	lastDraw  time.Time
	drawnOnce bool
}

const (
	redrawEvery = 100 * time.Millisecond
	maxBarWidth = 30
	// textWidth is what the line holds besides the bar, roughly: a line
	// that wraps could no longer be redrawn in place.
	textWidth = 40
)

func newProgress(w io.Writer, tty bool, total int) *progress {
	p := &progress{w: w, tty: tty, total: total, barWidth: maxBarWidth}
	if tty {
		p.barWidth = max(5, min(maxBarWidth, terminalWidth(w)-textWidth))
	}
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

// at moves the bar to done, for work counted in chunks.
func (p *progress) at(done int) {
	p.done = done
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
	filled := p.barWidth
	if p.total > 0 {
		filled = p.done * p.barWidth / p.total
	}
	bar := strings.Repeat("█", filled) + strings.Repeat("░", p.barWidth-filled)
	verb := p.verb
	if verb == "" {
		verb = "refreshing"
	}
	s := fmt.Sprintf("%s %s %d/%d", verb, bar, p.done, p.total)
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

// terminalVars are the environment variables that say what the terminal
// can do: its colour profile (NO_COLOR among them) and the queries Bubble
// Tea may send it.
var terminalVars = []string{
	"TERM", "COLORTERM", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM_PROGRAM", "TERM_PROGRAM_VERSION",
	"TMUX", "SSH_TTY", "SSH_CONNECTION", "WT_SESSION", "TERMINFO", "LANG", "LC_ALL", "LC_CTYPE",
}

// environ is the terminal's part of the program's environment, as
// KEY=value pairs, read through getenv like every other setting.
func (a *app) environ() []string {
	var env []string
	for _, k := range terminalVars {
		if v := a.getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}
