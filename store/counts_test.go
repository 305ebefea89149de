package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// The counts are kept, not counted (0007_queue_counts.sql): this holds
// them, and Count of each queue, to a count(*) over each queue's
// definition after every kind of change a reviewer, a refresh or the
// calendar makes, in the order a working day makes them. Each step runs
// on a database shared by two reviewers (four-eyes on risky checks), and
// a third handle whose clock is a day ahead writes too, as a process on
// another machine's clock would.
func TestCountsEqualEachQueuesDefinitionAfterEveryKindOfChange(t *testing.T) {
	path, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	day := func(n int) string { return testNow.AddDate(0, 0, n).Format("2006-01-02") }
	fetch := func(t *testing.T, s *Store, i int, r result) {
		t.Helper()
		r.id = checkID(i)
		if r.customer == "" {
			r.customer = fmt.Sprintf("cust-%d", i)
		}
		if err := s.RecordFetch(ctx, r.id, makeCheck(t, r), nil, s.now()); err != nil {
			t.Fatal(err)
		}
	}
	fail := func(t *testing.T, s *Store, i int, err error) {
		t.Helper()
		if err := s.RecordFetch(ctx, checkID(i), nil, err, s.now()); err != nil {
			t.Fatal(err)
		}
	}
	decide := func(t *testing.T, s *Store, r DecisionRequest) Decision {
		t.Helper()
		d, err := s.DecideAs(ctx, r)
		if err != nil {
			t.Fatalf("%s on %s: %v", r.Action, r.CheckID, err)
		}
		return d
	}
	var ahead *Store
	outer := t // ahead stays open after its step
	aheadClock := &clock{t: testNow.AddDate(0, 0, 1)}

	steps := []struct {
		name   string
		change func(t *testing.T)
	}{
		{"ids added one by one and in bulk, repeats included", func(t *testing.T) {
			if _, err := ana.Add(ctx, checkID(3), "ana", SourceTyped); err != nil {
				t.Fatal(err)
			}
			var in []string
			for i := 3; i <= 40; i++ {
				in = append(in, checkID(i), checkID(i))
			}
			if _, err := bob.AddMany(ctx, in, "bob", SourceImported); err != nil {
				t.Fatal(err)
			}
		}},
		{"results fetched: risky, passed, expiring over the coming days, expired", func(t *testing.T) {
			fetch(t, ana, 3, result{doc: "low", face: "high"})
			fetch(t, ana, 4, result{doc: "high", face: "medium"})
			fetch(t, ana, 5, result{doc: "high", face: "high", expires: day(365)})
			for i := 6; i <= 12; i++ { // expiring on each of the next days
				fetch(t, bob, i, result{doc: "high", face: "high", expires: day(i - 6)})
			}
			fetch(t, bob, 13, result{doc: "high", face: "high", expires: day(-30)})
			fetch(t, bob, 14, result{doc: "medium", face: "medium", expires: day(-30)})
			fetch(t, bob, 15, result{doc: "high", face: "high"})
		}},
		{"answers that are not results: waiting, failures, deleted, the network", func(t *testing.T) {
			fail(t, ana, 16, &caisson.APIError{Code: caisson.CodePendingReview})
			fail(t, ana, 17, &caisson.APIError{Code: caisson.CodeNotVerified})
			fail(t, ana, 18, &caisson.APIError{Code: caisson.CodeInternalError})
			fail(t, ana, 19, &caisson.APIError{Code: caisson.CodeIDCheckExpired})
			fail(t, ana, 20, errors.New("connection reset"))
			fail(t, ana, 4, &caisson.APIError{Code: caisson.CodeInternalError}) // a risky check's refresh fails
			fail(t, ana, 13, &caisson.APIError{Code: caisson.CodeIDCheckDeleted})
			fail(t, ana, 21, caisson.ErrKeyRefused) // stores nothing
		}},
		{"a waiting check gets its result, a failed one is fetched again", func(t *testing.T) {
			fetch(t, bob, 16, result{doc: "low", face: "low"})
			fetch(t, bob, 18, result{doc: "high", face: "high", expires: day(-1)})
		}},
		{"decisions: approve, reject, escalate, reopen", func(t *testing.T) {
			decide(t, bob, DecisionRequest{CheckID: checkID(15), Action: Approve, Reviewer: "Bob"})
			decide(t, bob, DecisionRequest{CheckID: checkID(14), Action: Reject, Note: "forged", Reviewer: "Bob"})
			decide(t, bob, DecisionRequest{CheckID: checkID(16), Action: Escalate, Note: "ask", Reviewer: "Bob"})
			decide(t, bob, DecisionRequest{CheckID: checkID(17), Action: Escalate, Note: "ask", Reviewer: "Bob"})
			decide(t, ana, DecisionRequest{CheckID: checkID(16), Action: Reopen, Note: "answered", Reviewer: "Ana"})
			decide(t, ana, DecisionRequest{CheckID: checkID(20), Action: Reject, Note: "gone", Reviewer: "Ana"})
		}},
		{"proposals, then confirmed, returned, voided by a decision and by a refresh", func(t *testing.T) {
			for _, i := range []int{1, 3, 4, 14, 16} {
				decide(t, ana, DecisionRequest{CheckID: checkID(i), Action: Approve, Reviewer: "Ana"})
			}
			decide(t, bob, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob"})
			decide(t, bob, DecisionRequest{CheckID: checkID(3), Action: Return, Note: "look again", Reviewer: "Bob"})
			decide(t, bob, DecisionRequest{CheckID: checkID(4), Action: Escalate, Note: "ask", Reviewer: "Bob"})
			fetch(t, bob, 14, result{doc: "low", face: "low"})
		}},
		{"the four-eyes policy turned off voids what still awaits", func(t *testing.T) {
			if _, err := bob.SetFourEyes(ctx, PolicyChange{FourEyes: FourEyesOff, Note: "alone", Reviewer: "Bob"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"the next day, before anything is written", func(t *testing.T) {
			ana.now = (&clock{t: testNow.AddDate(0, 0, 1)}).Now
			bob.now = ana.now
		}},
		{"the next day's first write", func(t *testing.T) {
			fetch(t, ana, 22, result{doc: "high", face: "high", expires: day(3)})
		}},
		{"another process, a day ahead, writes", func(t *testing.T) {
			ahead = openIdentified(outer, path, aheadClock, bobID)
			fetch(t, ahead, 23, result{doc: "high", face: "high", expires: day(1)})
			decide(t, ahead, DecisionRequest{CheckID: checkID(6), Action: Escalate, Note: "again", Reviewer: "Bob"})
		}},
		{"a week later, several days of expiries uncounted", func(t *testing.T) {
			ana.now = (&clock{t: testNow.AddDate(0, 0, 8)}).Now
			bob.now = ana.now
		}},
		{"the clock set back a month", func(t *testing.T) {
			ana.now = (&clock{t: testNow.AddDate(0, -1, 0)}).Now
			bob.now = ana.now
			fetch(t, bob, 24, result{doc: "high", face: "high", expires: day(-2)})
		}},
		{"a year on: everything expired, then personal data purged", func(t *testing.T) {
			ana.now = (&clock{t: testNow.AddDate(1, 0, 0)}).Now
			bob.now = ana.now
			fetch(t, ana, 25, result{doc: "high", face: "high", expires: day(400)})
			if _, err := ana.Purge(ctx, 24*time.Hour, ana.now()); err != nil {
				t.Fatal(err)
			}
		}},
		{"purged checks fetched again", func(t *testing.T) {
			for _, i := range []int{5, 6, 7, 13} {
				fetch(t, bob, i, result{doc: "high", face: "high", expires: day(300)})
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change(t)
			stores := []*Store{ana, bob}
			if ahead != nil {
				stores = append(stores, ahead)
			}
			for _, s := range stores {
				assertCountsByDefinition(t, s)
			}
		})
	}
}

// assertCountsByDefinition compares Counts and Count with a count(*) over
// each queue's definition, on s's own clock.
func assertCountsByDefinition(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(slices.Clone(Queues), QueueSecondReview) {
		want := countByDefinition(t, s, q)
		if counts[q] != want {
			t.Errorf("on %s, Counts[%s] = %d, its definition selects %d", s.today(), q, counts[q], want)
		}
		if n, err := s.Count(ctx, PageQuery{Queue: q}); err != nil || n != want {
			t.Errorf("on %s, Count(%s) = %d, %v; its definition selects %d", s.today(), q, n, err, want)
		}
	}
}

// A database whose counts were made on another day than the store's
// clock says (the migration counts on the machine's real date) still
// counts exactly, before its first write and after.
func TestCountsMadeOnAnotherDayAreExactBeforeAndAfterTheFirstWrite(t *testing.T) {
	for _, offset := range []int{-400, -1, 1, 400} {
		t.Run(fmt.Sprintf("clock %+d days from the counts", offset), func(t *testing.T) {
			path := testLocation(t)
			s := openAt(t, path, &clock{t: testNow})
			for i := 1; i <= 30; i++ {
				addFetched(t, s, result{id: checkID(i), customer: "c", doc: "high", face: "high",
					expires: testNow.AddDate(0, 0, (i-15)*20).Format("2006-01-02")})
			}
			later := openAt(t, path, &clock{t: testNow.AddDate(0, 0, offset)})
			assertCountsByDefinition(t, later)
			if _, err := later.Add(context.Background(), checkID(99), "x", SourceTyped); err != nil {
				t.Fatal(err)
			}
			assertCountsByDefinition(t, later)
			assertCountsByDefinition(t, s)
		})
	}
}
