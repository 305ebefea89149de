package tui

import (
	"math"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// mode is what has the keyboard.
type mode int

const (
	modeList    mode = iota
	modeDetail       // the detail pane full screen
	modeHelp         // the full help
	modeFilter       // typing a filter
	modeConfirm      // confirming a risky approval
	modeNote         // typing a decision's note
	modeAdd          // the add dialog
	modeReason       // picking a reject or escalate reason
	modeStats        // the stats view
)

// Model is the root of the console: it owns the layout and routes
// messages and keys to the components.
type Model struct {
	// helpScroll is the first line of the help shown, when it is longer
	// than the window.
	helpScroll int
	ctx        *programContext

	tab       int
	sort      store.Sort
	filter    string
	customer  string
	counts    store.Counts
	countsErr error
	// countsFresh is true while the counts are known to match the store
	// (read since the last change): a queue's total is then taken from
	// them instead of counting again.
	countsFresh bool
	// countsReading is set while the counts are being read, countsAgain
	// when the store changed meanwhile and they must be read once more.
	countsReading, countsAgain bool

	list   listModel
	detail detailModel
	stats  statsModel
	near   readAhead
	footer footerModel

	mode     mode
	prevMode mode // where esc returns to from help
	filterIn textinput.Model
	pending  *pendingDecision
	note     noteDialog
	add      addDialog
	batch    *batch
	// poll is the running poll of the checks waiting at Caisson (poll.go).
	poll *pollRun
	// refreshing are the checks being refreshed one by one (r).
	refreshing map[string]bool
	// pinned is the check the reviewer stays on after a change made
	// elsewhere took it out of the list (stay.go); deciding are the checks
	// whose decision from this console is being saved, and decidedHere the
	// last one saved, whose leaving the list is this console's doing.
	pinned      *pinnedCheck
	deciding    map[string]bool
	decidedHere string
	// own are the proposals this console made, until what closes each
	// is said (ownproposals.go).
	own ownProposals
	// customerTab is the tab the customer view (c) was opened from, which
	// esc returns to; places are where the cursor was on each tab, for
	// coming back to it.
	customerTab int
	// customerFilter is the text filter of that tab, which the customer
	// view sets aside and esc brings back.
	customerFilter string
	// customerDetail: c was pressed in the detail, which esc returns to.
	customerDetail bool
	places         map[placeKey]place
	masked         bool
	// quitting is set once the reviewer (or a signal, or the session's
	// end) asked to quit: the console waits for the writes in flight,
	// then left is set and the program ends.
	quitting, left bool
	// held is the frame as last drawn, kept while reads are answered.
	held heldFrame
	// heldKeys are the keys that came while the list had nothing on screen
	// and its first page was being read, in order (holdKey).
	heldKeys []tea.KeyPressMsg
	// styled is set once the terminal's background is known (or assumed
	// after backgroundWait): nothing is drawn before, so the first frame
	// already has the right colours.
	styled bool
	// claimed is the check this console told Presence it has open.
	claimed string
	// dropped is the decision whose dialog was open when the console
	// quit, never confirmed and so never saved (Dropped).
	dropped string
	// keyed is set by the reviewer's first key: until then the check
	// beside the list is only whatever was on top, and a console left
	// idle where it opened claims nothing (presence.go).
	keyed bool
	// confirmable is how many proposals this reviewer may confirm (-1
	// until counted), what the Second review tab shows; proposals are the
	// proposals of the rows read, by seq (secondreview.go).
	confirmable int
	proposals   map[int64]store.Decision
	fourEyes    store.FourEyes
	// access is where what the detail shows is recorded, nil when the
	// store records no access; viewing is the check whose detail is on
	// screen; timerHook replaces the dwell timer, and the page's retry
	// after a failed read, in tests (viewed.go).
	access    *accessLog
	viewing   viewing
	timerHook func(time.Duration, tea.Msg) tea.Cmd
	// lastRead is when the screen was last read again after a change;
	// the watch does not look sooner than Config.Watch after it.
	lastRead time.Time

	// animate is off in benchmarks and model tests, which execute every
	// returned command: a spinner tick would sleep.
	animate bool
}

// New builds the console. It does no I/O: Init returns the commands that
// read the first page.
func New(cfg Config) *Model {
	c := newProgramContext(cfg)
	c.keys.syncMask(cfg.Masked)
	_, themed := cfg.Theme.background()
	return &Model{
		ctx:     c,
		tab:     max(slices.Index(store.Queues, cfg.StartQueue), 0),
		sort:    cfg.StartSort,
		masked:  cfg.Masked,
		list:    newList(),
		footer:  newFooter(c.styles),
		animate: true,
		styled:  cfg.HasDarkBackground != nil || themed,

		confirmable: -1,
		access:      newAccessLog(cfg),
	}
}

// Init reads the counts and the first page, and starts the refresh of
// every check when asked to.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.readCounts(), m.sync(), m.watchTick(), m.askBackground(), readIdentity(m.ctx.cfg.Store), m.startPolling()}
	if m.ctx.cfg.RefreshOnStart {
		cmds = append(cmds, m.startBatch(store.PageQuery{Queue: store.QueueAll}, "all checks"))
	}
	return tea.Batch(cmds...)
}

