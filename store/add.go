package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/caisson-review/caisson-review/caisson"
)

// AddResult says what AddMany did with each input line.
type AddResult struct {
	Added    []string // newly tracked check ids, in input order
	Existing []string // already tracked (or repeated in the input)
	Refused  []Refusal
}

// Refusal is one input line that is not a check id.
type Refusal struct {
	Input string // the line, for the person who typed it; sanitize before showing
	Line  int    // from 1
	Err   error
}

func (r Refusal) Error() string { return fmt.Sprintf("line %d: %v", r.Line, r.Err) }

const insertCheck = `INSERT INTO checks (check_id, added_at, added_by, source)
	VALUES (?, ?, ?, ?) ON CONFLICT (check_id) DO NOTHING`

// addChunk is how many rows one INSERT of AddMany carries: one statement
// per id costs more in the driver than SQLite spends inserting it.
const addChunk = 250

// Add starts tracking a check id. added is false, with no error, when it
// is already tracked. An invalid id is refused before it reaches the table.
func (s *Store) Add(ctx context.Context, checkID, by string, src Source) (bool, error) {
	id, err := caisson.ParseCheckID(checkID)
	if err != nil {
		return false, err
	}
	if err := validSource(src); err != nil {
		return false, err
	}
	var added bool
	err = s.write(ctx, "adding "+id, func(tx *sql.Tx) error {
		added, err = addTx(ctx, tx, id, by, src, s.now().UnixNano())
		return err
	})
	return added, err
}

// AddMany adds many ids in one transaction: all of them or, on a database
// error, none. Blank lines are skipped; invalid lines are refused, not
// fatal.
func (s *Store) AddMany(ctx context.Context, ids []string, by string, src Source) (AddResult, error) {
	if err := validSource(src); err != nil {
		return AddResult{}, err
	}
	var res AddResult
	var valid, order []string // order: every valid line, repeats included
	line := map[string]int{}
	for i, in := range ids {
		if strings.TrimSpace(in) == "" {
			continue
		}
		id, err := caisson.ParseCheckID(in)
		if err != nil {
			res.Refused = append(res.Refused, Refusal{Input: in, Line: i + 1, Err: err})
			continue
		}
		order = append(order, id)
		if _, dup := line[id]; dup {
			continue
		}
		line[id] = i + 1
		valid = append(valid, id)
	}
	var added map[string]bool
	err := s.write(ctx, "adding check ids", func(tx *sql.Tx) error {
		added = make(map[string]bool, len(valid))
		now := s.now().UnixNano()
		var full *sql.Stmt // the statement for a whole chunk, prepared once
		if len(valid) >= addChunk {
			var err error
			if full, err = tx.PrepareContext(ctx, addChunkSQL(addChunk)); err != nil {
				return err
			}
			defer full.Close()
		}
		for start := 0; start < len(valid); start += addChunk {
			chunk := valid[start:min(start+addChunk, len(valid))]
			if err := addChunkTx(ctx, tx, full, chunk, by, src, now, added); err != nil {
				return fmt.Errorf("lines %d to %d: %w", line[chunk[0]], line[chunk[len(chunk)-1]], err)
			}
		}
		return nil
	})
	if err != nil {
		return AddResult{Refused: res.Refused}, err
	}
	for _, id := range order {
		if added[id] {
			res.Added = append(res.Added, id)
			delete(added, id) // a repeat later in the input already exists
		} else {
			res.Existing = append(res.Existing, id)
		}
	}
	return res, nil
}

// addChunkSQL is one INSERT of n rows that returns the ids it added.
func addChunkSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO checks (check_id, added_at, added_by, source) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?)")
	}
	b.WriteString(" ON CONFLICT (check_id) DO NOTHING RETURNING check_id")
	return b.String()
}

// addChunkTx inserts ids in one statement (full when it has addChunk
// ids) and marks in added those that were new.
func addChunkTx(ctx context.Context, tx *sql.Tx, full *sql.Stmt, ids []string, by string, src Source, now int64, added map[string]bool) error {
	args := make([]any, 0, 4*len(ids))
	for _, id := range ids {
		args = append(args, id, now, by, string(src))
	}
	var rows *sql.Rows
	var err error
	if len(ids) == addChunk && full != nil {
		rows, err = full.QueryContext(ctx, args...)
	} else {
		rows, err = tx.QueryContext(ctx, addChunkSQL(len(ids)), args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		added[id] = true
	}
	return rows.Err()
}

func addTx(ctx context.Context, tx *sql.Tx, id, by string, src Source, now int64) (bool, error) {
	r, err := tx.ExecContext(ctx, insertCheck, id, now, by, string(src))
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

func validSource(src Source) error {
	switch src {
	case SourceTyped, SourceImported, SourceExchanged:
		return nil
	}
	return fmt.Errorf("source %q: expected typed, imported or exchanged", src)
}

// searchText is what the text filter matches besides the check id:
// lower-cased so that the filter is case-insensitive for every script, not
// just ASCII, and "" when there is nothing to match (nothing to index).
func searchText(customerID, first, last string) string {
	if customerID+first+last == "" {
		return ""
	}
	return strings.ToLower(customerID + "\x1f" + first + "\x1f" + last)
}

// exists reports whether the check is tracked.
func existsTx(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM checks WHERE check_id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	return err
}
