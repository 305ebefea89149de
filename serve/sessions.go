package serve

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

// Why a console ended, when the server ended it.
const (
	endShutdown = "shutdown"
	endIdle     = "idle"
	endCrash    = "crashed"
	endRevoked  = "key revoked"
	// endKeysUnusable: authorized_keys itself could not be trusted (its
	// mode, its folder's, or it was gone), which refuses every key.
	endKeysUnusable = "authorized_keys unusable"
	// endMadeReadOnly: the key was marked read-only while a console
	// with decision keys was open.
	endMadeReadOnly = "key made read-only"
)

// liveSession is one SSH session from authentication to goodbye. The SSH
// context belongs to the connection, which may carry several sessions, so
// per-session state lives here, found by the session value.
type liveSession struct {
	id     identity
	sess   ssh.Session
	peer   *peer
	log    *slog.Logger
	window *windowSizes // nil when the session has no pty

	store    *sessionStore    // set once admitted
	presence *PresenceSession // set once admitted
	done     chan struct{}    // closed when the console has ended
	// storeChanged holds one pending notice that another session changed
	// the store.
	storeChanged chan struct{}
	// reach holds the store's latest reachability for the console
	// (Server.storeReachable): false while it does not answer.
	reach    chan bool
	doneOnce sync.Once
	// lastInput is when the reviewer last typed (unix nanoseconds): the
	// console's input, counted as it is read, so a console that is busy
	// or stuck still times out.
	lastInput atomic.Int64

	mu        sync.Mutex
	program   *tea.Program
	endReason string
	endAt     time.Time // when the server asked the console to end
	size      [2]int    // the console's last window size, for the log and tests
	profile   string    // the colour profile the console was given, for tests
	term      string    // the TERM the console was given, for tests
	// unsavedErr is a write the console reports as failed after it ended
	// (the reviewer may not have seen it on screen).
	unsavedErr error
	// draftLost is the decision whose dialog was open when the console
	// ended, never confirmed (setDraft).
	draftLost string
}

func (ls *liveSession) setUnsaved(err error) {
	ls.mu.Lock()
	ls.unsavedErr = err
	ls.mu.Unlock()
}

// setDraft keeps what the console's decision dialog held when it ended
// (tui.Model.Dropped), for goodbye.
func (ls *liveSession) setDraft(d string) {
	ls.mu.Lock()
	ls.draftLost = d
	ls.mu.Unlock()
}

func (ls *liveSession) draft() string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.draftLost
}

func (ls *liveSession) unsaved() error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.unsavedErr
}

func (ls *liveSession) setSize(w, h int) {
	ls.mu.Lock()
	ls.size = [2]int{w, h}
	ls.mu.Unlock()
}

func (ls *liveSession) windowSize() (w, h int) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.size[0], ls.size[1]
}

// setTerminal records what the console was told of its terminal (an
// empty value leaves that one as it was).
func (ls *liveSession) setTerminal(profile, term string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if profile != "" {
		ls.profile = profile
	}
	if term != "" {
		ls.term = term
	}
}

func (ls *liveSession) terminal() (profile, term string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.profile, ls.term
}

func (ls *liveSession) typed(t time.Time) {
	ls.lastInput.Store(t.UnixNano())
	if ls.peer != nil {
		ls.peer.touch(t)
	}
}

func (ls *liveSession) idleSince() time.Time { return time.Unix(0, ls.lastInput.Load()) }

// end asks the console to close for reason; the first reason given wins.
func (ls *liveSession) end(reason string) {
	if ls.endLocked(reason, time.Now()) {
		ls.tellEnd()
	}
}

// endLocked records reason as why the console ends, unless one already
// is, and reports whether it was recorded. (Locked: it may be called with
// the server's lock held; tellEnd, which may wait, may not.)
func (ls *liveSession) endLocked(reason string, now time.Time) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.endReason != "" {
		return false
	}
	ls.endReason, ls.endAt = reason, now
	return true
}

// tellEnd tells a running console to end. The program may be busy or
// stuck: the message waits on a goroutine of its own.
func (ls *liveSession) tellEnd() {
	if p := ls.currentProgram(); p != nil {
		go p.Send(endMsg{})
	}
}

// endAsked is when the server asked the console to end (zero if it has
// not).
func (ls *liveSession) endAsked() time.Time {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.endAt
}

func (ls *liveSession) setProgram(p *tea.Program) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.program = p
	if ls.endReason != "" {
		go p.Send(endMsg{})
	}
}

func (ls *liveSession) currentProgram() *tea.Program {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.program
}

func (ls *liveSession) finish() { ls.doneOnce.Do(func() { close(ls.done) }) }

func (ls *liveSession) reason() string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.endReason
}

