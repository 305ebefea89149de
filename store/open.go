// Package store is the console's memory: the checks reviewers track, what
// Caisson last said about each, and the append-only, hash-chained log of
// every decision. It is one SQLite file (modernc.org/sqlite, no cgo) that
// several processes may use at once, or a PostgreSQL database (pgx) that
// several hosts may share (open_postgres.go).
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
	"sync"
	"sync/atomic"
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
	db *sqlDB
	// path is the SQLite file's path, or the PostgreSQL URL redacted
	// (Redact): what messages show.
	path string
	// server names a PostgreSQL server in messages ("127.0.0.1:5432"),
	// without the URL's user or password, and role the role the URL logs
	// in as; both empty for SQLite.
	server, role string
	now          func() time.Time
	// warn receives the warnings of Open (os.Stderr unless WithWarnings).
	warn io.Writer
	// warnings are what Open found wrong with the file but could still
	// open it with, for a front end to show.
	warnings []string
	// tampering is what the guard found wrong with the logs' triggers
	// (also in warnings).
	tampering []string
	// wrote is set by the first write that commits: only then does Close
	// tidy the search index, so a Store that only read writes nothing.
	wrote atomic.Bool
	// frozen is set when the disk was too full to open the database the
	// usual way: it is read as it stands and every write is refused.
	frozen bool
	// identity vouches for writes that name none (WithIdentity); zero
	// means OSIdentity.
	identity Identity
	// osIdentity is OSIdentity, read once (Identity).
	osOnce     sync.Once
	osIdentity Identity
	osErr      error
	// unfinished is the source of the unfinished copy this store is (its
	// unfinished_copy row), nil when it is none; copying is set on the
	// Store the copy itself writes through (CopyFrom, AsCopyTarget),
	// whose writes it does not refuse.
	unfinished atomic.Pointer[string]
	copying    atomic.Bool
	// alongside is how many first results a batch needs before they are
	// stored in parts side by side (storeFirstResultsPG); 0 is
	// alongsideMin. Tests set it to 1.
	alongside int
	// countedDay is the day this Store last brought the queue counts to
	// (writeOnce): nil until its first write.
	countedDay atomic.Pointer[string]
	// origin tells this Store's change notices from every other's
	// (Changes): set on PostgreSQL, the only backend that sends them.
	origin string
	// stmts are the statements of recording fetches (stmtCache) and of
	// the reads a page makes (read), by query, prepared once.
	stmts sync.Map
	// testLockWait, when set, replaces busyTimeout as how long a write
	// waits for PostgreSQL's write lock (lockWait): tests only.
	testLockWait time.Duration
}

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock used for decision times, the expiry of
// documents ("expired" means before today on this clock) and exchange
// timing. time.Now when not given.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithIdentity sets the identity the store vouches for writes that name
// none, instead of the operating-system account (OSIdentity): tests, and
// a front end that authenticated its user otherwise.
func WithIdentity(id Identity) Option {
	return func(s *Store) { s.identity = id }
}

// WithWarnings sends what Open finds wrong with a database it still opens
// (the decision log's append-only triggers dropped or changed) to w, one
// line each, instead of os.Stderr. A front end whose standard output is
// JSON for scripts keeps it clean this way; the warnings are also kept for
// Warnings.
func WithWarnings(w io.Writer) Option {
	return func(s *Store) { s.warn = w }
}

// AsCopyTarget opens the store a copy is to fill (migrate-store's
// target): an unfinished copy is not warned of, and its writes are not
// refused, since they are the copy going on.
func AsCopyTarget() Option {
	return func(s *Store) { s.copying.Store(true) }
}

// DefaultPath is $XDG_DATA_HOME/caisson-review/review.db, or
// ~/.local/share/caisson-review/review.db when XDG_DATA_HOME is not set
// (or not absolute, which the XDG spec says to ignore). getenv is the
// caller's environment: the program reads it in one place, so tests and
// serve's sessions never see another process's variables.
func DefaultPath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "caisson-review", "review.db"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("finding the database path: neither XDG_DATA_HOME nor HOME is set")
	}
	return filepath.Join(home, ".local", "share", "caisson-review", "review.db"), nil
}

// Open opens the database at location, an SQLite file's path or a
// PostgreSQL URL (postgres://…, see openPostgres), and brings its schema
// up to date. A file is created when absent (see prepareFile for the
// modes). It refuses a file that is not an SQLite database, and a
// database written by a newer caisson-review, without changing either.
// Opening an up-to-date database writes nothing, so reading works on a
// full disk, and an existing file's mode is never changed.
func Open(ctx context.Context, location string, opts ...Option) (*Store, error) {
	if LooksLikeConninfo(location) {
		return nil, fmt.Errorf("opening the review database: %w", ErrConninfo)
	}
	if LooksLikeOtherURL(location) {
		return nil, fmt.Errorf("opening the review database: %w", ErrOtherURL)
	}
	if IsPostgres(location) {
		return openPostgres(ctx, location, opts...)
	}
	return openSQLite(ctx, location, opts...)
}

