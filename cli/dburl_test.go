package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// dbSecret is the password the database URLs of these tests carry: it
// must never appear in what the program writes.
const dbSecret = "Tr0ub4dor-pg-secret"

func assertNoDBPassword(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, dbSecret) {
		t.Fatalf("the database password appeared in the program's output:\n%s", r)
	}
}

// A PostgreSQL URL as the database, from the flag, the environment or
// the file, is shown by config with its password as xxxxx, and its source;
// the file's URL is not taken for a path relative to the file.
func TestConfigShowsADatabaseURLWithItsPasswordRedacted(t *testing.T) {
	url := "postgres://rita:" + dbSecret + "@db.example:5432/review?sslmode=verify-full"
	shown := "postgres://rita:xxxxx@db.example:5432/review?sslmode=verify-full"
	home := t.TempDir()
	path := writeConfig(t, home, "db = \""+url+"\"\n")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		from string
	}{
		{"from the flag", map[string]string{"HOME": t.TempDir()}, []string{"--db", url}, "flag --db"},
		{"from the environment", map[string]string{"HOME": t.TempDir(), envDB: url}, nil, "env " + envDB},
		{"from the file", map[string]string{"HOME": home}, nil, path + ":1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.env, "", append(tc.args, "config")...)
			assertNoDBPassword(t, r)
			if r.code != 0 {
				t.Fatalf("want exit 0, got\n%s", r)
			}
			if got := configRows(t, r.stdout)["db"]; got != [2]string{shown, tc.from} {
				t.Errorf("db row %q, want %q from %s", got, shown, tc.from)
			}
		})
	}
}

// A password written in the URL is warned of where others can read it:
// on the command line (ps, the shell's history) and in the configuration
// file; the warning says where it belongs instead. A URL without one, or
// one in the environment, is not warned of.
func TestAPasswordInTheDatabaseURLIsWarnedOfWhereOthersCanReadIt(t *testing.T) {
	withPassword := "postgres://rita:" + dbSecret + "@db.example/review"
	home := t.TempDir()
	path := writeConfig(t, home, "db = \""+withPassword+"\"\n")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string // "" for no warning
	}{
		{"on the command line", map[string]string{"HOME": t.TempDir()}, []string{"--db", withPassword},
			"warning: the password in the database URL of --db can be seen by every account on this machine while the command runs (ps)"},
		{"as a password parameter", map[string]string{"HOME": t.TempDir()}, []string{"--db", "postgres://rita@db.example/review?password=" + dbSecret},
			"warning: the password in the database URL of --db"},
		{"in the configuration file", map[string]string{"HOME": home}, nil,
			"warning: the database URL at " + path + ":1 holds a password, which whoever can read that file can read"},
		{"in the environment", map[string]string{"HOME": t.TempDir(), envDB: withPassword}, nil, ""},
		{"not in the URL", map[string]string{"HOME": t.TempDir()}, []string{"--db", "postgres://rita@db.example/review"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.env, "", append(tc.args, "config")...)
			assertNoDBPassword(t, r)
			if tc.want == "" {
				if strings.Contains(r.stderr, "password") {
					t.Errorf("want no warning, got\n%s", r)
				}
				return
			}
			if !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "put it in ~/.pgpass (chmod 600), or the file PGPASSFILE names") {
				t.Errorf("want a warning saying %q and where the password belongs, got\n%s", tc.want, r)
			}
			if n := strings.Count(r.stderr, "warning: "); n != 1 {
				t.Errorf("warned %d times, want once:\n%s", n, r)
			}
		})
	}
}

// A URL that does not parse is refused before anything connects, saying
// what a URL looks like, without repeating it or any part of it: a / or @
// in an unencoded password moves where url.Parse thinks the host ends, and
// its own error would quote the password's pieces.
func TestADatabaseURLThatDoesNotParseIsAClearErrorThatHidesThePassword(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	for _, tc := range []struct{ name, url string }{
		{"a / in the password ends the host early", "postgres://rita:" + dbSecret + "/x@db.example/review"},
		{"a port that is not a number", "postgres://rita:" + dbSecret + "@db.example:port/review"},
		{"an address missing its ]", "postgresql://rita:" + dbSecret + "@[::1/review"},
	} {
		url := tc.url
		t.Run(tc.name, func(t *testing.T) {
			r := f.run("--db", url, "list")
			assertNoDBPassword(t, r)
			for _, part := range []string{"Tr0ub4dor", "pg-secret"} {
				if strings.Contains(r.stderr, part) {
					t.Errorf("a part of the password (%s) is in the error:\n%s", part, r)
				}
			}
			want := "the database URL (flag --db) does not parse as a URL (not repeated here: it may hold a password"
			if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "expected postgres://USER@HOST:PORT/DATABASE") {
				t.Errorf("want exit 1 saying %q and what a URL looks like, got\n%s", want, r)
			}
			r = f.run("--db", url, "config")
			assertNoDBPassword(t, r)
			if got := configRows(t, r.stdout)["db"][0]; !strings.Contains(got, "a URL that does not parse; not shown") {
				t.Errorf("config shows the db as %q", got)
			}
		})
	}
}

