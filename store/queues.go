package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson"
)

// queuePredicate is the SQL condition for a queue over checks aliased c,
// with the arguments it needs. The decision queues (needs review,
// pending, escalated, approved, rejected) never share a check; errors and
// all are views across them. The definitions:
//   - needs review: a result is cached, the check has no decision that
//     takes it out of triage (status open), Caisson's last answer does
//     not say it has no result for now (that is pending), and either
//     confidence is below high or the document expired before today. A
//     later failed refresh does not hide a risky check: it stays here
//     (and shows in errors).
//   - pending, "waiting at Caisson": open, and Caisson's last answer was
//     PENDING_REVIEW (its own reviewers have it) or NOT_VERIFIED (the
//     person has not finished): normal outcomes, not failures, that a
//     later refresh turns into a result.
//   - escalated, approved, rejected: the status its latest decision set.
//     A reviewer's decision wins over Caisson's answer: once decided, a
//     check is in its decision's queue only, whatever a later refresh
//     says (reopening puts it back).
//   - errors: the last fetch failed: any outcome but never-fetched, ok,
//     PENDING_REVIEW and NOT_VERIFIED, so IDCHECK_EXPIRED,
//     IDCHECK_DELETED, INVALID_INPUT, INTERNAL_ERROR and transport
//     errors, whatever the status: a reviewer triages why Caisson cannot
//     give a result.
//   - all: every tracked check.
func (s *Store) queuePredicate(q Queue) (string, []any, error) {
	// Each condition starts with the WHERE of its queue's partial indexes
	// (0005_waiting_queue.sql), term for term: SQLite uses a partial index
	// only for a query that repeats its condition.
	switch q {
	case QueueNeedsReview, "":
		// Not risk < 3: SQLite reads a generated column from the table,
		// and this condition is checked on every index entry walked.
		return openCond + " AND (c.document < 3 OR c.face < 3 OR (c.expires_on <> '' AND c.expires_on < ?))",
			[]any{s.today()}, nil
	case QueuePending:
		return "c.status = 'open' AND (c.outcome = 'PENDING_REVIEW' OR c.outcome = 'NOT_VERIFIED')", nil, nil
	case QueueEscalated, QueueApproved, QueueRejected:
		return "c.status <> 'open' AND c.status = ?", []any{string(queueStatus[q])}, nil
	case QueueErrors:
		return "c.outcome <> '' AND c.outcome <> 'ok' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED'", nil, nil
	case QueueAll:
		return "1", nil, nil
	}
	_, err := ParseQueue(string(q))
	return "", nil, err
}

// openCond is the WHERE of needs review's indexes: open checks with a
// cached result that Caisson does not say is not ready.
const openCond = "c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED'"

// Waiting reports whether a check is in the pending queue, waiting at
// Caisson, and why in a few words ("" when it is not): the console and
// the CLI show the reason beside the check.
func Waiting(r Row) (why string, ok bool) {
	if r.Status != StatusOpen {
		return "", false
	}
	switch caisson.ErrorCode(r.Outcome) {
	case caisson.CodePendingReview:
		return "Caisson's reviewers have it (PENDING_REVIEW)", true
	case caisson.CodeNotVerified:
		return "the person has not finished the check (NOT_VERIFIED)", true
	}
	return "", false
}

var queueStatus = map[Queue]Status{QueueEscalated: StatusEscalated, QueueApproved: StatusApproved, QueueRejected: StatusRejected}

// today is the calendar day on the store's clock, as expires_on is stored.
func (s *Store) today() string { return s.now().Format("2006-01-02") }

// walkIndex names the index that pages of queue q sorted by walk:
// checks_<queue>_<sort>, from 0003_queue_indexes.sql. Escalated, approved
// and rejected share one set, ranged by status.
func walkIndex(q Queue, by Sort) string {
	return "checks_" + indexQueue[q] + "_" + indexSort[by]
}

var indexQueue = map[Queue]string{"": "open", QueueNeedsReview: "open", QueuePending: "pending",
	QueueEscalated: "decided", QueueApproved: "decided", QueueRejected: "decided", QueueErrors: "errors", QueueAll: "all"}

