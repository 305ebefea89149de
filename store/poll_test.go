package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

var testSchedule = PollSchedule{First: 5 * time.Minute, Max: time.Hour}

// addWaiting adds a check and records Caisson's not-ready answer at now.
func addWaiting(t *testing.T, s *Store, c *clock, id string, answer error) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Add(ctx, id, "tester", SourceTyped); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, id, nil, answer, c.Now()); err != nil {
		t.Fatal(err)
	}
}

func duePolls(t *testing.T, s *Store, now time.Time) ([]string, time.Time) {
	t.Helper()
	due, next, err := s.DuePolls(context.Background(), testSchedule, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range due {
		ids = append(ids, d.CheckID)
	}
	return ids, next
}

// duePollOnTwoHandles is two handles on one file, as two processes, and
// check n waiting at Caisson, its first poll due now.
func duePollOnTwoHandles(t *testing.T, n int) (c *clock, a, b *Store, id string) {
	t.Helper()
	c = &clock{t: testNow}
	path := testLocation(t)
	a, b = openAt(t, path, c), openAt(t, path, c)
	id = checkID(n)
	addWaiting(t, a, c, id, caisson.ErrPendingReview)
	c.Advance(5 * time.Minute)
	return c, a, b, id
}

func TestAWaitingCheckIsPolledAfterFiveMinutesThenBackingOffToHourly(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	id := checkID(1)
	start := c.Now()
	addWaiting(t, s, c, id, caisson.ErrPendingReview)

	// Each poll answers PENDING_REVIEW again, as it is due.
	var gaps []time.Duration
	last := start
	for range 7 {
		due, next := duePolls(t, s, c.Now())
		if len(due) != 0 {
			t.Fatalf("at %v after the last fetch, due = %v: expected nothing before its time", c.Now().Sub(last), due)
		}
		c.Set(next.Add(-time.Second))
		if due, _ := duePolls(t, s, c.Now()); len(due) != 0 {
			t.Fatalf("one second before %v: due = %v", next, due)
		}
		c.Set(next)
		if due, _ := duePolls(t, s, c.Now()); !slices.Equal(due, []string{id}) {
			t.Fatalf("at %v: due = %v, expected the waiting check", next, due)
		}
		gaps = append(gaps, next.Sub(last))
		last = next
		if err := s.RecordFetch(ctx, id, nil, caisson.ErrPendingReview, c.Now()); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{5 * time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute, time.Hour, time.Hour}
	if !slices.Equal(gaps, want) {
		t.Errorf("gaps between polls = %v, expected %v", gaps, want)
	}
}

func TestAnAnswerEndsTheWaitAndANewWaitStartsAtFiveMinutes(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	id := checkID(1)
	addWaiting(t, s, c, id, caisson.ErrNotVerified)
	c.Advance(3 * time.Hour)
	if due, _ := duePolls(t, s, c.Now()); len(due) != 1 {
		t.Fatalf("due after 3 hours = %v: expected the check", due)
	}
	chk := makeCheck(t, result{id: id, doc: "high", face: "high", first: "Ana", last: "Lima"})
	if err := s.RecordFetch(ctx, id, chk, nil, c.Now()); err != nil {
		t.Fatal(err)
	}
	if due, next := duePolls(t, s, c.Now().Add(24*time.Hour)); len(due) != 0 || !next.IsZero() {
		t.Fatalf("after a result: due = %v, next %v: expected no poll", due, next)
	}
	// Caisson's own reviewers take it back: a new wait, from five minutes.
	if err := s.RecordFetch(ctx, id, nil, caisson.ErrPendingReview, c.Now()); err != nil {
		t.Fatal(err)
	}
	if _, next := duePolls(t, s, c.Now()); !next.Equal(c.Now().Add(5 * time.Minute)) {
		t.Errorf("next poll of a new wait = %v, expected five minutes after its answer (%v)", next, c.Now().Add(5*time.Minute))
	}
	// A refused key is no answer about the check: nothing is stored and
	// the wait goes on.
	if err := s.RecordFetch(ctx, id, nil, caisson.ErrKeyRefused, c.Now()); err != nil {
		t.Fatal(err)
	}
	if _, next := duePolls(t, s, c.Now()); next.IsZero() {
		t.Error("a refused key ended the wait: expected nothing stored")
	}
}

func TestAPollLeaseIsHeldAcrossTwoHandlesOnOneFileUntilReleasedOrExpired(t *testing.T) {
	c, a, b, id := duePollOnTwoHandles(t, 7)
	ctx := context.Background()
	ttl := 2 * time.Minute

	if err := a.TakePollLease(ctx, id, "proc-a", testSchedule, c.Now(), ttl); err != nil {
		t.Fatalf("the first lease: %v", err)
	}
	if err := b.TakePollLease(ctx, id, "proc-b", testSchedule, c.Now(), ttl); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("a second process's lease while the first holds it = %v, expected ErrLeaseHeld", err)
	}
	if due, _ := duePolls(t, b, c.Now()); len(due) != 0 {
		t.Errorf("a leased check is listed as due to the other process: %v", due)
	}
	// The holder died: its lease runs out and the other takes it.
	c.Advance(ttl)
	if err := b.TakePollLease(ctx, id, "proc-b", testSchedule, c.Now(), ttl); err != nil {
		t.Fatalf("taking an expired lease: %v", err)
	}
	// The old holder's release frees nothing it no longer holds.
	if err := a.ReleasePollLease(ctx, id, "proc-a"); err != nil {
		t.Fatal(err)
	}
	if err := a.TakePollLease(ctx, id, "proc-a", testSchedule, c.Now(), ttl); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("after a stale release, the lease = %v: expected it still held by proc-b", err)
	}
	// The holder records its answer and releases: the poll is no longer
	// due, so the other process does not fetch it again.
	if err := b.RecordFetch(ctx, id, nil, caisson.ErrPendingReview, c.Now()); err != nil {
		t.Fatal(err)
	}
	if err := b.ReleasePollLease(ctx, id, "proc-b"); err != nil {
		t.Fatal(err)
	}
	if err := a.TakePollLease(ctx, id, "proc-a", testSchedule, c.Now(), ttl); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("a lease on a check just polled = %v: expected ErrLeaseHeld (not due)", err)
	}
}

