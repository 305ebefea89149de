package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// batchScenario is one of each kind of fetch outcome, on a database where
// checkID(1) (risky) has a proposal awaiting a second reviewer and
// checkID(2) passed: what RecordFetch and RecordFetches must treat alike.
func batchScenario(t *testing.T) (results []FetchResult, open func(t *testing.T) *Store) {
	chk := func(i int, doc string) *caisson.Check {
		return makeCheck(t, result{id: checkID(i), customer: fmt.Sprintf("cust-%d", i), doc: doc, face: "high"})
	}
	noRaw := chk(9, "high")
	noRaw.Raw = nil
	results = []FetchResult{
		{CheckID: checkID(1), Check: chk(1, "low")},                                     // a new response: voids the proposal
		{CheckID: checkID(2), Err: &caisson.APIError{Code: caisson.CodeIDCheckDeleted}}, // purges
		{CheckID: checkID(3), Check: chk(3, "medium")},                                  // a first result
		{CheckID: checkID(4), Err: &caisson.APIError{Code: caisson.CodePendingReview}},
		{CheckID: checkID(5), Err: errors.New("connection reset by peer")},
		{CheckID: checkID(6), Err: caisson.ErrKeyRefused},                       // stores nothing
		{CheckID: checkID(77), Check: chk(77, "high")},                          // not tracked: refused alone
		{CheckID: "not-an-id", Err: errors.New("whatever")},                     // refused alone
		{CheckID: checkID(9), Check: noRaw},                                     // refused alone
		{CheckID: checkID(7), Check: chk(1, "high")},                            // another check's response: refused alone
		{CheckID: "7", Err: &caisson.APIError{Code: caisson.CodeInternalError}}, // too short for an id: refused alone
	}
	for i := range results {
		results[i].At = testNow
	}
	open = func(t *testing.T) *Store {
		_, ana, bob := sharedFile(t, FourEyesRisky)
		for i := 3; i <= 9; i++ {
			if _, err := ana.Add(context.Background(), checkID(i), "ana", SourceTyped); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ana.DecideAs(context.Background(), DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"}); err != nil {
			t.Fatal(err)
		}
		return bob
	}
	return results, open
}

// dump is every row of checks, tracked, decisions, the counts and polls,
// as text.
func dump(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	for _, table := range []string{"checks", "tracked", "decisions", "queue_counts", "polls"} {
		rows, err := s.db.Query("SELECT * FROM " + table + " ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			// %q of an int64 is a character literal: every time in
			// nanoseconds would print as the same '\ufffd'.
			text := make([]string, len(vals))
			for i, v := range vals {
				switch v := v.(type) {
				case string, []byte:
					text[i] = fmt.Sprintf("%q", v)
				default:
					text[i] = fmt.Sprint(v)
				}
			}
			out = append(out, table+" "+strings.Join(text, " "))
		}
		rows.Close()
	}
	return out
}

func TestRecordFetchesFollowsRecordFetchsRulesForEachResult(t *testing.T) {
	results, open := batchScenario(t)
	ctx := context.Background()
	one, batch, errs := recordBothWays(t, results, open)
	if !errors.Is(errs[6], ErrNotFound) {
		t.Errorf("an untracked check: %v, want ErrNotFound", errs[6])
	}
	for _, w := range []struct {
		id       string
		outcome  FetchOutcome
		purged   bool
		proposal bool
	}{
		{checkID(1), OutcomeOK, false, false}, // the proposal voided
		{checkID(2), FetchOutcome(caisson.CodeIDCheckDeleted), true, false},
		{checkID(3), OutcomeOK, false, false},
		{checkID(4), FetchOutcome(caisson.CodePendingReview), false, false},
		{checkID(5), OutcomeTransport, false, false},
		{checkID(6), OutcomeNone, false, false}, // the refused key stored nothing
		{checkID(7), OutcomeNone, false, false}, // another check's response, a short id: refused
	} {
		rec, err := batch.Get(ctx, w.id)
		if err != nil || rec.Outcome != w.outcome || rec.Purged != w.purged || (rec.Proposal != nil) != w.proposal {
			t.Errorf("%s after the batch: %+v, %v; want outcome %q, purged %v, proposal %v", w.id, rec, err, w.outcome, w.purged, w.proposal)
		}
	}
	if got, want := dump(t, batch), dump(t, one); !reflect.DeepEqual(got, want) {
		t.Errorf("the database after one batch differs from after one write each:\nbatch %q\n one  %q", got, want)
	}
	mustVerify(t, batch)
	assertCountsByDefinition(t, batch)
}

func TestFetchWriterReportsEachResultOnlyOnceItIsOnDisk(t *testing.T) {
	path := testLocation(t)
	s := openAt(t, path, &clock{t: testNow})
	ctx := context.Background()
	const n = 300
	var in []string
	for i := 1; i <= n; i++ {
		in = append(in, checkID(i))
	}
	if _, err := s.AddMany(ctx, in, "t", SourceImported); err != nil {
		t.Fatal(err)
	}
	w := s.NewFetchWriter(FetchWriterOptions{MaxBatch: 16})
	reader := openAt(t, path, &clock{t: testNow}) // another handle, as another process reads
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 1 + g; i <= n; i += 8 {
				r := FetchResult{CheckID: checkID(i), Check: makeCheck(t, result{id: checkID(i), customer: "c", doc: "high", face: "low"}), At: testNow}
				if i%10 == 0 {
					r = FetchResult{CheckID: checkID(i), Err: &caisson.APIError{Code: caisson.CodeNotVerified}, At: testNow}
				}
				if err := w.Record(r); err != nil {
					errs <- err
					continue
				}
				rec, err := reader.Get(ctx, checkID(i))
				if err != nil || rec.Outcome == "" {
					errs <- fmt.Errorf("%s reported stored, but another handle reads %+v, %v", checkID(i), rec, err)
				}
			}
		})
	}
	wg.Wait()
	w.Close()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	w.Submit(FetchResult{CheckID: checkID(1), Err: errors.New("late"), At: testNow}, func(err error) {
		if !errors.Is(err, ErrWriterClosed) {
			t.Errorf("a result after Close: %v, want ErrWriterClosed", err)
		}
	})
	assertCountsByDefinition(t, s)
}

