package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// These tests are of the PostgreSQL backend itself: opening, migrating,
// the write lock, the append-only triggers and their guard, and what a
// reviewer is told when the server cannot be used. The behaviour of the
// store on PostgreSQL is the whole suite's, run with
// CAISSON_TEST_BACKEND=postgres.

// openPG opens a Store on url, closed at the end of the test.
func openPG(t *testing.T, url string, opts ...Option) *Store {
	t.Helper()
	opts = append([]Option{WithClock((&clock{t: testNow}).Now)}, opts...)
	s, err := Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", Redact(url), err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func schemaVersions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query("SELECT version FROM schema_version ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func wantOneRowPerMigration(t *testing.T, db *sql.DB) {
	t.Helper()
	got := schemaVersions(t, db)
	var want []int
	for v := 1; v <= PostgresSchemaVersion(); v++ {
		want = append(want, v)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("schema_version holds %v, want one row per migration %v", got, want)
	}
}

func TestPostgresOpenMakesTheSchemaAndASecondOpenFindsItCurrent(t *testing.T) {
	url := pgtest.URL(t)
	s := openPG(t, url)
	if s.Path() != Redact(url) {
		t.Errorf("Path() = %q, want the redacted URL %q", s.Path(), Redact(url))
	}
	raw := rawDB(t, url)
	wantOneRowPerMigration(t, raw)
	for _, table := range []string{"checks", "tracked", "decisions", "access", "exchanges", "queue_counts", "polls", "decision_days"} {
		var ok bool
		if err := raw.QueryRow("SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s: present %v (%v), want it made by Open", table, ok, err)
		}
	}
	var counts int
	if err := raw.QueryRow("SELECT count(*) FROM queue_counts").Scan(&counts); err != nil || counts != 1 {
		t.Errorf("queue_counts has %d rows (%v), want the one row the counts are kept in", counts, err)
	}
	s.Close()

	// The second Open writes nothing: no transaction commits in the
	// database while it opens.
	before := committed(t, raw)
	var warned bytes.Buffer
	s2 := openPG(t, url, WithWarnings(&warned))
	if after := committed(t, raw); after != before {
		t.Errorf("opening an up-to-date database committed %d transactions, want none", after-before)
	}
	if warned.Len() != 0 || len(s2.Warnings()) != 0 {
		t.Errorf("a fresh database warns: %q", warned.String())
	}
	wantOneRowPerMigration(t, raw)
}

// committed is the next transaction id the server will assign: a
// transaction that writes takes one, one that only reads does not. The
// server is this package's alone, and its tests run one at a time.
func committed(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPostgresOpensStartedTogetherMigrateOnce(t *testing.T) {
	url := pgtest.URL(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s, err := Open(context.Background(), url)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d of %d started together: %v", i+1, n, err)
		}
	}
	wantOneRowPerMigration(t, rawDB(t, url))
}

func TestPostgresRefusesADatabaseOfANewerVersion(t *testing.T) {
	url := pgtest.URL(t)
	openPG(t, url).Close()
	raw := rawDB(t, url)
	newer := PostgresSchemaVersion() + 1
	if _, err := raw.Exec("INSERT INTO schema_version (version) VALUES ($1)", newer); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), url)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d but this caisson-review knows only up to %d", newer, newer-1)) ||
		!strings.Contains(err.Error(), "upgrade caisson-review (the database was not changed)") {
		t.Fatalf("Open of a database of version %d = %v, want the refusal SQLite gives", newer, err)
	}
	if got := schemaVersions(t, raw); len(got) != newer || got[len(got)-1] != newer {
		t.Errorf("schema_version is %v after the refusal, want it untouched", got)
	}
	if SchemaVersionAt(url) != newer-1 || SchemaVersionAt("/tmp/review.db") != SchemaVersion() {
		t.Errorf("SchemaVersionAt: %d for PostgreSQL, %d for a file; want %d and %d", SchemaVersionAt(url), SchemaVersionAt("/tmp/review.db"), newer-1, SchemaVersion())
	}
}

