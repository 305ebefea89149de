package store

import "slices"

// PostgreSQL's sort keys. They sort exactly as SQLite's do, whatever the
// database's collation: text byte for byte (COLLATE "C", SQLite's
// BINARY), names case-folded in ASCII only (lower() under "C" folds A-Z
// and nothing else, as SQLite's NOCASE does). The expressions are those
// of the sort indexes of 0002_read_indexes.sql, so that a page walks one.
var sortKeysPG = map[Sort][]sortKey{
	SortRisk:     {{expr: "c.risk"}, {expr: "c.checked_on"}, {expr: "c.id"}},
	SortAdded:    {{expr: "c.added_at", desc: true}, {expr: "c.id", desc: true}},
	SortName:     {{expr: `lower(c.last_name COLLATE "C")`, text: true}, {expr: `lower(c.first_name COLLATE "C")`, text: true}, {expr: "c.id"}},
	SortCustomer: {{expr: `c.customer_id COLLATE "C"`, text: true}, {expr: "c.id"}},
	SortWaiting:  {{expr: "c.wait_key"}, {expr: "c.id"}},
}

// bareKeysPG are bareKeys without tracked's virtual columns, which
// PostgreSQL does not have: literals. A text key cannot hold SQLite's -1,
// below every text; it is NULL, which after() reads as "before every
// check" as it does SQLite's -1. Pages in those sorts never merge the two
// sides (partsPage, nextBareFirstPG), so NULL's place in an ORDER BY
// does not matter.
var bareKeysPG = map[Sort][]sortKey{
	SortRisk:     {{expr: "-1::bigint"}, {expr: "-1::bigint"}, {expr: "t.id"}},
	SortAdded:    {{expr: "t.added_at", desc: true}, {expr: "t.id", desc: true}},
	SortName:     {{expr: "NULL::text"}, {expr: "NULL::text"}, {expr: "t.id"}},
	SortCustomer: {{expr: "NULL::text"}, {expr: "t.id"}},
	SortWaiting:  {{expr: "9223372036854775807::bigint"}, {expr: "t.id"}},
}

// bareColumnsPG are bareColumns typed as rowColumns' columns are: a
// boolean for purged_at IS NOT NULL (PostgreSQL does not merge 0 with a
// boolean), and the types of the columns elsewhere, so that the planner
// flattens the UNION ALL of a merged page and merges the two sides' index
// walks (Merge Append) rather than sorting every check.
const bareColumnsPG = `t.check_id, ''::text, ''::text, ''::text, 0::bigint, 0::bigint, ''::text, ''::text, 0::bigint, t.added_at,
	'open'::text, ''::text, ''::text, NULL::bigint, FALSE, 0::bigint, 0::bigint, 0::bigint`

// byCustomerPG is ByCustomer's query with check ids in byte order.
const byCustomerPG = "SELECT " + rowColumns + ` FROM checks AS c WHERE c.customer_id = ? ORDER BY c.checked_on, c.check_id COLLATE "C"`

// checksPagePG is checksPageSQL on PostgreSQL; its last two arguments
// are the limit and the offset. Few candidates (selection.candidates) are
// fetched and sorted: OFFSET 0 keeps their subquery apart, so that the
// planner finds them in the trigram index and never walks a sort index
// for them. Otherwise the page's ids are chosen first, in a walk of the
// queue's sort index that reads nothing else: the index holds the sort
// keys, search and the rest of the queue's condition
// (0004_covering_indexes.sql), so the entries skipped by the offset or
// the filter cost no read of the table, as in SQLite's indexes. Then only
// the page's rows are read, by id, and sorted.
func (sel *selection) checksPagePG(keys []sortKey) string {
	if sel.candidates {
		return "SELECT " + rowColumns + " FROM (SELECT * " + sel.sql() + " OFFSET 0) AS c" + orderBy(keys) + " LIMIT ? OFFSET ?"
	}
	return "SELECT " + rowColumns + " " + sel.walkPG(keys, " LIMIT ? OFFSET ?") + orderBy(keys)
}

// walkPG is the FROM and WHERE of the rows whose ids a walk of the sort
// index chooses, as far as limit says (its arguments follow the
// selection's). The ids are an array made once (an InitPlan), so that
// the rows are read by id whatever the planner guesses of a LIMIT it
// cannot see: a prepared statement's generic plan takes a parameter's
// LIMIT for a tenth of the queue, and joined to the walk it then read
// the whole table to hash it (120 ms at 100,000 checks).
func (sel *selection) walkPG(keys []sortKey, limit string) string {
	return "FROM checks AS c WHERE c.id = ANY (ARRAY(SELECT c.id " + sel.sql() + orderBy(keys) + limit + "))"
}

// mergedPagePG is pageSQL on PostgreSQL for a selection with a bare side
// (the all queue sorted by time added or by waiting): each side's first
// offset+limit rows in the keys' order, merged. The checks side takes
// its ids from the walk of its sort index, as checksPagePG does, or its
// few candidates.
func (sel *selection) mergedPagePG(q PageQuery, keys []sortKey) (string, []any) {
	rows := &selection{pg: true, bare: sel.bare}
	if sel.candidates {
		rows.from = "FROM (SELECT * " + sel.sql() + " OFFSET 0) AS c"
		rows.args = slices.Clone(sel.args)
	} else {
		rows.from = sel.walkPG(keys, " LIMIT ?")
		rows.args = append(slices.Clone(sel.args), q.Offset+q.Limit)
	}
	query, args := rows.merged(rowColumns, bareColumnsPG, keys, bareKeysPG[q.Sort])
	return query + " LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset)
}
