package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// settingSLA is the reason code of the SLA's policy entries.
const settingSLA = "sla"

// MaxSLA is the longest SLA taken: a year, past which it says nothing.
const MaxSLA = 365 * 24 * time.Hour

// ParseSLA reads an SLA: a whole number of hours ("24h", "36h") or days
// ("2d"), or "off" for none (0).
func ParseSLA(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "off" || s == "none" {
		return 0, nil
	}
	bad := fmt.Errorf("SLA %q: expected hours or days such as 24h or 2d, up to 365d, or off", s)
	unit := time.Hour
	switch {
	case strings.HasSuffix(s, "h"):
		s = strings.TrimSuffix(s, "h")
	case strings.HasSuffix(s, "d"):
		s, unit = strings.TrimSuffix(s, "d"), 24*time.Hour
	default:
		return 0, bad
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || time.Duration(n) > MaxSLA/unit {
		return 0, bad
	}
	return time.Duration(n) * unit, nil
}

// FormatSLA writes an SLA as ParseSLA reads it, in hours: "24h", or "off".
func FormatSLA(d time.Duration) string {
	if d <= 0 {
		return "off"
	}
	return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
}

// slaTx reads the current SLA: the newest sla policy entry of the log
// (zero Seq and no SLA when there is none).
func slaTx(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (time.Duration, Decision, error) {
	row := q.QueryRowContext(ctx, "SELECT "+decisionColumns+" FROM decisions WHERE action = 'policy' AND reason = ? ORDER BY seq DESC LIMIT 1", settingSLA)
	d, err := scanDecision(row)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Decision{}, nil
	}
	if err != nil {
		return 0, Decision{}, err
	}
	sla, err := ParseSLA(d.NewValue)
	if err != nil {
		return 0, Decision{}, fmt.Errorf("policy entry %d: %w", d.Seq, err)
	}
	return sla, d, nil
}

// SLAChange is a change of the SLA: to what, who, why.
type SLAChange struct {
	SLA      time.Duration // 0 for none
	Note     string
	Reviewer string
	Identity Identity
}

// SetSLA changes the SLA and logs the change in the hash-chained log as
// SetFourEyes does (who, when, old, new, why), and recounts the overdue
// checks against it in the same transaction. Setting the SLA it already
// has is refused. Only the command line calls this.
func (s *Store) SetSLA(ctx context.Context, c SLAChange) (Decision, error) {
	if c.SLA < 0 || c.SLA > MaxSLA || c.SLA%time.Hour != 0 {
		return Decision{}, fmt.Errorf("SLA %s: expected whole hours, up to 365d, or off", c.SLA)
	}
	return s.changeSetting(ctx, "SLA", c.Note, c.Reviewer, c.Identity,
		func(tx *sqlTx) (Decision, error) {
			old, _, err := slaTx(ctx, tx)
			if err != nil {
				return Decision{}, err
			}
			if old == c.SLA {
				return Decision{}, fmt.Errorf("the SLA is already %s: nothing was changed", FormatSLA(c.SLA))
			}
			return Decision{Reason: settingSLA, OldValue: FormatSLA(old), NewValue: FormatSLA(c.SLA)}, nil
		},
		func(tx *sqlTx, _ writer, now time.Time) error {
			return recountOverdueTx(ctx, tx, c.SLA, now)
		})
}

// recountOverdueTx keeps sla as the counts' copy of the SLA and counts the
// checks overdue against it at now: one range of checks_waiting, once per
// change of the SLA.
func recountOverdueTx(ctx context.Context, tx *sqlTx, sla time.Duration, now time.Time) error {
	var cutoff int64
	if sla > 0 {
		cutoff = now.UnixNano() - int64(sla)
	}
	query := `UPDATE queue_counts SET sla = ?, overdue_before = ?,
		overdue = (SELECT count(*) FROM checks AS c INDEXED BY checks_waiting WHERE ` + waitingCond + ` AND c.reviewable_at < ?)`
	if tx.pg {
		query = recountOverduePG
	}
	_, err := tx.ExecContext(ctx, query, int64(sla), cutoff, cutoff)
	if err != nil {
		return fmt.Errorf("counting the overdue checks: %w", err)
	}
	return nil
}

// waitingCond is the WHERE of checks_waiting: checks waiting for a
// reviewer's decision, over checks aliased c.
const waitingCond = "c.status = 'open' AND c.reviewable_at <> 0"

// overdueTerm is the number of overdue checks over queue_counts aliased q:
// the kept count plus (or, for a time before overdue_before, minus) the
// waiting checks whose wait started between overdue_before and the
// cutoff, now less the SLA. Its one argument, now in Unix nanoseconds, is
// given four times. A wait of exactly the SLA is not overdue: only past it.
const overdueTerm = `CASE WHEN q.sla = 0 THEN 0 ELSE q.overdue + CASE
	WHEN q.overdue_before < ? - q.sla THEN (SELECT count(*) FROM checks AS c INDEXED BY checks_waiting WHERE ` + waitingCond + `
		AND c.reviewable_at >= q.overdue_before AND c.reviewable_at < ? - q.sla)
	WHEN q.overdue_before > ? - q.sla THEN -(SELECT count(*) FROM checks AS c INDEXED BY checks_waiting WHERE ` + waitingCond + `
		AND c.reviewable_at >= ? - q.sla AND c.reviewable_at < q.overdue_before)
	ELSE 0 END END`

// overdueArgs are overdueTerm's arguments at now.
func overdueArgs(now time.Time) []any {
	n := now.UnixNano()
	return []any{n, n, n, n}
}

// bringOverdueTx moves the kept count of overdue checks to now, so that
// Counts' correction covers only the checks that became overdue since the
// last write.
func bringOverdueTx(ctx context.Context, tx *sqlTx, now time.Time) error {
	term := overdueTerm
	if tx.pg {
		term = overdueTermPG
	}
	_, err := tx.ExecContext(ctx, "UPDATE queue_counts AS q SET overdue = "+term+", overdue_before = ? - q.sla WHERE q.sla > 0",
		append(overdueArgs(now), now.UnixNano())...)
	if err != nil {
		return fmt.Errorf("bringing the overdue count to now: %w", err)
	}
	return nil
}

// Overdue reports whether a check has waited past sla at now: it is
// waiting for a decision and became reviewable more than sla ago. No SLA
// (0) makes nothing overdue.
func (r Row) Overdue(now time.Time, sla time.Duration) bool {
	return sla > 0 && r.AwaitsDecision() && now.Sub(r.ReviewableAt) > sla
}

// AwaitsDecision reports whether the check waits for a reviewer's
// decision (not to be confused with Waiting: waiting at Caisson).
func (r Row) AwaitsDecision() bool { return r.Status == StatusOpen && !r.ReviewableAt.IsZero() }

// Waited is how long the check waited, or has waited so far at now, from
// becoming reviewable to its final decision; ok is false for a check that
// never was reviewable (since its last reopen).
func (r Row) Waited(now time.Time) (time.Duration, bool) {
	if r.ReviewableAt.IsZero() {
		return 0, false
	}
	end := now
	if r.Status != StatusOpen && !r.DecidedAt.IsZero() {
		end = r.DecidedAt
	}
	return max(end.Sub(r.ReviewableAt), 0), true
}
