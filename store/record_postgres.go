package store

// getPG is Get's read of one check on PostgreSQL: a check only added,
// which has no row in checks, is made of bareColumnsPG, whose purged is
// FALSE where SQLite's bareColumns has 0 (PostgreSQL does not unite a
// boolean with 0).
const getPG = "SELECT " + rowColumns + ", c.raw, c.raw_hash, c.added_by, c.source, c.purged_at FROM checks AS c WHERE c.check_id = ?" +
	" UNION ALL SELECT " + bareColumnsPG + ", NULL, '', t.added_by, t.source, NULL FROM tracked AS t WHERE t.check_id = ? AND t.bare = 1"
