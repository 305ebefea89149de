package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// fit makes s exactly w cells wide: cut with "…" when longer, padded with
// spaces when shorter. s may carry lipgloss's own SGR sequences; untrusted
// text must have gone through sanitize before, so that the width measured
// is the width drawn.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = clip(s, w)
	if pad := w - cells(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// clip cuts s to at most w cells, without padding.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if printableASCII(s) {
		if len(s) > w {
			return s[:w-1] + "…"
		}
		return s
	}
	if cells(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// cells is the width of s on screen, as lipgloss.Width measures it.
func cells(s string) int {
	if printableASCII(s) {
		return len(s)
	}
	if len(s) > maxRememberedLen {
		return lipgloss.Width(s)
	}
	return widths.get(s, func() int { return lipgloss.Width(s) })
}

// widths remembers the width of lines that are not plain ASCII (memo.go).
var widths = newMemo[string, int](4096)

// maxRememberedLen is the longest string widths keeps, in bytes: a line,
// not a block of text.
const maxRememberedLen = 1024

// printableASCII reports whether s is printable ASCII only, one cell a
// byte: most of what a frame measures (ids, headings, padding), which then
// needs no grapheme or escape-sequence parsing, the larger part of drawing
// a list row.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// clampView makes a frame exactly h lines of at most w cells, so a long
// line or a tall component can never scroll or wrap the terminal.
func clampView(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = clip(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// line is sanitize.Line under a shorter name: every string from the API or
// the store goes through it before it is measured or drawn.
func line(s string) string { return sanitize.Line(s) }

// badge shows a confidence as a symbol and a word as well as a colour,
// short enough for a list column: "✓ high", "~ med", "✗ low", "? unk".
func (st Styles) badge(l caisson.Level) string { return st.level(l, false) }

// levelWord is the long form of a badge, for the detail pane.
func (st Styles) levelWord(l caisson.Level) string { return st.level(l, true) }

func (st Styles) level(l caisson.Level, long bool) string {
	style, symbol := st.Muted, "?"
	switch l {
	case caisson.High:
		style, symbol = st.Good, "✓"
	case caisson.Medium:
		style, symbol = st.Warn, "~"
	case caisson.Low:
		style, symbol = st.Bad, "✗"
	}
	word := l.String()
	if !long && len(word) > 4 {
		word = word[:3] // "med", "unk": the column fits "high"
	}
	return style.Render(symbol + " " + word)
}

func (st Styles) severity(s caisson.Severity, text string) string {
	switch s {
	case caisson.SeverityHigh:
		return st.Bad.Render(text)
	case caisson.SeverityMedium:
		return st.Warn.Render(text)
	}
	return st.Muted.Render(text)
}

// statusWord is the review status of a row; a failed fetch, or one
// waiting at Caisson, says so, since that is what the reviewer must know first.
func (st Styles) statusWord(r store.Row) string {
	word, style := st.status(r)
	if style == nil {
		return word
	}
	return style.Render(word)
}

// status is statusWord's word and the style it is drawn in (nil: plain).
// Its receiver is a pointer: the style returned points into it, and with
// a value receiver every call moved a copy of the whole Styles (9.7 KB)
// to the heap, once per row drawn (a third of a megabyte for each page a
// filter keystroke reads at 120x40, and the garbage collection after it).
func (st *Styles) status(r store.Row) (string, *lipgloss.Style) {
	switch {
	case r.Purged && r.Status == store.StatusOpen:
		// A decided check keeps its decision's word below: a purge drops
		// the personal data, not the decision (helper-57 saw an approved
		// check shown as deleted). Deleted is Caisson's word; purged, the
		// retention's.
		if caisson.ErrorCode(r.Outcome) == caisson.CodeIDCheckDeleted {
			return "deleted", &st.Muted
		}
		return "purged", &st.Muted
	case r.Purged:
	case r.Outcome == store.OutcomeNone:
		return "unfetched", &st.Muted
	case waiting(r):
		// Caisson has no result for now: a normal outcome, not a failure.
		return "waiting", &st.Muted
	case r.Outcome != store.OutcomeOK && r.Status == store.StatusOpen:
		return "error", &st.Bad
	case r.Proposal > 0:
		// Awaiting a second reviewer: not decided yet, whatever it was.
		return "proposed", &st.Warn
	}
	switch r.Status {
	case store.StatusApproved:
		return "approved", &st.Good
	case store.StatusRejected:
		return "rejected", &st.Bad
	case store.StatusEscalated:
		return "escalated", &st.Special
	}
	return "open", nil
}

// age is a short "how long ago": 45s, 12m, 5h, 3d, 8w, 2y.
func age(since, now time.Time) string {
	if since.IsZero() {
		return "-"
	}
	d := now.Sub(since)
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case d < 8*7*24*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d < 2*365*24*time.Hour:
		return fmt.Sprintf("%dw", int(d.Hours()/24/7))
	}
	return fmt.Sprintf("%dy", int(d.Hours()/24/365))
}

// fullName is a row's name, sanitized, "LAST, FIRST" reads best in a
// column sorted by last name.
func rowName(r store.Row) string {
	first, last := line(r.FirstName), line(r.LastName)
	switch {
	case first == "" && last == "":
		return "-"
	case first == "":
		return last
	case last == "":
		return first
	}
	return last + ", " + first
}

// errText is an error's text made safe for the screen.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return line(err.Error())
}

// explainOutcome is a stored fetch outcome in a sentence: the service's
// (the words the command line shows too), or the console's own for a
// check fetched fine or never.
func explainOutcome(r store.Row) string {
	switch r.Outcome {
	case store.OutcomeNone:
		return "never fetched: press r to fetch it"
	case store.OutcomeOK:
		return "fetched"
	}
	return line(service.ExplainOutcome(r))
}

// waiting reports whether a check is waiting at Caisson (store.Waiting).
func waiting(r store.Row) bool {
	_, ok := store.Waiting(r)
	return ok
}