var indexSort = map[Sort]string{SortRisk: "risk", SortAdded: "added", SortName: "name", SortCustomer: "customer"}

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
	terms := make([]string, len(Queues))
	var args []any
	for i, q := range Queues {
		term, qargs, err := s.countQuery(q)
		if err != nil {
			return nil, err
		}
		terms[i] = term
		args = append(args, qargs...)
	}
	n := make([]int, len(Queues))
	ptrs := make([]any, len(Queues))
	for i := range n {
		ptrs[i] = &n[i]
	}
	if err := s.db.QueryRowContext(ctx, "SELECT "+strings.Join(terms, ", "), args...).Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("counting the queues: %w", err)
	}
	counts := Counts{}
	for i, q := range Queues {
		counts[q] = n[i]
	}
	return counts, nil
}

// sortKeys are the ORDER BY terms of each sort. The last term, c.id, is
// the order checks were added: it makes the order total, so paging is
// stable, and it is what the indexes end with (see 0001_init.sql).
var sortKeys = map[Sort][]sortKey{
	SortRisk:     {{expr: "c.risk"}, {expr: "c.checked_on"}, {expr: "c.id"}},
	SortAdded:    {{expr: "c.added_at", desc: true}, {expr: "c.id", desc: true}},
	SortName:     {{expr: "c.last_name COLLATE NOCASE", text: true}, {expr: "c.first_name COLLATE NOCASE", text: true}, {expr: "c.id"}},
	SortCustomer: {{expr: "c.customer_id", text: true}, {expr: "c.id"}},
}

type sortKey struct {
	expr string
	desc bool
	// text marks a column of text affinity, which a comparison with a
	// bare check's -1 would turn into the text '-1' (after).
	text bool
}

// bareKeys are the same sort keys for a check that has no row in checks
// (only added), read from tracked aliased t. Sorted by time added it
// takes its place among the others; in every other sort it comes first
// (t.minus is -1, below any confidence, time, name or customer id), in the
// order added, so that a page of those sorts is the bare checks then the
// checks rows, each read with a plain index walk (bareFirstPage).
var bareKeys = map[Sort][]sortKey{
	SortRisk:     {{expr: "t.minus"}, {expr: "t.minus"}, {expr: "t.id"}},
	SortAdded:    {{expr: "t.added_at", desc: true}, {expr: "t.id", desc: true}},
	SortName:     {{expr: "t.minus_ci"}, {expr: "t.minus_ci"}, {expr: "t.id"}},
	SortCustomer: {{expr: "t.minus"}, {expr: "t.id"}},
}

// bareIndex is the index of tracked that gives the bare checks in a
// sort's order.
func bareIndex(by Sort) string {
	if by == SortAdded {
		return "tracked_bare_added"
	}
	return "tracked_bare"
}

func orderBy(keys []sortKey) string {
	terms := make([]string, len(keys))
	for i, k := range keys {
		terms[i] = k.expr
		if k.desc {
			terms[i] += " DESC"
		}
	}
	return " ORDER BY " + strings.Join(terms, ", ")
}

// ftsCap is how many checks a filter may match in the trigram index, or
// by the start of their check id, for the page query to start from those
// checks; a filter matching more is frequent enough that walking the
// sort index finds a page sooner.
var ftsCap = 500

// candidateCap is ftsCap for a page sorted by: sorted by name, it is
// larger. There a filter's matches sit together (one surname, a run of
// the name index) anywhere in the alphabet, so the walk may read most of
// the index before the first (an "okafor" filter took 25 ms at 100,000
// checks).
func candidateCap(by Sort) int {
	if by == SortName {
		return manyCandidates()
	}
	return ftsCap
}

// manyCandidates is the most matches worth fetching and sorting where a
// walk would read much of the sort index: 3,000 fetched cost about what
// walking half of a 100,000-check index does.
func manyCandidates() int { return 6 * ftsCap }

