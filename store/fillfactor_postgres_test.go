package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// A nightly refresh finds most responses unchanged and only sets their
// fetch times (fetched_at, result_at: in no index). On PostgreSQL that
// update must be HOT: the row's new version goes on its own page and no
// index gains an entry (migration postgres/0005 leaves each page of
// checks half free for it). Every row of a page is updated in one
// transaction, the way a batch of a refresh does, before any old version
// can be pruned: the worst case. Without the room, each update wrote an
// entry in each of the 39 indexes of checks.
func TestPostgresTheSameResultsAgainUpdateEachRowOfChecksInPlace(t *testing.T) {
	s := openPG(t, pgtest.URL(t))
	if opts := checksOptions(t, s); !slices.Contains(opts, "fillfactor=50") {
		t.Errorf("checks' options are %q, expected fillfactor=50 among them", opts)
	}

	results := sameChecks(t, s, refreshed)
	for pass, what := range []string{"the first results", "the same results again"} {
		recordAll(t, s, results, what)
		if pass == 0 {
			continue
		}
		// The first results are inserts: every update is the second pass's.
		upd, hot := checksUpdates(t, s, refreshed)
		if upd != refreshed || hot != refreshed {
			t.Errorf("%s: %d updates of checks, %d of them HOT; expected %d, all HOT", what, upd, hot, refreshed)
		}
	}
}

// Rows stored before the upgrade to version 5 sit on full pages: the
// first refresh after it moves each to a page filled half full, as
// before (not HOT), and from the next every update of the fetch times is
// HOT, with no rewrite of the table. VACUUM FULL gives every row its room
// at once.
func TestPostgresRowsStoredBeforeTheFillfactorGainRoomAtTheirFirstUpdate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite string
		hot     [][2]int64 // of each refresh's updates, at least and at most
	}{
		// The first: only rows on the last page, which was not full.
		{"left as it is", "", [][2]int64{{0, refreshed / 10}, {refreshed, refreshed}}},
		{"rewritten by VACUUM FULL", "VACUUM FULL checks", [][2]int64{{refreshed, refreshed}, {refreshed, refreshed}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // most of each is waiting for the server's statistics
			s := openPG(t, pgtest.URL(t))
			// As version 4 stored them: full pages.
			if _, err := s.db.Exec("ALTER TABLE checks RESET (fillfactor)"); err != nil {
				t.Fatal(err)
			}
			results := sameChecks(t, s, refreshed)
			recordAll(t, s, results, "the first results")
			if _, err := s.db.Exec("ALTER TABLE checks SET (fillfactor = 50)"); err != nil {
				t.Fatal(err)
			}
			if tc.rewrite != "" {
				if _, err := s.db.Exec(tc.rewrite); err != nil {
					t.Fatal(err)
				}
			}
			var upd0, hot0 int64
			for i, want := range tc.hot {
				what := fmt.Sprintf("refresh %d after the upgrade", i+1)
				recordAll(t, s, results, what)
				upd, hot := checksUpdates(t, s, upd0+refreshed)
				if upd-upd0 != refreshed || hot-hot0 < want[0] || hot-hot0 > want[1] {
					t.Errorf("%s: %d updates of checks, %d of them HOT; expected %d, %d to %d HOT", what, upd-upd0, hot-hot0, refreshed, want[0], want[1])
				}
				upd0, hot0 = upd, hot
			}
		})
	}
}

// refreshed is how many checks the tests of the room on the pages of
// checks store and refresh: about 30 pages at half full.
const refreshed = 200

// sameChecks adds n checks to s and returns a fetched result of each,
// one response each that recording again changes nothing of but the
// fetch times.
func sameChecks(t *testing.T, s *Store, n int) []FetchResult {
	t.Helper()
	ids := make([]string, n)
	results := make([]FetchResult, n)
	for i := range n {
		ids[i] = checkID(i + 1)
		chk := makeCheck(t, result{id: ids[i], customer: fmt.Sprintf("cust-%d", i), first: "Ana", last: "Lee", doc: "high", face: "medium"})
		results[i] = FetchResult{CheckID: ids[i], Check: chk, At: testNow}
	}
	if _, err := s.AddMany(context.Background(), ids, "ana", SourceImported); err != nil {
		t.Fatal(err)
	}
	return results
}

// recordAll records results in one RecordFetches, as a refresh's batch.
func recordAll(t *testing.T, s *Store, results []FetchResult, what string) {
	t.Helper()
	errs, err := s.RecordFetches(context.Background(), results)
	if err != nil {
		t.Fatalf("recording %s: %v", what, err)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("recording %s: %s: %v", what, results[i].CheckID, err)
		}
	}
}

// checksOptions are the storage options set on checks (ALTER TABLE … SET),
// each as name=value.
func checksOptions(t *testing.T, s *Store) []string {
	t.Helper()
	var opts string
	if err := s.db.QueryRow(`SELECT coalesce(array_to_string(reloptions, ' '), '') FROM pg_class WHERE oid = 'checks'::regclass`).Scan(&opts); err != nil {
		t.Fatalf("reading the options of checks: %v", err)
	}
	return strings.Fields(opts)
}

// checksUpdates is how many row updates of checks the server has counted,
// and how many of them were HOT (heap-only: a new version of the row on
// its own page, and no new entry in any index). A backend hands its
// counts to the statistics when it goes idle, at most once a second, so
// the figures are read until they have reached at least upd (or stay
// put for two seconds when upd is 0: nothing to wait for but quiet).
func checksUpdates(tb testing.TB, s *Store, upd int64) (int64, int64) {
	tb.Helper()
	var got, hot int64
	stable := 0
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		prev := got
		if err := s.db.QueryRow(`SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'checks'`).Scan(&got, &hot); err != nil {
			tb.Fatalf("reading the updates of checks: %v", err)
		}
		if upd > 0 && got >= upd {
			return got, hot
		}
		if got == prev {
			stable++
		} else {
			stable = 0
		}
		if upd == 0 && stable >= 10 {
			return got, hot
		}
	}
	if upd > 0 {
		tb.Fatalf("the server counted %d updates of checks within 15 s, expected at least %d", got, upd)
	}
	return got, hot
}

// reportChecksSize reports the size of checks' table (its heap, without
// TOAST) and of its indexes, in MB.
func reportChecksSize(b *testing.B, s *Store) {
	b.Helper()
	var table, indexes int64
	if err := s.db.QueryRow(`SELECT pg_relation_size('checks'), pg_indexes_size('checks')`).Scan(&table, &indexes); err != nil {
		b.Fatalf("reading the size of checks: %v", err)
	}
	b.ReportMetric(float64(table)/(1<<20), "table-MB")
	b.ReportMetric(float64(indexes)/(1<<20), "indexes-MB")
}
