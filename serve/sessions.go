package serve

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
)

// Why a console ended, when the server ended it.
const (
	endShutdown = "shutdown"
	endIdle     = "idle"
	endCrash    = "crashed"
)

// liveSession is one SSH session from authentication to goodbye. The SSH
// context belongs to the connection, which may carry several sessions, so
// per-session state lives here, found by the session value.
type liveSession struct {
	id   identity
	sess ssh.Session
	log  *slog.Logger

	store    *sessionStore    // set once admitted
	presence *PresenceSession // set once admitted
	done     chan struct{}    // closed when the console has ended
	// storeChanged holds one pending notice that another session changed
	// the store.
	storeChanged chan struct{}
	doneOnce     sync.Once

	mu        sync.Mutex
	program   *tea.Program
	endReason string
	size      [2]int // the console's last window size, for the log and tests
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

// end asks the console to close for reason; the first reason given wins.
func (ls *liveSession) end(reason string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.endReason != "" {
		return
	}
	ls.endReason = reason
	if ls.program != nil {
		go ls.program.Send(endMsg{})
	}
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
		log:  s.log.With("user", id.User, "fingerprint", id.Fingerprint, "remote", sess.RemoteAddr().String()),
		done: make(chan struct{}),

		storeChanged: make(chan struct{}, 1),
	}
	s.mu.Lock()
	s.live[sess] = ls
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

// refuseCommands turns away exec and subsystem requests with a message:
// the server offers the console and nothing else, so a reviewer's key is
// no shell on the bastion.
func (s *Server) refuseCommands(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ls := s.lookup(sess)
		if sess.RawCommand() != "" || sess.Subsystem() != "" {
			ls.log.Info("session refused: command requested")
			wish.Fatalln(sess, "caisson-review: this server offers only the review console; commands are not accepted. Connect with: ssh -t HOST")
			return
		}
		if _, _, ok := sess.Pty(); !ok {
			// activeterm, next in the chain, tells the client.
			ls.log.Info("session refused: no terminal requested")
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
		s.mu.Lock()
		switch {
		case s.draining:
			s.mu.Unlock()
			ls.log.Info("session refused: shutting down")
			wish.Fatalln(sess, "caisson-review: the server is shutting down; try again in a moment.")
			return
		case s.active >= s.cfg.MaxSessions:
			s.mu.Unlock()
			ls.log.Warn("session refused: server full", "max_sessions", s.cfg.MaxSessions)
			wish.Fatalln(sess, fmt.Sprintf("caisson-review: %d reviewers are already connected, the most this server allows; try again later.", s.cfg.MaxSessions))
			return
		}
		s.active++
		s.sessions.Add(1)
		s.admitted[ls] = struct{}{}
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.active--
			delete(s.admitted, ls)
			s.mu.Unlock()
			s.sessions.Done()
		}()

		// A panic outside the console (sessionModel contains its own) is
		// logged by the recover middleware; the reviewer is told first and
		// the session exits non-zero.
		defer func() {
			if r := recover(); r != nil {
				ls.end(endCrash)
				s.goodbye(ls, ls.store.wait(s.cfg.ShutdownGrace))
				_ = sess.Exit(1)
				panic(r)
			}
		}()
		ls.store = newSessionStore(s.cfg.Store, &s.gate, ls.log)
		ls.store.changed = func() { s.storeChangedBy(ls) }
		ls.presence = s.presence.Join(ls.id.DisplayName())
		defer ls.presence.Leave() // also when the console panicked
		defer ls.finish()
		start := time.Now()
		ls.log.Info("session start", "read_only", ls.id.ReadOnly)

		next(sess)

		ls.finish()
		ls.presence.Leave()
		saved := ls.store.wait(s.cfg.ShutdownGrace)
		s.goodbye(ls, saved)
		// Exit now rather than after the middleware returns: shutdown
		// closes connections as soon as every session is counted out, and
		// the client should still get its exit status.
		_ = sess.Exit(0)
		ls.log.Info("session end", "reason", endReasonOrQuit(ls.reason()),
			"duration", time.Since(start).Round(time.Millisecond).String(), "decisions", ls.store.decided.Load())
	}
}

func endReasonOrQuit(r string) string {
	if r == "" {
		return "quit"
	}
	return r
}

// goodbye is printed after the console has left the alternate screen, so
// it stays in the reviewer's terminal.
func (s *Server) goodbye(ls *liveSession, saved bool) {
	var why string
	switch ls.reason() {
	case endShutdown:
		why = "the review server is shutting down."
	case endIdle:
		why = fmt.Sprintf("closed after %s without a key press.", s.cfg.IdleTimeout)
	case endCrash:
		why = "the console failed and was closed (the server keeps running; reconnect to go on)."
	}
	if why == "" && saved {
		return
	}
	msg := "caisson-review: " + why
	if saved {
		msg += fmt.Sprintf(" Decisions made in this session: %d, all saved.", ls.store.decided.Load())
	} else {
		msg += " A change was still being saved when the session ended: check the last check you decided when you reconnect."
	}
	wish.Println(ls.sess, msg+"\n")
}