func (m *Model) query() store.PageQuery {
	q := store.PageQuery{Queue: m.tabs()[m.tab], Sort: m.sort, Filter: m.filter}
	if m.customer != "" {
		q.Queue, q.Customer = store.QueueAll, m.customer
	}
	return q
}

// noCustomer begins what c says on a check with no customer id.
const noCustomer = "no customer's checks to show: "

// Update routes a message, then makes sure what the screen needs is being
// read (sync), whatever the message changed.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	if r, ok := msg.(writeResult); ok && !m.quitting {
		// Its outcome is about to be on screen, in the footer.
		m.ctx.writes.seen(r.writeTask())
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ctx.width, m.ctx.height = msg.Width, msg.Height
		cmd = m.replayHeld()
	case tea.KeyPressMsg:
		m.keyed = true
		cmd = m.key(msg)
	case tea.BackgroundColorMsg:
		m.background(msg.IsDark())
	case backgroundTimeoutMsg:
		if !m.styled {
			m.background(true)
		}
	case quitRequestMsg:
		cmd = m.quit()
	case drainedMsg:
		cmd = m.leave()
	case readWaitMsg:
		m.held.ticking = false
	case spinner.TickMsg:
		cmd = m.footer.tick(msg)
	case statsMsg:
		if msg.req == m.stats.req {
			m.stats.req, m.stats.err = 0, msg.err
			if msg.err == nil {
				m.stats.stats = msg.stats
			}
		}
	case countsMsg:
		m.counts, m.countsErr = msg.counts, msg.err
		if msg.err == nil {
			m.ctx.sla = msg.sla
		}
		m.countsFresh = msg.err == nil && !m.countsAgain
		m.countsReading = false
		if m.countsAgain {
			cmd = m.readCounts()
		}
		if m.totalFromCounts() {
			open, had := m.list.selected()
			old := m.list.rows
			m.list.total = m.counts[m.query().Queue]
			m.list.setCursor(m.list.cursor)
			if _, still := m.list.selected(); had && !still {
				// The count fell under the cursor's check before its page
				// came (the only check of a queue, decided elsewhere): the
				// page would find nothing selected to follow, and the
				// check vanished (helper-59).
				m.followVanished(open, old)
			}
		}
	case pageMsg:
		if msg.req == m.list.req {
			m.near.keep(msg.gen, msg.ahead)
			open, had := m.list.selected()
			old := m.list.rows
			m.list.loaded(msg)
			m.followOpen(open, had, old)
			cmd = tea.Batch(m.replayHeld(), m.readProposals())
			if m.list.resting {
				n := m.ctx.nextID()
				m.list.restings = n
				cmd = tea.Batch(cmd, m.timer(pageRetry, pageRetryMsg{n}))
			}
		}
	case pageRetryMsg:
		if m.list.resting && msg.n == m.list.restings {
			m.list.dirty = true
		}
	case totalMsg:
		m.list.counted(msg)
	case readAheadMsg:
		if msg.gen == m.near.gen {
			m.near.reading = false
			m.near.keep(msg.gen, msg.recs)
		}
	case recordMsg:
		if msg.req == m.detail.req {
			// A change told while this was read asks for one more read.
			m.detail.dirty, m.detail.again = m.detail.again, false
			if m.detail.rec == nil && msg.rec != nil {
				// What is already decided when the check is first shown
				// is no news; a later decision made elsewhere is.
				m.detail.seen = lastSeq(msg.rec)
			}
			m.detail.req, m.detail.rec, m.detail.err = 0, msg.rec, msg.err
			m.recordPinned(msg)
		}
	case StoreChanged:
		cmd = m.invalidate()
	case ownClosedMsg:
		cmd = m.ownClosed(msg)
	case StoreUnreachable:
		if m.ctx.storeGone.IsZero() {
			m.ctx.storeGone = m.ctx.now()
		}
	case StoreReachable:
		m.ctx.storeGone = time.Time{}
	case polledMsg:
		cmd = m.polled()
	case pollEndedMsg:
		// Nothing to read: the header says why from the poller itself.
	case watchTickMsg:
		cmd = m.watchTick()
		if time.Since(m.lastRead) >= m.ctx.cfg.Watch {
			cmd = tea.Batch(watchCounts(m.ctx.cfg.Store), cmd)
		}
	case watchedMsg:
		cmd = m.watched(msg)
	case PresenceChanged:
		// Nothing to read: the frame this message causes redraws the
		// markers from the registry.
	case identityMsg:
		m.ctx.identity = msg.id
		cmd = loadConfirmable(m.ctx.cfg.Store, msg.id)
	case confirmableMsg:
		if msg.ok {
			m.confirmable = msg.n
		}
	case policyMsg:
		m.fourEyes = msg.mode
	case proposalsMsg:
		m.keepProposals(msg.got)
	case viewedMsg:
		cmd = m.viewedTick(msg)
	case accessFailedMsg:
		m.accessFailed(msg)
	case accessLookMsg:
		cmd = m.accessLook()
	case decidedMsg:
		cmd = m.decided(msg)
	case refreshedMsg:
		cmd = m.refreshed(msg)
	case addedMsg:
		cmd = m.added(msg)
	case batchStartedMsg, batchResultMsg, batchDoneMsg:
		cmd = m.batchProgress(msg)
	default:
		// Messages for the text inputs (cursor blink, a paste) go to the
		// one open.
		cmd = m.updateInputs(msg)
	}
	sync := m.sync()
	row, _ := m.current()
	m.footer.followSelection(row.CheckID)
	return m, tea.Batch(cmd, sync, m.holdTick())
}

