package serve

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/tui"
)

// endMsg tells a console the server is ending it (the reason is on the
// liveSession).
type endMsg struct{}

// windowMsg carries the client's own window size; the tea.WindowSizeMsg
// that follows it carries the size the console lays out to (capped).
type windowMsg struct{ w, h int }

// What the review console offers beyond tea.Model (a stand-in console in
// a test may not).
type (
	// optioned consoles choose their program options (frame rate, …).
	optioned interface {
		Options(colorprofile.Profile) []tea.ProgramOption
	}
	// quitFilterer consoles turn a quit from outside into their own quit,
	// which waits for the writes in flight.
	quitFilterer interface {
		QuitFilter(tea.Model, tea.Msg) tea.Msg
	}
	// waiter consoles can be waited on for their writes once the program
	// has ended, and report the failures the reviewer has not seen.
	waiter interface{ Wait() error }
)

// runConsole is the last middleware: the session's console.
func (s *Server) runConsole(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if ls := s.lookup(sess); ls != nil && ls.store != nil && ls.window != nil { // always, behind admit and requirePty
			s.console(sess, ls)
		}
		next(sess)
	}
}

// console runs one session's console: its own model and program, made
// from the client's terminal (TERM, environment, window size and colour
// profile), so colours follow each reviewer's terminal and not the
// server's. It returns once the console has ended and its writes have
// finished (or ShutdownGrace has passed).
func (s *Server) console(sess ssh.Session, ls *liveSession) {
	win := ls.window.get()
	env := append(sess.Environ(), "TERM="+ls.window.term)
	inner := s.newModel(ls)
	m := &sessionModel{inner: inner, ls: ls, raw: [2]int{win.Width, win.Height}}
	p := tea.NewProgram(m, programOptions(inner, m, sess, ls, env, win)...)
	ls.setProgram(p)

	stop := make(chan struct{})
	defer close(stop)
	go forwardNotices(ls, p)
	go ls.window.deliver(stop, win, func(w ssh.Window) {
		cw, ch, _ := capSize(w.Width, w.Height)
		p.Send(windowMsg{w.Width, w.Height})
		p.Send(tea.WindowSizeMsg{Width: cw, Height: ch})
	})
	// The connection closing (the client gone, the sweep, shutdown) ends
	// the program whatever it is doing.
	go func() {
		select {
		case <-sess.Context().Done():
			p.Kill()
		case <-stop:
		}
	}()
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		ls.log.Warn("console ended with an error", "error", sanitize.Line(err.Error()))
	}
	p.Kill()
	if w, ok := inner.(waiter); ok {
		ls.setUnsaved(waitFor(w.Wait, s.cfg.ShutdownGrace))
	}
	if d, ok := inner.(interface{ Dropped() string }); ok {
		ls.setDraft(d.Dropped())
	}
}

// programOptions are the console's own options (frame rate, its quit
// filter), then the session's: the last filter given is the one Bubble
// Tea runs, and m.filter calls the console's.
func programOptions(inner tea.Model, m *sessionModel, sess ssh.Session, ls *liveSession, env []string, win ssh.Window) []tea.ProgramOption {
	profile := colorProfile(env)
	var opts []tea.ProgramOption
	if o, ok := inner.(optioned); ok {
		opts = o.Options(profile)
	}
	w, h, _ := capSize(win.Width, win.Height)
	return append(opts,
		tea.WithColorProfile(profile),
		tea.WithInput(typingReader{sess, ls}),
		tea.WithOutput(sess),
		tea.WithEnvironment(env),
		tea.WithWindowSize(w, h),
		// SIGINT and SIGTERM belong to the server, which ends every
		// console itself, in order.
		tea.WithoutSignalHandler(),
		tea.WithFilter(m.filter),
	)
}

