package tui

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
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
