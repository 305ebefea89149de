package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Next returns the check that follows afterID in q's queue and sort, for
// moving on after a decision: afterID need not be in the queue any more.
// An empty afterID gives the first. ok is false at the end of the queue.
func (s *Store) Next(ctx context.Context, q PageQuery, afterID string) (string, bool, error) {
	if _, ok := sortKeys[q.Sort]; !ok {
		return "", false, fmt.Errorf("sort %d: expected SortRisk, SortAdded, SortName, SortCustomer or SortWaiting", q.Sort)
	}
	q.Filter, q.Offset = strings.TrimSpace(q.Filter), 0
	sel, err := s.selectFor(ctx, q, q.Sort, candidateLimit(q, q.Sort))
	if err != nil {
		return "", false, err
	}
	keys, bare := sel.keys(q.Sort), sel.bareKeys(q.Sort)
	// Where afterID sorts and what follows it, read in one snapshot: the
	// parts below are separate statements, and a check a refresh moves
	// between them would be skipped.
	snap, err := s.snapshot(ctx)
	if err != nil {
		return "", false, fmt.Errorf("finding the next check: %w", err)
	}
	defer snap.close()
	if sel.pg && sel.bareFirst(q.Sort) {
		return s.nextBareFirstPG(ctx, snap, sel, keys, bare, afterID)
	}
	if afterID != "" {
		vals, err := s.sortValues(ctx, snap, keys, bare, afterID)
		if err != nil {
			return "", false, err
		}
		cond, args := after(keys, vals, sel.pg)
		sel.add(cond, args...)
		if sel.bare != nil {
			cond, args := after(bare, vals, sel.pg)
			sel.bare.add(cond, args...)
		}
		if sel.lead != nil {
			sel.lead.add(cond, args...)
		}
	}
	if sel.lead != nil {
		// The bare checks, the lead and the rest, each before the next:
		// the first that has a check after afterID has the next one.
		type part struct {
			query string
			args  []any
		}
		var parts []part
		if sel.bare != nil {
			parts = append(parts, part{"SELECT t.check_id " + sel.bare.sql() + orderBy(bare), sel.bare.args})
		}
		parts = append(parts, part{"SELECT c.check_id " + sel.lead.sql() + orderBy(keys), sel.lead.args},
			part{"SELECT c.check_id " + sel.sql() + orderBy(keys), sel.args})
		for _, p := range parts {
			var id string
			if found, ok, err := s.firstID(ctx, snap, p.query, p.args, &id); ok || err != nil {
				return found, ok, err
			}
		}
		return "", false, nil
	}
	query, args := "SELECT c.check_id "+sel.sql()+orderBy(keys), sel.args
	if sel.bare != nil {
		query, args = sel.merged("c.check_id", "t.check_id", keys, bare)
	}
	var id string
	dest := make([]any, 1, 1+len(keys))
	dest[0] = &id
	if sel.bare != nil {
		for range keys {
			dest = append(dest, new(any))
		}
	}
	return s.firstID(ctx, snap, query, args, dest...)
}

// rowQuerier is where Next's reads run: the store's pool or a snapshot.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// firstID reads the check id of query's first row, through q, into dest[0].
func (s *Store) firstID(ctx context.Context, q rowQuerier, query string, args []any, dest ...any) (string, bool, error) {
	err := q.QueryRowContext(ctx, query+" LIMIT 1", args...).Scan(dest...)
	if err != nil {
		if isNoRows(err) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("finding the next check: %w", err)
	}
	return *dest[0].(*string), true, nil
}

// sortValues are the values of the sort keys of the check afterID: from
// its row in checks (keys), or from tracked when it was only added (bare).
func (s *Store) sortValues(ctx context.Context, q rowQuerier, keys, bare []sortKey, afterID string) ([]any, error) {
	exprs := func(ks []sortKey) string {
		e := make([]string, len(ks))
		for i, k := range ks {
			e[i] = k.expr
		}
		return strings.Join(e, ", ")
	}
	vals := make([]any, len(keys))
	ptrs := make([]any, len(keys))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := q.QueryRowContext(ctx, "SELECT "+exprs(keys)+" FROM checks AS c WHERE c.check_id = ?"+
		" UNION ALL SELECT "+exprs(bare)+" FROM tracked AS t WHERE t.check_id = ? AND t.bare = 1", afterID, afterID).Scan(ptrs...)
	if err != nil {
		if isNoRows(err) {
			return nil, fmt.Errorf("next after %s: %w", afterID, ErrNotFound)
		}
		return nil, fmt.Errorf("finding the next check: %w", err)
	}
	return vals, nil
}

// after is the condition "sorts after vals" in keys' order:
// (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …, with < for descending keys.
// pg asks for PostgreSQL's text.
func after(keys []sortKey, vals []any, pg bool) (string, []any) {
	never, always := "0", "1"
	if pg {
		never, always = falsePG, truePG
	}
	// A bare check's -1 against a text column: text sorts after every
	// number, so it is known here, not left to SQLite, which would
	// compare the text with '-1'.
	marker := func(i int) bool {
		_, num := vals[i].(int64)
		return keys[i].text && (num || vals[i] == nil)
	}
	var ors []string
	var args []any
	for i, k := range keys {
		var ands []string
		for j := 0; j < i; j++ {
			if marker(j) {
				ands = append(ands, never)
				continue
			}
			ands = append(ands, keys[j].expr+" = ?")
			args = append(args, vals[j])
		}
		switch op := " > ?"; {
		case marker(i):
			ands = append(ands, always)
		default:
			if k.desc {
				op = " < ?"
			}
			ands = append(ands, k.expr+op)
			args = append(args, vals[i])
		}
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}
