package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

// How a Presence shared through the store keeps it current.
const (
	// heartbeatEvery keeps this server's claims alive in the store, well
	// within store.ClaimExpiry: a server that stops (SIGKILL, a lost
	// host) stops heartbeating, and its claims lapse within the expiry.
	heartbeatEvery = 10 * time.Second
	// lookEvery is how often the store's claims are read again: other
	// servers' claims (on SQLite, where no notice comes) and lapsed ones
	// show within it. A read of a table of one row per open check.
	lookEvery = 500 * time.Millisecond
	// claimWriteTimeout bounds one write of claims, so a store that
	// hangs cannot hold up the ones after it for long.
	claimWriteTimeout = 10 * time.Second
	// claimWriteDelay gathers the claims of a moment into one write: a
	// reviewer who opens a check and decides at once (claim, release)
	// costs no write at all, and twenty sessions' moves cost one. This
	// server's sessions are told at once regardless; other servers' see
	// it with their next look.
	claimWriteDelay = 200 * time.Millisecond
)

// claimStore is what a Presence shared with other servers needs of the
// store; *store.Store is one.
type claimStore interface {
	UpdateClaims(ctx context.Context, changes ...store.ClaimChange) error
	Heartbeat(ctx context.Context, sessions ...string) (lost []string, err error)
	Claims(ctx context.Context) ([]store.Claim, error)
}

// Presence is the registry of which reviewer has which check open. A
// session holds at most one claim: the check it has open. Opening another
// check moves the claim, going back to the list releases it, and leaving
// (quit, idle timeout, dropped connection, shutdown) releases it too, so
// a claim never outlives the reviewer looking at the check. Safe for
// concurrent use.
//
// Made with NewSharedPresence, the claims are kept in the store as well,
// so every server on the database (on other hosts, over PostgreSQL, or on
// one SQLite file) sees them: Run writes this server's sessions' claims
// there, heartbeats them, and reads everyone's. A session's own changes
// show in the other sessions of its server at once; other servers' within
// a second. Console code (Claim, ClaimedBy) never waits for the database.
type Presence struct {
	mu     sync.Mutex
	nextID int
	// live sessions in joining order, so that when two reviewers open the
	// same check on this server everyone sees the first one named first.
	sessions []*presenceSession

	// Only when shared through the store:
	st  claimStore
	log *slog.Logger
	// instance prefixes this server's session ids in the store.
	instance string
	// stored is the store's live claims, every server's, as last read.
	stored []store.Claim
	// released are the ids of sessions that left holding a claim in the
	// store, until the release is written.
	released []string
	// dirty wakes Run to write what changed.
	dirty chan struct{}
	// failing is set while writes fail, so the log says so once.
	failing bool
}

// NewPresence returns an empty registry of one server's sessions.
func NewPresence() *Presence {
	return &Presence{}
}

// NewSharedPresence returns an empty registry shared with every server on
// st, through it; Run keeps it current. log receives what could not be
// written.
func NewSharedPresence(st claimStore, log *slog.Logger) *Presence {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Presence{st: st, log: log, instance: hex.EncodeToString(b), dirty: make(chan struct{}, 1)}
}

// Join adds a session for reviewer, the name others see. The session is
// told of every change made by the others through Changes.
func (p *Presence) Join(name string) *PresenceSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	s := &presenceSession{id: p.nextID, key: p.instance + "/" + strconv.Itoa(p.nextID), name: name, changes: make(chan struct{}, 1)}
	p.sessions = append(p.sessions, s)
	return &PresenceSession{p: p, s: s}
}

// Claims returns every current claim as check id -> names of the
// reviewers who have it open (for logs and tests).
func (p *Presence) Claims() map[string][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string][]string)
	for _, c := range p.claimsLocked(nil) {
		out[c.checkID] = append(out[c.checkID], c.name)
	}
	return out
}

