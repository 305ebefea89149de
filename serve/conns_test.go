package serve

import (
	"testing"
	"time"
)

// A console is ended for a removed key only when the key is missing on
// two looks in a row: an editor rewriting authorized_keys in place may
// show it empty for an instant.
func TestAKeyMustBeMissingOnTwoLooksInARow(t *testing.T) {
	s := &Server{cfg: Config{IdleTimeout: time.Hour, MaxSessions: 4}}
	now := time.Now()
	ls := &liveSession{}
	ls.typed(now)
	p := &peer{authed: true, consoles: map[*liveSession]struct{}{ls: {}}}
	p.touch(now)
	for i, look := range []struct {
		found   bool
		revoked bool
	}{
		{found: false, revoked: false},
		{found: true, revoked: false},
		{found: false, revoked: false},
		{found: false, revoked: true},
	} {
		reason, end := s.sweepPeerLocked(p, now, map[*peer]keyLook{p: {found: look.found}}, false)
		if got := len(end) == 1 && ls.reason() == endRevoked; got != look.revoked || reason != "" {
			t.Fatalf("look %d (key found: %v): console ended for a revoked key = %v, close %q; expected %v and no close", i+1, look.found, got, reason, look.revoked)
		}
	}
}

// A console with decision keys is ended when its key is found read-only
// on two looks in a row, not one (an editor rewriting authorized_keys in
// place may show a half-written line); a read-only console never is.
func TestAKeyMustBeReadOnlyOnTwoLooksInARow(t *testing.T) {
	s := &Server{cfg: Config{IdleTimeout: time.Hour, MaxSessions: 4}}
	now := time.Now()
	full, ro := &liveSession{}, &liveSession{id: identity{ReadOnly: true}}
	full.typed(now)
	ro.typed(now)
	p := &peer{authed: true, consoles: map[*liveSession]struct{}{full: {}, ro: {}}}
	p.touch(now)
	for i, look := range []struct {
		readOnly, ended bool
	}{
		{readOnly: true, ended: false},
		{readOnly: false, ended: false},
		{readOnly: true, ended: false},
		{readOnly: true, ended: true},
	} {
		reason, end := s.sweepPeerLocked(p, now, map[*peer]keyLook{p: {found: true, readOnly: look.readOnly}}, false)
		if got := len(end) == 1 && end[0] == full && full.reason() == endMadeReadOnly; got != look.ended || reason != "" {
			t.Fatalf("look %d (read-only: %v): the full console ended = %v (%d ended), close %q; expected %v and no close", i+1, look.readOnly, got, len(end), reason, look.ended)
		}
		if ro.reason() != "" {
			t.Fatalf("look %d: the read-only console was ended (%s)", i+1, ro.reason())
		}
	}
}

// A console told to end by shutdown keeps its connection for the whole
// shutdown grace, saving what it was saving; one told to end for being
// idle is closed hardCloseGrace later (helper-63: shutdown closed it at
// 5 s whatever --shutdown-grace said).
func TestAConsoleEndingForShutdownKeepsItsConnectionForTheGrace(t *testing.T) {
	s := &Server{cfg: Config{IdleTimeout: time.Hour, MaxSessions: 4, ShutdownGrace: 30 * time.Second}}
	now := time.Now()
	for _, c := range []struct {
		reason string
		after  time.Duration
		closed bool
	}{
		{endShutdown, hardCloseGrace + time.Second, false},
		{endShutdown, 31 * time.Second, true},
		{endIdle, hardCloseGrace + time.Second, true},
	} {
		ls := &liveSession{}
		ls.typed(now)
		ls.endLocked(c.reason, now)
		p := &peer{authed: true, consoles: map[*liveSession]struct{}{ls: {}}}
		p.touch(now)
		reason, _ := s.sweepPeerLocked(p, now.Add(c.after), nil, false)
		if got := reason != ""; got != c.closed {
			t.Errorf("ending for %s, %s later: closed = %v (%q), want %v", c.reason, c.after, got, reason, c.closed)
		}
	}
}
