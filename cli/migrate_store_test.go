package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

// On a terminal the copy is one bar redrawn in place; in a log, a line as
// each table starts and at every tenth of the rows, never one a batch.
func TestMigrateStoreProgressIsABarOnATerminalAndFewLinesElsewhere(t *testing.T) {
	feed := func(p *copyProgress) {
		p.update(store.CopyProgress{Total: 1000})
		for done := int64(20); done <= 1000; done += 20 {
			table := "tracked checks"
			if done > 500 {
				table = "checks with results"
			}
			p.update(store.CopyProgress{Table: table, Done: done, Total: 1000})
		}
		p.finish()
	}
	var tty bytes.Buffer
	feed(newCopyProgress(&tty, true))
	if !strings.Contains(tty.String(), "\r\x1b[2Kcopying ") || strings.Contains(tty.String(), "\n") {
		t.Errorf("on a terminal: %q; want a bar redrawn in place, no new lines", tty.String())
	}
	var log bytes.Buffer
	feed(newCopyProgress(&log, false))
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) < 5 || len(lines) > 13 || strings.Contains(log.String(), "\x1b") {
		t.Errorf("in a log, %d lines:\n%s\nwant one as each table starts and at each tenth, plain", len(lines), log.String())
	}
	if !strings.HasPrefix(lines[0], "caisson-review: copied 0 of 1000 rows (starting)") ||
		lines[len(lines)-1] != "caisson-review: copied 1000 of 1000 rows (checks with results)" {
		t.Errorf("in a log:\n%s", log.String())
	}
}

// A PostgreSQL URL's password is never shown, whatever goes wrong, and a
// source that cannot be opened leaves no target behind.
func TestMigrateStoreNeverShowsAURLsPassword(t *testing.T) {
	const password = "s3cretPW-never-shown"
	dir := t.TempDir()
	target, source := filepath.Join(dir, "copy.db"), filepath.Join(dir, "review.db")
	st, err := store.Open(context.Background(), source)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, args := range [][]string{
		{"migrate-store", "--from", "postgres://review:" + password + "@127.0.0.1:1/review?connect_timeout=2", "--to", target},
		{"migrate-store", "--from", "postgres://review:" + password + "@127.0.0.1:1/review", "--to", "postgres://review:" + password + "@127.0.0.1:1/review"},
		{"migrate-store", "--from", source, "--to", "postgresql://review@127.0.0.1:1/review?password=" + password},
	} {
		r := runCLI(t, nil, "", args...)
		if r.code == 0 {
			t.Errorf("%q: want a failure, got\n%s", args, r)
		}
		if strings.Contains(r.stdout+r.stderr, password) {
			t.Errorf("%q: the password is in the output:\n%s", args, r)
		}
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a target file was made for a copy whose source could not be opened: %v", err)
	}
}

// An interrupted copy says that the target is not to be used yet and how
// to finish it (it said only "interrupted"); run again, it finishes.
func TestAnInterruptedMigrateStoreSaysHowToFinishIt(t *testing.T) {
	dir := t.TempDir()
	source, target := filepath.Join(dir, "review.db"), filepath.Join(dir, "copy.db")
	st, err := store.Open(context.Background(), source)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 30_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("chk_priv_%022d", i)
	}
	if _, err := st.AddMany(context.Background(), ids, "ana", store.SourceImported); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// Interrupted once the copy has started: at its first progress line.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelAt{match: "copied ", cancel: cancel}
	code := run(ctx, []string{"migrate-store", "--from", source, "--to", target}, strings.NewReader(""), io.Discard, stderr,
		func(string) string { return "" })
	if got := stderr.String(); code != 1 || !strings.Contains(got, "caisson-review: interrupted: the copy is not finished, so the target is not to be used yet") ||
		!strings.Contains(got, "run the same migrate-store again to finish it") {
		t.Fatalf("interrupted: exit %d\n%s\nwant exit 1 saying the target is not to be used yet and how to finish", code, got)
	}
	if r := runCLI(t, nil, "", "migrate-store", "--from", source, "--to", target); r.code != 0 {
		t.Fatalf("run again: %s", r)
	}
}

// cancelAt is a stderr that cancels once match is written to it.
type cancelAt struct {
	bytes.Buffer
	match  string
	cancel func()
}

func (c *cancelAt) Write(p []byte) (int, error) {
	n, err := c.Buffer.Write(p)
	if strings.Contains(c.Buffer.String(), c.match) {
		c.cancel()
	}
	return n, err
}

// An unfinished copy is not to be used yet: the commands that show
// personal data (show, list --json, export) refuse it, exit 1, showing
// nothing, since the access record each writes first is refused there
// (helper-57: each showed the data with a warning that the access was not
// logged). What shows none works.
func TestAnUnfinishedCopyShowsNoPersonalData(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 6)
	dst := unfinishedCopy(t, f, ids[0])
	rec := f.get(ids[0])
	for _, args := range [][]string{{"show", ids[0]}, {"show", ids[0], "--json"}, {"list", "--queue", "all", "--json"}, {"export"}, {"export", "--format", "json"}} {
		r := f.must(1, append([]string{"--db", dst}, args...)...)
		mustContain(t, strings.Join(args, " "), r.stderr, "personal data is shown only with a record in the access log", "unfinished copy of", "run the same migrate-store again")
		for _, personal := range []string{rec.CustomerID, rec.LastName} {
			if strings.Contains(r.stdout, personal) {
				t.Errorf("%v on the unfinished copy printed %q:\n%s", args, personal, r.stdout)
			}
		}
	}
	for _, args := range [][]string{{"list", "--queue", "all"}, {"export", "--verify"}, {"stats"}} {
		f.must(0, append([]string{"--db", dst}, args...)...)
	}
	// show of a check it does not hold suggested add, which is refused
	// there (decide says the copy refuses the write first).
	r := f.must(1, "--db", dst, "show", f.sb.CheckID(150))
	mustContain(t, "show of a check not held", r.stderr, "an unfinished copy that may not hold it yet: run the same migrate-store again")
}

// unfinishedCopy escalates id, copies f's store into a new file and stops
// the copy as it reaches the decisions: a target migrate-store has not
// finished.
func unfinishedCopy(t *testing.T, f *fixture, id string) string {
	t.Helper()
	f.must(0, "decide", id, "escalate", "--note", "ask the branch")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src, dst := f.openStore(), filepath.Join(t.TempDir(), "copy.db")
	to, err := store.Open(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	_, err = to.CopyFrom(ctx, src, store.CopyOptions{BatchSize: 2, Progress: func(p store.CopyProgress) {
		if p.Table == "decisions" {
			cancel()
		}
	}})
	to.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted copy: %v", err)
	}
	return dst
}

// A copy of an unfinished copy is refused before its target is made: an
// empty file was left behind (helper-57), where a missing source leaves
// none.
func TestACopyOfAnUnfinishedCopyIsRefusedAndMakesNoTarget(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	unfinished := unfinishedCopy(t, f, refreshed(t, f, 3)[0])
	target := filepath.Join(t.TempDir(), "again.db")
	r := f.must(1, "migrate-store", "--from", unfinished, "--to", target)
	mustContain(t, "stderr", r.stderr, "the source: the store is an unfinished copy of", "finish that copy first", "nothing was copied")
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused copy made its target: %v", err)
	}
}
