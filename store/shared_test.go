package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// account is an OS account the test runs a child process as.
type account struct {
	name     string
	uid, gid uint32
}

// freeIDs finds n consecutive numeric ids from 61000 that name no user and
// no group on this machine, so the test's accounts are nobody's.
func freeIDs(t *testing.T, n int) uint32 {
	t.Helper()
next:
	for base := 61000; base < 65000; base += n {
		for id := base; id < base+n; id++ {
			s := strconv.Itoa(id)
			if _, err := user.LookupId(s); err == nil {
				continue next
			}
			if _, err := user.LookupGroupId(s); err == nil {
				continue next
			}
		}
		return uint32(base)
	}
	t.Skip("no free uid/gid range from 61000 for the test's accounts")
	return 0
}

// sharedFolder is a folder of group gid with the setgid bit (mode 2770), as
// the README's shared setup makes it, with a copy of this test binary the
// group can run: the original sits in a folder only root may enter.
func sharedFolder(t *testing.T, gid uint32) (dir, binary string) {
	t.Helper()
	base, err := os.MkdirTemp("", "caisson-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	binary = filepath.Join(base, "store.test")
	copyFile(t, os.Args[0], binary, 0o755)
	dir = filepath.Join(base, "team")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 0, int(gid)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o770|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	return dir, binary
}

func copyFile(t testing.TB, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// runAs runs the helper process (TestHelperProcess) as acct: "add" tracks
// check 1 (creating the database), "decide" decides on it once.
func runAs(t *testing.T, binary string, acct account, mode, path string) {
	t.Helper()
	cmd := exec.Command(binary, "-test.run=^TestHelperProcess$")
	cmd.Dir = filepath.Dir(binary)
	decisions := "1"
	if mode == "add" {
		decisions = "0"
	}
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", helperEnv + "=" + mode, helperDB + "=" + path,
		helperCount + "=" + decisions, helperName + "=" + acct.name}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: acct.uid, Gid: acct.gid, Groups: []uint32{acct.gid}}}
	// A umask that would make new files private: the store must choose
	// their mode itself, not leave it to the umask.
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s as %s (uid %d): %v\n%s", mode, acct.name, acct.uid, err, out)
	}
}

// Two reviewers with their own OS accounts share one database in a group
// folder, taking turns: neither's open may lock the other out, as
// resetting the file to 0600 on every open did.
func TestTwoAccountsInOneGroupShareADatabaseInASetgidFolder(t *testing.T) {
	sqliteOnly(t, "OS accounts sharing a file in a setgid folder")
	if os.Geteuid() != 0 {
		t.Skip("runs processes as two other OS accounts, which needs root: run the tests as root to include it")
	}
	base := freeIDs(t, 3)
	gid := base
	ana, bob := account{"ana", base + 1, gid}, account{"bob", base + 2, gid}
	dir, binary := sharedFolder(t, gid)
	path := filepath.Join(dir, "review.db")

	runAs(t, binary, ana, "add", path)
	for i, acct := range []account{bob, ana, bob, ana} {
		t.Run(fmt.Sprintf("turn %d: %s decides", i+1, acct.name), func(t *testing.T) {
			runAs(t, binary, acct, "decide", path)
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			st := info.Sys().(*syscall.Stat_t)
			if info.Mode().Perm() != 0o660 || st.Gid != gid || st.Uid != ana.uid {
				t.Errorf("review.db is mode %04o, owner %d, group %d; want 0660, ana's (%d), the folder's group (%d)",
					info.Mode().Perm(), st.Uid, st.Gid, ana.uid, gid)
			}
		})
	}
	s := openAt(t, path, &clock{t: testNow})
	v, err := s.Verify(context.Background())
	if err != nil || !v.OK || v.Entries != 4 {
		t.Errorf("Verify = %+v, %v; want the 4 decisions of both accounts, intact", v, err)
	}
}

// The mode of a new file follows the folder; an existing file's mode is
// its owner's choice and is never changed, looser or tighter.
func TestOpenChoosesTheModeOfANewFileAndKeepsAnExistingOne(t *testing.T) {
	sqliteOnly(t, "the modes of the file, its -wal and -shm")
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	tests := []struct {
		name     string
		folder   os.FileMode
		existing os.FileMode // 0: no file yet
		want     os.FileMode
	}{
		{"a new file in a private folder is 0600", 0o700, 0, 0o600},
		{"a new file in a setgid group folder is 0660", 0o2770, 0, 0o660},
		{"a new file in a group folder without setgid is 0600", 0o770, 0, 0o600},
		{"a new file in a setgid folder the group cannot write is 0600", 0o2750, 0, 0o600},
		{"an existing 0660 file in a private folder stays 0660", 0o700, 0o660, 0o660},
		{"an existing 0640 file stays 0640", 0o2770, 0o640, 0o640},
		{"an existing 0600 file in a setgid group folder stays 0600", 0o2770, 0o600, 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.folder.Perm()|setgidOf(tt.folder)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "review.db")
			if tt.existing != 0 {
				s := openAt(t, path, &clock{t: testNow})
				s.Close()
				if err := os.Chmod(path, tt.existing); err != nil {
					t.Fatal(err)
				}
			}
			for range 2 { // each open, and a write, leave the mode alone
				s := openAt(t, path, &clock{t: testNow})
				if _, err := s.Add(context.Background(), checkID(1), "ana", SourceTyped); err != nil {
					t.Fatal(err)
				}
				// SQLite gives the files it makes beside the database the
				// database's mode, which is what the group needs too.
				for _, suffix := range []string{"-wal", "-shm"} {
					info, err := os.Stat(path + suffix)
					if err != nil {
						t.Fatal(err)
					}
					if got := info.Mode().Perm(); got != tt.want {
						t.Errorf("review.db%s has mode %04o, want %04o", suffix, got, tt.want)
					}
				}
				s.Close()
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != tt.want {
				t.Errorf("review.db has mode %04o, want %04o", got, tt.want)
			}
		})
	}
}

// setgidOf is os.ModeSetgid when the octal mode given as 02xxx asks for it.
func setgidOf(m os.FileMode) os.FileMode {
	if m&0o2000 != 0 {
		return os.ModeSetgid
	}
	return 0
}
