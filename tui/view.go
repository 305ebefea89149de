package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// emptyText is what an empty list says. With a filter it says the filter
// found nothing, and how to drop it: the filter stays as the reviewer
// changes tabs, and at 80 columns the title that names it is cut, so an
// empty tab whose count in the tab bar is 150 looked broken (helper-67).
func (m *Model) emptyText() string {
	if m.filter == "" {
		return "no checks here"
	}
	k := m.ctx.keys
	// esc backs out of one thing at a time (back): it clears the filter
	// only when nothing comes before it, the refresh panel or the
	// customer's checks (helper-68).
	how := keyName(k.Back) + " clears the filter"
	if m.batch != nil || m.customer != "" {
		how = keyName(k.Filter) + " changes the filter"
	}
	return "no checks here match " + quoteFilter(m.filter) + " · " + how
}

// quoteFilter is the filter as the screen quotes it, in double quotes,
// sanitized and otherwise as typed (%q doubled its backslashes).
func quoteFilter(f string) string { return "\"" + line(f) + "\"" }

// Fixed parts of the screen, in lines.
const (
	headerHeight = 2
	infoHeight   = 1
	footerHeight = 2
	// maxFailuresShown is how many failed checks the refresh panel lists.
	maxFailuresShown = 3
)

// layout sizes the list for the current terminal and dialogs, so that the
// rows it needs can be read before the frame is drawn.
func (m *Model) layout() {
	w := m.ctx.width
	if w == 0 {
		// Before the first WindowSizeMsg: size for the smallest screen, so
		// Init's first read already covers it.
		w = minWidth
	}
	bodyH := m.bodyHeight()
	switch {
	case m.wide():
		m.list.width = w - m.detailWidth() - 1
		m.list.height = bodyH - 1
	case m.tall():
		m.list.width = w
		m.list.height = bodyH/2 - 1
	default:
		// Less the column header and the line saying enter opens the detail.
		m.list.width = w
		m.list.height = bodyH - 2
	}
	m.list.height = max(m.list.height, 1)
	m.list.scrollToCursor()
}

func (m *Model) wide() bool { return m.ctx.width >= wideWidth }
func (m *Model) tall() bool { return m.ctx.height >= tallHeight }

func (m *Model) detailWidth() int { return m.ctx.width * 2 / 5 }

// bodyHeight is what is left for the list and the detail pane.
func (m *Model) bodyHeight() int {
	h := m.ctx.height
	if h == 0 {
		h = minHeight
	}
	h -= headerHeight + infoHeight + footerHeight
	h -= m.batch.panelHeight(max(m.ctx.width, minWidth), maxFailuresShown)
	h -= m.dialog().height()
	return max(h, 1)
}

// dialog is the open dialog, if any, its text fitted to the screen's
// width.
func (m *Model) dialog() dialog {
	if p := m.pending; p != nil {
		p.meanwhile = ""
		// The proposal a confirm or return answers is what it answers,
		// not news that "yours is stored after" (helper-59).
		if d, ok := m.news(); ok && m.detail.checkID == p.checkID && (p.proposal == nil || p.proposal.Seq != d.Seq) {
			// Whole: a dialog wraps its lines, never cuts them.
			p.meanwhile = fmt.Sprintf("%s by %s %s ago", pastTense(d.Action), line(d.Reviewer), age(d.At, m.ctx.now()))
		}
	}
	switch m.mode {
	case modeConfirm:
		return confirmDialog(m.ctx, m.pending, m.dialogWidth())
	case modeNote:
		return m.note.dialog(m.ctx, m.pending, m.dialogWidth())
	case modeReason:
		return reasonDialog(m.ctx, m.pending, m.dialogWidth())
	case modeAdd:
		// Two thirds of the screen: the results are what the reviewer
		// reads while it is open, the list behind it waits.
		return m.add.dialog(m.ctx, m.dialogWidth(), max(m.ctx.height, minHeight)*2/3)
	}
	return dialog{}
}

// dialogWidth is a dialog box's outer width: across the screen.
func (m *Model) dialogWidth() int { return max(m.ctx.width, minWidth) }

// windowTitle is the terminal's title while the console runs.
const windowTitle = "caisson-review"

// View is the frame on the alternate screen, with the window's title. The
// text cursor stays hidden: the text inputs draw their own.
func (m *Model) View() tea.View {
	v := tea.NewView(m.steadyFrame())
	v.AltScreen = true
	v.WindowTitle = windowTitle
	return v
}

