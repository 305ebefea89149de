package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// The reads of package store have a text per backend where SQLite and
// PostgreSQL differ (*_postgres.go). These tests hold the two to the same
// answers: one SQLite file and one PostgreSQL database are given the same
// checks and decisions at the same clock, and every page, filter, count
// and walk of Next must be the same on both, in the same order.

// bothBackends opens a fresh SQLite file and a fresh PostgreSQL database on
// one clock, and gives them the same checks (backendsFixture).
func bothBackends(t *testing.T) (lite, pg *Store) {
	t.Helper()
	skipShort(t)
	c := &clock{t: testNow}
	url := pgtest.URL(t)
	ctx := context.Background()
	lite, err := Open(ctx, filepath.Join(t.TempDir(), "review.db"), WithClock(c.Now), WithIdentity(anaID))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	pg, err = Open(ctx, url, WithClock(c.Now), WithIdentity(anaID))
	if err != nil {
		t.Fatalf("Open(%s): %v", Redact(url), err)
	}
	t.Cleanup(func() { pg.Close() })
	backendsFixture(t, c, lite, pg)
	return lite, pg
}

// backendIDs are check ids whose starts differ only in case or in - and _,
// which a byte-order comparison tells apart and a linguistic one does not.
var backendIDs = []string{"Ab", "ab", "AB", "a-", "a_", "Zz", "zz", "0a", "_z", "-z"}

func backendID(i int) string {
	return fmt.Sprintf("chk_priv_%s%020d", backendIDs[i%len(backendIDs)], i)
}

// backendsFixture tracks on every store the same checks: names and customer
// ids that sort differently by byte and by a linguistic collation (case,
// accents, punctuation, CJK), that hold LIKE's % and _, with every kind of
// confidence and expiry, in every queue (decided, proposed, pending,
// failed, never fetched), each made reviewable at its own time.
func backendsFixture(t *testing.T, c *clock, stores ...*Store) {
	t.Helper()
	ctx := context.Background()
	people := []struct{ first, last, customer string }{
		{"Ada", "Adams", "cust-1"}, {"ada", "adams", "Cust-2"}, {"ADA", "ADAMS", "cust_3"}, {"Émile", "Zola", "cust-3"},
		{"émile", "zola", "cust%4"}, {"Zoë", "Ångström", "cust-4"}, {"小龙", "李", "客户-5"}, {"_x", "%y", "_"},
		{"Bob", "McDonald", "CUST-10"}, {"bob", "Mcdonald", "cust-10"}, {"", "", ""}, {"Ann", "O'Brien", "cust 11"},
		{"Ann", "Obrien", "cust-11"}, {"Ab", "ab", "ab"}, {"Zed", "zed", "Z"}, {"Ola", "Ölund", "cust-1"}, {"Eve", `Back\slash`, `cust\5`},
	}
	levels := []string{"low", "medium", "high", ""}
	for _, s := range stores {
		if _, err := s.SetSLA(ctx, SLAChange{SLA: 2 * time.Hour, Note: "team rule", Reviewer: "Ana"}); err != nil {
			t.Fatal(err)
		}
	}
	each := func(f func(s *Store) error) {
		t.Helper()
		for _, s := range stores {
			if err := f(s); err != nil {
				t.Fatal(err)
			}
		}
		c.Advance(7 * time.Minute)
	}
	for i := range 48 {
		p := people[i%len(people)]
		r := result{id: backendID(i), customer: p.customer, first: p.first, last: p.last,
			doc: levels[i%4], face: levels[(i/4)%3], checkedOn: testNow.Add(-time.Duration(i%5) * time.Hour)}
		if i%6 == 5 {
			r.doc, r.face, r.expires = "high", "high", "2026-03-1"+fmt.Sprint(i%10)
		}
		each(func(s *Store) error {
			if _, err := s.Add(ctx, r.id, "tester", SourceTyped); err != nil {
				return err
			}
			return s.RecordFetch(ctx, r.id, makeCheck(t, r), nil, s.now())
		})
	}
	decide := func(i int, a Action) {
		each(func(s *Store) error {
			_, err := s.DecideAs(ctx, DecisionRequest{CheckID: backendID(i), Action: a, Note: "seen", Reviewer: "Ana", Reason: reasonFor(a)})
			return err
		})
	}
	for i := 0; i < 12; i += 3 {
		decide(i, Approve)
		decide(i+1, Reject)
		decide(i+2, Escalate)
	}
	each(func(s *Store) error {
		_, err := s.SetFourEyes(ctx, PolicyChange{FourEyes: FourEyesAll, Note: "audit", Reviewer: "Ana"})
		return err
	})
	decide(13, Approve) // proposed: second review
	decide(14, Reject)
	for i, code := range map[int]caisson.ErrorCode{20: caisson.CodePendingReview, 21: caisson.CodeNotVerified, 22: caisson.CodeIDCheckExpired} {
		each(func(s *Store) error {
			return s.RecordFetch(ctx, backendID(i), nil, &caisson.APIError{Code: code}, s.now())
		})
	}
	each(func(s *Store) error {
		return s.RecordFetch(ctx, backendID(23), nil, errors.New("connection reset"), s.now())
	})
	for i := 48; i < 56; i++ { // never fetched: only in all
		each(func(s *Store) error {
			_, err := s.Add(ctx, backendID(i), "tester", SourceTyped)
			return err
		})
	}
	c.Advance(3 * time.Hour) // the first checks are overdue
}

