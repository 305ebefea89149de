package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// queuePredicate is the SQL condition for a queue over checks aliased c,
// with the arguments it needs. The definitions:
//   - needs review: a result is cached, the check has no decision that
//     takes it out of triage (status open), and either confidence is below
//     high or the document expired before today. A later failed refresh
//     does not hide a risky check: it stays here (and shows in errors).
//   - pending: Caisson's own reviewers still have it (last outcome
//     PENDING_REVIEW).
//   - escalated, approved, rejected: the status its latest decision set.
//   - errors: the last fetch failed: any outcome but never-fetched, ok and
//     PENDING_REVIEW, so NOT_VERIFIED, IDCHECK_EXPIRED, IDCHECK_DELETED,
//     INVALID_INPUT, INTERNAL_ERROR and transport errors, whatever the
//     status: a reviewer triages why Caisson cannot give a result.
//   - all: every tracked check.
func (s *Store) queuePredicate(q Queue) (string, []any, error) {
	switch q {
	case QueueNeedsReview, "":
		return "c.cached = 1 AND c.status = 'open' AND (c.document < 3 OR c.face < 3 OR (c.expires_on <> '' AND c.expires_on < ?))",
			[]any{s.today()}, nil
	case QueuePending:
		return "c.outcome = 'PENDING_REVIEW'", nil, nil
	case QueueEscalated, QueueApproved, QueueRejected:
		return "c.status = ?", []any{string(queueStatus[q])}, nil
	case QueueErrors:
		return "c.outcome NOT IN ('', 'ok', 'PENDING_REVIEW')", nil, nil
	case QueueAll:
		return "1", nil, nil
	}
	_, err := ParseQueue(string(q))
	return "", nil, err
}

var queueStatus = map[Queue]Status{QueueEscalated: StatusEscalated, QueueApproved: StatusApproved, QueueRejected: StatusRejected}

// today is the calendar day on the store's clock, as expires_on is stored.
func (s *Store) today() string { return s.now().Format("2006-01-02") }

// Counts returns the number of checks in every queue in one query. Each
// number is a count over index ranges (a scan evaluating every queue's
// condition on every row took 110 ms at 100,000 checks): needs review is
// split into its three disjoint reasons, errors into the ranges of
// outcomes around ok and PENDING_REVIEW. It must agree with
// queuePredicate; TestQueuesHoldTheRightChecks holds it to that.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	const open = "FROM checks WHERE status = 'open' AND cached = 1 AND "
	query := `SELECT
		(SELECT count(*) FROM checks),
		(SELECT count(*) ` + open + `document < 3)
		+ (SELECT count(*) ` + open + `document = 3 AND face < 3)
		+ (SELECT count(*) ` + open + `document = 3 AND face = 3 AND expires_on > '' AND expires_on < ?),
		(SELECT count(*) FROM checks WHERE outcome = 'PENDING_REVIEW'),
		(SELECT count(*) FROM checks WHERE outcome > '' AND outcome < 'PENDING_REVIEW')
		+ (SELECT count(*) FROM checks WHERE outcome > 'PENDING_REVIEW' AND outcome < 'ok')
		+ (SELECT count(*) FROM checks WHERE outcome > 'ok'),
		(SELECT count(*) FROM checks WHERE status = 'escalated'),
		(SELECT count(*) FROM checks WHERE status = 'approved'),
		(SELECT count(*) FROM checks WHERE status = 'rejected')`
	var all, nr, pe, er, es, ap, re int
	if err := s.db.QueryRowContext(ctx, query, s.today()).Scan(&all, &nr, &pe, &er, &es, &ap, &re); err != nil {
		return nil, fmt.Errorf("counting the queues: %w", err)
	}
	return Counts{QueueAll: all, QueueNeedsReview: nr, QueuePending: pe, QueueErrors: er,
		QueueEscalated: es, QueueApproved: ap, QueueRejected: re}, nil
}

// sortKeys are the ORDER BY terms of each sort. The last term, c.id, is
// the order checks were added: it makes the order total, so paging is
// stable, and it is what the indexes end with (see 0001_init.sql).
var sortKeys = map[Sort][]sortKey{
	SortRisk:     {{"c.risk", false}, {"c.checked_on", false}, {"c.id", false}},
	SortAdded:    {{"c.added_at", true}, {"c.id", true}},
	SortName:     {{"c.last_name COLLATE NOCASE", false}, {"c.first_name COLLATE NOCASE", false}, {"c.id", false}},
	SortCustomer: {{"c.customer_id", false}, {"c.id", false}},
}

