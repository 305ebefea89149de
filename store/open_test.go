package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestOpenCreatesPrivateFolderAndFiles(t *testing.T) {
	sqliteOnly(t, "the modes of the folder, the file and its -wal and -shm")
	// A permissive umask must not leak into the modes.
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data", "caisson-review")
	path := filepath.Join(dir, "review.db")
	s := openAt(t, path, &clock{t: testNow})
	if _, err := s.Add(context.Background(), checkID(1), "tester", SourceTyped); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600}
	for p, mode := range want {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if got := info.Mode().Perm(); got != mode {
			t.Errorf("%s has mode %o, want %o", filepath.Base(p), got, mode)
		}
	}
}

func TestOpenRefusesAndKeepsAFileThatIsNotSQLite(t *testing.T) {
	sqliteOnly(t, "a file that is not an SQLite database")
	for name, content := range map[string][]byte{
		"text file":          []byte("reviewer notes, not a database\n"),
		"truncated header":   []byte("SQLite form"),
		"header then damage": append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xff}, 200)...),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "review.db")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(context.Background(), path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded on a file that is not a database")
			}
			if !strings.Contains(err.Error(), "left untouched") && !strings.Contains(err.Error(), "not a") {
				t.Errorf("error does not say what is wrong: %v", err)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, content) {
				t.Errorf("the file was changed by Open")
			}
		})
	}
}

func TestOpenOfAFolderSaysItIsAFolder(t *testing.T) {
	sqliteOnly(t, "a folder given as the database file")
	dir := t.TempDir()
	s, err := Open(context.Background(), dir)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a folder")
	}
	if !strings.Contains(err.Error(), "it is a folder, not a file: expected the path of the database file") {
		t.Errorf("error does not say the path is a folder: %v", err)
	}
}

func TestOpenRefusesADatabaseFromANewerVersion(t *testing.T) {
	path := testLocation(t)
	s := openAt(t, path, &clock{t: testNow})
	s.Close()
	// A newer build's migration, as far as the version says: PostgreSQL
	// keeps a row of schema_version per migration, SQLite user_version.
	version := dialect("PRAGMA user_version", "SELECT max(version) FROM schema_version")
	var newer int
	if err := rawDB(t, path).QueryRow(version).Scan(&newer); err != nil {
		t.Fatal(err)
	}
	newer++
	if _, err := rawDB(t, path).Exec(dialect("PRAGMA user_version = "+itoa(newer),
		"INSERT INTO schema_version (version) VALUES ("+itoa(newer)+")")); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "newer caisson-review") {
		t.Fatalf("Open of a version %d database: got %v, want a refusal naming a newer caisson-review", newer, err)
	}
	var v int
	if err := rawDB(t, path).QueryRow(version).Scan(&v); err != nil || v != newer {
		t.Errorf("the version is %d (%v) after the refusal, want %d untouched", v, err, newer)
	}
}

// Databases of version 3 (every check a row of checks) and of version 4
// (ids in tracked, a row of checks from the first fetch or decision) are
// brought up to date with every check in its queues.
func TestOpenUpgradesEarlierVersions(t *testing.T) {
	sqliteOnly(t, "an SQLite file made by the migrations of an earlier build")
	for _, from := range []int{3, 4} {
		t.Run(fmt.Sprintf("from version %d", from), func(t *testing.T) { testUpgradeFrom(t, from) })
	}
}

