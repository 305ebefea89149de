package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// maxBusyRetries bounds how often a write is retried when another process
// holds the lock longer than busy_timeout.
const maxBusyRetries = 5

// write runs fn in one BEGIN IMMEDIATE transaction and commits it. When
// another process holds the write lock past busy_timeout, the whole
// transaction is retried from the start, so what fn read is never stale.
// what names the operation in errors.
func (s *Store) write(ctx context.Context, what string, fn func(*sql.Tx) error) error {
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
		err = s.writeOnce(ctx, fn)
		if !isBusy(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, explainWriteError(err))
	}
	return nil
}

func (s *Store) writeOnce(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
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

func explainWriteError(err error) error {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_READONLY:
		return fmt.Errorf("the database is read-only (file or folder permissions?); nothing was written: %w", err)
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("the disk is full; nothing was written: %w", err)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("another caisson-review kept the database locked; nothing was written, try again: %w", err)
	case sqlite3.SQLITE_IOERR:
		return fmt.Errorf("the disk failed to write; nothing was written: %w", err)
	}
	return err
}

func isReadOnly(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_READONLY }
