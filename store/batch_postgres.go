package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// firstOrSamePG stores, in one statement, every result of a batch that
// is a check's first result (firstResultTx's insert), the response it
// already has again (sameResultTx's update), or another response where
// no proposal awaits a second reviewer (cacheResultTx's update: there is
// nothing to void), and returns the ids it stored; and it makes the row
// of each check only added whose outcome is an error ($16: checkRowTx's
// insert), for errorsPG to write next. Every row is found by a subquery
// on a unique index (MATERIALIZED, so that it runs once a row, not once
// a column read of it), which is the plan whatever the statistics: a
// fresh table has none, and a join planned on them walked checks once
// per result. Each result is still its own row of the insert or the
// update, so every row trigger (counts, unbare, overdue) fires for it
// exactly as when it was stored alone; only the round trips, one or two
// per result before, are saved. A check is either only added (no row in
// checks: the inserts) or has a row (the update), never both, so the
// parts, which see the same snapshot, never meet on one check; the two
// updates take the rows the same response again does and does not. The
// ids must be distinct. The update reads the row's state in the lookup
// only: no other write runs between, since every write holds the write
// lock (lockWritesTx).
var firstOrSamePG = `WITH r AS MATERIALIZED (
	SELECT r.*,
		(SELECT t FROM tracked AS t WHERE t.check_id = r.check_id AND t.bare = 1) AS t,
		(SELECT c.id FROM checks AS c WHERE c.check_id = r.check_id AND c.outcome = 'ok' AND c.cached = 1
			AND c.raw_hash = r.raw_hash AND c.fetch_error = '' AND c.purged_at IS NULL) AS same,
		(SELECT c.id FROM checks AS c WHERE c.check_id = r.check_id AND c.proposal = 0
			AND EXISTS (SELECT 1 FROM tracked AS t WHERE t.check_id = r.check_id)) AS unproposed
	FROM ` + resultRowsPG(17) + `
), m AS MATERIALIZED (
	SELECT (SELECT t FROM tracked AS t WHERE t.check_id = e AND t.bare = 1) AS t FROM unnest($16::text[]) AS e
), made AS (
	INSERT INTO checks (id, check_id, added_at, added_by, source)
	SELECT (m.t).id, (m.t).check_id, (m.t).added_at, (m.t).added_by, (m.t).source
	FROM m WHERE m.t IS NOT NULL
	ORDER BY (m.t).id
), first AS (
	` + firstInsertPG + `
	RETURNING check_id
), same AS (
	UPDATE checks AS c SET fetched_at = r.at
	FROM r WHERE c.id = r.same
	RETURNING c.check_id
), changed AS (
	UPDATE checks AS c SET
		fetched_at = r.at, outcome = 'ok', fetch_error = '', raw = r.raw, raw_hash = r.raw_hash,
		result_at = CASE WHEN c.raw IS NOT NULL AND c.purged_at IS NULL AND c.raw_hash = r.raw_hash THEN c.result_at ELSE r.at END,
		cached = 1,
		customer_id = r.customer_id, first_name = r.first_name, last_name = r.last_name, document = r.document, face = r.face,
		reasons = r.reasons, expires_on = r.expires_on, checked_on = r.checked_on, dob = r.dob, address = r.address,
		purged_at = NULL, search = r.search,
		reviewable_at = CASE WHEN c.status <> 'open' OR c.proposal <> 0 THEN c.reviewable_at
			WHEN r.needs_review THEN (CASE WHEN c.reviewable_at <> 0 THEN c.reviewable_at ELSE r.at END) ELSE 0 END
	FROM r WHERE c.id = r.unproposed AND r.same IS NULL
	RETURNING c.check_id
)
SELECT check_id FROM first UNION ALL SELECT check_id FROM same UNION ALL SELECT check_id FROM changed`