// readWait is how long the screen keeps its last frame while the reads a
// change started (a page, the selected check, a count) are answered. A key
// would otherwise be drawn twice, first without what it reads (blank rows,
// a detail pane from the row alone), then with it, and each frame costs
// bytes on a slow link; the reads take a few milliseconds. A read slower
// than this shows what it has, as before.
const readWait = 50 * time.Millisecond

// heldFrame is the frame as last drawn, and since when the screen has been
// waiting for reads.
type heldFrame struct {
	out     string
	w, h    int
	since   time.Time
	ticking bool // a readWaitMsg is on its way
}

// readWaitMsg ends a wait for reads: the frame is drawn with what there is.
type readWaitMsg struct{}

// reading reports whether a read the screen shows is in flight.
func (m *Model) reading() bool { return m.list.req != 0 || m.detail.req != 0 || m.list.countReq != 0 }

// steadyFrame is frame, or the last frame while reads are answered, up to
// readWait.
func (m *Model) steadyFrame() string {
	h := &m.held
	if m.reading() && !m.left {
		if h.since.IsZero() {
			h.since = time.Now()
		}
		sameSize := h.w == m.ctx.width && h.h == m.ctx.height
		if time.Since(h.since) < readWait && (h.out == "" || sameSize) {
			return h.out
		}
	} else {
		h.since = time.Time{}
	}
	h.out, h.w, h.h = m.frame(), m.ctx.width, m.ctx.height
	return h.out
}

// holdTick makes sure a frame kept for reads is drawn after readWait even
// if nothing else happens meanwhile (not in model tests and benchmarks,
// which run every command to its end: they draw once everything is read).
func (m *Model) holdTick() tea.Cmd {
	if !m.animate || !m.reading() || m.held.ticking {
		return nil
	}
	m.held.ticking = true
	return tea.Tick(readWait, func(time.Time) tea.Msg { return readWaitMsg{} })
}

// frame draws the screen: every line clamped to the width, exactly the
// terminal's height, or a sentence when the terminal is too small.
func (m *Model) frame() string {
	c := m.ctx
	if m.left || !m.styled {
		return ""
	}
	if c.width < minWidth || c.height < minHeight {
		if c.width == 0 {
			return "" // no size yet
		}
		// Keys but quit do nothing here (what they act on is not on
		// screen): the one that works is said (helper-59).
		msg := fmt.Sprintf("window too small: need at least %dx%d, have %dx%d; %s quits",
			minWidth, minHeight, c.width, c.height, c.keys.Quit.Help().Key)
		return clampView(msg, c.width, c.height)
	}
	parts := []string{
		m.header(),
		infoView(c, &m.list, m.query(), m.mode == modeFilter, m.filterIn.View()),
		m.bodyView(),
	}
	if m.batch != nil {
		parts = append(parts, m.batch.view(c, c.width, maxFailuresShown))
	}
	if d := m.dialog(); d.title != "" {
		parts = append(parts, dialogBox(c, d, m.dialogWidth()))
	}
	var saving []string
	if m.quitting {
		saving = m.ctx.writes.labels()
	}
	parts = append(parts, m.footer.view(c, m.footerKeys(), saving))
	return clampView(strings.Join(parts, "\n"), c.width, c.height)
}

// headerKey is everything the header depends on but the console's
// configuration and styles: the tab, the width and the counts.
type headerKey struct {
	tab, width int
	tabs       int    // how many: Second review is shown under four-eyes only
	counts     string // as printed: every queue's count, "map[]" before they are read
	err        string
	poll       string // the poll's notice, and the store's
	sla        time.Duration
}

// header is headerView, drawn again only when its key changes: with
// six-digit counts the tabs are measured in two forms before one fits.
func (m *Model) header() string {
	counts, queues := m.tabCounts(), m.tabs()
	k := headerKey{tab: m.tab, width: m.ctx.width, counts: fmt.Sprint(counts), tabs: len(queues), poll: m.ctx.pollNotice() + m.ctx.storeNotice(), sla: m.ctx.sla}
	if counts == nil {
		k.counts = "unread"
	}
	if m.countsErr != nil {
		k.err = m.countsErr.Error()
	}
	return m.ctx.header.get(k, func() string { return headerView(m.ctx, queues, m.tab, counts, m.countsErr) })
}

