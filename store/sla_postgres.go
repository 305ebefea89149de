package store

// overdueTermPG is overdueTerm on PostgreSQL, without SQLite's INDEXED BY:
// both ranges are of checks_waiting (0002_read_indexes.sql).
const overdueTermPG = `CASE WHEN q.sla = 0 THEN 0 ELSE q.overdue + CASE
	WHEN q.overdue_before < ? - q.sla THEN (SELECT count(*) FROM checks AS c WHERE ` + waitingCond + `
		AND c.reviewable_at >= q.overdue_before AND c.reviewable_at < ? - q.sla)
	WHEN q.overdue_before > ? - q.sla THEN -(SELECT count(*) FROM checks AS c WHERE ` + waitingCond + `
		AND c.reviewable_at >= ? - q.sla AND c.reviewable_at < q.overdue_before)
	ELSE 0 END END`

// recountOverduePG is recountOverdueTx's statement on PostgreSQL.
const recountOverduePG = `UPDATE queue_counts SET sla = ?, overdue_before = ?,
		overdue = (SELECT count(*) FROM checks AS c WHERE ` + waitingCond + ` AND c.reviewable_at < ?)`