func (m *Model) updateInputs(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch m.mode {
	case modeFilter:
		m.filterIn, cmd = m.filterIn.Update(msg)
		keepPrintable(&m.filterIn, msg)
		m.filterChanged()
	case modeNote:
		cmd = m.note.update(msg)
	case modeAdd:
		cmd = m.add.update(msg)
	}
	return cmd
}

// sync lays the screen out and returns the reads it needs: the page under
// the visible rows, and the selected check's record.
func (m *Model) sync() tea.Cmd {
	m.layout()
	m.syncSecondReview()
	var cmds []tea.Cmd
	fromCounts := m.totalFromCounts()
	if fromCounts && m.list.total < 0 {
		m.list.total = m.counts[m.query().Queue]
	}
	if offset, limit, ok := m.list.need(m.uncounted() && !m.list.moved); ok {
		uncounted := m.uncounted()
		withTotal := (m.list.dirty || m.list.total < 0) && !fromCounts && !uncounted
		q := m.query()
		q.Offset, q.Limit = offset, limit
		m.list.req = m.ctx.nextID()
		m.list.pendingFrom, m.list.pendingTo = offset, offset+limit
		// The check the cursor will be on is read with the page, when it
		// is known (a decision's next check is found in the page first).
		want := -1
		if m.list.selectID == "" {
			want = m.list.cursor
		}
		have := m.recordsAtHand()
		load := loadPage(m.ctx.cfg.Store, m.list.req, q, withTotal, m.near.gen, want, have)
		if uncounted {
			req, gen := m.list.req, m.near.gen
			load = func() tea.Msg {
				msg := loadPage(m.ctx.cfg.Store, req, q, false, gen, want, have)().(pageMsg)
				msg.uncounted = true
				return msg
			}
		}
		cmds = append(cmds, load)
	}
	m.list.away = m.pinned != nil
	row, ok := m.current()
	switch {
	case !ok:
	case row.CheckID != m.detail.checkID:
		if rec, _ := m.near.take(row.CheckID); rec != nil {
			// As for a record read now: what is decided when the check
			// is first shown is no news.
			m.detail = detailModel{checkID: row.CheckID, rec: rec, seen: lastSeq(rec)}
			break
		}
		m.detail = detailModel{checkID: row.CheckID, req: m.ctx.nextID()}
		cmds = append(cmds, loadRecord(m.ctx.cfg.Store, m.detail.req, row.CheckID))
	case m.detail.dirty && m.detail.req == 0:
		m.detail.req = m.ctx.nextID()
		cmds = append(cmds, loadRecord(m.ctx.cfg.Store, m.detail.req, row.CheckID))
	}
	if ok {
		cmds = append(cmds, m.aheadOfCursor())
	}
	// After the reads: a page being read again keeps the claim (claim).
	m.claim()
	cmds = append(cmds, m.watchViewing())
	return tea.Batch(cmds...)
}

