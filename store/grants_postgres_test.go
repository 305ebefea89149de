package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store/pgtest"
	"github.com/jackc/pgx/v5/pgconn"
)

// The least privileges of the README: an owner role that migrates, and a
// day-to-day role holding exactly the grants of docs/postgres-grants.sql,
// which these tests run as the README tells an administrator to.

// grantDayToDay runs the repository's grants script as the owner of
// ownerURL's database, for role.
func grantDayToDay(t *testing.T, ownerURL, role string) {
	t.Helper()
	script, err := os.ReadFile(filepath.Join("..", grantsScript))
	if err != nil {
		t.Fatal(err)
	}
	// What `psql -v app=ROLE -f docs/postgres-grants.sql` sets.
	pgtest.Psql(t, ownerURL, fmt.Sprintf("\\set app %s\n%s", role, script))
}

// dayToDayRole migrates a new database as its owner and returns the
// owner's URL and that of a new role given the script's grants.
func dayToDayRole(t *testing.T, role string) (owner, app string) {
	t.Helper()
	owner = pgtest.URL(t)
	openPG(t, owner).Close()
	app = pgtest.Role(t, owner, role, role+"-Pa55")
	grantDayToDay(t, owner, role)
	return owner, app
}

// privileges lists role's privileges on each table of the schema, in the
// order the script writes them.
func privileges(t *testing.T, ownerURL, role string) map[string]string {
	t.Helper()
	out := pgtest.Psql(t, ownerURL, fmt.Sprintf(`SELECT table_name || ':' || string_agg(privilege_type, ', ' ORDER BY
		array_position(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER'], privilege_type::text))
		FROM information_schema.role_table_grants WHERE grantee = '%s' GROUP BY table_name`, role))
	got := map[string]string{}
	for _, line := range strings.Fields(strings.ReplaceAll(out, ", ", ",")) {
		table, privs, _ := strings.Cut(line, ":")
		got[table] = strings.ReplaceAll(privs, ",", ", ")
	}
	return got
}

