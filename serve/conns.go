package serve

import (
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Every connection counts. One that has authenticated holds a slot of
// MaxSessions until it closes, console or not (ssh -N opens none), and a
// second console on one connection takes a second slot. A sweep a few
// times a second closes what must not stay: a connection that has not
// authenticated within loginGraceTime, one that got no slot and opened no
// console within overLimitGrace, one without a console for IdleTimeout,
// one whose key was removed from authorized_keys; and it asks a console
// idle for IdleTimeout (or whose key was removed) to end, closing its
// connection if the console has not ended hardCloseGrace later. None of
// this depends on the console being responsive, so a session that never
// draws, never reads, or floods requests is reaped all the same.
const (
	// overLimitGrace is how long a connection that found the server full
	// may stay to open a session and be told so.
	overLimitGrace = 5 * time.Second
	// hardCloseGrace is how long a console asked to end may take before
	// its connection is closed under it.
	hardCloseGrace = 5 * time.Second
	// keysLookEvery is how often open connections are checked against
	// authorized_keys. A key must be missing on two looks in a row: an
	// editor that rewrites the file in place may show it empty for an
	// instant, and that must not throw every reviewer out.
	keysLookEvery = time.Second
)

// peer is one TCP connection, from accept to close.
type peer struct {
	ctx    ssh.Context
	conn   net.Conn
	remote string
	opened time.Time
	// lastActive is when the connection last did something worth staying
	// for (unix nanoseconds): authenticated, opened or ended a console,
	// or a reviewer typed into one of its consoles.
	lastActive atomic.Int64
	channels   atomic.Int32 // session channels open (see maxChannels)

	// Guarded by Server.mu.
	authed    bool
	key       gossh.PublicKey
	user      string
	held      int                       // slots held: 0, or max(1, consoles)
	overSince time.Time                 // authenticated while the server was full
	consoles  map[*liveSession]struct{} // admitted consoles on this connection
	missing   int                       // looks in a row that found its key gone
	demoted   int                       // looks in a row that found its key read-only
	// forwardLogged: the kinds of refused port forward logged for it.
	forwardLogged map[string]bool
	closed        bool
	// probeSent is when the last keepalive went out; probing is set
	// until its answer comes (keepalive).
	probeSent time.Time
	probing   bool
}

type peerKey struct{}

func (p *peer) touch(t time.Time) { p.lastActive.Store(t.UnixNano()) }

func (p *peer) idleSince() time.Time { return time.Unix(0, p.lastActive.Load()) }

// accept registers a new connection; it is forgotten when it closes.
func (s *Server) accept(ctx ssh.Context, conn net.Conn) net.Conn {
	p := &peer{ctx: ctx, conn: conn, remote: conn.RemoteAddr().String(), opened: time.Now(),
		consoles: map[*liveSession]struct{}{}}
	p.touch(p.opened)
	ctx.SetValue(peerKey{}, p)
	s.mu.Lock()
	s.peers[p] = struct{}{}
	s.mu.Unlock()
	go func() {
		<-ctx.Done() // cancelled when the connection closes
		s.forget(p)
	}()
	return conn
}

func (s *Server) forget(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used -= p.held
	p.held, p.closed = 0, true
	delete(s.peers, p)
}

func peerOf(ctx ssh.Context) *peer {
	p, _ := ctx.Value(peerKey{}).(*peer)
	return p
}

// claimLocked gives an authenticated connection its slot if one is free.
func (s *Server) claimLocked(p *peer, now time.Time) {
	if p.held > 0 || p.closed {
		return
	}
	if s.used < s.cfg.MaxSessions {
		p.held = 1
		s.used++
		p.overSince = time.Time{}
		return
	}
	if p.overSince.IsZero() {
		p.overSince = now
	}
}

// authenticatedLocked notes a connection the SSH layer has authenticated
// (it sets the connection in the context only then: a client that merely
// offers an authorized public key, without its signature, is not).
func (s *Server) authenticatedLocked(p *peer, now time.Time) bool {
	if p.authed {
		return true
	}
	if p.ctx.Value(ssh.ContextKeyConn) == nil {
		return false
	}
	key, _ := p.ctx.Value(ssh.ContextKeyPublicKey).(gossh.PublicKey)
	p.authed, p.key, p.user = true, key, s.sshUser(p.ctx.User())
	p.touch(now)
	// Every connection in, console or not: one without (ssh -N) holds a
	// slot, and was logged only when closed as idle half an hour later.
	fp := ""
	if key != nil {
		fp = gossh.FingerprintSHA256(key)
	}
	s.log.Info("connection authenticated", "user", p.user, "fingerprint", fp, "remote", p.remote)
	s.claimLocked(p, now)
	return true
}

// openConsole takes a slot for a console on p: the connection's own for
// its first console, another for each one after. It fails when the
// server is full.
func (s *Server) openConsoleLocked(p *peer, ls *liveSession, now time.Time) bool {
	s.authenticatedLocked(p, now)
	s.claimLocked(p, now)
	if p.held == 0 {
		return false
	}
	if len(p.consoles)+1 > p.held {
		if s.used >= s.cfg.MaxSessions {
			return false
		}
		p.held++
		s.used++
	}
	p.consoles[ls] = struct{}{}
	p.touch(now)
	return true
}

func (s *Server) closeConsoleLocked(p *peer, ls *liveSession, now time.Time) {
	delete(p.consoles, ls)
	if want := max(1, len(p.consoles)); p.held > want {
		s.used -= p.held - want
		p.held = want
	}
	p.touch(now)
}

// sweepEvery is how often the sweep runs: often enough to honour the idle
// timeout within a twentieth of it, never more than every 50ms.
func (s *Server) sweepEvery() time.Duration {
	return min(max(s.cfg.IdleTimeout/20, 50*time.Millisecond), 500*time.Millisecond)
}

// sweep runs until done.
func (s *Server) sweep(done <-chan struct{}) {
	t := time.NewTicker(s.sweepEvery())
	defer t.Stop()
	var lastLook time.Time
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			look := now.Sub(lastLook) >= keysLookEvery
			if look {
				lastLook = now
			}
			s.sweepOnce(now, look)
		}
	}
}

