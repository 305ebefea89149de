package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// firstOrSamePG stores, in one statement, every result of a batch that
// is a check's first result (firstResultTx's insert) or the response it
// already has again (sameResultTx's update), and returns the ids it
// stored. Each result is still its own row of the insert or the update,
// so every row trigger (counts, unbare, overdue) fires for it exactly as
// when it was stored alone; only the round trips, one per result before,
// are saved. A check is either only added (no row in checks: the insert)
// or has a row (the update), never both, so the two parts, which see the
// same snapshot, never meet on one check. The ids must be distinct.
const firstOrSamePG = `WITH r AS MATERIALIZED (
	SELECT r.*,
		(SELECT t FROM tracked AS t WHERE t.check_id = r.check_id AND t.bare = 1) AS t,
		(SELECT c.id FROM checks AS c WHERE c.check_id = r.check_id AND c.outcome = 'ok' AND c.cached = 1
			AND c.raw_hash = r.raw_hash AND c.fetch_error = '' AND c.purged_at IS NULL) AS same
	FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::bigint[])
		AS r(check_id, at, raw, raw_hash, customer_id, first_name, last_name,
		document, face, reasons, expires_on, checked_on, dob, address, search, reviewable_at)
), first AS (
	INSERT INTO checks (id, check_id, added_at, added_by, source,
		fetched_at, outcome, fetch_error, raw, raw_hash, result_at, cached,
		customer_id, first_name, last_name, document, face, reasons,
		expires_on, checked_on, dob, address, purged_at, search, reviewable_at)
	SELECT (r.t).id, (r.t).check_id, (r.t).added_at, (r.t).added_by, (r.t).source, r.at, 'ok', '', r.raw, r.raw_hash, r.at, 1,
		r.customer_id, r.first_name, r.last_name, r.document, r.face, r.reasons,
		r.expires_on, r.checked_on, r.dob, r.address, NULL, r.search, r.reviewable_at
	FROM r WHERE r.t IS NOT NULL
	ORDER BY (r.t).id
	RETURNING check_id
), same AS (
	UPDATE checks AS c SET fetched_at = r.at, result_at = r.at
	FROM r WHERE c.id = r.same
	RETURNING c.check_id
)
SELECT check_id FROM first UNION ALL SELECT check_id FROM same`

// resultArrays are the columns of firstOrSamePG's results, one array
// each, in the order of its parameters.
type resultArrays struct {
	checkID, rawHash, customer, first, last, reasons, expires, dob, address, search []string
	at, document, face, checkedOn, reviewable                                       []int64
	raw                                                                             [][]byte
}

func (a *resultArrays) add(id string, chk *caisson.Check, at time.Time) {
	v := resultValuesOf(chk, at)
	var reviewable int64
	if needsReview(chk, at) {
		reviewable = v.at
	}
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
	a.reviewable = append(a.reviewable, reviewable)
}

func (a *resultArrays) args() []any {
	return []any{a.checkID, a.at, a.raw, a.rawHash, a.customer, a.first, a.last,
		a.document, a.face, a.reasons, a.expires, a.checkedOn, a.dob, a.address, a.search, a.reviewable}
}

// recordFirstOrSamePG stores in one statement (firstOrSamePG) the results
// of a batch that are first results or the same response again, and
// marks them in stored; tried marks those it took, stored or not (not:
// a changed response, or a check not tracked). Only a check's first
// outcome in the batch is taken: what comes after it for the same check
// depends on it, and is recorded after it one at a time, in order. The results it stores
// append nothing to the decision log (a first result has no proposal to
// void, the same response voids none), so taking them ahead of the
// others leaves the log, and every row, as recording the batch in order
// does. skip says which results are not to be recorded at all.
func recordFirstOrSamePG(ctx context.Context, tx *sqlTx, ids []string, results []FetchResult, skip func(int) bool, tried, stored []bool) error {
	seen := make(map[string]bool, len(results))
	at := make(map[string]int, len(results))
	var a resultArrays
	for i, r := range results {
		if skip(i) {
			continue
		}
		if !seen[ids[i]] && r.Err == nil {
			a.add(ids[i], r.Check, r.At)
			at[ids[i]] = i
			tried[i] = true
		}
		seen[ids[i]] = true
	}
	if len(a.checkID) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, firstOrSamePG, a.args()...)
	if err != nil {
		return fmt.Errorf("storing %d first or unchanged results: %w", len(a.checkID), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("storing %d first or unchanged results: %w", len(a.checkID), err)
		}
		i, ok := at[id]
		if !ok {
			return errors.New("storing first or unchanged results: the server returned a check not in the batch")
		}
		stored[i] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storing %d first or unchanged results: %w", len(a.checkID), err)
	}
	return nil
}
