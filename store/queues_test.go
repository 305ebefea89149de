package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson"
)

// queueFixture tracks one check per situation a reviewer meets.
func queueFixture(t *testing.T) (*Store, *clock) {
	s, clk := newStore(t)
	ctx := context.Background()
	day := func(d int) time.Time { return testNow.AddDate(0, 0, -d) }
	fetched := []result{
		{id: checkID(1), customer: "c-1", first: "Ana", last: "Zeller", doc: "low", face: "high", checkedOn: day(3)},
		{id: checkID(2), customer: "c-2", first: "Bo", last: "Young", doc: "medium", face: "medium", checkedOn: day(5)},
		{id: checkID(3), customer: "c-1", first: "Ana", last: "Zeller", doc: "high", face: "high", checkedOn: day(1)},                     // passed
		{id: checkID(4), customer: "c-3", first: "Cy", last: "Xu", doc: "high", face: "high", expires: "2026-03-14", checkedOn: day(2)},   // expired yesterday
		{id: checkID(5), customer: "c-4", first: "Di", last: "Wong", doc: "high", face: "high", expires: "2026-03-15", checkedOn: day(2)}, // expires today: still valid
		{id: checkID(6), customer: "c-5", first: "Ed", last: "Vance", doc: "", face: "low", checkedOn: day(9)},                            // unknown document
		{id: checkID(7), customer: "c-6", first: "Fay", last: "Ulm", doc: "low", face: "low", checkedOn: day(4)},                          // approved
		{id: checkID(8), customer: "c-7", first: "Gus", last: "Toth", doc: "low", face: "medium", checkedOn: day(4)},                      // escalated
		{id: checkID(9), customer: "c-8", first: "Hal", last: "Sousa", doc: "medium", face: "low", checkedOn: day(4)},                     // rejected
		{id: checkID(10), customer: "c-9", first: "Ida", last: "Rossi", doc: "low", face: "high", checkedOn: day(6)},                      // then refresh failed
	}
	for _, r := range fetched {
		addFetched(t, s, r)
	}
	for _, d := range []struct {
		id   string
		a    Action
		note string
	}{{checkID(7), Approve, ""}, {checkID(8), Escalate, "ask compliance"}, {checkID(9), Reject, "forged"}} {
		if _, err := s.Decide(ctx, d.id, d.a, d.note, "rev"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordFetch(ctx, checkID(10), nil, errors.New("connection reset"), testNow); err != nil {
		t.Fatal(err)
	}
	for i, code := range []caisson.ErrorCode{11: caisson.CodePendingReview, 12: caisson.CodeNotVerified, 13: caisson.CodeIDCheckExpired} {
		if code == "" {
			continue
		}
		if _, err := s.Add(ctx, checkID(i), "rev", SourceTyped); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordFetch(ctx, checkID(i), nil, &caisson.APIError{Code: code}, testNow); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Add(ctx, checkID(14), "rev", SourceTyped); err != nil { // never fetched
		t.Fatal(err)
	}
	return s, clk
}

func TestQueuesHoldTheRightChecks(t *testing.T) {
	s, _ := queueFixture(t)
	ctx := context.Background()
	want := map[Queue][]string{
		// SortRisk: lowest confidence first, then oldest checked_on.
		QueueNeedsReview: {checkID(6), checkID(10), checkID(1), checkID(2), checkID(4)},
		QueuePending:     {checkID(11), checkID(12)}, // PENDING_REVIEW, NOT_VERIFIED
		QueueEscalated:   {checkID(8)},
		QueueApproved:    {checkID(7)},
		QueueRejected:    {checkID(9)},
		QueueErrors:      {checkID(13), checkID(10)},
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for q, w := range want {
		t.Run(string(q), func(t *testing.T) {
			rows, err := s.Page(ctx, PageQuery{Queue: q, Sort: SortRisk})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rows); !reflect.DeepEqual(got, w) {
				t.Errorf("Page\n got %v\nwant %v", got, w)
			}
			if counts[q] != len(w) {
				t.Errorf("Counts[%s] = %d, want %d", q, counts[q], len(w))
			}
			if n, err := s.Count(ctx, PageQuery{Queue: q}); err != nil || n != len(w) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(w))
			}
		})
	}
	if counts[QueueAll] != 14 {
		t.Errorf("Counts[all] = %d, want 14", counts[QueueAll])
	}
}

func TestDocumentExpiryFollowsTheClock(t *testing.T) {
	s, clk := queueFixture(t)
	ctx := context.Background()
	clk.Set(testNow.AddDate(0, 0, 1)) // the day after checkID(5)'s expiry
	rows, err := s.Page(ctx, PageQuery{Queue: QueueNeedsReview})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		found = found || r.CheckID == checkID(5)
	}
	if !found {
		t.Errorf("a document expired yesterday is not in needs-review: %v", ids(rows))
	}
}