// The password file pgx reads when the URL has none (~/.pgpass, or the
// one PGPASSFILE names) is warned of when group or others can read it,
// which libpq would refuse and pgx does not.
func TestAPasswordFileOthersCanReadIsWarnedOf(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mode      os.FileMode
		byEnvName bool
		warn      bool
	}{
		{"~/.pgpass of mode 0600", 0o600, false, false},
		{"~/.pgpass of mode 0644", 0o644, false, true},
		{"PGPASSFILE's file of mode 0640", 0o640, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			path := filepath.Join(home, ".pgpass")
			env := map[string]string{"HOME": home}
			if tc.byEnvName {
				path = filepath.Join(t.TempDir(), "team.pgpass")
				env["PGPASSFILE"] = path
			}
			if err := os.WriteFile(path, []byte("db.example:5432:review:rita:"+dbSecret+"\n"), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, env, "", "--db", "postgres://rita@db.example/review", "config")
			assertNoDBPassword(t, r)
			want := "warning: the PostgreSQL password file " + path + " can be read by group or others"
			if r.code != 0 || strings.Contains(r.stderr, want) != tc.warn {
				t.Errorf("want the warning %v, got\n%s", tc.warn, r)
			}
		})
	}
}

// A key=value connection string (host=… password=…), PostgreSQL's other
// way to name a server, is refused by every command, not taken for a
// file path (which made an SQLite file named after the password and
// showed its name), and config shows it without the password.
func TestAKeyValueConnectionStringIsRefusedAndNeverShown(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	dir := t.TempDir()
	t.Chdir(dir) // where a file named by the string would be made
	conninfo := "host=127.0.0.1 port=5432 user=rita password=" + dbSecret + " dbname=review"
	env := withEnv(f.env, envDB, conninfo)
	for _, args := range [][]string{{"add", f.sb.CheckID(0)}, {"list"}, {"migrate-store", "--from", conninfo, "--to", filepath.Join(dir, "copy.db")}} {
		r := runCLI(t, env, "", args...)
		assertNoDBPassword(t, r)
		if r.code == 0 || !strings.Contains(r.stderr, "key=value connection string") || !strings.Contains(r.stderr, "postgres://") {
			t.Errorf("%s with a key=value connection string: want it refused, saying what to give instead, got\n%s", args[0], r)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused key=value connection string left %s behind", entries[0].Name())
	}
	r := runCLI(t, env, "", "config")
	assertNoDBPassword(t, r)
	if got := configRows(t, r.stdout)["db"][0]; !strings.Contains(got, "key=value connection string; not shown") || !strings.Contains(got, "refused") {
		t.Errorf("config shows the db as %q", got)
	}
}

// migrate-store's --from and --to are on the command line as --db is: a
// password in either is warned of, once each.
func TestAPasswordInMigrateStoresURLsIsWarnedOf(t *testing.T) {
	withPassword := "postgres://rita:" + dbSecret + "@127.0.0.1:1/review?connect_timeout=1"
	dir := t.TempDir()
	env := map[string]string{"HOME": t.TempDir()}
	r := runCLI(t, env, "", "migrate-store", "--from", filepath.Join(dir, "missing.db"), "--to", withPassword)
	assertNoDBPassword(t, r)
	if !strings.Contains(r.stderr, "warning: the password in the database URL of --to can be seen by every account") {
		t.Errorf("want a warning for --to, got\n%s", r)
	}
	r = runCLI(t, env, "", "migrate-store", "--from", withPassword, "--to", filepath.Join(dir, "copy.db"))
	assertNoDBPassword(t, r)
	if !strings.Contains(r.stderr, "warning: the password in the database URL of --from") || strings.Contains(r.stderr, "of --to") {
		t.Errorf("want a warning for --from only, got\n%s", r)
	}
}

// A URL the driver would refuse for one of its parameters is said before
// anything connects, naming the parameter, and listed by config, which
// exits 1 (it showed sslmode=bogus without a word, exit 0).
func TestADatabaseURLWithAParameterTheDriverRefusesIsSaidByConfigAndEveryCommand(t *testing.T) {
	url := "postgres://rita:" + dbSecret + "@db.example/review?sslmode=bogus"
	r := runCLI(t, map[string]string{"HOME": t.TempDir()}, "", "--db", url, "config")
	assertNoDBPassword(t, r)
	if r.code != 1 || !strings.Contains(r.stderr, "the database URL (flag --db): the URL cannot be used: failed to configure TLS (sslmode is invalid)") {
		t.Errorf("config with sslmode=bogus: want exit 1 naming the sslmode, got\n%s", r)
	}
	r = runCLI(t, map[string]string{"HOME": t.TempDir()}, "", "--db", "postgres://rita@db.example/review?connect_timeout=soon", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "the database URL (flag --db): the URL cannot be used: invalid connect_timeout") {
		t.Errorf("list with connect_timeout=soon: want exit 1 naming connect_timeout, got\n%s", r)
	}
}
