package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// mountSmallDisk mounts a tmpfs of size on a fresh folder for the test, or
// skips it where that cannot be done.
func mountSmallDisk(t *testing.T, size string) string {
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

// fill writes a file in dir until the file system has no byte left.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for _, n := range []int{4096, 1} {
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("filling the disk: %v", err)
				}
				break
			}
		}
	}
}

// Reading must not need free space: list, show, export, export --verify
// and a purge with nothing to purge all work on a full disk, and a
// decision says the disk is full instead of an I/O error.
func TestOnAFullDiskEveryReadingCommandWorksAndADecisionSaysTheDiskIsFull(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	dir := mountSmallDisk(t, "8m")
	f.db = filepath.Join(dir, "review.db")
	f.env[envDB] = f.db
	ids := refreshed(t, f, 5)
	f.must(0, "decide", ids[0], "escalate", "--note", "unsure")
	head := loggedHead(t, f.must(0, "decide", ids[1], "reject", "--note", "forged"))
	fill(t, dir)

	for _, args := range [][]string{
		{"list", "--queue", "all"},
		{"list", "--json"},
		{"show", ids[0]},
		{"show", ids[0], "--json"},
		{"export", "--format", "csv"},
		{"export", "--format", "json"},
		{"export", "--verify", "--head", head},
		{"export", "--head"},
		{"purge", "--older-than", "30d"},
	} {
		r := f.run(args...)
		if r.code != 0 {
			t.Errorf("%v on a full disk:\n%s", args, r)
		}
		// What shows personal data says its access went unrecorded.
		shows := args[0] == "show" || args[len(args)-1] == "--json" && args[0] == "list" || args[0] == "export" && args[1] == "--format"
		if got := strings.Contains(r.stderr, "this access to personal data was not logged"); got != shows {
			t.Errorf("%v on a full disk: warns that the access was not logged: %v, want %v\n%s", args, got, shows, r)
		}
	}
	r := f.must(1, "decide", ids[2], "reject", "--note", strings.Repeat("a long note ", 300))
	mustContain(t, "stderr", r.stderr, "the disk is full", "nothing was written")
	if strings.Contains(r.stderr, "I/O error") {
		t.Errorf("a full disk reported as an I/O error:\n%s", r)
	}
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	r = f.must(0, "export", "--verify", "--head", head)
	mustContain(t, "stdout", r.stdout, "intact: 2 entries")
}