type presenceSession struct {
	id      int
	key     string // the session's id in the store
	name    string
	checkID string // "" when no check is open
	// written is the check whose claim is in the store ("" none), when
	// shared.
	written string
	left    bool
	changes chan struct{}
}

// aClaim is one claim as the console is told of it.
type aClaim struct {
	checkID, name string
	session       *presenceSession // nil for another server's
}

// claimsLocked lists the claims in the order they were made, but those of
// except: the store's for other servers', this server's own sessions'
// from memory (newer than the store may know).
func (p *Presence) claimsLocked(except *presenceSession) []aClaim {
	var out []aClaim
	listed := make(map[*presenceSession]bool)
	for _, c := range p.stored {
		if !p.ours(c.Session) {
			out = append(out, aClaim{checkID: c.CheckID, name: c.Reviewer})
			continue
		}
		// Ours: in the store's order while the session still has that
		// check open; a move not yet written is added below.
		if s := p.sessionByKey(c.Session); s != nil && s.checkID == c.CheckID && !listed[s] {
			out = append(out, aClaim{checkID: c.CheckID, name: s.name, session: s})
			listed[s] = true
		}
	}
	for _, s := range p.sessions {
		if s.checkID != "" && !listed[s] {
			out = append(out, aClaim{checkID: s.checkID, name: s.name, session: s})
		}
	}
	if except != nil {
		out = slices.DeleteFunc(out, func(c aClaim) bool { return c.session == except })
	}
	// Stable: by check, each check's in the order made.
	slices.SortStableFunc(out, func(a, b aClaim) int { return strings.Compare(a.checkID, b.checkID) })
	return out
}

func (p *Presence) ours(key string) bool {
	return p.st != nil && strings.HasPrefix(key, p.instance+"/")
}

func (p *Presence) sessionByKey(key string) *presenceSession {
	for _, s := range p.sessions {
		if s.key == key {
			return s
		}
	}
	return nil
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
	p.wakeLocked()
}

// wakeLocked asks Run to write this server's claims.
func (p *Presence) wakeLocked() {
	if p.dirty == nil {
		return
	}
	select {
	case p.dirty <- struct{}{}:
	default:
	}
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

// ClaimedBy names the other reviewers who have checkID open, on any
// server sharing the registry, joined with ", " in the order they opened
// it; ok is false when nobody else has.
func (ps *PresenceSession) ClaimedBy(checkID string) (string, bool) {
	if checkID == "" {
		return "", false
	}
	ps.p.mu.Lock()
	defer ps.p.mu.Unlock()
	var names []string
	for _, c := range ps.p.claimsLocked(ps.s) {
		// A reviewer with two consoles on the check is named once.
		if c.checkID == checkID && !slices.Contains(names, c.name) {
			names = append(names, c.name)
		}
	}
	return strings.Join(names, ", "), len(names) > 0
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
	if ps.s.written != "" {
		p.released = append(p.released, ps.s.key)
		p.wakeLocked()
	}
	if ps.s.checkID != "" {
		ps.s.checkID = ""
		p.notifyOthersLocked(ps.s.id)
	}
}

// Run keeps a shared registry current until stop is closed: it writes
// this server's claims to the store as they change, heartbeats them,
// and reads every server's claims every lookEvery and at each notice on
// changes that claims changed (changes is nil when the store sends
// none). A notice that anything else changed (the data, or whether the
// store answers) calls changed with it, and only that: a claim is no
// reason for a console to read its page again, nor a decision for the
// claims to be read. Once stop is closed it writes the
// releases still due and returns. A registry of one server's memory
// returns at once.
func (p *Presence) Run(stop <-chan struct{}, changes <-chan store.Change, changed func(store.Change)) {
	if p.st == nil {
		return
	}
	heartbeat := time.NewTicker(heartbeatEvery)
	defer heartbeat.Stop()
	look := time.NewTicker(lookEvery)
	defer look.Stop()
	p.look()
	var writeSoon <-chan time.Time
	for {
		select {
		case <-p.dirty:
			if writeSoon == nil {
				writeSoon = time.After(claimWriteDelay)
			}
		case <-writeSoon:
			writeSoon = nil
			p.write()
			p.look()
		case <-heartbeat.C:
			p.heartbeat()
		case <-look.C:
			p.look()
		case c, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			if c.Has(store.DataChanged) || c.Has(store.Unreachable) || c.Has(store.Reachable) {
				changed(c)
			}
			if c.Has(store.ClaimsChanged) {
				p.look()
			}
		case <-stop:
			p.write()
			return
		}
	}
}

// write brings the store's claims of this server's sessions to what they
// have open, in one write.
func (p *Presence) write() {
	p.mu.Lock()
	var changes []store.ClaimChange
	var sessions []*presenceSession // of changes[len(released):]
	released := p.released
	for _, key := range released {
		changes = append(changes, store.ClaimChange{Session: key})
	}
	p.released = nil
	for _, s := range p.sessions {
		if s.checkID != s.written {
			changes = append(changes, store.ClaimChange{Session: s.key, CheckID: s.checkID, Reviewer: s.name})
			sessions = append(sessions, s)
		}
	}
	p.mu.Unlock()
	if len(changes) == 0 {
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), claimWriteTimeout)
	err := p.st.UpdateClaims(ctx, changes...)
	cancel()
	p.report(err)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		// Tried again with the next change, or at the end.
		p.released = append(p.released, released...)
		return
	}
	for i, s := range sessions {
		s.written = changes[len(released)+i].CheckID
		if s.left && s.written != "" { // left while its claim was being written
			p.released = append(p.released, s.key)
			p.wakeLocked()
		}
	}
}

