package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// sortKeys are the ORDER BY terms of each sort. The last term, c.id, is
// the order checks were added: it makes the order total, so paging is
// stable, and it is what the indexes end with (see 0001_init.sql).
var sortKeys = map[Sort][]sortKey{
	SortRisk:     {{expr: "c.risk"}, {expr: "c.checked_on"}, {expr: "c.id"}},
	SortAdded:    {{expr: "c.added_at", desc: true}, {expr: "c.id", desc: true}},
	SortName:     {{expr: "c.last_name COLLATE NOCASE", text: true}, {expr: "c.first_name COLLATE NOCASE", text: true}, {expr: "c.id"}},
	SortCustomer: {{expr: "c.customer_id", text: true}, {expr: "c.id"}},
	SortWaiting:  {{expr: "c.wait_key"}, {expr: "c.id"}},
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
// checks rows, each read with a plain index walk (partsPage).
var bareKeys = map[Sort][]sortKey{
	SortRisk:     {{expr: "t.minus"}, {expr: "t.minus"}, {expr: "t.id"}},
	SortAdded:    {{expr: "t.added_at", desc: true}, {expr: "t.id", desc: true}},
	SortName:     {{expr: "t.minus_ci"}, {expr: "t.minus_ci"}, {expr: "t.id"}},
	SortCustomer: {{expr: "t.minus"}, {expr: "t.id"}},
	// Never reviewable: after every check that was (wait_key).
	SortWaiting: {{expr: "t.never"}, {expr: "t.id"}},
}

// bareIndex is the index of tracked that gives the bare checks in a
// sort's order (by id for the sort by waiting: their key is one value).
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

const rowColumns = `c.check_id, c.customer_id, c.first_name, c.last_name, c.document, c.face, c.reasons,
	c.expires_on, c.checked_on, c.added_at, c.status, c.outcome, c.fetch_error, c.fetched_at, c.purged_at IS NOT NULL, c.proposal,
	c.reviewable_at, c.decided_at`

// Page returns one page of a queue, sorted and filtered. Limit 0 means 50.
//
// Every error says which queue it was reading, once: the console shows it
// as it is.
func (s *Store) Page(ctx context.Context, q PageQuery) ([]Row, error) {
	rows, err := s.page(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("reading the %s queue: %w", cmp.Or(q.Queue, QueueNeedsReview), err)
	}
	return rows, nil
}

func (s *Store) page(ctx context.Context, q PageQuery) ([]Row, error) {
	_, ok := sortKeys[q.Sort]
	if !ok {
		return nil, fmt.Errorf("sort %d: expected SortRisk, SortAdded, SortName, SortCustomer or SortWaiting", q.Sort)
	}
	if q.Offset < 0 || q.Limit < 0 {
		return nil, fmt.Errorf("page offset %d, limit %d: expected zero or more", q.Offset, q.Limit)
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	// Sorted by name, a filter that is a common surname is read from its
	// run of the name index when that holds every match (pageInRun).
	var counted candidateCount
	if q.Sort == SortName {
		rows, ok, c, err := s.pageInRun(ctx, q)
		if err != nil || ok {
			return rows, err
		}
		counted = c
	}
	rows, bounded, err := s.readPage(ctx, q, candidateLimit(q, q.Sort), true, counted)
	if err != nil || !bounded || len(rows) == q.Limit {
		return rows, err
	}
	// The first entries of the sort did not hold the page: the matches
	// lie further on (a common surname late in the alphabet), where a
	// walk would read most of the index first. The filter's candidates,
	// which boundsWalk counted and found worth it, are fetched instead.
	rows, _, err = s.readPage(ctx, q, fetchCounted, false, candidateCount{})
	return rows, err
}

// readPage reads the page of q by the plan selectFor picks for up to
// candidates candidates. A walk sorted by name (nameWalk) reads its
// checks with no last name apart (nameless), and is bounded when mayBound
// (boundsWalk); bounded says it was: a page it leaves short may not be
// the list's end. counted is what a caller counted of the filter's
// candidates, not counted again.
func (s *Store) readPage(ctx context.Context, q PageQuery, candidates int, mayBound bool, counted candidateCount) (rows []Row, bounded bool, err error) {
	sel, err := s.selectFor(ctx, q, q.Sort, counted.forLimit(candidates))
	if err != nil {
		return nil, false, err
	}
	switch {
	case !s.nameWalk(q, sel):
	case mayBound && s.boundsWalk(ctx, q, sel, counted):
		sel.bound, sel.lead, bounded = nameWalkBound, sel.nameless(), true
	case nameWalkBound != 0:
		// Walked whole ("son"): the checks with no last name are read
		// apart all the same, not walked (7 ms at a million).
		sel.lead = sel.nameless()
		sel.add(named)
	}
	if sel.bareFirst(q.Sort) || sel.lead != nil {
		rows, err = s.partsPage(ctx, q, sel)
		return rows, bounded, err
	}
	query, args, skip := sel.pageSQL(q)
	rows, err = s.queryRows(ctx, s, "", query, skip, args...)
	return rows, bounded, err
}

// nameWalkBound is how many entries of the name index a filtered page
// walks before it turns to the filter's candidates: about 4 ms of a walk
// at a million checks. A filter whose matches sit early in the alphabet,
// or all through it ("son"), fills its page well before; one whose
// matches sit together late in it ("smith" at a million checks: the
// first after 800,000 entries, 190 ms of walking) does not.
var nameWalkBound = 20_000

// nameless is the lead part of a walk by name (nameWalk), bounded or
// whole, read apart before it: the checks with no last name (waiting at
// Caisson or failed before any result: 60,000 of the generated
// million-check store, 30,000 of a million sandbox checks, first in the
// name index; checks only added are not in it). Counted in the bound,
// they took all of it; walked, 7 ms at a million. Its few matches are
// found as the lead of a walk in risk order finds its own (splitUndated,
// leadPart): by their text in checks_nameless_found (migration 16), by
// their check id, and sorted.
func (sel *selection) nameless() *selection {
	return sel.leadPart(
		"SELECT id FROM checks AS m INDEXED BY checks_nameless_found WHERE "+namelessFoundCond+" AND instr(m.search, ?) > 0",
		"SELECT id FROM checks WHERE check_id >= ? AND check_id < ?",
		nameless)
}

// nameless and named split the name index where the last names start
// (the index compares without case, so the conditions must too).
const (
	nameless = "c.last_name COLLATE NOCASE = ''"
	named    = "c.last_name COLLATE NOCASE > ''"
)

// namelessFoundCond is the WHERE of checks_nameless_found over checks
// aliased m, term for term, as SQLite uses a partial index only for a
// query that repeats it.
const namelessFoundCond = "m.last_name = '' AND m.search <> ''"

// walkPerFetch is how many index entries a walk reads in the time a
// candidate takes to fetch by rowid and test: about 0.2 against 2.5 µs at
// a million checks (BenchmarkFilterSortedByName).
var walkPerFetch = 12

// boundsWalk reports whether sel, a walk of q sorted by name on SQLite
// (nameWalk), should read only its first nameWalkBound entries: the queue
// holds more entries than that, and its text filter's candidates are not
// too many to fetch (fetchWorthy) when the bound does not fill the page.
// A filter with more candidates than are worth fetching ("son" at a
// million checks, in names all through the alphabet) is walked whole at
// once: bounded first, it took 40 ms instead of 16. counted, when it
// can tell, spares counting the candidates again.
func (s *Store) boundsWalk(ctx context.Context, q PageQuery, sel *selection, counted candidateCount) bool {
	if nameWalkBound == 0 {
		return false
	}
	// The run check, when it was made, counted the candidates up to this
	// very figure (pageInRun): the queue is not counted again.
	worth := counted.limit
	if !counted.made {
		worth = s.fetchWorthy(ctx, q)
	}
	if worth*walkPerFetch <= nameWalkBound {
		return false
	}
	if few, known := counted.atMost(worth); known {
		return few
	}
	n, err := s.countTrigramMatches(ctx, sel.filter.match, worth+1)
	return err == nil && n <= worth
}

// nameWalk reports whether sel is a walk of q sorted by name on SQLite
// that boundsWalk may bound, or whose checks with no last name may be
// read apart (nameless): its text filter has candidates in the trigram
// index, too many to start from, and is its last condition.
func (s *Store) nameWalk(q PageQuery, sel *selection) bool {
	f := sel.filter
	return !s.pg() && q.Sort == SortName && q.Customer == "" && f != nil && f.match != "" && sel.lead == nil &&
		f.at == len(sel.where)-1 && f.to == len(sel.args)
}

// fetchWorthy is how many candidates of a filter on q are still cheaper
// to fetch than walking q's queue for them: a walk reads up to every
// entry of the queue, walkPerFetch of them in the time of one fetch.
// SQLite only (PostgreSQL weighs its own plans); 0 for one customer's
// checks, which are few, or when the queue cannot be counted.
func (s *Store) fetchWorthy(ctx context.Context, q PageQuery) int {
	if s.pg() || q.Customer != "" || ftsCap == 0 {
		// An ftsCap of 0 (tests comparing the plans) always walks.
		return 0
	}
	n, err := s.Count(ctx, PageQuery{Queue: q.Queue})
	if err != nil {
		return 0
	}
	return n / walkPerFetch
}

// bareFirst reports whether the selection has bare checks and, in sort
// by, they come before every checks row (bareKeys).
func (sel *selection) bareFirst(by Sort) bool {
	return sel.bare != nil && by != SortAdded && by != SortWaiting
}

// pagePart is one part of a page read in parts: the selection of its
// rows (counted to find where the next part starts) and its page query,
// whose arguments are the selection's, then the limit and the offset.
type pagePart struct {
	sel  *selection
	page string
}

// parts are the parts of a selection whose bare checks come first (in
// sort by) or that has a lead, each before the next in the sort order:
// the bare checks, the lead, the rest.
func (sel *selection) parts(by Sort) []pagePart {
	var parts []pagePart
	if sel.bareFirst(by) {
		parts = append(parts, pagePart{sel.bare, sel.barePageSQL()})
	}
	if sel.lead != nil {
		parts = append(parts, pagePart{sel.lead, sel.lead.checksPageSQL(sel.keys(by))})
	}
	return append(parts, pagePart{sel, sel.checksPageSQL(sel.keys(by))})
}

// partsPage reads a page of a selection in parts (selection.parts), all
// in one snapshot: each from the offset left after the parts before it,
// until the page is full. Each part is an index walk that skips to its
// offset without reading the rows it skips, or a few rows sorted; a
// merged query would read each skipped row whole.
func (s *Store) partsPage(ctx context.Context, q PageQuery, sel *selection) ([]Row, error) {
	parts := sel.parts(q.Sort)
	var queries []string
	for i, p := range parts {
		if i < len(parts)-1 {
			queries = append(queries, s.countSQL("SELECT 1 "+p.sel.sql()))
		}
		queries = append(queries, p.page)
	}
	snap, err := s.snapshot(ctx, queries...)
	if err != nil {
		return nil, err
	}
	defer snap.close()
	offset, need := q.Offset, q.Limit
	var rows []Row
	for i, p := range parts {
		// From the start of a part, its page says all a count would: the
		// rows it has up to the page's end, and, when fewer than the
		// page needs, that the next part starts at its own start. A count
		// first read each of those rows twice (a fifth of a filter
		// keystroke at a million checks, whose first part held six).
		if i < len(parts)-1 && offset > 0 {
			// Counting stops at the end of the page: this part then fills it.
			n, err := s.countUpTo(ctx, snap, "SELECT 1 "+p.sel.sql(), offset+need, p.sel.args...)
			if err != nil {
				return nil, err
			}
			if offset >= n {
				offset -= n
				continue
			}
		}
		got, err := s.queryRows(ctx, snap, "", p.page, 0, append(slices.Clone(p.sel.args), need, offset)...)
		if err != nil {
			return nil, err
		}
		rows = append(rows, got...)
		if need -= len(got); need == 0 {
			break
		}
		offset = 0
	}
	return rows, nil
}

// checksPageSQL reads a page of checks rows in keys' order; its last two
// arguments are the limit and the offset.
func (sel *selection) checksPageSQL(keys []sortKey) string {
	if sel.pg {
		return sel.checksPagePG(keys)
	}
	if sel.bound > 0 {
		return sel.boundedPageSQL(keys)
	}
	return "SELECT " + rowColumns + " " + sel.sql() + orderBy(keys) + " LIMIT ? OFFSET ?"
}

// boundedPageSQL is checksPageSQL for a bounded walk (selection.bound):
// the first bound entries with a last name of the walked index that meet
// the queue's conditions, read from the index alone (those without one
// are the walk's lead part, nameless); of those, the first that match
// the filter, up to the page's end; those rows, sorted. Its arguments are
// the selection's (the filter's last) then the limit and the offset,
// numbered, as the matches' limit is their sum.
func (sel *selection) boundedPageSQL(keys []sortKey) string {
	rest := &selection{from: sel.from, where: append(slices.Clone(sel.where[:sel.filter.at]), named)}
	limit, offset := len(sel.args)+1, len(sel.args)+2
	walk := "SELECT c.id AS id, c.search AS search " + rest.sql() + orderBy(keys) + " LIMIT " + strconv.Itoa(sel.bound)
	// The first matches are taken in the walk's order, which SQLite keeps
	// through the subquery (a co-routine) though SQL does not promise it:
	// TestANameSortedFilterGivesTheSameRowsWhenItsWalkIsBounded would see
	// other matches taken.
	matches := fmt.Sprintf("SELECT c.id FROM (%s) AS c WHERE %s LIMIT ?%d + ?%d", walk, sel.where[sel.filter.at], limit, offset)
	return fmt.Sprintf("SELECT %s FROM checks AS c WHERE c.id IN (%s)%s LIMIT ?%d OFFSET ?%d", rowColumns, matches, orderBy(keys), limit, offset)
}

// barePageSQL reads a page of bare checks in the order added; its last
// two arguments are the limit and the offset.
func (sel *selection) barePageSQL() string {
	return "SELECT " + sel.bareColumns() + " " + sel.bare.sql() + " ORDER BY t.id LIMIT ? OFFSET ?"
}

// pageSQL is the query of a page in one statement, for every selection
// but bareFirst's: its text, its arguments, and how many columns after
// rowColumns each row has (sort keys, for a merged query).
func (sel *selection) pageSQL(q PageQuery) (string, []any, int) {
	keys := sel.keys(q.Sort)
	if sel.bare != nil && sel.pg {
		query, args := sel.mergedPagePG(q, keys)
		return query, args, len(keys)
	}
	if sel.bare != nil {
		query, args := sel.merged(rowColumns, sel.bareColumns(), keys, sel.bareKeys(q.Sort))
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
const bareColumns = `t.check_id, '', '', '', 0, 0, '', '', 0, t.added_at, 'open', '', '', NULL, 0, 0, 0, 0`

// keys are the sort keys of by on the selection's backend.
func (sel *selection) keys(by Sort) []sortKey {
	if sel.pg {
		return sortKeysPG[by]
	}
	return sortKeys[by]
}

// bareKeys are the bare checks' sort keys of by on the selection's backend.
func (sel *selection) bareKeys(by Sort) []sortKey {
	if sel.pg {
		return bareKeysPG[by]
	}
	return bareKeys[by]
}

// bareColumns are bareColumns on the selection's backend.
func (sel *selection) bareColumns() string {
	if sel.pg {
		return bareColumnsPG
	}
	return bareColumns
}

// ByCustomer returns every check of one customer_id, oldest checked first.
func (s *Store) ByCustomer(ctx context.Context, customerID string) ([]Row, error) {
	customerID = storable(customerID)
	query := "SELECT " + rowColumns + " FROM checks AS c WHERE c.customer_id = ? ORDER BY c.checked_on, c.check_id"
	if s.pg() {
		query = byCustomerPG
	}
	return s.queryRows(ctx, s, "reading the checks of a customer", query, 0, customerID)
}
