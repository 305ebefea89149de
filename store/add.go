package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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

// A check is added to the narrow tracked table only; its wide row in
// checks comes with its first fetch or decision (0004_tracked.sql).
const insertCheck = `INSERT INTO tracked (check_id, added_at, added_by, source)
	VALUES (?, ?, ?, ?) ON CONFLICT (check_id) DO NOTHING`

// Add starts tracking a check id. added is false, with no error, when it
// is already tracked. An invalid id is refused before it reaches the table.
func (s *Store) Add(ctx context.Context, checkID, by string, src Source) (bool, error) {
	id, err := caisson.ParseCheckID(checkID)
	if err != nil {
		return false, err
	}
	if err := validAdder(by, src); err != nil {
		return false, err
	}
	var added bool
	err = s.write(ctx, "adding "+id, func(tx *sqlTx) error {
		added, err = addTx(ctx, tx, id, by, src, s.now().UnixNano())
		return err
	})
	return added, err
}

// AddMany adds many ids in one transaction: all of them or, on a database
// error, none. Blank lines are skipped; invalid lines are refused, not
// fatal.
func (s *Store) AddMany(ctx context.Context, ids []string, by string, src Source) (AddResult, error) {
	if err := validAdder(by, src); err != nil {
		return AddResult{}, err
	}
	var res AddResult
	order := make([]string, 0, len(ids)) // every valid line, repeats included
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
	}
	// Insert in key order: each id then lands at the right-hand edge of
	// the check_id index instead of at a random page, which makes a large
	// import several times faster (random base64 ids otherwise touch a
	// different index page for every row). Sorting also finds repeats
	// without a map. Input order is kept in res.
	sorted := slices.Clone(order)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var added map[string]bool
	err := s.write(ctx, "adding check ids", func(tx *sqlTx) error {
		var err error
		added, err = addSortedTx(ctx, tx, sorted, by, src, s.now().UnixNano())
		if err != nil && len(sorted) > 0 {
			if len(sorted) == 1 {
				return fmt.Errorf("adding 1 check id: %w", err)
			}
			return fmt.Errorf("adding %d check ids: %w", len(sorted), err)
		}
		return err
	})
	if err != nil {
		return AddResult{Refused: res.Refused}, err
	}
	switch {
	case added == nil && len(sorted) == len(order):
		// Every line a new id, each once: the common import.
		res.Added = order
	case added == nil:
		// Every id new, some on several lines: the first adds it.
		seen := make(map[string]bool, len(sorted))
		for _, id := range order {
			if seen[id] {
				res.Existing = append(res.Existing, id)
			} else {
				seen[id] = true
				res.Added = append(res.Added, id)
			}
		}
	default:
		for _, id := range order {
			if added[id] {
				res.Added = append(res.Added, id)
				delete(added, id) // a repeat later in the input already exists
			} else {
				res.Existing = append(res.Existing, id)
			}
		}
	}
	return res, nil
}

// addSortedTx inserts ids, which must be sorted and distinct, in one
// statement: they go in as one JSON array rather than as a bound
// parameter each, and without RETURNING, which together were most of the
// time of adding 100,000 ids. A new row always gets a rowid above every
// row before it (no id is ever given one), so the ids added are those
// above the largest rowid before the insert; when every id was new, as
// in a first import, there is nothing to read back, and the map is nil.
func addSortedTx(ctx context.Context, tx *sqlTx, ids []string, by string, src Source, now int64) (map[string]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var before int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM tracked").Scan(&before); err != nil {
		return nil, err
	}
	var r sql.Result
	var err error
	if tx.pg {
		r, err = tx.ExecContext(ctx, insertSortedPG, now, by, string(src), ids)
	} else {
		r, err = tx.ExecContext(ctx, `INSERT INTO tracked (check_id, added_at, added_by, source)
		SELECT value, ?, ?, ? FROM json_each(?) WHERE true ON CONFLICT (check_id) DO NOTHING`,
			now, by, string(src), idArray(ids))
	}
	if err != nil {
		return nil, err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return nil, err
	}
	if err := countTrackedTx(ctx, tx, n); err != nil {
		return nil, err
	}
	if int(n) == len(ids) {
		return nil, nil
	}
	added := make(map[string]bool, n)
	rows, err := tx.QueryContext(ctx, "SELECT check_id FROM tracked WHERE id > ?", before)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		added[id] = true
	}
	return added, rows.Err()
}

// idArray writes ids as a JSON array of strings. Check ids are validated
// URL-safe base64 after their prefix, so no character needs escaping.
func idArray(ids []string) string {
	size := 2
	for _, id := range ids {
		size += len(id) + 3
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(id)
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String()
}

func addTx(ctx context.Context, tx *sqlTx, id, by string, src Source, now int64) (bool, error) {
	r, err := tx.ExecContext(ctx, insertCheck, id, now, by, string(src))
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, countTrackedTx(ctx, tx, n)
}

// countTrackedTx adds n newly tracked checks to the all queue's kept
// count. Store code rather than a trigger on tracked: a trigger program
// per inserted id would slow an import of a million ids by about a third
// (0007_queue_counts.sql).
func countTrackedTx(ctx context.Context, tx *sqlTx, n int64) error {
	if n == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, "UPDATE queue_counts SET tracked = tracked + ?", n)
	return err
}

// validAdder checks who adds and how, before anything is written.
func validAdder(by string, src Source) error {
	if err := storableText("the name of who adds", by); err != nil {
		return fmt.Errorf("%w: nothing was added", err)
	}
	return validSource(src)
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

// checkRowTx gives a tracked check its row in checks, created from its
// tracked row with the same id if it has none yet: a fetch or a decision
// writes there. ErrNotFound when the check is not tracked.
func checkRowTx(ctx context.Context, tx execer, id string) error {
	r, err := tx.ExecContext(ctx, `INSERT INTO checks (id, check_id, added_at, added_by, source)
		SELECT id, check_id, added_at, added_by, source FROM tracked WHERE check_id = ? AND bare = 1`, id)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var one int
	err = tx.QueryRowContext(ctx, "SELECT 1 FROM tracked WHERE check_id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	return err
}