func openSQLite(ctx context.Context, path string, opts ...Option) (*Store, error) {
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
	s := &Store{db: &sqlDB{DB: db}, path: path, now: time.Now, warn: os.Stderr}
	for _, o := range opts {
		o(s)
	}
	err = s.init(ctx)
	if err != nil && diskFull(path, err) {
		db.Close()
		err = s.openFrozen(ctx)
	}
	if err != nil {
		s.db.Close()
		return nil, fmt.Errorf("opening the review database %s: %w", path, err)
	}
	return s, nil
}

// errFrozen refuses a write to a database opened frozen.
var errFrozen = errors.New("the disk is full (it was when the database was opened, so it is open for reading only); nothing was written: free some space and try again")

// openFrozen opens the database for reading only, when the disk is too
// full for SQLite to make its shared-memory index (the -shm file, 32 KiB),
// which every connection to a WAL database needs. It reads the file as it
// stands, without locks (immutable=1), which is exact only when no change
// is waiting in the -wal file: with one there, reading it needs the index,
// so this refuses and says the disk is full. Getting here means no other
// process had the database open (its index would exist), and while the
// disk stays full none can write: it would need the same index.
func (s *Store) openFrozen(ctx context.Context) error {
	if info, err := os.Stat(s.path + "-wal"); err == nil && info.Size() > 0 {
		return errors.New("the disk is full, and reading the database needs room for its index of recent changes (the -wal file): free some space and try again")
	}
	db, err := sql.Open("sqlite", frozenDSN(s.path))
	if err != nil {
		return err
	}
	s.db, s.frozen = &sqlDB{DB: db}, true
	return s.init(ctx)
}

// frozenDSN is dsn for openFrozen: read-only, immutable, no journal mode
// (which would be a write).
func frozenDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "cache_size(-65536)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("mode", "ro")
	q.Set("immutable", "1")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// spillPages is how many pages of the cache (of SQLite's 4 KiB: 128 MiB)
// a write may fill before its changed pages go to the WAL early (dsn).
const spillPages = 32768

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
	// A write may keep up to twice that in changed pages before writing
	// any to the WAL ahead of its commit: a batch of first results at
	// 100,000 checks changes more pages than the cache holds, and each
	// page spilled early was written to the WAL again at the commit, and
	// read back from it meanwhile. Bounded, not off, so that a copy of a
	// whole store in one transaction still spills; reads change no page
	// and keep the cache's size.
	q.Add("_pragma", fmt.Sprintf("cache_spill(%d)", spillPages))
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// prepareFile makes sure path is either an existing SQLite database (or an
// empty file someone prepared for one), or a new empty file we create in a
// folder we may create with 0700. It creates the file itself because SQLite
// would create it with the umask's mode.
//
// A new file is 0600, or 0660 in a group-shared folder (newFileMode): that
// is how several reviewers' own accounts share one database. An existing
// file keeps its mode, whatever it is: its owner chose it, and resetting
// it would lock the rest of the group out (or let others in).
func prepareFile(path string) error {
	dir := filepath.Dir(path)
	dirInfo, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating its folder: %w", err)
		}
		// MkdirAll applies the umask; the folder holds personal data.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restricting its folder to its owner: %w", err)
		}
		dirInfo, err = os.Stat(dir)
	}
	if err != nil {
		return fmt.Errorf("checking its folder: %w", err)
	}
	mode := newFileMode(dirInfo.Mode())
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
	if err == nil {
		defer f.Close()
		// OpenFile applies the umask; this file is ours, just made.
		if err := f.Chmod(mode); err != nil {
			return fmt.Errorf("setting its mode to %04o: %w", mode, err)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	return checkExisting(path)
}

// newFileMode is the mode of a database file created in a folder of mode
// dir: 0660 when the folder is group-writable with the setgid bit, the
// usual way to share a folder with a group (chmod 2770: every file made in
// it belongs to the folder's group, whoever makes it, so the group can
// write the database and the -wal and -shm files SQLite makes beside it
// with the database's mode); 0600 anywhere else.
func newFileMode(dir fs.FileMode) fs.FileMode {
	if dir&fs.ModeSetgid != 0 && dir.Perm()&0o020 != 0 {
		return 0o660
	}
	return 0o600
}

// checkExisting refuses a path that is not a regular file or not an SQLite
// database, reading only its first bytes.
func checkExisting(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("it is %s, not a file: expected the path of the database file (review.db)", fileKind(info.Mode()))
	}
	if info.Size() == 0 {
		return nil
	}
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return errors.New("the file exists but is not an SQLite database (corrupt, or not ours); it was left untouched: move it away or choose another path")
	}
	return nil
}

