package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// expectChange waits up to within for a notice on ch, and returns what it
// says changed.
func expectChange(t *testing.T, what string, ch <-chan Change, within time.Duration) Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the changes channel closed, want a notice", what)
		}
		return c
	case <-time.After(within):
		t.Fatalf("%s: no notice within %v", what, within)
	}
	return 0
}

func expectNoChange(t *testing.T, what string, ch <-chan Change, during time.Duration) {
	t.Helper()
	select {
	case c := <-ch:
		t.Fatalf("%s: a notice (%b), want none", what, c)
	case <-time.After(during):
	}
}

func listen(t *testing.T, s *Store, from Writers) <-chan Change {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := s.Changes(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestPostgresEveryCommittedWriteOnOneStoreReachesAnothersChangesWithinASecond(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	a, b := openPG(t, url), openPG(t, url)
	changes := listen(t, b, OtherWriters)
	expectNoChange(t, "before any write", changes, 100*time.Millisecond)

	for _, w := range []struct {
		what  string
		write func() error
		want  Change
	}{
		{"an add", func() error { _, err := a.Add(ctx, checkID(1), "ana", SourceTyped); return err }, DataChanged},
		{"a decision", func() error { _, err := a.Decide(ctx, checkID(1), Escalate, "unsure", "ana"); return err }, DataChanged},
		{"a claim", func() error { return a.Claim(ctx, "s1", checkID(1), "ana") }, ClaimsChanged},
		{"a release", func() error { return a.ReleaseClaim(ctx, "s1") }, ClaimsChanged},
	} {
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.what, err)
		}
		if got := expectChange(t, w.what+" on another Store", changes, time.Second); got != w.want {
			t.Errorf("%s: notice says %b, want %b", w.what, got, w.want)
		}
	}
	mustClaim(t, a, "s1", checkID(1), "ana")
	expectChange(t, "a claim", changes, time.Second)
	if _, err := a.Heartbeat(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	expectNoChange(t, "a heartbeat, which changes nothing shown", changes, 300*time.Millisecond)
}

func TestPostgresAccessRecordsAndPollLeasesSendNoNotice(t *testing.T) {
	// Neither changes anything a console shows: a notice would have every
	// console on every server read its page again, for nothing.
	url := pgtest.URL(t)
	ctx := context.Background()
	a, b := openPG(t, url), openPG(t, url)
	c := &clock{t: testNow}
	changes := listen(t, b, OtherWriters)
	addWaiting(t, a, c, checkID(1), caisson.ErrPendingReview)
	expectChange(t, "the add and the fetch", changes, time.Second)
	for quiet := false; !quiet; { // the fetch's notice may come on its own
		select {
		case <-changes:
		case <-time.After(300 * time.Millisecond):
			quiet = true
		}
	}

	sess := AccessSession{Reviewer: "ana", Origin: OriginServe, Address: "10.0.0.7"}
	for _, err := range []error{
		a.RecordAccess(ctx, sess, AccessDetail, checkID(1)),
		a.TakePollLease(ctx, checkID(1), "proc-a", testSchedule, c.Now().Add(time.Hour), time.Minute),
		a.ReleasePollLease(ctx, checkID(1), "proc-a"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	expectNoChange(t, "an access record and a poll lease taken and released", changes, 500*time.Millisecond)
}

func TestPostgresChangesOfOtherWritersLeavesOutTheStoresOwnWrites(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	a, b := openPG(t, url), openPG(t, url)
	others, all := listen(t, a, OtherWriters), listen(t, a, AllWriters)

	mustClaim(t, a, "s1", checkID(1), "ana")
	if _, err := a.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	if got := expectChange(t, "its own claim and add, to AllWriters", all, time.Second); got != DataChanged|ClaimsChanged {
		// Both may come as one notice or two, merged while unread.
		if got |= expectChange(t, "its own add, to AllWriters", all, time.Second); got != DataChanged|ClaimsChanged {
			t.Errorf("AllWriters was told %b of its own claim and add, want %b", got, DataChanged|ClaimsChanged)
		}
	}
	expectNoChange(t, "its own claim and add, to OtherWriters", others, 300*time.Millisecond)

	if _, err := b.Decide(ctx, checkID(1), Escalate, "unsure", "bo"); err != nil {
		t.Fatal(err)
	}
	if got := expectChange(t, "another Store's decision, to OtherWriters", others, time.Second); got != DataChanged {
		t.Errorf("OtherWriters was told %b of another Store's decision, want %b", got, DataChanged)
	}
}

func TestPostgresANoticeWithoutAKindSaysAnythingMayHaveChanged(t *testing.T) {
	// An earlier build, still running on the database while the hosts
	// are upgraded one by one, notifies with an empty payload.
	url := pgtest.URL(t)
	changes := listen(t, openPG(t, url), OtherWriters)
	if _, err := rawDB(t, url).Exec("SELECT pg_notify('" + changesChannel + "', '')"); err != nil {
		t.Fatal(err)
	}
	if got := expectChange(t, "an earlier build's notice", changes, time.Second); got != DataChanged|ClaimsChanged {
		t.Errorf("an earlier build's notice says %b, want %b", got, DataChanged|ClaimsChanged)
	}
}

func TestTellMergesTheKindsOfANoticeNotYetRead(t *testing.T) {
	ch := make(chan Change, 1)
	tell(ch, ClaimsChanged)
	tell(ch, DataChanged)
	tell(ch, ClaimsChanged)
	if got := <-ch; got != DataChanged|ClaimsChanged {
		t.Errorf("the notice waiting says %b, want %b", got, DataChanged|ClaimsChanged)
	}
	select {
	case c := <-ch:
		t.Errorf("a second notice %b, want the burst in one", c)
	default:
	}
}

func TestPostgresARolledBackWriteSendsNoNotice(t *testing.T) {
	url := pgtest.URL(t)
	a, b := openPG(t, url), openPG(t, url)
	changes := listen(t, b, AllWriters)
	refused := errors.New("refused half-way")
	err := a.write(context.Background(), "a write that fails", func(tx *sqlTx) error {
		if _, err := tx.Exec("INSERT INTO exchanges (token, recorded_at, added_by) VALUES ('t', 1, 'ana')"); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("write = %v, want it refused", err)
	}
	expectNoChange(t, "a write rolled back", changes, 500*time.Millisecond)
}

func TestPostgresChangesListenAgainWhenTheConnectionDrops(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	a, b := openPG(t, url), openPG(t, url)
	changes := listen(t, b, OtherWriters)
	var killed int
	err := rawDB(t, url).QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN ` + changesChannel + `'`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", killed, err)
	}
	// Unreachable as it dropped, then (or with it, if the reader was
	// slower than the reconnection) everything and Reachable.
	got := expectChange(t, "the listening connection dropped", changes, 5*time.Second)
	if !got.Has(Unreachable) {
		t.Errorf("the first notice after the drop says %b, want Unreachable among it", got)
	}
	if !got.Has(Reachable) {
		got = expectChange(t, "the listening connection made again (writes may have been missed)", changes, 5*time.Second)
	}
	if want := DataChanged | ClaimsChanged | Reachable; !got.Has(want) {
		t.Errorf("the notice after listening again says %b, want %b among it: anything may have been missed", got, want)
	}
	if _, err := a.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	expectChange(t, "an add after the connection was made again", changes, time.Second)
}

func TestPostgresChangesEndsWithItsContext(t *testing.T) {
	s := openPG(t, pgtest.URL(t))
	ctx, cancel := context.WithCancel(context.Background())
	changes, err := s.Changes(ctx, OtherWriters)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-changes:
		if ok {
			t.Fatal("a notice after the context ended, want the channel closed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the channel is still open 5 s after its context ended")
	}
}

// A server away for a while is said at once (Unreachable), then nothing
// until it is back (Reachable, with everything): a console shows the
// first, and stops showing it at the second.
func TestPostgresChangesSayTheServerIsUnreachableUntilItIsBack(t *testing.T) {
	door, viaDoor := pgtest.NewDoor(t, pgtest.URL(t))
	s := openPG(t, viaDoor)
	changes := listen(t, s, AllWriters)
	door.GoAway()
	if got := expectChange(t, "the server gone", changes, 2*time.Second); got != Unreachable {
		t.Errorf("the notice as the server went says %b, want %b", got, Unreachable)
	}
	expectNoChange(t, "while the server is away", changes, time.Second)
	door.ComeBack()
	if got := expectChange(t, "the server back", changes, 10*time.Second); got != DataChanged|ClaimsChanged|Reachable {
		t.Errorf("the notice as the server came back says %b, want %b", got, DataChanged|ClaimsChanged|Reachable)
	}
}

// Notices merged while the reader was away keep the newest of Unreachable
// and Reachable: a drop, a return and a drop again is a drop (merged,
// both bits were set, and a reader checking Reachable first took the
// store for up while it was down).
func TestMergedNoticesKeepTheNewestOfUnreachableAndReachable(t *testing.T) {
	for _, tc := range []struct {
		told []Change
		want Change
	}{
		{[]Change{Unreachable, DataChanged | ClaimsChanged | Reachable, Unreachable}, DataChanged | ClaimsChanged | Unreachable},
		{[]Change{Unreachable, DataChanged | ClaimsChanged | Reachable}, DataChanged | ClaimsChanged | Reachable},
		{[]Change{DataChanged, ClaimsChanged}, DataChanged | ClaimsChanged},
	} {
		ch := make(chan Change, 1)
		for _, c := range tc.told {
			tell(ch, c)
		}
		if got := <-ch; got != tc.want {
			t.Errorf("told %b in turn, the reader got %b, want %b", tc.told, got, tc.want)
		}
	}
}