func TestPageSortsFiltersAndPages(t *testing.T) {
	s, _ := queueFixture(t)
	ctx := context.Background()
	tests := []struct {
		name string
		q    PageQuery
		want []string
	}{
		{"by name, last then first, case-insensitive", PageQuery{Queue: QueueNeedsReview, Sort: SortName},
			[]string{checkID(10), checkID(6), checkID(4), checkID(2), checkID(1)}},
		{"by customer, check id breaking ties", PageQuery{Queue: QueueAll, Sort: SortCustomer, Customer: "c-1"},
			[]string{checkID(1), checkID(3)}},
		{"by added, newest first", PageQuery{Queue: QueueErrors, Sort: SortAdded},
			[]string{checkID(13), checkID(10)}},
		{"a filter matches names in any case", PageQuery{Queue: QueueAll, Filter: "zELL"},
			[]string{checkID(1), checkID(3)}},
		{"a short filter matches customer ids", PageQuery{Queue: QueueAll, Filter: "-9", Sort: SortCustomer},
			[]string{checkID(10)}},
		{"a filter matches a whole check id", PageQuery{Queue: QueueAll, Filter: " " + checkID(12) + " "},
			[]string{checkID(12)}},
		{"a filter matches the start of a check id without its prefix", PageQuery{Queue: QueueAll, Filter: checkID(12)[9:]},
			[]string{checkID(12)}},
		{"a filter matches check ids by their start", PageQuery{Queue: QueueAll, Filter: "chk_priv_000000000000000000001", Sort: SortAdded},
			[]string{checkID(14), checkID(13), checkID(12), checkID(11), checkID(10)}},
		{"two characters are the start of check ids", PageQuery{Queue: QueueAll, Filter: "00", Sort: SortAdded, Limit: 3},
			[]string{checkID(14), checkID(13), checkID(12)}},
		{"one character is not", PageQuery{Queue: QueueAll, Filter: "0"}, nil},
		{"unless written after chk_priv_", PageQuery{Queue: QueueAll, Filter: "chk_priv_0", Sort: SortAdded, Limit: 3},
			[]string{checkID(14), checkID(13), checkID(12)}},
		{"a check id is not matched by its middle", PageQuery{Queue: QueueAll, Filter: "0000012"}, nil},
		{"a filter is a substring, not a fuzzy match", PageQuery{Queue: QueueAll, Filter: "zlr"}, nil},
		{"a filter never matches across fields", PageQuery{Queue: QueueAll, Filter: "ana zeller"}, nil},
		{"offset and limit page through", PageQuery{Queue: QueueNeedsReview, Offset: 1, Limit: 2},
			[]string{checkID(10), checkID(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.Page(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rows); !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
	if _, err := s.Page(ctx, PageQuery{Queue: "later"}); err == nil {
		t.Error("an unknown queue was accepted")
	}
	if _, err := s.Page(ctx, PageQuery{Sort: Sort(9)}); err == nil {
		t.Error("an unknown sort was accepted")
	}
}

func TestFilterGivesTheSameRowsWhicheverPlanItUses(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	names := []string{"Müller", "MÜLLER", "Mullen", "Miller", "Møller", "Smith"}
	for i, n := range names {
		addFetched(t, s, result{id: checkID(i + 1), customer: "cust", first: "X", last: n, doc: "low", face: "low"})
	}
	levels := []string{"low", "medium", "high"}
	for i := range 12 { // more checks in several queues and orders
		addFetched(t, s, result{id: checkID(20 + i), customer: fmt.Sprintf("cust-%d", i%3), first: "Y", last: names[i%len(names)],
			doc: levels[i%3], face: levels[(i/3)%3], checkedOn: testNow.Add(-time.Duration(i%4) * time.Hour)})
	}
	for _, queue := range []Queue{QueueAll, QueueNeedsReview} {
		for by := range sortKeys {
			for _, page := range []struct{ offset, limit int }{{0, 50}, {2, 3}} {
				for _, filter := range []string{"müll", "ÜLLER", "ll", "mil", "smith", "e", "cust-1"} {
					oldFTS := ftsCap
					ftsCap = 1000
					q := PageQuery{Queue: queue, Filter: filter, Sort: by, Offset: page.offset, Limit: page.limit}
					viaIndex, err := s.Page(ctx, q)
					usedTrigrams := sqlitePlan(func() bool { return usesTrigramIndex(t, s, q) }, true)
					ftsCap = 0 // every filter that matches counts as frequent: walk the sort index
					viaScan, err2 := s.Page(ctx, q)
					walked := sqlitePlan(func() bool { return !usesTrigramIndex(t, s, q) }, true)
					ftsCap = oldFTS
					if err != nil || err2 != nil {
						t.Fatal(err, err2)
					}
					name := fmt.Sprintf("%s by %s, rows %d+%d, filter %q", queue, indexSort[by], page.offset, page.limit, filter)
					if !reflect.DeepEqual(ids(viaIndex), ids(viaScan)) || (len(viaIndex) == 0 && queue == QueueAll) {
						t.Errorf("%s: via trigram index %v, via scan %v", name, ids(viaIndex), ids(viaScan))
					}
					if long := utf8.RuneCountInString(filter) >= 3; long && (!usedTrigrams || !walked) {
						t.Errorf("%s: used the trigram index %v then walked the sort order %v, want both", name, usedTrigrams, walked)
					}
				}
			}
		}
	}
}

// sqlitePlan is plan() on SQLite and want on PostgreSQL, whose planner
// chooses between its trigram and sort indexes itself: there the tests of
// SQLite's choice (ftsCap, candidateCap) check only the rows.
func sqlitePlan(plan func() bool, want bool) bool {
	if onPostgres {
		return want
	}
	return plan()
}

// usesTrigramIndex reports whether the page query of q starts from the
// trigram index's matches.
func usesTrigramIndex(t *testing.T, s *Store, q PageQuery) bool {
	t.Helper()
	sel, err := s.selectFor(context.Background(), q, q.Sort, candidateLimit(q, q.Sort))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(sel.from, "NOT INDEXED")
}

func TestNextMovesOnInTheQueueOrder(t *testing.T) {
	s, _ := queueFixture(t)
	ctx := context.Background()
	q := PageQuery{Queue: QueueNeedsReview, Sort: SortRisk}
	var walked []string
	after := ""
	for {
		id, ok, err := s.Next(ctx, q, after)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		walked = append(walked, id)
		after = id
	}
	if want := []string{checkID(6), checkID(10), checkID(1), checkID(2), checkID(4)}; !reflect.DeepEqual(walked, want) {
		t.Errorf("walked %v, want %v", walked, want)
	}
	// Deciding takes the check out of the queue; Next still knows where it was.
	if _, err := s.Decide(ctx, checkID(10), Approve, "", "rev"); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := s.Next(ctx, q, checkID(10)); err != nil || !ok || id != checkID(1) {
		t.Errorf("Next after a decided check = %s, %v, %v; want %s", id, ok, err, checkID(1))
	}
	if id, ok, err := s.Next(ctx, PageQuery{Queue: QueueErrors, Sort: SortAdded}, checkID(13)); err != nil || !ok || id != checkID(10) {
		t.Errorf("Next in a descending sort = %s, %v, %v; want %s", id, ok, err, checkID(10))
	}
	if _, _, err := s.Next(ctx, q, checkID(99)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Next after an untracked check: %v, want ErrNotFound", err)
	}
}

func TestByCustomerListsEveryCheckOfACustomer(t *testing.T) {
	s, _ := queueFixture(t)
	rows, err := s.ByCustomer(context.Background(), "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(rows), []string{checkID(1), checkID(3)}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v (oldest checked first)", got, want)
	}
}

// queryPlan is SQLite's plan for query, one line per step.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("planning %s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n")
}

func TestEveryQueueAndSortWalksItsOwnIndexInPageOrder(t *testing.T) {
	sqliteOnly(t, "SQLite's query plans (EXPLAIN QUERY PLAN) of SQLite's indexes")
	s, _ := queueFixture(t)
	ctx := context.Background()
	old := ftsCap
	ftsCap = 0 // every filter is frequent: the walk is what is planned
	defer func() { ftsCap = old }()
	for _, q := range Queues {
		for by := range sortKeys {
			for _, filter := range []string{"", "zell"} {
				pq := PageQuery{Queue: q, Filter: filter, Sort: by, Limit: 50, Offset: 5000}
				sel, err := s.selectFor(ctx, pq, by, candidateLimit(pq, by))
				if err != nil {
					t.Fatal(err)
				}
				// The queries Page runs: one, or the bare checks' page and
				// the checks rows' page when the bare ones come first.
				query, args, _ := sel.pageSQL(pq)
				bareQuery, bareArgs := "", []any(nil)
				if sel.bareFirst(by) {
					query, args = sel.checksPageSQL(sortKeys[by]), append(slices.Clone(sel.args), 50, 5000)
					bareQuery, bareArgs = sel.barePageSQL(), append(slices.Clone(sel.bare.args), 50, 5000)
				}
				plan := queryPlan(t, s, query, args...)
				// Only the few bare checks a filter finds by id are sorted.
				checksSide, _, _ := strings.Cut(plan, "RIGHT")
				if !strings.Contains(plan, "INDEX "+walkIndex(q, by)) || strings.Contains(checksSide, "TEMP B-TREE") ||
					(filter == "" && strings.Contains(plan, "TEMP B-TREE")) {
					t.Errorf("%s by %s, filter %q: want a walk of %s in page order, no sorting; plan:\n%s", q, indexSort[by], filter, walkIndex(q, by), plan)
				}
				if q != QueueAll {
					continue
				}
				// The all queue reads the checks that were only added from
				// their own index in page order, or a filter finds them by
				// the start of their id; they come first, or are merged in.
				wantBare := bareIndex(by)
				if filter != "" {
					wantBare = "sqlite_autoindex_tracked_1 (check_id>? AND check_id<?)"
				}
				if bareQuery != "" {
					plan = queryPlan(t, s, bareQuery, bareArgs...)
				} else if !strings.Contains(plan, "MERGE") {
					t.Errorf("all by %s, filter %q: want the bare checks merged in; plan:\n%s", indexSort[by], filter, plan)
				}
				if !strings.Contains(plan, "INDEX "+wantBare) || (filter == "" && strings.Contains(plan, "TEMP B-TREE")) {
					t.Errorf("all by %s, filter %q: want the bare checks from %s; plan:\n%s", indexSort[by], filter, wantBare, plan)
				}
			}
		}
	}
}

func TestCountsReadOnlyIndexes(t *testing.T) {
	sqliteOnly(t, "SQLite's query plans (EXPLAIN QUERY PLAN) of SQLite's indexes")
	s, _ := queueFixture(t)
	for _, q := range Queues {
		term, args, err := s.countQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		plan := queryPlan(t, s, "SELECT "+term+" FROM queue_counts AS q", args...)
		for _, step := range strings.Split(plan, "\n") {
			readsChecks := strings.HasPrefix(step, "SCAN c") || strings.HasPrefix(step, "SEARCH c")
			if readsChecks && !strings.Contains(step, "COVERING INDEX") {
				t.Errorf("counting %s reads the table: %s\nplan:\n%s", q, step, plan)
			}
		}
	}
}

// Sorted by name, a filter's matches sit together anywhere in the
// alphabet, so the store fetches and sorts more of them (candidateCap)
// before it would rather walk the sort order.
func TestSortedByNameAFilterIsFetchedFromTheTrigramIndexLonger(t *testing.T) {
	s := fiveOkafors(t) // five matches: frequent for the other sorts, not by name
	for by, want := range map[Sort]bool{SortName: true, SortRisk: false, SortAdded: false, SortCustomer: false} {
		q := PageQuery{Queue: QueueAll, Sort: by, Filter: "okafor"}
		if got := sqlitePlan(func() bool { return usesTrigramIndex(t, s, q) }, want); got != want {
			t.Errorf("sort %s: starts from the trigram index %v, want %v", indexSort[by], got, want)
		}
		rows, err := s.Page(context.Background(), q)
		if err != nil || len(rows) != 5 {
			t.Errorf("sort %s: %d rows, %v; want the 5 checks", indexSort[by], len(rows), err)
		}
	}
}

// A page as deep as the filter's matches reach (the bottom of a filtered
// list) starts from the trigram index: walking, it would read the whole
// sort index to find the last matches.
func TestTheBottomOfAFilteredListIsFetchedFromTheTrigramIndex(t *testing.T) {
	s := fiveOkafors(t)
	for _, tc := range []struct {
		offset, limit int
		trigrams      bool
		rows          int
	}{{0, 2, false, 2}, {3, 2, true, 2}, {4, 3, true, 1}, {2, 2, false, 2}} {
		q := PageQuery{Queue: QueueAll, Sort: SortRisk, Filter: "okafor", Offset: tc.offset, Limit: tc.limit}
		if got := sqlitePlan(func() bool { return usesTrigramIndex(t, s, q) }, tc.trigrams); got != tc.trigrams {
			t.Errorf("rows %d+%d: starts from the trigram index %v, want %v", tc.offset, tc.limit, got, tc.trigrams)
		}
		rows, err := s.Page(context.Background(), q)
		if err != nil || len(rows) != tc.rows {
			t.Errorf("rows %d+%d: %d rows, %v; want %d", tc.offset, tc.limit, len(rows), err, tc.rows)
		}
	}
}

// Counting all of a filter's matches walks the whole queue: up to a few
// thousand matches, they are fetched from the trigram index instead. A
// count that stops early still walks, since it stops after limit+1.
func TestCountingAFilterStartsFromTheTrigramIndex(t *testing.T) {
	s := fiveOkafors(t)
	ctx := context.Background()
	q := PageQuery{Queue: QueueAll, Filter: "okafor"}
	for _, tc := range []struct {
		limit    int
		trigrams bool
		n        int
		more     bool
	}{{math.MaxInt - 1, true, 5, false}, {10, true, 5, false}, {3, false, 3, true}} {
		startsFromTrigrams := func() bool {
			sel, err := s.selectFor(ctx, q, SortRisk, countCandidateLimit(tc.limit))
			if err != nil {
				t.Fatal(err)
			}
			return strings.Contains(sel.from, "NOT INDEXED")
		}
		if got := sqlitePlan(startsFromTrigrams, tc.trigrams); got != tc.trigrams {
			t.Errorf("counting up to %d: starts from the trigram index %v, want %v", tc.limit, got, tc.trigrams)
		}
		n, more, err := s.CountUpTo(ctx, q, tc.limit)
		if err != nil || n != tc.n || more != tc.more {
			t.Errorf("CountUpTo(%d) = %d, %v, %v; want %d, %v", tc.limit, n, more, err, tc.n, tc.more)
		}
	}
	if n, err := s.Count(ctx, q); err != nil || n != 5 {
		t.Errorf("Count = %d, %v; want 5", n, err)
	}
}

// fiveOkafors is a store where "okafor" matches five checks of six, with
// ftsCap 2 for the test: five matches are frequent.
func fiveOkafors(t *testing.T) *Store {
	t.Helper()
	s, _ := newStore(t)
	for i := range 5 {
		addFetched(t, s, result{id: checkID(i + 1), customer: "cust", first: "Ada", last: "Okafor", doc: "low", face: "low"})
	}
	addFetched(t, s, result{id: checkID(9), customer: "cust", first: "Bo", last: "Young", doc: "low", face: "low"})
	old := ftsCap
	ftsCap = 2
	t.Cleanup(func() { ftsCap = old })
	return s
}

// A filtered page sorted by name on a large store first walks only the
// start of the name index (nameWalkBound entries); when its matches lie
// further on it turns to the filter's candidates, or walks on. Every way
// must give the rows and counts the plain walk gives.
func TestANameSortedFilterGivesTheSameRowsWhenItsWalkIsBounded(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	early := []string{"Abbott", "Adams", "Allen", "Baker", "Bell", "Brown", "Clark", "Cole", "Davis", "Evans", "Ford", "Grant"}
	n := 0
	add := func(r result) {
		n++
		r.id = checkID(n)
		if r.customer == "" {
			r.customer = fmt.Sprintf("cust-%d", n%7)
		}
		levels := []string{"low", "medium", "high"}
		r.doc, r.face = levels[n%3], levels[(n/3)%3]
		addFetched(t, s, r)
	}
	for i := range 96 {
		add(result{first: fmt.Sprintf("F%02d", i), last: early[i%len(early)]})
	}
	// Matches early in the alphabet (a first name, a customer id, a
	// surname ending so) and a run of them late.
	add(result{first: "Smithy", last: "Adams"})
	add(result{first: "Ann", last: "Baker", customer: "cust-smith"})
	add(result{first: "Jo", last: "Goldsmith"})
	for i := range 18 {
		add(result{first: fmt.Sprintf("G%02d", i), last: []string{"Smith", "Smithson", "Smythe"}[i%3]})
	}
	// No last name, first in the name index: a result without names, and
	// checks whose fetch failed, found only by their id.
	add(result{customer: "cust-smithers"})
	add(result{first: "Smithy"})
	// Only added, first in every sort but by time added: found by
	// their id's start, which "smith" can be.
	for _, id := range []string{"chk_priv_smithAAAAAAAAAAAAAAAAA", "chk_priv_smithBBBBBBBBBBBBBBBBB"} {
		if _, err := s.Add(ctx, id, "tester", SourceTyped); err != nil {
			t.Fatal(err)
		}
	}
	var failed []string
	for i := range 4 {
		n++
		id := checkID(n)
		if i == 3 {
			// Failed, and its id starts with "smith": a match with no
			// name, found only by its id.
			id = "chk_priv_smithCCCCCCCCCCCCCCCCC"
		}
		failed = append(failed, id)
		if _, err := s.Add(ctx, id, "tester", SourceTyped); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordFetch(ctx, id, nil, errors.New("caisson: 500"), s.now()); err != nil {
			t.Fatal(err)
		}
	}
	restore := func(fts, bound, per int) { ftsCap, nameWalkBound, walkPerFetch = fts, bound, per }
	defer restore(ftsCap, nameWalkBound, walkPerFetch)
	filled, shortened := 0, 0
	// "smith", a page of one, must stay a walk by name here (more
	// candidates than ftsCap lets such a page start from) for the failed
	// check whose id starts so to be found by the lead's id part, not by
	// the candidates.
	restore(2, 30, 1)
	one := PageQuery{Queue: QueueAll, Filter: "smith", Sort: SortName, Limit: 1}
	if sel, err := s.selectFor(ctx, one, SortName, candidateLimit(one, SortName)); err != nil || !sqlitePlan(func() bool { return s.nameWalk(one, sel) }, true) {
		t.Fatalf("\"smith\" is not a walk by name (%v): the fixture no longer reaches the lead's id part", err)
	}
	for _, queue := range []Queue{QueueAll, QueueNeedsReview, QueueErrors} {
		for _, filter := range []string{"smith", "adams", "ith", "cust-1", "mit", "zzz", failed[1][len("chk_priv_"):]} {
			for _, page := range []struct{ offset, limit int }{{0, 50}, {0, 1}, {2, 3}, {10, 4}} {
				q := PageQuery{Queue: queue, Filter: filter, Sort: SortName, Offset: page.offset, Limit: page.limit}
				want, wantN := plainWalk(t, s, q)
				// The walk bounded at 30 entries, then the candidates
				// fetched (1 entry walked in the time of a fetch: every
				// candidate is worth it); or, none worth fetching (1,000
				// entries a fetch), the walk unbounded.
				for _, per := range []int{1, 1000} {
					restore(2, 30, per)
					name := fmt.Sprintf("%s, %q, rows %d+%d, a fetch worth %d entries", queue, filter, page.offset, page.limit, per)
					if !onPostgres {
						// The bounded read Page starts with, on its own.
						rows, bounded, err := s.readPage(ctx, q, candidateLimit(q, q.Sort), true, candidateCount{})
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						switch {
						case bounded && len(rows) == page.limit:
							filled++
						case bounded && len(want) == page.limit:
							shortened++
						}
					}
					asPlainWalk(t, s, q, name, want, wantN)
				}
			}
		}
	}
	if !onPostgres && (filled == 0 || shortened == 0) {
		t.Errorf("bounded walks filled %d pages and fell short of %d the list fills: the test no longer reaches both", filled, shortened)
	}
}

// plainWalk reads q's page and count by the plain walk, every filter
// frequent and nothing bounded, and puts the plans' settings back.
func plainWalk(t *testing.T, s *Store, q PageQuery) ([]Row, int) {
	t.Helper()
	defer func(fts, bound, per int) { ftsCap, nameWalkBound, walkPerFetch = fts, bound, per }(ftsCap, nameWalkBound, walkPerFetch)
	ftsCap, nameWalkBound, walkPerFetch = 0, 0, 12
	ctx := context.Background()
	rows, err := s.Page(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Count(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	return rows, n
}

// asPlainWalk holds q's page, count and count up to 3, by the plans the
// settings now allow, to want and wantN, the plain walk's (plainWalk).
func asPlainWalk(t *testing.T, s *Store, q PageQuery, name string, want []Row, wantN int) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Page(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !reflect.DeepEqual(ids(got), ids(want)) {
		t.Errorf("%s: got %v\nthe plain walk %v", name, ids(got), ids(want))
	}
	if gotN, err := s.Count(ctx, q); err != nil || gotN != wantN {
		t.Errorf("%s: counted %d (%v), the plain walk %d", name, gotN, err, wantN)
	}
	if gotN, more, err := s.CountUpTo(ctx, q, 3); err != nil || gotN != min(wantN, 3) || more != (wantN > 3) {
		t.Errorf("%s: counted up to 3: %d, more %v (%v), the plain walk %d", name, gotN, more, err, wantN)
	}
}

// Every failing page or count says which queue it was reading or
// counting, once, whichever path failed (the filter's plan, the walk, the
// kept counts): the console shows the store's error as it is.
func TestAFailedPageOrCountNamesItsQueueOnce(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), customer: "cust-1", first: "Ana", last: "Smith", doc: "low", face: "high"})
	s.db.Close() // every read now fails
	for _, q := range []PageQuery{
		{Queue: QueueAll},
		{Queue: QueueAll, Filter: "smith"},
		{Queue: QueueAll, Filter: "sm", Sort: SortName},
		{Queue: QueueNeedsReview, Filter: "smith", Sort: SortRisk},
		{Filter: "cust", Overdue: true},
	} {
		name := cmp.Or(q.Queue, QueueNeedsReview)
		_, err := s.Page(ctx, q)
		if want := "reading the " + string(name) + " queue: "; err == nil || !strings.HasPrefix(err.Error(), want) || strings.Count(err.Error(), " queue: ") != 1 {
			t.Errorf("Page(%+v) = %v, want one %q first", q, err, want)
		}
		_, err = s.Count(ctx, q)
		if want := "counting the " + string(name) + " queue: "; err == nil || !strings.HasPrefix(err.Error(), want) || strings.Count(err.Error(), " queue: ") != 1 {
			t.Errorf("Count(%+v) = %v, want one %q first", q, err, want)
		}
	}
}
