package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson"
)

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
	// pg marks a selection of PostgreSQL's text (selectForPG), whose sort
	// keys, bare columns and page queries are its own.
	pg bool
	// lead, in a walk in risk order, are the checks rows that match
	// before the walk's start (splitUndated): they come before every row
	// of the selection, after the bare ones.
	lead *selection
	// candidates marks a PostgreSQL selection of few matches, found in
	// the trigram index: its page fetches and sorts them (checksPagePG).
	candidates bool
	// filter is where the text filter's condition is, in where and args,
	// on a walk: a bounded walk (bound) tells matches from the rest.
	filter *filterPlace
	// bound, when not 0, makes the page a bounded walk: it reads only
	// the first bound entries of the sort index (checksPageSQL).
	bound int
}

// filterPlace is the text filter's condition's place in a selection:
// where[at], with args[from:to]. match, when not "", is the trigram
// index's query of the filter's candidates, too many to start from. text
// is the filter as matched (lower case), and lo and hi, when ids, the
// range of the check ids it starts.
type filterPlace struct {
	at, from, to int
	match        string
	text         string
	ids          bool
	lo, hi       string
}

// add adds a condition; "" is none (the all queue on PostgreSQL).
func (sel *selection) add(cond string, args ...any) {
	if cond != "" {
		sel.where = append(sel.where, cond)
	}
	sel.args = append(sel.args, args...)
}

