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

const insertCheck = `INSERT INTO checks (check_id, added_at, added_by, source, search)
	VALUES (?, ?, ?, ?, ?) ON CONFLICT (check_id) DO NOTHING`

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
	err := s.write(ctx, "adding check ids", func(tx *sql.Tx) error {
		res = AddResult{}
		stmt, err := tx.PrepareContext(ctx, insertCheck)
		if err != nil {
			return err
		}
		defer stmt.Close()
		now := s.now().UnixNano()
		for i, line := range ids {
			if strings.TrimSpace(line) == "" {
				continue
			}
			id, err := caisson.ParseCheckID(line)
			if err != nil {
				res.Refused = append(res.Refused, Refusal{Input: line, Line: i + 1, Err: err})
				continue
			}
			r, err := stmt.ExecContext(ctx, id, now, by, string(src), searchText(id, "", "", ""))
			if err != nil {
				return fmt.Errorf("line %d: %w", i+1, err)
			}
			if n, _ := r.RowsAffected(); n == 1 {
				res.Added = append(res.Added, id)
			} else {
				res.Existing = append(res.Existing, id)
			}
		}
		return nil
	})
	if err != nil {
		return AddResult{}, err
	}
	return res, nil
}

func addTx(ctx context.Context, tx *sql.Tx, id, by string, src Source, now int64) (bool, error) {
	r, err := tx.ExecContext(ctx, insertCheck, id, now, by, string(src), searchText(id, "", "", ""))
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

// searchText is what the text filter matches: lower-cased so that the
// filter is case-insensitive for every script, not just ASCII.
func searchText(checkID, customerID, first, last string) string {
	return strings.ToLower(checkID + "\x1f" + customerID + "\x1f" + first + "\x1f" + last)
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
