package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// checkStrictModes refuses an authorized_keys file that someone other
// than this server's user (or root) could replace, as sshd's StrictModes
// does: the file and every directory above it must be owned by root or by
// this user, and none may be writable by group or others, except a
// directory with the sticky bit (/tmp), where others cannot remove or
// rename what they do not own.
func checkStrictModes(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("authorized keys %s: %w", path, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("authorized keys %s: %w", path, err)
	}
	if err := checkOwner(abs, info); err != nil {
		return err
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("authorized keys %s: directory %s: %w", path, dir, err)
		}
		if info.Mode().Perm()&0o022 != 0 && info.Mode()&os.ModeSticky == 0 {
			return fmt.Errorf("authorized keys %s: directory %s has mode %04o: expected no write permission for group or others, as anyone who can write there can replace the file (chmod go-w %s)",
				path, dir, info.Mode().Perm(), dir)
		}
		if err := checkOwner(dir, info); err != nil {
			return err
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// checkOwner refuses a file or directory owned by another user than root
// or this process's.
func checkOwner(path string, info os.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil // not a Unix file system: ownership cannot be read
	}
	if st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("authorized keys: %s is owned by uid %d: expected root or this server's user (uid %d)", path, st.Uid, os.Geteuid())
	}
	return nil
}
