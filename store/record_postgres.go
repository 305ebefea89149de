package store

// getPG is Get's read of one check on PostgreSQL. A check only added has
// no row in checks; its row is made of literals, with FALSE where
// rowColumns has purged_at IS NOT NULL: PostgreSQL does not unite a
// boolean column with SQLite's 0.
const getPG = "SELECT " + rowColumns + ", c.raw, c.raw_hash, c.added_by, c.source, c.purged_at FROM checks AS c WHERE c.check_id = ?" +
	" UNION ALL SELECT t.check_id, '', '', '', 0, 0, '', '', 0, t.added_at, 'open', '', '', NULL, FALSE, 0, 0, 0" +
	", NULL, '', t.added_by, t.source, NULL FROM tracked AS t WHERE t.check_id = ? AND t.bare = 1"