// invalidate re-reads what a change to the store may have changed: the
// counts, the page and its total, and the record on screen.
func (m *Model) invalidate() tea.Cmd {
	// The cursor stays on its check (unless a decision chose the next
	// one), even if the check moved within the queue.
	// So does the detail open full screen, and the check the reviewer
	// stays on (stay.go) is taken back should it return to the list.
	if m.pinned != nil {
		m.list.selectID = m.pinned.row.CheckID
	} else if row, ok := m.list.selected(); ok && m.list.selectID == "" && (m.list.moved || m.mode == modeDetail) {
		m.list.selectID = row.CheckID
	}
	// A read in flight is not dropped but followed by another: changes
	// that come faster than a read (a busy shared server) must not keep
	// the screen from ever showing one.
	m.list.dirty = true
	m.list.again = m.list.req != 0
	m.detail.dirty = true
	m.detail.again = m.detail.req != 0
	m.near.reset()
	m.countsFresh = false
	m.lastRead = time.Now()
	return tea.Batch(m.readCounts(), m.lookOwnProposals())
}

// readCounts reads the queue counts, or, when a read is already under
// way, asks for one more after it: one in flight at a time.
func (m *Model) readCounts() tea.Cmd {
	if m.countsReading {
		m.countsAgain = true
		return nil
	}
	m.countsReading, m.countsAgain = true, false
	return tea.Batch(loadCounts(m.ctx.cfg.Store), loadConfirmable(m.ctx.cfg.Store, m.ctx.identity), loadPolicy(m.ctx.cfg.Store))
}

// uncounted reports whether the list is read without counting it: a
// filter, which the store can only count by reading every check, is
// counted when the reviewer asks for the bottom, not on every keystroke.
func (m *Model) uncounted() bool { return m.query().Filter != "" }

// totalFromCounts reports whether the list's total can be read from the
// queue counts: they are fresh and the list is a whole queue, unfiltered.
func (m *Model) totalFromCounts() bool {
	q := m.query()
	return m.countsFresh && m.counts != nil && q.Filter == "" && q.Customer == ""
}

func (m *Model) newQuery() {
	m.pinned, m.decidedHere = nil, ""
	m.list.reset()
	m.detail.scroll = 0
}

// refuse says in the footer why a key did nothing to the check selected,
// named as it is now: keys typed ahead are replayed in one Update, so the
// check selected at its end may be another (helper-70).
func (m *Model) refuse(message string) {
	row, _ := m.current()
	m.footer.refuse(row.CheckID, message)
}

// key takes a key press in, or holds it (holdKey).
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+j" && !m.ctx.keys.binds("ctrl+j") {
		// A line feed is enter from a terminal still in cooked mode:
		// enter typed ahead while ssh connects (helper-69: the detail
		// never opened). Not a default key of open, which would refuse
		// every configuration binding ctrl+j to another action.
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	}
	if m.holdKey(msg) {
		m.heldKeys = append(m.heldKeys, msg)
		return nil
	}
	return m.handleKey(msg)
}

// holdKey reports whether a key must wait for the list's first page: the
// reviewer typed ahead of the screen (x and a note, as fast as SSH sends
// them), and acting on an empty list would drop the x and read the note's
// letters as commands. Once one key waits, every later one does, so they
// act in the order typed; text for an open input never waits, and ctrl+c
// never does. Until the console knows its window's size (an SSH client
// without a terminal sends 0x0) nothing is on screen, and every key waits.
func (m *Model) holdKey(msg tea.KeyPressMsg) bool {
	if matches(msg, m.ctx.keys.ForceQuit) {
		return false
	}
	if len(m.heldKeys) > 0 {
		return true
	}
	return m.ctx.width == 0 || !m.takesText() && m.loadingFirstPage()
}