func TestPostgresADecisionIsThereAfterReopening(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	s := openPG(t, url)
	if _, err := s.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	d, err := s.Decide(ctx, checkID(1), Escalate, "unsure", "ana")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := openPG(t, url)
	h, err := s2.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Seq != d.Seq || h.Hash != d.Hash {
		t.Errorf("after reopening, the log's head is %+v, want the decision written before (%d, %s)", h, d.Seq, d.Hash)
	}
	var status string
	if err := rawDB(t, url).QueryRow("SELECT status FROM checks WHERE check_id = $1", checkID(1)).Scan(&status); err != nil || status != "escalated" {
		t.Errorf("status %q (%v), want escalated", status, err)
	}
}

func TestPostgresTheLogsRefuseChangeAndDeletionInSQLitesWords(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	s := openPG(t, url)
	if _, err := s.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, checkID(1), Escalate, "unsure", "ana"); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, url)
	if _, err := raw.Exec(`INSERT INTO access (id, at, identity, reviewer, check_id, what, origin, prev_hash, hash) VALUES (1, 1, 'os:uid=1', 'ana', $1, 'show', 'cli', '', '')`, checkID(1)); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ stmt, want string }{
		{"UPDATE decisions SET note = 'fine'", "the decision log is append-only: entries cannot be changed"},
		{"DELETE FROM decisions", "the decision log is append-only: entries cannot be deleted"},
		{"TRUNCATE decisions CASCADE", "the decision log is append-only: entries cannot be deleted"},
		{"UPDATE access SET reviewer = 'nobody'", "the access log is append-only: records cannot be changed"},
		{"DELETE FROM access", "the access log is append-only: records cannot be deleted"},
		{"TRUNCATE access", "the access log is append-only: records cannot be deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.stmt, func(t *testing.T) {
			_, err := raw.Exec(tt.stmt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v, want refused with %q", tt.stmt, err, tt.want)
			}
		})
	}
	var n int
	if err := raw.QueryRow("SELECT (SELECT count(*) FROM decisions) + (SELECT count(*) FROM access)").Scan(&n); err != nil || n != 2 {
		t.Errorf("%d entries left (%v), want the decision and the access record", n, err)
	}
}