// firstResultsPG is firstOrSamePG's first results alone, for a part of
// a batch stored beside the other parts (storeFirstResultsPG): its
// parameters are firstOrSamePG's results ($1 to $15) and their
// needs_review ($16). A check another transaction gave its first result
// meanwhile (another instance's refresh) is left alone: the insert waits
// for that transaction and, once it commits, inserts nothing, so the
// result is not returned and goes on with the rest of the batch.
var firstResultsPG = `WITH r AS MATERIALIZED (
	SELECT r.*, (SELECT t FROM tracked AS t WHERE t.check_id = r.check_id AND t.bare = 1) AS t
	FROM ` + resultRowsPG(16) + `
)
` + firstInsertPG + `
ON CONFLICT DO NOTHING
RETURNING check_id`

// resultRowsPG are a batch's results as rows of r, from resultArrays'
// arrays ($1 to $15) and their needs_review ($needsReview).
func resultRowsPG(needsReview int) string {
	return fmt.Sprintf(`unnest($1::text[], $2::bigint[], $3::bytea[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[],
		$%d::boolean[])
		AS r(check_id, at, raw, raw_hash, customer_id, first_name, last_name,
		document, face, reasons, expires_on, checked_on, dob, address, search, needs_review)`, needsReview)
}

// firstInsertPG inserts the first results among the rows of r: those
// whose t, the check's tracked row while it has no result, is set.
const firstInsertPG = insertFirstResult + `
	SELECT (r.t).id, (r.t).check_id, (r.t).added_at, (r.t).added_by, (r.t).source, r.at, 'ok', '', r.raw, r.raw_hash, r.at, 1,
		r.customer_id, r.first_name, r.last_name, r.document, r.face, r.reasons,
		r.expires_on, r.checked_on, r.dob, r.address, NULL, r.search, CASE WHEN r.needs_review THEN r.at ELSE 0 END
	FROM r WHERE r.t IS NOT NULL
	ORDER BY (r.t).id`

// alongsideMin is the fewest first results a batch needs before they are
// stored ahead of the rest in parts side by side (storeFirstResultsPG);
// below it, the extra transaction costs more than the parts save (a test
// sets a Store's own, alongside). alongsideParts is how many parts: two
// server processes, one refresh's fair share of a server that others use
// too (three were no faster on a two-core machine).
const (
	alongsideMin   = 512
	alongsideParts = 2
)

// storeFirstResultsPG stores the results of a batch that may be checks'
// first results, in alongsideParts transactions at once (writeAlongside),
// each on its own connection and so its own server process, and marks in
// early those it stored. Storing a first result is most of a bulk
// refresh's work on the server (a new row in checks and each of its
// indexes), and a single statement uses one of the server's cores: at
// 100,000 checks, two parts stored a median 16,100 results a second
// where one stored 10,400 (BenchmarkRecordFetches, six rounds in turn).
//
// It takes only a check's first outcome in the batch, and only when that
// is a result: an error, or a later outcome, depends on what came before
// it and is recorded after it, in order, by the rest of RecordFetches.
// What it does not store (not a first result, a part that failed) is left
// to the rest: a part's failure is no fact about the others, and the
// rest meets it again, or not, and says so. It returns an error only when
// ctx ended.
func (s *Store) storeFirstResultsPG(ctx context.Context, ids []string, results []FetchResult, skip func(int) bool, early []bool) error {
	var firsts []int
	for _, i := range firstOutcomes(ids, skip) {
		if results[i].Err == nil {
			firsts = append(firsts, i)
		}
	}
	if len(firsts) < cmp.Or(s.alongside, alongsideMin) {
		return nil
	}
	// A nightly refresh of a store whose checks were all fetched before
	// has nothing for this to do: one look at the index of the bare
	// checks saves it a statement a batch. In its order, so that it is
	// that index the planner reads: asked only whether a bare row exists,
	// it scanned all of tracked, its statistics from before the checks
	// were fetched saying most rows were (2 ms at 20,000 checks).
	var first int64
	err := s.db.QueryRowContext(ctx, "SELECT id FROM tracked WHERE bare = 1 ORDER BY id LIMIT 1").Scan(&first)
	if err != nil {
		return ctx.Err()
	}
	parts := alongsideParts
	marks := make([][]bool, parts)
	var wg sync.WaitGroup
	for p := range parts {
		part := firsts[p*len(firsts)/parts : (p+1)*len(firsts)/parts]
		marks[p] = make([]bool, len(results))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var a resultArrays
			at := make(map[string]int, len(part))
			for _, i := range part {
				a.add(ids[i], results[i].Check, results[i].At)
				at[ids[i]] = i
			}
			what := fmt.Sprintf("storing %d first results", len(part))
			err := s.writeAlongside(ctx, what, func(tx *sqlTx) error {
				clear(marks[p])
				if _, err := tx.ExecContext(ctx, batchSettingsPG); err != nil {
					return err
				}
				return queryIDs(ctx, tx, at, marks[p], firstResultsPG, append(a.args(), a.needsReview)...)
			})
			if err != nil {
				clear(marks[p])
			}
		}()
	}
	wg.Wait()
	for _, m := range marks {
		for i, ok := range m {
			early[i] = early[i] || ok
		}
	}
	return ctx.Err()
}

