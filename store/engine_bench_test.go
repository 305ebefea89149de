package store

import (
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkFirstResultsEngineCeiling measures what the SQLite engine alone
// can store of first results on this schema: the same SQL, batch for
// batch, through this build's pure-Go SQLite (modernc.org/sqlite, which the
// static CGO_ENABLED=0 build needs) and through the sqlite3 shell (native
// C SQLite), each into a copy of one store holding the tracked checks. No
// response is decoded or hashed and no statement is bound per result: each
// batch of 5,000 is one INSERT … SELECT of generated rows (random names,
// customers and levels, 800 bytes of response) and one insert into the
// trigram index, durable at its commit, as RecordFetches' batches are.
// What it reports is a ceiling RecordFetches cannot pass (issue 16's
// 10,000 first results a second):
//
//	CAISSON_BENCH_RECORD=100000 go test ./store -run '^$' -bench FirstResultsEngineCeiling -benchtime 1x
//
// The sqlite3 side is skipped when there is no sqlite3 on PATH.
func BenchmarkFirstResultsEngineCeiling(b *testing.B) {
	if testing.Short() {
		b.Skip("stores 20,000 results twice")
	}
	n := benchEnvInt(b, "CAISSON_BENCH_RECORD", 20_000)
	const batch = 5_000
	dir := b.TempDir()
	template := filepath.Join(dir, "tracked.db")
	s := openAt(b, template, &clock{t: testNow})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("chk_priv_%022d", i+1)
	}
	if _, err := s.AddMany(context.Background(), ids, "bench", SourceImported); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	script := firstResultsSQL(n, batch)
	sqlite3, noSQLite := exec.LookPath("sqlite3")
	var pure, native time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(dir, fmt.Sprintf("pure-%d.db", i))
		copyFile(b, template, path, 0o600)
		db, err := sql.Open("sqlite", dsn(path))
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		b.StartTimer()
		start := time.Now()
		for _, tx := range script {
			if _, err := db.Exec(tx); err != nil {
				b.Fatalf("pure Go: %v", err)
			}
		}
		pure += time.Since(start)
		b.StopTimer()
		countFirstResults(b, db, n)
		db.Close()
		if noSQLite == nil {
			path := filepath.Join(dir, fmt.Sprintf("native-%d.db", i))
			copyFile(b, template, path, 0o600)
			// The store's pragmas (dsn), then the same transactions.
			cmd := exec.Command(sqlite3, path)
			cmd.Stdin = strings.NewReader("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=1;" +
				" PRAGMA cache_size=-65536; PRAGMA cache_spill=" + fmt.Sprint(spillPages) + "; PRAGMA foreign_keys=1;\n" +
				strings.Join(script, "\n"))
			start := time.Now()
			out, err := cmd.CombinedOutput()
			native += time.Since(start)
			if err != nil || strings.Contains(string(out), "Error") {
				b.Fatalf("sqlite3: %v\n%s", err, out)
			}
			db, err := sql.Open("sqlite", dsn(path))
			if err != nil {
				b.Fatal(err)
			}
			countFirstResults(b, db, n)
			db.Close()
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/pure.Seconds(), "pure-go-checks/s")
	if noSQLite == nil {
		b.ReportMetric(float64(n*b.N)/native.Seconds(), "native-checks/s")
		b.ReportMetric(pure.Seconds()/native.Seconds(), "x-native")
	} else {
		b.Log("no sqlite3 on PATH: only the pure-Go engine was timed")
	}
}

// firstResultsSQL is one transaction a batch: the first results of the
// tracked checks batch by batch, in random order within a batch (as fetches
// complete), then their names into the trigram index in rowid order, as
// flushSearch adds them.
func firstResultsSQL(n, batch int) []string {
	var txs []string
	for lo := 1; lo <= n; lo += batch {
		hi := min(lo+batch, n+1)
		txs = append(txs, fmt.Sprintf(`BEGIN;
INSERT INTO checks (id, check_id, added_at, added_by, source, fetched_at, outcome, fetch_error, raw, raw_hash, result_at, cached,
	customer_id, first_name, last_name, document, face, reasons, expires_on, checked_on, dob, address, purged_at, search, reviewable_at)
SELECT id, check_id, added_at, added_by, source, 1000, 'ok', '', randomblob(800), hex(randomblob(32)), 1000, 1,
	cu, fi, la, d, f, '101', '2030-01-01', 1000 + abs(random()) %% 100000000, '1980-01-01', '1 Road', NULL,
	lower(cu || char(31) || fi || char(31) || la), CASE WHEN d < 3 OR f < 3 THEN 1000 ELSE 0 END
FROM (SELECT id, check_id, added_at, added_by, source, 'cus_' || hex(randomblob(6)) AS cu,
	'First' || (abs(random()) %% 2000) AS fi, 'Last' || (abs(random()) %% 5000) AS la,
	1 + abs(random()) %% 3 AS d, 1 + abs(random()) %% 3 AS f
	FROM tracked WHERE id >= %d AND id < %d AND bare = 1 ORDER BY random());
INSERT INTO checks_search (rowid, search) SELECT id, search FROM checks WHERE id >= %d AND id < %d ORDER BY id;
COMMIT;`, lo, hi, lo, hi))
	}
	return txs
}

func countFirstResults(b *testing.B, db *sql.DB, n int) {
	b.Helper()
	var got, bare int
	if err := db.QueryRow("SELECT (SELECT count(*) FROM checks WHERE cached = 1), (SELECT count(*) FROM tracked WHERE bare = 1)").Scan(&got, &bare); err != nil {
		b.Fatal(err)
	}
	if got != n || bare != 0 {
		b.Fatalf("%d first results stored and %d checks still bare, want %d and none", got, bare, n)
	}
}