// candidateLimit is how many matches the page q may start from. A page at
// or past the end of the matches (the bottom of a filtered list) would
// walk the whole sort index to find them: when the filter matches no more
// checks than the page reaches, they are fetched. An ftsCap of 0 (tests
// comparing the two plans) always walks.
func candidateLimit(q PageQuery, by Sort) int {
	if ftsCap == 0 {
		return 0
	}
	return max(candidateCap(by), q.Offset+q.Limit)
}

// countCandidateLimit is candidateLimit for counting up to limit. A count
// walks until limit+1 matches or the end of the queue: counting all of a
// filter's matches reads the whole sort index (30 ms at 100,000 checks).
func countCandidateLimit(limit int) int {
	if ftsCap == 0 {
		return 0
	}
	return max(ftsCap, min(limit+1, manyCandidates()))
}

// selection is the FROM and WHERE of a page query.
type selection struct {
	from  string
	where []string
	args  []any
	// bare, for the all queue, selects the checks that have no row in
	// checks yet, from tracked aliased t; its rows are merged with these.
	bare *selection
}

func (sel *selection) add(cond string, args ...any) {
	sel.where = append(sel.where, cond)
	sel.args = append(sel.args, args...)
}

func (sel *selection) sql() string {
	return sel.from + " WHERE " + strings.Join(sel.where, " AND ")
}

// selectFor builds the selection of q in the order by. Unfiltered, it
// walks the index of q's queue in that order (see walkIndex), named so
// that SQLite cannot pick a scan; one customer's checks are found by
// their customer id and sorted.
//
// The text filter matches customer ids and names anywhere,
// case-insensitively (instr over the lower-cased search column), and a
// check id by its beginning: the whole id, or its start with or without
// chk_priv_ (two characters at least, matchesIDs), exactly, since ids are
// case-sensitive base64 that people paste or read off the list's short
// id. When the filter is rare, in the trigram index and among the ids (no
// more than candidates checks: candidateLimit), those checks are fetched
// by rowid and sorted, so nothing is walked. A frequent filter walks the
// sort index instead, which carries the search column: a page fills
// quickly.
func (s *Store) selectFor(ctx context.Context, q PageQuery, by Sort, candidates int) (*selection, error) {
	pred, args, err := s.queuePredicate(q.Queue)
	if err != nil {
		return nil, err
	}
	if _, ok := indexSort[by]; !ok {
		return nil, fmt.Errorf("sort %d: expected SortRisk, SortAdded, SortName or SortCustomer", by)
	}
	sel := &selection{from: "FROM checks AS c INDEXED BY " + walkIndex(q.Queue, by)}
	sel.add(pred, args...)
	if q.Customer != "" {
		sel.from = "FROM checks AS c INDEXED BY checks_all_customer"
		if q.CustomerStart {
			// A range of the index, as the id filter reads ids; customer
			// ids are text from the integrator, compared byte for byte.
			sel.add("c.customer_id >= ? AND c.customer_id < ?", q.Customer, q.Customer+"\xff")
		} else {
			sel.add("c.customer_id = ?", q.Customer)
		}
	}
	// Only the all queue holds checks that were only added, and they have
	// no customer.
	if q.Queue == QueueAll && q.Customer == "" {
		sel.bare = &selection{from: "FROM tracked AS t INDEXED BY " + bareIndex(by)}
		// minus and minus_ci are -1: saying so lets SQLite see that the
		// bare ids' index is in the order of their sort keys (in both
		// collations the sorts use).
		sel.bare.add("t.bare = 1 AND t.minus = -1 AND t.minus_ci = -1")
	}
	// The one rule for ids (caisson.CheckIDStart): chk_priv_ optional and
	// in any case, the rest exactly as typed.
	start, all, byID := caisson.CheckIDStart(q.Filter, minIDFilter)
	if all {
		// Every tracked id starts with chk_priv_ (Add refuses others), so
		// a filter that is its start, or only spaces, matches every check.
		return sel, nil
	}
	f := strings.ToLower(q.Filter)
	// Every id starting so sorts from start up to start followed by the
	// highest byte; ids are ASCII, so "\xff" ends the range.
	lo, hi := start, start+"\xff"
	switch {
	case sel.bare != nil && !byID:
		// A check that was only added has nothing to match but its id.
		sel.bare = nil
	case sel.bare != nil:
		// The few bare checks whose id starts so are found by id and
		// sorted, rather than every bare check walked (100,000 after a
		// large import).
		sel.bare.from = "FROM tracked AS t INDEXED BY sqlite_autoindex_tracked_1"
		sel.bare.add("t.check_id >= ? AND t.check_id < ?", lo, hi)
	}
	ids := 0
	if byID {
		ids, err = s.countUpTo(ctx, "SELECT 1 FROM checks WHERE check_id >= ? AND check_id < ?", ftsCap+1, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("filtering by %q: %w", q.Filter, err)
		}
	}
	// The id range as a subquery on rowid, so that the condition is
	// checked on the walked index without reading the row. Even the
	// largest range, one character after chk_priv_ (a 64th of the checks),
	// is cheaper to list once than to compare on every row walked whose
	// names do not match: that made a one-letter filter 8 ms at 100,000
	// checks.
	var idCond string
	var idArgs []any
	if ids > 0 {
		idCond, idArgs = " OR c.id IN (SELECT id FROM checks WHERE check_id >= ? AND check_id < ?)", []any{lo, hi}
	}
	sel.add("(instr(c.search, ?) > 0"+idCond+")", append([]any{f}, idArgs...)...)
	if utf8.RuneCountInString(f) < 3 || ids > ftsCap {
		return sel, nil
	}
	match, frequent, err := s.rareTrigrams(ctx, f, candidates)
	if err != nil {
		return nil, fmt.Errorf("filtering by %q: %w", q.Filter, err)
	}
	if frequent {
		return sel, nil
	}
	// NOT INDEXED keeps the planner from walking a sort index instead:
	// the few candidates are fetched by rowid and sorted.
	sel.from = "FROM checks AS c NOT INDEXED"
	if ids > 0 {
		sel.add(`(c.id IN (SELECT rowid FROM checks_search WHERE checks_search MATCH ?)
		OR c.id IN (SELECT id FROM checks WHERE check_id >= ? AND check_id < ?))`, match, lo, hi)
	} else {
		sel.add("c.id IN (SELECT rowid FROM checks_search WHERE checks_search MATCH ?)", match)
	}
	return sel, nil
}

