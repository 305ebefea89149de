package store

// insertSortedPG is addSortedTx's insert on PostgreSQL: the ids go in as
// one text[] parameter (pgx encodes a []string as one), which PostgreSQL
// unnests in order, as SQLite's json_each reads a JSON array. The ids
// added are still found as those above the largest id before the insert:
// tracked's id is an identity whose sequence only grows, and every insert
// into tracked runs under the store's write lock, so no other transaction
// takes a number in between.
const insertSortedPG = `INSERT INTO tracked (check_id, added_at, added_by, source)
	SELECT value, ?, ?, ? FROM unnest(?::text[]) AS value ON CONFLICT (check_id) DO NOTHING`
