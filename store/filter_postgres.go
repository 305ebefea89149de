package store

import (
	"strings"

	"github.com/caisson-review/caisson-review/caisson"
)

// PostgreSQL's text filter. It matches exactly what SQLite's does (see
// selectFor): customer ids and names anywhere in the lower-cased search
// column, and check ids by their start. Both are LIKE patterns with '%'
// and '_' escaped, so every character of the filter is literal, and
// compared byte for byte (COLLATE "C") as SQLite's instr and ranges
// compare, whatever the database's own collation. A filter of any length
// matches the same: pg_trgm's GIN index (0002_read_indexes.sql) answers a
// filter of three characters or more, and the planner walks the queue's
// sort index for a shorter or frequent one, as SQLite's candidate counts
// decide by hand.

// countAliasPG names countUpTo's derived table, which PostgreSQL requires.
const countAliasPG = " AS n"

// selectForPG is selectFor's selection on PostgreSQL: the same checks,
// without SQLite's index hints, FTS table or tracked's virtual columns.
// pred and args are q's queue condition.
func (s *Store) selectForPG(q PageQuery, pred string, args []any) *selection {
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
		return sel
	}
	search := "%" + likeLiteral(strings.ToLower(q.Filter)) + "%"
	if !byID {
		// A check that was only added has nothing to match but its id.
		sel.bare = nil
		sel.add("c.search LIKE ?", search)
		return sel
	}
	ids := likeLiteral(start) + "%"
	if sel.bare != nil {
		sel.bare.add(`t.check_id COLLATE "C" LIKE ?`, ids)
	}
	sel.add(`(c.search LIKE ? OR c.check_id COLLATE "C" LIKE ?)`, search, ids)
	return sel
}

// likeLiteral escapes s for a LIKE pattern with PostgreSQL's default
// escape character, the backslash: '%', '_' and '\' match themselves.
func likeLiteral(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
