package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson"
)

// PostgreSQL's text filter. It matches exactly what SQLite's does (see
// selectFor): customer ids and names anywhere in the lower-cased search
// column (strpos, SQLite's instr), and check ids by their start (a LIKE
// pattern with '%', '_' and '\' escaped, compared byte for byte under
// COLLATE "C" as SQLite's ranges compare).
//
// Which plan a page takes is chosen here, in Go, as SQLite's candidate
// counts choose, and written so that the planner has one sensible way to
// run it (a prepared statement's generic plan cannot flip it):
//   - few matches: the pg_trgm GIN index (0002_read_indexes.sql) finds
//     the candidates, which are fetched and sorted (selection.candidates);
//   - a frequent filter, or one too short for a trigram: the page walks
//     its queue's sort index, which carries search (0004_covering_indexes.sql),
//     so the walk reads only the index (selection.checksPageSQL).
// The filter in a walk is strpos, which no index answers: a LIKE there
// would let the planner weigh the GIN index against the walk from an
// estimate, the choice that flipped between runs of the same data.

// countAliasPG names countUpTo's derived table, which PostgreSQL requires.
const countAliasPG = " AS n"

// selectForPG is selectFor's selection on PostgreSQL: the same checks,
// without SQLite's index hints, FTS table or tracked's virtual columns.
// pred and args are q's queue condition; candidates is how many matches
// a page may start from rather than walk (candidateLimit).
func (s *Store) selectForPG(ctx context.Context, q PageQuery, pred string, args []any, candidates int) (*selection, error) {
	sel := &selection{from: "FROM checks AS c", pg: true}
	sel.add(pred, args...)
	if q.Customer != "" {
		if q.CustomerStart {
			sel.add(`c.customer_id COLLATE "C" LIKE ?`, likeLiteral(q.Customer)+"%")
		} else {
			sel.add("c.customer_id = ?", q.Customer)
		}
	}
	if q.Overdue {
		sel.add(overdueCond, s.now().UnixNano())
	}
	if q.Queue == QueueAll && q.Customer == "" && !q.Overdue {
		sel.bare = &selection{from: "FROM tracked AS t", pg: true}
		sel.bare.add("t.bare = 1")
	}
	start, all, byID := caisson.CheckIDStart(q.Filter, minIDFilter)
	if all {
		return sel, nil
	}
	f := strings.ToLower(q.Filter)
	var ids []any
	if byID {
		ids = idRangePG(start)
		if sel.bare != nil {
			sel.bare.add(idCondPG("t"), ids...)
		}
	} else {
		// A check that was only added has nothing to match but its id.
		sel.bare = nil
	}
	tail, few, err := s.fewMatchesPG(ctx, f, ids, candidates)
	if err != nil {
		return nil, fmt.Errorf("filtering by %q: %w", q.Filter, err)
	}
	switch {
	case few && byID:
		sel.candidates = true
		sel.add("((c.search LIKE ? AND strpos(c.search, ?) > 0) OR "+idCondPG("c")+")", append([]any{tail, f}, ids...)...)
	case few:
		sel.candidates = true
		sel.add("c.search LIKE ? AND strpos(c.search, ?) > 0", tail, f)
	case byID:
		// The ids as a list made once (a hashed subplan of one range of
		// the ids' unique index), so the walk compares each entry's id,
		// which the sort index holds, not its check_id, which it does not.
		sel.add("(strpos(c.search, ?) > 0 OR c.id IN (SELECT id FROM checks AS i WHERE "+idCondPG("i")+"))", append([]any{f}, ids...)...)
	default:
		sel.add("strpos(c.search, ?) > 0", f)
	}
	return sel, nil
}