// A connection the sweep closes, and why (for the log).
type closing struct {
	p      *peer
	reason string
}

func (s *Server) sweepOnce(now time.Time, lookAtKeys bool) {
	var keysOK map[*peer]keyLook
	var keysUnusable bool
	if lookAtKeys {
		keysOK, keysUnusable = s.lookAtKeys()
	}
	var toClose []closing
	var toEnd []*liveSession
	s.mu.Lock()
	for p := range s.peers {
		reason, end := s.sweepPeerLocked(p, now, keysOK, keysUnusable)
		if reason != "" {
			toClose = append(toClose, closing{p, reason})
		}
		toEnd = append(toEnd, end...)
	}
	s.mu.Unlock()
	for _, ls := range toEnd {
		ls.tellEnd()
	}
	for _, c := range toClose {
		attrs := []any{"remote", c.p.remote}
		if c.p.authed {
			attrs = append(attrs, "user", c.p.user)
		}
		s.log.Info("connection closed: "+c.reason, attrs...)
		c.p.conn.Close()
	}
}

// keepaliveLocked asks p's client every Keepalive whether it is there
// (keepalive@openssh.com, which OpenSSH and Go's clients answer, if only
// to refuse it) and reports whether the last question has gone
// unanswered for keepaliveMisses intervals: a client that stopped without
// closing its connection (a laptop asleep, a network gone) would hold its
// slot and its reviewer's claim until IdleTimeout, which the console's own
// output, queued in the connection, does not hasten.
func (s *Server) keepaliveLocked(p *peer, now time.Time) (silent bool) {
	if s.cfg.Keepalive <= 0 || p.ctx == nil {
		return false // a Config not through withDefaults, a bare peer: tests
	}
	if p.probing {
		return now.Sub(p.probeSent) >= keepaliveMisses*s.cfg.Keepalive
	}
	if now.Sub(p.probeSent) < s.cfg.Keepalive {
		return false
	}
	conn, ok := p.ctx.Value(ssh.ContextKeyConn).(gossh.Conn)
	if !ok {
		return false
	}
	p.probing, p.probeSent = true, now
	go func() {
		// Any answer, a refusal too, is the client; an error is the
		// connection gone, which closing handles.
		_, _, err := conn.SendRequest("keepalive@openssh.com", true, nil)
		if err == nil {
			s.mu.Lock()
			p.probing = false
			s.mu.Unlock()
		}
	}()
	return false
}