// A poll Caisson could not answer holds its lease past the fetch: the
// check is due to no process until then, and the next poll is then.
func TestAHeldPollLeaseKeepsTheCheckFromEveryProcessUntilItEnds(t *testing.T) {
	c, a, b, id := duePollOnTwoHandles(t, 8)
	ctx := context.Background()
	if err := a.TakePollLease(ctx, id, "proc-a", testSchedule, c.Now(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	until := c.Now().Add(10 * time.Minute)
	if err := b.HoldPollLease(ctx, id, "proc-b", until); err != nil {
		t.Fatal(err) // not its lease: nothing held, no error
	}
	if err := a.HoldPollLease(ctx, id, "proc-a", until); err != nil {
		t.Fatal(err)
	}
	c.Advance(5 * time.Minute) // past the lease's own 2 minutes
	if due, next := duePolls(t, b, c.Now()); len(due) != 0 || !next.Equal(until) {
		t.Errorf("due %v, next %v: want none due until the held lease ends at %v", due, next, until)
	}
	if err := b.TakePollLease(ctx, id, "proc-b", testSchedule, c.Now(), 2*time.Minute); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("another process's lease while it is held = %v, expected ErrLeaseHeld", err)
	}
	c.Advance(5 * time.Minute)
	if due, _ := duePolls(t, b, c.Now()); !slices.Equal(due, []string{id}) {
		t.Errorf("due %v once the hold ended, want %s", due, id)
	}
}

func TestStaleListsChecksLastFetchedBeforeTheCutOffButNotFinalOnes(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	old, fresh, deleted, never := checkID(1), checkID(2), checkID(3), checkID(4)
	addFetched(t, s, result{id: old, doc: "high", face: "high"})
	if _, err := s.Add(ctx, deleted, "tester", SourceTyped); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, deleted, nil, caisson.ErrIDCheckDeleted, c.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, never, "tester", SourceTyped); err != nil {
		t.Fatal(err)
	}
	c.Advance(8 * 24 * time.Hour)
	addFetched(t, s, result{id: fresh, doc: "high", face: "high"})
	got, err := s.Stale(ctx, c.Now().Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{old}) {
		t.Errorf("Stale = %v, expected only %s (fetched 8 days ago)", got, old)
	}
}

// The database made by 44c00df (schema 7) has a check waiting at Caisson
// undecided (NOT_VERIFIED) and one escalated while it waited
// (PENDING_REVIEW): upgraded, both are polled, five minutes after their
// last fetch, and nothing else is.
func TestChecksWaitingInAVersion7DatabaseArePolledAfterTheUpgrade(t *testing.T) {
	sqliteOnly(t, "an SQLite file made by an earlier build (testdata)")
	path := copyFixture(t, "version7-44c00df.db")
	c := &clock{t: time.Now()}
	s := openAt(t, path, c)
	ctx := context.Background()
	var want []string
	var first, last time.Time
	for _, q := range []Queue{QueuePending, QueueEscalated} {
		rows, err := s.Page(ctx, PageQuery{Queue: q, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Outcome.NotReady() {
				want = append(want, r.CheckID)
				if first.IsZero() || r.FetchedAt.Before(first) {
					first = r.FetchedAt
				}
				if r.FetchedAt.After(last) {
					last = r.FetchedAt
				}
			}
		}
	}
	if len(want) != 2 {
		t.Fatalf("the fixture's waiting checks = %v, expected two", want)
	}
	slices.Sort(want)
	if due, next := duePolls(t, s, first.Add(5*time.Minute-time.Second)); len(due) != 0 || !next.Equal(first.Add(5*time.Minute)) {
		t.Errorf("one second before five minutes after their last fetch: due = %v, next %v", due, next)
	}
	got, _ := duePolls(t, s, last.Add(5*time.Minute))
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("due after the upgrade = %v, expected the waiting checks %v", got, want)
	}
}