// fileKind names what a path that is not a regular file is, in words: the
// mode's type letters alone ("d---------") read as nonsense.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// init checks the connection, migrates when the schema is behind, and
// checks the decision log's guard. None of it writes to an up-to-date
// database.
func (s *Store) init(ctx context.Context) error {
	s.db.SetMaxOpenConns(4)
	if err := s.db.PingContext(ctx); err != nil {
		return explainOpenError(s.path, err)
	}
	if err := migrate(ctx, s.db); err != nil {
		if s.frozen && isReadOnly(err) {
			return errors.New("the disk is full, and the database must be written before it can be read (it is new, or from an older caisson-review): free some space and try again")
		}
		return explainOpenError(s.path, err)
	}
	problems, err := guardProblems(ctx, s.db)
	if err != nil {
		return explainOpenError(s.path, err)
	}
	// The logs' own triggers: every other trigger is held to a new
	// store's by Verify (schemaTriggerProblems), whose store made in
	// memory cost every command 25 ms here (helper-77).
	s.warnAbout(problems)
	if err := s.noteUnfinishedCopy(ctx); err != nil {
		return explainOpenError(s.path, err)
	}
	return nil
}

// warnAbout keeps and shows what the guard found wrong with the decision
// log's triggers.
func (s *Store) warnAbout(problems []string) {
	for _, p := range problems {
		s.warnings = append(s.warnings, p)
		s.tampering = append(s.tampering, p)
		// Loud, on its own line, but not an error: the log can still be
		// read and exported, which is what an investigation needs.
		fmt.Fprintf(s.warn, "caisson-review: WARNING: the review database may have been tampered with: %s; run caisson-review export --verify\n", p)
	}
}

// Warnings are what Open found wrong with the database but opened it
// anyway: the decision log's append-only triggers dropped, changed or
// joined by another. Empty for a sound database.
func (s *Store) Warnings() []string { return append([]string(nil), s.warnings...) }

// Tampering is what Open found wrong with the logs' append-only
// triggers (dropped, changed, or joined by another), empty for a sound
// database: a console says so for as long as it runs, since the warning
// Open writes goes under its alternate screen.
func (s *Store) Tampering() []string { return append([]string(nil), s.tampering...) }

func explainOpenError(path string, err error) error {
	msg := err.Error()
	switch {
	case diskFull(path, err):
		return fmt.Errorf("the disk is full: %w", err)
	case strings.Contains(msg, "file is not a database") || strings.Contains(msg, "SQLITE_NOTADB"):
		return fmt.Errorf("the file is not a valid SQLite database (corrupt?); it was left untouched: %w", err)
	case strings.Contains(msg, "database disk image is malformed") || strings.Contains(msg, "SQLITE_CORRUPT"):
		return fmt.Errorf("the database is corrupt; it was left untouched: %w", err)
	case strings.Contains(msg, "readonly") || strings.Contains(msg, "unable to open"):
		return fmt.Errorf("cannot write the database or its folder (read-only?): %w", err)
	}
	return err
}

// Close closes the database. A Store that wrote first folds the search
// index's new segments together, a bounded share of that work: each write
// to the trigram index adds a segment, and filter queries slow down as
// they read many small ones. A Store that only read writes nothing.
func (s *Store) Close() error {
	if s.wrote.Load() && !s.pg() {
		// Best effort: the index works unmerged, only slower, and a
		// failure here (the disk just filled up) loses nothing.
		_, _ = s.db.Exec("INSERT INTO checks_search (checks_search, rank) VALUES ('merge', 2000)")
	}
	return s.db.Close()
}

// Path is the database file's path, or for PostgreSQL its URL with the
// password redacted (Redact): fit for a message, and to open again only
// when the URL carried no password.
func (s *Store) Path() string { return s.path }

// ErrNotReviewDatabase: the file is an SQLite database, but not one
// caisson-review made (no schema version, no decision log in it).
var ErrNotReviewDatabase = errors.New("it is not a caisson-review database (it has no schema version and no decision log)")

// CheckReviewDatabase reads, without writing, whether the SQLite file at
// path is a caisson-review database, before anything opens it with Open,
// which would make one in it: export --verify of another program's file
// wrote a schema into it and said "intact: 0 entries" (helper-76). It
// says nothing (nil) of a file it cannot open or read (Open says why),
// but one locked for longer than the wait is refused: passed on, Open
// migrated it once it was free (helper-77).
func CheckReviewDatabase(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", readOnlyDSN(path, busyTimeout))
	if err != nil {
		return nil
	}
	defer db.Close()
	// Locked, it is refused; a file it cannot open, or read for a full
	// disk (a WAL database read-only needs room for its -shm), is Open's
	// to say or to read another way (openFrozen).
	unreadable := func(err error) error {
		if isBusy(err) {
			return fmt.Errorf("reading it to tell whether it is a caisson-review database, nothing was changed: %w", err)
		}
		return nil
	}
	var version, logs int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return unreadable(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'decisions'").Scan(&logs); err != nil {
		return unreadable(err)
	}
	if version == 0 && logs == 0 {
		return ErrNotReviewDatabase
	}
	return nil
}
