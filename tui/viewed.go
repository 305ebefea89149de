// The access log: a check's personal data shown in the detail (full
// screen, or the pane beside or below the list) for a second is recorded
// as seen by this console's reviewer. A cursor passing over rows records
// nothing: the list shows names only, and the pane must stay on one check
// for the whole second. Under serve the session store records (its
// recorder carries the key and the client's address); a local console
// opens a recorder of its own, as the operating-system account, and writes
// what is pending when it quits. Both go through viewedTick.

package tui

import (
	"context"
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/store"
)

const (
	// viewDwell is how long the detail must show one check before it
	// counts as seen.
	viewDwell = time.Second
	// viewAgain is how often a detail held on one check is reported again;
	// the recorder keeps one record per check per 10 minutes.
	viewAgain = 30 * time.Second
)

// viewing is the check whose detail is on screen. gen changes whenever
// that check does (or the detail goes), so a timer started for an earlier
// one is recognised and ignored.
type viewing struct {
	checkID string
	gen     int
}

// viewedMsg is a dwell timer ending: the detail has shown the check of
// gen for viewDwell (or viewAgain) if gen is still current.
type viewedMsg struct{ gen int }

// detailShown is the check whose personal data is on screen in the
// detail, "" when none is: the detail is full screen, or the pane is
// beside or below the list, with the check's record read.
func (m *Model) detailShown() string {
	if m.access == nil || !m.styled {
		return ""
	}
	row, _, ok := m.detailOnScreen()
	if !ok || m.detail.rec == nil || m.detail.rec.CheckID != row.CheckID || !m.detail.rec.ShowsPersonalData() {
		return ""
	}
	return row.CheckID
}

// detailOnScreen is the check the detail is drawn for, full screen (full)
// or in the pane beside or below the list; ok is false when no detail is
// on screen (help, a window too small, the list alone, no check).
func (m *Model) detailOnScreen() (row store.Row, full, ok bool) {
	full, ok = m.detailDrawn()
	if !ok {
		return store.Row{}, false, false
	}
	row, ok = m.current()
	return row, full, ok
}

// detailDrawn says whether the layout has the detail on screen, full
// screen (full) or beside or below the list, whatever check it is for.
// What the access log records as viewed (detailOnScreen) and what the
// console claims (presence.go) are both read from it, so the two cannot
// disagree on what is on screen.
func (m *Model) detailDrawn() (full, ok bool) {
	if m.left || m.quitting || m.tooSmall() || m.mode == modeHelp {
		return false, false
	}
	full = m.mode == modeDetail || m.prevModeIsDetail()
	return full, full || m.wide() || m.tall()
}

// watchViewing starts the dwell timer when the detail has started showing
// another check.
func (m *Model) watchViewing() tea.Cmd {
	id := m.detailShown()
	if id == m.viewing.checkID {
		return nil
	}
	m.viewing = viewing{checkID: id, gen: m.viewing.gen + 1}
	if id == "" {
		return nil
	}
	return m.timer(viewDwell, viewedMsg{gen: m.viewing.gen})
}

// timer sends msg after d (the dwell timer; the page's retry after a
// failed read): tea.Tick in a program, nothing in model
// tests and benchmarks (which run every command to its end and would
// sleep), unless a test sets timerHook.
func (m *Model) timer(d time.Duration, msg tea.Msg) tea.Cmd {
	if m.timerHook != nil {
		return m.timerHook(d, msg)
	}
	if !m.animate {
		return nil
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return msg })
}

// viewedTick records the check as seen when the detail has shown it since
// the timer started, and looks again later while it stays.
func (m *Model) viewedTick(msg viewedMsg) tea.Cmd {
	if msg.gen != m.viewing.gen || m.viewing.checkID == "" || m.detailShown() != m.viewing.checkID {
		return nil
	}
	a, id := m.access, m.viewing.checkID
	record := func() tea.Msg {
		if err := a.viewed(id); err != nil {
			return accessFailedMsg{err}
		}
		return nil
	}
	return tea.Batch(record, m.timer(viewAgain, msg), m.timer(accessLookAfter, accessLookMsg{}))
}

// accessLookAfter is how long after a record the console looks whether
// the recorder, which writes in the background, could write it: it
// writes at once, then at most once a second. Otherwise a failure was
// said only at the next record, 30 s later for a check held on screen
// (helper-66 stopped PostgreSQL with a detail on screen: the footer
// stayed "ready").
const accessLookAfter = 1500 * time.Millisecond