func TestFetchWriterCloseCommitsWhatWasHandedOver(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.AddMany(ctx, []string{checkID(1), checkID(2), checkID(3)}, "t", SourceImported); err != nil {
		t.Fatal(err)
	}
	w := s.NewFetchWriter(FetchWriterOptions{MaxDelay: 50_000_000_000}) // would wait 50 s for a full batch
	var mu sync.Mutex
	var outcomes []error
	for i := 1; i <= 3; i++ {
		w.Submit(FetchResult{CheckID: checkID(i), Err: &caisson.APIError{Code: caisson.CodePendingReview}, At: testNow}, func(err error) {
			mu.Lock()
			outcomes = append(outcomes, err)
			mu.Unlock()
		})
	}
	w.Close()
	if len(outcomes) != 3 || outcomes[0] != nil || outcomes[1] != nil || outcomes[2] != nil {
		t.Fatalf("outcomes after Close: %v, want three stored", outcomes)
	}
	if n, _ := s.Count(ctx, PageQuery{Queue: QueuePending}); n != 3 {
		t.Errorf("pending holds %d, want the 3 committed by Close", n)
	}
}

// The child of TestAKilledRefreshLosesNoResultItReported: it records
// results through a FetchWriter from 16 goroutines and prints each check
// id once its batch is reported stored, until it is killed.
func TestFetchWriterHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "fetchwriter" {
		t.Skip("only runs as a child of TestAKilledRefreshLosesNoResultItReported")
	}
	s, err := Open(context.Background(), os.Getenv(helperDB), WithClock((&clock{t: testNow}).Now))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	n, _ := strconv.Atoi(os.Getenv(helperCount))
	w := s.NewFetchWriter(FetchWriterOptions{MaxBatch: 64})
	var out sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Go(func() {
			for i := 1 + g; i <= n; i += 16 {
				id := checkID(i)
				chk := makeCheck(t, result{id: id, customer: "cust-" + id, first: "Ann", last: "Lee", doc: "low", face: "high"})
				if err := w.Record(FetchResult{CheckID: id, Check: chk, At: testNow}); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				out.Lock()
				fmt.Println(id)
				out.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}

func TestAKilledRefreshLosesNoResultItReported(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 20,000 checks and runs a child process")
	}
	const n = 20_000
	path := testLocation(t)
	s := openAt(t, path, &clock{t: testNow})
	var in []string
	for i := 1; i <= n; i++ {
		in = append(in, checkID(i))
	}
	if _, err := s.AddMany(context.Background(), in, "t", SourceImported); err != nil {
		t.Fatal(err)
	}
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestFetchWriterHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=fetchwriter", helperDB+"="+path, helperCount+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	var reported []string
	for lines.Scan() {
		reported = append(reported, lines.Text())
		if len(reported) == 1000 {
			// In the middle of the stream, with batches in flight.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the child finished before it was killed")
	}

	s = openAt(t, path, &clock{t: testNow})
	ctx := context.Background()
	for _, id := range reported {
		rec, err := s.Get(ctx, id)
		if err != nil || rec.Outcome != OutcomeOK || rec.Result == nil {
			t.Errorf("%s was reported stored but reads %+v, %v", id, rec, err)
		}
	}
	// Nothing half-written: every row is a whole result or untouched.
	var half int
	err = s.db.QueryRow(`SELECT count(*) FROM checks WHERE NOT (
		(outcome = 'ok' AND cached = 1 AND raw IS NOT NULL AND search <> '' AND document = 1)
		OR (outcome = '' AND raw IS NULL AND search = ''))`).Scan(&half)
	if err != nil || half != 0 {
		t.Errorf("%d rows half-written (%v)", half, err)
	}
	if !onPostgres { // PostgreSQL has no integrity_check; its WAL replays whole transactions
		var integrity string
		if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
			t.Errorf("integrity_check: %s, %v", integrity, err)
		}
	}
	assertCountsByDefinition(t, s)
	var stored int
	_ = s.db.QueryRow("SELECT count(*) FROM checks WHERE outcome = 'ok'").Scan(&stored)
	t.Logf("%d results reported stored before the kill took effect, %d on disk", len(reported), stored)
}

// A batch may hold two fetches of one check (a refresh and the console's
// r at once): the trigram index then holds the names of the last, as if
// each had been its own transaction.
func TestTwoResultsForOneCheckInABatchLeaveTheSearchIndexExact(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.AddMany(ctx, []string{checkID(1), checkID(2)}, "t", SourceImported); err != nil {
		t.Fatal(err)
	}
	first := makeCheck(t, result{id: checkID(1), customer: "c1", first: "Ann", last: "Okafor", doc: "low", face: "high"})
	second := makeCheck(t, result{id: checkID(1), customer: "c1", first: "Ann", last: "Haddad", doc: "low", face: "high"})
	other := makeCheck(t, result{id: checkID(2), customer: "c2", first: "Bo", last: "Okafor", doc: "low", face: "high"})
	errs, err := s.RecordFetches(ctx, []FetchResult{
		{CheckID: checkID(1), Check: first, At: testNow},
		{CheckID: checkID(2), Check: other, At: testNow},
		{CheckID: checkID(1), Check: second, At: testNow},
	})
	if err != nil || errs[0] != nil || errs[1] != nil || errs[2] != nil {
		t.Fatalf("RecordFetches: %v, %v", errs, err)
	}
	for filter, want := range map[string][]string{"okafor": {checkID(2)}, "haddad": {checkID(1)}} {
		rows, err := s.Page(ctx, PageQuery{Queue: QueueAll, Filter: filter})
		if err != nil || !reflect.DeepEqual(ids(rows), want) {
			t.Errorf("filter %q: %v, %v; want %v", filter, ids(rows), err, want)
		}
	}
	// SQLite's FTS table can disagree with checks; PostgreSQL's trigram
	// index is an index of checks.search, which cannot.
	if !onPostgres {
		if _, err := s.db.Exec("INSERT INTO checks_search (checks_search, rank) VALUES ('integrity-check', 0)"); err != nil {
			t.Errorf("the trigram index does not match the table: %v", err)
		}
	}
}

// A check's first result is stored in one insert (firstResultTx): the
// row, the counts and the search index are what making the row empty and
// then caching the result, the way before, leaves.
func TestAFirstResultIsStoredAsMakingTheRowThenCachingItWould(t *testing.T) {
	ctx := context.Background()
	chk := makeCheck(t, result{id: checkID(1), customer: "c1", first: "Ann", last: "Okafor", doc: "high", face: "high",
		expires: testNow.AddDate(0, 0, -3).Format("2006-01-02"), reasons: []int{201}})
	stores := make([]*Store, 2)
	for i := range stores {
		stores[i], _ = newStore(t)
		if _, err := stores[i].Add(ctx, checkID(1), "t", SourceTyped); err != nil {
			t.Fatal(err)
		}
	}
	err := stores[0].write(ctx, "the way before", func(tx *sqlTx) error {
		if err := checkRowTx(ctx, tx, checkID(1)); err != nil {
			return err
		}
		return cacheResultTx(ctx, tx, checkID(1), chk, testNow)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := stores[1].RecordFetch(ctx, checkID(1), chk, nil, testNow); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(t, stores[1]), dump(t, stores[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("first result in one insert:\n%q\nmade then cached:\n%q", got, want)
	}
	for _, s := range stores {
		rows, err := s.Page(ctx, PageQuery{Queue: QueueNeedsReview, Filter: "okafor"})
		if err != nil || len(rows) != 1 {
			t.Errorf("the filter finds %v, %v; want the check", ids(rows), err)
		}
	}
}

// A refresh bringing the response already cached writes only the fetch
// times (sameResultTx): the database is what caching it again whole
// leaves.
func TestTheSameResponseFetchedAgainIsStoredAsCachingItWholeWould(t *testing.T) {
	ctx := context.Background()
	chk := makeCheck(t, result{id: checkID(1), customer: "c1", first: "Ann", last: "Okafor", doc: "low", face: "high"})
	later := testNow.Add(time.Hour)
	stores := make([]*Store, 2)
	for i := range stores {
		stores[i], _ = newStore(t)
		addFetched(t, stores[i], result{id: checkID(1), customer: "c1", first: "Ann", last: "Okafor", doc: "low", face: "high"})
	}
	err := stores[0].write(ctx, "whole", func(tx *sqlTx) error { return cacheResultTx(ctx, tx, checkID(1), chk, later) })
	if err != nil {
		t.Fatal(err)
	}
	if err := stores[1].RecordFetch(ctx, checkID(1), chk, nil, later); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(t, stores[1]), dump(t, stores[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("the same response again:\n%q\ncached whole:\n%q", got, want)
	}
}

// A batch holding several outcomes for one check, in an order where each
// depends on the one before, and every kind of result: on PostgreSQL the
// first results and unchanged responses go in one statement ahead of the
// rest, which must leave the database as recording each alone, in order,
// does.
func TestABatchWithSeveralOutcomesForOneCheckIsStoredAsOneWriteEachInOrderWould(t *testing.T) {
	ctx := context.Background()
	results, open := severalOutcomesScenario(t)
	one, batch, errs := recordBothWays(t, results, open)
	for _, i := range []int{14, 23} {
		if !errors.Is(errs[i], ErrNotFound) {
			t.Errorf("an untracked check (result %d): %v, want ErrNotFound", i, errs[i])
		}
	}
	if got, want := dump(t, batch), dump(t, one); !reflect.DeepEqual(got, want) {
		t.Errorf("the database after one batch differs from after one write each:\nbatch %q\n one  %q", got, want)
	}
	if rec, err := batch.Get(ctx, checkID(1)); err != nil || rec.Proposal != nil || rec.Decisions[len(rec.Decisions)-1].Action != Void {
		t.Errorf("%s after a changed response: %+v, %v; want its proposal voided", checkID(1), rec, err)
	}
	mustVerify(t, batch)
	assertCountsByDefinition(t, batch)
}

// SQLite stores a batch's first results firstResultsChunk to a statement
// (firstResultsTx): a batch of several statements' worth, the last one
// padded, offered in no order, with checks that have more than one
// outcome, an error before a result, and checks that have a result
// already, leaves what one write each leaves, the trigram index too.
func TestFirstResultsOfManyStatementsAreStoredAsOneWriteEachWould(t *testing.T) {
	ctx := context.Background()
	const n = 2*firstResultsChunk + 7
	chk := func(i int, doc string) *caisson.Check {
		return makeCheck(t, result{id: checkID(i), customer: fmt.Sprintf("cust-%d", i), first: "Ann",
			last: fmt.Sprintf("Surname%03dx", i), doc: doc, face: "high"})
	}
	var results []FetchResult
	for k := range n {
		i := 1 + (k*37)%n // every check once, not in id order
		results = append(results, FetchResult{CheckID: checkID(i), Check: chk(i, []string{"low", "medium", "high"}[i%3])})
	}
	results = append(results,
		FetchResult{CheckID: checkID(5), Err: &caisson.APIError{Code: caisson.CodeNotVerified}}, // after its first result
		FetchResult{CheckID: checkID(6), Check: chk(6, "low")},                                  // changed after its first
		FetchResult{CheckID: checkID(n + 1), Err: errors.New("timeout")},                        // an error, then
		FetchResult{CheckID: checkID(n + 1), Check: chk(n+1, "low")},                            // its first result
		FetchResult{CheckID: checkID(n + 2), Check: chk(n+2, "high")},                           // cached already: the same again
		FetchResult{CheckID: checkID(n + 3), Check: chk(n+3, "low")},                            // cached already: changed
		FetchResult{CheckID: checkID(n + 9), Check: chk(n+9, "low")},                            // not tracked
	)
	for i := range results {
		results[i].At = testNow
	}
	open := func(t *testing.T) *Store {
		s, _ := newStore(t)
		var added []string
		for i := 1; i <= n+3; i++ {
			added = append(added, checkID(i))
		}
		if _, err := s.AddMany(ctx, added, "t", SourceImported); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{n + 2, n + 3} {
			if err := s.RecordFetch(ctx, checkID(i), chk(i, "high"), nil, testNow.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	one, batch, errs := recordBothWays(t, results, open)
	if !errors.Is(errs[len(errs)-1], ErrNotFound) {
		t.Errorf("an untracked check: %v, want ErrNotFound", errs[len(errs)-1])
	}
	if got, want := dump(t, batch), dump(t, one); !reflect.DeepEqual(got, want) {
		t.Errorf("the database after one batch differs from after one write each:\nbatch %q\n one  %q", got, want)
	}
	for _, i := range []int{1, firstResultsChunk + 1, n} {
		filter := fmt.Sprintf("surname%03dx", i)
		rows, err := batch.Page(ctx, PageQuery{Queue: QueueAll, Filter: filter})
		if err != nil || len(rows) == 0 || rows[0].CheckID != checkID(i) {
			t.Errorf("filter %q: %v, %v; want %s first", filter, ids(rows), err, checkID(i))
		}
	}
	if !onPostgres {
		if _, err := batch.db.Exec("INSERT INTO checks_search (checks_search, rank) VALUES ('integrity-check', 0)"); err != nil {
			t.Errorf("the trigram index does not match the table: %v", err)
		}
	}
	mustVerify(t, batch)
	assertCountsByDefinition(t, batch)
}

// severalOutcomesScenario is a batch with several outcomes for some
// checks, of every kind, on a database with checks only added, cached,
// purged, failed since, deleted at Caisson and with a proposal.
func severalOutcomesScenario(t *testing.T) (results []FetchResult, open func(t *testing.T) *Store) {
	ctx := context.Background()
	later := testNow.Add(time.Hour)
	expired := testNow.AddDate(0, 0, -3).Format("2006-01-02")
	chk := func(i int, doc, expires string) *caisson.Check {
		return makeCheck(t, result{id: checkID(i), customer: fmt.Sprintf("cust-%d", i), first: "Ann",
			last: fmt.Sprintf("Name%d", i), doc: doc, face: "high", expires: expires})
	}
	// What sharedFile and open below cache, byte for byte.
	cached := map[int]*caisson.Check{
		1: makeCheck(t, result{id: checkID(1), customer: "cust-1", doc: "medium", face: "high", reasons: []int{201}}),
		2: makeCheck(t, result{id: checkID(2), customer: "cust-2", doc: "high", face: "high"}),
	}
	for i := 12; i <= 15; i++ {
		cached[i] = chk(i, "high", "")
	}
	cached[16] = chk(16, "low", "")
	pending := &caisson.APIError{Code: caisson.CodePendingReview}
	results = []FetchResult{
		{CheckID: checkID(3), Check: chk(3, "low", "")},                                 // first results: needs review,
		{CheckID: checkID(4), Check: chk(4, "high", expired)},                           // expired,
		{CheckID: checkID(5), Check: chk(5, "high", "")},                                // passed
		{CheckID: checkID(2), Check: cached[2]},                                         // the response cached, again
		{CheckID: checkID(1), Check: cached[1]},                                         // again, with a proposal: kept
		{CheckID: checkID(6), Err: pending},                                             // an error, then
		{CheckID: checkID(6), Check: chk(6, "medium", "")},                              // a result for the row it made
		{CheckID: checkID(7), Check: chk(7, "high", "")},                                // first,
		{CheckID: checkID(7), Check: chk(7, "high", "")},                                // the same again,
		{CheckID: checkID(7), Check: chk(7, "low", "")},                                 // changed
		{CheckID: checkID(8), Check: chk(8, "low", "")},                                 // first, then
		{CheckID: checkID(8), Err: &caisson.APIError{Code: caisson.CodeIDCheckDeleted}}, // purged
		{CheckID: checkID(2), Check: chk(2, "low", "")},                                 // changed after the same
		{CheckID: checkID(9), Err: errors.New("connection reset by peer")},
		{CheckID: checkID(77), Check: chk(77, "high", "")}, // not tracked
		{CheckID: checkID(10), Err: caisson.ErrKeyRefused}, // stores nothing
		{CheckID: checkID(11), Check: chk(11, "medium", ""), At: later.Add(time.Minute)},
		{CheckID: checkID(1), Check: chk(1, "low", "")},                               // changed: voids the proposal
		{CheckID: checkID(12), Check: chk(12, "low", "")},                             // changed, first in the batch
		{CheckID: checkID(13), Check: cached[13]},                                     // purged for its age: the response again is cached whole,
		{CheckID: checkID(14), Check: cached[14]},                                     // a failed fetch since: cached whole,
		{CheckID: checkID(15), Check: cached[15]},                                     // deleted at Caisson since: cached whole
		{CheckID: checkID(16), Err: &caisson.APIError{Code: caisson.CodeNotVerified}}, // waiting for a review: its wait ends
		{CheckID: checkID(78), Err: errors.New("timeout")},                            // not tracked
		{CheckID: checkID(3), Err: &caisson.APIError{Code: caisson.CodeNotVerified}},  // after its first result
	}
	for i := range results {
		if results[i].At.IsZero() {
			results[i].At = later
		}
	}
	open = func(t *testing.T) *Store {
		_, ana, bob := sharedFile(t, FourEyesRisky)
		if _, err := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"}); err != nil {
			t.Fatal(err)
		}
		for i := 3; i <= 11; i++ {
			if _, err := ana.Add(ctx, checkID(i), "ana", SourceTyped); err != nil {
				t.Fatal(err)
			}
		}
		for i := 12; i <= 16; i++ {
			if _, err := ana.Add(ctx, checkID(i), "ana", SourceTyped); err != nil {
				t.Fatal(err)
			}
			at := testNow
			if i == 13 {
				at = testNow.Add(-48 * time.Hour) // the one Purge below takes
			}
			if err := ana.RecordFetch(ctx, checkID(i), cached[i], nil, at); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := ana.Purge(ctx, 24*time.Hour, testNow); err != nil || n != 1 {
			t.Fatalf("Purge: %d, %v; want the one check fetched two days before", n, err)
		}
		for i, err := range map[int]error{14: errors.New("timeout"), 15: &caisson.APIError{Code: caisson.CodeIDCheckDeleted}} {
			if err := ana.RecordFetch(ctx, checkID(i), nil, err, testNow); err != nil {
				t.Fatal(err)
			}
		}
		return bob
	}
	return results, open
}

// A result the database refuses is that result's error only: the rest of
// its batch is stored, as each alone would be. PostgreSQL's text must be
// UTF-8, so a customer id that is not is refused there (SQLite stores it;
// the decoder never makes one, and a NUL, which PostgreSQL refused too,
// is now stored as U+FFFD: storable); the batch's one statement fails
// with it, and the batch is then recorded a result at a time.
func TestAResultTheDatabaseRefusesCostsTheRestOfTheBatchNothing(t *testing.T) {
	ctx := context.Background()
	var results []FetchResult
	for i := 1; i <= 4; i++ {
		chk := makeCheck(t, result{id: checkID(i), customer: fmt.Sprintf("cust-%d", i), last: "Okafor", doc: "low", face: "high"})
		if i == 2 {
			// Set after decoding: JSON would have made it valid.
			chk.CustomerID = "cust\xff2"
		}
		results = append(results, FetchResult{CheckID: checkID(i), At: testNow, Check: chk})
	}
	open := func(t *testing.T) *Store {
		s, _ := newStore(t)
		if _, err := s.AddMany(ctx, []string{checkID(1), checkID(2), checkID(3), checkID(4)}, "t", SourceImported); err != nil {
			t.Fatal(err)
		}
		return s
	}
	one := open(t)
	var oneErrs []error
	for _, r := range results {
		oneErrs = append(oneErrs, one.RecordFetch(ctx, r.CheckID, r.Check, r.Err, r.At))
	}
	if onPostgres && oneErrs[1] == nil {
		t.Fatalf("PostgreSQL stored a customer id that is not UTF-8: the test needs another result it refuses")
	}
	batch := open(t)
	errs, err := batch.RecordFetches(ctx, results)
	if err != nil {
		t.Fatal(err)
	}
	for i := range results {
		if (errs[i] == nil) != (oneErrs[i] == nil) || (i != 1 && errs[i] != nil) {
			t.Errorf("result %d: RecordFetches says %v, RecordFetch %v", i, errs[i], oneErrs[i])
		}
	}
	if got, want := dump(t, batch), dump(t, one); !reflect.DeepEqual(got, want) {
		t.Errorf("the database after the batch differs from after one write each:\nbatch %q\n one  %q", got, want)
	}
	assertCountsByDefinition(t, batch)
}

// A refresh of every check reads them in one walk: each tracked check
// once, in the order added, with its last outcome (none when never
// fetched) and whether its personal data was purged, whether or not it
// has a row in checks.
func TestEachTrackedGivesEveryCheckOnceInTheOrderAddedWithItsOutcome(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	ids := []string{checkID(3), checkID(1), checkID(2), checkID(4)}
	for _, id := range ids {
		if _, err := s.Add(ctx, id, "ana", SourceTyped); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordFetch(ctx, checkID(1), makeCheck(t, result{id: checkID(1), doc: "high", face: "high"}), nil, testNow); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, checkID(2), nil, &caisson.APIError{Code: caisson.CodeIDCheckDeleted}, testNow); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, checkID(4), makeCheck(t, result{id: checkID(4), doc: "low", face: "high"}), nil, testNow.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(ctx, 24*time.Hour, clk.Now()); err != nil || n != 1 {
		t.Fatalf("Purge: %d, %v; want the one result of two days ago", n, err)
	}
	var got []string
	if err := s.EachTracked(ctx, func(id string, o FetchOutcome, purged bool) error {
		got = append(got, fmt.Sprintf("%s %s %v", id, o, purged))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{checkID(3) + "  false", checkID(1) + " ok false", checkID(2) + " " + string(caisson.CodeIDCheckDeleted) + " true", checkID(4) + " ok true"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// recordBothWays records results into a store made by open one result at
// a time (RecordFetch), and into another in one batch (RecordFetches),
// and holds each result's error in the batch to the one it had alone.
func recordBothWays(t *testing.T, results []FetchResult, open func(*testing.T) *Store) (one, batch *Store, errs []error) {
	t.Helper()
	ctx := context.Background()
	one = open(t)
	var oneErrs []error
	for _, r := range results {
		oneErrs = append(oneErrs, one.RecordFetch(ctx, r.CheckID, r.Check, r.Err, r.At))
	}
	batch = open(t)
	errs, err := batch.RecordFetches(ctx, results)
	if err != nil {
		t.Fatal(err)
	}
	for i := range results {
		if fmt.Sprint(errs[i]) != fmt.Sprint(oneErrs[i]) {
			t.Errorf("result %d (%s): RecordFetches says %v, RecordFetch %v", i, results[i].CheckID, errs[i], oneErrs[i])
		}
	}
	return one, batch, errs
}

// A batch's names go into SQLite's trigram index in one ordered insert
// however many failed fetches come between its results: indexing what
// was queued at every failed fetch, as the store once did, cut it into
// one insert per failure, each a new segment of the index that FTS5 then
// merges (most of a first refresh's time in the index).
func TestFailedFetchesDoNotCutABatchsNamesIntoSegments(t *testing.T) {
	if onPostgres {
		t.Skip("PostgreSQL's trigram index is kept by the server")
	}
	segments := func(withErrors bool) int {
		s, _ := newStore(t)
		ctx := context.Background()
		var ids []string
		for i := 1; i <= 400; i++ {
			ids = append(ids, checkID(i))
		}
		if _, err := s.AddMany(ctx, ids, "t", SourceImported); err != nil {
			t.Fatal(err)
		}
		var batch []FetchResult
		// Newest first, so that each result's row comes below the one
		// before in the index, as fetches finishing out of order do.
		for i := 400; i >= 1; i-- {
			if i%2 == 1 {
				if withErrors {
					batch = append(batch, FetchResult{CheckID: checkID(i), Err: &caisson.APIError{Code: caisson.CodePendingReview}, At: testNow})
				}
				continue
			}
			batch = append(batch, FetchResult{CheckID: checkID(i), At: testNow,
				Check: makeCheck(t, result{id: checkID(i), customer: fmt.Sprint("c", i), first: "Ann", last: fmt.Sprint("Okafor", i), doc: "low", face: "high"})})
		}
		if errs, err := s.RecordFetches(ctx, batch); err != nil {
			t.Fatal(err)
		} else {
			for i, e := range errs {
				if e != nil {
					t.Fatalf("result %d: %v", i, e)
				}
			}
		}
		var n int
		if err := s.db.QueryRow("SELECT count(*) FROM checks_search_data").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	without, with := segments(false), segments(true)
	if with > without {
		t.Errorf("the trigram index has %d records after a batch with failed fetches, %d after the same results alone: want no more", with, without)
	}
}

// A refused batch says how many outcomes it was recording, in words a
// front end prints as they are ("recording 1 fetched checks" before).
func TestARefusedBatchCountsItsOutcomesInWords(t *testing.T) {
	s := openAt(t, testLocation(t), &clock{t: testNow})
	if _, err := s.AddMany(context.Background(), []string{checkID(1), checkID(2)}, "t", SourceImported); err != nil {
		t.Fatal(err)
	}
	// Interrupted: one of the faults that stop the batch whole.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for n, want := range map[int]string{1: "recording 1 fetched check: ", 2: "recording 2 fetched checks: "} {
		var results []FetchResult
		for i := 1; i <= n; i++ {
			results = append(results, FetchResult{CheckID: checkID(i), Check: makeCheck(t, result{id: checkID(i), doc: "high", face: "high"}), At: testNow})
		}
		_, err := s.RecordFetches(ctx, results)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("a refused batch of %d: %v, want it to start %q", n, err, want)
		}
	}
}
