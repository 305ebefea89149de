// Quitting without losing a write: every command that writes to the store
// is counted here while it runs, and the console leaves only once none is.

package tui

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
)

// writes are the store writes in flight (decisions, adds, refreshes) and
// the failures nobody has seen on screen yet. Bubble Tea neither waits for
// running commands when it quits nor delivers their messages after, so a
// write is counted from its command, not from Update: a decision saved as
// the program ends is still waited for, and its failure still reported.
type writes struct {
	mu      sync.Mutex
	running map[int]string // task → "reject of chk_…"
	idle    chan struct{}  // closed while nothing runs
	unseen  map[int]error  // failures whose message has not been shown
	// quitting: a failure from now on is reported at exit, whether or not
	// its message reaches the screen.
	quitting bool
}

// writeResult is the message of a write: which task, and its failure.
type writeResult interface {
	writeTask() int
	writeErr() error
}

func newWrites() *writes {
	idle := make(chan struct{})
	close(idle)
	return &writes{running: map[int]string{}, unseen: map[int]error{}, idle: idle}
}

// track runs cmd as the write task, labelled for the quitting screen.
func (w *writes) track(task int, label string, cmd tea.Cmd) tea.Cmd {
	done := w.start(task, label)
	return func() tea.Msg {
		msg := cmd()
		var err error
		if r, ok := msg.(writeResult); ok {
			err = r.writeErr()
		}
		done(err)
		return msg
	}
}

// start counts a write that runs outside a command (the batch refresh's
// goroutine); done ends it, with its failure if any.
func (w *writes) start(task int, label string) (done func(error)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.running) == 0 {
		w.idle = make(chan struct{})
	}
	w.running[task] = label
	return func(err error) { w.finish(task, err) }
}

func (w *writes) finish(task int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.running[task]; !ok {
		return
	}
	delete(w.running, task)
	if err != nil {
		w.unseen[task] = err
	}
	if len(w.running) == 0 {
		close(w.idle)
	}
}

// seen says a write's outcome is on screen: the reviewer was told.
func (w *writes) seen(task int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.quitting {
		delete(w.unseen, task)
	}
}

// labels are the writes in flight, oldest first.
func (w *writes) labels() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, task := range slices.Sorted(maps.Keys(w.running)) {
		out = append(out, w.running[task])
	}
	return out
}

// drain marks the console quitting, waits until no write runs and
// returns every failure the reviewer has not seen on screen.
func (w *writes) drain() error {
	w.mu.Lock()
	w.quitting = true
	idle := w.idle
	w.mu.Unlock()
	<-idle
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for _, task := range slices.Sorted(maps.Keys(w.unseen)) {
		errs = append(errs, w.unseen[task])
	}
	return errors.Join(errs...)
}

// drainedMsg says the last write in flight has ended.
type drainedMsg struct{}

// quit leaves the program: a running refresh is cancelled, and the
// program ends once every write in flight has finished or failed, saying
// on screen what it is waiting for. Bubble Tea would otherwise end with
// the decision just made still on its way to the store.
func (m *Model) quit() tea.Cmd {
	if m.quitting {
		return nil
	}
	m.quitting = true
	m.dropped = m.draft()
	m.stopPolling()
	if m.batch != nil && m.batch.running {
		m.batch.cancel()
		m.batch.cancelled = true
	}
	closing := m.closeAccess()
	if len(m.ctx.writes.labels()) == 0 {
		return m.leave()
	}
	return tea.Batch(closing, func() tea.Msg {
		m.ctx.writes.drain()
		return drainedMsg{}
	})
}

// draft says what the open decision dialog holds: the action and its
// check, and whether a note was typed; "" with no dialog open.
func (m *Model) draft() string {
	p := m.pending
	if p == nil || (m.mode != modeConfirm && m.mode != modeNote && m.mode != modeReason) {
		return ""
	}
	d := fmt.Sprintf("%s %s", p.action, line(p.checkID))
	if m.mode == modeNote && strings.TrimSpace(m.note.input.Value()) != "" {
		d += " and the note typed for it"
	}
	return d
}

// Dropped is the decision the console was asked for but never told to
// save, because it quit (SIGTERM, a server shutting down, the connection
// closing, ctrl+c) with its dialog open: "reject chk_priv_… and the note
// typed for it". "" when none. Nothing confirmed is ever dropped: what was
// confirmed is saved before the console ends (Wait).
func (m *Model) Dropped() string { return m.dropped }

// leave ends the program now; the filter lets this quit through.
func (m *Model) leave() tea.Cmd {
	m.left = true
	return tea.Quit
}

// QuitFilter turns Bubble Tea's own quit (SIGTERM, Program.Quit: an SSH
// session closing) and interrupt into the console's quit, which waits for
// the writes in flight. Pass it to tea.WithFilter (Options does); it
// ignores the model it is given, so a caller wrapping this console in a
// model of its own can call it from its filter.
func (m *Model) QuitFilter(_ tea.Model, msg tea.Msg) tea.Msg {
	switch msg.(type) {
	case tea.QuitMsg, tea.InterruptMsg:
		if !m.left {
			return quitRequestMsg{}
		}
	}
	return msg
}

// quitRequestMsg is a quit from outside the console's keys.
type quitRequestMsg struct{}

// Wait blocks until every write the console started has finished or
// failed, and returns the failures the reviewer has not seen on screen (a
// decision that failed while the console was quitting, or after it ended).
// Call it after the program has ended, whatever ended it (a cancelled
// context ends Bubble Tea without a message), and before closing the
// store. The console's own access records still pending are written
// then too.
func (m *Model) Wait() error {
	m.stopPolling()
	return errors.Join(m.ctx.writes.drain(), m.waitAccess())
}