// colorProfile is the colour profile of the client's terminal, from its
// TERM and environment (COLORTERM, NO_COLOR, CLICOLOR…) as sent over SSH,
// by the local console's rules (tui.ColorProfile: NO_COLOR is plain text,
// no bold or reverse either). The session is a terminal, though its
// output is no file descriptor here: TTY_FORCE says so.
func colorProfile(env []string) colorprofile.Profile {
	return tui.ColorProfile(nil, append(env[:len(env):len(env)], "TTY_FORCE=1"))
}

// waitFor runs wait and returns its error, or nil once d has passed.
func waitFor(wait func() error, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- wait() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return nil
	}
}

// typingReader is the console's input: every read counts as the
// reviewer's activity for the idle timeout.
type typingReader struct {
	r  io.Reader
	ls *liveSession
}

func (t typingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.ls.typed(time.Now())
	}
	return n, err
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
		case up := <-ls.reach:
			if up {
				p.Send(tui.StoreReachable{})
			} else {
				p.Send(tui.StoreUnreachable{})
			}
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
func (s *Server) newConsole(ls *liveSession) tea.Model {
	var api service.API
	if s.cfg.API != nil {
		api = newSessionAPI(s.cfg.API, ls.id.ReadOnly, ls.log)
	}
	// The session's own service: its writes go through the session's
	// store (the gate, the log, the key's authorization) and are made as
	// its key.
	svc := service.New(ls.store, api, service.Options{
		Reviewer: ls.id.Reviewer(), Identity: ls.store.Identity(), Now: s.cfg.Now,
	})
	return tui.New(tui.Config{
		Store:    ls.store,
		Service:  svc,
		Reviewer: ls.id.Reviewer(),
		APILabel: s.cfg.APILabel,
		ReadOnly: ls.id.ReadOnly,
		Now:      s.cfg.Now,
		Presence: ls.presence,
		// This server's own sessions are told of each other's writes at
		// once (tui.StoreChanged), and on PostgreSQL of every other
		// process's and host's too (Store.Changes). On SQLite, writes by
		// another process on the same file (the CLI, another server) show
		// within a second: a look (one Counts query) every half second.
		Watch:      s.watchEvery(),
		Keys:       s.cfg.Console.Keys,
		StartQueue: s.cfg.Console.StartQueue,
		StartSort:  s.cfg.Console.StartSort,
		Masked:     s.cfg.Console.Masked,
		Theme:      s.cfg.Console.Theme,
		StaleAfter: s.cfg.Console.StaleAfter,
		PollStatus: s.pollStatus(),
		Tampering:  s.cfg.Store.Tampering(),
	})
}

// watchEvery is how often a console looks whether the store changed: never
// while the store tells the server of every write (PostgreSQL, once
// listening).
func (s *Server) watchEvery() time.Duration {
	if s.told.Load() {
		return 0
	}
	return 500 * time.Millisecond
}

// sessionModel wraps a console with what only the server knows about: the
// client's real window size, and when the server is ending the session.
//
// It also contains the console's panics, in Update, View and the commands
// it returns: the reviewer is told, the panic is logged, and the session
// ends cleanly while every other session goes on.
type sessionModel struct {
	inner   tea.Model
	ls      *liveSession
	raw     [2]int // the client's window
	closing bool
	broken  bool
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
	return guard(m.inner.Init())
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

// filter runs in the program's event loop before Update. Ctrl-Z must not
// suspend the server's process; a quit from outside becomes the
// console's own quit, which waits for its writes (unless the console is
// broken: then it just ends).
func (m *sessionModel) filter(_ tea.Model, msg tea.Msg) tea.Msg {
	if _, ok := msg.(tea.SuspendMsg); ok {
		return tea.ResumeMsg{}
	}
	if f, ok := m.inner.(quitFilterer); ok && !m.broken {
		return f.QuitFilter(m.inner, msg)
	}
	return msg
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
	case windowMsg:
		m.raw = [2]int{msg.w, msg.h}
		return m, nil
	case tea.WindowSizeMsg:
		return m.resize(msg)
	case tea.ColorProfileMsg:
		m.ls.setTerminal(msg.Profile.String(), "")
	case tea.EnvMsg:
		m.ls.setTerminal("", msg.Getenv("TERM"))
	case tea.KeyPressMsg, tea.KeyReleaseMsg, tea.MouseMsg, tea.PasteMsg:
		if m.closing {
			return m, nil // nothing new starts once the server is ending the session
		}
	case endMsg:
		if m.closing {
			return m, nil
		}
		m.closing = true
		return m, tea.Quit
	}
	m.inner, cmd = m.inner.Update(msg)
	return m, guard(cmd)
}

