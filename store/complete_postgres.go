package store

import (
	"context"
	"database/sql"
	"fmt"
)

// completeFromPostgres is CompleteCheckIDs for a store on PostgreSQL: one
// connection, no migration, one query, all within CompletionWait. The
// location is shown only redacted: it may hold a password.
func completeFromPostgres(ctx context.Context, location, prefix string, limit int) ([]CompletedCheck, error) {
	ctx, cancel := context.WithTimeout(ctx, CompletionWait)
	defer cancel()
	db, err := sql.Open("pgx", location)
	if err != nil {
		return nil, fmt.Errorf("completing check ids from %s: %w", Redact(location), err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, rebind(true, completionPG), likeLiteral(prefix)+"%", limit)
	if err != nil {
		return nil, completionErr(ctx, Redact(location), err)
	}
	out, err := scanCompletions(rows)
	if err != nil {
		return nil, completionErr(ctx, Redact(location), err)
	}
	return out, nil
}

// completionPG is the completion query on PostgreSQL: ids by their start
// and in byte order (COLLATE "C": tracked's unique index), as SQLite's range
// of its unique index gives them.
const completionPG = `SELECT t.check_id, coalesce(c.status, 'open') FROM tracked AS t LEFT JOIN checks AS c ON c.id = t.id
	WHERE t.check_id COLLATE "C" LIKE ? ORDER BY t.check_id COLLATE "C" LIMIT ?`
