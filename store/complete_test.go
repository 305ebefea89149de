package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

func completionIDs(cs []CompletedCheck) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.CheckID
	}
	return out
}

func TestCompleteCheckIDsOffersTrackedIdsByPrefixAtMostTheLimit(t *testing.T) {
	// The location as given: a Store on PostgreSQL shows its URL redacted.
	location := testLocation(t)
	st := openAt(t, location, &clock{t: testNow})
	ctx := context.Background()
	var all []string
	for i := range 60 {
		all = append(all, checkID(i))
	}
	if _, err := st.AddMany(ctx, all, "alice", SourceTyped); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(ctx, checkID(7), Escalate, "n", "alice"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		prefix string
		limit  int
		want   []string
	}{
		{"every id, cut at the limit, in id order", "chk_priv_", 50, all[:50]},
		{"only the ids starting with the prefix", checkID(10)[:len(checkID(10))-1], 50, all[10:20]},
		{"an id typed whole offers itself", checkID(42), 50, []string{checkID(42)}},
		{"a prefix no id has offers nothing", "chk_priv_Z", 50, nil},
		{"a limit of zero offers nothing", "", 0, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := CompleteCheckIDs(ctx, location, c.prefix, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			if g := completionIDs(got); !equalStrings(g, c.want) {
				t.Errorf("got %d ids %v, want %d %v", len(g), g, len(c.want), c.want)
			}
		})
	}
	got, _ := CompleteCheckIDs(ctx, location, checkID(7), 50)
	if len(got) != 1 || got[0].Status != StatusEscalated {
		t.Errorf("the status shown beside an escalated check: got %+v", got)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A tab press must never make a database: a mistyped --db stays missing.
func TestCompleteCheckIDsNeverCreatesADatabase(t *testing.T) {
	sqliteOnly(t, "a mistyped path must not become a file")
	path := filepath.Join(t.TempDir(), "typo.db")
	if _, err := CompleteCheckIDs(context.Background(), path, "", 50); err == nil {
		t.Error("completing from a missing database succeeded")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("completion created %s: %v", path, err)
	}
}

// Completion reads: the file is byte for byte what it was.
func TestCompleteCheckIDsWritesNothing(t *testing.T) {
	sqliteOnly(t, "completion's read-only file open, checked on the file's bytes")
	st, _ := newStore(t)
	ctx := context.Background()
	if _, err := st.AddMany(ctx, []string{checkID(1)}, "alice", SourceTyped); err != nil {
		t.Fatal(err)
	}
	path := st.path
	st.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := CompleteCheckIDs(ctx, path, "", 50); err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("completion changed the database file")
	}
}

// Another process holding the database locked (here an exclusive-mode
// writer, which keeps WAL readers out) makes completion give up, well
// before the store's own 5 s busy timeout, instead of freezing the shell.
func TestCompleteCheckIDsGivesUpOnALockedDatabase(t *testing.T) {
	sqliteOnly(t, "an SQLite file held by an exclusive lock")
	st, _ := newStore(t)
	ctx := context.Background()
	if _, err := st.AddMany(ctx, []string{checkID(1)}, "alice", SourceTyped); err != nil {
		t.Fatal(err)
	}
	path := st.path
	st.Close()
	locker, err := sql.Open("sqlite", "file:"+path+"?_pragma=locking_mode(EXCLUSIVE)")
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "UPDATE checks SET added_by = 'bob'"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")

	start := time.Now()
	got, err := CompleteCheckIDs(ctx, path, "", 50)
	took := time.Since(start)
	if err == nil {
		t.Fatalf("completion read a database locked exclusively: %v", got)
	}
	// The bound is the behaviour (give up, not wait for the lock), with
	// room for a loaded machine; the 200 ms itself is CompletionWait.
	if took > busyTimeout/2 {
		t.Errorf("completion waited %s on a locked database", took)
	}
	t.Logf("gave up after %s on a locked database (CompletionWait %s)", took, CompletionWait)
}

// A PostgreSQL URL may hold a password: completion never shows it, even
// when the server refuses it.
func TestCompletingFromPostgreSQLNeverShowsThePassword(t *testing.T) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	const wrong = "wrong-horse-battery-staple"
	u.User = url.UserPassword(u.User.Username(), wrong)
	_, err = CompleteCheckIDs(context.Background(), u.String(), "chk_priv_", 50)
	if err == nil {
		t.Fatal("completing with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "xxxxx") {
		t.Errorf("the error shows the password, or not the redacted URL: %v", err)
	}
}
