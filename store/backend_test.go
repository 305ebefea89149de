package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// backendEnv chooses the backend the store's tests run on: SQLite files
// unless it says postgres, when every test that is not sqliteOnly gets a
// fresh PostgreSQL database (pgtest) instead.
const backendEnv = "CAISSON_TEST_BACKEND"

// onPostgres is whether this run's stores are PostgreSQL databases.
var onPostgres bool

func chooseBackend() error {
	switch b := os.Getenv(backendEnv); b {
	case "", "sqlite":
		onPostgres = false
	case "postgres":
		onPostgres = true
	default:
		return fmt.Errorf("%s=%q: want sqlite (the default) or postgres", backendEnv, b)
	}
	return nil
}

// testLocation is where a test's new, empty store lives: a file in the
// test's temp dir, or a new PostgreSQL database when the run is on
// PostgreSQL.
func testLocation(t testing.TB) string {
	t.Helper()
	if onPostgres {
		return pgtest.URL(t)
	}
	return filepath.Join(t.TempDir(), "review.db")
}

// sqliteOnly skips a test of what only an SQLite file has (its modes, a
// full disk, WAL, an upgrade of a file an earlier build made) when the run
// is on PostgreSQL, saying why.
func sqliteOnly(t testing.TB, why string) {
	t.Helper()
	if onPostgres {
		t.Skipf("SQLite only: %s", why)
	}
}

// dialect is the SQL a test runs itself (to tamper, or to look behind
// the Store), in the words of the backend the run is on.
func dialect(sqlite, postgres string) string {
	if onPostgres {
		return postgres
	}
	return sqlite
}

// editByHand changes the database behind the Store's back, as a careless
// administrator or an attacker with access to it would: through a plain
// connection to a file, through the real psql on PostgreSQL. sqlite and
// postgres are the same edit in each backend's words.
func editByHand(t testing.TB, location, sqlite, postgres string) {
	t.Helper()
	if IsPostgres(location) {
		pgtest.Psql(t, location, postgres)
		return
	}
	if _, err := rawDB(t, location).Exec(sqlite); err != nil {
		t.Fatalf("editing %s by hand: %v", location, err)
	}
}

// assertStoreHasNo fails the test if secret is anywhere in the store: in
// the bytes of the file and its WAL, or in a dump of the PostgreSQL
// database (what a backup of it holds).
func assertStoreHasNo(t *testing.T, location, secret, what string) {
	t.Helper()
	if strings.TrimSpace(secret) == "" {
		t.Fatalf("%s is empty: the check proves nothing", what)
	}
	if IsPostgres(location) {
		if strings.Contains(pgtest.Dump(t, location), secret) {
			t.Errorf("%s is in a dump of the database", what)
		}
		return
	}
	for _, p := range []string{location, location + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s is in %s", what, filepath.Base(p))
		}
	}
}