func TestPostgresOpenWarnsWhenTheLogsGuardIsNotAsShipped(t *testing.T) {
	tests := []struct {
		name, tamper, want string
	}{
		{"the delete trigger dropped", "DROP TRIGGER decisions_no_delete ON decisions",
			"the trigger decisions_no_delete is missing (dropped?): PostgreSQL no longer refuses to delete entries of the decision log"},
		{"the access log's update trigger disabled", "ALTER TABLE access DISABLE TRIGGER access_no_update",
			"the trigger access_no_update is disabled"},
		{"the refusal's function replaced", `CREATE OR REPLACE FUNCTION decisions_no_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
			"the trigger decisions_no_update is not the one shipped (changed?)"},
		{"the trigger made toothless", `DROP TRIGGER decisions_no_update ON decisions;
			CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions FOR EACH ROW WHEN (false) EXECUTE FUNCTION decisions_no_update()`,
			"the trigger decisions_no_update is not the one shipped (changed?)"},
		{"a trigger added to rewrite entries", `CREATE FUNCTION launder() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := ''; RETURN NEW; END $$;
			CREATE TRIGGER decisions_launder BEFORE INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION launder()`,
			"the decision log has a trigger caisson-review did not ship (decisions_launder)"},
		{"a rule added to drop entries", `CREATE RULE forget AS ON INSERT TO access DO INSTEAD NOTHING`,
			"the access log has a rule caisson-review did not ship (forget)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := pgtest.URL(t)
			openPG(t, url).Close()
			if _, err := rawDB(t, url).Exec(tt.tamper); err != nil {
				t.Fatal(err)
			}
			var warned bytes.Buffer
			s := openPG(t, url, WithWarnings(&warned))
			if !strings.Contains(warned.String(), "WARNING: the review database may have been tampered with") ||
				!strings.Contains(warned.String(), tt.want) || !strings.Contains(strings.Join(s.Warnings(), "; "), tt.want) {
				t.Errorf("Open warned %q (Warnings %q), want a WARNING saying %q", warned.String(), s.Warnings(), tt.want)
			}
			v, err := s.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if v.OK || !strings.Contains(strings.Join(v.Unguarded, "; "), tt.want) {
				t.Errorf("Verify = %+v, want not OK saying %q", v, tt.want)
			}
		})
	}
}

// The guard's list is what migration 0001 makes: a fresh database warns
// of nothing, and has no trigger on the logs the guard does not know.
func TestPostgresShippedTriggersAreTheOnesGuarded(t *testing.T) {
	url := pgtest.URL(t)
	s := openPG(t, url)
	problems, err := guardProblemsPostgres(context.Background(), s.db)
	if err != nil || len(problems) != 0 {
		t.Fatalf("a fresh database: %v, %v; want no problems", problems, err)
	}
	var n int
	if err := rawDB(t, url).QueryRow(`SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal
		AND tgrelid IN ('decisions'::regclass, 'access'::regclass)`).Scan(&n); err != nil || n != len(postgresGuard) {
		t.Errorf("a fresh database has %d triggers on the logs (%v), the guard knows %d", n, err, len(postgresGuard))
	}
}

// withPassword is url with user and password set.
func withPassword(t *testing.T, raw, user, password string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

// withoutPassword is raw with no password in its user part.
func withoutPassword(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

func TestPostgresOpenSaysWhatToFixAndNeverShowsThePassword(t *testing.T) {
	// No password file of the account running the tests: "no password at
	// all" must send none.
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "no-pgpass"))
	base := pgtest.URL(t)
	const secret = "s3cr3t-Pa55"
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	freePort := closedPort(t)
	owner, _ := u.User.Password()
	tests := []struct {
		name, url string
		want      []string
	}{
		{"a wrong password", withPassword(t, base, u.User.Username(), secret),
			[]string{"refused the password of the role " + strconv.Quote(u.User.Username()), "correct the password in the URL"}},
		{"an unreachable port", withPassword(t, strings.Replace(base, u.Host, freePort, 1), "ana", secret),
			[]string{"the PostgreSQL server " + freePort + " is unreachable (connection refused)", "is it running"}},
		{"a database that does not exist", strings.Replace(base, u.Path, "/no_such_db", 1),
			[]string{`the database "no_such_db" does not exist on the PostgreSQL server`, "createdb no_such_db"}},
		{"a URL that does not parse", "postgres://ana:" + secret + "@127.0.0.1:notaport/db",
			[]string{"the URL does not parse", "expected postgres://user:password@host:port/dbname"}},
		{"a server without TLS when the URL requires it", strings.Replace(base, "sslmode=disable", "sslmode=verify-full", 1),
			[]string{"it does not offer TLS, which the URL's sslmode requires"}},
		{"a CA file that cannot be read", strings.Replace(base, "sslmode=disable", "sslmode=verify-full&sslrootcert=/nonexistent/ca.crt", 1),
			[]string{"the URL cannot be used", "/nonexistent/ca.crt"}},
		// Each names the parameter that is wrong (it said "the URL does
		// not parse", or quoted strconv's words alone).
		{"a connect_timeout that is no number", withPassword(t, base, "ana", secret) + "&connect_timeout=abc",
			[]string{"the URL cannot be used: invalid connect_timeout", `parsing "abc"`}},
		{"a port that is no number", withPassword(t, base, "ana", secret) + "&port=abc",
			[]string{"the URL cannot be used: invalid port"}},
		{"a target_session_attrs pgx does not know", withPassword(t, base, "ana", secret) + "&target_session_attrs=bad",
			[]string{"the URL cannot be used: unknown target_session_attrs value: bad"}},
		{"no password at all", withoutPassword(t, base),
			[]string{"wants a password for the role " + strconv.Quote(u.User.Username()) + ", and none was given", "~/.pgpass"}},
		{"a password as a parameter", strings.Replace(strings.Replace(base, ":"+owner+"@", "@", 1), u.Path, "/no_such_db", 1) + "&password=" + url.QueryEscape(owner),
			[]string{`the database "no_such_db" does not exist`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := Open(ctx, tt.url)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			for _, pw := range []string{secret, url.QueryEscape(secret), owner} {
				if strings.Contains(msg, pw) {
					t.Errorf("the error shows a password: %s", msg)
				}
			}
			if !strings.Contains(msg, "opening the review database") {
				t.Errorf("error %q does not say what was being done", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\nwant it to say %q", msg, w)
				}
			}
		})
	}
}

func TestPostgresWritesFromTwoStoresSerialize(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	a, b := openPG(t, url), openPG(t, url)
	const perStore = 15
	for i := 1; i <= 2*perStore; i++ {
		if _, err := a.Add(ctx, checkID(i), "ana", SourceTyped); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for k, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= perStore; i++ {
				id := checkID(k*perStore + i)
				if _, err := s.Decide(ctx, id, Escalate, "unsure", fmt.Sprintf("reviewer%d", k)); err != nil {
					errs <- fmt.Errorf("%s: %w", id, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n, escalated int64
	raw := rawDB(t, url)
	if err := raw.QueryRow("SELECT count(*) FROM decisions").Scan(&n); err != nil || n != 2*perStore {
		t.Errorf("%d decisions (%v), want every one of %d", n, err, 2*perStore)
	}
	if err := raw.QueryRow("SELECT escalated FROM queue_counts").Scan(&escalated); err != nil || escalated != 2*perStore {
		t.Errorf("queue_counts.escalated = %d (%v), want %d", escalated, err, 2*perStore)
	}
	v, err := a.Verify(ctx)
	if err != nil || !v.OK {
		t.Errorf("Verify after concurrent writers = %+v, %v; want the chain whole", v, err)
	}
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// holdWriteLock takes the store's write lock as lockWritesTx takes it, in
// a transaction of its own on url, held until the test ends or the
// transaction does.
func holdWriteLock(t *testing.T, url string) *sql.Tx {
	t.Helper()
	other, err := rawDB(t, url).BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Rollback() })
	if _, err := other.Exec("SELECT pg_advisory_xact_lock($1)", writeLockKey); err != nil {
		t.Fatal(err)
	}
	return other
}

// A write waits for the write lock, whoever holds it: another instance's
// transaction here, taken by hand as lockWritesTx takes it.
func TestPostgresAWriteWaitsWhileAnotherHoldsTheWriteLock(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	s := openPG(t, url)
	other := holdWriteLock(t, url)
	done := make(chan error, 1)
	go func() {
		_, err := s.Add(ctx, checkID(1), "ana", SourceTyped)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Add returned (%v) while another transaction held the write lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Add after the lock was released: %v", err)
	}
}

// A write that PostgreSQL aborts to break a deadlock (40P01) is run again
// from the start, as a write SQLite reports busy is: here with another
// session that holds the row of counts and then asks for the write lock.
func TestPostgresAWriteCaughtInADeadlockIsRunAgain(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	// PostgreSQL aborts the session whose deadlock check runs first once the
	// cycle exists: the Store's, which waits first, provided the other
	// session asks for the write lock before the Store's deadlock_timeout
	// ends. The default 1 s was too short a margin on a loaded machine
	// (the other session was aborted instead); 2 s doubles it.
	db, _, _ := strings.Cut(url[strings.LastIndex(url, "/")+1:], "?")
	pgtest.Psql(t, pgtest.Superuser(t, url), "ALTER DATABASE "+db+" SET deadlock_timeout = '2s'")
	s := openPG(t, url)
	raw := rawDB(t, url)
	other, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if _, err := other.Exec("UPDATE queue_counts SET tracked = tracked WHERE one = 1"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Add(ctx, checkID(1), "ana", SourceTyped)
		done <- err
	}()
	// The Store's write holds the write lock and waits for the row.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := raw.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'caisson-review'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Store's write never waited for the row of counts")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Now the cycle: PostgreSQL aborts one of the two.
	if _, err := other.Exec("SELECT pg_advisory_xact_lock($1)", writeLockKey); err != nil {
		t.Fatalf("the other session was the one aborted (%v): the test proves nothing", err)
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Add caught in a deadlock: %v; want it run again and done", err)
	}
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM tracked").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d checks tracked (%v), want the one added once", n, err)
	}
}

// A role without a grant the program needs is told which: the statement's
// table and the GRANT that would let it.
func TestPostgresAMissingGrantIsNamed(t *testing.T) {
	ctx := context.Background()
	t.Run("a write to a table the role may only read", func(t *testing.T) {
		owner := pgtest.URL(t)
		openPG(t, owner).Close()
		reader := pgtest.Role(t, owner, "pgcore_reader", "reader-Pa55")
		pgtest.Psql(t, owner, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO pgcore_reader")
		s := openPG(t, reader)
		_, err := s.Add(ctx, checkID(1), "ana", SourceTyped)
		want := `adding ` + checkID(1) + `: nothing was written: the role "pgcore_reader" needs GRANT SELECT, INSERT, UPDATE ON tracked (docs/postgres-grants.sql gives every grant)`
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "reader-Pa55") {
			t.Errorf("Add by a role that may only read: %v\nwant it to say %q", err, want)
		}
	})
	t.Run("installing the schema without CREATE on it", func(t *testing.T) {
		owner := pgtest.URL(t)
		reader := pgtest.Role(t, owner, "pgcore_newcomer", "newcomer-Pa55")
		_, err := Open(ctx, reader)
		want := `the role "pgcore_newcomer" needs USAGE on the schema public, and CREATE there to install or upgrade caisson-review's tables`
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "newcomer-Pa55") {
			t.Errorf("Open of a new database by a role that may not create in it: %v\nwant it to say %q", err, want)
		}
	})
}

