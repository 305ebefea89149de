package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// onEachBackend runs bench as two sub-benchmarks, sqlite and postgres, so
// one run measures both backends under the same load of the machine
// (`-bench 'X/postgres'` runs one). On PostgreSQL every store is a
// database of the package run's one throwaway server (pgtest): without
// PostgreSQL's binaries that sub-benchmark skips, saying how to install
// them.
func onEachBackend(b *testing.B, bench func(b *testing.B, pg bool)) {
	for _, backend := range []struct {
		name string
		pg   bool
	}{{"sqlite", false}, {"postgres", true}} {
		b.Run(backend.name, func(b *testing.B) { bench(b, backend.pg) })
	}
}

// benchLocation is where a benchmark's new, empty store lives: a file in
// its temp dir, or a new database on the test server, dropped when the
// benchmark ends.
func benchLocation(tb testing.TB, pg bool) string {
	tb.Helper()
	if pg {
		return pgtest.URL(tb)
	}
	return filepath.Join(tb.TempDir(), "review.db")
}

// readFixture is the store of n checks a benchmark that only reads
// pages uses: benchFixture on SQLite (written through the store's own
// code, as its figures always were), pgFixture on PostgreSQL.
func readFixture(b *testing.B, pg bool, n int) *Store {
	b.Helper()
	if pg {
		return pgFixture(b, n)
	}
	return benchFixture(b, n)
}