// reasonFor is a structured reason where the action takes one.
func reasonFor(a Action) Reason {
	switch a {
	case Reject:
		return ReasonSuspectedFraud
	case Escalate:
		return ReasonNeedsSeniorReview
	}
	return ""
}

var backendQueues = []Queue{QueueNeedsReview, QueuePending, QueueSecondReview, QueueEscalated, QueueApproved, QueueRejected, QueueErrors, QueueAll}

var backendSorts = []Sort{SortRisk, SortAdded, SortName, SortCustomer, SortWaiting}

func TestEveryQueueAndSortGivesTheSameOrderOnBothBackends(t *testing.T) {
	lite, pg := bothBackends(t)
	sameQueuesOnBoth(t, lite, pg)
}

func sameQueuesOnBoth(t *testing.T, lite, pg *Store) {
	for _, q := range backendQueues {
		for _, by := range backendSorts {
			for _, overdue := range []bool{false, true} {
				pq := PageQuery{Queue: q, Sort: by, Overdue: overdue}
				name := fmt.Sprintf("%s by %s, overdue %v", q, indexSort[by], overdue)
				want := sameOnBoth(t, name, lite, pg, pq)
				if len(want) == 0 && q != QueuePending && !overdue {
					t.Errorf("%s: empty on both; the fixture should fill it", name)
				}
			}
		}
	}
}

func TestTextFiltersMatchTheSameChecksOnBothBackends(t *testing.T) {
	lite, pg := bothBackends(t)
	sameFiltersOnBoth(t, lite, pg)
}

