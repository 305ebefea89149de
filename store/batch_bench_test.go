package store

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// BenchmarkRefresh fetches every check of a fresh store from the sandbox
// over loopback HTTP with the real client (FetchMany) and stores each
// result, as a bulk refresh does: through a FetchWriter (group commit),
// through RecordFetch (one durable transaction each, the way before), and
// not at all (the floor: what the fetching alone costs). checks/s counts
// results reported stored per second, from the first request to the last
// commit:
//
//	go test ./store -run '^$' -bench Refresh -benchtime 1x -count 3
//
// At 20 ms latency and 32 in flight the network allows 1,600 checks/s.
// Each case runs on SQLite and on PostgreSQL, but for the floor, which
// stores nothing: it is measured once, beside SQLite. The checks are
// fetched in the sandbox's order, which scatters a batch over check_id's
// index, but for group-commit-added-order, in the order `refresh --all`
// fetches them (see BenchmarkRecordFetches). CAISSON_BENCH_RECORD=N
// fetches N checks at 0 ms instead of 20,000.
func BenchmarkRefresh(b *testing.B) {
	if testing.Short() {
		b.Skip("fetches tens of thousands of checks")
	}
	onEachBackend(b, benchRefreshCases)
}

func benchRefreshCases(b *testing.B, pg bool) {
	atZero := benchEnvInt(b, "CAISSON_BENCH_RECORD", 20_000)
	for _, c := range []struct {
		latency time.Duration
		store   string
		checks  int
	}{
		{0, "nothing", atZero},
		{0, "group-commit", atZero},
		{0, "group-commit-added-order", atZero},
		{0, "one-transaction-each", 3_000},
		{20 * time.Millisecond, "nothing", 8_000},
		{20 * time.Millisecond, "group-commit", 8_000},
		{20 * time.Millisecond, "group-commit-waiting-20ms", 8_000},
	} {
		if pg && c.store == "nothing" {
			continue
		}
		name := fmt.Sprintf("latency=%s/concurrency=32/store=%s", c.latency, c.store)
		b.Run(name, func(b *testing.B) {
			sb, api := benchSandbox(b, c.checks, c.latency)
			ids := sb.CheckIDs(c.checks)
			how := c.store
			if how == "group-commit-added-order" {
				ids, how = inAddedOrder(ids, func(id string) string { return id }), "group-commit"
			}
			var elapsed, cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := openAt(b, benchLocation(b, pg), &clock{t: testNow})
				if _, err := s.AddMany(context.Background(), ids, "bench", SourceImported); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start, cpu0 := time.Now(), processCPU()
				stored := benchRefresh(b, s, api, ids, how)
				elapsed += time.Since(start)
				cpu += processCPU() - cpu0
				if stored != c.checks {
					b.Fatalf("%d of %d stored", stored, c.checks)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(c.checks*b.N)/elapsed.Seconds(), "checks/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(c.checks*b.N), "cpu-µs/check")
		})
	}
}

// inAddedOrder is xs in the order `refresh --all` fetches their checks:
// that of their tracked rows, which for checks added together is their
// ids' order (AddMany sorts them).
func inAddedOrder[T any](xs []T, id func(T) string) []T {
	sorted := slices.Clone(xs)
	slices.SortFunc(sorted, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	return sorted
}

// benchRefresh fetches ids with 32 in flight and stores them as how says;
// it returns how many were reported stored.
func benchRefresh(b *testing.B, s *Store, api *caisson.Client, ids []string, how string) int {
	ctx := context.Background()
	var mu sync.Mutex
	stored := 0
	done := func(err error) {
		if err != nil {
			b.Error(err)
			return
		}
		mu.Lock()
		stored++
		mu.Unlock()
	}
	var w *FetchWriter
	switch how {
	case "group-commit":
		w = s.NewFetchWriter(FetchWriterOptions{})
	case "group-commit-waiting-20ms":
		w = s.NewFetchWriter(FetchWriterOptions{MaxDelay: 20 * time.Millisecond})
	}
	err := api.FetchMany(ctx, ids, 32, func(r caisson.Result) {
		switch how {
		case "nothing":
			done(nil)
		case "group-commit", "group-commit-waiting-20ms":
			w.Submit(FetchResult{CheckID: r.CheckID, Check: r.Check, Err: r.Err, At: testNow}, done)
		default:
			done(s.RecordFetch(ctx, r.CheckID, r.Check, r.Err, testNow))
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	if w != nil {
		w.Close()
	}
	return stored
}

func benchSandbox(b *testing.B, checks int, latency time.Duration) (*sandbox.Server, *caisson.Client) {
	sb, api, _ := benchSandboxAt(b, checks, latency)
	return sb, api
}

// benchSandboxAt is benchSandbox with the sandbox's base URL.
func benchSandboxAt(b *testing.B, checks int, latency time.Duration) (*sandbox.Server, *caisson.Client, string) {
	sb := sandbox.New(sandbox.Options{Seed: 1, Checks: checks, Latency: latency, Now: func() time.Time { return testNow }})
	base, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	b.Cleanup(func() { tr.CloseIdleConnections(); _ = stop() })
	key, err := caisson.NewAPIKey(sb.Key())
	if err != nil {
		b.Fatal(err)
	}
	api, err := caisson.NewClient(base, key, caisson.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		b.Fatal(err)
	}
	return sb, api, base
}

// BenchmarkRecordFetches stores results already fetched (from the
// sandbox, before the timer starts) in batches as a FetchWriter makes
// them: the store's own speed, without the HTTP work sharing the CPU, on
// SQLite and PostgreSQL.
//
//	go test ./store -run '^$' -bench RecordFetches -benchtime 1x -count 3
//
// first-results takes the sandbox's checks in the sandbox's order, which
// scatters each batch over the whole of check_id's index; first-results-
// added-order takes them in the order `refresh --all` fetches them, that
// of the store's tracked rows (an import's ids sorted, see AddMany), so
// a batch is a run of that index. Both are real: the second is the first
// refresh after an import, the first a refresh of checks added one by one
// over months.
func BenchmarkRecordFetches(b *testing.B) {
	if testing.Short() {
		b.Skip("fetches 20,000 checks")
	}
	n := benchEnvInt(b, "CAISSON_BENCH_RECORD", 20_000)
	sb, api := benchSandbox(b, n, 0)
	ids := sb.CheckIDs(n)
	var results []FetchResult
	if err := api.FetchMany(context.Background(), ids, 32, func(r caisson.Result) {
		results = append(results, FetchResult{CheckID: r.CheckID, Check: r.Check, Err: r.Err, At: testNow})
	}); err != nil {
		b.Fatal(err)
	}
	onEachBackend(b, func(b *testing.B, pg bool) { benchRecordFetches(b, pg, ids, results) })
}

func benchRecordFetches(b *testing.B, pg bool, ids []string, scattered []FetchResult) {
	n := len(scattered)
	added := inAddedOrder(scattered, func(r FetchResult) string { return r.CheckID })
	for _, c := range []struct {
		name    string
		again   bool
		results []FetchResult
	}{
		{"first-results", false, scattered},
		{"first-results-added-order", false, added},
		{"same-results-again", true, scattered},
	} {
		again, results := c.again, c.results
		b.Run(c.name, func(b *testing.B) {
			var elapsed, cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := openAt(b, benchLocation(b, pg), &clock{t: testNow})
				if _, err := s.AddMany(context.Background(), ids, "bench", SourceImported); err != nil {
					b.Fatal(err)
				}
				if again {
					recordInBatches(b, s, results)
				}
				var upd0, hot0 int64
				if pg && again {
					upd0, hot0 = checksUpdates(b, s, 0)
				}
				b.StartTimer()
				start, cpu0 := time.Now(), processCPU()
				recordInBatches(b, s, results)
				elapsed += time.Since(start)
				cpu += processCPU() - cpu0
				b.StopTimer()
				if pg && again {
					upd, hot := checksUpdates(b, s, upd0+int64(n))
					b.ReportMetric(100*float64(hot-hot0)/float64(upd-upd0), "hot-%")
				}
				if pg {
					reportChecksSize(b, s)
				}
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "checks/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/check")
		})
	}
}

func recordInBatches(b *testing.B, s *Store, results []FetchResult) {
	// As a FetchWriter stores them, or other sizes to compare.
	n := benchEnvInt(b, "CAISSON_BENCH_BATCH", defaultMaxBatch)
	for lo := 0; lo < len(results); lo += n {
		if _, err := s.RecordFetches(context.Background(), results[lo:min(lo+n, len(results))]); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the CPU time this process has used, user and system: a
// figure the other loads of a shared machine do not inflate as they do
// the wall clock.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