func (sel *selection) sql() string {
	if len(sel.where) == 0 {
		return sel.from
	}
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
// by rowid and sorted, so nothing is walked (candidates fetchCounted, or
// countedFrequent for a walk: the caller counted them). A frequent filter
// walks the sort index instead, which carries the search column: a page
// fills quickly.
func (s *Store) selectFor(ctx context.Context, q PageQuery, by Sort, candidates int) (*selection, error) {
	q.Filter, q.Customer = storable(q.Filter), storable(q.Customer)
	pred, args, err := s.queuePredicate(q.Queue)
	if err != nil {
		return nil, err
	}
	if _, ok := indexSort[by]; !ok {
		return nil, fmt.Errorf("sort %d: expected SortRisk, SortAdded, SortName, SortCustomer or SortWaiting", by)
	}
	if s.pg() {
		return s.selectForPG(ctx, q, pred, args, candidates)
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
	if q.Overdue {
		sel.add(overdueCond, s.now().UnixNano())
	}
	// Only the all queue holds checks that were only added, and they have
	// no customer; none of them is overdue.
	if q.Queue == QueueAll && q.Customer == "" && !q.Overdue {
		sel.bare = &selection{from: "FROM tracked AS t INDEXED BY " + bareIndex(by)}
		// minus and minus_ci are -1: saying so lets SQLite see that the
		// bare ids' index is in the order of their sort keys (in both
		// collations the sorts use).
		sel.bare.add("t.bare = 1 AND t.minus = -1 AND t.minus_ci = -1 AND t.never = 9223372036854775807")
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
		ids, err = s.countUpTo(ctx, s, "SELECT 1 FROM checks WHERE check_id >= ? AND check_id < ?", ftsCap+1, lo, hi)
		if err != nil {
			return nil, filtering(q, err)
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
	sel.filter = &filterPlace{at: len(sel.where), from: len(sel.args), text: f, ids: ids > 0, lo: lo, hi: hi}
	sel.add("(instr(c.search, ?) > 0"+idCond+")", append([]any{f}, idArgs...)...)
	sel.filter.to = len(sel.args)
	if utf8.RuneCountInString(f) < 3 || ids > ftsCap {
		splitUndated(sel, q, by, ids)
		return sel, nil
	}
	match, frequent, err := s.rareTrigrams(ctx, f, candidates)
	if err != nil {
		return nil, filtering(q, err)
	}
	if frequent {
		sel.filter.match = match
		splitUndated(sel, q, by, ids)
		return sel, nil
	}
	// NOT INDEXED keeps the planner from walking a sort index instead:
	// the few candidates are fetched by rowid and sorted.
	sel.from, sel.filter = "FROM checks AS c NOT INDEXED", nil
	if ids > 0 {
		sel.add(`(c.id IN (SELECT rowid FROM checks_search WHERE checks_search MATCH ?)
		OR c.id IN (SELECT id FROM checks WHERE check_id >= ? AND check_id < ?))`, match, lo, hi)
	} else {
		sel.add("c.id IN (SELECT rowid FROM checks_search WHERE checks_search MATCH ?)", match)
	}
	return sel, nil
}

// splitUndated splits a walk in risk order in two: sel, from (risk 0,
// checked_on 1) on, and sel.lead, the matches before that point. There
// sit the checks with no result (waiting at Caisson, failed before any
// result), all at risk 0 and checked_on 0, ahead of the first result,
// with nothing to match but their id; a walk read every one of them
// before the first name (30,000 at a million checks, 3 ms of each page
// read). The lead's few matches are found by their id in
// checks_undated_id and in checks_named_undated, the checks in that run
// with a name or a customer id (normally none), and sorted. A
// walk of one customer's checks, or of a filter matching more than ftsCap
// ids, is left whole.
func splitUndated(sel *selection, q PageQuery, by Sort, ids int) {
	if by != SortRisk || ids > ftsCap || q.Customer != "" {
		return
	}
	sel.lead = sel.leadPart(
		"SELECT id FROM checks AS n INDEXED BY checks_named_undated WHERE "+namedUndatedCond+" AND instr(n.search, ?) > 0",
		"SELECT id FROM checks AS u INDEXED BY checks_undated_id WHERE "+undatedIDCond+" AND u.check_id >= ? AND u.check_id < ?",
		undatedCond)
	// The two columns' range: SQLite seeks to its start in the walked
	// index. (c.risk, c.checked_on) > (0, 0) would seek to (0, 0) and step
	// over the run entry by entry.
	sel.add("(c.risk, c.checked_on) >= (0, 1)")
}

// leadPart is a walk's lead part: the rows of sel's queue where cond
// holds (a run the walk starts after) that match the filter, found by
// their text (byText, the ids of a subquery matching its argument, the
// filter) and by their id (byID, the ids of a subquery in the range of its
// two arguments), and sorted. Their own condition is the filter's, within
// the run, so the filter's (sel's, by its place) is left out: its id part
// listed every id starting so (244 for two letters at a million) for
// rows the lead never reads.
func (sel *selection) leadPart(byText, byID, cond string) *selection {
	f := sel.filter
	lead := &selection{from: "FROM checks AS c NOT INDEXED", where: slices.Clone(sel.where[:f.at]), args: slices.Clone(sel.args[:f.from])}
	found := "c.id IN (" + byText + ")"
	args := []any{f.text}
	if f.ids {
		found += " OR c.id IN (" + byID + ")"
		args = append(args, f.lo, f.hi)
	}
	lead.add("("+found+") AND "+cond, args...)
	return lead
}

// undatedCond is what sorts before (risk 0, checked_on 1) in risk order.
const undatedCond = "(c.risk < 0 OR (c.risk = 0 AND c.checked_on <= 0))"

// undatedIDCond is the WHERE of checks_undated_id (migration 0015) over
// checks aliased u, term for term, as SQLite uses a partial index only for
// a query that repeats it (INDEXED BY makes any difference an error, not
// a slower plan): the lead's ids are found there, without reading the
// rows of the ids outside the run.
const undatedIDCond = "(u.risk < 0 OR (u.risk = 0 AND u.checked_on <= 0))"

// namedUndatedCond is the WHERE of checks_named_undated (migration 0012)
// over checks aliased n, term for term, as SQLite uses a partial index only
// for a query that repeats it.
const namedUndatedCond = "(n.risk < 0 OR (n.risk = 0 AND n.checked_on <= 0)) AND n.search <> ''"

// overdueCond selects the checks past the SLA at its one argument, now in
// Unix nanoseconds. The SLA is read once, as a constant subquery: no SLA,
// no row.
const overdueCond = waitingCond + " AND c.reviewable_at < ? - (SELECT sla FROM queue_counts) AND (SELECT sla FROM queue_counts) > 0"

// filtering says that err, if any, came of q's text filter: the store's
// own error would not say which text it was reading for.
func filtering(q PageQuery, err error) error {
	if err != nil {
		return fmt.Errorf("filtering by %q: %w", q.Filter, err)
	}
	return nil
}

// countUpTo counts the rows query returns through r, stopping at limit.
func (s *Store) countUpTo(ctx context.Context, r reader, query string, limit int, args ...any) (int, error) {
	var n int
	err := r.readRow(ctx, s.countSQL(query), append(args, limit)...).Scan(&n)
	return n, err
}

// countSQL is countUpTo's statement for query; its last argument is the
// limit.
func (s *Store) countSQL(query string) string {
	count := "SELECT count(*) FROM (" + query + " LIMIT ?)"
	if s.pg() {
		count += countAliasPG
	}
	return count
}

// read runs a query through the Store's statement of it, prepared once
// per pooled connection (Store.prepared) and kept: a filter keystroke
// makes three to five reads, and parsing each afresh (the page's SQL names
// its index and merges two tables) was a fifth of the keystroke's store
// time at 100,000 checks. The texts are few: every value is an argument,
// so a query's text depends only on its queue, sort and kind of filter.
func (s *Store) read(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// readRow is read for one row.
func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.prepared(ctx, query)
	if err != nil {
		// The unprepared query reports the same error through its Row.
		return s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// minIDFilter is the fewest characters a filter without chk_priv_ needs
// to match check ids by their start. One character is the start of one id
// in 64, a random handful that says nothing, mixed into the names the
// letter matches; matching them also made a one-letter filter read 1,500
// ids at 100,000 checks.
const minIDFilter = 2

// rareTrigrams builds an FTS5 query from trigrams of f and reports
// whether f is frequent: more than limit rows hold those trigrams, so
// walking the sort order finds a page sooner than fetching them by rowid.
// It asks once, for the rows holding f's last three trigrams: what people
// type after a common start such as "cust-" or "chk_" is what tells rows
// apart, and each more trigram read costs. The count stops at limit+1;
// probing trigram by trigram, as this once did, spent half of a 5 ms
// page at 100,000 checks. The rows found are a superset of those
// containing f; instr narrows them.
//
// A limit below 0 is a caller that has counted them and knows them few
// enough to fetch (fetchCounted) or too many (countedFrequent): they are
// not counted again.
func (s *Store) rareTrigrams(ctx context.Context, f string, limit int) (match string, frequent bool, err error) {
	match = trigramQuery(f)
	switch limit {
	case fetchCounted:
		return match, false, nil
	case countedFrequent:
		return match, true, nil
	}
	n, err := s.countTrigramMatches(ctx, match, limit+1)
	return match, n > limit, err
}

// fetchCounted is rareTrigrams' limit for a filter whose candidates the
// caller has counted and found worth fetching (boundsWalk, or the run
// check through candidateCount.forLimit).
const fetchCounted = -1

// countedFrequent is rareTrigrams' limit for a filter whose candidates the
// caller has counted and found too many to fetch.
const countedFrequent = -2

// countTrigramMatches counts the rows of the trigram index match selects,
// stopping at limit.
func (s *Store) countTrigramMatches(ctx context.Context, match string, limit int) (int, error) {
	var n int
	err := s.readRow(ctx,
		"SELECT count(*) FROM (SELECT rowid FROM checks_search WHERE checks_search MATCH ? LIMIT ?)", match, limit).Scan(&n)
	return n, err
}

// trigramQuery is the FTS5 query of f's last three trigrams (rareTrigrams).
func trigramQuery(f string) string {
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
	return strings.Join(terms[:min(3, len(terms))], " AND ")
}