// sweepPeerLocked says why p must be closed now ("" if it need not be)
// and which of its consoles must be told to end.
func (s *Server) sweepPeerLocked(p *peer, now time.Time, keysOK map[*peer]keyLook, keysUnusable bool) (closeReason string, end []*liveSession) {
	if !s.authenticatedLocked(p, now) {
		if now.Sub(p.opened) >= loginGraceTime {
			return "not authenticated in time", nil
		}
		return "", nil
	}
	switch look, looked := keysOK[p]; {
	case looked && look.found:
		p.missing = 0
		if look.readOnly {
			p.demoted++
		} else {
			p.demoted = 0
		}
	case looked:
		p.missing++
		p.demoted = 0
	}
	s.claimLocked(p, now)
	if s.keepaliveLocked(p, now) {
		return fmt.Sprintf("no answer to keepalives for %s", now.Sub(p.probeSent).Round(time.Second)), nil
	}
	if len(p.consoles) == 0 {
		switch {
		case p.missing >= 2 && keysUnusable:
			return "authorized_keys unusable", nil
		case p.missing >= 2:
			return "key no longer authorized", nil
		case p.held == 0 && now.Sub(p.overSince) >= overLimitGrace:
			return "server full", nil
		case now.Sub(p.idleSince()) >= s.cfg.IdleTimeout:
			return "idle", nil
		}
		return "", nil
	}
	for ls := range p.consoles {
		reason := ""
		switch {
		case p.missing >= 2 && keysUnusable:
			reason = endKeysUnusable
		case p.missing >= 2:
			reason = endRevoked
		case p.demoted >= 2 && !ls.id.ReadOnly:
			// Its writes are refused already (stillAuthorized); ended,
			// the console stops offering decision keys that can only
			// fail, and the next login gets the read-only console.
			reason = endMadeReadOnly
		case now.Sub(ls.idleSince()) >= s.cfg.IdleTimeout:
			reason = endIdle
		}
		if reason != "" && ls.endLocked(reason, now) {
			end = append(end, ls)
		}
		grace := hardCloseGrace
		if ls.reason() == endShutdown {
			// Shutdown waits up to ShutdownGrace for the decisions
			// being saved, and Run closes what is left then: closed at
			// hardCloseGrace, a console saving past it lost its
			// connection (and its goodbye) whatever --shutdown-grace
			// said (helper-63).
			grace = max(grace, s.cfg.ShutdownGrace)
		}
		if asked := ls.endAsked(); !asked.IsZero() && now.Sub(asked) >= grace {
			closeReason = "console did not end in time"
		}
	}
	return closeReason, end
}

// keyLook is what one look at authorized_keys found of a connection's
// key.
type keyLook struct {
	found    bool
	readOnly bool // marked ReadOnlyTag
}

// lookAtKeys checks every authenticated connection's key against
// authorized_keys as it is now. The file is read outside the server's
// lock (Lookup re-reads it when it changed).
func (s *Server) lookAtKeys() (ok map[*peer]keyLook, unusable bool) {
	s.mu.Lock()
	var keys []*peer
	for p := range s.peers {
		if p.authed && p.key != nil {
			keys = append(keys, p)
		}
	}
	s.mu.Unlock()
	ok = make(map[*peer]keyLook, len(keys))
	for _, p := range keys {
		grant, found, err := s.keys.Lookup(p.key)
		ok[p] = keyLook{found: found && err == nil, readOnly: grant.ReadOnly}
		// The file itself cannot be trusted (its mode, its folder's, or
		// it is gone): every key is refused, but no key was removed.
		unusable = unusable || err != nil
	}
	return ok, unusable
}

// closeIdleConnections closes the connections without a console: at
// shutdown they have nothing to finish.
func (s *Server) closeIdleConnections() {
	s.mu.Lock()
	var idle []*peer
	for p := range s.peers {
		if len(p.consoles) == 0 {
			idle = append(idle, p)
		}
	}
	s.mu.Unlock()
	for _, p := range idle {
		p.conn.Close()
	}
}