type sortKey struct {
	expr string
	desc bool
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

// ftsCap is how many trigram matches a filter may have for the page query
// to start from them; a filter matching more is frequent enough that
// walking the sort index finds a page sooner.
var ftsCap = 500

// selection is the FROM and WHERE of a page query.
type selection struct {
	from  string
	where []string
	args  []any
}

func (sel *selection) add(cond string, args ...any) {
	sel.where = append(sel.where, cond)
	sel.args = append(sel.args, args...)
}

func (sel *selection) sql() string {
	return sel.from + " WHERE " + strings.Join(sel.where, " AND ")
}

// selectFor builds the selection of q. The text filter matches customer
// ids and names anywhere, case-insensitively (instr over the lower-cased
// search column), and a check id by its beginning: the whole id, or its
// start with or without chk_priv_, exactly, since ids are case-sensitive
// base64 that people paste or read off the list's short id. When the
// filter is long enough for the trigram index and rare there, the
// candidates are the index's matches plus a range of the check_id index,
// fetched by rowid, so the table is not scanned. A frequent filter walks
// the sort order instead: a page fills quickly.
func (s *Store) selectFor(ctx context.Context, q PageQuery) (*selection, error) {
	pred, args, err := s.queuePredicate(q.Queue)
	if err != nil {
		return nil, err
	}
	sel := &selection{from: "FROM checks AS c"}
	sel.add(pred, args...)
	if q.Customer != "" {
		sel.add("c.customer_id = ?", q.Customer)
	}
	if q.Filter == "" {
		return sel, nil
	}
	f := strings.ToLower(q.Filter)
	lo, hi := idPrefixRange(strings.TrimSpace(q.Filter))
	// Most filters are names or customer ids that start no check id:
	// asking first spares every row of the walk the id condition (a third
	// of a filtered page's time).
	var startsIDs bool
	err = s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM checks WHERE check_id >= ? AND check_id < ?)", lo, hi).Scan(&startsIDs)
	if err != nil {
		return nil, fmt.Errorf("filtering by %q: %w", q.Filter, err)
	}
	if startsIDs {
		// The id range as a subquery on rowid, so that the condition can
		// be checked on a covering index without reading the row.
		sel.add("(instr(c.search, ?) > 0 OR c.id IN (SELECT id FROM checks WHERE check_id >= ? AND check_id < ?))", f, lo, hi)
	} else {
		sel.add("instr(c.search, ?) > 0", f)
	}
	if utf8.RuneCountInString(f) < 3 {
		return sel, nil
	}
	match, frequent, err := s.rareTrigrams(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("filtering by %q: %w", q.Filter, err)
	}
	if frequent {
		return sel, nil
	}
	// NOT INDEXED keeps the planner from walking a sort index instead:
	// the few candidates are fetched by rowid and sorted.
	sel.from = "FROM checks AS c NOT INDEXED"
	if startsIDs {
		sel.add(`(c.id IN (SELECT rowid FROM checks_search WHERE checks_search MATCH ?)
		OR c.id IN (SELECT id FROM checks WHERE check_id >= ? AND check_id < ?))`, match, lo, hi)
	} else {
		sel.add("c.id IN (SELECT rowid FROM checks_search WHERE checks_search MATCH ?)", match)
	}
	return sel, nil
}

// idPrefixRange is the range of check ids that start with f, or with
// chk_priv_ followed by f when f does not itself start like an id.
func idPrefixRange(f string) (lo, hi string) {
	if !strings.HasPrefix("chk_priv_", f) && !strings.HasPrefix(f, "chk_priv_") {
		f = "chk_priv_" + f
	}
	// Every id starting with f sorts from f up to f followed by the
	// highest byte; ids are ASCII, so "\xff" ends the range.
	return f, f + "\xff"
}

