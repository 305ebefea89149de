package tui

import (
	"math/rand/v2"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/store"
)

// fit and clip measure printable ASCII by its length (printableASCII): they
// must cut and pad exactly as lipgloss and ansi do, for every width.
func TestFitAndClipCutPlainTextAsAnsiDoes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = " abcXYZ019-_~!"
	for range 2000 {
		var sb strings.Builder
		for range r.IntN(30) {
			sb.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		s, w := sb.String(), r.IntN(35)
		want := ""
		if w > 0 {
			want = ansi.Truncate(s, w, "…")
		}
		if got := clip(s, w); got != want {
			t.Fatalf("clip(%q, %d) = %q, want %q", s, w, got, want)
		}
		f := fit(s, w)
		if lipgloss.Width(f) != w || !strings.HasPrefix(f, want) {
			t.Fatalf("fit(%q, %d) = %q: want %q padded to %d cells", s, w, f, want, w)
		}
	}
	// Anything else goes the slow way: wide runes, escapes, controls.
	for _, s := range []string{"名前名前名前", "\x1b[31mred text here\x1b[0m", "tab\there and more"} {
		if got, want := clip(s, 5), ansi.Truncate(s, 5, "…"); got != want {
			t.Fatalf("clip(%q, 5) = %q, want %q", s, got, want)
		}
	}
}

// joinColumns must lay blocks side by side exactly as lipgloss does, and
// cells must give lipgloss's width whether it measures or remembers.
func TestJoinColumnsIsJoinHorizontalAtTheTop(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	st := lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true)
	pieces := []string{"", "plain", "名前", "✓ high", st.Render("✗ low"), st.Render("SMITH") + " JAMIE", "…", "<U+202E>"}
	block := func() string {
		var lines []string
		for range 1 + r.IntN(6) {
			var sb strings.Builder
			for range r.IntN(4) {
				sb.WriteString(pieces[r.IntN(len(pieces))])
			}
			lines = append(lines, sb.String())
		}
		return strings.Join(lines, "\n")
	}
	for range 300 {
		blocks := []string{block(), block(), block()}
		for range 2 { // measured, then remembered
			if got, want := joinColumns(blocks...), lipgloss.JoinHorizontal(lipgloss.Top, blocks...); got != want {
				t.Fatalf("joinColumns(%q) =\n%q\nwant\n%q", blocks, got, want)
			}
			for _, b := range blocks {
				for _, l := range strings.Split(b, "\n") {
					if cells(l) != lipgloss.Width(l) {
						t.Fatalf("cells(%q) = %d, lipgloss.Width %d", l, cells(l), lipgloss.Width(l))
					}
				}
			}
		}
	}
}

// A page read draws every row afresh, and each row asks for its status
// word: asking must not copy the console's styles to the heap (it once
// moved all 9.7 KB of them there, for every row of every page).
func TestAStatusWordAsDrawnCostsNoAllocation(t *testing.T) {
	c := newProgramContext(Config{HasDarkBackground: darkBackground()})
	rows := []store.Row{
		{Status: store.StatusOpen, Outcome: store.OutcomeOK},
		{Status: store.StatusRejected, Outcome: store.OutcomeOK},
		{Status: store.StatusOpen},
	}
	for _, r := range rows {
		c.status(r) // drawn once and remembered
		if n := testing.AllocsPerRun(100, func() { c.status(r) }); n != 0 {
			t.Errorf("the status word of a %s row costs %.0f allocations, want none", r.Status, n)
		}
	}
}