func TestPostgresLeastPrivileges(t *testing.T) {
	t.Run("the script grants every table exactly what the store names in its errors", func(t *testing.T) {
		owner, _ := dayToDayRole(t, "grants_exact")
		got := privileges(t, owner, "grants_exact")
		if fmt.Sprint(got) != fmt.Sprint(dayToDayGrants) {
			t.Errorf("after %s the role holds\n%v\nwant dayToDayGrants\n%v", grantsScript, got, dayToDayGrants)
		}
		// A table a later migration adds must be in the script too.
		for _, table := range strings.Fields(pgtest.Psql(t, owner, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
			if _, ok := dayToDayGrants[table]; !ok {
				t.Errorf("the table %s has no grants in %s", table, grantsScript)
			}
		}
		facts := pgtest.Psql(t, owner, `SELECT rolsuper, rolcreaterole, rolcreatedb, has_schema_privilege('grants_exact', 'public', 'CREATE')
			FROM pg_roles WHERE rolname = 'grants_exact'`)
		if strings.TrimSpace(facts) != "f|f|f|f" {
			t.Errorf("superuser, createrole, createdb, CREATE on the schema = %q; want none", facts)
		}
	})

	t.Run("a day's work succeeds as the day-to-day role", func(t *testing.T) {
		_, app := dayToDayRole(t, "grants_day")
		dayOfWork(t, openPG(t, app))
	})

	t.Run("the logs refuse change by grant first, not only by trigger", func(t *testing.T) {
		owner, app := dayToDayRole(t, "grants_logs")
		s := openPG(t, owner)
		addFetched(t, s, result{id: checkID(1), doc: "high", face: "high"})
		if _, err := s.Decide(context.Background(), checkID(1), Approve, "fine", "ana"); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordAccess(context.Background(), AccessSession{Reviewer: "ana", Origin: OriginCLI}, AccessShow, checkID(1)); err != nil {
			t.Fatal(err)
		}
		s.Close()
		edits := []string{
			"UPDATE decisions SET note = 'forged'", "DELETE FROM decisions", "TRUNCATE decisions",
			"UPDATE access SET reviewer = 'nobody'", "DELETE FROM access", "TRUNCATE access",
		}
		// The owner, who may, is stopped by the append-only triggers.
		for _, edit := range edits {
			if code := sqlState(rawDB(t, owner).Exec(edit)); code != "P0001" {
				t.Errorf("the owner's %s: SQLSTATE %s; want the trigger's raise_exception P0001", edit, code)
			}
		}
		refused := func(when string) {
			t.Helper()
			for _, edit := range edits {
				if code := sqlState(rawDB(t, app).Exec(edit)); code != "42501" {
					t.Errorf("%s, the day-to-day role's %s: SQLSTATE %s; want permission denied, 42501", when, edit, code)
				}
			}
		}
		refused("with the triggers there")
		pgtest.Psql(t, pgtest.Superuser(t, owner), "ALTER TABLE decisions DISABLE TRIGGER USER; ALTER TABLE access DISABLE TRIGGER USER")
		refused("with a superuser's triggers disabled")
		var n int
		if err := rawDB(t, owner).QueryRow("SELECT (SELECT count(*) FROM decisions) + (SELECT count(*) FROM access)").Scan(&n); err != nil || n != 2 {
			t.Errorf("entries left in the logs: %d, %v; want the decision and the access record", n, err)
		}
	})
}

// sqlState is the SQLSTATE of a statement's error, "" for none.
func sqlState(_ sql.Result, err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// dayOfWork does what serve, the console and the CLI do in a day, each
// step failing the test with the store's error.
func dayOfWork(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	c := &clock{t: testNow}
	listening, stop := context.WithCancel(ctx)
	defer stop()
	changes, err := s.Changes(listening, AllWriters)
	step("listening for other instances' changes", err)
	for i := 1; i <= 4; i++ {
		addFetched(t, s, result{id: checkID(i), customer: "cus_1", first: "ANA", last: "LIMA", doc: "high", face: "medium"})
	}
	_, err = s.AddMany(ctx, []string{checkID(5), checkID(6)}, "ana", SourceImported)
	step("adding several", err)
	_, err = s.RecordFetches(ctx, []FetchResult{{CheckID: checkID(6), Check: makeCheck(t, result{id: checkID(6), doc: "low", face: "high"}), At: c.Now()}})
	step("a refresh's batch of fetches", err)
	step("recording a fetch that fails", s.RecordFetch(ctx, checkID(5), nil, errors.New("timeout"), c.Now()))
	addWaiting(t, s, c, checkID(7), caisson.ErrPendingReview)
	_, _, err = s.Exchange(ctx, "chk_xchg_"+strings.Repeat("Ab", 11), "ana",
		func(context.Context, string) (string, error) { return checkID(8), nil })
	step("exchanging a token", err)

	_, err = s.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Reject, Reason: ReasonOther, Note: "forged", Reviewer: "ana", Identity: anaID})
	step("rejecting", err)
	_, err = s.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Reopen, Note: "wrong one", Reviewer: "ana", Identity: anaID})
	step("reopening", err)
	_, err = s.DecideAs(ctx, DecisionRequest{CheckID: checkID(2), Action: Escalate, Reason: ReasonOther, Note: "ask", Reviewer: "ana", Identity: anaID})
	step("escalating", err)
	_, err = s.SetFourEyes(ctx, PolicyChange{FourEyes: FourEyesApprovals, Note: "two approve", Reviewer: "ana", Identity: anaID})
	step("setting four-eyes", err)
	_, err = s.SetSLA(ctx, SLAChange{SLA: 4 * time.Hour, Note: "same day", Reviewer: "ana", Identity: anaID})
	step("setting the SLA", err)
	d, err := s.DecideAs(ctx, DecisionRequest{CheckID: checkID(3), Action: Approve, Note: "fine", Reviewer: "ana", Identity: anaID})
	step("proposing", err)
	if d.Action != Propose {
		t.Fatalf("approving under four-eyes logged %s; want a proposal", d.Action)
	}
	_, err = s.DecideAs(ctx, DecisionRequest{CheckID: checkID(3), Action: Confirm, Note: "agreed", Reviewer: "bob", Identity: bobID})
	step("confirming", err)
	_, err = s.DecideAs(ctx, DecisionRequest{CheckID: checkID(4), Action: Approve, Note: "fine", Reviewer: "ana", Identity: anaID})
	step("proposing again", err)
	step("a fetch with a new answer, voiding the proposal", s.RecordFetch(ctx, checkID(4),
		makeCheck(t, result{id: checkID(4), doc: "low", face: "low"}), nil, c.Now().Add(time.Minute)))
	if n := entriesOn(t, s, checkID(4), Void); n != 1 {
		t.Fatalf("voids logged on %s: %d; want 1", checkID(4), n)
	}

	step("recording access", s.RecordAccess(ctx, AccessSession{Reviewer: "ana", Origin: OriginServe, Address: "10.0.0.7"}, AccessList, checkID(1), checkID(2)))
	step("claiming", s.Claim(ctx, "sess-1", checkID(4), "ana"))
	_, err = s.Heartbeat(ctx, "sess-1")
	step("a claim's heartbeat", err)
	_, err = s.Claims(ctx)
	step("listing claims", err)
	step("claims moving together", s.UpdateClaims(ctx, ClaimChange{Session: "sess-1", CheckID: checkID(2), Reviewer: "ana"},
		ClaimChange{Session: "sess-2", CheckID: checkID(3), Reviewer: "bob"}))
	step("releasing a claim", s.ReleaseClaim(ctx, "sess-1"))
	step("taking a poll lease", s.TakePollLease(ctx, checkID(7), "proc-a", testSchedule, c.Now().Add(time.Hour), time.Minute))
	step("releasing a poll lease", s.ReleasePollLease(ctx, checkID(7), "proc-a"))
	_, _, err = s.DuePolls(ctx, testSchedule, c.Now(), 10)
	step("finding due polls", err)

	_, err = s.Page(ctx, PageQuery{Queue: QueueAll, Filter: "lima"})
	step("a filtered page", err)
	_, err = s.Counts(ctx)
	step("counts", err)
	_, err = s.Stats(ctx, StatsQuery{})
	step("stats", err)
	_, err = s.Get(ctx, checkID(3))
	step("a check's detail", err)
	step("the access log", s.Accesses(ctx, AccessQuery{}, func(Access) error { return nil }))
	step("export", s.Decisions(ctx, time.Time{}, func(Decision) error { return nil }))
	_, err = s.Head(ctx)
	step("export --head", err)
	_, err = s.CountConfirmable(ctx, bobID)
	step("counting what bob may confirm", err)
	_, err = s.Purge(ctx, time.Nanosecond, c.Now().Add(24*time.Hour))
	step("purging", err)
	v, err := s.Verify(ctx)
	step("export --verify", err)
	if !v.OK {
		t.Fatalf("export --verify on the day-to-day role's log: %+v", v)
	}
	select {
	case <-changes:
	case <-time.After(5 * time.Second):
		t.Error("no notice of the day's writes came to the listener")
	}
	if len(s.Warnings()) != 0 {
		t.Errorf("opening as the day-to-day role warned %q", s.Warnings())
	}
}