func (s *Server) track(sess ssh.Session, id identity) *liveSession {
	ls := &liveSession{
		id:   id,
		sess: sess,
		peer: peerOf(sess.Context()),
		log:  s.log.With("user", id.User, "fingerprint", id.Fingerprint, "remote", sess.RemoteAddr().String()),
		done: make(chan struct{}),

		storeChanged: make(chan struct{}, 1),
		reach:        make(chan bool, 1),
	}
	ls.typed(time.Now())
	s.mu.Lock()
	s.live[sess] = ls
	ls.window = s.windows[sess]
	s.mu.Unlock()
	return ls
}

func (s *Server) untrack(sess ssh.Session) {
	s.mu.Lock()
	delete(s.live, sess)
	s.mu.Unlock()
}

func (s *Server) lookup(sess ssh.Session) *liveSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live[sess]
}

// storeChangedBy tells every other console that ls changed the store, so
// a decision shows in the others' lists at once.
func (s *Server) storeChangedBy(ls *liveSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for other := range s.admitted {
		if other == ls {
			continue
		}
		select {
		case other.storeChanged <- struct{}{}:
		default:
		}
	}
}

// storeReachable tells every console whether the store answers (its
// PostgreSQL server gone, or back: store.Unreachable, store.Reachable),
// the latest only, and keeps it for the consoles that start meanwhile.
func (s *Server) storeReachable(up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storeDown = !up
	for ls := range s.admitted {
		ls.tellReach(up)
	}
}

// tellReach leaves up on ls.reach in place of what it held.
func (ls *liveSession) tellReach(up bool) {
	for {
		select {
		case ls.reach <- up:
			return
		default:
		}
		select {
		case <-ls.reach:
		default:
		}
	}
}

// refuseCommands turns away exec requests with a message: the server
// offers the console and nothing else, so a reviewer's key is no shell on
// the bastion. (Subsystems never get this far: see refuseSubsystems.)
func (s *Server) refuseCommands(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ls := s.lookup(sess)
		if sess.RawCommand() != "" {
			ls.log.Info("session refused: command requested")
			wish.Fatalln(sess, "caisson-review: this server offers only the review console; commands are not accepted. Connect with: ssh -t HOST")
			return
		}
		next(sess)
	}
}

// requirePty turns away a session without a pty, as wish's activeterm
// does (with its words), but from what the pty request recorded:
// Session.Pty races with the SSH library's handling of window changes.
func (s *Server) requirePty(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ls := s.lookup(sess)
		if ls.window == nil {
			ls.log.Info("session refused: no terminal requested")
			wish.Fatalln(sess, "Requires an active PTY")
			return
		}
		// As the local console refuses it: drawn anyway, the alternate
		// screen's and the colour query's sequences come out as text.
		if ls.window.term == "dumb" {
			ls.log.Info("session refused: TERM=dumb")
			wish.Fatalln(sess, "caisson-review: the console needs a terminal that can move its cursor, and TERM=dumb says this one cannot: connect with TERM set to what the terminal is (xterm-256color, say)")
			return
		}
		next(sess)
	}
}

// admit lets a session in when the server is not shutting down and has
// room, runs its console (next), then says goodbye. Everything a console
// started against the store has finished, or been refused, before the
// session counts as ended.
func (s *Server) admit(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ls := s.lookup(sess)
		if !s.enter(sess, ls) {
			return
		}
		defer func() {
			s.mu.Lock()
			delete(s.admitted, ls)
			if ls.peer != nil {
				s.closeConsoleLocked(ls.peer, ls, time.Now())
			}
			s.mu.Unlock()
			s.sessions.Done()
		}()

		// A panic outside the console (sessionModel contains its own) is
		// logged by the recover middleware; the reviewer is told first and
		// the session exits non-zero.
		defer func() {
			if r := recover(); r != nil {
				ls.end(endCrash)
				s.goodbye(ls, ls.store.wait(s.cfg.ShutdownGrace), nil)
				_ = sess.Exit(1)
				panic(r)
			}
		}()
		ls.store = newSessionStore(s.cfg.Store, &s.gate, ls.log, store.SSHIdentity(ls.id.Fingerprint))
		ls.store.changed = func() { s.storeChangedBy(ls) }
		ls.store.allowed = s.stillAuthorized(sess.PublicKey())
		if !s.startAccessLog(sess, ls) {
			return
		}
		defer s.endAccessLog(ls) // also when the console panicked; once
		ls.presence = s.presence.Join(ls.id.DisplayName())
		defer ls.presence.Leave() // also when the console panicked
		defer ls.finish()
		start := time.Now()
		ls.log.Info("session start", "read_only", ls.id.ReadOnly)

		next(sess)

		// The console ended on its own: q, or the client gone (its
		// connection's context is cancelled then, not after a q).
		dropped := ls.reason() == "" && sess.Context().Err() != nil
		ls.finish()
		ls.presence.Leave()
		saved := ls.store.wait(s.cfg.ShutdownGrace)
		s.endAccessLog(ls)
		s.goodbye(ls, saved, ls.unsaved())
		// Exit now rather than after the middleware returns: shutdown
		// closes connections as soon as every session is counted out, and
		// the client should still get its exit status.
		status := 0
		if r := ls.reason(); r == endRevoked || r == endKeysUnusable || r == endMadeReadOnly {
			status = 1
		}
		_ = sess.Exit(status)
		// A write still in flight past the grace logs its own line when
		// it ends ("decision" or "decision not saved"), after this one.
		reason := endReasonOrQuit(ls.reason())
		if dropped {
			reason = "disconnected"
		}
		ls.log.Info("session end", "reason", reason,
			"duration", time.Since(start).Round(time.Millisecond).String(), "decisions", ls.store.decided.Load(),
			"not_saved", ls.store.notSaved.Load(), "still_saving", !saved)
	}
}

