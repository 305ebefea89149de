package serve

import (
	"fmt"
	"runtime/debug"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish/bubbletea"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/tui"
)

// endMsg tells a console the server is ending it (the reason is on the
// liveSession).
type endMsg struct{}

// closeMsg ends the console once the settle time after endMsg has passed.
type closeMsg struct{}

// settleTime is how long a console ending at the server's request keeps
// running, without taking keys, before it quits: a decision confirmed just
// before is still on its way through Bubble Tea's command queue, and it
// must reach the store (where shutdown waits for it) rather than be
// dropped with the queue when the program quits.
const settleTime = 250 * time.Millisecond

// idleCheckMsg asks the console whether its reviewer has gone quiet.
type idleCheckMsg struct{}

// program builds one session's console: its own model and its own
// renderer, made from the client's terminal (TERM, colours, background),
// so colours follow each reviewer's terminal and not the server's.
func (s *Server) program(sess ssh.Session) *tea.Program {
	ls := s.lookup(sess)
	if ls == nil || ls.store == nil {
		return nil // not admitted: cannot happen behind admit
	}
	// The session's own renderer: its TERM, environment and (asked of the
	// terminal) background colour.
	r := bubbletea.MakeRenderer(sess)
	m := &sessionModel{inner: s.newModel(ls, r), ls: ls, idle: s.cfg.IdleTimeout, lastInput: time.Now()}
	// No signal handler: SIGINT/SIGTERM belong to the server, which ends
	// every console itself, in order.
	opts := append(bubbletea.MakeOptions(sess), tea.WithAltScreen(), tea.WithoutSignalHandler())
	p := tea.NewProgram(m, opts...)
	ls.setProgram(p)
	go forwardNotices(ls, p)
	return p
}

// storeNoticeEvery spaces the store-changed notices a console gets: a
// batch refresh in one session must not make every other console re-read
// its page for each check.
const storeNoticeEvery = 500 * time.Millisecond

// forwardNotices passes what other sessions did to this console: claims
// at once, store changes at most every storeNoticeEvery.
func forwardNotices(ls *liveSession, p *tea.Program) {
	var last time.Time
	var later <-chan time.Time
	for {
		select {
		case <-ls.presence.Changes():
			p.Send(tui.PresenceChanged{})
		case <-ls.storeChanged:
			if wait := storeNoticeEvery - time.Since(last); wait > 0 {
				if later == nil {
					later = time.After(wait)
				}
				continue
			}
			last = time.Now()
			p.Send(tui.StoreChanged{})
		case <-later:
			later, last = nil, time.Now()
			p.Send(tui.StoreChanged{})
		case <-ls.done:
			return
		}
	}
}

// newConsole is the review console of a session.
func (s *Server) newConsole(ls *liveSession, r *lipgloss.Renderer) tea.Model {
	return tui.New(tui.Config{
		Store:    ls.store,
		API:      s.cfg.API,
		Reviewer: ls.id.Reviewer(),
		APILabel: s.cfg.APILabel,
		ReadOnly: ls.id.ReadOnly,
		Now:      s.cfg.Now,
		Renderer: r,
		Presence: ls.presence,
		// Decisions made by another process on the same database (the
		// CLI) show within a second: a look (one Counts query) every half
		// second. This server's own sessions are told at once
		// (tui.StoreChanged).
		Watch: 500 * time.Millisecond,
	})
}

// sessionModel wraps a console with what only the server knows about:
// how long the reviewer has been idle, and when the server is ending the
// session.
//
// It also contains the console's panics, in Update, View and the commands
// it returns: the reviewer is told, the panic is logged, and the session
// ends cleanly while every other session goes on.
type sessionModel struct {
	inner     tea.Model
	ls        *liveSession
	idle      time.Duration
	lastInput time.Time
	closing   bool
	broken    bool
}

// panicMsg carries a panic out of a command's goroutine.
type panicMsg struct {
	value any
	stack []byte
}

func (m *sessionModel) Init() (cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			cmd = m.crashed(r, debug.Stack())
		}
	}()
	return tea.Batch(guard(m.inner.Init()), m.idleCheck())
}

// guard makes a panic in cmd (or in a command of the batch it returns)
// come back as a panicMsg instead of killing the program.
func guard(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = panicMsg{r, debug.Stack()}
			}
		}()
		msg = cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for i := range batch {
				batch[i] = guard(batch[i])
			}
		}
		return msg
	}
}

// crashed ends a console whose code panicked.
func (m *sessionModel) crashed(value any, stack []byte) tea.Cmd {
	m.ls.log.Error("console panicked", "panic", sanitize.Line(fmt.Sprint(value)), "stack", sanitize.Text(string(stack)))
	m.ls.end(endCrash)
	m.broken = true
	return tea.Quit
}

// idleCheck ticks often enough for the timeout to be honoured within a
// twentieth of it, and never more than every 100ms.
func (m *sessionModel) idleCheck() tea.Cmd {
	every := min(max(m.idle/20, 100*time.Millisecond), 5*time.Second)
	return tea.Tick(every, func(time.Time) tea.Msg { return idleCheckMsg{} })
}

func (m *sessionModel) Update(msg tea.Msg) (next tea.Model, cmd tea.Cmd) {
	if m.broken {
		return m, tea.Quit
	}
	defer func() {
		if r := recover(); r != nil {
			// The model must be returned too: Bubble Tea calls View on
			// whatever Update returned, and a nil model would turn one
			// console's recovered panic into a crash of its program.
			next, cmd = m, m.crashed(r, debug.Stack())
		}
	}()
	switch msg := msg.(type) {
	case panicMsg:
		return m, m.crashed(msg.value, msg.stack)
	case tea.WindowSizeMsg:
		m.ls.setSize(msg.Width, msg.Height)
	case tea.KeyMsg, tea.MouseMsg:
		if m.closing {
			return m, nil // nothing new starts once the server is ending the session
		}
		m.lastInput = time.Now()
	case idleCheckMsg:
		if m.closing {
			return m, nil
		}
		if time.Since(m.lastInput) >= m.idle {
			m.ls.end(endIdle)
			return m.close()
		}
		return m, m.idleCheck()
	case endMsg:
		return m.close()
	case closeMsg:
		return m, tea.Quit
	}
	m.inner, cmd = m.inner.Update(msg)
	return m, guard(cmd)
}

func (m *sessionModel) close() (tea.Model, tea.Cmd) {
	if m.closing {
		return m, nil
	}
	m.closing = true
	return m, tea.Tick(settleTime, func(time.Time) tea.Msg { return closeMsg{} })
}

func (m *sessionModel) View() (view string) {
	if m.broken {
		return ""
	}
	defer func() {
		if r := recover(); r != nil {
			m.crashed(r, debug.Stack())
			// View cannot return a command: quit through the program.
			if p := m.ls.currentProgram(); p != nil {
				go p.Quit()
			}
			view = ""
		}
	}()
	if m.closing {
		return "\n  caisson-review: closing this session; finishing what is being saved…\n"
	}
	return m.inner.View()
}