// countUpTo counts the rows query returns, stopping at limit.
func (s *Store) countUpTo(ctx context.Context, query string, limit int, args ...any) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM ("+query+" LIMIT ?)", append(args, limit)...).Scan(&n)
	return n, err
}

// minIDFilter is the fewest characters a filter without chk_priv_ needs
// to match check ids by their start. One character is the start of one id
// in 64, a random handful that says nothing, mixed into the names the
// letter matches; matching them also made a one-letter filter read 1,500
// ids at 100,000 checks.
const minIDFilter = 2

const rowColumns = `c.check_id, c.customer_id, c.first_name, c.last_name, c.document, c.face, c.reasons,
	c.expires_on, c.checked_on, c.added_at, c.status, c.outcome, c.fetch_error, c.fetched_at, c.purged_at IS NOT NULL`

// Page returns one page of a queue, sorted and filtered. Limit 0 means 50.
func (s *Store) Page(ctx context.Context, q PageQuery) ([]Row, error) {
	_, ok := sortKeys[q.Sort]
	if !ok {
		return nil, fmt.Errorf("sort %d: expected SortRisk, SortAdded, SortName or SortCustomer", q.Sort)
	}
	if q.Offset < 0 || q.Limit < 0 {
		return nil, fmt.Errorf("page offset %d, limit %d: expected zero or more", q.Offset, q.Limit)
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	sel, err := s.selectFor(ctx, q, q.Sort, candidateLimit(q, q.Sort))
	if err != nil {
		return nil, err
	}
	if sel.bareFirst(q.Sort) {
		return s.bareFirstPage(ctx, q, sel)
	}
	query, args, skip := sel.pageSQL(q)
	return s.queryRows(ctx, "reading the "+string(q.Queue)+" queue", query, skip, args...)
}

// bareFirst reports whether the selection has bare checks and, in sort
// by, they come before every checks row (bareKeys).
func (sel *selection) bareFirst(by Sort) bool { return sel.bare != nil && by != SortAdded }

// bareFirstPage reads a page of the all queue in a sort where the bare
// checks come first: the bare ones from offset, then checks rows, each an
// index walk that skips to its offset without reading the rows it skips.
// A merged query would read each skipped row whole.
func (s *Store) bareFirstPage(ctx context.Context, q PageQuery, sel *selection) ([]Row, error) {
	what := "reading the " + string(q.Queue) + " queue"
	// Counting stops at the end of the page: the bare checks then fill it.
	bare, err := s.countUpTo(ctx, "SELECT 1 "+sel.bare.sql(), q.Offset+q.Limit, sel.bare.args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var rows []Row
	if q.Offset < bare {
		rows, err = s.queryRows(ctx, what, sel.barePageSQL(), 0, append(slices.Clone(sel.bare.args), q.Limit, q.Offset)...)
		if err != nil || len(rows) == q.Limit {
			return rows, err
		}
	}
	more, err := s.queryRows(ctx, what, sel.checksPageSQL(sortKeys[q.Sort]), 0,
		append(slices.Clone(sel.args), q.Limit-len(rows), max(q.Offset-bare, 0))...)
	return append(rows, more...), err
}

// checksPageSQL reads a page of checks rows in keys' order; its last two
// arguments are the limit and the offset.
func (sel *selection) checksPageSQL(keys []sortKey) string {
	return "SELECT " + rowColumns + " " + sel.sql() + orderBy(keys) + " LIMIT ? OFFSET ?"
}

// barePageSQL reads a page of bare checks in the order added; its last
// two arguments are the limit and the offset.
func (sel *selection) barePageSQL() string {
	return "SELECT " + bareColumns + " " + sel.bare.sql() + " ORDER BY t.id LIMIT ? OFFSET ?"
}

// pageSQL is the query of a page in one statement, for every selection
// but bareFirst's: its text, its arguments, and how many columns after
// rowColumns each row has (sort keys, for a merged query).
func (sel *selection) pageSQL(q PageQuery) (string, []any, int) {
	keys := sortKeys[q.Sort]
	if sel.bare != nil {
		query, args := sel.merged(rowColumns, bareColumns, keys, bareKeys[q.Sort])
		return query + " LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset), len(keys)
	}
	return sel.checksPageSQL(keys), append(slices.Clone(sel.args), q.Limit, q.Offset), 0
}

// merged is the query of a selection with a bare side: cols of the checks
// rows and bareCols of the bare ones, each followed by its sort keys, the
// two merged in the keys' order. Each side comes in that order from its
// own index, so SQLite merges them as it reads, without sorting.
func (sel *selection) merged(cols, bareCols string, keys, bare []sortKey) (string, []any) {
	ks, bks, order := make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	for i := range keys {
		name := fmt.Sprintf("k%d", i)
		ks[i], bks[i] = keys[i].expr+" AS "+name, bare[i].expr
		order[i] = name
		if strings.Contains(keys[i].expr, "COLLATE NOCASE") {
			order[i] += " COLLATE NOCASE"
		}
		if keys[i].desc {
			order[i] += " DESC"
		}
	}
	query := "SELECT " + cols + ", " + strings.Join(ks, ", ") + " " + sel.sql() +
		" UNION ALL SELECT " + bareCols + ", " + strings.Join(bks, ", ") + " " + sel.bare.sql() +
		" ORDER BY " + strings.Join(order, ", ")
	return query, append(slices.Clone(sel.args), sel.bare.args...)
}

// bareColumns are rowColumns for a check that has no row in checks: added,
// never fetched, open.
const bareColumns = `t.check_id, '', '', '', 0, 0, '', '', 0, t.added_at, 'open', '', '', NULL, 0`

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

// ByCustomer returns every check of one customer_id, oldest checked first.
func (s *Store) ByCustomer(ctx context.Context, customerID string) ([]Row, error) {
	return s.queryRows(ctx, "reading the checks of a customer",
		"SELECT "+rowColumns+" FROM checks AS c WHERE c.customer_id = ? ORDER BY c.checked_on, c.check_id", 0, customerID)
}

// Next returns the check that follows afterID in q's queue and sort, for
// moving on after a decision: afterID need not be in the queue any more.
// An empty afterID gives the first. ok is false at the end of the queue.
func (s *Store) Next(ctx context.Context, q PageQuery, afterID string) (string, bool, error) {
	keys, ok := sortKeys[q.Sort]
	if !ok {
		return "", false, fmt.Errorf("sort %d: expected SortRisk, SortAdded, SortName or SortCustomer", q.Sort)
	}
	q.Filter, q.Offset = strings.TrimSpace(q.Filter), 0
	sel, err := s.selectFor(ctx, q, q.Sort, candidateLimit(q, q.Sort))
	if err != nil {
		return "", false, err
	}
	bare := bareKeys[q.Sort]
	if afterID != "" {
		vals, err := s.sortValues(ctx, keys, bare, afterID)
		if err != nil {
			return "", false, err
		}
		cond, args := after(keys, vals)
		sel.add(cond, args...)
		if sel.bare != nil {
			cond, args := after(bare, vals)
			sel.bare.add(cond, args...)
		}
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
	err = s.db.QueryRowContext(ctx, query+" LIMIT 1", args...).Scan(dest...)
	if err != nil {
		if isNoRows(err) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("finding the next check: %w", err)
	}
	return id, true, nil
}

// sortValues are the values of the sort keys of the check afterID: from
// its row in checks (keys), or from tracked when it was only added (bare).
func (s *Store) sortValues(ctx context.Context, keys, bare []sortKey, afterID string) ([]any, error) {
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
	err := s.db.QueryRowContext(ctx, "SELECT "+exprs(keys)+" FROM checks AS c WHERE c.check_id = ?"+
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
func after(keys []sortKey, vals []any) (string, []any) {
	// A bare check's -1 against a text column: text sorts after every
	// number, so it is known here, not left to SQLite, which would
	// compare the text with '-1'.
	marker := func(i int) bool {
		_, num := vals[i].(int64)
		return keys[i].text && num
	}
	var ors []string
	var args []any
	for i, k := range keys {
		var ands []string
		for j := 0; j < i; j++ {
			if marker(j) {
				ands = append(ands, "0")
				continue
			}
			ands = append(ands, keys[j].expr+" = ?")
			args = append(args, vals[j])
		}
		switch op := " > ?"; {
		case marker(i):
			ands = append(ands, "1")
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

// rareTrigrams builds an FTS5 query from trigrams of f and reports
// whether f is frequent: more than limit rows hold those trigrams, so
// walking the sort order finds a page sooner than fetching them by rowid.
// It asks once, for the rows holding f's last three trigrams: what people
// type after a common start such as "cust-" or "chk_" is what tells rows
// apart, and each more trigram read costs. The count stops at limit+1;
// probing trigram by trigram, as this once did, spent half of a 5 ms
// page at 100,000 checks. The rows found are a superset of those
// containing f; instr narrows them.
func (s *Store) rareTrigrams(ctx context.Context, f string, limit int) (match string, frequent bool, err error) {
	var terms []string
	seen := map[string]bool{}
	r := []rune(f)
	for i := len(r) - 3; i >= 0; i-- {
		g := string(r[i : i+3])
		if !seen[g] {
			seen[g] = true
			terms = append(terms, `"`+strings.ReplaceAll(g, `"`, `""`)+`"`)
		}
	}
	match = strings.Join(terms[:min(3, len(terms))], " AND ")
	var n int
	err = s.db.QueryRowContext(ctx,
		"SELECT count(*) FROM (SELECT rowid FROM checks_search WHERE checks_search MATCH ? LIMIT ?)", match, limit+1).Scan(&n)
	return match, n > limit, err
}