// accessLookMsg asks the console to look at the recorder's last write.
type accessLookMsg struct{}

// accessLook says a background write that failed.
func (m *Model) accessLook() tea.Cmd {
	a := m.access
	if a == nil {
		return nil
	}
	return func() tea.Msg {
		if err := a.lastErr(); err != nil {
			return accessFailedMsg{err}
		}
		return nil
	}
}

// accessFailedMsg says the access log could not take a record: the
// reviewer is told, as the CLI warns when it cannot log.
type accessFailedMsg struct{ err error }

func (m *Model) accessFailed(msg accessFailedMsg) {
	m.footer.finish(0, false, "this view of personal data was not logged: "+errText(msg.err))
}

// Where the access records go: serve's session store records them itself;
// a local store opens a recorder for this console.
type (
	accessViewer interface {
		Viewed(checkID string, what store.AccessWhat)
	}
	accessOpener interface {
		NewAccessRecorder(sess store.AccessSession) (*store.AccessRecorder, error)
	}
)

// accessLog is this console's way to the access log. A recorder of its
// own is opened on the first record, from a command (it asks the
// operating system who is running), and closed when the console quits.
type accessLog struct {
	viewer accessViewer
	open   func() (*store.AccessRecorder, error)

	mu     sync.Mutex
	rec    *store.AccessRecorder
	err    error
	closed bool
}

// newAccessLog is the access log for the console's store; nil when the
// store records no access.
func newAccessLog(cfg Config) *accessLog {
	switch st := cfg.Store.(type) {
	case accessViewer:
		return &accessLog{viewer: st}
	case accessOpener:
		sess := store.AccessSession{Reviewer: cfg.Reviewer, Origin: store.OriginConsole}
		return &accessLog{open: func() (*store.AccessRecorder, error) { return st.NewAccessRecorder(sess) }}
	}
	return nil
}

// viewed records that the detail of checkID was seen. It never waits for
// the database: the recorder writes in its own time.
func (a *accessLog) viewed(checkID string) error {
	if a.viewer != nil {
		a.viewer.Viewed(checkID, store.AccessDetail)
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	if a.rec == nil && a.err == nil {
		a.rec, a.err = a.open()
	}
	if a.err != nil {
		return fmt.Errorf("opening the access log: %w", a.err)
	}
	a.rec.Viewed(checkID, store.AccessDetail)
	return a.rec.Err()
}

// lastErr is the last error the console's own recorder met writing, nil
// when its last write went through (or it has none).
func (a *accessLog) lastErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rec == nil || a.closed {
		return nil
	}
	return a.rec.Err()
}

// opened reports whether the console holds a recorder of its own.
func (a *accessLog) opened() bool {
	if a == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rec != nil && !a.closed
}

// close writes what the console's own recorder still holds. Closing twice,
// or a log that was never opened, is harmless.
func (a *accessLog) close(ctx context.Context) error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	was := a.closed
	a.closed = true
	rec := a.rec
	a.mu.Unlock()
	// Closed once: as the console quits (closeAccess, a write whose
	// failure the quit reports), then again by Wait, for a console ended
	// any other way. The second close wrote the same records again and
	// the same failure was printed twice (helper-57).
	if rec == nil || was {
		return nil
	}
	if err := rec.Close(ctx); err != nil {
		return fmt.Errorf("writing the access log: %w", err)
	}
	return nil
}

// accessClosedMsg is the console's recorder closed as it quits.
type accessClosedMsg struct {
	task int
	err  error
}

func (m accessClosedMsg) writeTask() int  { return m.task }
func (m accessClosedMsg) writeErr() error { return m.err }

// closeAccess writes the console's pending access records as a write the
// quit waits for (and reports, should it fail); nil when there are none
// of its own.
func (m *Model) closeAccess() tea.Cmd {
	if !m.access.opened() {
		return nil
	}
	task := m.ctx.nextID()
	a := m.access
	return m.ctx.writes.track(task, "the access log", func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		return accessClosedMsg{task: task, err: a.close(ctx)}
	})
}

// waitAccess closes the access log once the program has ended, whatever
// ended it (Wait).
func (m *Model) waitAccess() error {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	return m.access.close(ctx)
}