// resize passes the program's size on to the console, one row short when
// the window is capped (the last row says so). A size that is not the
// latest window's (Bubble Tea sends the starting size from a goroutine of
// its own, which may arrive after a change) is replaced by the latest.
func (m *sessionModel) resize(msg tea.WindowSizeMsg) (tea.Model, tea.Cmd) {
	w, h, capped := capSize(m.raw[0], m.raw[1])
	if msg.Width != w || msg.Height != h {
		return m, func() tea.Msg { return tea.WindowSizeMsg{Width: w, Height: h} }
	}
	m.ls.setSize(w, h)
	if capped {
		msg.Height = max(h-1, 0)
	}
	var cmd tea.Cmd
	m.inner, cmd = m.inner.Update(msg)
	return m, guard(cmd)
}

func (m *sessionModel) View() (view tea.View) {
	if m.broken {
		return tea.View{}
	}
	defer func() {
		if r := recover(); r != nil {
			m.crashed(r, debug.Stack())
			// View cannot return a command: quit through the program.
			if p := m.ls.currentProgram(); p != nil {
				go p.Quit()
			}
			view = tea.View{}
		}
	}()
	view = m.inner.View()
	w, h, capped := capSize(m.raw[0], m.raw[1])
	if m.closing {
		view.Content = replaceFirstLine(view.Content, ansi.Truncate(m.closingLine(), w, "…"))
	}
	if capped && h > 0 {
		note := fmt.Sprintf("caisson-review: your window is %dx%d; the console uses at most %dx%d", m.raw[0], m.raw[1], maxWidth, maxHeight)
		if m.raw[0] <= 0 || m.raw[1] <= 0 {
			// The console is laid out to h-1 rows and this note is the
			// last (it said "drawn for 80x25", the two together, where the
			// README says 80x24 and a row saying so: helper-59).
			note = fmt.Sprintf("caisson-review: your terminal gave no size (%dx%d): drawn for %dx%d and this row", m.raw[0], m.raw[1], w, h-1)
		}
		view.Content = fitLines(view.Content, h-1) + "\n" + ansi.Truncate(note, w, "…")
	}
	return view
}

// closingLine replaces the console's first line while the server is
// ending the session.
func (m *sessionModel) closingLine() string {
	switch m.ls.reason() {
	case endShutdown:
		return "caisson-review: the review server is shutting down; finishing what is being saved…"
	case endIdle:
		return "caisson-review: closing: no key pressed for too long; finishing what is being saved…"
	case endRevoked:
		return "caisson-review: this key was removed from authorized_keys; closing, nothing more is saved"
	case endKeysUnusable:
		return "caisson-review: the server's authorized_keys cannot be trusted now; closing, nothing more is saved"
	case endMadeReadOnly:
		return "caisson-review: this key was made read-only in authorized_keys; closing, nothing more is saved"
	}
	return "caisson-review: closing this session; finishing what is being saved…"
}

func replaceFirstLine(s, line string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return line + s[i:]
	}
	return line
}

// fitLines cuts s to at most n lines, so a line added below stays on
// screen.
func fitLines(s string, n int) string {
	i := 0
	for range n {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			return s
		}
		i += j + 1
	}
	return strings.TrimSuffix(s[:i], "\n")
}
