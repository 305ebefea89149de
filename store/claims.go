package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// ClaimExpiry is how long a claim outlives its session's last heartbeat.
// A front end heartbeats its sessions' claims well within it (serve every
// 10 s), so a claim lapses only when the process holding it died or lost
// the database: then within ClaimExpiry, without anyone releasing it.
const ClaimExpiry = 30 * time.Second

// Claim is one console session's claim on the check it has open: "being
// reviewed by" in every other console, on every host sharing the store.
// Claims are not decisions: they are in neither the hash chain nor the
// access log, and they hold nothing a reviewer decided.
type Claim struct {
	CheckID  string
	Session  string // the front end's id of the console session
	Reviewer string // the name other reviewers see
	Since    time.Time
}

// ClaimChange is what one console session has open now: CheckID, or
// nothing when it is "" (the claim is released).
type ClaimChange struct {
	Session  string
	CheckID  string
	Reviewer string
}

// Claim says session now has checkID open, as reviewer: a session holds
// at most one claim, so an earlier claim of the session on another check
// is moved (and the claim counts from now); a claim on the same check is
// only heartbeated. Times are the store's clock (WithClock).
func (s *Store) Claim(ctx context.Context, session, checkID, reviewer string) error {
	if checkID == "" {
		return fmt.Errorf("claiming: empty check id: expected the check the session has open (ReleaseClaim releases)")
	}
	return s.UpdateClaims(ctx, ClaimChange{Session: session, CheckID: checkID, Reviewer: reviewer})
}

// ReleaseClaim says session has no check open (any more): back at the
// list, or gone.
func (s *Store) ReleaseClaim(ctx context.Context, session string) error {
	return s.UpdateClaims(ctx, ClaimChange{Session: session})
}

// UpdateClaims makes each change (a Claim, or a ReleaseClaim when its
// CheckID is ""), in order, in one write: a server writes what all its
// sessions opened and left since its last write together.
func (s *Store) UpdateClaims(ctx context.Context, changes ...ClaimChange) error {
	what := "updating claims"
	if len(changes) == 1 && changes[0].CheckID != "" {
		what = "claiming " + changes[0].CheckID
	}
	for _, c := range changes {
		if c.Session == "" {
			return fmt.Errorf("%s: empty session: expected the console session's id", what)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	now := s.now()
	return s.claimWrite(ctx, what, func(tx *sqlTx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM claims WHERE heartbeat < ?", now.Add(-ClaimExpiry).UnixNano()); err != nil {
			return err
		}
		for _, c := range changes {
			if err := updateClaimTx(ctx, tx, c, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func updateClaimTx(ctx context.Context, tx *sqlTx, c ClaimChange, now time.Time) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM claims WHERE session = ? AND check_id <> ?", c.Session, c.CheckID); err != nil || c.CheckID == "" {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO claims (session, check_id, reviewer, claimed_at, heartbeat) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (session) DO UPDATE SET heartbeat = excluded.heartbeat, reviewer = excluded.reviewer`,
		c.Session, c.CheckID, c.Reviewer, now.UnixNano(), now.UnixNano())
	return err
}

// Heartbeat says the sessions are still alive, keeping their claims from
// expiring, in one write. lost are those of the sessions that hold no
// claim (any more): a claim that lapsed while its process was stopped for
// longer than ClaimExpiry is gone for good, and the front end claims the
// check again. A heartbeat changes nothing another console shows, so it
// sends no change notice.
func (s *Store) Heartbeat(ctx context.Context, sessions ...string) (lost []string, err error) {
	if len(sessions) == 0 {
		return nil, nil
	}
	held := make(map[string]bool, len(sessions))
	err = s.claimWriteQuiet(ctx, fmt.Sprintf("heartbeating %d console sessions", len(sessions)), func(tx *sqlTx) error {
		clear(held)
		now := s.now()
		args := make([]any, 0, len(sessions)+2)
		args = append(args, now.UnixNano(), now.Add(-ClaimExpiry).UnixNano())
		for _, id := range sessions {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, "UPDATE claims SET heartbeat = ? WHERE heartbeat >= ? AND session IN (?"+
			strings.Repeat(", ?", len(sessions)-1)+") RETURNING session", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			held[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	for _, id := range sessions {
		if !held[id] {
			lost = append(lost, id)
		}
	}
	return lost, nil
}

// Claims are the live claims (their session heartbeated within
// ClaimExpiry on the store's clock), by check, each check's in the order
// they were made.
func (s *Store) Claims(ctx context.Context) ([]Claim, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT check_id, session, reviewer, claimed_at FROM claims
		WHERE heartbeat >= ? ORDER BY check_id, seq`, s.now().Add(-ClaimExpiry).UnixNano())
	if err != nil {
		return nil, fmt.Errorf("reading the claims: %w", s.explainRead(err))
	}
	defer rows.Close()
	var out []Claim
	for rows.Next() {
		var c Claim
		var since int64
		if err := rows.Scan(&c.CheckID, &c.Session, &c.Reviewer, &since); err != nil {
			return nil, fmt.Errorf("reading the claims: %w", err)
		}
		c.Since = time.Unix(0, since).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the claims: %w", s.explainRead(err))
	}
	return out, nil
}

// explainRead words a failed read as the backend's errors are worded.
func (s *Store) explainRead(err error) error {
	if s.pg() {
		return s.explainPostgresError(err)
	}
	return err
}

// claimWrite runs fn in a write transaction of its own that tells every
// listener (Changes) on commit that claims changed (ClaimsChanged), and
// nothing else: a claim changes no queue, count or page. It is Store.write without what claims do
// not need: no write lock on PostgreSQL (a claim is one session's row,
// not the chain; each statement is atomic on its own), and no bringing the
// queue counts to today and to now, which a claim, made every time a
// reviewer opens a check, would otherwise pay for. Decisions still go
// through write and pay for all of it.
func (s *Store) claimWrite(ctx context.Context, what string, fn func(*sqlTx) error) error {
	return s.retryClaimWrite(ctx, what, func() error { return s.claimWriteOnce(ctx, fn, true) })
}

// claimWriteQuiet is claimWrite without the change notice.
func (s *Store) claimWriteQuiet(ctx context.Context, what string, fn func(*sqlTx) error) error {
	return s.retryClaimWrite(ctx, what, func() error { return s.claimWriteOnce(ctx, fn, false) })
}

func (s *Store) retryClaimWrite(ctx context.Context, what string, once func() error) error {
	if s.frozen {
		return fmt.Errorf("%s: %w", what, errFrozen)
	}
	var err error
	for try := 0; try <= maxBusyRetries; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s: %w", what, ctx.Err())
			case <-time.After(time.Duration(20+rand.IntN(80)) * time.Millisecond):
			}
		}
		if err = once(); !isBusy(err) && !pgRetryable(err) {
			break
		}
	}
	switch {
	case err == nil:
		return nil
	case s.pg():
		return fmt.Errorf("%s: %w", what, s.explainPostgresWriteError(err))
	}
	return fmt.Errorf("%s: %w", what, explainWriteError(s.path, err))
}

func (s *Store) claimWriteOnce(ctx context.Context, fn func(*sqlTx) error, notify bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if notify && s.pg() {
		if err := s.notifyChangesTx(ctx, tx, claimsNotice); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return &commitFailed{err}
	}
	return nil
}