// heartbeat keeps this server's claims alive; a claim the store lost
// (it lapsed while this process was stopped) is written again.
func (p *Presence) heartbeat() {
	p.mu.Lock()
	var keys []string
	for _, s := range p.sessions {
		if s.written != "" {
			keys = append(keys, s.key)
		}
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), claimWriteTimeout)
	defer cancel()
	lost, err := p.st.Heartbeat(ctx, keys...)
	p.report(err)
	if len(lost) == 0 {
		return
	}
	p.mu.Lock()
	for _, key := range lost {
		if s := p.sessionByKey(key); s != nil {
			s.written = ""
		}
	}
	p.wakeLocked()
	p.mu.Unlock()
}

// look reads every server's claims, and tells this server's sessions when
// another server's changed.
func (p *Presence) look() {
	ctx, cancel := context.WithTimeout(context.Background(), claimWriteTimeout)
	defer cancel()
	claims, err := p.st.Claims(ctx)
	if err != nil {
		p.report(err)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.EqualFunc(p.others(p.stored), p.others(claims), func(a, b store.Claim) bool { return a == b }) {
		p.notifyOthersLocked(0)
	}
	p.stored = claims
	if p.unwrittenLocked() {
		p.wakeLocked() // a write that failed, tried again now the store answers
	}
}

// unwrittenLocked reports claims or releases not in the store yet.
func (p *Presence) unwrittenLocked() bool {
	if len(p.released) > 0 {
		return true
	}
	return slices.ContainsFunc(p.sessions, func(s *presenceSession) bool { return s.checkID != s.written })
}

// others are the claims of other servers' sessions.
func (p *Presence) others(claims []store.Claim) []store.Claim {
	return slices.DeleteFunc(slices.Clone(claims), func(c store.Claim) bool { return p.ours(c.Session) })
}

// report logs the first of a run of failed writes or reads, and when they
// work again: a store that is away must not flood the log once a second.
func (p *Presence) report(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil && !p.failing:
		p.failing = true
		p.log.Warn("cannot share who has which check open through the store; other servers may not see this one's reviewers",
			"error", sanitize.Line(err.Error()))
	case err == nil && p.failing:
		p.failing = false
		p.log.Info("sharing who has which check open through the store again")
	}
}
