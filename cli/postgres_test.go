package cli

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// The program on a PostgreSQL database, named by --db or the environment:
// checks added, fetched and listed as on a file, and the URL's password
// in no output.
func TestCommandsWorkOnAPostgreSQLDatabase(t *testing.T) {
	f := newFixture(t, sandbox.Options{Checks: 3})
	db := pgtest.URL(t)
	password := urlPassword(t, db)
	ids := f.sb.CheckIDs(3)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"named by --db", withEnv(f.env, envDB, ""), []string{"--db", db}},
		{"named by " + envDB, withEnv(f.env, envDB, db), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(args ...string) result {
				t.Helper()
				r := runCLI(t, tc.env, "", append(tc.args, args...)...)
				if strings.Contains(r.stdout+r.stderr, password) {
					t.Fatalf("the database password appeared in the output:\n%s", r)
				}
				return r
			}
			if r := run(append([]string{"add"}, ids...)...); r.code != 0 {
				t.Fatalf("add: %s", r)
			}
			if r := run("refresh", "--all"); r.code != 0 {
				t.Fatalf("refresh: %s", r)
			}
			r := run("list", "--queue", "all", "--json")
			if r.code != 0 {
				t.Fatalf("list: %s", r)
			}
			var rows []struct {
				CheckID string `json:"check_id"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
				t.Fatalf("list --json: %v\n%s", err, r.stdout)
			}
			if len(rows) != len(ids) {
				t.Errorf("list shows %d checks, want the %d added", len(rows), len(ids))
			}
		})
	}
}

// What the program does for a file that is not there (exit 1, "no review
// database at") is not done for a URL: the server says what is wrong, and
// the URL is shown redacted.
func TestAnUnreachableDatabaseURLIsTheServersErrorNotAMissingFile(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	db := pgtest.URL(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/no_such_database"
	r := f.run("--db", u.String(), "list")
	if r.code != 1 || strings.Contains(r.stderr, "no review database at") {
		t.Errorf("want exit 1 with the server's refusal, not a missing file's, got\n%s", r)
	}
	if strings.Contains(r.stderr, urlPassword(t, db)) || !strings.Contains(r.stderr, "postgres://caisson_test:xxxxx@") {
		t.Errorf("the URL is not shown, redacted:\n%s", r)
	}
}

func urlPassword(t *testing.T, db string) string {
	t.Helper()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := u.User.Password()
	if !ok || p == "" {
		t.Fatalf("pgtest's URL has no password to look for")
	}
	return p
}
