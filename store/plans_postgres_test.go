package store

import (
	"context"

	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// PostgreSQL chooses its plans itself (there is no INDEXED BY), from the
// data's statistics. These tests ask whether the plan the store relies on
// exists at all: with the planner's other ways turned off (a scan of the
// table, a sort, a bitmap), EXPLAIN must still find the index of
// 0002_read_indexes.sql that a query was written for. A query and its
// index that drift apart fail here rather than turn into a slow scan.

func TestPostgreSQLPagesWalkTheirQueuesIndexInPageOrder(t *testing.T) {
	pg := postgresStore(t)
	ctx := context.Background()
	for _, q := range backendQueues {
		for _, by := range backendSorts {
			// Unfiltered, and by a filter walked (candidates 0): a name,
			// and the start of an id as well.
			for _, filter := range []string{"", "anderson", "Ab"} {
				pq := PageQuery{Queue: q, Sort: by, Filter: filter, Limit: 50, Offset: 100}
				sel, err := pg.selectFor(ctx, pq, by, 0)
				if err != nil {
					t.Fatal(err)
				}
				query, args, _ := sel.pageSQL(pq)
				if sel.bareFirst(by) {
					query, args = sel.checksPageSQL(sel.keys(by)), append(slices.Clone(sel.args), 50, 100)
				}
				// Sorting stays on: the page's rows, read by id, are sorted
				// (a handful); the walk that chooses them must not be.
				plan := explainPG(t, pg, "enable_seqscan, enable_bitmapscan", query, args...)
				index := "checks_" + indexQueue[q] + "_" + indexSort[by]
				if walk := initPlan(plan); !onlyIndex(walk, index) || sortsChecks(walk) || !strings.Contains(plan, "Index Scan using checks_pkey on checks c") {
					t.Errorf("%s by %s, filter %q: want the page's ids from a walk of %s alone (index-only) in page order, then their rows by id; plan:\n%s",
						q, indexSort[by], filter, index, plan)
				}
			}
		}
	}
}

// initPlan is the first InitPlan of a plan: the step that runs once
// before the rest, indented under its heading.
func initPlan(plan string) string {
	lines := strings.Split(plan, "\n")
	for i, line := range lines {
		if !strings.Contains(line, "InitPlan") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		end := i + 1
		for end < len(lines) && len(lines[end])-len(strings.TrimLeft(lines[end], " ")) > indent {
			end++
		}
		return strings.Join(lines[i:end], "\n")
	}
	return ""
}

// onlyIndex reports whether a plan reads index from an index-only scan,
// forward or backward: no row of the table read to check its conditions.
func onlyIndex(plan, index string) bool {
	return strings.Contains(plan, "Index Only Scan using "+index+" on checks") ||
		strings.Contains(plan, "Index Only Scan Backward using "+index+" on checks")
}

func TestPostgreSQLCountsReadTheirIndexRanges(t *testing.T) {
	pg := postgresStore(t)
	var terms []string
	var args []any
	for _, q := range []Queue{QueueNeedsReview, CountOverdue} {
		term, qargs, err := pg.countQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		terms, args = append(terms, term), append(args, qargs...)
	}
	plan := explainPG(t, pg, "enable_seqscan, enable_bitmapscan", "SELECT "+strings.Join(terms, ", ")+" FROM queue_counts AS q", args...)
	for _, index := range []string{"checks_open_count", "checks_waiting"} {
		if strings.Count(plan, "using "+index+" on checks") != 2 {
			t.Errorf("want both corrections of the counts to read a range of %s; plan:\n%s", index, plan)
		}
	}
}

func TestPostgreSQLFiltersFindTheirMatchesInAnIndex(t *testing.T) {
	pg := postgresStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    PageQuery
		off  string
		want string
	}{
		{"a name, from the trigram index", PageQuery{Queue: QueueAll, Filter: "Müller"}, "enable_seqscan, enable_indexscan", "Bitmap Index Scan on checks_search_trgm"},
		{"a customer id with _ and %, from the trigram index", PageQuery{Queue: QueueAll, Filter: "cust_1%"}, "enable_seqscan, enable_indexscan", "Bitmap Index Scan on checks_search_trgm"},
		{"an id's start, from the ids' unique index", PageQuery{Queue: QueueAll, Filter: "chk_priv_Ab"}, "enable_seqscan, enable_indexscan", "Bitmap Index Scan on checks_check_id_key"},
		{"a customer's checks by their start", PageQuery{Queue: QueueAll, Sort: SortCustomer, Customer: "cust_", CustomerStart: true}, "enable_seqscan, enable_bitmapscan", "Index Cond: ((customer_id >= 'cust_'"},
		{"one customer's checks", PageQuery{Queue: QueueAll, Sort: SortCustomer, Customer: "cust-1"}, "enable_seqscan, enable_bitmapscan", "using checks_all_customer on checks"},
	} {
		// The store is empty: every filter has few candidates.
		sel, err := pg.selectFor(ctx, tc.q, tc.q.Sort, ftsCap)
		if err != nil {
			t.Fatal(err)
		}
		query, args, _ := sel.pageSQL(PageQuery{Queue: tc.q.Queue, Sort: tc.q.Sort, Limit: 50})
		if sel.bareFirst(tc.q.Sort) {
			query, args = sel.checksPageSQL(sel.keys(tc.q.Sort)), append(slices.Clone(sel.args), 50, 0)
		}
		if plan := explainPG(t, pg, tc.off, query, args...); !strings.Contains(plan, tc.want) {
			t.Errorf("%s: want %q in the plan:\n%s", tc.name, tc.want, plan)
		}
	}
	// Shell completion: tracked ids by their start, in order, from one
	// range of tracked's unique index.
	plan := explainPG(t, pg, "enable_seqscan, enable_sort, enable_bitmapscan", completionPG, likeLiteral("chk_priv_Ab")+"%", 50)
	if !strings.Contains(plan, "Index Cond: ((check_id >= 'chk_priv_Ab'::text) AND (check_id < 'chk_priv_Ac'::text))") || sortsChecks(plan) {
		t.Errorf("completion: want a range of tracked_check_id_key in id order; plan:\n%s", plan)
	}
}