// startAccessLog gives the session its access recorder: what personal
// data it is shown is logged as its key, from serve, with the client's
// address. A session whose views could not be logged is not let in.
func (s *Server) startAccessLog(sess ssh.Session, ls *liveSession) bool {
	rec, err := s.cfg.Store.NewAccessRecorder(store.AccessSession{
		Reviewer: ls.id.Reviewer(),
		Identity: ls.store.identity,
		Origin:   store.OriginServe,
		Address:  sess.RemoteAddr().String(),
	})
	if err != nil {
		ls.log.Error("session refused: cannot log its access to personal data", "error", sanitize.Line(err.Error()))
		wish.Fatalln(sess, "caisson-review: this session's access to personal data could not be logged, so it is refused; tell the server's operator.")
		return false
	}
	ls.store.access = rec
	return true
}

// endAccessLog writes the session's pending access records; closing twice
// is harmless.
func (s *Server) endAccessLog(ls *liveSession) {
	if err := ls.store.closeAccess(s.cfg.ShutdownGrace); err != nil {
		ls.log.Error("access records not written", "error", sanitize.Line(err.Error()))
	}
}

// enter counts a console in, or tells the client why not and returns
// false.
func (s *Server) enter(sess ssh.Session, ls *liveSession) bool {
	s.mu.Lock()
	switch {
	case s.draining:
		s.mu.Unlock()
		ls.log.Info("session refused: shutting down")
		wish.Fatalln(sess, "caisson-review: the server is shutting down; try again in a moment.")
		return false
	case ls.peer == nil || !s.openConsoleLocked(ls.peer, ls, time.Now()):
		s.mu.Unlock()
		ls.log.Warn("session refused: server full", "max_sessions", s.cfg.MaxSessions)
		wish.Fatalln(sess, fmt.Sprintf("caisson-review: %d reviewers are already connected, the most this server allows; try again later.", s.cfg.MaxSessions))
		// A connection without a slot is closed by the sweep after
		// overLimitGrace: closing it now could cut this message short.
		return false
	}
	s.sessions.Add(1)
	s.admitted[ls] = struct{}{}
	if s.storeDown {
		ls.tellReach(false)
	}
	s.mu.Unlock()
	return true
}

func endReasonOrQuit(r string) string {
	if r == "" {
		return "quit"
	}
	return r
}

// goodbye is printed after the console has left the alternate screen, so
// it stays in the reviewer's terminal. unsaved is a write the console
// reports as failed that the reviewer may not have seen.
func (s *Server) goodbye(ls *liveSession, saved bool, unsaved error) {
	var why string
	switch ls.reason() {
	case endShutdown:
		why = "the review server is shutting down."
	case endIdle:
		why = fmt.Sprintf("closed after %s without a key press.", s.cfg.IdleTimeout)
	case endCrash:
		why = "the console failed and was closed (the server keeps running; reconnect to go on)."
	case endRevoked:
		why = "this key is no longer in the server's authorized_keys, so the session was closed."
	case endKeysUnusable:
		why = "the server's authorized_keys could no longer be trusted (its log says why; the operator must fix it), so every session was closed."
	case endMadeReadOnly:
		why = "this key was made read-only in the server's authorized_keys, so the session was closed; reconnect for the read-only console."
	}
	// A quit says nothing when every decision was saved; one that was not
	// is said however the session ended (helper-59: a quit said nothing
	// after a failed decision, though its log counted it).
	draft := ls.draft()
	if why == "" && saved && unsaved == nil && ls.store.notSaved.Load() == 0 && draft == "" {
		return
	}
	msg := "caisson-review: " + why
	switch {
	case unsaved != nil:
		msg += " NOT saved: " + sanitize.Line(unsaved.Error()) + "."
	case saved && ls.store.notSaved.Load() > 0:
		msg += fmt.Sprintf(" Decisions made in this session: %d saved, %d NOT saved (each said why when it was made).",
			ls.store.decided.Load(), ls.store.notSaved.Load())
	case saved:
		msg += fmt.Sprintf(" Decisions made in this session: %d, all saved.", ls.store.decided.Load())
	default:
		msg += " A change was still being saved when the session ended: check the last check you decided when you reconnect."
	}
	if draft != "" {
		msg += " Not saved, as it was never confirmed: " + draft + "."
	}
	wish.Println(ls.sess, strings.Join(strings.Fields(msg), " ")+"\n")
}
