package store

import "context"

// Change says what the writes a notice stands for changed, as a set of
// bits: a notice may stand for several writes of several kinds.
type Change uint8

const (
	// DataChanged: a decision, a check added or fetched, the policy or
	// the SLA: what queues, counts, pages and a check's detail show may
	// have changed. (Access records and poll leases, which no console
	// shows, are not announced.)
	DataChanged Change = 1 << iota
	// ClaimsChanged: a claim was made, moved or released. Only who has
	// which check open ("being reviewed by") changed: a front end reads
	// the claims again (Claims), not its pages.
	ClaimsChanged
	// Unreachable: the connection that hears the notices dropped (the
	// server gone or restarting, the network): until Reachable nothing is
	// heard, what a front end shows may be out of date, and writes are
	// refused. Reachable: it is back, told with DataChanged and
	// ClaimsChanged (what was written meanwhile went unannounced). Told
	// together, when the reader was slow, the store is reachable.
	Unreachable
	Reachable
)

// Has reports whether c includes every bit of k.
func (c Change) Has(k Change) bool { return c&k == k }

// Writers says whose writes Changes announces.
type Writers int

const (
	// AllWriters announces every Store's writes, this one's too: for a
	// front end that counts on the notice to show its own writes.
	AllWriters Writers = iota
	// OtherWriters leaves out this Store's own writes: for a front end
	// that tells its screens of what it writes itself (serve), so that a
	// write does not reach them twice.
	OtherWriters
)

// Changes delivers a notice after writes committed to the database by any
// Store (but this one's with OtherWriters), in this process or another,
// on this host or another: decisions, fetches, adds, claims, policy.
// Each notice says what kind of writes it stands for
// (Change), so that a front end re-reads its pages for DataChanged and
// only the claims for ClaimsChanged. A notice stands for one or more
// writes; the channel holds one, the kinds of a burst merged into it, so a
// slow reader gets one notice for a burst and no writer ever waits. The
// channel is closed when ctx is done.
//
// On PostgreSQL each call holds a connection of its own, outside the
// pool, that LISTENs (changes_postgres.go): a notice arrives within
// milliseconds of the commit. When that connection drops it is made
// again, and a notice of every kind is sent once it is back, since writes
// may have been missed meanwhile.
//
// On SQLite no notice is ever sent: processes sharing a file have no
// channel between them, and a front end looks at the store itself (the
// console's Config.Watch reads the queue counts every second; serve reads
// the claims every second). NotifiesChanges says which a Store does.
func (s *Store) Changes(ctx context.Context, from Writers) (<-chan Change, error) {
	if s.pg() {
		return s.listenForChanges(ctx, from)
	}
	ch := make(chan Change)
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch, nil
}

// NotifiesChanges reports whether Changes delivers notices (PostgreSQL),
// so a front end need not look at the store itself to see other
// processes' writes.
func (s *Store) NotifiesChanges() bool { return s.pg() }

// tell leaves c on ch, merged with the notice waiting there if there is
// one, so the reader hears of every kind told and the teller never waits.
// ch must have room for one and this its only sender.
func tell(ch chan Change, c Change) {
	for {
		select {
		case ch <- c:
			return
		default:
		}
		select {
		case waiting := <-ch:
			// The newer of Unreachable and Reachable wins: merged, the
			// order of a drop, a return and a drop again was lost, and a
			// reader checking Reachable first took the store for up.
			if c.Has(Reachable) {
				waiting &^= Unreachable
			}
			if c.Has(Unreachable) {
				waiting &^= Reachable
			}
			c |= waiting
		default: // taken by the reader meanwhile: room again
		}
	}
}