func TestPostgreSQLStatsReadTheirIndexes(t *testing.T) {
	pg := postgresStore(t)
	now, day := testNow.UnixNano(), int64(24*time.Hour)
	for _, tc := range []struct {
		name, query string
		args        []any
		indexes     []string
	}{
		{"the checks waiting now", waitingNowPG, []any{now}, []string{"checks_waiting"}},
		{"each day's arrivals and decisions", backlogDaysPG, []any{now - 30*day, day, BacklogDays, now}, []string{"checks_reviewable"}},
		{"the weeks' decisions", weeksPG, []any{weekOf(testNow) - 4, weekOf(testNow)}, []string{"checks_waits"}},
		{"a week's median wait", "SELECT waited " + inWeeksPG + "= ? ORDER BY waited LIMIT 1 OFFSET ?", []any{weekOf(testNow), 3}, []string{"checks_waits"}},
		{"the reason codes", reasonCodesPG, []any{now - 30*day, now, TopReasonCodes}, []string{"checks_reviewable"}},
		{"the outcomes by confidence", outcomesPG, []any{now - 30*day, now}, []string{"checks_outcomes"}},
	} {
		plan := explainPG(t, pg, "enable_seqscan, enable_bitmapscan", tc.query, tc.args...)
		if strings.Contains(plan, "Seq Scan on checks") {
			t.Errorf("%s: reads the whole table; plan:\n%s", tc.name, plan)
		}
		for _, index := range tc.indexes {
			if !strings.Contains(plan, "using "+index+" on checks") {
				t.Errorf("%s: want a range of %s; plan:\n%s", tc.name, index, plan)
			}
		}
	}
}

// postgresStore is a new store on PostgreSQL, whichever backend the run
// is on.
func postgresStore(t *testing.T) *Store {
	t.Helper()
	skipShort(t)
	return openAt(t, pgtest.URL(t), &clock{t: testNow})
}

// explainPG is PostgreSQL's plan of query with the planner's settings
// named in off (such as "enable_seqscan, enable_sort") turned off.
func explainPG(t *testing.T, s *Store, off, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, setting := range strings.Split(off, ", ") {
		if _, err := conn.ExecContext(ctx, "SET "+setting+" = off"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "RESET "+setting)
	}
	rows, err := conn.QueryContext(ctx, "EXPLAIN (COSTS OFF) "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// sortNode is a Sort step of a plan and, on the next line, its keys.
var sortNode = regexp.MustCompile(`(?m)^\s*(?:->\s+)?Sort\n\s*Sort Key: (.*)$`)

// sortsChecks reports whether the plan sorts checks rows: a Sort step
// whose keys are not only tracked's (the bare checks of the all queue,
// which Merge Append merges with the walk of checks).
func sortsChecks(plan string) bool {
	for _, m := range sortNode.FindAllStringSubmatch(plan, -1) {
		if !strings.Contains(m[1], "t.") {
			return true
		}
	}
	return false
}

// skipShort skips the tests that compare or explain the backends' reads
// under -short (the race run): they run in the full suite on both
// backends, and read from one goroutine, which the race detector has
// nothing to see in but slows fivefold.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("a read from one goroutine: runs in the full suite, not the race run (-short)")
	}
}

