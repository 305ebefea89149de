package store

// setStatusPG is setStatusTx's update on PostgreSQL. The restart time is
// cast: compared with the literal 0, PostgreSQL would type the parameter
// integer (32 bits), which no time in nanoseconds fits.
const setStatusPG = `UPDATE checks SET status = ?, proposal = 0, decided_at = ?,
	reviewable_at = CASE WHEN ?::bigint > 0 AND reviewable_at > 0 THEN ?::bigint ELSE reviewable_at END
	WHERE check_id = ?`

// appendAndTallyPG is appendTx on PostgreSQL: the entry (appendEntry) and
// its count in decision_days in one statement, a round trip fewer. A
// data-modifying WITH runs whole whether or not the query reads it, and a
// failure of either part fails both. The count wants the conflict's
// columns named for DO UPDATE and the old count qualified (n alone could
// be the excluded row's).
const appendAndTallyPG = `WITH entry AS (` + appendEntry + `)
	INSERT INTO decision_days (day, reviewer, action, proposes, reason, n) VALUES (?, ?, ?, ?, ?, 1)
	ON CONFLICT (day, action, reviewer, proposes, reason) DO UPDATE SET n = decision_days.n + 1`
