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
