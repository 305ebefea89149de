package store

// PostgreSQL's texts of the stats' reads. Each differs from SQLite's in
// what PostgreSQL lacks or does otherwise: no INDEXED BY (the planner
// finds the indexes of 0002_read_indexes.sql), LEAST for SQLite's
// two-argument min(), to_char for date(…, 'unixepoch'), string_to_array
// for json_each over a list of codes, sum() cast back from numeric, text
// sorted byte for byte (COLLATE "C", as SQLite's BINARY) whatever the
// database's collation, and a name for every derived table.

// beginStatsPG starts Stats' one snapshot: PostgreSQL's default, READ
// COMMITTED, would give each read its own.
const beginStatsPG = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"

// waitingNowPG counts the checks waiting now (its one argument).
const waitingNowPG = "SELECT count(*) FROM checks AS c WHERE " + waitingCond + " AND c.reviewable_at <= ?"

// backlogDaysPG counts each day's arrivals and decisions. Its arguments:
// the first day's start, a day, how many days and now, in nanoseconds.
const backlogDaysPG = `WITH RECURSIVE d(i, s) AS (SELECT 0, ?1::bigint UNION ALL SELECT i + 1, s + ?2::bigint FROM d WHERE i < ?3::integer - 1)
		SELECT i,
			(SELECT count(*) FROM checks WHERE reviewable_at <> 0 AND reviewable_at >= d.s AND reviewable_at < LEAST(d.s + ?2, ?4::bigint + 1)),
			(SELECT count(*) FROM checks WHERE decided_at <> 0 AND decided_at >= d.s AND decided_at < LEAST(d.s + ?2, ?4 + 1) AND reviewable_at <> 0)
		FROM d ORDER BY i`

// reviewerDaysPG is readReviewerDays' query.
const reviewerDaysPG = `SELECT day, reviewer, action, sum(n)::bigint FROM decision_days
		WHERE day >= ? AND action IN ` + statsActions + `
		GROUP BY day, reviewer, action ORDER BY day COLLATE "C", reviewer COLLATE "C", action COLLATE "C"`

// inWeeksPG and weeksPG are readWeekWaits' range of checks_waits and its
// weeks, each with its Monday as YYYY-MM-DD.
const (
	inWeeksPG = `FROM checks WHERE decided_at <> 0 AND reviewable_at <> 0 AND decided_week `
	weeksPG   = `SELECT decided_week, to_char(DATE '1970-01-01' + (decided_week * 7 - 3)::integer, 'YYYY-MM-DD'), count(*) ` +
		inWeeksPG + `BETWEEN ? AND ? GROUP BY decided_week ORDER BY decided_week`
)

// reasonCodesPG is readReasonCodes' query: the lists "101,308" split with
// string_to_array.
const reasonCodesPG = `SELECT CAST(j.value AS integer), sum(g.n)::bigint
		FROM (SELECT c.reasons, count(*) AS n FROM checks AS c
			WHERE c.reviewable_at <> 0 AND c.reviewable_at >= ? AND c.reviewable_at <= ? AND c.reasons <> '' GROUP BY c.reasons) AS g,
			unnest(string_to_array(g.reasons, ',')) AS j(value)
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?`

// decisionReasonsPG is readDecisionReasons' query.
const decisionReasonsPG = `SELECT a, reason, n FROM (
		SELECT CASE WHEN action = 'confirm' THEN proposes ELSE action END AS a, reason, sum(n)::bigint AS n
		FROM decision_days
		WHERE day >= ? AND day <= ? AND (action IN ('reject', 'escalate') OR (action = 'confirm' AND proposes IN ('reject', 'escalate')))
		GROUP BY 1, 2) AS r
		ORDER BY n DESC, a COLLATE "C", reason COLLATE "C"`

// outcomesPG is readOutcomes' query; its arguments are the period's
// start and end. The counts are a MATERIALIZED step: PostgreSQL would
// otherwise inline them and count each range twice, for the WHERE and
// for the row.
const outcomesPG = `WITH v(x) AS (VALUES (0), (1), (2), (3)), l AS (SELECT a.x AS doc, b.x AS face FROM v AS a, v AS b),
		o AS MATERIALIZED (SELECT doc, face, ` + outcomeCountApprovedPG + ` AS a, ` + outcomeCountRejectedPG + ` AS r, ` + outcomeCountEscalatedPG + ` AS e FROM l)
		SELECT * FROM o WHERE a + r + e > 0 ORDER BY LEAST(doc, face), doc, face`

const (
	outcomeCountApprovedPG  = `(SELECT count(*) FROM checks WHERE decided_at <> 0 AND document = l.doc AND face = l.face AND status = 'approved' AND decided_at >= ?1 AND decided_at <= ?2)`
	outcomeCountRejectedPG  = `(SELECT count(*) FROM checks WHERE decided_at <> 0 AND document = l.doc AND face = l.face AND status = 'rejected' AND decided_at >= ?1 AND decided_at <= ?2)`
	outcomeCountEscalatedPG = `(SELECT count(*) FROM checks WHERE decided_at <> 0 AND document = l.doc AND face = l.face AND status = 'escalated' AND decided_at >= ?1 AND decided_at <= ?2)`
)