// batchSettingsPG is how firstOrSamePG's transaction runs, and no other
// (set_config's true: until it ends, then the pooled connection has the
// server's settings again). Without JIT: the planner prices a batch of
// 5,000 above jit_above_cost and compiled it each time, 56 ms of a 560 ms
// statement for code that runs once. With 64 MB of work_mem: the batch's
// results (their responses among them), materialized and sorted into the
// table's order, spilled to temp files at the default 4 MB; a server set
// higher keeps its own. Writes take the write lock one at a time
// (lockWritesTx), so it is one writer's memory, not one per reviewer.
const batchSettingsPG = `SELECT set_config('jit', 'off', true),
	set_config('work_mem', CASE WHEN pg_size_bytes(current_setting('work_mem')) < 64 * 1024 * 1024
		THEN '64MB' ELSE current_setting('work_mem') END, true)`

// errorsPG records, in one statement, the failed fetches of a batch
// (recordErrorTx's update), each on the row it has or firstOrSamePG made
// it, and returns the ids it recorded: a check not tracked has no row.
// Each is its own row of the update, so the row triggers (counts, polls,
// overdue) fire for each as when it was recorded alone.
const errorsPG = `WITH e AS MATERIALIZED (
	SELECT e.*, (SELECT c.id FROM checks AS c WHERE c.check_id = e.check_id) AS id
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::boolean[])
		AS e(check_id, at, outcome, fetch_error, not_ready)
)
UPDATE checks AS c SET fetched_at = e.at, outcome = e.outcome, fetch_error = e.fetch_error,
	reviewable_at = CASE WHEN e.not_ready AND c.status = 'open' AND c.proposal = 0 THEN 0 ELSE c.reviewable_at END
FROM e WHERE c.id = e.id
RETURNING c.check_id`

// errorArrays are the columns of errorsPG's failed fetches.
type errorArrays struct {
	checkID, outcome, text []string
	at                     []int64
	notReady               []bool
}

func (a *errorArrays) add(id string, fetchErr error, at time.Time) {
	outcome, text := errorOutcome(fetchErr)
	a.checkID = append(a.checkID, id)
	a.at = append(a.at, at.UnixNano())
	a.outcome = append(a.outcome, string(outcome))
	a.text = append(a.text, text)
	a.notReady = append(a.notReady, outcome.NotReady())
}

// resultArrays are the columns of firstOrSamePG's results, one array
// each, in the order of its parameters.
type resultArrays struct {
	checkID, rawHash, customer, first, last, reasons, expires, dob, address, search []string
	at, document, face, checkedOn                                                   []int64
	raw                                                                             [][]byte
	needsReview                                                                     []bool
}

func (a *resultArrays) add(id string, chk *caisson.Check, at time.Time) {
	v := resultValuesOf(chk, at)
	a.needsReview = append(a.needsReview, needsReview(chk, at))
	a.checkID = append(a.checkID, id)
	a.at = append(a.at, v.at)
	a.raw = append(a.raw, v.raw)
	a.rawHash = append(a.rawHash, v.rawHash)
	a.customer = append(a.customer, v.customer)
	a.first = append(a.first, v.first)
	a.last = append(a.last, v.last)
	a.document = append(a.document, v.document)
	a.face = append(a.face, v.face)
	a.reasons = append(a.reasons, v.reasons)
	a.expires = append(a.expires, v.expires)
	a.checkedOn = append(a.checkedOn, v.checkedOn)
	a.dob = append(a.dob, v.dob)
	a.address = append(a.address, v.address)
	a.search = append(a.search, v.search)
}