// loadingFirstPage reports whether the list shows nothing yet because its
// first page is being read.
func (m *Model) loadingFirstPage() bool { return len(m.list.rows) == 0 && m.list.req != 0 }

// replayHeld handles the held keys, in order, until one starts another
// first read (a tab switch): the rest wait for that one.
func (m *Model) replayHeld() tea.Cmd {
	var cmds []tea.Cmd
	for len(m.heldKeys) > 0 && m.ctx.width > 0 && (m.takesText() || !m.loadingFirstPage()) {
		k := m.heldKeys[0]
		m.heldKeys = m.heldKeys[1:]
		cmds = append(cmds, m.handleKey(k), m.sync())
	}
	return tea.Batch(cmds...)
}

// takesText reports whether keys go to a text input rather than to
// commands.
func (m *Model) takesText() bool {
	return m.mode == modeFilter || m.mode == modeNote || m.mode == modeAdd
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.keys
	if m.quitting {
		// Waiting for the writes in flight: nothing new starts.
		return nil
	}
	if matches(msg, k.ForceQuit) {
		return m.quit()
	}
	if m.tooSmall() {
		// The screen shows one sentence, not the list or a dialog: a key
		// would act on what the reviewer cannot see (a, y, enter approving
		// a risky check unseen). Only quitting works until it is larger.
		if !m.takesText() && matches(msg, k.Quit) {
			return m.quit()
		}
		return nil
	}
	switch m.mode {
	case modeHelp:
		if matches(msg, k.Back) || matches(msg, k.Help) || matches(msg, k.Quit) {
			m.mode = m.prevMode
			return nil
		}
		// Longer than an 80x24 window: it scrolls as the stats view does.
		scrollKey(msg, k, max(m.bodyHeight()-1, 1), &m.helpScroll)
		return nil
	case modeFilter:
		return m.filterKey(msg)
	case modeConfirm:
		return m.confirmKey(msg)
	case modeNote:
		return m.noteKey(msg)
	case modeReason:
		return m.reasonKey(msg)
	case modeAdd:
		return m.addKey(msg)
	case modeStats:
		return m.statsKey(msg)
	}
	// The list or the detail has the keyboard: each takes its own keys,
	// and what is left acts on the whole screen.
	if m.detail.key(msg, k, m.bodyHeight(), m.mode == modeDetail) {
		return nil
	}
	if cmd, ok := m.listKey(msg); ok {
		return cmd
	}
	return m.screenKey(msg)
}

// tooSmall reports whether the window is below the smallest the console
// draws in, when the screen says so instead of drawing.
func (m *Model) tooSmall() bool {
	return m.ctx.width < minWidth || m.ctx.height < minHeight
}

// listKey moves the list's cursor. On the list, a move is also the
// reviewer's word that the cursor is theirs again: a re-read no longer
// holds it on its check, and a pinned check (stay.go) is let go. With the
// detail full screen, only top and bottom reach the list (the other moves
// scroll the detail).
func (m *Model) listKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.ctx.keys
	if !anyMatches(msg, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom) {
		return nil, false
	}
	l := &m.list
	if m.mode == modeList {
		l.moved = true
		// The reviewer's move wins over a re-read still holding the
		// cursor on the check it was on (another session's change arrived
		// in the middle of a run of key presses).
		l.selectID = ""
		if m.pinned != nil {
			// Moving on from the check that left: the cursor is put on
			// the one that took its place, which is where j goes.
			m.moveOn()
			if matches(msg, k.Down) {
				return nil, true
			}
		}
	}
	if l.key(msg, k) {
		l.countReq = m.ctx.nextID()
		return loadTotal(m.ctx.cfg.Store, l.countReq, m.query()), true
	}
	return nil, true
}

