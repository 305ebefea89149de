package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// listModel is a window onto one queue. It holds only the rows around the
// cursor (a few screens' worth, read with Page) and the queue's total (from
// Count), so a queue of 100,000 checks costs no more per frame than one of
// a hundred.
type listModel struct {
	rows     []store.Row
	rowsFrom int // index in the queue of rows[0]
	total    int // -1 until counted
	cursor   int
	top      int // index of the first visible row
	height   int // visible rows
	width    int

	// req is the latest page request; answers to any other are stale.
	req int
	// pendingFrom/pendingTo is the window that request covers.
	pendingFrom, pendingTo int
	// dirty asks for the window and the total to be read again (the
	// queue's content changed) while the old rows stay on screen.
	dirty bool
	// again is set when the queue changed while a page was being read:
	// that answer is still shown when it comes, then the page is read
	// once more. Dropping it instead would starve the list on a busy
	// shared server, where changes can come faster than a page is read.
	again bool
	// selectID, when set, moves the cursor to that check once it is in a
	// loaded page (the next check after a decision).
	selectID string
	// moved is set once the reviewer moves the cursor in this query: from
	// then on a re-read keeps the cursor on its check; before, it stays
	// at the top, on the riskiest check.
	moved bool
	// more is set when total is only a lower bound: a filtered list is not
	// counted as it is typed (counting a filter means reading the whole
	// table), so it knows its rows up to the last page read, and counts
	// only when the reviewer asks for the bottom.
	more bool
	// away is set while the reviewer is on a check that left the list
	// (Model.pinned): no row is marked as selected.
	away bool
	// countReq is the latest count request, toBottom what to do with it.
	countReq int
	toBottom bool
	err      error
	// resting is set when a page could not be read: the window is not
	// read again until the queue changes, the query does, or the retry
	// tick (pageRetryMsg) comes. Before, the failed read left the window
	// uncovered and the next sync read it again at once, for ever: a
	// console hammering a PostgreSQL server that had gone away.
	resting  bool
	restings int // the retry tick's id (programContext.nextID: a tick from before a new query never matches)

	// drawn are the visible rows as drawn (memo.go), emptied when rows
	// are read.
	drawn *memo[rowKey, string]
	// proposals, set while the list is Second review, are its rows'
	// proposals by seq, and me the identity looking (secondreview.go).
	proposals map[int64]store.Decision
	me        string
}

// rowKey is everything a drawn row depends on: which loaded row, the
// list's width, and its look. The styles are the console's, which empty
// every memo when they change.
type rowKey struct {
	i     int // index in rows
	width int
	look  rowLook
}

// rowLook is how a row is drawn besides its data: selected, claimed by
// another reviewer, its age.
type rowLook struct {
	selected bool
	claimed  bool
	stale    bool
	age      string
	// wait is the WAIT column: how long the check has waited for a
	// decision (or waited, once decided), with "!" when it is overdue.
	wait string
	// expired: an open check's document has expired (by today's date,
	// so a row drawn before midnight is drawn again after it).
	expired bool
}

// maxDrawnRows bounds the drawn rows: a long session moves the cursor and
// ages rows without reading a page, and each is a new key.
const maxDrawnRows = 512

func newList() listModel {
	return listModel{total: -1, dirty: true, drawn: newMemo[rowKey, string](maxDrawnRows)}
}

// reset starts a new query: the cursor goes to the top.
func (l *listModel) reset() {
	*l = listModel{total: -1, dirty: true, height: l.height, width: l.width, drawn: l.drawn}
	l.drawn.reset()
}

// selected is the row under the cursor, if loaded.
func (l *listModel) selected() (store.Row, bool) {
	i := l.cursor - l.rowsFrom
	if l.total <= 0 || i < 0 || i >= len(l.rows) {
		return store.Row{}, false
	}
	return l.rows[i], true
}

// key moves the cursor for one of the movement keys. It reports whether
// the bottom was asked for while the list knows only a lower bound of its
// length (a filter): the root then counts it, and the cursor goes there
// when the count comes.
func (l *listModel) key(msg tea.KeyPressMsg, k KeyMap) (countBottom bool) {
	switch {
	case matches(msg, k.Up):
		l.move(-1)
	case matches(msg, k.Down):
		l.move(1)
	case matches(msg, k.PageUp):
		l.move(-max(l.height-1, 1))
	case matches(msg, k.PageDown):
		l.move(max(l.height-1, 1))
	case matches(msg, k.Top):
		l.setCursor(0)
	case matches(msg, k.Bottom):
		if l.more {
			l.toBottom = true
			return true
		}
		l.setCursor(l.total - 1)
	}
	return false
}

func (l *listModel) move(delta int) {
	l.setCursor(l.cursor + delta)
}

