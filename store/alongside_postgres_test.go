package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// On PostgreSQL the first results of a bulk batch are stored ahead of the
// rest, in parts committed side by side under the write lock taken shared
// (storeFirstResultsPG). These tests take every batch that way (a Store's
// alongside set to 1) and hold it to what one write each stores.

// takeFirstResultsAlongside wraps a scenario's open so that the store it
// returns stores every batch's first results in parts side by side.
func takeFirstResultsAlongside(open func(*testing.T) *Store) func(*testing.T) *Store {
	return func(t *testing.T) *Store {
		s := open(t)
		s.alongside = 1
		return s
	}
}

func TestPostgresFirstResultsStoredAlongsideLeaveWhatOneWriteEachWould(t *testing.T) {
	if !onPostgres {
		t.Skip("PostgreSQL only (CAISSON_TEST_BACKEND=postgres): SQLite has one writer")
	}
	for _, sc := range []struct {
		name     string
		scenario func(*testing.T) ([]FetchResult, func(*testing.T) *Store)
	}{
		{"one outcome of each kind", batchScenario},
		{"several outcomes for one check", severalOutcomesScenario},
	} {
		t.Run(sc.name, func(t *testing.T) {
			results, open := sc.scenario(t)
			one, batch, _ := recordBothWays(t, results, takeFirstResultsAlongside(open))
			if got, want := dump(t, batch), dump(t, one); !reflect.DeepEqual(got, want) {
				t.Errorf("the database after the batch differs from after one write each:\nbatch %q\n one  %q", got, want)
			}
			mustVerify(t, batch)
			assertCountsByDefinition(t, batch)
		})
	}
}

// Only a check's first outcome in the batch is taken ahead, and only when
// it is a result for a check that has none yet: an error, a later outcome
// and a check already fetched depend on what came before them.
func TestPostgresOnlyFirstResultsOfChecksOnlyAddedAreTakenAhead(t *testing.T) {
	if !onPostgres {
		t.Skip("PostgreSQL only (CAISSON_TEST_BACKEND=postgres): SQLite has one writer")
	}
	results, open := severalOutcomesScenario(t)
	s := takeFirstResultsAlongside(open)(t)
	ids := make([]string, len(results))
	for i, r := range results {
		ids[i] = r.CheckID
	}
	refused := func(i int) bool { return results[i].Err == caisson.ErrKeyRefused }
	early := make([]bool, len(results))
	if err := s.storeFirstResultsPG(context.Background(), ids, results, refused, early); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, ok := range early {
		if ok {
			got = append(got, fmt.Sprintf("%d %s", i, ids[i]))
		}
	}
	// checkID(3), 4, 5: first results; 7 and 8: the first of several; 11:
	// a first result. Not 6 (an error came first), 9 (an error), 10 (the
	// key refused), 77 (not tracked), 1, 2 and 12 to 16 (fetched before).
	var want []string
	for _, i := range []int{0, 1, 2, 7, 10, 16} {
		want = append(want, fmt.Sprintf("%d %s", i, ids[i]))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("taken ahead: %q, want %q", got, want)
	}
	rec, err := s.Get(context.Background(), checkID(7))
	if err != nil || rec.Outcome != OutcomeOK || rec.Result == nil || rec.Result.Confidence.Document != caisson.High {
		t.Errorf("%s after its first result was taken ahead: %+v, %v; want that result stored", checkID(7), rec, err)
	}
	assertCountsByDefinition(t, s)
}

