package store

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// undatedFixture is a store whose risk order starts with checks that have
// no result (waiting at Caisson, at risk 0 and checked_on 0, with nothing
// to match but their id), then a result with a name but no date of its
// own (unknown document confidence, no checked_on from Caisson) in the
// same place, then dated results; and two checks only added. A walk in
// risk order that starts past the undated run must still find the named
// one and the ids.
func undatedFixture(t *testing.T) *Store {
	t.Helper()
	s, _ := newStore(t)
	ctx := context.Background()
	for i := 1; i <= 6; i++ {
		if _, err := s.Add(ctx, checkID(i), "tester", SourceTyped); err != nil {
			t.Fatal(err)
		}
		code := caisson.CodePendingReview
		if i%2 == 0 {
			code = caisson.CodeNotVerified
		}
		if err := s.RecordFetch(ctx, checkID(i), nil, &caisson.APIError{Code: code}, s.now()); err != nil {
			t.Fatal(err)
		}
	}
	chk := undated(t, result{id: checkID(7), customer: "c-7", first: "Zed", last: "Smith", doc: "", face: "high"})
	if _, err := s.Add(ctx, checkID(7), "tester", SourceTyped); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, checkID(7), chk, nil, s.now()); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return testNow.AddDate(0, 0, -d) }
	for _, r := range []result{
		{id: checkID(8), customer: "c-8", first: "Amy", last: "Smith", doc: "low", face: "high", checkedOn: day(2)},
		{id: checkID(9), customer: "c-9", first: "Bea", last: "Smithers", doc: "", face: "", checkedOn: day(3)},
		{id: checkID(10), customer: "c-10", first: "Cal", last: "Jones", doc: "medium", face: "high", checkedOn: day(1)},
		{id: checkID(13), customer: "c-13", first: "Dot", last: "Smith", doc: "high", face: "high", checkedOn: day(4)},
	} {
		addFetched(t, s, r)
	}
	if _, err := s.Decide(ctx, checkID(13), Approve, "", "rev"); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{11, 12} {
		if _, err := s.Add(ctx, checkID(i), "tester", SourceTyped); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// undated is makeCheck's answer as Caisson would send it without
// checked_on.
func undated(t *testing.T, r result) *caisson.Check {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(makeCheck(t, r).Raw, &body); err != nil {
		t.Fatal(err)
	}
	delete(body, "checked_on")
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	chk, err := caisson.DecodeCheck(raw)
	if err != nil || !chk.CheckedOn.IsZero() {
		t.Fatalf("an answer without checked_on decoded as %v, %v", chk, err)
	}
	return chk
}

// matchesByDefinition are the rows of q's whole queue, unfiltered and in
// its order, that the filter f matches by its definition: a name or the
// customer id holding it, or the check id starting with it.
func matchesByDefinition(t *testing.T, s *Store, q PageQuery, f string) []string {
	t.Helper()
	q.Filter, q.Offset, q.Limit = "", 0, 1000
	rows, err := s.Page(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range rows {
		text := strings.ToLower(r.CustomerID + " " + r.FirstName + " " + r.LastName)
		if strings.Contains(text, strings.ToLower(f)) || strings.HasPrefix(strings.TrimPrefix(r.CheckID, "chk_priv_"), f) {
			want = append(want, r.CheckID)
		}
	}
	return want
}

func TestAFilterInRiskOrderFindsTheChecksBeforeTheFirstDatedResult(t *testing.T) {
	s := undatedFixture(t)
	ctx := context.Background()
	// The undated named check comes first among the Smiths, before the
	// unknown-confidence Smithers checked three days ago, the low one and
	// the approved pass.
	if got, want := matchesByDefinition(t, s, PageQuery{Queue: QueueAll, Sort: SortRisk}, "smith"),
		[]string{checkID(7), checkID(9), checkID(8), checkID(13)}; !slices.Equal(got, want) {
		t.Fatalf("the fixture's Smiths in risk order are %v, expected %v", got, want)
	}
	assertRiskFiltersAsDefined(t, s)

	// The index of the named undated checks follows them as they change:
	// Zed Smith's check is answered with a date, Bea Smithers' without.
	day := func(d int) time.Time { return testNow.AddDate(0, 0, -d) }
	if err := s.RecordFetch(ctx, checkID(7), makeCheck(t, result{id: checkID(7), customer: "c-7", first: "Zed", last: "Smith", doc: "", face: "high", checkedOn: day(5)}), nil, s.now()); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, checkID(9), undated(t, result{id: checkID(9), customer: "c-9", first: "Bea", last: "Smithers", doc: "", face: ""}), nil, s.now()); err != nil {
		t.Fatal(err)
	}
	if got, want := matchesByDefinition(t, s, PageQuery{Queue: QueueAll, Sort: SortRisk}, "smith"),
		[]string{checkID(9), checkID(7), checkID(8), checkID(13)}; !slices.Equal(got, want) {
		t.Fatalf("after the new answers, the Smiths in risk order are %v, expected %v", got, want)
	}
	assertRiskFiltersAsDefined(t, s)
}

// assertRiskFiltersAsDefined holds every queue's pages in risk order,
// its count and Next, filtered by names and by ids, to the checks the
// filter matches by its definition, whether the filter's few candidates
// are fetched or the sort index is walked (ftsCap 0).
func assertRiskFiltersAsDefined(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for _, cap := range []int{ftsCap, 0} {
		old := ftsCap
		ftsCap = cap // 0: every filter walks the sort index
		for _, q := range Queues {
			// "sm" and "00" are too short for the trigram index: they walk.
			// "00" starts every id here; "0000000000000000000001" one
			// waiting check's; "000000000000000000001" a result's and the
			// two added.
			for _, f := range []string{"smith", "sm", "SMI", "00", "0000000000000000000001", "000000000000000000001", "zed", "nobody"} {
				pq := PageQuery{Queue: q, Sort: SortRisk, Filter: f}
				want := matchesByDefinition(t, s, pq, f)
				for offset := 0; offset <= len(want); offset++ {
					for _, limit := range []int{1, 2, 50} {
						pq.Offset, pq.Limit = offset, limit
						rows, err := s.Page(ctx, pq)
						if err != nil {
							t.Fatal(err)
						}
						if got := ids(rows); !slices.Equal(got, want[offset:min(offset+limit, len(want))]) {
							t.Errorf("ftsCap %d, %s, filter %q, rows %d+%d: %v, expected %v", cap, q, f, offset, limit, got, want[offset:min(offset+limit, len(want))])
						}
					}
				}
				pq.Offset, pq.Limit = 0, 0
				if n, err := s.Count(ctx, pq); err != nil || n != len(want) {
					t.Errorf("ftsCap %d, %s, filter %q: count %d, %v; expected %d", cap, q, f, n, err, len(want))
				}
				var walked []string
				for after := ""; ; {
					id, ok, err := s.Next(ctx, pq, after)
					if err != nil {
						t.Fatal(err)
					}
					if !ok {
						break
					}
					walked, after = append(walked, id), id
				}
				if !slices.Equal(walked, want) {
					t.Errorf("ftsCap %d, %s, filter %q: Next walks %v, expected %v", cap, q, f, walked, want)
				}
			}
		}
		ftsCap = old
	}
}

// The checks before the first dated result in risk order (waiting at
// Caisson, failed: no result) are skipped, not walked, by a filter that
// matches none of their ids: the walk of the queue's risk index seeks
// straight to (risk 0, checked_on 1). At a million checks that run was
// 30,000 entries read before the first name on every page of a filter
// keystroke (BenchmarkFilterKeystroke).
func TestAFilterWalkInRiskOrderSeeksPastTheChecksWithoutAResult(t *testing.T) {
	sqliteOnly(t, "SQLite's bytecode (EXPLAIN) of SQLite's walk")
	s := undatedFixture(t)
	ctx := context.Background()
	old := ftsCap
	ftsCap = 0
	defer func() { ftsCap = old }()
	for _, q := range []Queue{QueueAll, QueuePending, QueueNeedsReview, QueueApproved} {
		for _, f := range []string{"sm", "smith", "00"} {
			if f == "00" {
				ftsCap = old // twelve ids: few enough to be the lead
			}
			pq := PageQuery{Queue: q, Sort: SortRisk, Filter: f, Limit: 50}
			sel, err := s.selectFor(ctx, pq, SortRisk, candidateLimit(pq, SortRisk))
			ftsCap = 0
			if err != nil {
				t.Fatal(err)
			}
			query := sel.checksPageSQL(sortKeys[SortRisk])
			args := append(slices.Clone(sel.args), 50, 0)
			if plan := queryPlan(t, s, query, args...); !strings.Contains(plan, "INDEX "+walkIndex(q, SortRisk)) {
				t.Errorf("%s, filter %q: expected a walk of %s; plan:\n%s", q, f, walkIndex(q, SortRisk), plan)
			}
			if op, key := walkSeek(t, s, query, args...); !(op == "SeekGE" && slices.Equal(key, []int64{0, 1}) ||
				op == "SeekGT" && slices.Equal(key, []int64{0, 0})) {
				t.Errorf("%s, filter %q: the walk starts with %s %v, expected a seek past (risk 0, checked_on 0)", q, f, op, key)
			}
		}
	}
}

// walkSeek is the seek that starts query's index walk on the risk and
// checked_on columns, from SQLite's bytecode: the opcode, and the key it
// seeks to (the integers loaded into its registers).
func walkSeek(t *testing.T, s *Store, query string, args ...any) (string, []int64) {
	t.Helper()
	rows, err := s.db.Query("EXPLAIN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	type step struct {
		op         string
		p1, p2, p3 int64
		p4         string
	}
	var steps []step
	regs := map[int64]int64{}
	for rows.Next() {
		var addr, p5 int64
		var st step
		var p4, comment any
		if err := rows.Scan(&addr, &st.op, &st.p1, &st.p2, &st.p3, &p4, &p5, &comment); err != nil {
			t.Fatal(err)
		}
		st.p4 = toString(p4)
		if st.op == "Integer" {
			regs[st.p2] = st.p1
		}
		steps = append(steps, st)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		// A seek on n registers from p3; risk and checked_on are the last
		// two (the decided queues' index starts with status).
		if n, _ := strconv.ParseInt(st.p4, 10, 64); (st.op == "SeekGE" || st.op == "SeekGT") && n >= 2 {
			return st.op, []int64{regs[st.p3+n-2], regs[st.p3+n-1]}
		}
	}
	return "no seek on two columns", nil
}

func toString(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// A page and Next read while a refresh moves a check in and out of the
// lead (undated, then dated, again and again) each see one state of the
// store: the check is on the page once, and Next finds it first in
// either state. The lead and the walk are separate statements; read
// outside one snapshot, a page listed the check twice or not at all, and
// Next skipped it, within a few hundred reads. (Found by review.)
func TestAPageReadInPartsIsOneSnapshotWhileARefreshWrites(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		addFetched(t, s, result{id: checkID(i), customer: "c", first: "Amy", last: "Smith", doc: "low", face: "high"})
	}
	x := checkID(99)
	answers := []*caisson.Check{
		undated(t, result{id: x, customer: "c", first: "Zed", last: "Smith", doc: "", face: "high"}),
		makeCheck(t, result{id: x, customer: "c", first: "Zed", last: "Smith", doc: "", face: "high"}),
	}
	if _, err := s.Add(ctx, x, "tester", SourceTyped); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, x, answers[0], nil, s.now()); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	refreshed := make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				refreshed <- nil
				return
			default:
			}
			if err := s.RecordFetch(ctx, x, answers[i%2], nil, s.now()); err != nil {
				refreshed <- err
				return
			}
		}
	}()
	// x has an unknown confidence, so it comes first in either state:
	// undated in the lead, or dated at risk 0 ahead of the low ones.
	q := PageQuery{Queue: QueueNeedsReview, Sort: SortRisk, Filter: "sm", Limit: 50}
	reads := 1500
	if testing.Short() {
		reads = 300 // under -race; the reads outside a snapshot failed by the fiftieth
	}
	for read := 0; read < reads; read++ {
		rows, err := s.Page(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(rows); len(got) != 6 || got[0] != x || slices.Index(got[1:], x) >= 0 {
			t.Fatalf("read %d: the page is %v, expected %s first and once, then the five others", read, got, x)
		}
		id, ok, err := s.Next(ctx, q, "")
		if err != nil || !ok || id != x {
			t.Fatalf("read %d: Next from the start is %s, %v, %v; expected %s", read, id, ok, err, x)
		}
	}
	close(stop)
	if err := <-refreshed; err != nil {
		t.Fatal(err)
	}
}

// Many pages read in parts at once, on statements not yet prepared, all
// answer: each snapshot holds a pooled connection, and one that prepared
// a statement inside it waited for a second; as many as the pool has
// connections (four on SQLite) then waited for each other until their
// deadline. (Found by the SSH load test: twenty reviewers stalled 30 s.)
func TestPagesReadInPartsAtOnceDoNotWaitForEachOther(t *testing.T) {
	s := undatedFixture(t)
	const readers = 12
	start := make(chan struct{})
	errs := make(chan error, readers)
	for i := range readers {
		go func() {
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// Different texts, so that each reader prepares its own: a
			// queue, and a filter walked (short) or not.
			q := PageQuery{Queue: Queues[i%len(Queues)], Sort: SortRisk, Filter: []string{"sm", "00", "zed"}[i%3]}
			_, err := s.Page(ctx, q)
			if err == nil {
				_, _, err = s.Next(ctx, q, "")
			}
			errs <- err
		}()
	}
	close(start)
	for range readers {
		if err := <-errs; err != nil {
			t.Errorf("a page read alongside %d others: %v", readers-1, err)
		}
	}
}