func (l *listModel) setCursor(i int) {
	last := l.total - 1
	if l.more {
		// A screen past the rows known so far: reading it tells more.
		last += max(l.height, 1)
	}
	if l.total >= 0 && i > last {
		i = last
	}
	l.cursor = max(i, 0)
	l.scrollToCursor()
}

func (l *listModel) scrollToCursor() {
	h := max(l.height, 1)
	if l.cursor < l.top {
		l.top = l.cursor
	}
	if l.cursor >= l.top+h {
		l.top = l.cursor - h + 1
	}
	if l.total >= 0 && !l.more && l.top > max(l.total-h, 0) {
		l.top = max(l.total-h, 0)
	}
	l.top = max(l.top, 0)
}

// window is the range of queue indexes the screen shows.
func (l *listModel) window() (from, to int) {
	from, to = l.top, l.top+max(l.height, 1)
	if l.total >= 0 && !l.more {
		to = min(to, l.total)
	}
	return from, to
}

// need reports whether a page must be read to draw the screen, and which:
// a screen above and below the visible one as well, so that moving the
// cursor a little reads nothing. At the top there is no screen above.
//
// lean is for a filter being typed: each keystroke reads the top of a new
// list, which the store finds by walking its sort order until enough
// checks match, so only the visible rows and a few more are read. Moving
// down past them reads on as usual.
func (l *listModel) need(lean bool) (offset, limit int, ok bool) {
	from, to := l.window()
	loadedTo := l.rowsFrom + len(l.rows)
	if l.resting && !l.dirty {
		return 0, 0, false
	}
	covered := !l.dirty && l.total >= 0 && from >= l.rowsFrom && to <= loadedTo
	pendingCovers := l.req != 0 && from >= l.pendingFrom && to <= l.pendingTo
	if covered || pendingCovers {
		return 0, 0, false
	}
	h := max(l.height, 10)
	switch {
	case from == 0 && lean:
		return 0, max(l.height, 1) + leanMargin, true
	case from == 0:
		return 0, 2 * h, true
	}
	return max(from-h, 0), 3 * h, true
}

// leanMargin is how many rows below the screen a lean read takes.
const leanMargin = 5

// loaded takes a page answer in.
func (l *listModel) loaded(m pageMsg) {
	l.req = 0
	l.pendingFrom, l.pendingTo = 0, 0
	again := l.again
	l.again = false
	if m.err != nil {
		l.err = m.err
		l.dirty = again
		l.resting = true
		if l.total < 0 {
			l.total = 0
		}
		return
	}
	l.err = nil
	l.resting = false
	l.dirty = again
	l.rows, l.rowsFrom = m.rows, m.offset
	l.drawn.reset()
	switch {
	case m.withTotal:
		l.total, l.more = m.total, false
	case m.uncounted && len(m.rows) < m.limit:
		// The page ended early: the end of the list is known.
		l.total, l.more = m.offset+len(m.rows), false
	case m.uncounted:
		l.total, l.more = max(l.total, m.offset+len(m.rows)), true
	}
	if l.selectID != "" {
		for i, r := range l.rows {
			if r.CheckID == l.selectID {
				l.cursor = l.rowsFrom + i
				break
			}
		}
		// The read that follows may find the check elsewhere.
		if !again {
			l.selectID = ""
		}
	}
	l.setCursor(l.cursor)
}

// counted takes an exact count in.
func (l *listModel) counted(m totalMsg) {
	if m.req != l.countReq {
		return
	}
	l.countReq = 0
	if m.err != nil {
		l.err = m.err
		l.toBottom = false
		return
	}
	l.total, l.more = m.total, false
	if l.toBottom {
		l.toBottom = false
		l.setCursor(l.total - 1)
	} else {
		l.setCursor(l.cursor)
	}
}

// columns are the widths of the row's flexible columns for a list width.
type columns struct{ customer, name int }

// fixedWidth is everything but the customer and name columns: marker 2,
// id 9, two badges of 6, reasons 3, status 9, age 4, wait 5, and the
// spaces.
const fixedWidth = 2 + 9 + 1 + 6 + 1 + 6 + 1 + 3 + 1 + statusWidth + 1 + 4 + 1 + waitWidth + 2

// waitWidth fits a wait and the overdue mark: "26h!", "12d!".
const waitWidth = 5

// statusWidth fits the longest status word, "unfetched" or "escalated".
const statusWidth = 9

func layoutColumns(width int) columns {
	rest := max(width-fixedWidth, 8)
	c := rest / 2
	return columns{customer: c, name: rest - c}
}

