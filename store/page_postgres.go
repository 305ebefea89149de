package store

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
// sides (bareFirstPage, nextBareFirstPG), so NULL's place in an ORDER BY
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
