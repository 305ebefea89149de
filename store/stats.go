package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// Stats is what a compliance lead reads of the team's work: every figure
// of the stats view and of caisson-review stats, read in one snapshot.
// Days and weeks are UTC calendar days, weeks starting on Monday.
type Stats struct {
	Now time.Time
	// Since starts the period that Waits, ReasonCodes, DecisionReasons
	// and Outcomes cover (StatsQuery.Since).
	Since  time.Time
	Counts Counts
	SLA    time.Duration
	// Backlog is how many checks waited for a decision at the end of each
	// of the last BacklogDays days, oldest first (today: now).
	Backlog []DayCount
	// Decisions are the log's decisions per reviewer (display name), day
	// and action over the last DecisionDays days, by day, reviewer, action.
	Decisions []ReviewerDay
	// Waits are the times from reviewable to the final decision of the
	// checks decided in each week of the period, whole weeks from the one
	// Since falls in, oldest first; a week without decisions is left out.
	Waits []WeekWaits
	// ReasonCodes are Caisson's reason codes of the checks that became
	// reviewable in the period, the most frequent first (at most
	// TopReasonCodes).
	ReasonCodes []CodeCount
	// DecisionReasons are the structured reasons of the rejections and
	// escalations that took effect in the period, the most frequent first.
	DecisionReasons []ReasonCount
	// Outcomes are the checks decided in the period by their confidences
	// (document × face) and decision, riskiest first.
	Outcomes []ConfidenceOutcome
}

// The windows of the stats that the issue fixes.
const (
	BacklogDays    = 30
	DecisionDays   = 14
	TopReasonCodes = 10
	// DefaultStatsPeriod is the period when StatsQuery.Since is zero.
	DefaultStatsPeriod = 30 * 24 * time.Hour
)

// DayCount is a count on one day, YYYY-MM-DD.
type DayCount struct {
	Day string
	N   int
}

// ReviewerDay is how many entries of one action one reviewer made on a day.
type ReviewerDay struct {
	Day      string
	Reviewer string
	Action   Action
	N        int
}

// WeekWaits are the waits of the checks decided in one week: how many,
// their median and their 90th percentile (nearest rank: the smallest wait
// that at least half, or 90%, of them did not exceed).
type WeekWaits struct {
	Week    string // its Monday, YYYY-MM-DD
	Decided int
	Median  time.Duration
	P90     time.Duration
}

// CodeCount is how many checks carried one of Caisson's reason codes.
type CodeCount struct {
	Code int
	N    int
}

// ReasonCount is how many decisions of an action gave one reason.
type ReasonCount struct {
	Action Action
	Reason Reason
	N      int
}

// ConfidenceOutcome is how the checks with one pair of confidences were
// decided.
type ConfidenceOutcome struct {
	Document, Face                caisson.Level
	Approved, Rejected, Escalated int
}

// StatsQuery selects the period of the stats.
type StatsQuery struct {
	// Since starts the period; zero means DefaultStatsPeriod before now.
	Since time.Time
}

// ErrSinceAfterNow refuses a stats period that starts after now: the
// caller's input, which a front end may tell from the store failing.
var ErrSinceAfterNow = errors.New("expected a time before now")

