package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// statsBenchFixture is sqlFixture's n checks spread over the last 90
// days (each waiting check became reviewable then, each decided one waited
// up to four days), 2n decisions in the log over the same days by eight
// reviewers (tallied as appendTx tallies them), and a 24-hour SLA. Like sqlFixture, its log does not verify.
func statsBenchFixture(b *testing.B, n int) *Store {
	b.Helper()
	s := keptBenchFixture(b, n)
	var decisions int
	if err := s.db.QueryRow("SELECT count(*) FROM decisions").Scan(&decisions); err != nil {
		b.Fatal(err)
	}
	if decisions >= 2*n {
		return s // kept from an earlier run
	}
	const day = int64(24 * time.Hour)
	err := s.write(context.Background(), "spreading the fixture over 90 days", func(tx *sqlTx) error {
		_, err := tx.Exec(`
			UPDATE checks SET reviewable_at = ?1 - abs(random()) % (90 * ?2) - 1
				WHERE cached = 1 AND (document < 3 OR face < 3);
			UPDATE checks SET decided_at = min(reviewable_at + abs(random()) % (4 * ?2), ?1)
				WHERE status <> 'open' AND reviewable_at > 0;
			UPDATE checks SET decided_at = ?1 - abs(random()) % (90 * ?2)
				WHERE status <> 'open' AND reviewable_at = 0;
			INSERT INTO decisions (seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash, hash_version, identity, reason, finality)
				WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?3)
				SELECT i, (SELECT check_id FROM checks WHERE id = 1 + i % ?4), a, 'bench', 'reviewer-' || (i % 8),
					strftime('%Y-%m-%dT%H:%M:%S.000000000Z', (?1 - (?3 - i) * (90 * ?2 / ?3)) / 1000000000, 'unixepoch'),
					'', '', lower(hex(randomblob(32))), 2, 'os:uid=1000,login=bench',
					CASE a WHEN 'reject' THEN 'face-mismatch' WHEN 'escalate' THEN 'needs-senior-review' ELSE '' END,
					CASE a WHEN 'reject' THEN 'final' ELSE '' END
				FROM (SELECT i, CASE i % 10 WHEN 0 THEN 'reject' WHEN 1 THEN 'escalate' WHEN 2 THEN 'reopen' ELSE 'approve' END AS a FROM k);
			INSERT INTO decision_days (day, reviewer, action, proposes, reason, n)
				SELECT substr(at, 1, 10), reviewer, action, proposes, reason, count(*) FROM decisions GROUP BY 1, 2, 3, 4, 5;`,
			testNow.UnixNano(), day, 2*n, n)
		if err != nil {
			return err
		}
		return recountOverdueTx(context.Background(), tx, 24*time.Hour, s.now())
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkStats100k reads every figure of the stats view over 100,000
// checks and 200,000 decisions (target: 100 ms):
//
//	go test ./store -run '^$' -bench 'Stats100k|Overdue100k' -benchtime 20x
func BenchmarkStats100k(b *testing.B) {
	s := statsBenchFixture(b, 100_000)
	ctx := context.Background()
	st, err := s.Stats(ctx, StatsQuery{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Stats(ctx, StatsQuery{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/view")
	b.ReportMetric(float64(st.Counts[CountOverdue]), "overdue")
	b.ReportMetric(float64(len(st.Decisions)), "reviewer-days")
}

// BenchmarkOverdue100k counts every queue and the overdue checks of
// 100,000, right after a write and a day after it (the count then adds a
// day of checks that became overdue, read from checks_waiting).
func BenchmarkOverdue100k(b *testing.B) {
	s := statsBenchFixture(b, 100_000)
	ctx := context.Background()
	for _, hours := range []int{0, 24} {
		b.Run(fmt.Sprintf("hours-since-last-write=%d", hours), func(b *testing.B) {
			s.now = (&clock{t: testNow.Add(time.Duration(hours) * time.Hour)}).Now
			c, err := s.Counts(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Counts(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c[CountOverdue]), "overdue")
		})
	}
}
