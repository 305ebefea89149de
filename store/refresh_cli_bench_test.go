package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// BenchmarkRefreshEndToEnd times `caisson-review refresh --all
// --concurrency 32` through the built program (process start to exit, a
// fresh store of checks never fetched, stderr to a file) against the
// sandbox over loopback, beside the floor measured in the same run: the
// same fetches by the same client with nothing stored. Each side runs
// three times in turn; medians are reported:
//
//	go test ./store -run '^$' -bench RefreshEndToEnd -benchtime 1x
//
// At 20 ms latency and 32 in flight the network allows 1,600 checks/s.
// CAISSON_BENCH_REFRESH=N refreshes N checks at 0 ms instead of 20,000
// (and skips the 20 ms case), CAISSON_BENCH_ROUNDS=R runs each side R
// times instead of three: a million once takes about ten minutes.
// CAISSON_BENCH_BASELINE=PATH runs another build of the program (main's,
// say) in the same rounds, for a before and after under the same load.
func BenchmarkRefreshEndToEnd(b *testing.B) {
	if testing.Short() {
		b.Skip("refreshes tens of thousands of checks through the program")
	}
	bin := buildProgram(b)
	cases := []struct {
		latency time.Duration
		checks  int
	}{
		{0, 20_000},
		{20 * time.Millisecond, 8_000},
	}
	if n := benchEnvInt(b, "CAISSON_BENCH_REFRESH", 0); n > 0 {
		cases = cases[:1]
		cases[0].checks = n
	}
	rounds := benchEnvInt(b, "CAISSON_BENCH_ROUNDS", 3)
	for _, c := range cases {
		b.Run(fmt.Sprintf("latency=%s/concurrency=32/checks=%d", c.latency, c.checks), func(b *testing.B) {
			sb, api, base := benchSandboxAt(b, c.checks, c.latency)
			ids := sb.CheckIDs(c.checks)
			env := append(os.Environ(), "CAISSON_REVIEWER=bench", "CAISSON_API_URL="+base, "CAISSON_API_KEY="+sb.Key())
			baseline := os.Getenv("CAISSON_BENCH_BASELINE")
			idsFile := filepath.Join(b.TempDir(), "ids.txt")
			writeLines(b, idsFile, ids)
			refresh := func(program string) (time.Duration, time.Duration, int64) {
				// Each build adds the ids to a store of its own schema.
				db := filepath.Join(b.TempDir(), "review.db")
				out := filepath.Join(filepath.Dir(db), "out.txt")
				timeCommand(b, idsFile, out, program, "--db", db, "add", "-")
				d, used, peak := runProgram(b, env, out, program, "--db", db, "refresh", "--all", "--concurrency", "32")
				checkAllFetched(b, db, ids)
				return d, used, peak
			}
			var floor, ours, theirs []time.Duration
			var cpu time.Duration
			var peak, theirPeak int64
			for i := 0; i < b.N*rounds; i++ {
				floor = append(floor, fetchFloor(b, api, ids))
				d, used, p := refresh(bin)
				ours = append(ours, d)
				cpu += used
				peak = max(peak, p)
				if baseline != "" {
					d, _, p := refresh(baseline)
					theirs = append(theirs, d)
					theirPeak = max(theirPeak, p)
				}
			}
			if baseline != "" {
				b.ReportMetric(float64(c.checks)/median(theirs).Seconds(), "baseline-checks/s")
				b.ReportMetric(float64(theirPeak)/(1<<20), "baseline-peak-MiB")
			}
			b.ReportMetric(float64(peak)/(1<<20), "program-peak-MiB")
			b.ReportMetric(float64(c.checks)/median(floor).Seconds(), "floor-checks/s")
			b.ReportMetric(float64(c.checks)/median(ours).Seconds(), "checks/s")
			b.ReportMetric(median(ours).Seconds()/median(floor).Seconds(), "x-floor")
			b.ReportMetric(float64(cpu.Microseconds())/float64(c.checks*len(ours)), "program-cpu-µs/check")
		})
	}
}

// benchEnvInt is the positive number in the environment variable name,
// or def when it is not set.
func benchEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: expected a positive number", name, v)
	}
	return n
}

// buildProgram builds caisson-review with the go command on PATH.
func buildProgram(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "caisson-review")
	build := exec.Command("go", "build", "-o", bin, "github.com/caisson-review/caisson-review")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the program: %v\n%s", err, out)
	}
	return bin
}

// fetchFloor fetches ids with 32 in flight and keeps nothing.
func fetchFloor(b *testing.B, api *caisson.Client, ids []string) time.Duration {
	var n atomic.Int64
	start := time.Now()
	if err := api.FetchMany(context.Background(), ids, 32, func(caisson.Result) { n.Add(1) }); err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	if int(n.Load()) != len(ids) {
		b.Fatalf("%d of %d fetched", n.Load(), len(ids))
	}
	return d
}

// runProgram runs the program with stdout and stderr to errFile and
// returns how long it took, start to exit, its CPU time and its peak
// resident memory in bytes (Linux's ru_maxrss, in KiB).
func runProgram(b *testing.B, env []string, errFile, name string, args ...string) (time.Duration, time.Duration, int64) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	o, err := os.Create(errFile)
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	cmd.Stdout, cmd.Stderr = o, o
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if err != nil {
		out, _ := os.ReadFile(errFile)
		b.Fatalf("%s: %v\n%.2000s", name, err, out)
	}
	var peak int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peak = ru.Maxrss << 10
	}
	return d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), peak
}

// checkAllFetched fails unless every id has a stored outcome.
func checkAllFetched(b *testing.B, db string, ids []string) {
	// Read as it is: opened by Open, a baseline's older store would be
	// migrated.
	raw, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM checks WHERE fetched_at IS NOT NULL").Scan(&n); err != nil {
		b.Fatal(err)
	}
	if n != len(ids) {
		b.Fatalf("%d of %d checks stored as fetched", n, len(ids))
	}
}