func testUpgradeFrom(t *testing.T, from int) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "review.db")
	// A fixture at version from: the earlier migrations exactly as an
	// older build applied them, with a check in every queue written as
	// that build wrote them: added, then updated by a fetch or decision.
	db := rawDB(t, path)
	for _, m := range ms[:from] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := db.Exec("PRAGMA user_version = " + itoa(from)); err != nil {
		t.Fatal(err)
	}
	old := []struct {
		id     string
		update string
	}{
		{checkID(1), `outcome = 'ok', cached = 1, customer_id = 'cust-77', last_name = 'Okafor', document = 1, face = 3,
			checked_on = 5, search = '` + searchText("cust-77", "", "Okafor") + `'`},
		{checkID(2), "outcome = 'NOT_VERIFIED'"},
		{checkID(3), "outcome = 'PENDING_REVIEW'"},
		{checkID(4), "outcome = 'ok', cached = 1, document = 3, face = 3, status = 'approved'"},
		{checkID(5), "outcome = ''"}, // never fetched
	}
	for i, o := range old {
		added := "INSERT INTO checks (check_id, added_at, added_by, source) VALUES (?, ?, 'old', 'typed')"
		if from >= 4 {
			added = "INSERT INTO tracked (check_id, added_at, added_by, source) VALUES (?, ?, 'old', 'typed')"
		}
		if _, err := db.Exec(added, o.id, i); err != nil {
			t.Fatal(err)
		}
		if from >= 4 && o.update == "outcome = ''" {
			continue // never fetched: only in tracked
		}
		if from >= 4 {
			if _, err := db.Exec(`INSERT INTO checks (id, check_id, added_at, added_by, source)
				SELECT id, check_id, added_at, added_by, source FROM tracked WHERE check_id = ?`, o.id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Exec("UPDATE checks SET "+o.update+" WHERE check_id = ?", o.id); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := openAt(t, path, &clock{t: testNow})
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(ms) {
		t.Fatalf("user_version %d (%v), want %d", v, err, len(ms))
	}
	ctx := context.Background()
	want := map[Queue][]string{
		QueueNeedsReview: {checkID(1)}, QueueErrors: nil, QueuePending: {checkID(2), checkID(3)}, QueueApproved: {checkID(4)},
		QueueEscalated: nil, QueueRejected: nil, QueueAll: {checkID(1), checkID(2), checkID(3), checkID(4), checkID(5)},
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for q, w := range want {
		if counts[q] != len(w) {
			t.Errorf("Counts[%s] = %d after the upgrade, want %d", q, counts[q], len(w))
		}
		rows, err := s.Page(ctx, PageQuery{Queue: q, Sort: SortAdded})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(rows); len(got) != len(w) || (len(w) > 0 && (got[0] != w[len(w)-1] || got[len(got)-1] != w[0])) {
			t.Errorf("%s after the upgrade, newest first: %v, want %v reversed", q, got, w)
		}
	}
	rows, err := s.Page(ctx, PageQuery{Queue: QueueAll, Filter: "OKAFOR"})
	if err != nil || len(rows) != 1 || rows[0].CheckID != checkID(1) {
		t.Fatalf("the old row is not found by the filter after the upgrade: %v %v", ids(rows), err)
	}
}

func TestOpenReportsAReadOnlyFolderAndWritesNothing(t *testing.T) {
	sqliteOnly(t, "a folder's file permissions")
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	_, err := Open(context.Background(), filepath.Join(dir, "review.db"))
	if err == nil || !errors.Is(err, os.ErrPermission) {
		t.Fatalf("Open in a read-only folder: got %v, want a permission error", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files were left in the read-only folder: %v", entries)
	}
}

func TestReadOnlyDatabaseRefusesWritesWithNothingHalfWritten(t *testing.T) {
	sqliteOnly(t, "a file's permissions (a read-only role is the later least-privilege work)")
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions")
	}
	path := filepath.Join(t.TempDir(), "review.db")
	s := openAt(t, path, &clock{t: testNow})
	ctx := context.Background()
	if _, err := s.Add(ctx, checkID(1), "tester", SourceTyped); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(path, 0o600)
	ro, err := Open(ctx, path)
	if err != nil {
		t.Logf("Open of a read-only database fails up front: %v", err)
		return
	}
	defer ro.Close()
	res, err := ro.AddMany(ctx, []string{checkID(2), checkID(3)}, "tester", SourceImported)
	if err == nil {
		t.Fatalf("AddMany on a read-only database succeeded: %+v", res)
	}
	if !strings.Contains(err.Error(), "read-only") {
		t.Errorf("error does not say the database is read-only: %v", err)
	}
	n, err := ro.Count(ctx, PageQuery{Queue: QueueAll})
	if err != nil || n != 1 {
		t.Errorf("Count after the failed write = %d, %v; want 1", n, err)
	}
}

func TestDefaultPathReadsOnlyTheGivenEnvironment(t *testing.T) {
	// The process's own variables point elsewhere: only the injected
	// environment may count.
	t.Setenv("XDG_DATA_HOME", "/process/data")
	t.Setenv("HOME", "/process/home")
	tests := []struct {
		name string
		env  map[string]string
		want string
		err  bool
	}{
		{"XDG_DATA_HOME wins", map[string]string{"XDG_DATA_HOME": "/srv/data", "HOME": "/home/rev"}, "/srv/data/caisson-review/review.db", false},
		{"HOME without XDG_DATA_HOME", map[string]string{"HOME": "/home/rev"}, "/home/rev/.local/share/caisson-review/review.db", false},
		{"a relative XDG_DATA_HOME is ignored", map[string]string{"XDG_DATA_HOME": "data", "HOME": "/home/rev"}, "/home/rev/.local/share/caisson-review/review.db", false},
		{"neither is an error", map[string]string{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := DefaultPath(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.err || p != tt.want {
				t.Errorf("DefaultPath = %q, %v; want %q (error %v)", p, err, tt.want, tt.err)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Every pooled connection lets a write keep twice the cache's size in
// changed pages before spilling them to the WAL (spillPages), and keeps
// the cache itself at 64 MiB: a batch of first results at 100,000 checks
// was a fifth slower spilling at the cache's size.
func TestEveryConnectionSpillsAtTwiceTheCache(t *testing.T) {
	sqliteOnly(t, "the page cache is SQLite's")
	s, _ := newStore(t)
	ctx := context.Background()
	// Held at once, so that each is a connection of its own.
	var conns []*sqlConn
	for range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		var spill, size int
		if err := c.QueryRowContext(ctx, "PRAGMA cache_spill").Scan(&spill); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&size); err != nil {
			t.Fatal(err)
		}
		if spill != 32768 || size != -65536 {
			t.Errorf("connection %d: cache_spill %d, cache_size %d; want 32768 pages (128 MiB), -65536 (64 MiB)", i, spill, size)
		}
	}
}

// A file another program holds locked for longer than the wait is
// refused, not passed on to Open, which migrated it once it was free and
// export --verify said "intact: 0 entries" (helper-77).
func TestCheckReviewDatabaseRefusesWhatItCannotRead(t *testing.T) {
	sqliteOnly(t, "an SQLite file's lock")
	path := filepath.Join(t.TempDir(), "other.db")
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	if _, err := other.Exec("CREATE TABLE notes (body TEXT)"); err != nil {
		t.Fatal(err)
	}
	if err := CheckReviewDatabase(context.Background(), path); !errors.Is(err, ErrNotReviewDatabase) {
		t.Fatalf("CheckReviewDatabase of another program's database = %v, want ErrNotReviewDatabase", err)
	}
	if _, err := other.Exec("BEGIN EXCLUSIVE; INSERT INTO notes VALUES ('held')"); err != nil {
		t.Fatal(err)
	}
	if err := CheckReviewDatabase(context.Background(), path); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("CheckReviewDatabase of a database held locked = %v, want it refused", err)
	}
	other.Exec("ROLLBACK")
	s, _ := newStore(t)
	if err := CheckReviewDatabase(context.Background(), s.Path()); err != nil {
		t.Errorf("CheckReviewDatabase of a store = %v", err)
	}
}
