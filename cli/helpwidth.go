package cli

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// helpWidth is the width --help is laid out for: the terminal's, as fang
// measures it (at most 120 columns); on a pipe, COLUMNS when set, else
// fang's 120.
func (a *app) helpWidth(w io.Writer) int {
	width := 120
	if isTerminal(w) {
		width = terminalWidth(w)
	} else if n, err := strconv.Atoi(a.getenv("COLUMNS")); err == nil && n > 0 {
		width = n
	}
	return min(max(width, minHelpWidth), 120)
}

// minHelpWidth is the narrowest help is wrapped to: below it a
// description would be a word a line.
const minHelpWidth = 40

// helpWriter wraps the rows of fang's help that are wider than the
// terminal. Fang writes each flag's and each command's description on one
// line beside its name, however long: at 80 columns, a bastion's, the
// terminal broke them mid-word at its edge and went on under the names
// ("(env CA" / "ISSON_REVIEW_CONFIG; …"). A row too wide is wrapped at
// spaces, its further lines under the start of its description. Anything
// else written through it (the version) passes as it is.
type helpWriter struct {
	w     io.Writer
	width int
	buf   []byte
	// tables is set once fang's COMMANDS or FLAGS title has passed: only
	// their rows are wrapped. The description above them is fang's own
	// layout, whose tables (the configuration's) were broken up when
	// COLUMNS on a pipe asked for less than fang's 120 (helper-75).
	tables bool
}

func (h *helpWriter) Write(p []byte) (int, error) {
	h.buf = append(h.buf, p...)
	for {
		i := bytes.IndexByte(h.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(h.buf[:i])
		h.buf = h.buf[i+1:]
		if _, err := io.WriteString(h.w, h.fit(line)+"\n"); err != nil {
			return 0, err
		}
	}
}

// helpFile is a helpWriter to a file, which it passes on as the file:
// fang colours help only for a writer it can tell is a terminal.
type helpFile struct {
	*helpWriter
	f *os.File
}

func (h helpFile) Read(p []byte) (int, error) { return h.f.Read(p) }
func (h helpFile) Close() error               { return h.f.Close() }
func (h helpFile) Fd() uintptr                { return h.f.Fd() }

// newHelpWriter is a helpWriter to w, a helpFile when w is a file.
func newHelpWriter(w io.Writer, width int) (io.Writer, *helpWriter) {
	h := &helpWriter{w: w, width: width}
	if f, ok := w.(*os.File); ok {
		return helpFile{h, f}, h
	}
	return h, h
}

// Flush writes what is left after the last newline.
func (h *helpWriter) Flush() error {
	if len(h.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(h.w, h.fit(string(h.buf)))
	h.buf = nil
	return err
}

// fit is line as written: wrapped when it is a row of the commands' or
// the flags' table.
func (h *helpWriter) fit(line string) string {
	if !h.tables {
		switch strings.TrimSpace(ansi.Strip(line)) {
		case "COMMANDS", "FLAGS":
			h.tables = true
		}
		return line
	}
	return fitHelpRow(line, h.width)
}

// helpRow is a row of fang's help in plain text: an indent, a name (words
// with single spaces: "-h --help", "decide ID ACTION [--flags]"), at
// least two spaces, and the description.
var helpRow = regexp.MustCompile(`^( +\S+(?: \S+)*  +)\S`)

// fitHelpRow is line wrapped to width when it is a help row wider than
// that, else line.
func fitHelpRow(line string, width int) string {
	plain := ansi.Strip(line)
	if ansi.StringWidth(strings.TrimRight(plain, " ")) <= width {
		return line
	}
	m := helpRow.FindStringSubmatch(plain)
	if m == nil {
		return line
	}
	col := ansi.StringWidth(m[1])
	if width-col < minHelpWidth/2 {
		return line // a name so wide that wrapping would not help
	}
	name := ansi.Truncate(line, col, "")
	desc := strings.TrimRight(ansi.TruncateLeft(line, col, ""), " ")
	return name + strings.Join(wrapWords(desc, width-col), "\n"+strings.Repeat(" ", col))
}

// wrapWords breaks s into lines of up to limit columns at its spaces
// alone: ansi.Wordwrap breaks at hyphens too, and a path broken at its
// hyphen ("caisson-" / "review/config.toml") reads as two. A word longer
// than limit gets a line of its own. Escape sequences count for nothing.
func wrapWords(s string, limit int) []string {
	var lines []string
	var cur strings.Builder
	w := 0
	for word := range strings.SplitSeq(s, " ") {
		ww := ansi.StringWidth(word)
		if w > 0 && w+1+ww > limit {
			lines = append(lines, cur.String())
			cur.Reset()
			w = 0
		}
		if w > 0 || cur.Len() > 0 {
			cur.WriteByte(' ')
			w++
		}
		cur.WriteString(word)
		w += ww
	}
	return append(lines, cur.String())
}