func (a *resultArrays) args() []any {
	return []any{a.checkID, a.at, a.raw, a.rawHash, a.customer, a.first, a.last,
		a.document, a.face, a.reasons, a.expires, a.checkedOn, a.dob, a.address, a.search}
}

// recordBatchPG records in two statements (firstOrSamePG, errorsPG) the
// outcomes of a batch that are results or errors, and marks them in
// stored; tried marks those it took, stored or not (not: a changed
// response on a check with a proposal, or a check not tracked). Only a
// check's first outcome in the batch is taken: what comes after it for
// the same check depends on it, and is recorded after it one at a time,
// in order, as are responses that void a proposal. What it records
// appends nothing to the decision log (a first result has no proposal to
// void, nor has a check without one, the same response voids none, an
// error keeps the response), so taking it ahead of the rest leaves the
// log, and every row, as recording the batch in order does. skip says
// which results are not to be recorded at all.
func recordBatchPG(ctx context.Context, tx *sqlTx, ids []string, results []FetchResult, skip func(int) bool, tried, stored []bool) error {
	at := make(map[string]int, len(results))
	var a resultArrays
	var e errorArrays
	for _, i := range firstOutcomes(ids, skip) {
		r := results[i]
		// Caisson unavailable is recorded one at a time (recordErrorTx:
		// only on a check never answered); what follows for the check
		// comes after it, in order.
		if r.Err != nil && caisson.Unavailable(r.Err) {
			continue
		}
		if r.Err == nil {
			a.add(ids[i], r.Check, r.At)
		} else {
			e.add(ids[i], r.Err, r.At)
		}
		at[ids[i]] = i
		tried[i] = true
	}
	if len(at) == 0 {
		return nil
	}
	what := fmt.Sprintf("storing %d results and %d failed fetches", len(a.checkID), len(e.checkID))
	if _, err := tx.ExecContext(ctx, batchSettingsPG); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err := queryIDs(ctx, tx, at, stored, firstOrSamePG, append(a.args(), e.checkID, a.needsReview)...)
	if err == nil && len(e.checkID) > 0 {
		err = queryIDs(ctx, tx, at, stored, errorsPG, e.checkID, e.at, e.outcome, e.text, e.notReady)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	// Caisson deleted the check: its personal data goes, after its
	// outcome, as recordErrorTx does (rare: one statement each).
	for k, id := range e.checkID {
		if i := at[id]; stored[i] && e.outcome[k] == string(caisson.CodeIDCheckDeleted) {
			if _, err := tx.ExecContext(ctx, purgeSet+" WHERE check_id = ?", e.at[k], e.at[k], id); err != nil {
				return fmt.Errorf("%s: purging %s: %w", what, id, err)
			}
		}
	}
	return nil
}

// firstOutcomes are the indexes of each check's first outcome in a batch
// (ids[i] the check of the i-th), but those skip says are not recorded:
// the only ones a batch may take ahead of the rest, since what comes
// after depends on them.
func firstOutcomes(ids []string, skip func(int) bool) []int {
	seen := make(map[string]bool, len(ids))
	var firsts []int
	for i, id := range ids {
		if skip(i) || seen[id] {
			continue
		}
		seen[id] = true
		firsts = append(firsts, i)
	}
	return firsts
}

// queryIDs runs a statement returning check ids of the batch and marks
// each in stored (at: the index of each id's result).
func queryIDs(ctx context.Context, tx *sqlTx, at map[string]int, stored []bool, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		i, ok := at[id]
		if !ok {
			return errors.New("the server returned a check not in the batch")
		}
		stored[i] = true
	}
	return rows.Err()
}
