package store

// PostgreSQL's count terms: those of countTerms that name an index, without
// SQLite's INDEXED BY; the planner finds checks_open_count and
// checks_waiting (0002_read_indexes.sql) for their ranges itself.
var countTermsPG = map[Queue]string{
	QueueNeedsReview: "q.risky + q.expired + " + expiredSincePG,
	CountOverdue:     overdueTermPG,
}

// expiredSincePG is expiredSince on PostgreSQL.
const expiredSincePG = `CASE
	WHEN q.expired_before < ? THEN (SELECT count(*) FROM checks AS c WHERE ` + openCond + `
		AND c.document = 3 AND c.face = 3 AND c.expires_on >= q.expired_before AND c.expires_on < ?)
	WHEN q.expired_before > ? THEN -(SELECT count(*) FROM checks AS c WHERE ` + openCond + `
		AND c.document = 3 AND c.face = 3 AND c.expires_on >= ? AND c.expires_on < q.expired_before)
	ELSE 0 END`