// heldConns takes n of the store's pooled connections at once, held until
// the test ends, so that a test asks more than the one a pool reuses.
func heldConns(t *testing.T, s *Store, n int) []*sqlConn {
	t.Helper()
	conns := make([]*sqlConn, n)
	for i := range conns {
		c, err := s.db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	return conns
}

// Whatever the server's or the role's defaults, every connection commits
// synchronously (a decision shown as saved is on the server's disk) and
// names itself to the server's administrators.
func TestPostgresEveryConnectionCommitsSynchronously(t *testing.T) {
	url := pgtest.URL(t)
	pgtest.Psql(t, url, "ALTER ROLE CURRENT_USER SET synchronous_commit = off")
	s := openPG(t, url)
	ctx := context.Background()
	// Several connections at once, so that more than the first is asked.
	conns := heldConns(t, s, 3)
	for i, c := range conns {
		var sync, app string
		if err := c.QueryRowContext(ctx, "SELECT current_setting('synchronous_commit'), current_setting('application_name')").Scan(&sync, &app); err != nil {
			t.Fatal(err)
		}
		if sync != "on" || app != "caisson-review" {
			t.Errorf("connection %d: synchronous_commit %s, application_name %q; want on and caisson-review", i+1, sync, app)
		}
	}
}

// A database made by an earlier build, at each earlier version, is
// brought up to this build's version in steps, one row of schema_version
// each.
func TestPostgresOpenUpgradesADatabaseOfEachEarlierVersion(t *testing.T) {
	ms, err := loadPostgresMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for v := 1; v < len(ms); v++ {
		t.Run(fmt.Sprintf("from version %d", v), func(t *testing.T) {
			url := pgtest.URL(t)
			raw := rawDB(t, url)
			if _, err := raw.Exec("CREATE TABLE schema_version (version integer NOT NULL PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			for _, m := range ms[:v] {
				if _, err := raw.Exec(m.sql); err != nil {
					t.Fatalf("migration %s: %v", m.name, err)
				}
				if _, err := raw.Exec("INSERT INTO schema_version (version) VALUES ($1)", m.version); err != nil {
					t.Fatal(err)
				}
			}
			s := openPG(t, url)
			wantOneRowPerMigration(t, raw)
			if _, err := s.Add(context.Background(), checkID(1), "ana", SourceTyped); err != nil {
				t.Errorf("Add on the upgraded database: %v", err)
			}
		})
	}
}

// A write does not wait forever for a write lock someone keeps (a session
// left in a transaction, a hung instance): it waits and tries again as a
// write SQLite reports busy does, then is refused in SQLite's words, with
// nothing written. Here each wait is cut to 100 ms.
func TestPostgresAWriteGivesUpOnAWriteLockKeptTooLong(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	s := openPG(t, url)
	s.testLockWait = 100 * time.Millisecond
	other := holdWriteLock(t, url)
	start := time.Now()
	// Bounded here too, so that a write that waits forever fails the test
	// rather than hanging it.
	addCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err := s.Add(addCtx, checkID(1), "ana", SourceTyped)
	waited := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "another caisson-review kept the database locked; nothing was written, try again") {
		t.Fatalf("Add while the write lock was kept: %v; want it refused as SQLite refuses a busy write", err)
	}
	if want := time.Duration(maxBusyRetries+1) * s.testLockWait; waited < want {
		t.Errorf("gave up after %s, before waiting %s (each try's wait)", waited, want)
	}
	if err := other.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, checkID(1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused add left the check behind (Get: %v)", err)
	}
	// And the next write, the lock free again, is made.
	if _, err := s.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
		t.Fatalf("Add once the lock was released: %v", err)
	}
}