// fewMatchesPG reports whether no more than limit checks hold the
// trigrams of f's tail, or have an id in the range ids (nil for none):
// then a page fetches those candidates rather than walking a sort index.
// tail is the LIKE pattern of f's tail, which the GIN index answers and
// strpos then narrows to f. A filter shorter than a trigram, or a limit
// of 0 (tests comparing the plans), walks.
//
// Counting candidates reads each one's row (pg_trgm's index only
// suggests them), up to limit+1: 2.4 ms for "son" at 100,000 checks, more
// than the walk it leads to. So a frequent filter is told first, from the
// newest checks in the index by time added, which carries search
// (denseProbePG): found in enough of them, the filter is dense enough that
// a walk fills a page soon, and nothing is counted. Sorted by name a
// filter's matches sit together in the index, so density says nothing
// about the walk there: a larger limit than ftsCap (candidateCap) counts.
func (s *Store) fewMatchesPG(ctx context.Context, f string, ids []any, limit int) (tail string, few bool, err error) {
	if limit == 0 || utf8.RuneCountInString(f) < 3 {
		return "", false, nil
	}
	tail = "%" + likeLiteral(trigramTail(f)) + "%"
	query, args := "SELECT 1 FROM checks AS c WHERE c.search LIKE ?", []any{tail}
	if ids != nil {
		query, args = "SELECT 1 FROM checks AS c WHERE c.search LIKE ? OR "+idCondPG("c"), append(args, ids...)
	}
	count := "SELECT count(*) FROM (" + query + " LIMIT ?) AS n"
	args = append(args, limit+1)
	if limit == ftsCap {
		// The count runs only when the probe finds the filter rare.
		count = "SELECT CASE WHEN (" + denseProbePG + ") THEN ? ELSE (" + count + ") END"
		args = append([]any{f, limit + 1}, args...)
	}
	var n int
	err = s.readRow(ctx, count, args...).Scan(&n)
	return tail, n <= limit, err
}

// denseProbePG is true when its argument, a filter, is in at least 10 of
// the 2,000 newest checks (0.5%, as ftsCap's 500 of 100,000): an
// index-only walk of at most 2,000 entries of checks_all_added, stopped at
// the 10th match. A page of 50 then walks about 10,000 entries of a queue
// where the filter is as dense. Ten, not fewer: one customer's few recent
// checks would pass for a frequent filter and walk a large queue holding
// none of them.
const denseProbePG = `SELECT count(*) >= 10 FROM (SELECT 1 FROM (SELECT c.search FROM checks AS c ORDER BY c.added_at DESC, c.id DESC LIMIT 2000) AS s
	WHERE strpos(s.search, ?) > 0 LIMIT 10) AS d`

// trigramTail is the part of f whose trigrams the GIN index is asked
// for: its last five characters when they are ASCII letters and digits,
// else f whole. pg_trgm reads the posting list of every trigram of a
// pattern, and the first ones of what people type are the most common
// ("cust-004217": "cus" and "ust" are in every row, and read them cost
// 1.25 ms at 100,000 checks); the last ones tell rows apart, as SQLite's
// query of the last three trigrams assumes (rareTrigrams). Only letters
// and digits: pg_trgm splits words at anything else, and a tail with no
// trigram in it would read the whole index.
func trigramTail(f string) string {
	r := []rune(f)
	if len(r) <= 5 {
		return f
	}
	tail := r[len(r)-5:]
	for _, c := range tail {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return f
		}
	}
	return string(tail)
}

// idCondPG is the condition on the check ids of table alias t that start
// as the filter says: the arguments are idRangePG's. The range is what an
// index answers even in a prepared statement's generic plan, which plans
// a LIKE of a parameter as a scan of every id; the LIKE keeps the match
// exactly the filter's.
func idCondPG(t string) string {
	return t + `.check_id COLLATE "C" >= ? AND ` + t + `.check_id COLLATE "C" < ? AND ` + t + `.check_id COLLATE "C" LIKE ?`
}

// idRangePG is idCondPG's arguments for the ids starting with start:
// from start up to start followed by the highest character (ids are
// ASCII), and the LIKE pattern.
func idRangePG(start string) []any {
	return []any{start, start + "\U0010FFFF", likeLiteral(start) + "%"}
}

// likeLiteral escapes s for a LIKE pattern with PostgreSQL's default
// escape character, the backslash: '%', '_' and '\' match themselves.
func likeLiteral(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