func (m *Model) bodyView() string {
	c := m.ctx
	h := m.bodyHeight()
	row, haveRow := m.current()
	m.detail.notice = m.changedText()
	switch {
	case m.mode == modeHelp:
		help := scrollWindow(c, strings.Split(m.helpView(), "\n"), h, &m.helpScroll, c.keys.Down, c.keys.Up)
		return clampView(strings.Join(help, "\n"), c.width, h)
	case m.mode == modeStats:
		return clampView(m.stats.view(c, c.width, h), c.width, h)
	case m.mode == modeDetail || m.prevModeIsDetail():
		return clampView(m.detail.view(c, row, haveRow, c.width, h, m.masked, false), c.width, h)
	case m.wide():
		// The dashboard link gets the last line across the whole width: in
		// the pane it would have to wrap, and a wrapped link cannot be
		// selected and copied in one go.
		linkLine := ""
		if haveRow {
			linkLine = c.styles.Label.Render("Caisson dashboard: ") + c.styles.Accent.Render(line(caisson.DashboardURL(row.CheckID)))
		}
		h--
		list := clampView(m.list.view(c, h, m.emptyText()), m.list.width, h)
		// The space after the rule is drawn in the rule's colour: it looks
		// the same, and most lines of the pane start with a label in that
		// colour, so a line written across the rule (the rows the cursor
		// leaves and lands on) needs no colour change between them.
		sep := strings.TrimSuffix(strings.Repeat(c.styles.Border.Render("│ ")+"\n", h), "\n")
		dw := m.detailWidth()
		detail := clampView(m.detail.view(c, row, haveRow, dw-1, h, m.masked, true), dw-1, h)
		return joinColumns(padBlock(list, m.list.width), sep, detail) + "\n" + linkLine
	case m.tall():
		listH := m.list.height + 1
		list := clampView(m.list.view(c, listH, m.emptyText()), c.width, listH)
		rule := c.styles.Border.Render(strings.Repeat("─", c.width))
		detail := clampView(m.detail.view(c, row, haveRow, c.width, h-listH-1, m.masked, true), c.width, h-listH-1)
		return list + "\n" + rule + "\n" + detail
	}
	hint := ""
	if haveRow {
		hint = c.styles.Muted.Render("  " + keyName(c.keys.Open) + " shows the detail of the selected check")
		if why, ok := store.Waiting(row); ok {
			hint = c.styles.Muted.Render("  waiting at Caisson: " + why)
		}
		if now := c.now(); c.stale(row, now) {
			hint = "  " + c.styles.Warn.Render(staleGlyph+" stale: last fetched "+age(row.FetchedAt, now)+" ago, over "+ageSetting(c.cfg.StaleAfter)) +
				c.styles.Muted.Render(c.refetchHint())
		}
		if names, ok := c.claimedBy(row.CheckID); ok {
			hint = "  " + c.styles.Warn.Render("● being reviewed by "+names) + c.styles.Muted.Render(" · "+keyName(c.keys.Open)+" shows the detail")
		}
		if m.detail.notice != "" {
			// The footer offers enter and j/k: the notice is the line.
			hint = "  " + c.styles.Warn.Render(newsGlyph+" "+caisson.ShortID(line(row.CheckID), 10)+" "+m.detail.notice)
		}
	}
	return clampView(m.list.view(c, h-1, m.emptyText())+"\n"+hint, c.width, h)
}

// prevModeIsDetail keeps the detail pane on screen while a dialog opened
// from it is answered.
func (m *Model) prevModeIsDetail() bool {
	return (m.mode == modeConfirm || m.mode == modeNote || m.mode == modeReason) && m.prevMode == modeDetail
}

// joinColumns is lipgloss.JoinHorizontal aligned to the top: the blocks
// side by side, each as tall as the tallest and as wide as its widest
// line. It measures through cells, which remembers what it measured.
func joinColumns(blocks ...string) string {
	cols := make([][]string, len(blocks))
	wide := make([]int, len(blocks))
	height := 0
	for i, b := range blocks {
		cols[i] = strings.Split(b, "\n")
		height = max(height, len(cols[i]))
		for _, l := range cols[i] {
			wide[i] = max(wide[i], cells(l))
		}
	}
	var sb strings.Builder
	for row := range height {
		if row > 0 {
			sb.WriteByte('\n')
		}
		for i, col := range cols {
			l := ""
			if row < len(col) {
				l = col[row]
			}
			sb.WriteString(l)
			sb.WriteString(strings.Repeat(" ", wide[i]-cells(l)))
		}
	}
	return sb.String()
}

