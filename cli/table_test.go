package cli

import (
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// For text in one cell a character, a table is what text/tabwriter made
// of the same cells, byte for byte: list's columns did not move for
// scripts that cut them.
func TestATableOfASCIIIsWhatTabwriterMade(t *testing.T) {
	rows := [][]string{
		{"CHECK ID", "CUSTOMER", "NAME", "WAITING"},
		{"chk_priv_aaaa", "-", "Ann Smith", "2d"},
		{"chk_priv_b", "cus_1234567", "Bo", "-"},
	}
	var want strings.Builder
	tw := tabwriter.NewWriter(&want, 0, 4, 2, ' ', 0)
	var tb table
	for _, r := range rows {
		tw.Write([]byte(strings.Join(r, "\t") + "\n"))
		tb.add(r...)
	}
	tw.Flush()
	var got strings.Builder
	if err := tb.write(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("table:\n%s\ntabwriter:\n%s", got.String(), want.String())
	}
}

// list's columns line up on screen when a name is in Chinese or Japanese,
// two cells a character (helper-65: tabwriter counts runes, and such a
// row's columns after the name were pushed out of line).
func TestListLinesUpColumnsAfterWideCharacters(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	f.must(0, append([]string{"add"}, f.sb.CheckIDs(60)...)...)
	f.must(0, "refresh", "--all")
	lines := strings.Split(strings.TrimRight(f.must(0, "list", "--queue", "all").stdout, "\n"), "\n")
	at := ansi.StringWidth(lines[0][:strings.Index(lines[0], "DOCUMENT")])
	wide := 0
	for _, l := range lines[1:] {
		if ansi.StringWidth(l) != len([]rune(l)) {
			wide++
		}
		rest := ansi.TruncateLeft(l, at, "")
		if !strings.HasPrefix(rest, "high") && !strings.HasPrefix(rest, "medium") && !strings.HasPrefix(rest, "low") && !strings.HasPrefix(rest, "unknown") && !strings.HasPrefix(rest, "-") {
			t.Errorf("the DOCUMENT column is not at cell %d in:\n%s\n%s", at, lines[0], l)
		}
	}
	if wide == 0 {
		t.Fatal("no row has a wide character: the test shows nothing")
	}
}