// Two instances refreshing the same checks at once, each in bulk, store
// each check's first result once, and leave the counts exact: the parts
// of both run side by side, and a check the other stored first is left to
// the rest of the batch, which finds the same response.
func TestPostgresTwoInstancesStoringTheSameFirstResultsAtOnceStoreEachOnce(t *testing.T) {
	url, want := pgtest.URL(t), pgtest.URL(t)
	ctx := context.Background()
	a, b, ref := openPG(t, url), openPG(t, url), openPG(t, want)
	a.alongside, b.alongside = 1, 1
	const n = 300
	var results []FetchResult
	for i := 1; i <= n; i++ {
		doc := []string{"high", "medium", "low"}[i%3]
		for _, s := range []*Store{a, ref} {
			if _, err := s.Add(ctx, checkID(i), "ana", SourceTyped); err != nil {
				t.Fatal(err)
			}
		}
		chk := makeCheck(t, result{id: checkID(i), customer: fmt.Sprintf("cust-%d", i), first: "Ann", last: fmt.Sprintf("Name%d", i), doc: doc, face: "high"})
		results = append(results, FetchResult{CheckID: checkID(i), Check: chk, At: testNow})
	}
	if errs, err := ref.RecordFetches(ctx, results); err != nil || errs[0] != nil {
		t.Fatalf("the reference batch: %v, %v", errs, err)
	}
	var wg sync.WaitGroup
	for k, s := range []*Store{a, b} {
		batch := append([]FetchResult(nil), results...)
		rng := rand.New(rand.NewPCG(uint64(k), 7))
		rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs, err := s.RecordFetches(ctx, batch)
			if err != nil {
				t.Errorf("instance %d: %v", k, err)
				return
			}
			for i, e := range errs {
				if e != nil {
					t.Errorf("instance %d, %s: %v", k, batch[i].CheckID, e)
				}
			}
		}()
	}
	wg.Wait()
	if got, want := dump(t, a), dump(t, ref); !reflect.DeepEqual(got, want) {
		t.Errorf("after two instances stored the same results at once:\n got %q\nwant %q (one instance, once)", got, want)
	}
	assertCountsByDefinition(t, a)
	mustVerify(t, a)
}

// The parts of a bulk batch take the write lock shared: beside one
// another (another instance's parts, here one held by hand), never beside
// a write that takes it whole (a decision, here one held by hand), which
// in turn waits for them.
func TestPostgresFirstResultsTakenAheadShareTheWriteLockOnlyWithOneAnother(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (string, *Store, []FetchResult) {
		url := pgtest.URL(t)
		s := openPG(t, url)
		s.alongside = 1
		addFetched(t, s, result{id: checkID(1), customer: "cust-1", doc: "low", face: "high"})
		var results []FetchResult
		for i := 2; i <= 5; i++ {
			if _, err := s.Add(ctx, checkID(i), "ana", SourceTyped); err != nil {
				t.Fatal(err)
			}
			results = append(results, FetchResult{CheckID: checkID(i), At: testNow,
				Check: makeCheck(t, result{id: checkID(i), customer: fmt.Sprintf("cust-%d", i), doc: "medium", face: "high"})})
		}
		return url, s, results
	}
	record := func(s *Store, results []FetchResult) <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := s.RecordFetches(ctx, results)
			done <- err
		}()
		return done
	}
	stored := func(t *testing.T, url string) (n int) {
		t.Helper()
		if err := rawDB(t, url).QueryRow("SELECT count(*) FROM checks WHERE outcome = 'ok'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Run("beside another holding it shared", func(t *testing.T) {
		url, s, results := setup(t)
		other, err := rawDB(t, url).BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		if _, err := other.Exec("SELECT pg_advisory_xact_lock_shared($1)", writeLockKey); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-record(s, results):
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the first results waited while another held the write lock shared")
		}
		if n := stored(t, url); n != 5 {
			t.Errorf("%d checks with a result, want 5", n)
		}
		decided := make(chan error, 1)
		go func() {
			_, err := s.Decide(ctx, checkID(1), Approve, "", "ana")
			decided <- err
		}()
		select {
		case err := <-decided:
			t.Fatalf("a decision was made (%v) while another held the write lock shared", err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := other.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-decided; err != nil {
			t.Fatalf("the decision once the lock was released: %v", err)
		}
	})
	t.Run("not beside one holding it whole", func(t *testing.T) {
		url, s, results := setup(t)
		other := holdWriteLock(t, url)
		done := record(s, results)
		select {
		case err := <-done:
			t.Fatalf("the first results were recorded (%v) while another held the write lock", err)
		case <-time.After(300 * time.Millisecond):
		}
		if n := stored(t, url); n != 1 {
			t.Errorf("%d checks with a result while the lock was held, want only the one fetched before", n)
		}
		if err := other.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := stored(t, url); n != 5 {
			t.Errorf("%d checks with a result, want 5", n)
		}
	})
}
