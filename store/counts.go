package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
)

// countQuery is a scalar subquery counting queue q, with its arguments.
// Each is a count over its queue's own partial index, never a scan of the
// table; needs review is split in three index ranges: a risky document, a
// risky face, and passed checks whose document expired. It must agree with
// queuePredicate; TestQueuesHoldTheRightChecks holds it to that.
func (s *Store) countQuery(q Queue) (string, []any, error) {
	switch q {
	case QueueAll:
		return "(SELECT count(*) FROM tracked)", nil, nil
	case QueueNeedsReview, "":
		open := "(SELECT count(*) FROM checks AS c INDEXED BY checks_open_count WHERE " + openCond + " AND "
		return "(" + open + "c.document < 3) + " + open + "c.document = 3 AND c.face < 3) + " +
			open + "c.document = 3 AND c.face = 3 AND c.expires_on > '' AND c.expires_on < ?))", []any{s.today()}, nil
	}
	pred, args, err := s.queuePredicate(q)
	if err != nil {
		return "", nil, err
	}
	return "(SELECT count(*) FROM checks AS c INDEXED BY " + walkIndex(q, SortRisk) + " WHERE " + pred + ")", args, nil
}

// Counts returns the number of checks in every queue in one query.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	queues := append(slices.Clone(Queues), QueueSecondReview)
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
	if err := s.db.QueryRowContext(ctx, "SELECT "+strings.Join(terms, ", "), args...).Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("counting the queues: %w", err)
	}
	counts := Counts{}
	for i, q := range queues {
		counts[q] = n[i]
	}
	return counts, nil
}

// Count returns how many checks match q, ignoring Sort, Offset and Limit.
// A whole queue is counted over its index; a filter that matches many
// checks costs a walk of the queue (CountUpTo stops early).
func (s *Store) Count(ctx context.Context, q PageQuery) (int, error) {
	if q.Filter == "" && q.Customer == "" {
		term, args, err := s.countQuery(q.Queue)
		if err != nil {
			return 0, err
		}
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT "+term, args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("counting the %s queue: %w", q.Queue, err)
		}
		return n, nil
	}
	n, _, err := s.CountUpTo(ctx, q, math.MaxInt-1)
	return n, err
}

// CountUpTo counts the checks matching q as Count does, but stops at
// limit: n is exact when more is false, and limit with more true when
// more checks match. A list can then show "more than 1,000" at the cost
// of finding 1,001 checks, not of reading the whole queue.
func (s *Store) CountUpTo(ctx context.Context, q PageQuery, limit int) (n int, more bool, err error) {
	if limit < 0 {
		return 0, false, fmt.Errorf("counting up to %d: expected zero or more", limit)
	}
	if q.Filter == "" && q.Customer == "" {
		n, err := s.Count(ctx, q)
		return min(n, limit), n > limit, err
	}
	sel, err := s.selectFor(ctx, q, SortRisk, countCandidateLimit(limit))
	if err != nil {
		return 0, false, err
	}
	query, args := "SELECT 1 "+sel.sql(), sel.args
	if sel.bare != nil {
		query += " UNION ALL SELECT 1 " + sel.bare.sql()
		args = append(slices.Clone(args), sel.bare.args...)
	}
	n, err = s.countUpTo(ctx, query, limit+1, args...)
	if err != nil {
		return 0, false, fmt.Errorf("counting the %s queue: %w", q.Queue, err)
	}
	return min(n, limit), n > limit, nil
}
