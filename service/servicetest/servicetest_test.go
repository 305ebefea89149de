package servicetest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

func fixedClock() time.Time { return time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC) }

func TestWithMillionAddsAMillionOnlyWhenAskedFor(t *testing.T) {
	for _, tc := range []struct {
		million string
		want    []int
	}{
		{"", []int{100, 100_000}},
		{"0", []int{100, 100_000}},
		{"1", []int{100, 100_000, 1_000_000}},
	} {
		t.Setenv(MillionEnv, tc.million)
		if got := WithMillion([]int{100, 100_000}); !slices.Equal(got, tc.want) {
			t.Errorf("%s=%q: sizes %v, want %v", MillionEnv, tc.million, got, tc.want)
		}
	}
}

// FetchedStore, its results stored in batches, is the store one durable
// RecordFetch per check made before it: the same checks, the same
// rows, the same names found by the text filter.
func TestFetchedStoreHasTheRowsOfOneFetchAtATime(t *testing.T) {
	const n = 400
	dir := t.TempDir()
	batched, single := filepath.Join(dir, "batched.db"), filepath.Join(dir, "single.db")
	if err := FetchedStore(batched, n, fixedClock); err != nil {
		t.Fatalf("building the benchmarks' store: %v", err)
	}
	buildOneFetchAtATime(t, single, n)
	for _, query := range []string{
		"SELECT * FROM tracked ORDER BY id",
		"SELECT * FROM checks ORDER BY id",
		"SELECT * FROM queue_counts",
		"SELECT rowid FROM checks_search WHERE checks_search MATCH 'son' ORDER BY rowid",
		"SELECT rowid FROM checks_search WHERE checks_search MATCH 'mit' ORDER BY rowid",
	} {
		got, want := dump(t, batched, query), dump(t, single, query)
		if got != want {
			t.Errorf("%s differs from the store of one fetch at a time:\n got %.2000s\nwant %.2000s", query, got, want)
		}
		if want == "" {
			t.Errorf("%s: no rows; expected a store holding some", query)
		}
	}
}

// buildOneFetchAtATime is how the benchmarks' stores were built before:
// one durable transaction per check.
func buildOneFetchAtATime(t *testing.T, path string, n int) {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Seed: 1, Checks: n, Now: fixedClock})
	key, err := caisson.NewAPIKey(sb.Key())
	if err != nil {
		t.Fatal(err)
	}
	api, err := caisson.NewClient("http://127.0.0.1:1", key, caisson.WithHTTPClient(sb.InProcess()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := sb.CheckIDs(n)
	if _, err := st.AddMany(ctx, ids, "bench", store.SourceImported); err != nil {
		t.Fatal(err)
	}
	err = api.FetchMany(ctx, ids, 4, func(r caisson.Result) {
		if err := st.RecordFetch(ctx, r.CheckID, r.Check, r.Err, fixedClock()); err != nil {
			t.Errorf("recording %s: %v", r.CheckID, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dump is every row query reads from the database at path, one line each.
func dump(t *testing.T, path, query string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		fmt.Fprintf(&out, "%#v\n", vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
