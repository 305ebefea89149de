package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// PollSchedule is how often a check waiting at Caisson (its last answer
// PENDING_REVIEW or NOT_VERIFIED) is asked again: First after the answer
// that started the wait, then after as long as it has waited so far (the
// wait doubles), never longer than Max between two asks.
type PollSchedule struct {
	First, Max time.Duration
}

// Validate says what is wrong with the schedule, if anything.
func (p PollSchedule) Validate() error {
	switch {
	case p.First <= 0:
		return fmt.Errorf("poll interval %v: expected a duration above zero, like 5m", p.First)
	case p.Max < p.First:
		return fmt.Errorf("poll cap %v: expected at least the interval (%v)", p.Max, p.First)
	}
	return nil
}

// pollDue is when a row of polls (p) joined to its check (c) is due, in
// unix nanoseconds; its parameters are First and Max in nanoseconds.
const pollDue = `(c.fetched_at + max(?, min(?, c.fetched_at - p.since)))`

// DuePoll is a check whose poll is due.
type DuePoll struct {
	CheckID string
	Due     time.Time
}

// DuePolls returns up to limit checks whose poll is due at now and whose
// lease is free, the longest overdue first, and when the next poll not
// yet due (or leased by another process) will be: zero when no check
// waits at Caisson.
func (s *Store) DuePolls(ctx context.Context, sched PollSchedule, now time.Time, limit int) ([]DuePoll, time.Time, error) {
	if err := sched.Validate(); err != nil {
		return nil, time.Time{}, err
	}
	first, most, at := int64(sched.First), int64(sched.Max), now.UnixNano()
	query := `SELECT p.check_id, ` + pollDue + ` AS due FROM polls AS p JOIN checks AS c ON c.check_id = p.check_id
		WHERE p.lease_until <= ? AND ` + pollDue + ` <= ? ORDER BY due, p.check_id LIMIT ?`
	if s.pg() {
		query = duePollsPG
	}
	rows, err := s.db.QueryContext(ctx, query, first, most, at, first, most, at, limit)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("reading the checks due for a poll: %w", err)
	}
	defer rows.Close()
	var due []DuePoll
	for rows.Next() {
		var d DuePoll
		var n int64
		if err := rows.Scan(&d.CheckID, &n); err != nil {
			return nil, time.Time{}, fmt.Errorf("reading the checks due for a poll: %w", err)
		}
		d.Due = time.Unix(0, n).UTC()
		due = append(due, d)
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("reading the checks due for a poll: %w", err)
	}
	query = `SELECT min(max(` + pollDue + `, p.lease_until)) FROM polls AS p JOIN checks AS c ON c.check_id = p.check_id
		WHERE max(` + pollDue + `, p.lease_until) > ?`
	if s.pg() {
		query = nextPollPG
	}
	var next sql.NullInt64
	err = s.db.QueryRowContext(ctx, query, first, most, first, most, at).Scan(&next)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("reading when the next poll is due: %w", err)
	}
	return due, fromNanos(next), nil
}

// ErrLeaseHeld is the answer to taking a poll's lease that another
// process holds, or a poll no longer due (another process just polled it).
var ErrLeaseHeld = errors.New("the check is being polled by another process, or no longer due")

// TakePollLease leases checkID's poll to holder until now+ttl, in one
// transaction, if its poll is still due at now and no other holder has a
// lease that has not expired: then no other process sharing the file
// polls the check until the lease is released or runs out. It answers
// ErrLeaseHeld when the lease is not taken.
func (s *Store) TakePollLease(ctx context.Context, checkID, holder string, sched PollSchedule, now time.Time, ttl time.Duration) error {
	if err := sched.Validate(); err != nil {
		return err
	}
	if holder == "" || ttl <= 0 {
		return fmt.Errorf("poll lease of %s: expected a holder and a time to live above zero", checkID)
	}
	var taken int64
	// A lease changes nothing shown (the answer it leads to is announced
	// when it is recorded): nothing to announce.
	err := s.writeUnannounced(ctx, "leasing the poll of "+checkID, func(tx *sqlTx) error {
		query := `UPDATE polls AS p SET holder = ?, lease_until = ?
			WHERE p.check_id = ? AND (p.lease_until <= ? OR p.holder = ?)
			AND (SELECT ` + pollDue + ` FROM checks AS c WHERE c.check_id = p.check_id) <= ?`
		if s.pg() {
			query = takePollLeasePG
		}
		r, err := tx.ExecContext(ctx, query,
			holder, now.Add(ttl).UnixNano(), checkID, now.UnixNano(), holder, int64(sched.First), int64(sched.Max), now.UnixNano())
		if err != nil {
			return err
		}
		taken, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return err
	}
	if taken == 0 {
		return fmt.Errorf("poll of %s: %w", caisson.ShortID(checkID, 10), ErrLeaseHeld)
	}
	return nil
}

// ReleasePollLease frees holder's lease on checkID's poll, if it still
// holds one (the answer may have ended the wait, and the lease with it).
func (s *Store) ReleasePollLease(ctx context.Context, checkID, holder string) error {
	return s.writeUnannounced(ctx, "releasing the poll of "+checkID, func(tx *sqlTx) error {
		_, err := tx.ExecContext(ctx, "UPDATE polls SET holder = '', lease_until = 0 WHERE check_id = ? AND holder = ?", checkID, holder)
		return err
	})
}

// HoldPollLease keeps holder's lease on checkID's poll until until, if
// holder still has it: a poll Caisson could not answer is not asked
// again before then, by this process or another.
func (s *Store) HoldPollLease(ctx context.Context, checkID, holder string, until time.Time) error {
	return s.writeUnannounced(ctx, "holding the poll of "+checkID, func(tx *sqlTx) error {
		_, err := tx.ExecContext(ctx, "UPDATE polls SET lease_until = ? WHERE check_id = ? AND holder = ?", until.UnixNano(), checkID, holder)
		return err
	})
}

// Stale returns the checks last fetched before before, oldest first,
// without those whose last answer was final (deleted or expired at
// Caisson: asking again gets the same answer) or whose data was purged.
// Checks never fetched are not stale: they have nothing to be stale.
func (s *Store) Stale(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT check_id FROM checks
		WHERE fetched_at IS NOT NULL AND fetched_at > 0 AND fetched_at < ? AND purged_at IS NULL
		AND outcome <> ? AND outcome <> ? ORDER BY fetched_at, id`,
		before.UnixNano(), string(caisson.CodeIDCheckDeleted), string(caisson.CodeIDCheckExpired))
	if err != nil {
		return nil, fmt.Errorf("reading the stale checks: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reading the stale checks: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the stale checks: %w", err)
	}
	return ids, nil
}
