package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
)

// countTerms are the expressions of queue_counts, aliased q, that give
// each queue's count (0007_queue_counts.sql): kept by triggers in the
// transaction of every change, so reading them costs the same at a
// million checks as at a hundred.
var countTerms = map[Queue]string{
	QueueNeedsReview:  "q.risky + q.expired + " + expiredSince,
	QueuePending:      "q.pending",
	QueueSecondReview: "q.second_review",
	QueueEscalated:    "q.escalated",
	QueueApproved:     "q.approved",
	QueueRejected:     "q.rejected",
	QueueErrors:       "q.errors",
	QueueAll:          "q.tracked",
	CountOverdue:      overdueTerm,
}

// expiredSince corrects q.expired, the passed checks whose document
// expired before q.expired_before, to those expired before today (its one
// argument, given three times): plus the documents expiring from
// expired_before to today, or minus those from today to expired_before
// when the clock was set back. Either is a range of checks_open_count as
// long as the days between, which the first write of each day brings to
// nothing (bringCountsToTx).
const expiredSince = `CASE
	WHEN q.expired_before < ? THEN (SELECT count(*) FROM checks AS c INDEXED BY checks_open_count WHERE ` + openCond + `
		AND c.document = 3 AND c.face = 3 AND c.expires_on >= q.expired_before AND c.expires_on < ?)
	WHEN q.expired_before > ? THEN -(SELECT count(*) FROM checks AS c INDEXED BY checks_open_count WHERE ` + openCond + `
		AND c.document = 3 AND c.face = 3 AND c.expires_on >= ? AND c.expires_on < q.expired_before)
	ELSE 0 END`

// countQuery is the term of queue q's count over queue_counts aliased q,
// with its arguments.
func (s *Store) countQuery(q Queue) (string, []any, error) {
	if q == "" {
		q = QueueNeedsReview
	}
	term, ok := countTerms[q]
	if pgTerm, isPG := countTermsPG[q]; isPG && s.pg() {
		term = pgTerm
	}
	if !ok {
		_, err := ParseQueue(string(q))
		if err == nil {
			err = fmt.Errorf("queue %s has no count", q)
		}
		return "", nil, err
	}
	if q == QueueNeedsReview {
		today := s.today()
		return term, []any{today, today, today, today}, nil
	}
	if q == CountOverdue {
		return term, overdueArgs(s.now()), nil
	}
	return term, nil, nil
}

// bringCountsToTx moves the date the kept count of expired documents is
// for to day, adding (or, for a day before it, taking away) the documents
// that expire between, so that Counts' correction stays a day's range.
func bringCountsToTx(ctx context.Context, tx *sqlTx, day string) error {
	since := expiredSince
	if tx.pg {
		since = expiredSincePG
	}
	_, err := tx.ExecContext(ctx, "UPDATE queue_counts AS q SET expired = q.expired + "+since+
		", expired_before = ? WHERE q.expired_before <> ?", day, day, day, day, day, day)
	if err != nil {
		return fmt.Errorf("bringing the queue counts to %s: %w", day, err)
	}
	return nil
}

// Counts returns the number of checks in every queue in one query, and
// under CountOverdue the number of checks past the SLA.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	queues := append(slices.Clone(Queues), QueueSecondReview, CountOverdue)
	terms := make([]string, len(queues))
	var args []any
	for i, q := range queues {
		term, qargs, err := s.countQuery(q)
		if err != nil {
			return nil, err
		}
		terms[i] = term
		args = append(args, qargs...)
	}
	n := make([]int, len(queues))
	ptrs := make([]any, len(queues))
	for i := range n {
		ptrs[i] = &n[i]
	}
	// Prepared once: compiling the query cost more than running it, which
	// reads one row (and, until the day's first write, a day's range).
	st, err := s.prepared(ctx, "SELECT "+strings.Join(terms, ", ")+" FROM queue_counts AS q")
	if err != nil {
		return nil, fmt.Errorf("counting the queues: %w", err)
	}
	if err := st.QueryRowContext(ctx, args...).Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("counting the queues: %w", err)
	}
	counts := Counts{}
	for i, q := range queues {
		counts[q] = n[i]
	}
	return counts, nil
}

// Count returns how many checks match q, ignoring Sort, Offset and Limit.
// A whole queue is read from queue_counts; a filter's matches are counted
// in its surname's run of the name index when that holds every one
// (countInRun), else from its candidates in the trigram index while they
// are few enough to fetch (fetchWorthy), else by a walk of the queue
// (CountUpTo stops early).
//
// Every error of Count and CountUpTo says which queue it was counting,
// once: the console shows it as it is.
func (s *Store) Count(ctx context.Context, q PageQuery) (int, error) {
	n, err := s.count(ctx, q)
	if err != nil {
		return 0, countingErr(q, err)
	}
	return n, nil
}

// countingErr is err said as the count of q's queue that failed.
func countingErr(q PageQuery, err error) error {
	return fmt.Errorf("counting the %s queue: %w", cmp.Or(q.Queue, QueueNeedsReview), err)
}

func (s *Store) count(ctx context.Context, q PageQuery) (int, error) {
	if q.Filter == "" && q.Customer == "" && (!q.Overdue || q.Queue == QueueAll) {
		if q.Overdue {
			q.Queue = CountOverdue
		}
		term, args, err := s.countQuery(q.Queue)
		if err != nil {
			return 0, err
		}
		var n int
		err = s.db.QueryRowContext(ctx, "SELECT "+term+" FROM queue_counts AS q", args...).Scan(&n)
		return n, err
	}
	n, _, err := s.countUpToLimit(ctx, q, math.MaxInt-1)
	return n, err
}

// CountUpTo counts the checks matching q as Count does, but stops at
// limit: n is exact when more is false, and limit with more true when
// more checks match. A list can then show "more than 1,000" at the cost
// of finding 1,001 checks, not of reading the whole queue.
func (s *Store) CountUpTo(ctx context.Context, q PageQuery, limit int) (n int, more bool, err error) {
	n, more, err = s.countUpToLimit(ctx, q, limit)
	if err != nil {
		return 0, false, countingErr(q, err)
	}
	return n, more, nil
}

func (s *Store) countUpToLimit(ctx context.Context, q PageQuery, limit int) (n int, more bool, err error) {
	if limit < 0 {
		return 0, false, fmt.Errorf("counting up to %d: expected zero or more", limit)
	}
	if q.Filter == "" && q.Customer == "" && !q.Overdue {
		n, err := s.count(ctx, q)
		return min(n, limit), n > limit, err
	}
	// A filter's candidates are counted where fetching them costs less
	// than walking the queue: "smith" at a million checks (15,500 of
	// them) counted in 215 ms by walking.
	candidates := max(countCandidateLimit(limit), s.fetchWorthy(ctx, q))
	n, ok, counted, err := s.countInRun(ctx, q, limit, candidates)
	if err != nil {
		return 0, false, err
	}
	if ok {
		return min(n, limit), n > limit, nil
	}
	sel, err := s.selectFor(ctx, q, SortRisk, counted.forLimit(candidates))
	if err != nil {
		return 0, false, err
	}
	query, args := "SELECT 1 "+sel.sql(), slices.Clone(sel.args)
	for _, side := range []*selection{sel.lead, sel.bare} {
		if side != nil {
			query += " UNION ALL SELECT 1 " + side.sql()
			args = append(args, side.args...)
		}
	}
	n, err = s.countUpTo(ctx, s, query, limit+1, args...)
	if err != nil {
		return 0, false, err
	}
	return min(n, limit), n > limit, nil
}
