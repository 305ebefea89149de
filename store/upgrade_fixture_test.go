package store

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// Databases made by the released builds themselves, not rebuilt from their
// migrations: testdata/version4-c171654.db by commit c171654 (schema 4,
// before the waiting queue) and testdata/version5-22ddc45.db by 22ddc45
// (schema 5, before four-eyes), testdata/version6-181ef31.db by 181ef31
// (schema 6, before the kept queue counts), testdata/version7-44c00df.db by
// 44c00df (schema 7, before polling; its tokens were exchanged to ids it
// already had, so it tracks 10), testdata/version7-19683bc.db by 19683bc
// and testdata/version7-2afd74a.db by 2afd74a (schema 7 too),
// testdata/version8-a357a47.db by a357a47 (schema 8, with polling, before
// the SLA), testdata/version9-e1c6b42.db by e1c6b42 (schema 9, before
// checks_open_count held only passed checks) and
// testdata/version10-29f570f.db by 29f570f (schema 10, before claims were
// kept in the store), testdata/version11-d02d951.db by d02d951 (schema
// 11, before checks_named_undated) and testdata/version12-81427a8.db by
// 81427a8 (schema 12, before the text filter's index had one update
// trigger; refreshed twice), testdata/version13-8ab646f.db by 8ab646f
// (schema 13, before an unfinished copy was marked; refreshed twice) and
// testdata/version14-40f3bf4.db by 40f3bf4 (schema 14, before the run of
// undated checks had its index by check id; refreshed twice),
// testdata/version16-48739c1.db by 48739c1 (schema 16, the last build that
// stored a NUL of a response's text; see assertNoNul),
// testdata/version16-f6dc1af.db by f6dc1af (schema 16, the commit before
// migration 17; refreshed twice), testdata/version17-3611998.db by 3611998
// (schema 17, the commit before migration 18, whose triggers refuse a
// REPLACE on either log; refreshed twice), testdata/version18-dbf47da.db
// by dbf47da (schema 18, the commit before the access log's chain,
// migration 19; refreshed twice, two checks shown, so two access
// records to keep unchained), testdata/version19-f1b7a42.db by f1b7a42
// (schema 19, before a hashless record was refused once the chain began;
// its two access records chained) and
// testdata/version15-576c286.db by 576c286 (schema 15, before the checks
// with no last name had theirs; refreshed twice). Each holds the ids the
// sandbox's banner printed (a 24-check sandbox), added, refreshed and five
// decisions made through that build's own command line (approve, reject,
// escalate, reopen, approve; 2afd74a's in the order reject, escalate,
// reopen, approve, approve). Opened by this build, each is migrated in
// place: its log verifies, every queue holds exactly what its definition
// selects, and a new decision chains onto the old ones.
func TestDatabasesMadeByEarlierBuildsUpgradeInPlace(t *testing.T) {
	sqliteOnly(t, "SQLite files made by earlier builds (testdata)")
	for _, tc := range []struct {
		file    string
		version int
		tracked int // the ids its banner printed, added by the old build
	}{
		{"version4-c171654.db", 4, 11},
		{"version5-22ddc45.db", 5, 13},
		{"version6-181ef31.db", 6, 13},
		{"version7-44c00df.db", 7, 10},
		{"version7-19683bc.db", 7, 13},
		{"version7-2afd74a.db", 7, 13},
		{"version8-a357a47.db", 8, 13},
		{"version9-e1c6b42.db", 9, 13},
		{"version10-29f570f.db", 10, 13},
		{"version11-d02d951.db", 11, 13},
		{"version12-81427a8.db", 12, 13},
		{"version13-8ab646f.db", 13, 13},
		{"version14-40f3bf4.db", 14, 13},
		{"version15-576c286.db", 15, 13},
		{"version16-48739c1.db", 16, 14},
		{"version16-f6dc1af.db", 16, 13},
		{"version17-3611998.db", 17, 13},
		{"version18-dbf47da.db", 18, 13},
		{"version19-f1b7a42.db", 19, 13},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := copyFixture(t, tc.file)
			var v int
			raw := rawDB(t, path)
			if err := raw.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != tc.version {
				t.Fatalf("the fixture is at version %d (%v), expected %d", v, err, tc.version)
			}
			raw.Close()

			s := openIdentified(t, path, &clock{t: time.Now()}, anaID)
			assertUpgradedInPlace(t, s, tc.tracked)
			if tc.tracked >= 13 {
				assertFilteredPagesAsDefined(t, s)
			}
			assertNoNul(t, s, tc.file == "version16-48739c1.db")
			assertEveryNameIndexed(t, s)
			assertIndexesAsOpenMakes(t, s)
			if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion() {
				t.Errorf("upgraded to version %d (%v), want %d", v, err, SchemaVersion())
			}
		})
	}
}

