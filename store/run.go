package store

import (
	"context"
	"slices"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson"
)

// A filter that is a common surname ("smith": 15,667 checks of the
// generated million) has its matches together in the name index, where
// the last names start with it: the filter's run. When the run holds
// every match, a page sorted by name is a seek there and a page's walk,
// and a count is the run's, where the plans after fetch every candidate
// by rowid (40 ms at a million checks). Whether it holds is counted, not
// assumed: the filter's candidates in the trigram index, a superset of
// its matches, must number exactly the run's matches, and no check's id
// may start as the filter. One first name, customer id or surname that
// holds the filter further in ("Goldsmith") and the plans after are
// taken, as before.

// runCheckSQL counts, in one statement: the filter's candidates in the
// trigram index (?1, its query), up to ?2; the checks of the filter's
// run (?3, its text as matched, to ?4, that text followed by the highest
// byte) that match it, up to ?2; and whether a tracked check's id is in
// ?5 to ?6, the ids the filter starts ("" to "" when it can start none).
// The name index compares with NOCASE, which folds ASCII letters only, and
// so must the range: a last name it does not fold to the filter's start
// is outside the run, which then does not hold (counted, not assumed).
const runCheckSQL = `SELECT
	(SELECT count(*) FROM (SELECT rowid FROM checks_search WHERE checks_search MATCH ?1 LIMIT ?2)),
	(SELECT count(*) FROM (SELECT 1 FROM checks AS c INDEXED BY checks_all_name
		WHERE c.last_name COLLATE NOCASE >= ?3 AND c.last_name COLLATE NOCASE < ?4 AND instr(c.search, ?3) > 0 LIMIT ?2)),
	EXISTS (SELECT 1 FROM tracked WHERE check_id >= ?5 AND check_id < ?6)`

// inRun is the run in a selection's WHERE: the checks whose last name
// starts with its first argument, up to its second.
const inRun = "c.last_name COLLATE NOCASE >= ? AND c.last_name COLLATE NOCASE < ?"

// runPlan is q's queue walked by name over its filter's run, and the
// run check's arguments but its limit.
type runPlan struct {
	sel   *selection
	check []any
}

// runOf returns q's run plan, or nil when q has none to try: on
// PostgreSQL, for one customer's checks, for a filter of fewer than three
// characters (no trigrams to count), or one starting checks' ids (found
// by id, not in the run), and when ftsCap is 0 (tests comparing the plans
// with the plain walk).
func (s *Store) runOf(ctx context.Context, q PageQuery) (*runPlan, error) {
	if s.pg() || q.Customer != "" || ftsCap == 0 || utf8.RuneCountInString(q.Filter) < 3 {
		// Decided before selectFor, which counts the ids a filter starts:
		// for a short one the plans after would count them again for
		// nothing. A longer one's are counted twice when the run does not
		// hold (a seek in check_id's index, some µs).
		return nil, nil
	}
	sel, err := s.selectFor(ctx, q, SortName, countedFrequent)
	if err != nil || sel.filter == nil || sel.filter.match == "" || sel.filter.ids {
		return nil, err
	}
	f := sel.filter
	var idLo, idHi string
	if _, _, byID := caisson.CheckIDStart(q.Filter, minIDFilter); byID {
		idLo, idHi = f.lo, f.hi
	}
	// A bare check matches only by its id: the check finds none.
	sel.bare = nil
	sel.add(inRun, f.text, f.text+"\xff")
	return &runPlan{sel: sel, check: []any{f.match, f.text, f.text + "\xff", idLo, idHi}}, nil
}

// holds runs the run check on r, the snapshot the plan's rows are then
// read in: whether the run holds every match of the filter, found among
// no more than limit candidates; the run's matches, in every queue; and
// the candidates counted, for the plans after when it does not hold.
func (p *runPlan) holds(ctx context.Context, r reader, limit int) (ok bool, matches int, counted candidateCount, err error) {
	var candidates int
	var byID bool
	args := append([]any{p.check[0], limit + 1}, p.check[1:]...)
	if err := r.readRow(ctx, runCheckSQL, args...).Scan(&candidates, &matches, &byID); err != nil {
		return false, 0, counted, err
	}
	counted = candidateCount{n: candidates, limit: limit, made: true}
	return candidates == matches && candidates <= limit && !byID, matches, counted, nil
}

// pageInRun reads q's page, sorted by name, from its filter's run when
// the run holds every match (runOf, runPlan.holds); ok is false when it
// does not, and counted then says what the check counted.
func (s *Store) pageInRun(ctx context.Context, q PageQuery) (rows []Row, ok bool, counted candidateCount, err error) {
	p, err := s.runOf(ctx, q)
	if p == nil || err != nil {
		return nil, false, counted, err
	}
	worth := s.fetchWorthy(ctx, q)
	query := p.sel.checksPageSQL(sortKeys[SortName])
	snap, err := s.snapshot(ctx, runCheckSQL, query)
	if err != nil {
		return nil, false, counted, filtering(q, err)
	}
	defer snap.close()
	ok, _, counted, err = p.holds(ctx, snap, worth)
	if !ok || err != nil {
		return nil, false, counted, filtering(q, err)
	}
	rows, err = s.queryRows(ctx, snap, "", query, 0, append(slices.Clone(p.sel.args), q.Limit, q.Offset)...)
	return rows, err == nil, counted, filtering(q, err)
}

// countInRun counts q's matches in its filter's run when the run holds
// every match among no more than candidates of them: in the all queue
// all of them, the run's; in another, up to limit+1. ok is false when it
// does not hold, and counted then says what the check counted.
func (s *Store) countInRun(ctx context.Context, q PageQuery, limit, candidates int) (n int, ok bool, counted candidateCount, err error) {
	p, err := s.runOf(ctx, q)
	if p == nil || err != nil {
		return 0, false, counted, err
	}
	// In the all queue the run's matches are the count.
	whole := q.Queue == QueueAll && !q.Overdue
	count := "SELECT 1 " + p.sel.sql()
	queries := []string{runCheckSQL}
	if !whole {
		queries = append(queries, s.countSQL(count))
	}
	snap, err := s.snapshot(ctx, queries...)
	if err != nil {
		return 0, false, counted, filtering(q, err)
	}
	defer snap.close()
	ok, n, counted, err = p.holds(ctx, snap, candidates)
	if !ok || err != nil || whole {
		return n, ok, counted, filtering(q, err)
	}
	n, err = s.countUpTo(ctx, snap, count, limit+1, p.sel.args...)
	return n, err == nil, counted, filtering(q, err)
}

// candidateCount is a count of a filter's candidates in the trigram
// index made before its plan is chosen (by the run check), so that the
// plan does not count them again: n, exact up to limit, more than limit
// when n is past it. The zero value is no count made.
type candidateCount struct {
	n, limit int
	made     bool
}

// forLimit is selectFor's candidates argument for a plan that may start
// from up to limit candidates: fetchCounted or countedFrequent when the
// count says which, else limit itself (counted there).
func (c candidateCount) forLimit(limit int) int {
	switch {
	case !c.made || limit < 0:
		return limit
	case c.n <= c.limit && c.n <= limit:
		return fetchCounted
	case c.n > limit && (c.n <= c.limit || c.limit >= limit):
		return countedFrequent
	}
	return limit
}

// atMost reports whether the count says that at most limit candidates
// match, and whether it can say.
func (c candidateCount) atMost(limit int) (yes, known bool) {
	if !c.made || (c.n > c.limit && c.limit < limit) {
		return false, false
	}
	return c.n <= limit, true
}
