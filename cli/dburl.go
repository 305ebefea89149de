package cli

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

// dbURLForm is what a PostgreSQL database's URL looks like, for errors.
const dbURLForm = "postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full, the password in ~/.pgpass rather than in the URL"

// checkDBURL says what is wrong with a PostgreSQL URL given as the review
// database, before anything connects. What the URL says beyond its shape
// (the server, the role, the database) is the server's to refuse. It never
// repeats the URL, which may hold a password: not even url.Parse's own
// error, which quotes it, or a part of it where a stray / or @ in the
// password moved the host's boundary.
func checkDBURL(location string, from origin) error {
	// No host is PostgreSQL's own default (the local server's socket),
	// as libpq's postgres:///DATABASE.
	u, err := url.Parse(location)
	if err != nil {
		return fmt.Errorf("the database URL (%s) does not parse as a URL (not repeated here: it may hold a password; a / ? # @ : or %% in the password must be written %%XX): expected %s",
			from, dbURLForm)
	}
	if p := u.Port(); p != "" {
		// Go's parser takes any digits; the driver refuses the URL later.
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("the database URL (%s) has port %s: expected 1 to 65535, as in %s", from, p, dbURLForm)
		}
	}
	if err := store.CheckPostgresURL(location); err != nil {
		return fmt.Errorf("the database URL (%s): %w", from, err)
	}
	return nil
}

// dbPassword reports whether a PostgreSQL URL carries a password, in its
// user part or as a password parameter.
func dbURLHasPassword(location string) bool {
	u, err := url.Parse(location)
	if err != nil {
		return false
	}
	if _, ok := u.User.Password(); ok {
		return true
	}
	for k := range u.Query() {
		if strings.EqualFold(k, "password") {
			return true
		}
	}
	return false
}

// dbPasswordFix is where a database password belongs instead.
const dbPasswordFix = "put it in ~/.pgpass (chmod 600), or the file PGPASSFILE names, and leave it out of the URL"

// warnDBPassword warns, once, of a password written in the database URL
// where others can read it: on the command line, every account on the
// machine sees it (ps) while the command runs, and the shell's history
// keeps it; in the configuration file, whoever can read the file. pgx
// reads the password from ~/.pgpass (or the file PGPASSFILE names) when
// the URL has none, which is where it belongs. The environment is not
// warned of: only the account itself and root can read a process's.
func (a *app) warnDBPassword(location string, from origin) {
	if a.dbWarned {
		return
	}
	a.dbWarned = true
	if !dbURLHasPassword(location) {
		a.warnPassfileOpenToOthers()
		return
	}
	switch from.kind {
	case originFlag:
		a.warnDBPasswordOnCommandLine(from.name)
	case originFile:
		fmt.Fprintf(a.stderr, "%s: warning: the database URL at %s holds a password, which whoever can read that file can read: %s\n",
			progName, from, dbPasswordFix)
	}
}

// warnDBPasswordOnCommandLine warns of a password in the database URL
// given to flag.
func (a *app) warnDBPasswordOnCommandLine(flag string) {
	fmt.Fprintf(a.stderr, "%s: warning: the password in the database URL of %s can be seen by every account on this machine while the command runs (ps), and your shell's history keeps it: %s\n",
		progName, flag, dbPasswordFix)
}

// warnPassfileOpenToOthers warns when the password file pgx would read
// (PGPASSFILE, or ~/.pgpass) can be read by group or others. libpq
// ignores such a file; pgx reads it all the same, so this says it.
func (a *app) warnPassfileOpenToOthers() {
	path := a.getenv("PGPASSFILE")
	if path == "" {
		home := a.getenv("HOME")
		if home == "" {
			return
		}
		path = filepath.Join(home, ".pgpass")
	}
	info, err := os.Stat(path)
	if err != nil {
		return
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		fmt.Fprintf(a.stderr, "%s: warning: the PostgreSQL password file %s can be read by group or others (mode %04o): run chmod 600 on it\n",
			progName, sanitize.Line(path), perm)
	}
}
