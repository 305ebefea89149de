package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCopy copies a store of varied, fetched checks (a third
// decided, through the same code as Decide, so the chain verifies) into
// a new SQLite file with CopyFrom, source and target verified:
//
//	CAISSON_BENCH_COPY=100000 go test ./store -run '^$' -bench Copy -benchtime 1x
//
// 10,000 checks without the variable.
func BenchmarkCopy(b *testing.B) {
	n := 10_000
	if v := os.Getenv("CAISSON_BENCH_COPY"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("CAISSON_BENCH_COPY=%q: expected a number of checks", v)
		}
	}
	start := time.Now()
	src := benchFixture(b, n)
	b.Logf("built a store of %d checks in %s", n, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	var rep CopyReport
	i := 0
	b.ResetTimer()
	for b.Loop() {
		i++
		dst := openAt(b, filepath.Join(b.TempDir(), fmt.Sprintf("target-%d.db", i)), &clock{t: testNow})
		var err error
		if rep, err = dst.CopyFrom(ctx, src, CopyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	rows := rep.Tracked + rep.Checks + rep.Decisions + rep.Access
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "checks/s")
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.Logf("copied %d tracked, %d checks rows, %d decisions; head %s", rep.Tracked, rep.Checks, rep.Decisions, rep.TargetHead)
}
