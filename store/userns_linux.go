//go:build linux

package store

import (
	"fmt"
	"syscall"
)

// The initial user namespace's inode in nsfs (PROC_USER_INIT_INO, the
// same on every Linux since 3.8), and nsfs's magic number.
const (
	initUserNamespaceIno = 0xEFFFFFFD
	nsfsMagic            = 0x6e736673
)

// inInitialUserNamespace reports whether this process runs in the host's
// own user namespace, where getuid is the account's uid. The file is
// opened and then examined by its descriptor: the kernel's namespace file
// (nsfs) of the initial namespace is what passes, not a path's text, which
// a mount namespace could put anything at.
func inInitialUserNamespace() (bool, error) {
	fd, err := syscall.Open("/proc/self/ns/user", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false, fmt.Errorf("opening /proc/self/ns/user: %w", err)
	}
	defer syscall.Close(fd)
	var fs syscall.Statfs_t
	if err := syscall.Fstatfs(fd, &fs); err != nil {
		return false, fmt.Errorf("reading /proc/self/ns/user: %w", err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return false, fmt.Errorf("reading /proc/self/ns/user: %w", err)
	}
	return int64(fs.Type) == nsfsMagic && st.Ino == initUserNamespaceIno, nil
}