func sameFiltersOnBoth(t *testing.T, lite, pg *Store) {
	filters := []struct{ name, filter string }{
		{"one letter", "a"},
		{"one letter in capitals", "Z"},
		{"two letters", "ad"},
		{"two letters that start ids", "Ab"},
		{"three letters", "ada"},
		{"a whole name in mixed case", "mCdOnAlD"},
		{"an accented capital", "É"},
		{"a name that is not ASCII", "ångström"},
		{"a CJK name", "李"},
		{"a CJK customer id", "客户"},
		{"a customer id", "cust-1"},
		{"an underscore, literal", "cust_3"},
		{"a lone underscore", "_"},
		{"a percent sign, literal", "cust%4"},
		{"a lone percent sign", "%"},
		{"a backslash", `\`},
		{"an apostrophe", "o'b"},
		{"a space", "cust 1"},
		{"an id's start with chk_priv_", "chk_priv_a-"},
		{"an id's start in capitals", "CHK_PRIV_ab"},
		{"an id's start without chk_priv_", "a_"},
		{"an id's start with a dash", "-z"},
		{"a whole id", backendID(7)},
		{"nothing matches", "qqq"},
		{"only chk_priv_: everything", "chk_priv_"},
	}
	for _, f := range filters {
		t.Run(f.name, func(t *testing.T) {
			matched := 0
			for _, q := range []Queue{QueueAll, QueueNeedsReview, QueueApproved} {
				for _, by := range backendSorts {
					got := sameOnBoth(t, fmt.Sprintf("%s by %s, filter %q", q, indexSort[by], f.filter), lite, pg, PageQuery{Queue: q, Sort: by, Filter: f.filter})
					matched += len(got)
				}
			}
			if f.filter != "qqq" && matched == 0 {
				t.Errorf("filter %q matched nothing on either backend; the fixture should match it", f.filter)
			}
		})
	}
	t.Run("a customer's checks, exactly or by their start", func(t *testing.T) {
		for _, c := range []string{"cust-1", "cust_", "cust%", "客户", "Cust", ""} {
			for _, start := range []bool{false, true} {
				if c == "" && !start {
					continue
				}
				sameOnBoth(t, fmt.Sprintf("customer %q, start %v", c, start), lite, pg,
					PageQuery{Queue: QueueAll, Sort: SortCustomer, Customer: c, CustomerStart: start})
			}
			a, err := lite.ByCustomer(context.Background(), c)
			b, err2 := pg.ByCustomer(context.Background(), c)
			if err != nil || err2 != nil || !reflect.DeepEqual(ids(a), ids(b)) {
				t.Errorf("ByCustomer(%q): SQLite %v (%v), PostgreSQL %v (%v)", c, ids(a), err, ids(b), err2)
			}
		}
	})
}

func TestCountsAndStatsAreTheSameOnBothBackends(t *testing.T) {
	lite, pg := bothBackends(t)
	sameCountsOnBoth(t, lite, pg)
}

func sameCountsOnBoth(t *testing.T, lite, pg *Store) {
	ctx := context.Background()
	a, err := lite.Counts(ctx)
	b, err2 := pg.Counts(ctx)
	if err != nil || err2 != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("Counts: SQLite %v (%v), PostgreSQL %v (%v)", a, err, b, err2)
	}
	sa, err := lite.Stats(ctx, StatsQuery{})
	sb, err2 := pg.Stats(ctx, StatsQuery{})
	if err != nil || err2 != nil {
		t.Fatalf("Stats: SQLite %v, PostgreSQL %v", err, err2)
	}
	if !reflect.DeepEqual(sa, sb) {
		t.Errorf("Stats differ:\nSQLite     %+v\nPostgreSQL %+v", sa, sb)
	}
	if len(sa.Decisions) == 0 || len(sa.Waits) == 0 || len(sa.Outcomes) == 0 || len(sa.DecisionReasons) == 0 {
		t.Errorf("stats %+v: the fixture should give every figure", sa)
	}
}

// sameOnBoth checks that q gives the same checks in the same order on both
// stores: the whole list, every page of three, its count (exact and up
// to a limit), and the walk of Next from the first to the last. It
// returns the list.
func sameOnBoth(t *testing.T, name string, lite, pg *Store, q PageQuery) []string {
	t.Helper()
	ctx := context.Background()
	all := q
	all.Limit = 1000
	want, err := lite.Page(ctx, all)
	if err != nil {
		t.Fatalf("%s: SQLite: %v", name, err)
	}
	got, err := pg.Page(ctx, all)
	if err != nil {
		t.Fatalf("%s: PostgreSQL: %v", name, err)
	}
	if !reflect.DeepEqual(ids(got), ids(want)) {
		t.Errorf("%s:\nPostgreSQL %v\nSQLite     %v", name, ids(got), ids(want))
		return ids(want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: the same checks but other rows:\nPostgreSQL %+v\nSQLite     %+v", name, got, want)
	}
	for off := 0; off < len(want)+3; off += 3 {
		page := q
		page.Offset, page.Limit = off, 3
		rows, err := pg.Page(ctx, page)
		end := min(off+3, len(want))
		if err != nil || !reflect.DeepEqual(ids(rows), ids(want[min(off, end):end])) {
			t.Errorf("%s, rows %d+3 on PostgreSQL: %v (%v), want %v", name, off, ids(rows), err, ids(want[min(off, end):end]))
		}
	}
	for _, s := range []*Store{lite, pg} {
		n, err := s.Count(ctx, q)
		upTo, more, err2 := s.CountUpTo(ctx, q, 2)
		if err != nil || err2 != nil || n != len(want) || upTo != min(n, 2) || more != (n > 2) {
			t.Errorf("%s on %s: Count %d (%v), CountUpTo(2) %d, %v (%v); want %d", name, backendName(s), n, err, upTo, more, err2, len(want))
		}
		var walk []string
		for id := ""; len(walk) <= len(want); {
			next, ok, err := s.Next(ctx, q, id)
			if err != nil {
				t.Fatalf("%s on %s: Next after %q: %v", name, backendName(s), id, err)
			}
			if !ok {
				break
			}
			walk, id = append(walk, next), next
		}
		if !reflect.DeepEqual(walk, ids(want)) && len(walk)+len(want) > 0 {
			t.Errorf("%s on %s: Next walks %v, want %v", name, backendName(s), walk, ids(want))
		}
	}
	return ids(want)
}

func backendName(s *Store) string {
	if s.pg() {
		return "PostgreSQL"
	}
	return "SQLite"
}