// padBlock pads every line of a block to the width, so the block beside it
// starts in the same column on every line.
func padBlock(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = fit(l, w)
	}
	return strings.Join(lines, "\n")
}

// scrollWindow is lines in h rows from *scroll on; when they do not all
// fit, the last row says where they are and which keys scroll them:
// nothing cut without a word.
func scrollWindow(c *programContext, lines []string, h int, scroll *int, down, up key.Binding) []string {
	if len(lines) <= h {
		*scroll = 0
		return lines
	}
	room := max(h-1, 1)
	*scroll = min(max(*scroll, 0), len(lines)-room)
	visible := append([]string{}, lines[*scroll:*scroll+room]...)
	return append(visible, c.styles.Muted.Render(fmt.Sprintf("── lines %d-%d of %d · %s/%s scroll ──",
		*scroll+1, *scroll+room, len(lines), keyName(down), keyName(up))))
}

func (m *Model) helpView() string {
	c := m.ctx
	h := c.help
	h.SetWidth(c.width)
	title := c.styles.Title.Render("Keys") + c.styles.Muted.Render(" · "+keyName(c.keys.Back)+" or "+keyName(c.keys.Help)+" closes")
	extra := c.styles.Muted.Render("Note prompt: enter saves, esc cancels. Reject, escalate: a number picks the reason first. A risky approval asks first: y approves, n/enter/esc does not.\n" +
		"In the add dialog (" + keyName(c.keys.Add) + "): paste ids or tokens one a line, ctrl+s adds, esc closes.")
	if c.cfg.ReadOnly {
		extra = c.styles.Warn.Render("READ-ONLY session: decisions, adding checks and refreshing them are not available.")
	}
	return title + "\n\n" + fullHelp(h, c.keys.FullHelp(), c.width) + "\n\n" + c.styles.plain().Width(c.width).Render(extra)
}

// fullHelp lays the help's columns out in as many bands as the width
// needs: bubbles/help would cut the columns that do not fit, and at 80
// columns those are the keys a reviewer looks for.
func fullHelp(h help.Model, groups [][]key.Binding, width int) string {
	h.SetWidth(0) // measured here, never cut
	var bands []string
	for len(groups) > 0 {
		n := len(groups)
		for n > 1 && lipgloss.Width(h.FullHelpView(groups[:n])) > width {
			n--
		}
		bands = append(bands, h.FullHelpView(groups[:n]))
		groups = groups[n:]
	}
	return strings.Join(bands, "\n\n")
}

// footerKeys is the short help for what has the keyboard.
func (m *Model) footerKeys() help.KeyMap {
	switch m.mode {
	case modeFilter:
		return filterKeys
	case modeConfirm:
		return confirmKeys
	case modeNote:
		if m.pending != nil && m.pending.reasons != nil {
			return reasonNoteKeys
		}
		return noteKeys
	case modeReason:
		h := pickerHelp{}
		if m.pending != nil {
			h = pickerHelp{finality: m.pending.action == store.Reject, reasons: len(m.pending.reasons)}
		}
		return h
	case modeAdd:
		return addKeys
	case modeHelp:
		return closeKeys
	case modeStats:
		return statsHelp{m.ctx.keys}
	}
	if m.batch != nil && m.batch.running {
		return refreshKeys
	}
	if p := m.pinned; p != nil && p.sure {
		reopen := !m.ctx.cfg.ReadOnly && p.row.Status != store.StatusOpen
		return pinnedHelp{KeyMap: m.ctx.keys, detail: m.mode == modeDetail, reopen: reopen}
	}
	if m.mode == modeDetail {
		return m.footerSecondReview(detailHelp{m.ctx.keys})
	}
	// Not while a read is pending too: an empty queue is read again at
	// every change in it, and the decision keys flashed up (helper-70).
	if m.list.total == 0 && m.list.err == nil {
		return m.withBack(emptyHelp{m.ctx.keys})
	}
	return m.withBack(m.footerSecondReview(m.ctx.keys))
}

// withBack adds the back key to the list's footer keys while it leaves
// something: the customer's checks, or the filter (backHelp).
func (m *Model) withBack(base help.KeyMap) help.KeyMap {
	var desc string
	switch {
	case m.customer != "":
		desc = "leave customer"
	case m.filter != "":
		desc = "clear filter"
	default:
		return base
	}
	back := m.ctx.keys.Back
	return backHelp{KeyMap: base, back: key.NewBinding(key.WithKeys(back.Keys()...), key.WithHelp(keyName(back), desc))}
}
