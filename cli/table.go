package cli

import (
	"bufio"
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// table is rows of cells written as columns two spaces apart, each as
// wide on screen as its widest cell, the last cell of a row unpadded:
// text/tabwriter's layout, but measured in terminal cells where tabwriter
// counts runes, so a name in Chinese or Japanese (two cells a character)
// no longer pushes the columns after it out of line. Cells must be
// sanitized: an escape sequence would be measured as text.
type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	var widths []int
	for _, row := range t.rows {
		for i, cell := range row[:max(len(row)-1, 0)] {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], ansi.StringWidth(cell))
		}
	}
	bw := bufio.NewWriter(w)
	for _, row := range t.rows {
		for i, cell := range row {
			bw.WriteString(cell)
			if i < len(row)-1 {
				bw.WriteString(strings.Repeat(" ", widths[i]-ansi.StringWidth(cell)+2))
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