const rowColumns = `c.check_id, c.customer_id, c.first_name, c.last_name, c.document, c.face, c.reasons,
	c.expires_on, c.checked_on, c.added_at, c.status, c.outcome, c.fetch_error, c.fetched_at, c.purged_at IS NOT NULL`

// Page returns one page of a queue, sorted and filtered. Limit 0 means 50.
func (s *Store) Page(ctx context.Context, q PageQuery) ([]Row, error) {
	keys, ok := sortKeys[q.Sort]
	if !ok {
		return nil, fmt.Errorf("sort %d: expected SortRisk, SortAdded, SortName or SortCustomer", q.Sort)
	}
	if q.Offset < 0 || q.Limit < 0 {
		return nil, fmt.Errorf("page offset %d, limit %d: expected zero or more", q.Offset, q.Limit)
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	sel, err := s.selectFor(ctx, q)
	if err != nil {
		return nil, err
	}
	query := "SELECT " + rowColumns + " " + sel.sql() + orderBy(keys) + " LIMIT ? OFFSET ?"
	return s.queryRows(ctx, "reading the "+string(q.Queue)+" queue", query, append(sel.args, q.Limit, q.Offset)...)
}

// Count returns how many checks match q, ignoring Offset and Limit.
func (s *Store) Count(ctx context.Context, q PageQuery) (int, error) {
	sel, err := s.selectFor(ctx, q)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) "+sel.sql(), sel.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the %s queue: %w", q.Queue, err)
	}
	return n, nil
}

// ByCustomer returns every check of one customer_id, oldest checked first.
func (s *Store) ByCustomer(ctx context.Context, customerID string) ([]Row, error) {
	return s.queryRows(ctx, "reading the checks of a customer",
		"SELECT "+rowColumns+" FROM checks AS c WHERE c.customer_id = ? ORDER BY c.checked_on, c.check_id", customerID)
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
	sel, err := s.selectFor(ctx, q)
	if err != nil {
		return "", false, err
	}
	if afterID != "" {
		cond, args, err := s.after(ctx, keys, afterID)
		if err != nil {
			return "", false, err
		}
		sel.add(cond, args...)
	}
	var id string
	err = s.db.QueryRowContext(ctx, "SELECT c.check_id "+sel.sql()+orderBy(keys)+" LIMIT 1", sel.args...).Scan(&id)
	if err != nil {
		if isNoRows(err) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("finding the next check: %w", err)
	}
	return id, true, nil
}

// after is the condition "sorts after the check afterID" in keys' order:
// (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …, with < for descending keys.
func (s *Store) after(ctx context.Context, keys []sortKey, afterID string) (string, []any, error) {
	exprs := make([]string, len(keys))
	for i, k := range keys {
		exprs[i] = k.expr
	}
	vals := make([]any, len(keys))
	ptrs := make([]any, len(keys))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := s.db.QueryRowContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM checks AS c WHERE c.check_id = ?", afterID).Scan(ptrs...)
	if err != nil {
		if isNoRows(err) {
			return "", nil, fmt.Errorf("next after %s: %w", afterID, ErrNotFound)
		}
		return "", nil, fmt.Errorf("finding the next check: %w", err)
	}
	var ors []string
	var args []any
	for i, k := range keys {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, keys[j].expr+" = ?")
			args = append(args, vals[j])
		}
		op := " > ?"
		if k.desc {
			op = " < ?"
		}
		ands = append(ands, k.expr+op)
		args = append(args, vals[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args, nil
}

// rareTrigrams builds an FTS5 query from trigrams of f and reports
// whether f is frequent: more than ftsCap rows hold those trigrams, so
// walking the sort order finds a page sooner than fetching them by rowid.
// It asks once, for the rows holding f's last three trigrams: what people
// type after a common start such as "cust-" or "chk_" is what tells rows
// apart, and each more trigram read costs. The count stops at ftsCap+1;
// probing trigram by trigram, as this once did, spent half of a 5 ms
// page at 100,000 checks. The rows found are a superset of those
// containing f; instr narrows them.
func (s *Store) rareTrigrams(ctx context.Context, f string) (match string, frequent bool, err error) {
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
		"SELECT count(*) FROM (SELECT rowid FROM checks_search WHERE checks_search MATCH ? LIMIT ?)", match, ftsCap+1).Scan(&n)
	return match, n > ftsCap, err
}