// A filter's plan on PostgreSQL is chosen in Go, by how many checks hold
// its trigrams (or ids): few are fetched as candidates, more walk the sort
// index, as do filters too short for a trigram. Both give the same page.
func TestPostgreSQLFiltersFetchFewMatchesAndWalkForMany(t *testing.T) {
	pg := postgresStore(t)
	ctx := context.Background()
	for i := range 5 {
		addFetched(t, pg, result{id: checkID(i + 1), customer: "cust-00421" + strconv.Itoa(i), first: "Ada", last: "Okafor", doc: "low", face: "low"})
	}
	addFetched(t, pg, result{id: checkID(9), customer: "cust-9", first: "Bo", last: "Young", doc: "low", face: "low"})
	old := ftsCap
	ftsCap = 2
	defer func() { ftsCap = old }()
	for _, tc := range []struct {
		filter     string
		candidates bool
	}{
		{"okafor", false},     // five matches: more than 2
		{"young", true},       // one
		{"cust-004213", true}, // one, found by its tail's trigrams
		{"cust-00421", false}, // five
		{"ok", false},         // no trigram: walked
		{"nobody", true},      // none
	} {
		for _, q := range []Queue{QueueAll, QueueNeedsReview} {
			pq := PageQuery{Queue: q, Filter: tc.filter}
			sel, err := pg.selectFor(ctx, pq, SortRisk, candidateLimit(pq, SortRisk))
			if err != nil {
				t.Fatal(err)
			}
			if sel.candidates != tc.candidates {
				t.Errorf("%s, filter %q: candidates %v, want %v", q, tc.filter, sel.candidates, tc.candidates)
			}
			rows, err := pg.Page(ctx, pq)
			if err != nil {
				t.Fatal(err)
			}
			ftsCap = 0
			walked, err := pg.Page(ctx, pq)
			ftsCap = 2
			if err != nil || !slices.Equal(ids(rows), ids(walked)) {
				t.Errorf("%s, filter %q: page %v, walked %v (%v)", q, tc.filter, ids(rows), ids(walked), err)
			}
		}
	}
}

func TestTrigramTailIsTheLastFiveLettersOrDigits(t *testing.T) {
	for _, tc := range []struct{ filter, want string }{
		{"son", "son"},
		{"okafor", "kafor"},
		{"cust-004217", "04217"},
		{"nobody-like-this", "nobody-like-this"}, // a dash among the last five
		{"müller", "müller"},                     // not ASCII: pg_trgm's words may differ
		{"ab_12345", "12345"},
	} {
		if got := trigramTail(tc.filter); got != tc.want {
			t.Errorf("trigramTail(%q) = %q, want %q", tc.filter, got, tc.want)
		}
	}
}

// A filter in 10 of the newest checks walks even when its candidates are
// few enough to fetch: counting them would read each one's row, and the
// walk fills a page soon (denseProbePG). Fewer than 10 are counted.
func TestPostgreSQLAFilterDenseAmongTheNewestChecksWalksWithoutCounting(t *testing.T) {
	pg := postgresStore(t)
	ctx := context.Background()
	for i := range 12 {
		last := "Okafor"
		if i >= 10 {
			last = "Mensah"
		}
		addFetched(t, pg, result{id: checkID(i + 1), customer: "cust-" + strconv.Itoa(i), first: "Ada", last: last, doc: "low", face: "low"})
	}
	for _, tc := range []struct {
		filter     string
		candidates bool
	}{
		{"okafor", false}, // in 10 of the 12 newest: dense
		{"mensah", true},  // in 2: counted, few
	} {
		pq := PageQuery{Queue: QueueNeedsReview, Filter: tc.filter}
		sel, err := pg.selectFor(ctx, pq, SortRisk, candidateLimit(pq, SortRisk))
		if err != nil {
			t.Fatal(err)
		}
		if sel.candidates != tc.candidates {
			t.Errorf("filter %q: candidates %v, want %v (12 checks, ftsCap %d)", tc.filter, sel.candidates, tc.candidates, ftsCap)
		}
	}
}
