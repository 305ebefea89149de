package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// BenchmarkDatabaseSize measures what the database holds per check, by
// table and index (SQLite's dbstat), on the benchmark stores of 100,000
// and 1,000,000 checks (every check fetched, a third decided): issue 16's
// "database size per check". The table is logged (-v); the metrics are
// the totals. The million-check store is measured only when
// CAISSON_BENCH_FIXTURES keeps it (it takes minutes to build):
//
//	CAISSON_BENCH_FIXTURES=DIR go test ./store -run '^$' -bench DatabaseSize -benchtime 1x -v
func BenchmarkDatabaseSize(b *testing.B) {
	if testing.Short() {
		b.Skip("reads the benchmark stores whole")
	}
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("checks=%d", n), func(b *testing.B) {
			if _, keep := os.LookupEnv("CAISSON_BENCH_FIXTURES"); n > 100_000 && !keep {
				b.Skip("set CAISSON_BENCH_FIXTURES to keep the million-check store")
			}
			s := keptBenchFixture(b, n)
			var sizes []objectSize
			for i := 0; i < b.N; i++ {
				var err error
				if sizes, err = databaseSizes(context.Background(), s); err != nil {
					b.Fatal(err)
				}
			}
			var total, tables, indexes int64
			var log strings.Builder
			fmt.Fprintf(&log, "%-30s %-6s %12s %10s\n", "name", "kind", "bytes", "bytes/check")
			for _, o := range sizes {
				total += o.bytes
				if o.index {
					indexes += o.bytes
				} else {
					tables += o.bytes
				}
				kind := "table"
				if o.index {
					kind = "index"
				}
				fmt.Fprintf(&log, "%-30s %-6s %12d %10.1f\n", o.name, kind, o.bytes, float64(o.bytes)/float64(n))
			}
			b.Logf("database size by table and index, %d checks:\n%s", n, log.String())
			b.ReportMetric(float64(total)/float64(n), "bytes/check")
			b.ReportMetric(float64(tables)/float64(n), "table-bytes/check")
			b.ReportMetric(float64(indexes)/float64(n), "index-bytes/check")
		})
	}
}

type objectSize struct {
	name  string
	index bool
	bytes int64
}

// databaseSizes is every table's and index's size on disk, largest first.
func databaseSizes(ctx context.Context, s *Store) ([]objectSize, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.name, coalesce(m.type, 'table') = 'index', sum(d.pgsize)
		FROM dbstat AS d LEFT JOIN sqlite_schema AS m ON m.name = d.name
		GROUP BY d.name ORDER BY 3 DESC`)
	if err != nil {
		return nil, fmt.Errorf("reading dbstat: %w", err)
	}
	defer rows.Close()
	var out []objectSize
	for rows.Next() {
		var o objectSize
		if err := rows.Scan(&o.name, &o.index, &o.bytes); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