func TestPostgresARoleMissingAGrantIsToldWhichOne(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, revoke, want string
		do                 func(s *Store) error
	}{
		{"a decision, whose trigger keeps the counts, without UPDATE on queue_counts",
			"REVOKE UPDATE ON queue_counts", "needs GRANT SELECT, UPDATE ON queue_counts",
			func(s *Store) error {
				_, err := s.Decide(ctx, checkID(1), Approve, "fine", "ana")
				return err
			}},
		{"a decision without INSERT on the log",
			"REVOKE INSERT ON decisions", "needs GRANT SELECT, INSERT ON decisions (the log is append-only: never UPDATE or DELETE",
			func(s *Store) error {
				_, err := s.Decide(ctx, checkID(1), Approve, "fine", "ana")
				return err
			}},
		{"a claim without DELETE on claims",
			"REVOKE DELETE ON claims", "needs GRANT SELECT, INSERT, UPDATE, DELETE ON claims",
			func(s *Store) error { return s.ReleaseClaim(ctx, "sess-1") }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := fmt.Sprintf("grants_missing_%d", i)
			owner, app := dayToDayRole(t, role)
			addFetched(t, openPG(t, owner), result{id: checkID(1), doc: "high", face: "high"})
			pgtest.Psql(t, owner, tt.revoke+" FROM "+role)
			err := tt.do(openPG(t, app))
			want := fmt.Sprintf("the role %q %s", role, tt.want)
			if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), role+"-Pa55") {
				t.Errorf("got %v\nwant it to say %q", err, want)
			}
		})
	}
}

// A newer caisson-review opened with the day-to-day role on a database
// an earlier one made cannot migrate it, and says which role must.
func TestPostgresTheDayToDayRoleCannotMigrateAndSaysWhoMust(t *testing.T) {
	owner, app := dayToDayRole(t, "grants_upgrade")
	last := PostgresSchemaVersion()
	// The database as the build before this one left it, as far as
	// opening can tell: its version one lower (the last migration,
	// 0010_access_chained.sql, changes nothing when run again).
	pgtest.Psql(t, owner, fmt.Sprintf("DELETE FROM schema_version WHERE version = %d", last))
	ownerRole := strings.TrimSpace(pgtest.Psql(t, owner, "SELECT current_user"))

	_, err := Open(context.Background(), app)
	for _, want := range []string{
		fmt.Sprintf("the database's schema is at version %d and this caisson-review needs version %d", last-1, last),
		`which the role "grants_upgrade" may not install (permission denied for schema public)`,
		fmt.Sprintf("run this caisson-review once as the role %q that owns caisson-review's tables", ownerRole),
		fmt.Sprintf("caisson-review --db postgres://%s@HOST/DB export --head", ownerRole), grantsScript,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open by the day-to-day role of a database one version behind: %v\nwant it to say %q", err, want)
		}
	}
	if slices.Contains(schemaVersions(t, rawDB(t, owner)), last) {
		t.Errorf("the refused migration was recorded")
	}

	openPG(t, owner).Close()
	grantDayToDay(t, owner, "grants_upgrade")
	if err := openPG(t, app).Claim(context.Background(), "sess-1", checkID(1), "ana"); err != nil {
		t.Errorf("a claim after the owner upgraded and granted again: %v", err)
	}
}

