package store

import (
	"context"
	"fmt"
)

// restartIdentitiesTx moves each identity column of the target past the
// largest key CopyFrom wrote: the copy gives every row its key, which
// PostgreSQL's identity sequences do not see, and the next row the store
// adds without one (a check tracked, an access record) would otherwise
// be given key 1 again. pg_get_serial_sequence is NULL for a column that
// is no identity and max is NULL for an empty table: setval, strict, then
// does nothing.
func restartIdentitiesTx(ctx context.Context, tx *sqlTx) error {
	for _, t := range []struct{ table, column string }{
		{"tracked", "id"}, {"checks", "id"}, {"access", "id"}, {"decisions", "seq"},
	} {
		_, err := tx.ExecContext(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', '%s'), (SELECT max(%s) FROM %s))",
			t.table, t.column, t.column, t.table))
		if err != nil {
			return fmt.Errorf("continuing the keys of %s after the copy: %w", t.table, err)
		}
	}
	return nil
}
