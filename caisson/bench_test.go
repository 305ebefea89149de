package caisson_test

import (
	"context"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// BenchmarkFetchMany1000 fetches 1,000 checks from the sandbox at 20 ms
// fixed latency with 8 in flight. The floor is 1,000 × 20 ms / 8 = 2.5 s
// per op; the target is within 10% of it (2.75 s). Run with
//
//	go test -run '^$' -bench FetchMany1000 -benchtime=3x ./caisson/
func BenchmarkFetchMany1000(b *testing.B) {
	const (
		checks      = 1000
		latency     = 20 * time.Millisecond
		concurrency = 8
	)
	sb, c := startSandbox(b, sandbox.Options{Checks: checks, Latency: latency})
	ids := sb.CheckIDs(checks)
	var fetched, outcomes int
	for b.Loop() {
		fetched, outcomes = 0, 0
		err := c.FetchMany(context.Background(), ids, concurrency, func(r caisson.Result) {
			switch {
			case r.Err == nil:
				fetched++
			case isOutcome(r.Err):
				outcomes++
			default:
				b.Errorf("%s: %v", r.CheckID, r.Err)
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if fetched+outcomes != checks {
		b.Fatalf("%d fetched + %d pending/not verified, want %d", fetched, outcomes, checks)
	}
	b.ReportMetric(float64(checks), "checks/op")
}
