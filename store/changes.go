package store

import "context"

// Changes delivers a notice after writes committed to the database by any
// Store, in this process or another, on this host or another: decisions,
// fetches, adds, claims, policy, access records (this Store's own writes
// too: a front end that already told its own screens may get one more
// notice). A notice stands for one or more writes; the channel holds one,
// so a slow reader gets one notice for a burst and no writer ever waits.
// The channel is closed when ctx is done.
//
// On PostgreSQL each call holds a connection of its own, outside the
// pool, that LISTENs (changes_postgres.go): a notice arrives within
// milliseconds of the commit. When that connection drops it is made
// again, and a notice is sent once it is back, since writes may have been
// missed meanwhile.
//
// On SQLite no notice is ever sent: processes sharing a file have no
// channel between them, and a front end looks at the store itself (the
// console's Config.Watch reads the queue counts every second; serve reads
// the claims every second). NotifiesChanges says which a Store does.
func (s *Store) Changes(ctx context.Context) (<-chan struct{}, error) {
	if s.pg() {
		return s.listenForChanges(ctx)
	}
	ch := make(chan struct{})
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

// tell leaves a notice on ch unless one is waiting already.
func tell(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