// pgFixture is a PostgreSQL store of n checks generated in SQL through the
// real schema (Open on a fresh database runs every migration), in a few
// statements: the mix of sqlFixture, drawn the same way (most passed,
// some risky, some expired, a third decided, 3% pending and 3% not
// verified at Caisson, 2% failed), with random ids, names and customers.
// As benchFixture's writes would, a check whose result needs review
// waits from the fetch (reviewable_at) and a decided one was decided then
// (decided_at), so the waiting sort has keys to sort. Decisions are
// statuses without entries in the log, as in sqlFixture.
//
// Row by row, the triggers would update queue_counts' one row 100,000
// times in one transaction, each update walking the versions the ones
// before it left (quadratic); and the store's 39 indexes of checks would be
// written at random places for every row. So the rows go in with the
// indexes dropped and the tables' triggers disabled, every index is made
// again from its own definition, the triggers enabled, and the counts
// counted once over each queue's definition, as sqlFixture does on
// SQLite. Then VACUUM ANALYZE, as autovacuum would do to a table this
// size soon after such a load: the plans measured are those of a server
// that has statistics, which every production PostgreSQL has.
func pgFixture(b *testing.B, n int) *Store {
	b.Helper()
	start := time.Now()
	location := pgtest.URL(b)
	s := openAt(b, location, &clock{t: testNow})
	first, _ := json.Marshal(benchFirst)
	last, _ := json.Marshal(benchLast)
	ctx := context.Background()
	day := testNow.Format("2006-01-02")
	err := s.write(ctx, "generating the fixture", func(tx *sqlTx) error {
		rebuild, err := dropIndexesPG(tx)
		if err != nil {
			return err
		}
		stmts := []struct {
			query string
			args  []any
		}{
			{"SET LOCAL maintenance_work_mem = '128MB'", nil},
			{"ALTER TABLE checks DISABLE TRIGGER USER", nil},
			{"ALTER TABLE tracked DISABLE TRIGGER USER", nil},
			// The same draws every run: the figures compare between runs.
			{"SELECT setseed(0.17)", nil},
			{pgFixtureTracked, []any{n, testNow.UnixNano()}},
			{"SELECT setval(pg_get_serial_sequence('tracked', 'id'), $1)", []any{n}},
			{pgFixtureChecks, []any{testNow.UnixNano(), string(first), string(last), day, len(benchFirst), len(benchLast)}},
		}
		for _, st := range stmts {
			if _, err := tx.Exec(st.query, st.args...); err != nil {
				return fmt.Errorf("%.60s: %w", st.query, err)
			}
		}
		for _, stmt := range rebuild {
			if _, err := tx.Exec(stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		for _, stmt := range []string{"ALTER TABLE checks ENABLE TRIGGER USER", "ALTER TABLE tracked ENABLE TRIGGER USER"} {
			if _, err := tx.Exec(stmt); err != nil {
				return err
			}
		}
		return countQueuesTx(tx, s, day)
	})
	if err != nil {
		b.Fatalf("generating %d checks on PostgreSQL: %v", n, err)
	}
	if _, err := s.db.Exec("VACUUM (ANALYZE) checks, tracked, queue_counts"); err != nil {
		b.Fatalf("VACUUM ANALYZE of the fixture: %v", err)
	}
	b.Logf("built a PostgreSQL store of %d checks in %s", n, time.Since(start).Round(time.Millisecond))
	checkFixtureCounts(b, s, n)
	return s
}

// pgFixtureTracked adds $1 tracked checks, one a minute up to $2, every
// one with its row in checks (not bare).
const pgFixtureTracked = `
	INSERT INTO tracked (id, check_id, added_at, added_by, source, bare)
	SELECT i, 'chk_priv_' || substr(upper(md5(random()::text) || md5(random()::text)), 1, 22),
		$2::bigint - ($1::bigint - i) * 60000000000, 'bench', 'imported', 0
	FROM generate_series(1, $1::bigint) AS i`

// pgFixtureChecks gives every tracked check its row, drawn as sqlFixture
// draws them: $1 is the fetch's time, $2 and $3 the names (JSON arrays)
// and $5 and $6 their numbers, $4 the day of the fetch.
const pgFixtureChecks = `
	INSERT INTO checks (id, check_id, added_at, added_by, source, fetched_at, outcome, fetch_error, raw, raw_hash,
			result_at, cached, customer_id, first_name, last_name, document, face, reasons, expires_on, checked_on,
			dob, status, search, reviewable_at, decided_at)
	SELECT id, check_id, added_at, 'bench', 'imported', $1::bigint, outcome, '',
		CASE WHEN cached = 1 THEN convert_to(format('{"check_id":"%s","customer_id":"%s","info":{"first_name":"%s","last_name":"%s","dob":"%s","expires_on":"%s"}}',
			check_id, cust, fn, ln, dob, expires), 'UTF8') END,
		md5(random()::text) || md5(random()::text), $1::bigint, cached, cust, fn, ln, doc, face, reasons, expires, checked, dob, status,
		CASE cached WHEN 1 THEN lower(cust || chr(31) || fn || chr(31) || ln) ELSE '' END,
		-- cacheResultTx: an undecided result needing review starts the
		-- wait; setStatusTx: a decision ends it, keeping its start.
		CASE WHEN outcome = 'ok' AND (doc < 3 OR face < 3 OR (expires <> '' AND expires < $4::text)) THEN $1::bigint ELSE 0 END,
		CASE WHEN status <> 'open' THEN $1::bigint ELSE 0 END
	FROM (SELECT *,
			CASE WHEN cached = 0 THEN '' ELSE 'cust-' || lpad(c::text, 6, '0') END AS cust,
			CASE WHEN cached = 0 THEN '' ELSE $2::jsonb ->> f END AS fn,
			CASE WHEN cached = 0 THEN '' ELSE $3::jsonb ->> l END AS ln,
			CASE WHEN cached = 0 THEN 0 WHEN d < 3 THEN 3 ELSE 5 - d END AS doc,
			CASE WHEN cached = 0 THEN 0 WHEN e < 3 THEN 3 ELSE 5 - e END AS face,
			CASE WHEN cached = 0 OR (d < 3 AND e < 3) THEN '' ELSE '201,308' END AS reasons,
			CASE WHEN cached = 0 THEN '' ELSE to_char($4::text::date + x, 'YYYY-MM-DD') END AS expires,
			CASE WHEN cached = 0 THEN 0 ELSE $1::bigint - h * 3600000000000 END AS checked,
			CASE WHEN cached = 0 THEN '' ELSE '1980-01-02' END AS dob,
			CASE WHEN cached = 0 THEN 'open' WHEN q < 25 THEN 'approved' WHEN q < 30 THEN 'rejected' WHEN q < 33 THEN 'escalated' ELSE 'open' END AS status
		FROM (SELECT *,
				CASE WHEN p < 3 THEN 'PENDING_REVIEW' WHEN p < 6 THEN 'NOT_VERIFIED' WHEN p < 8 THEN 'INTERNAL_ERROR' ELSE 'ok' END AS outcome,
				CASE WHEN p < 6 THEN 0 ELSE 1 END AS cached
			FROM (SELECT id, check_id, added_at,
					floor(random() * 100)::int AS p, floor(random() * 100)::int AS q,
					floor(random() * 6)::int AS d, floor(random() * 6)::int AS e, floor(random() * 60000)::int AS c,
					floor(random() * $5::int)::int AS f, floor(random() * $6::int)::int AS l,
					floor(random() * 1095)::int - 200 AS x, floor(random() * 8760)::bigint AS h
				FROM tracked ORDER BY id) AS draws) AS outcomes) AS rows`

// dropIndexesPG drops the indexes of checks and tracked that no
// constraint owns and returns their definitions, to be made again once
// the rows are in.
func dropIndexesPG(tx *sqlTx) ([]string, error) {
	rows, err := tx.Query(`SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index AS i
		WHERE i.indrelid IN ('checks'::regclass, 'tracked'::regclass)
			AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
		ORDER BY i.indexrelid`)
	if err != nil {
		return nil, err
	}
	var names, creates []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, creates = append(names, name), append(creates, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(names) > 0 {
		if _, err := tx.Exec("DROP INDEX " + strings.Join(names, ", ")); err != nil {
			return nil, err
		}
	}
	return creates, nil
}

// checkFixtureCounts fails the benchmark unless the store's counts are
// what each queue's definition selects: a fixture that skipped its
// triggers must still count as the store would have.
func checkFixtureCounts(tb testing.TB, s *Store, n int) {
	tb.Helper()
	counts, err := s.Counts(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if counts[QueueAll] != n {
		tb.Fatalf("the fixture's all count is %d, want %d", counts[QueueAll], n)
	}
	for _, q := range append(slices.Clone(Queues), QueueSecondReview) {
		if want := countByDefinition(tb, s, q); counts[q] != want {
			tb.Fatalf("the fixture's %s count is %d, its definition selects %d", q, counts[q], want)
		}
	}
}

// explainEnv, set to 1, makes the PostgreSQL page benchmarks log the
// plans of their queries: EXPLAIN (ANALYZE, BUFFERS) as the Store runs
// them, a statement prepared once per connection and executed again and
// again, so that after five runs PostgreSQL may keep a generic plan, one
// made without the filter's value.
const explainEnv = "CAISSON_BENCH_EXPLAIN"

// explainPage logs the plans of q's page on a PostgreSQL store when
// explainEnv asks: the plan made for q's own values (custom) and the one
// the sixth execution of the prepared statement uses.
func explainPage(b *testing.B, s *Store, q PageQuery) {
	b.Helper()
	if !s.pg() || os.Getenv(explainEnv) != "1" {
		return
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	ctx := context.Background()
	sel, err := s.selectFor(ctx, q, q.Sort, candidateLimit(q, q.Sort))
	if err != nil {
		b.Fatal(err)
	}
	query, args, _ := sel.pageSQL(q)
	if sel.bareFirst(q.Sort) {
		// The bare checks come first and are counted apart (bareFirstPage):
		// the checks rows' page is the query whose plan varies.
		query, args = sel.checksPageSQL(sel.keys(q.Sort)), append(slices.Clone(sel.args), q.Limit, q.Offset)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	literals := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			literals[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		default:
			literals[i] = fmt.Sprint(v)
		}
	}
	execute := "EXECUTE bench_explain(" + strings.Join(literals, ", ") + ")"
	if _, err := conn.ExecContext(ctx, "PREPARE bench_explain AS "+rebind(true, query)); err != nil {
		b.Fatalf("PREPARE %s: %v", query, err)
	}
	defer conn.ExecContext(ctx, "DEALLOCATE bench_explain")
	for i := 0; i < 5; i++ {
		if _, err := conn.ExecContext(ctx, execute); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s\n-- as prepared, sixth run:\n%s\n-- planned for its values:\n%s", execute,
		explainLines(b, conn, "EXPLAIN (ANALYZE, BUFFERS) "+execute),
		explainLines(b, conn, "EXPLAIN (ANALYZE, BUFFERS) "+rebind(true, query), args...))
}

func explainLines(b *testing.B, conn *sqlConn, query string, args ...any) string {
	b.Helper()
	rows, err := conn.QueryContext(context.Background(), query, args...)
	if err != nil {
		b.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