// Stats reads every figure of the stats view in one read transaction, so
// they agree with each other. Each is an aggregate over an index range
// (0008_waiting_sla.sql): none reads the checks' rows whole.
func (s *Store) Stats(ctx context.Context, q StatsQuery) (*Stats, error) {
	now := s.now().UTC()
	st := &Stats{Now: now, Since: q.Since.UTC()}
	if q.Since.IsZero() {
		st.Since = startOfDay(now.Add(-DefaultStatsPeriod))
	}
	if st.Since.After(now) {
		return nil, fmt.Errorf("stats since %s: %w (%s)", st.Since.Format(time.DateOnly), ErrSinceAfterNow, now.Format(time.DateOnly))
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		return nil, err
	}
	st.Counts = counts
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the stats: %w", err)
	}
	defer conn.Close()
	// A deferred transaction by hand: the pool's BEGIN takes the write
	// lock (_txlock=immediate), which a read needs not.
	begin := "BEGIN DEFERRED"
	if s.pg() {
		begin = beginStatsPG
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return nil, fmt.Errorf("reading the stats: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "COMMIT")
	for _, read := range []struct {
		what string
		fn   func(context.Context, *sqlConn, *Stats) error
	}{
		{"the SLA", readStatsSLA},
		{"the backlog", readBacklog},
		{"the decisions per reviewer", readReviewerDays},
		{"the waits per week", readWeekWaits},
		{"the reason codes", readReasonCodes},
		{"the decisions' reasons", readDecisionReasons},
		{"the outcomes by confidence", readOutcomes},
	} {
		if err := read.fn(ctx, conn, st); err != nil {
			return nil, fmt.Errorf("reading %s: %w", read.what, err)
		}
	}
	return st, nil
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func readStatsSLA(ctx context.Context, conn *sqlConn, st *Stats) error {
	var sla int64
	err := conn.QueryRowContext(ctx, "SELECT sla FROM queue_counts").Scan(&sla)
	st.SLA = time.Duration(sla)
	return err
}

// readBacklog counts the checks waiting at the end of each day: those
// waiting now, less those that became reviewable since, plus those
// decided since. Each day's arrivals and decisions are a range count of
// an index, so nothing is sorted and each entry is read once.
func readBacklog(ctx context.Context, conn *sqlConn, st *Stats) error {
	first := startOfDay(st.Now).AddDate(0, 0, -(BacklogDays - 1))
	waitingNow, days := "SELECT count(*) FROM checks AS c INDEXED BY checks_waiting WHERE "+waitingCond+" AND c.reviewable_at <= ?",
		// Row i counts what happened on day i: from its start s to the
		// next day's (to now, for today).
		`WITH RECURSIVE d(i, s) AS (SELECT 0, ?1 UNION ALL SELECT i + 1, s + ?2 FROM d WHERE i < ?3 - 1)
		SELECT i,
			(SELECT count(*) FROM checks INDEXED BY checks_reviewable WHERE reviewable_at <> 0 AND reviewable_at >= d.s AND reviewable_at < min(d.s + ?2, ?4 + 1)),
			(SELECT count(*) FROM checks INDEXED BY checks_decided_at WHERE decided_at <> 0 AND decided_at >= d.s AND decided_at < min(d.s + ?2, ?4 + 1) AND reviewable_at <> 0)
		FROM d ORDER BY i`
	if conn.pg {
		waitingNow, days = waitingNowPG, backlogDaysPG
	}
	var waiting int
	if err := conn.QueryRowContext(ctx, waitingNow, st.Now.UnixNano()).Scan(&waiting); err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, days, first.UnixNano(), int64(24*time.Hour), BacklogDays, st.Now.UnixNano())
	if err != nil {
		return err
	}
	defer rows.Close()
	net := make([]int, BacklogDays) // arrivals less decisions, per day
	for rows.Next() {
		var i, arrived, decided int
		if err := rows.Scan(&i, &arrived, &decided); err != nil {
			return err
		}
		net[i] = arrived - decided
	}
	if err := rows.Err(); err != nil {
		return err
	}
	st.Backlog = make([]DayCount, BacklogDays)
	n := waiting // at the end of the last day: now
	for i := BacklogDays - 1; i >= 0; i-- {
		st.Backlog[i] = DayCount{Day: first.AddDate(0, 0, i).Format(time.DateOnly), N: n}
		n -= net[i]
	}
	return nil
}

// statsActions are the log entries counted as a reviewer's decisions: the
// store's own (void, policy) are not.
const statsActions = "('approve', 'reject', 'escalate', 'reopen', 'propose', 'confirm', 'return')"

func readReviewerDays(ctx context.Context, conn *sqlConn, st *Stats) error {
	from := startOfDay(st.Now).AddDate(0, 0, -(DecisionDays - 1)).Format(time.DateOnly)
	query := `SELECT day, reviewer, action, sum(n) FROM decision_days
		WHERE day >= ? AND action IN ` + statsActions + ` GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`
	if conn.pg {
		query = reviewerDaysPG
	}
	rows, err := conn.QueryContext(ctx, query, from)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r ReviewerDay
		if err := rows.Scan(&r.Day, &r.Reviewer, &r.Action, &r.N); err != nil {
			return err
		}
		st.Decisions = append(st.Decisions, r)
	}
	return rows.Err()
}

