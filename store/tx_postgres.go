package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// writeLockKey is the advisory lock every write transaction on PostgreSQL
// takes first (lockWritesTx). Advisory locks are per database.
const writeLockKey int64 = 0x63616973736f6e02 // "caisson" 2

// postgresWriteTx is how a write transaction starts on PostgreSQL: READ
// COMMITTED whatever the server's default, because each statement after
// the lock then reads what every write before it committed. Under
// REPEATABLE READ the snapshot would be taken by the lock's own statement,
// before the wait, and the chain's head read after it could be stale.
var postgresWriteTx = &sql.TxOptions{Isolation: sql.LevelReadCommitted}

// lockWritesTx takes the write lock for the rest of tx: writes from any
// number of Stores, on any number of hosts, then run one at a time, as
// SQLite's BEGIN IMMEDIATE makes them. The decision log's head is read
// and the next entry appended under it, so the hash chain stays a chain,
// and every read-then-write of the store's rules (four-eyes, a proposal's
// state) sees the writes before it. Reads take no lock and are not held
// up.
//
// The write is announced to the listeners on commit (Changes) with notice
// (dataNotice), unless notice is "", in the same statement as the lock:
// a notification is only sent at commit, so asking for it before the
// lock is granted changes nothing, and saves every write a round trip.
//
// The wait for the lock is bounded as SQLite's busy_timeout bounds it
// (lock_timeout, for this transaction; set in a subquery, which runs
// before the lock is asked for): past it the lock's holder is taken to be
// stuck (a session left in a transaction, a hung instance), the write is
// retried as a busy SQLite one is, and in the end refused in SQLite's
// words rather than waiting forever.
//
// shared takes the lock shared (writeAlongside): beside other shared
// holders, never beside an exclusive one.
func (s *Store) lockWritesTx(ctx context.Context, tx *sqlTx, notice string, shared bool) error {
	wait := fmt.Sprintf("%dms", s.lockWait().Milliseconds())
	lock := "pg_advisory_xact_lock(?)"
	if shared {
		lock = "pg_advisory_xact_lock_shared(?)"
	}
	if notice == "" {
		_, err := tx.ExecContext(ctx, "SELECT "+lock+" FROM (SELECT set_config('lock_timeout', ?, true)) AS bounded",
			writeLockKey, wait)
		return err
	}
	_, err := tx.ExecContext(ctx, "SELECT "+lock+", "+notifyCall+" FROM (SELECT set_config('lock_timeout', ?, true)) AS bounded",
		writeLockKey, s.noticePayload(notice), wait)
	return err
}

// lockWait is how long a write waits for the write lock each time it
// tries: SQLite's busy_timeout, unless a test set it shorter.
func (s *Store) lockWait() time.Duration {
	if s.testLockWait > 0 {
		return s.testLockWait
	}
	return busyTimeout
}

// lockTimedOut reports a write that waited for a lock past lock_timeout.
func lockTimedOut(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// pgRetryable reports a serialization failure or a deadlock: the
// transaction was rolled back whole and may be run again from the start.
func pgRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// commitFailed marks an error of COMMIT itself: if the server went away
// then, the write may have been made or not, and the message must not
// say nothing was written.
type commitFailed struct{ err error }

func (e *commitFailed) Error() string { return e.err.Error() }
func (e *commitFailed) Unwrap() error { return e.err }

// explainPostgresWriteError says what happened to a write that failed,
// and what to do.
func (s *Store) explainPostgresWriteError(err error) error {
	var cf *commitFailed
	atCommit := errors.As(err, &cf)
	explained := s.explainPostgresError(err)
	var pe *pgconn.PgError
	var ue *unreachableError
	switch {
	case errors.As(explained, &ue) && atCommit:
		return &reworded{fmt.Sprintf("the PostgreSQL server %s went away (%s) while the write was being committed: it may or may not have been saved; look before trying again (%v)", ue.server, ue.why, ue.err), ue}
	case errors.As(explained, &ue):
		return &reworded{fmt.Sprintf("the PostgreSQL server %s is unreachable (%s); nothing was written, try again when it is back (%v)", ue.server, ue.why, ue.err), ue}
	case lockTimedOut(err):
		return fmt.Errorf("another caisson-review kept the database locked; nothing was written, try again: %w", err)
	case pgRetryable(err):
		return fmt.Errorf("another caisson-review's write kept conflicting with this one; nothing was written, try again: %w", err)
	case errors.As(err, &pe) && pe.Code == "42501":
		return fmt.Errorf("nothing was written: %w", explained)
	case errors.As(err, &pe) && pe.Code == "25006":
		return fmt.Errorf("the PostgreSQL server %s is read-only (a standby?): point the URL at the primary; nothing was written: %w", s.server, err)
	case errors.As(err, &pe) && pe.Code == "53100":
		return fmt.Errorf("the PostgreSQL server %s's disk is full; nothing was written: %w", s.server, err)
	}
	return explained
}

// reworded says err in other words, for errors.Is and errors.As still err.
type reworded struct {
	msg string
	err error
}

func (e *reworded) Error() string { return e.msg }
func (e *reworded) Unwrap() error { return e.err }
