package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// smallDisk mounts a tmpfs of size bytes on a fresh folder and unmounts it
// when the test ends; the test is skipped where that cannot be done.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a full disk is made by mounting a small tmpfs, which needs root: run the tests as root to include this one")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (%v: %s): skipped", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting the test tmpfs %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file in dir until the file system refuses, and returns
// a function that frees the space again.
func fillDisk(t *testing.T, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	// Whatever block is left, take it too.
	for {
		if _, err := f.Write(chunk[:1]); err != nil {
			break
		}
	}
	return func() { os.Remove(path) }
}

// A full disk must not stop anyone reading, and a write on it must say
// the disk is full and leave nothing half-written: both when nothing else
// has the database open (SQLite cannot even make its -shm index) and when
// a long-running process such as serve holds it open.
func TestOnAFullDiskReadingWorksAndAWriteSaysTheDiskIsFull(t *testing.T) {
	sqliteOnly(t, "a full disk under the file (a tmpfs)")
	for _, heldOpen := range []bool{false, true} {
		name := "nothing else has it open"
		if heldOpen {
			name = "another store holds it open"
		}
		t.Run(name, func(t *testing.T) { testFullDisk(t, heldOpen) })
	}
}

func testFullDisk(t *testing.T, heldOpen bool) {
	dir := smallDisk(t, "4m")
	path := filepath.Join(dir, "review.db")
	ctx := context.Background()
	c := &clock{t: testNow}
	s, err := Open(ctx, path, WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		addFetched(t, s, result{id: checkID(i), doc: "low", face: "high", last: "Okafor"})
	}
	if _, err := s.Decide(ctx, checkID(1), Escalate, "unsure", "ana"); err != nil {
		t.Fatal(err)
	}
	head, _ := s.Head(ctx)
	if !heldOpen {
		s.Close()
	} else {
		defer s.Close()
	}

	free := fillDisk(t, dir)
	defer free()
	s, err = Open(ctx, path, WithClock(c.Now))
	if err != nil {
		t.Fatalf("Open on a full disk: %v", err)
	}
	if rows, err := s.Page(ctx, PageQuery{Queue: QueueAll, Filter: "okafor"}); err != nil || len(rows) != 3 {
		t.Errorf("Page on a full disk: %d rows, %v", len(rows), err)
	}
	if rec, err := s.Get(ctx, checkID(1)); err != nil || len(rec.Decisions) != 1 {
		t.Errorf("Get on a full disk: %v", err)
	}
	if v, err := s.Verify(ctx, head); err != nil || !v.OK {
		t.Errorf("Verify on a full disk: %+v, %v", v, err)
	}
	if n, err := s.Purge(ctx, 24*time.Hour, testNow); err != nil || n != 0 {
		t.Errorf("Purge with nothing old enough, on a full disk: %d, %v", n, err)
	}
	many := make([]string, 2000)
	for i := range many {
		many[i] = checkID(100 + i)
	}
	writes := map[string]func() error{
		"Decide": func() error {
			_, err := s.Decide(ctx, checkID(2), Reject, strings.Repeat("a long note ", 300), "ana")
			return err
		},
		"AddMany": func() error { _, err := s.AddMany(ctx, many, "ana", SourceImported); return err },
	}
	for what, write := range writes {
		err := write()
		if err == nil || !strings.Contains(err.Error(), "the disk is full") || strings.Contains(err.Error(), "I/O error") {
			t.Errorf("%s on a full disk: %v, want the disk is full", what, err)
		}
	}
	s.Close()

	free()
	s = openAt(t, path, c)
	v, err := s.Verify(ctx, head)
	if err != nil || !v.OK || v.Entries != 1 {
		t.Errorf("after freeing the disk, Verify = %+v, %v; want the one decision made before, intact", v, err)
	}
	if rec, _ := s.Get(ctx, checkID(2)); rec == nil || rec.Status != StatusOpen {
		t.Errorf("the refused decision left a status: %+v", rec)
	}
	if n, err := s.Count(ctx, PageQuery{Queue: QueueAll}); err != nil || n != 3 {
		t.Errorf("after the refused AddMany %d checks are tracked (%v), want the 3 from before", n, err)
	}
}

// On any disk, a Store that only reads leaves the file as it found it:
// no merge, no chmod, no migration step, byte for byte.
func TestOpeningAndReadingWritesNothing(t *testing.T) {
	sqliteOnly(t, "the file's bytes, mode and -wal")
	path := filepath.Join(t.TempDir(), "review.db")
	c := &clock{t: testNow}
	s := openAt(t, path, c)
	// Each fetch is its own transaction, so the search index gets a
	// segment each: enough for a merge to have work to do.
	for i := 1; i <= 20; i++ {
		addFetched(t, s, result{id: checkID(i), doc: "low", face: "high", last: fmt.Sprintf("Okafor%d", i)})
	}
	if _, err := s.Decide(context.Background(), checkID(1), Escalate, "unsure", "ana"); err != nil {
		t.Fatal(err)
	}
	head, err := s.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Its owner's choice of mode, which reading must not undo either.
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	before := fileState(t, path)

	ctx := context.Background()
	s, err = Open(ctx, path, WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Page(ctx, PageQuery{Queue: QueueAll, Filter: "okafor1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, checkID(1)); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Verify(ctx, head); err != nil || !v.OK {
		t.Fatalf("Verify: %+v %v", v, err)
	}
	if _, err := s.Purge(ctx, time.Hour, testNow); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if after := fileState(t, path); after != before {
		t.Errorf("opening and reading changed the database file: %s before, %s after", before, after)
	}
}

// fileState is a file's mode, size and SHA-256, and whether a -wal file
// with content was left beside it.
func fileState(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	wal := "no -wal"
	if w, err := os.Stat(path + "-wal"); err == nil && w.Size() > 0 {
		wal = fmt.Sprintf("-wal of %d bytes", w.Size())
	}
	return fmt.Sprintf("mode %04o, %d bytes, sha256 %x, %s", info.Mode().Perm(), len(b), sha256.Sum256(b), wal)
}
