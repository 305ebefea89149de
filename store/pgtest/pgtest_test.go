package pgtest_test

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestEachURLIsASeparateEmptyDatabaseOwnedByAnOrdinaryRole(t *testing.T) {
	a, b := open(t, pgtest.URL(t)), open(t, pgtest.URL(t))
	if _, err := a.Exec("CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	var tables int
	if err := b.QueryRow("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("the second database has %d tables, want 0: the two URLs share a database", tables)
	}
	for name, db := range map[string]*sql.DB{"first": a, "second": b} {
		var super, owns bool
		err := db.QueryRow(`SELECT r.rolsuper, d.datdba = r.oid FROM pg_roles r, pg_database d
			WHERE r.rolname = current_user AND d.datname = current_database()`).Scan(&super, &owns)
		if err != nil {
			t.Fatal(err)
		}
		if super || !owns {
			t.Errorf("%s database: role is superuser %v, owns the database %v; want an ordinary role that owns it", name, super, owns)
		}
	}
}

func TestTheDatabaseIsDroppedAtTheEndOfItsTest(t *testing.T) {
	var name string
	t.Run("user", func(t *testing.T) {
		if err := open(t, pgtest.URL(t)).QueryRow("SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	var left int
	if err := open(t, pgtest.Superuser(t, pgtest.URL(t))).QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestAWrongPasswordIsRefused(t *testing.T) {
	owner := pgtest.URL(t)
	reader := pgtest.Role(t, owner, "pgtest_reader", "right horse battery")
	if err := open(t, reader).Ping(); err != nil {
		t.Fatalf("the role with its password: %v", err)
	}
	for _, wrong := range []string{
		strings.Replace(reader, "right", "wrong", 1),
		withPassword(t, owner, "not-the-password"),
	} {
		err := open(t, wrong).Ping()
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
			t.Errorf("a wrong password: got %v, want SQLSTATE 28P01 (invalid_password)", err)
		}
	}
}

func withPassword(t *testing.T, dbURL, password string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

func TestPsqlEditsTheDatabaseOutsideTheProgram(t *testing.T) {
	db := pgtest.URL(t)
	pgtest.Psql(t, db, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('edited by hand');")
	var body string
	if err := open(t, db).QueryRow("SELECT body FROM notes").Scan(&body); err != nil || body != "edited by hand" {
		t.Fatalf("after psql's insert: %q, %v", body, err)
	}
	if got := pgtest.Psql(t, db, "SELECT body FROM notes"); got != "edited by hand\n" {
		t.Errorf("psql printed %q, want the row alone", got)
	}
	_, err := pgtest.RunPsql(t, db, "INSERT INTO notes VALUES ('one'); SELECT * FROM missing; INSERT INTO notes VALUES ('two');")
	if err == nil || !strings.Contains(err.Error(), `relation "missing" does not exist`) {
		t.Errorf("a failing script: err = %v, want psql's error", err)
	}
	if strings.Contains(fmt.Sprint(err), "pgtest-") {
		t.Errorf("the error shows the password: %v", err)
	}
	var n int
	if err := open(t, db).QueryRow("SELECT count(*) FROM notes WHERE body = 'two'").Scan(&n); err != nil || n != 0 {
		t.Errorf("psql went on after the error: %d rows of the statement after it, %v", n, err)
	}
}

func TestDumpHoldsTheRowsOfTheDatabase(t *testing.T) {
	db := pgtest.URL(t)
	pgtest.Psql(t, db, "CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ('tok_live_visible');")
	if dump := pgtest.Dump(t, db); !strings.Contains(dump, "tok_live_visible") || !strings.Contains(dump, "CREATE TABLE public.secrets") {
		t.Errorf("the dump lacks the table or its row:\n%s", dump)
	}
}

// helperEnv names the helper a re-run of this test binary plays.
const helperEnv = "PGTEST_HELPER"

// TestHelper is not a test: the tests below run this binary again with
// helperEnv set, to see what a whole package run does.
func TestHelper(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "":
		t.Skip("run by other tests in a subprocess")
	case "start":
		var dir string
		admin := pgtest.Superuser(t, pgtest.URL(t))
		if err := open(t, admin).QueryRow("SELECT current_setting('data_directory')").Scan(&dir); err != nil {
			t.Fatal(err)
		}
		pidFile, err := os.ReadFile(dir + "/postmaster.pid")
		if err != nil {
			t.Fatal(err)
		}
		pid, _, _ := strings.Cut(string(pidFile), "\n")
		fmt.Printf("server pid=%s dir=%s\n", pid, dir)
	case "url":
		pgtest.URL(t)
	}
}

func runHelper(t *testing.T, helper string, env ...string) (string, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelper$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, pgtest.RequireEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append(env, helperEnv+"="+helper)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestTheServerIsStoppedAfterMain(t *testing.T) {
	out, err := runHelper(t, "start")
	if err != nil {
		t.Fatalf("the helper run failed: %v\n%s", err, out)
	}
	var pid int
	var dir string
	i := strings.Index(out, "server pid=")
	if i < 0 {
		t.Fatalf("the helper printed no server:\n%s", out)
	}
	if _, err := fmt.Sscanf(out[i:], "server pid=%d dir=%s", &pid, &dir); err != nil {
		t.Fatalf("reading %q: %v", out[i:], err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("postgres (pid %d) still runs after the package's tests ended (kill -0: %v)", pid, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the server's data directory %s is still there (%v)", dir, err)
	}
	if children := postgresProcessesUnder(t, dir); len(children) > 0 {
		t.Errorf("postgres processes of that server still run: %v", children)
	}
}

// postgresProcessesUnder lists the pids whose command line names dir.
func postgresProcessesUnder(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to list processes: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.Contains(string(cmdline), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestWithoutBinariesTheTestsSkipUnlessPostgreSQLIsRequired(t *testing.T) {
	noPostgres := "PATH=" + t.TempDir()
	tests := []struct {
		name     string
		require  []string
		wantFail bool
		want     string
	}{
		{"skipped, saying how to install it", nil, false, "--- SKIP: TestHelper"},
		{"failed when CAISSON_REQUIRE_POSTGRES=1", []string{pgtest.RequireEnv + "=1"}, true, "--- FAIL: TestHelper"},
		{"skipped when CAISSON_REQUIRE_POSTGRES=0", []string{pgtest.RequireEnv + "=0"}, false, "--- SKIP: TestHelper"},
		{"failed on a value that is not a yes or no", []string{pgtest.RequireEnv + "=yes please"}, true, "want 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runHelper(t, "url", append(tt.require, noPostgres)...)
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("the run failed: %v, want %v", failed, tt.wantFail)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("the output does not say %q:\n%s", tt.want, out)
			}
			if tt.want != "want 1" && !strings.Contains(out, "apt-get install postgresql-15") {
				t.Errorf("the output does not say how to install PostgreSQL:\n%s", out)
			}
		})
	}
}