// assertNoNul holds an upgraded store to holding no NUL in the text of a
// response it keeps (migration 0017). withNul is a fixture that held one:
// version16-48739c1.db, made by 48739c1, the last build that stored them,
// holds chk_priv_nulNAME… (customer "cust\x00nul", "An\x00a Sm\x00ith", a
// street with one), added and fetched through that build's store; it must
// be found by its own customer id and by its name, through the trigram
// index, as a filter holding a NUL or U+FFFD.
func assertNoNul(t *testing.T, s *Store, withNul bool) {
	t.Helper()
	ctx := context.Background()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM checks WHERE instr(customer_id, char(0)) > 0 OR instr(first_name, char(0)) > 0
		OR instr(last_name, char(0)) > 0 OR instr(address, char(0)) > 0 OR instr(search, char(0)) > 0`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d checks still hold a NUL after the upgrade (%v)", n, err)
	}
	if !withNul {
		return
	}
	const id = "chk_priv_nulNAMEAAAAAAAAAAAAAAA"
	if rows, err := s.ByCustomer(ctx, "cust\x00nul"); err != nil || len(rows) != 1 || rows[0].CheckID != id {
		t.Errorf("ByCustomer of its own customer id: %v, %v", ids(rows), err)
	}
	for _, f := range []string{"sm\x00ith", "an\uFFFDa"} {
		if !onPostgres && !usesTrigramIndex(t, s, PageQuery{Queue: QueueAll, Filter: f}) {
			t.Errorf("%q does not start from the trigram index: the test no longer reaches it", f)
		}
		rows, err := s.Page(ctx, PageQuery{Queue: QueueAll, Filter: f})
		if err != nil || len(rows) != 1 || rows[0].CheckID != id || rows[0].LastName != "Sm\uFFFDith" {
			t.Errorf("filter %q: %v, %v", f, rows, err)
		}
	}
}

// assertIndexesAsOpenMakes holds an upgraded store's indexes and triggers
// to those Open makes in a new file, name and SQL: a migration missing, or
// an index the store names (INDEXED BY) made otherwise, shows here even
// where no test's query happens to use it.
func assertIndexesAsOpenMakes(t *testing.T, s *Store) {
	t.Helper()
	fresh := openAt(t, filepath.Join(t.TempDir(), "fresh.db"), &clock{t: time.Now()})
	// Tables are compared by what they hold (assertUpgradedInPlace); an
	// upgrade's ALTER TABLE writes their SQL otherwise, and makes its
	// indexes in another order.
	want, got := schemaOf(t, fresh), schemaOf(t, s)
	for _, k := range keysOfBoth(want, got) {
		if (strings.HasPrefix(k, "index ") || strings.HasPrefix(k, "trigger ")) && want[k] != got[k] {
			t.Errorf("%s: %q after the upgrade, Open makes %q", k, got[k], want[k])
		}
	}
}

// assertUpgradedInPlace holds a store opened on a database an earlier
// build made (five decisions, tracked checks) to what an upgrade must
// keep: the old log verifies, every queue's count is its definition's,
// and a new decision and a claim work, chained onto the old head.
func assertUpgradedInPlace(t *testing.T, s *Store, tracked int) {
	t.Helper()
	ctx := context.Background()
	before, err := s.Verify(ctx)
	if err != nil || !before.OK || before.Entries != 5 {
		t.Fatalf("Verify after the upgrade = %+v, %v: expected the 5 old entries intact", before, err)
	}
	if w := s.Warnings(); len(w) != 0 {
		t.Errorf("opening the upgraded database warned: %q", w)
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range Queues {
		if want := countByDefinition(t, s, q); counts[q] != want {
			t.Errorf("queue %s: Counts says %d, its definition selects %d", q, counts[q], want)
		}
	}
	if counts[QueueAll] != tracked {
		t.Errorf("all = %d, expected the %d checks the old build tracked", counts[QueueAll], tracked)
	}

	oldHead, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Page(ctx, PageQuery{Queue: QueueNeedsReview, Limit: 1})
	if err != nil || len(rows) == 0 {
		t.Fatalf("no check needs review after the upgrade (%v)", err)
	}
	if _, err := s.Decide(ctx, rows[0].CheckID, Reject, "decided after the upgrade", "ana"); err != nil {
		t.Fatalf("a decision on the upgraded database: %v", err)
	}
	assertCountsByDefinition(t, s)
	if err := s.Claim(ctx, "s1", rows[0].CheckID, "ana"); err != nil {
		t.Errorf("a claim on the upgraded database: %v", err)
	}
	after, err := s.Verify(ctx, oldHead)
	if err != nil || !after.OK || after.Entries != 6 {
		t.Fatalf("Verify with the head kept before the new decision = %+v, %v: expected 6 entries, the old head held", after, err)
	}
	// The access records the old build made stay, unchained; those made
	// now are chained after them (migration 19).
	old := after.Access
	if old.Unchained != 0 && old.Unchained != old.Records {
		t.Errorf("the old build's access records after the upgrade: %+v, want them all unchained (made before version 19) or all chained", old)
	}
	if err := s.RecordAccess(ctx, AccessSession{Reviewer: "ana", Origin: OriginCLI}, AccessShow, rows[0].CheckID); err != nil {
		t.Fatalf("an access record on the upgraded database: %v", err)
	}
	v, err := s.Verify(ctx)
	if err != nil || !v.OK || v.Access.Records != old.Records+1 || v.Access.Unchained != old.Unchained || v.Access.Head.IsZero() {
		t.Errorf("Verify after a new access record = %+v, %v: want it chained after the %d old ones", v.Access, err, old.Records)
	}
}

// PostgreSQL databases made by earlier builds' own command lines, as
// pg_dump wrote them: testdata/postgres-version2-401b244.sql by 401b244
// (schema 2, before claims), testdata/postgres-version3-b54adaf.sql by
// b54adaf (schema 3, before the sort indexes carried search) and
// testdata/postgres-version4-69e56bf.sql by 69e56bf (schema 4, before
// the pages of checks were left half free) and
// testdata/postgres-version5-b27b1a6.sql by b27b1a6 (schema 5, before an
// insert's triggers ran once a statement) and
// testdata/postgres-version6-6fad2fb.sql by 6fad2fb (schema 6, before that
// trigger counted the inserted rows by filters) and
// testdata/postgres-version7-8ab646f.sql by 8ab646f (schema 7, before an
// unfinished copy was marked; refreshed twice) and
// testdata/postgres-version8-dbf47da.sql by dbf47da (schema 8, before the
// access log's chain, postgres/0009; refreshed twice, two checks shown),
// testdata/postgres-version9-f1b7a42.sql by f1b7a42 (schema 9, before the
// hashes lost their defaults, postgres/0010).
// Each is a
// 24-check sandbox's banner ids (13) added and refreshed, and five
// decisions: approve, reject, escalate, reopen, approve. Restored and
// opened by this build, each is migrated in place as the SQLite files
// above are, and its pages, filtered or not, read what the queues hold.
func TestPostgresDatabasesMadeByEarlierBuildsUpgradeInPlace(t *testing.T) {
	for _, tc := range []struct {
		file    string
		version int
	}{
		{"postgres-version2-401b244.sql", 2},
		{"postgres-version3-b54adaf.sql", 3},
		{"postgres-version4-69e56bf.sql", 4},
		{"postgres-version5-b27b1a6.sql", 5},
		{"postgres-version6-6fad2fb.sql", 6},
		{"postgres-version7-8ab646f.sql", 7},
		{"postgres-version8-dbf47da.sql", 8},
		{"postgres-version9-f1b7a42.sql", 9},
	} {
		t.Run(tc.file, func(t *testing.T) {
			dump, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			url := pgtest.URL(t)
			pgtest.Psql(t, url, string(dump))
			raw := rawDB(t, url)
			var v int
			if err := raw.QueryRow("SELECT max(version) FROM schema_version").Scan(&v); err != nil || v != tc.version {
				t.Fatalf("the fixture is at version %d (%v), expected %d", v, err, tc.version)
			}
			s := openPG(t, url, WithClock((&clock{t: time.Now()}).Now), WithIdentity(anaID))
			assertUpgradedInPlace(t, s, 13)
			assertFilteredPagesAsDefined(t, s)
			if opts := checksOptions(t, s); !slices.Contains(opts, "fillfactor=50") {
				t.Errorf("checks' options after the upgrade are %q, expected fillfactor=50 among them", opts)
			}
			if err := raw.QueryRow("SELECT max(version) FROM schema_version").Scan(&v); err != nil || v != PostgresSchemaVersion() {
				t.Errorf("upgraded to version %d (%v), want %d", v, err, PostgresSchemaVersion())
			}
		})
	}
}

// assertFilteredPagesAsDefined holds the pages of an upgraded PostgreSQL
// database to what it holds: in every queue and sort, a page filtered by
// a name, by a check id's start, or by nothing it holds, is the same
// whether the filter's few candidates are fetched or the sort index is
// walked (ftsCap 0), and the filters find the old build's checks.
func assertFilteredPagesAsDefined(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	page := func(q PageQuery, walk bool) []string {
		t.Helper()
		if walk {
			old := ftsCap
			ftsCap = 0
			defer func() { ftsCap = old }()
		}
		rows, err := s.Page(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return ids(rows)
	}
	for _, q := range backendQueues {
		for _, by := range backendSorts {
			// "K0" and "84" are two-letter starts of check ids, which a
			// walk in risk order finds in its lead part through
			// checks_undated_id (migration 15): "84" starts a check
			// waiting at Caisson, in that run.
			for _, filter := range []string{"anderson", "ERS", "chk_priv_K0x", "K0x", "K0", "84", "nobody"} {
				pq := PageQuery{Queue: q, Sort: by, Filter: filter}
				if few, walked := page(pq, false), page(pq, true); !slices.Equal(few, walked) {
					t.Errorf("%s by %s, filter %q: %v from the candidates, %v from the walk", q, indexSort[by], filter, few, walked)
				}
			}
		}
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"anderson", []string{"chk_priv_7m1xbyOc6HeKhUit-fpByA", "chk_priv_UcLa_ghERNzdzoD0RN-9Mw"}},
		{"K0x", []string{"chk_priv_K0xLMPgcUMuUmWtNEHp4dg"}},
		{"nobody", nil},
	} {
		for _, walk := range []bool{false, true} {
			got := page(PageQuery{Queue: QueueAll, Sort: SortCustomer, Filter: tc.filter}, walk)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("all, filter %q (walk %v): %v, want %v", tc.filter, walk, got, tc.want)
			}
		}
	}
}

func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "review.db")
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// countByDefinition counts a queue straight from its predicate, without
// the partial indexes Counts reads.
func countByDefinition(t testing.TB, s *Store, q Queue) int {
	t.Helper()
	table := "checks c"
	where, args, err := s.queuePredicate(q)
	if err != nil {
		t.Fatal(err)
	}
	if q == QueueAll {
		table, where, args = "tracked", "true", nil
	}
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM "+table+" WHERE "+where, args...).Scan(&n); err != nil {
		t.Fatalf("counting %s by its definition: %v", q, err)
	}
	return n
}

// A version 7 database gains waiting times: its checks needing review wait
// from their last fetch (the first was not recorded), its decided checks
// carry their decision's time, and an SLA set afterwards counts them.
func TestVersion7DatabaseGainsWaitingTimes(t *testing.T) {
	sqliteOnly(t, "an SQLite file made by an earlier build (testdata)")
	path := copyFixture(t, "version7-19683bc.db")
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 12, 3, 11, 41, 31, 0, time.UTC)}
	s := openIdentified(t, path, c, anaID)
	rows, err := s.Page(ctx, PageQuery{Queue: QueueAll, Sort: SortWaiting, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	waiting, decided := 0, 0
	for _, r := range rows {
		inNeedsReview := r.Status == StatusOpen && r.Outcome == OutcomeOK && (r.Document < 3 || r.Face < 3)
		if r.AwaitsDecision() != inNeedsReview {
			t.Errorf("%s (%s, %s/%s): AwaitsDecision() = %v after the upgrade", r.CheckID, r.Status, r.Document, r.Face, r.AwaitsDecision())
		}
		if r.AwaitsDecision() {
			waiting++
			if r.ReviewableAt.After(r.FetchedAt) || r.ReviewableAt.IsZero() {
				t.Errorf("%s waits from %s, expected its last fetch %s", r.CheckID, r.ReviewableAt, r.FetchedAt)
			}
		}
		if r.Status != StatusOpen {
			decided++
			if r.DecidedAt.IsZero() {
				t.Errorf("%s is %s but has no decision time after the upgrade", r.CheckID, r.Status)
			}
		}
	}
	// The fixture: six needing review, one approved and reopened among
	// them, then one rejected, one escalated, one passed approved.
	if waiting != 4 || decided != 3 {
		t.Errorf("%d waiting, %d decided after the upgrade; expected 4 and 3", waiting, decided)
	}
	if _, err := s.SetSLA(ctx, SLAChange{SLA: time.Hour, Note: "upgraded", Reviewer: "ana"}); err != nil {
		t.Fatal(err)
	}
	c.Set(c.Now().Add(48 * time.Hour))
	counts, err := s.Counts(ctx)
	if err != nil || counts[CountOverdue] != 4 {
		t.Errorf("two days later with a one-hour SLA, %d overdue (%v); expected the 4 waiting", counts[CountOverdue], err)
	}
	mustVerify(t, s)
}

// Issue 16: upgrading a version 9 store (made by e1c6b42, the build
// before the migration) or a version 7 one (made by 2afd74a) narrows
// checks_open_count to the passed checks its one query counts, and the
// needs-review count, corrected for the documents expiring since it was
// kept, still matches its definition on any later day.
func TestUpgradeNarrowsTheOpenCountIndex(t *testing.T) {
	sqliteOnly(t, "an SQLite file made by an earlier build, and SQLite's schema text")
	for _, fixture := range []string{"version9-e1c6b42.db", "version7-2afd74a.db"} {
		t.Run(fixture, func(t *testing.T) {
			path := copyFixture(t, fixture)
			c := &clock{t: time.Now()}
			s := openIdentified(t, path, c, anaID)
			var def string
			if err := s.db.QueryRow("SELECT sql FROM sqlite_schema WHERE name = 'checks_open_count'").Scan(&def); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(def, "document = 3 AND face = 3") || !strings.HasPrefix(def, "CREATE INDEX checks_open_count ON checks (expires_on,") {
				t.Errorf("checks_open_count after the upgrade: %s; want passed checks only, by expires_on", def)
			}
			for _, days := range []int{0, 400, 4000} {
				c.Set(time.Now().AddDate(0, 0, days))
				assertCountsByDefinition(t, s)
			}
		})
	}
}

// Migration 17 rebuilds each text holding a NUL byte for byte, U+FFFD in
// each NUL's place, wherever the NULs are (first, last, in a run, alone,
// beside characters of several bytes), in each of its five columns apart,
// and writes no row that holds none: held to Go's strings.ReplaceAll.
func TestMigration17RebuildsEveryNulAndWritesNothingElse(t *testing.T) {
	sqliteOnly(t, "migration 17 is SQLite's")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var body string
	for _, m := range ms {
		if m.version == 17 {
			body = m.sql
		}
	}
	if body == "" {
		t.Fatal("no migration 17")
	}
	db := rawDB(t, filepath.Join(t.TempDir(), "nul.db"))
	if _, err := db.Exec(`CREATE TABLE checks (id INTEGER PRIMARY KEY, customer_id TEXT, first_name TEXT, last_name TEXT, address TEXT, search TEXT);
		CREATE TABLE written (id INTEGER);
		CREATE TRIGGER noted AFTER UPDATE ON checks BEGIN INSERT INTO written VALUES (new.id); END;`); err != nil {
		t.Fatal(err)
	}
	values := []string{"\x00first", "last\x00", "a\x00\x00\x00b", "\x00", "\x00\x00", "", "plain", "é\x00日\x00😀", strings.Repeat("ab\x00", 3000)}
	cols := []string{"customer_id", "first_name", "last_name", "address", "search"}
	id := 0
	want := map[int][]string{}
	for _, v := range values {
		for c := range cols {
			// v in one column, the others plain: each column on its own.
			id++
			row := []any{id, "c", "f", "l", "a", "s"}
			row[c+1] = v
			if _, err := db.Exec("INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?)", row...); err != nil {
				t.Fatal(err)
			}
			for _, x := range row[1:] {
				want[id] = append(want[id], strings.ReplaceAll(x.(string), "\x00", "\uFFFD"))
			}
		}
	}
	if _, err := db.Exec(body); err != nil {
		t.Fatalf("migration 17: %v", err)
	}
	rows, err := db.Query("SELECT id, customer_id, first_name, last_name, address, search FROM checks ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		got := make([]string, 5)
		if err := rows.Scan(&i, &got[0], &got[1], &got[2], &got[3], &got[4]); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[i]) {
			t.Errorf("row %d: %q, want %q", i, got, want[i])
		}
	}
	var written, holding int
	if err := db.QueryRow("SELECT count(DISTINCT id) FROM written").Scan(&written); err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if strings.Contains(v, "\x00") {
			holding += len(cols)
		}
	}
	if written != holding {
		t.Errorf("the migration wrote %d rows, want the %d holding a NUL", written, holding)
	}
}
