package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"
)

// CompletionWait bounds how long CompleteCheckIDs may take: it runs on
// every tab press, and a shell that freezes while another process holds
// the database locked is worse than one that offers nothing.
const CompletionWait = 200 * time.Millisecond

// CompletedCheck is one check id offered to a shell, with its review
// status (open, approved, rejected, escalated) to show beside it. Nothing
// personal: zsh and fish print the description on screen.
type CompletedCheck struct {
	CheckID string
	Status  Status
}

// CompleteCheckIDs returns up to limit tracked check ids that start with
// prefix, in id order, for shell completion. It opens the database at
// path read-only, without migrating it or creating it (a missing file is
// an error, not a new database), and gives up after CompletionWait when
// another connection holds a lock that keeps it from reading.
func CompleteCheckIDs(ctx context.Context, path, prefix string, limit int) ([]CompletedCheck, error) {
	if limit <= 0 {
		return nil, nil
	}
	if IsPostgres(path) {
		return completeFromPostgres(ctx, path, prefix, limit)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("completing check ids from %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, CompletionWait)
	defer cancel()
	db, err := sql.Open("sqlite", completionDSN(path))
	if err != nil {
		return nil, fmt.Errorf("completing check ids from %s: %w", path, err)
	}
	defer db.Close()
	// Ids are ASCII, so every id starting with prefix sorts before
	// prefix+"\x7f": a range the unique index answers without a scan.
	rows, err := db.QueryContext(ctx,
		`SELECT t.check_id, coalesce(c.status, 'open') FROM tracked AS t LEFT JOIN checks AS c ON c.id = t.id
		 WHERE t.check_id >= ? AND t.check_id < ? ORDER BY t.check_id LIMIT ?`,
		prefix, prefix+"\x7f", limit)
	if err != nil {
		return nil, completionErr(ctx, path, err)
	}
	out, err := scanCompletions(rows)
	if err != nil {
		return nil, completionErr(ctx, path, err)
	}
	return out, nil
}

// scanCompletions reads the rows of a completion query and closes them.
func scanCompletions(rows *sql.Rows) ([]CompletedCheck, error) {
	defer rows.Close()
	var out []CompletedCheck
	for rows.Next() {
		var c CompletedCheck
		if err := rows.Scan(&c.CheckID, &c.Status); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// completionDSN opens read-only with a busy timeout below CompletionWait,
// so a lock makes SQLite give up on its own rather than wait the 5 s the
// store's own connections do.
func completionDSN(path string) string { return readOnlyDSN(path, CompletionWait*3/4) }

// readOnlyDSN opens the file at path for reading alone (nothing it runs
// can write), waiting up to wait for a lock.
func readOnlyDSN(path string, wait time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", wait.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	q.Set("mode", "ro")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func completionErr(ctx context.Context, path string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("completing check ids from %s: gave up after %s (the database is busy): %w", path, CompletionWait, err)
	}
	return fmt.Errorf("completing check ids from %s: %w", path, err)
}