// screenKey is a key for the whole screen, whichever of the list and the
// detail has the keyboard: queues, views, decisions, quitting.
func (m *Model) screenKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.keys
	switch {
	case matches(msg, k.Quit):
		return m.quit()
	case matches(msg, k.Back):
		return m.back()
	case matches(msg, k.Help):
		m.prevMode, m.mode, m.helpScroll = m.mode, modeHelp, 0
	case matches(msg, k.NextTab):
		m.switchTab((m.tab + 1) % len(m.tabs()))
	case matches(msg, k.PrevTab):
		m.switchTab((m.tab + len(m.tabs()) - 1) % len(m.tabs()))
	case matches(msg, k.Tab):
		// The first queue key is the first tab, and so on.
		m.switchTab(slices.Index(k.Tab.Keys(), msg.String()))
	case matches(msg, k.Open):
		if _, ok := m.current(); ok {
			m.mode = modeDetail
		}
	case matches(msg, k.Customer):
		if row, ok := m.current(); ok && row.CustomerID == "" {
			// Said, not silently ignored (helper-56): a check never
			// fetched, failed or purged has no customer id.
			m.refuse(noCustomer + caisson.ShortID(line(row.CheckID), 10) + " has no customer id")
		} else if ok {
			if m.customer == "" {
				// The view is every queue: the tab bar says All. esc
				// comes back to this tab where the cursor is now, and
				// its filter. The view is every check of the customer:
				// the filter that found this one (a check id pasted
				// from a ticket, say) hid the customer's others, and
				// support was told the customer had one (helper-60).
				m.savePlace()
				m.customerTab, m.tab = m.tab, slices.Index(m.tabs(), store.QueueAll)
				m.customerFilter, m.filter = m.filter, ""
				m.customerDetail = m.mode == modeDetail
			}
			m.footer.dismiss(noCustomer)
			m.customer = row.CustomerID
			m.mode = modeList
			m.newQuery()
		}
	case matches(msg, k.Filter):
		m.mode = modeFilter
		m.filterIn = newFilterInput(m.filter, m.animate, m.ctx.styles)
		return m.blink()
	case matches(msg, k.Sort):
		m.sort = (m.sort + 1) % store.Sort(len(store.SortNames))
		m.newQuery()
	case matches(msg, k.Stats):
		m.stats.from, m.mode = m.mode, modeStats
		m.stats.scroll = 0
		return m.readStats()
	case matches(msg, k.Mask):
		m.masked = !m.masked
		m.ctx.keys.syncMask(m.masked)
	case matches(msg, k.Refresh):
		return m.refreshSelected()
	case matches(msg, k.RefreshAll):
		if m.batch != nil && m.batch.running {
			return nil
		}
		return m.startBatch(m.query(), batchLabel(m.query()))
	case matches(msg, k.Approve):
		return m.beginDecision(store.Approve)
	case matches(msg, k.Reject):
		return m.beginDecision(store.Reject)
	case matches(msg, k.Escalate):
		return m.beginDecision(store.Escalate)
	case matches(msg, k.Reopen):
		return m.beginDecision(store.Reopen)
	case matches(msg, k.Confirm):
		return m.beginSecondReview(store.Confirm)
	case matches(msg, k.Return):
		return m.beginSecondReview(store.Return)
	case matches(msg, k.Add):
		m.mode = modeAdd
		m.add = newAddDialog(m.animate, m.ctx.styles)
		return m.blink()
	}
	return nil
}

// back is esc on the main screen: it backs out of one thing at a time.
func (m *Model) back() tea.Cmd {
	switch {
	case m.batch != nil && m.batch.running:
		m.batch.cancel()
		m.batch.cancelled = true
	case m.mode == modeDetail:
		m.mode = modeList
	case m.pinned != nil:
		m.moveOn()
	case m.batch != nil:
		m.batch = nil
	case m.customer != "":
		m.leaveCustomer()
		m.tab = m.customerTab
		m.newQuery()
		m.restorePlace()
		if m.customerDetail {
			// Back where c was pressed: the check's detail (helper-60).
			m.mode = modeDetail
		}
	case m.filter != "":
		m.filter = ""
		m.newQuery()
	}
	return nil
}

// leaveCustomer ends the customer view, if one is open, and brings back
// the filter it set aside.
func (m *Model) leaveCustomer() {
	if m.customer != "" {
		m.customer, m.filter = "", m.customerFilter
	}
}