// The URL's parameters reach the server as written: pgx reads them as
// libpq does, where + is a +, so a space (%20) must not be re-encoded as
// one. Here a password with a space (and a +), and an options value with
// a space.
func TestPostgresURLParametersReachTheServerAsWritten(t *testing.T) {
	base := pgtest.URL(t)
	openPG(t, base).Close() // the schema, made by the database's owner
	owner, _ := url.Parse(base)
	const password = "two words+one"
	roleURL := pgtest.Role(t, base, "url_parameters_reviewer", password)
	pgtest.Psql(t, pgtest.Superuser(t, base), "GRANT "+pq(owner.User.Username())+" TO url_parameters_reviewer")
	u, err := url.Parse(roleURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(u.User.Username())
	u.RawQuery += "&password=" + strings.ReplaceAll(url.QueryEscape(password), "+", "%20") + "&options=-c%20statement_timeout%3D4321"
	s, err := Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("Open with the password and options as parameters: %v", err)
	}
	defer s.Close()
	var timeout string
	if err := s.db.QueryRow("SELECT current_setting('statement_timeout')").Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if timeout != "4321ms" {
		t.Errorf("statement_timeout = %q, want 4321ms from the URL's options", timeout)
	}
}

// pq quotes an identifier for psql.
func pq(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

var updatePGTriggers = flag.Bool("update-pg-triggers", false, "write postgres_triggers.txt from a new PostgreSQL store")

// Every trigger a new PostgreSQL store has is in postgres_triggers.txt,
// which Verify holds every store's to (schemaTriggerProblemsPostgres): a
// migration that adds or changes one must change the file, with
// go test ./store -run TestPostgresEveryTriggerIsOneShipped -update-pg-triggers.
// And a trigger an owner adds on checks to write into the access log is
// said, as on SQLite (helper-77).
func TestPostgresEveryTriggerIsOneShipped(t *testing.T) {
	url := pgtest.URL(t)
	s := openPG(t, url)
	ctx := context.Background()
	got, err := postgresSchemaTriggers(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, key := range sortedKeys(got) {
		table, name, _ := strings.Cut(key, ".")
		lines = append(lines, table+" "+name+" "+got[key])
	}
	file := strings.Join(lines, "\n") + "\n"
	if *updatePGTriggers {
		if err := os.WriteFile("postgres_triggers.txt", []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if file != postgresTriggersFile {
		t.Fatalf("postgres_triggers.txt is not what the migrations make: run go test ./store -run TestPostgresEveryTriggerIsOneShipped -update-pg-triggers\ngot:\n%s", file)
	}
	if problems, err := schemaTriggerProblemsPostgres(ctx, s.db); err != nil || len(problems) != 0 {
		t.Fatalf("a new store: %v, %v; want no problems", problems, err)
	}
	admin := pgtest.Superuser(t, url)
	pgtest.Psql(t, admin, `CREATE FUNCTION implant() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO access (id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash)
			VALUES (-9, 1, 'x', 'carol', NEW.check_id, 'show', 'cli', '', '', ''); RETURN NEW; END $$;
		CREATE TRIGGER checks_audit AFTER UPDATE ON checks FOR EACH ROW EXECUTE FUNCTION implant();`)
	v, err := s.Verify(ctx)
	if err != nil || v.OK || !strings.Contains(strings.Join(v.Schema, "; "), "did not ship (checks.checks_audit)") {
		t.Errorf("Verify with a trigger on checks = %+v, %v; want it said", v, err)
	}
}