// view draws the list in height lines; empty is what it says when the
// query has no check.
func (l *listModel) view(c *programContext, height int, empty string) string {
	st := c.styles
	cols := layoutColumns(l.width)
	var sb strings.Builder
	head := "  " + fit("CHECK", 9) + " " + fit("CUSTOMER", cols.customer) + " " + fit("NAME", cols.name) + " " +
		fit("DOC", 6) + " " + fit("FACE", 6) + " " + fit("RSN", 3) + " " + fit("STATUS", 9) + " " + fit("AGE", 4) + " " + fit("WAIT", waitWidth)
	if l.proposals != nil {
		head = proposalHead(l.width)
	}
	sb.WriteString(st.ColHeader.Render(fit(head, l.width)))
	from, to := l.window()
	lines := 1
	switch {
	case l.err != nil:
		sb.WriteString("\n" + st.Bad.Render(clip("✗ "+errText(l.err), l.width)))
		lines++
	case l.total == 0:
		sb.WriteString("\n" + st.Muted.Render(clip("  "+empty, l.width)))
		lines++
	}
	for i := from; i < to && lines < height; i++ {
		sb.WriteString("\n")
		lines++
		j := i - l.rowsFrom
		if j < 0 || j >= len(l.rows) {
			sb.WriteString(st.Muted.Render("  …"))
			continue
		}
		sb.WriteString(l.drawRow(c, j, cols, i == l.cursor && !l.away))
	}
	return sb.String()
}

// drawRow draws the j-th loaded row, or takes it as drawn for the same
// key.
func (l *listModel) drawRow(c *programContext, j int, cols columns, selected bool) string {
	r := l.rows[j]
	_, claimed := c.claimedBy(r.CheckID)
	since := rowSince(r)
	if d, ok := l.proposals[r.Proposal]; ok {
		since = d.At
	}
	now := c.now()
	k := rowKey{i: j, width: l.width, look: rowLook{selected: selected, claimed: claimed, stale: c.stale(r, now), age: age(since, now),
		wait: waitCell(r, now, c.sla), expired: store.ExpiredOpen(r, now)}}
	return l.drawn.get(k, func() string { return l.rowView(c, r, cols, k.look) })
}

// rowSince is the time a row's age counts from: when Caisson checked it,
// or when it was added if it has not been fetched.
func rowSince(r store.Row) time.Time {
	if r.CheckedOn.IsZero() {
		return r.AddedAt
	}
	return r.CheckedOn
}

// rowView draws one row. The selected row carries a ▶ (reverse video
// vanishes under NO_COLOR) and is drawn without inner colours, since an
// inner style's reset would end the reverse video mid-row.
func (l *listModel) rowView(c *programContext, r store.Row, cols columns, k rowLook) string {
	if l.proposals != nil {
		return l.proposalRow(c, r, k)
	}
	st := c.styles
	plain := k.selected
	badge := func(lv caisson.Level) string { return c.badge(lv, plain) }
	status := c.status(r)
	overdue := strings.HasSuffix(k.wait, "!")
	// An open check whose document expired says so: with both
	// confidences high and no reason, nothing else on its row said why it
	// needs review (helper-56). Overdue says more still.
	switch {
	case plain && overdue:
		status = fit("overdue", statusWidth)
	case plain && k.expired:
		status = fit("expired", statusWidth)
	case plain:
		word, _ := st.status(r)
		status = fit(word, statusWidth)
	case overdue:
		status = c.words.get(wordKey{word: "overdue"}, func() string { return st.Bad.Render(fit("overdue", statusWidth)) })
	case k.expired:
		status = c.words.get(wordKey{word: "expired"}, func() string { return st.Bad.Render(fit("expired", statusWidth)) })
	}
	marker := "  "
	if k.selected {
		marker = "▶ "
	}
	// ● another reviewer has this check open (Presence); else ◷ its last
	// fetch is stale (the detail says so in words).
	switch {
	case k.claimed:
		marker = marker[:len(marker)-1] + "●"
	case k.stale:
		marker = marker[:len(marker)-1] + staleGlyph
	}
	row := marker + fit(caisson.ShortID(line(r.CheckID), 8), 9) + " " +
		fit(line(r.CustomerID), cols.customer) + " " + fit(rowName(r), cols.name) + " " +
		badge(r.Document) + " " + badge(r.Face) + " " +
		fit(fmt.Sprintf("%3d", len(r.ReasonCodes)), 3) + " " + status + " " +
		fit(k.age, 4) + " " + fit(k.wait, waitWidth)
	// Every column is fitted to its width, so the row is as wide as the
	// columns add up to: measured again only when they do not fill the
	// list exactly (narrower than the narrowest layout).
	if fixedWidth+cols.customer+cols.name != l.width {
		row = fit(row, l.width)
	}
	if k.selected {
		return st.Selected.Render(row)
	}
	return row
}

// waitCell is the WAIT column of a row: how long it has waited for a
// decision, or waited until its decision, "-" for a check that never
// waited, and "!" after it when it is past the SLA (with the status word
// "overdue": a glyph and a word, not colour alone).
func waitCell(r store.Row, now time.Time, sla time.Duration) string {
	d, ok := r.Waited(now)
	if !ok {
		return "-"
	}
	s := age(now.Add(-d), now)
	if r.Overdue(now, sla) {
		s += "!"
	}
	return s
}
