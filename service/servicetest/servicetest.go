// Package servicetest makes what the front ends' benchmarks read: stores
// of sandbox checks fetched through the real client and stored as the
// program's refresh stores them. Only tests import it.
package servicetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// MillionEnv names the variable that adds a store of 1,000,000 checks to
// the benchmarks (any value but "" and "0"): it takes minutes to build,
// so a plain -bench run and go test ./... never do.
const MillionEnv = "CAISSON_BENCH_MILLION"

// WithMillion is sizes, and 1,000,000 after them when MillionEnv asks.
func WithMillion(sizes []int) []int {
	if v := os.Getenv(MillionEnv); v != "" && v != "0" {
		return append(slices.Clone(sizes), 1_000_000)
	}
	return sizes
}

// FetchedStore stores n checks of the sandbox (seed 1, its clock now),
// fetched through the real client, in a new SQLite store at path. They
// are stored as a refresh stores them (service.Refresh, through a
// FetchWriter: a transaction of a batch while the next ones are
// fetched), which makes the same rows as one RecordFetch each and a
// million checks in minutes, not hours.
func FetchedStore(path string, n int, now func() time.Time) error {
	sb := sandbox.New(sandbox.Options{Seed: 1, Checks: n, Now: now})
	key, err := caisson.NewAPIKey(sb.Key())
	if err != nil {
		return fmt.Errorf("the sandbox's key: %w", err)
	}
	api, err := caisson.NewClient("http://127.0.0.1:1", key, caisson.WithHTTPClient(sb.InProcess()))
	if err != nil {
		return fmt.Errorf("a client of the sandbox: %w", err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.WithClock(now))
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer st.Close()
	ids := sb.CheckIDs(n)
	if _, err := st.AddMany(ctx, ids, "bench", store.SourceImported); err != nil {
		return fmt.Errorf("adding: %w", err)
	}
	// Fetched in check id order, the order AddMany gives them their rows:
	// each batch then appends to the checks table and its check_id index
	// instead of writing all over them. The rows are the same in any order.
	rep, err := service.New(st, api, service.Options{Now: now}).Refresh(ctx, slices.Sorted(slices.Values(ids)), service.RefreshOptions{Concurrency: 4})
	if err == nil {
		err = errors.Join(rep.Err(), rep.NotRecorded)
	}
	if err != nil {
		return fmt.Errorf("refreshing: %w", err)
	}
	// Closing checkpoints the write-ahead log: the store is one file.
	return st.Close()
}