func (m *Model) switchTab(i int) {
	// 8 opens Second review even before the policy is read (keys typed
	// ahead) or without four-eyes: the tab then shows while it is open.
	if i < 0 || i >= len(tabQueues) {
		return
	}
	m.savePlace()
	m.tab = i
	// Out of the customer view by a tab as by esc (helper-62).
	m.leaveCustomer()
	if m.mode == modeDetail {
		m.mode = modeList
	}
	m.newQuery()
	m.restorePlace()
}

// placeKey is a list a place is kept for: a tab, in a sort, with a filter.
type placeKey struct {
	tab    int
	sort   store.Sort
	filter string
}

// place is where the cursor was in a list: its row, the row on top, and
// the check under it, which the cursor follows if it moved in the queue.
type place struct {
	cursor, top int
	checkID     string
}

// savePlace remembers where the cursor is on this tab, once the reviewer
// has moved it. A list not moved in since it was read afresh (a filter
// cleared, another sort) is at its top, and a place kept from before is
// dropped: brought back, it put the cursor on a check the reviewer had
// left, where a decision key pressed at once then landed.
func (m *Model) savePlace() {
	if m.customer != "" {
		return
	}
	key := placeKey{m.tab, m.sort, m.filter}
	if !m.list.moved {
		delete(m.places, key)
		return
	}
	p := place{cursor: m.list.cursor, top: m.list.top}
	if row, ok := m.list.selected(); ok {
		p.checkID = row.CheckID
	}
	if m.places == nil {
		m.places = map[placeKey]place{}
	}
	m.places[key] = p
}

// restorePlace puts the cursor back where it was on this tab.
func (m *Model) restorePlace() {
	p, ok := m.places[placeKey{m.tab, m.sort, m.filter}]
	if !ok {
		return
	}
	l := &m.list
	l.cursor, l.top, l.selectID, l.moved = p.cursor, p.top, p.checkID, true
}

func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case matches(msg, filterKeys.Submit):
		m.mode = modeList
		return nil
	case matches(msg, filterKeys.Cancel):
		m.mode = modeList
		if m.filter != "" {
			m.filter = ""
			m.newQuery()
		}
		return nil
	}
	var cmd tea.Cmd
	m.filterIn, cmd = m.filterIn.Update(msg)
	m.filterChanged()
	return cmd
}

// filterChanged starts a new query when the filter's text changed.
func (m *Model) filterChanged() {
	if v := strings.TrimSpace(m.filterIn.Value()); v != m.filter {
		m.filter = v
		m.newQuery()
	}
}

func anyMatches(msg tea.KeyPressMsg, bs ...key.Binding) bool { return key.Matches(msg, bs...) }

// readStats reads the stats view's figures in a command; the view shows
// the last ones read (or that they are being read) meanwhile.
func (m *Model) readStats() tea.Cmd {
	m.stats.req = m.ctx.nextID()
	return loadStats(m.ctx.cfg.Store, m.stats.req)
}

// scrollKey moves *scroll by a scrolling key (a line, a page of page
// lines, the top or the bottom) and reports whether msg was one. The
// views clamp what it leaves.
func scrollKey(msg tea.KeyPressMsg, k KeyMap, page int, scroll *int) bool {
	switch {
	case matches(msg, k.Down), matches(msg, k.ScrollDown):
		*scroll++
	case matches(msg, k.Up), matches(msg, k.ScrollUp):
		*scroll--
	case matches(msg, k.PageDown):
		*scroll += page
	case matches(msg, k.PageUp):
		*scroll -= page
	case matches(msg, k.Top):
		*scroll = 0
	case matches(msg, k.Bottom):
		*scroll = math.MaxInt / 2
	default:
		return false
	}
	return true
}

// statsKey is a key on the stats view: scroll, read again, back, help,
// quit. The decision keys do nothing here: no check is on screen.
func (m *Model) statsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.ctx.keys
	page := max(m.bodyHeight()-1, 1)
	switch {
	case matches(msg, k.Quit):
		return m.quit()
	case matches(msg, k.Back):
		m.mode = m.stats.from
	case matches(msg, k.Help):
		m.prevMode, m.mode, m.helpScroll = modeStats, modeHelp, 0
	case scrollKey(msg, k, page, &m.stats.scroll):
	case matches(msg, k.Refresh), matches(msg, k.Stats):
		return m.readStats()
	}
	m.stats.scroll = max(m.stats.scroll, 0)
	return nil
}
