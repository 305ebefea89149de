package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// maxBusyRetries bounds how often a write is retried when another process
// holds the lock longer than busy_timeout.
const maxBusyRetries = 5

// write runs fn in one BEGIN IMMEDIATE transaction and commits it (on
// PostgreSQL, one that takes the write lock first: lockWritesTx). When
// another process holds the write lock past busy_timeout, or PostgreSQL
// reports a serialization failure or a deadlock, the whole transaction is
// retried from the start, so what fn read is never stale. what names the
// operation in errors.
func (s *Store) write(ctx context.Context, what string, fn func(*sqlTx) error) error {
	return s.writeNoticed(ctx, what, dataNotice, fn)
}

// writeUnannounced is write without the change notice (Changes), for a
// write that changes nothing a front end shows (access records, poll
// leases): on PostgreSQL its notice would have every console on every
// server read its page again, for nothing.
func (s *Store) writeUnannounced(ctx context.Context, what string, fn func(*sqlTx) error) error {
	return s.writeNoticed(ctx, what, "", fn)
}

// writeNoticed is write, announced on PostgreSQL with notice (none when
// "").
func (s *Store) writeNoticed(ctx context.Context, what, notice string, fn func(*sqlTx) error) error {
	return s.writeLocked(ctx, what, notice, false, fn)
}

// writeAlongside is write for a transaction that only stores checks'
// first results (storeFirstResultsPG), on PostgreSQL only: it takes the
// write lock shared, so that such transactions run beside one another,
// one core of the server each, while every other write still waits for
// them all and runs alone. They can share it because they only insert
// rows for checks that had none: they read no state another of them
// writes but the counts' row, which the insert trigger locks, and two
// that meet on one check are sorted out by its unique key (the second
// inserts nothing). The counts are not brought to the day or to now
// here (bringCountsToTx, bringOverdueTx read, then write, what another
// such transaction may be changing); reads add what they lack until the
// next write does.
func (s *Store) writeAlongside(ctx context.Context, what string, fn func(*sqlTx) error) error {
	return s.writeLocked(ctx, what, dataNotice, true, fn)
}

func (s *Store) writeLocked(ctx context.Context, what, notice string, shared bool, fn func(*sqlTx) error) error {
	if s.frozen {
		return fmt.Errorf("%s: %w", what, errFrozen)
	}
	if err := s.refuseUnfinished(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var err error
	for try := 0; try <= maxBusyRetries; try++ {
		if try > 0 {
			wait := time.Duration(50+rand.IntN(200)) * time.Millisecond
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s: %w", what, ctx.Err())
			case <-time.After(wait):
			}
		}
		err = s.writeOnce(ctx, notice, shared, fn)
		if !isBusy(err) && !pgRetryable(err) && !lockTimedOut(err) {
			break
		}
	}
	if err != nil && s.pg() {
		return fmt.Errorf("%s: %w", what, s.explainPostgresWriteError(err))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, explainWriteError(s.path, err))
	}
	s.wrote.Store(true)
	return nil
}

func (s *Store) writeOnce(ctx context.Context, notice string, shared bool, fn func(*sqlTx) error) error {
	var opts *sql.TxOptions
	if s.pg() {
		opts = postgresWriteTx
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if s.pg() {
		if err := s.lockWritesTx(ctx, tx, notice, shared); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if shared {
		if err := tx.Commit(); err != nil {
			return &commitFailed{err}
		}
		return nil
	}
	// The first write of a day on this store's clock brings the kept
	// count of expired documents to that day (bringCountsToTx), in the
	// same transaction, so no read has to.
	day := s.today()
	if last := s.countedDay.Load(); last == nil || *last != day {
		if err := bringCountsToTx(ctx, tx, day); err != nil {
			tx.Rollback()
			return err
		}
	}
	// Every write brings the overdue count to now: a range of the few
	// checks that became overdue since the last write.
	if err := bringOverdueTx(ctx, tx, s.now()); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return &commitFailed{err}
	}
	s.countedDay.Store(&day)
	return nil
}

func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff // the primary code; extended codes add high bits
	}
	return 0
}

func isBusy(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

func explainWriteError(path string, err error) error {
	if diskFull(path, err) {
		return fmt.Errorf("the disk is full; nothing was written: %w", err)
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_READONLY:
		return fmt.Errorf("the database is read-only (file or folder permissions?); nothing was written: %w", err)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("another caisson-review kept the database locked; nothing was written, try again: %w", err)
	case sqlite3.SQLITE_IOERR:
		return fmt.Errorf("the disk failed to write; nothing was written: %w", err)
	}
	return err
}

// lowDiskSpace is the free space under which an I/O error is taken for a
// full disk: SQLite reports ENOSPC as SQLITE_FULL only for the database and
// journal writes, and as a plain I/O error when growing its shared-memory
// file or syncing, which would send a reviewer looking for a broken disk.
const lowDiskSpace = 1 << 20

// diskFull reports whether err is SQLite's "the disk is full", or an I/O
// error on a file system with next to no space left.
func diskFull(path string, err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_FULL:
		return true
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
		free, ok := freeSpace(filepath.Dir(path))
		return ok && free < lowDiskSpace
	}
	return false
}

func isReadOnly(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_READONLY }

// execer is what the per-check writes need of a transaction: *sqlTx, or
// a stmtCache over one.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtCache runs statements in tx, each prepared once for the
// transaction. A batch of fetched results runs the same few statements
// hundreds of times, and preparing an UPDATE of checks (its partial
// indexes and triggers compiled in) cost as much as running it.
type stmtCache struct {
	s     *Store
	tx    *sqlTx
	stmts map[string]*sql.Stmt
	// unsearched are rows made in this transaction whose names are not
	// in the trigram index yet (madeRow, flushSearch), and made the check
	// ids of those rows.
	unsearched []int64
	made       map[string]bool
}

func (s *Store) newStmtCache(tx *sqlTx) *stmtCache {
	return &stmtCache{s: s, tx: tx, stmts: map[string]*sql.Stmt{}}
}

// prepare returns query's statement in the transaction, which closes it
// when it ends. The statement is the Store's, prepared once on each
// pooled connection and kept (database/sql reuses it for every
// transaction on that connection): a refresh at 20 ms latency commits
// small batches, and preparing them afresh for each cost more than
// writing them.
func (c *stmtCache) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	shared, err := c.s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	st := c.tx.StmtContext(ctx, shared)
	c.stmts[query] = st
	return st, nil
}

// prepared is the Store's statement of query, prepared on first use and
// kept until Close: for the few queries run again and again (recording
// fetches, Counts).
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.prepare(ctx, query)
	if err != nil {
		// The unprepared query reports the same error through its Row.
		return c.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
