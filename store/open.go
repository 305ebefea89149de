// Package store is the console's memory: the checks reviewers track, what
// Caisson last said about each, and the append-only, hash-chained log of
// every decision. It is one SQLite file (modernc.org/sqlite, no cgo) that
// several processes may use at once.
package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned for a check the store does not track.
var ErrNotFound = errors.New("check not tracked")

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// busyTimeout is how long a statement waits for another process's lock
// before SQLite gives up with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// Store is an open review database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time
}

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock used for decision times, the expiry of
// documents ("expired" means before today on this clock) and exchange
// timing. time.Now when not given.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// DefaultPath is $XDG_DATA_HOME/caisson-review/review.db, or
// ~/.local/share/caisson-review/review.db when XDG_DATA_HOME is not set.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "caisson-review", "review.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the database path: set XDG_DATA_HOME or HOME: %w", err)
	}
	return filepath.Join(home, ".local", "share", "caisson-review", "review.db"), nil
}

// Open opens the database at path, creating it (folder 0700, files 0600)
// when absent, and brings its schema up to date. It refuses a file that is
// not an SQLite database, and a database written by a newer caisson-review,
// without changing either.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" {
		return nil, errors.New("opening the review database: empty path: expected a file path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("opening the review database %s: the path must not contain '?' or '#'", path)
	}
	if err := prepareFile(path); err != nil {
		return nil, fmt.Errorf("opening the review database %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("opening the review database %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the review database %s: %w", path, err)
	}
	return s, nil
}

// dsn sets the pragmas in the connection string so that every pooled
// connection has them, not just the first. synchronous=FULL makes a commit
// durable when it returns; _txlock=immediate takes the write lock at BEGIN,
// so a read-then-write transaction (Decide) never fails half-way with a
// lock upgrade error.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	// Deleted tokens and purged personal data must not linger in free
	// space of the file.
	q.Add("_pragma", "secure_delete(1)")
	q.Add("_pragma", "cache_size(-65536)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// prepareFile makes sure path is either a new empty file with mode 0600 in
// a folder we may create with 0700, or an existing SQLite database. It
// creates the file itself because SQLite would create it with the umask's
// mode.
func prepareFile(path string) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating its folder: %w", err)
		}
		// MkdirAll applies the umask; the folder holds personal data.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restricting its folder to its owner: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("checking its folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrPermission) {
		// An existing read-only file can still be read; writes then fail
		// with SQLite's read-only error, nothing half-written.
		if ro, rerr := os.Open(path); rerr == nil {
			f, err = ro, nil
		}
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("it is not a regular file (%s)", info.Mode().Type())
	}
	if info.Size() == 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("restricting it to its owner: %w", err)
		}
		return nil
	}
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return errors.New("the file exists but is not an SQLite database (corrupt, or not ours); it was left untouched: move it away or choose another path")
	}
	return nil
}

// init checks the connection, migrates, and restricts the WAL files, which
// exist only once the database is open in WAL mode.
func (s *Store) init(ctx context.Context) error {
	s.db.SetMaxOpenConns(4)
	if err := s.db.PingContext(ctx); err != nil {
		return explainOpenError(err)
	}
	if err := migrate(ctx, s.db); err != nil {
		return explainOpenError(err)
	}
	// Each write to the trigram index adds a segment that later merges
	// fold together; doing a bounded share of that work at every start
	// keeps filter queries from reading many small segments.
	if err := s.write(ctx, "merging the search index", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO checks_search (checks_search, rank) VALUES ('merge', 2000)")
		return err
	}); err != nil && !isReadOnly(err) {
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Chmod(s.path+suffix, 0o600)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("restricting %s to its owner: %w", filepath.Base(s.path+suffix), err)
		}
	}
	return nil
}

func explainOpenError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "file is not a database") || strings.Contains(msg, "SQLITE_NOTADB"):
		return fmt.Errorf("the file is not a valid SQLite database (corrupt?); it was left untouched: %w", err)
	case strings.Contains(msg, "database disk image is malformed") || strings.Contains(msg, "SQLITE_CORRUPT"):
		return fmt.Errorf("the database is corrupt; it was left untouched: %w", err)
	case strings.Contains(msg, "readonly") || strings.Contains(msg, "unable to open"):
		return fmt.Errorf("cannot write the database or its folder (read-only?): %w", err)
	}
	return err
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file's path.
func (s *Store) Path() string { return s.path }