// migrate-store sets the target's identity sequences, which the
// day-to-day role has no grant on: it is the owner's to run, and says so
// before it copies anything (found only at the end, it left a full but
// unfinished copy, which took commands and failed its first add on a key
// already used).
func TestPostgresMigrateStoreAsTheDayToDayRoleSaysToRunItAsTheOwner(t *testing.T) {
	owner, app := dayToDayRole(t, "grants_copy")
	from := openAt(t, filepath.Join(t.TempDir(), "review.db"), &clock{t: testNow})
	addFetched(t, from, result{id: checkID(1), doc: "high", face: "high"})
	if err := from.RecordAccess(context.Background(), AccessSession{Reviewer: "ana", Origin: OriginCLI}, AccessShow, checkID(1)); err != nil {
		t.Fatal(err)
	}
	_, err := openPG(t, app).CopyFrom(context.Background(), from, CopyOptions{})
	want := `the role "grants_copy" may not set the sequence tracked_id_seq`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "run migrate-store as the role that owns caisson-review's tables") ||
		!strings.Contains(err.Error(), "nothing was copied") {
		t.Errorf("CopyFrom into the day-to-day role's database: %v\nwant it to say %q, who must run it, and that nothing was copied", err, want)
	}
	for _, table := range []string{"tracked", "checks", "access"} {
		if n := strings.TrimSpace(pgtest.Psql(t, owner, "SELECT count(*) FROM "+table)); n != "0" {
			t.Errorf("the refused copy left %s rows in %s", n, table)
		}
	}
	// As the owner, the same copy is made.
	if _, err := openPG(t, owner).CopyFrom(context.Background(), from, CopyOptions{}); err != nil {
		t.Fatalf("CopyFrom as the owner: %v", err)
	}
}

// --from and --to naming one PostgreSQL database two ways (another
// parameter, localhost for 127.0.0.1) are refused: the text of the URLs
// cannot tell, and the copy found the source "already copied", exit 0.
// Two databases on one server are copied as before.
func TestPostgresACopyOfADatabaseOntoItselfIsRefused(t *testing.T) {
	base := pgtest.URL(t)
	from := openPG(t, base)
	addFetched(t, from, result{id: checkID(1), doc: "low", face: "high"})
	to := openPG(t, base+"&connect_timeout=7")
	_, err := to.CopyFrom(context.Background(), from, CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "one PostgreSQL database (named two ways)") || !strings.Contains(err.Error(), "nothing was copied") {
		t.Fatalf("CopyFrom of a database onto itself: %v; want it refused as one database", err)
	}
	other := openPG(t, pgtest.URL(t))
	rep, err := other.CopyFrom(context.Background(), from, CopyOptions{})
	if err != nil || rep.Tracked != 1 {
		t.Fatalf("CopyFrom into another database of the server: %+v, %v", rep, err)
	}
	// The marks are gone with the copy: it can be made again elsewhere.
	if _, err := openPG(t, pgtest.URL(t)).CopyFrom(context.Background(), from, CopyOptions{}); err != nil {
		t.Fatalf("a second copy of the same source: %v", err)
	}
}

// A second copy into a database while one fills it is refused, saying
// so (it met the first's rows on their keys and failed with a duplicate
// key, advising to run it again); once the first ends, the copy runs.
func TestPostgresASecondCopyIntoATargetBeingFilledIsRefused(t *testing.T) {
	from := openPG(t, pgtest.URL(t))
	addFetched(t, from, result{id: checkID(1), doc: "low", face: "high"})
	target := pgtest.URL(t)
	first, err := rawDB(t, target).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	// Held as holdCopyTarget holds it: a copy filling the target now.
	if _, err := first.ExecContext(context.Background(), "SELECT pg_advisory_lock($1)", copyTargetKey); err != nil {
		t.Fatal(err)
	}
	to := openPG(t, target)
	_, err = to.CopyFrom(context.Background(), from, CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "another migrate-store is copying into this database now") || !strings.Contains(err.Error(), "nothing was copied") {
		t.Fatalf("a copy into a target another copy is filling: %v; want it refused, saying so", err)
	}
	if _, err := first.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", copyTargetKey); err != nil {
		t.Fatal(err)
	}
	if rep, err := to.CopyFrom(context.Background(), from, CopyOptions{}); err != nil || rep.Tracked != 1 {
		t.Fatalf("the copy once the other ended: %+v, %v", rep, err)
	}
}