// readWeekWaits takes the nearest-rank median and 90th percentile of the
// waits of each week from Since's to now's: ranks ceil(n/2) and
// ceil(9n/10), each an offset into the week's range of checks_waits,
// which holds the waits in order, so nothing is sorted.
func readWeekWaits(ctx context.Context, conn *sqlConn, st *Stats) error {
	inWeeks := `FROM checks INDEXED BY checks_waits WHERE decided_at <> 0 AND reviewable_at <> 0 AND decided_week `
	weeksQuery := `SELECT decided_week, date((decided_week * 7 - 3) * 86400, 'unixepoch'), count(*) ` +
		inWeeks + `BETWEEN ? AND ? GROUP BY decided_week ORDER BY decided_week`
	if conn.pg {
		inWeeks, weeksQuery = inWeeksPG, weeksPG
	}
	rows, err := conn.QueryContext(ctx, weeksQuery, weekOf(st.Since), weekOf(st.Now))
	if err != nil {
		return err
	}
	var weeks []int64
	for rows.Next() {
		var w WeekWaits
		var week int64
		if err := rows.Scan(&week, &w.Week, &w.Decided); err != nil {
			rows.Close()
			return err
		}
		weeks, st.Waits = append(weeks, week), append(st.Waits, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rank := inWeeks + `= ? ORDER BY waited LIMIT 1 OFFSET ?`
	for i, week := range weeks {
		w := &st.Waits[i]
		var median, p90 int64
		if err := conn.QueryRowContext(ctx, "SELECT waited "+rank, week, (w.Decided+1)/2-1).Scan(&median); err != nil {
			return err
		}
		if err := conn.QueryRowContext(ctx, "SELECT waited "+rank, week, (9*w.Decided+9)/10-1).Scan(&p90); err != nil {
			return err
		}
		w.Median, w.P90 = time.Duration(median), time.Duration(p90)
	}
	return nil
}

// weekOf is the Monday-based week number of t, as decided_week computes
// it (0008_waiting_sla.sql).
func weekOf(t time.Time) int64 { return (t.UnixNano()/int64(24*time.Hour) + 3) / 7 }

func readReasonCodes(ctx context.Context, conn *sqlConn, st *Stats) error {
	// The few distinct lists of codes are counted first and split after:
	// splitting every check's list cost a third of the whole view.
	query := `SELECT CAST(j.value AS INTEGER), sum(g.n)
		FROM (SELECT c.reasons, count(*) AS n FROM checks AS c INDEXED BY checks_reviewable
			WHERE c.reviewable_at <> 0 AND c.reviewable_at >= ? AND c.reviewable_at <= ? AND c.reasons <> '' GROUP BY c.reasons) AS g,
			json_each('[' || g.reasons || ']') AS j
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?`
	if conn.pg {
		query = reasonCodesPG
	}
	rows, err := conn.QueryContext(ctx, query, st.Since.UnixNano(), st.Now.UnixNano(), TopReasonCodes)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c CodeCount
		if err := rows.Scan(&c.Code, &c.N); err != nil {
			return err
		}
		st.ReasonCodes = append(st.ReasonCodes, c)
	}
	return rows.Err()
}

// readDecisionReasons counts the reasons of rejections and escalations
// that took effect: a confirmed proposal counts as what it proposed, the
// proposal itself not (it may be returned).
func readDecisionReasons(ctx context.Context, conn *sqlConn, st *Stats) error {
	query := `SELECT CASE WHEN action = 'confirm' THEN proposes ELSE action END, reason, sum(n)
		FROM decision_days
		WHERE day >= ? AND day <= ? AND (action IN ('reject', 'escalate') OR (action = 'confirm' AND proposes IN ('reject', 'escalate')))
		GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`
	if conn.pg {
		query = decisionReasonsPG
	}
	rows, err := conn.QueryContext(ctx, query, st.Since.Format(time.DateOnly), st.Now.Format(time.DateOnly))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r ReasonCount
		if err := rows.Scan(&r.Action, &r.Reason, &r.N); err != nil {
			return err
		}
		if r.Reason == "" {
			r.Reason = ReasonOther // entries made before reasons were recorded
		}
		st.DecisionReasons = append(st.DecisionReasons, r)
	}
	return rows.Err()
}

// readOutcomes counts each pair of confidences' decisions: three range
// counts of checks_outcomes per pair, rather than a sort of the period's
// decided checks.
func readOutcomes(ctx context.Context, conn *sqlConn, st *Stats) error {
	count := func(status Status) string {
		return `(SELECT count(*) FROM checks INDEXED BY checks_outcomes WHERE decided_at <> 0 AND document = l.doc AND face = l.face
			AND status = '` + string(status) + `' AND decided_at >= ?1 AND decided_at <= ?2)`
	}
	query := `WITH v(x) AS (VALUES (0), (1), (2), (3)), l AS (SELECT a.x AS doc, b.x AS face FROM v AS a, v AS b)
		SELECT * FROM (SELECT doc, face, ` + count(StatusApproved) + ` AS a, ` + count(StatusRejected) + ` AS r, ` + count(StatusEscalated) + ` AS e FROM l)
		WHERE a + r + e > 0 ORDER BY min(doc, face), doc, face`
	if conn.pg {
		query = outcomesPG
	}
	rows, err := conn.QueryContext(ctx, query, st.Since.UnixNano(), st.Now.UnixNano())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o ConfidenceOutcome
		var doc, face int
		if err := rows.Scan(&doc, &face, &o.Approved, &o.Rejected, &o.Escalated); err != nil {
			return err
		}
		o.Document, o.Face = caisson.Level(doc), caisson.Level(face)
		st.Outcomes = append(st.Outcomes, o)
	}
	return rows.Err()
}
