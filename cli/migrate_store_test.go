package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/store"
)

// On a terminal the copy is one bar redrawn in place; in a log, a line as
// each table starts and at every tenth of the rows, never one a batch.
func TestMigrateStoreProgressIsABarOnATerminalAndFewLinesElsewhere(t *testing.T) {
	feed := func(p *copyProgress) {
		p.update(store.CopyProgress{Total: 1000})
		for done := int64(20); done <= 1000; done += 20 {
			table := "tracked checks"
			if done > 500 {
				table = "checks with results"
			}
			p.update(store.CopyProgress{Table: table, Done: done, Total: 1000})
		}
		p.finish()
	}
	var tty bytes.Buffer
	feed(newCopyProgress(&tty, true))
	if !strings.Contains(tty.String(), "\r\x1b[2Kcopying ") || strings.Contains(tty.String(), "\n") {
		t.Errorf("on a terminal: %q; want a bar redrawn in place, no new lines", tty.String())
	}
	var log bytes.Buffer
	feed(newCopyProgress(&log, false))
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) < 5 || len(lines) > 13 || strings.Contains(log.String(), "\x1b") {
		t.Errorf("in a log, %d lines:\n%s\nwant one as each table starts and at each tenth, plain", len(lines), log.String())
	}
	if !strings.HasPrefix(lines[0], "caisson-review: copied 0 of 1000 rows (starting)") ||
		lines[len(lines)-1] != "caisson-review: copied 1000 of 1000 rows (checks with results)" {
		t.Errorf("in a log:\n%s", log.String())
	}
}
