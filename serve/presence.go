package serve

import (
	"slices"
	"sync"
)

// Presence is the registry of which reviewer has which check open, shared
// by every session of one server. A session holds at most one claim: the
// check it has open. Opening another check moves the claim, going back to
// the list releases it, and leaving (quit, idle timeout, dropped
// connection, shutdown) releases it too, so a claim never outlives the
// reviewer looking at the check. Safe for concurrent use.
type Presence struct {
	mu     sync.Mutex
	nextID int
	// live sessions in joining order, so that when two reviewers open the
	// same check everyone sees the first one named first.
	sessions []*presenceSession
}

// NewPresence returns an empty registry.
func NewPresence() *Presence {
	return &Presence{}
}

// Join adds a session for reviewer, the name others see. The session is
// told of every change made by the others through Changes.
func (p *Presence) Join(name string) *PresenceSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	s := &presenceSession{id: p.nextID, name: name, changes: make(chan struct{}, 1)}
	p.sessions = append(p.sessions, s)
	return &PresenceSession{p: p, s: s}
}

// Claims returns every current claim as check id -> names of the
// reviewers who have it open (for logs and tests).
func (p *Presence) Claims() map[string][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string][]string)
	for _, s := range p.sessions {
		if s.checkID != "" {
			out[s.checkID] = append(out[s.checkID], s.name)
		}
	}
	return out
}

type presenceSession struct {
	id      int
	name    string
	checkID string // "" when no check is open
	left    bool
	changes chan struct{}
}

// notifyOthersLocked tells every other session that claims changed. The
// channel holds one pending notice, so a busy session gets one wake-up for
// any number of changes and no sender ever blocks.
func (p *Presence) notifyOthersLocked(except int) {
	for _, s := range p.sessions {
		if s.id == except {
			continue
		}
		select {
		case s.changes <- struct{}{}:
		default:
		}
	}
}

func (p *Presence) set(s *presenceSession, checkID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.left || s.checkID == checkID {
		return
	}
	s.checkID = checkID
	p.notifyOthersLocked(s.id)
}

// PresenceSession is one session's handle on the registry.
type PresenceSession struct {
	p *Presence
	s *presenceSession
}

// Claim says this session now has checkID open, moving any earlier claim.
func (ps *PresenceSession) Claim(checkID string) { ps.p.set(ps.s, checkID) }

// Release says this session has no check open.
func (ps *PresenceSession) Release() { ps.p.set(ps.s, "") }

// ClaimedBy names the other reviewers who have checkID open, joined with
// ", " in the order they joined; ok is false when nobody else has.
func (ps *PresenceSession) ClaimedBy(checkID string) (string, bool) {
	if checkID == "" {
		return "", false
	}
	ps.p.mu.Lock()
	defer ps.p.mu.Unlock()
	var names string
	for _, s := range ps.p.sessions {
		if s.id == ps.s.id || s.checkID != checkID {
			continue
		}
		if names != "" {
			names += ", "
		}
		names += s.name
	}
	return names, names != ""
}

// Changes delivers a notice whenever another session's claim changes.
func (ps *PresenceSession) Changes() <-chan struct{} { return ps.s.changes }

// Leave releases the claim for good; the session's later calls do nothing.
func (ps *PresenceSession) Leave() {
	p := ps.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if ps.s.left {
		return
	}
	ps.s.left = true
	p.sessions = slices.DeleteFunc(p.sessions, func(s *presenceSession) bool { return s == ps.s })
	if ps.s.checkID != "" {
		ps.s.checkID = ""
		p.notifyOthersLocked(ps.s.id)
	}
}
