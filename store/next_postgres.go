package store

import "context"

// PostgreSQL's literals for after()'s conditions that are known without
// reading a row: PostgreSQL has no integer booleans.
const falsePG, truePG = "FALSE", "TRUE"

// nextBareFirstPG is Next on PostgreSQL in a sort where the bare checks
// come before every checks row (selection.bareFirst): a text sort key
// has no value below every name or customer id, as SQLite's -1 is, so
// the two sides are not merged but read in turn, each a walk of its own
// index, as partsPage reads a page. After a bare check (or from the
// start) come the bare checks added after it, then the first checks row;
// after a checks row, the checks rows that sort after it.
func (s *Store) nextBareFirstPG(ctx context.Context, q rowQuerier, sel *selection, keys, bare []sortKey, afterID string) (string, bool, error) {
	var id string
	var bareID int64
	if afterID != "" {
		vals, err := s.sortValues(ctx, q, keys, bare, afterID)
		if err != nil {
			return "", false, err
		}
		if !fromBare(vals) {
			cond, args := after(keys, vals, true)
			sel.add(cond, args...)
			return s.firstID(ctx, q, "SELECT c.check_id "+sel.sql()+orderBy(keys), sel.args, &id)
		}
		bareID = vals[len(vals)-1].(int64)
	}
	id, ok, err := s.firstID(ctx, q, "SELECT t.check_id "+sel.bare.sql()+" AND t.id > ? ORDER BY t.id", append(sel.bare.args, bareID), &id)
	if ok || err != nil {
		return id, ok, err
	}
	return s.firstID(ctx, q, "SELECT c.check_id "+sel.sql()+orderBy(keys), sel.args, &id)
}

// fromBare reports whether vals, read by sortValues in a bareFirst sort,
// are a bare check's: its first key, -1 or NULL (bareKeysPG), is one no
// checks row has (a confidence, a name or a customer id).
func fromBare(vals []any) bool { return vals[0] == nil || vals[0] == int64(-1) }
