package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// copyLockKey marks a PostgreSQL source while a copy reads it.
const copyLockKey int64 = 0x63616973736f6e03 // "caisson" 3

// copyTargetKey marks a PostgreSQL target while a copy fills it
// (holdCopyTarget).
const copyTargetKey int64 = 0x63616973736f6e05 // "caisson" 5

// notOneDatabase refuses a copy whose source and target are one
// PostgreSQL database named two ways (localhost and 127.0.0.1, another
// parameter), which the text of the URLs cannot tell: it found the
// source "already copied" and exited 0. Advisory locks are the
// database's, so the target cannot take the lock the source's snapshot
// holds.
func notOneDatabase(ctx context.Context, src *sqlTx, to *Store) error {
	var marked bool
	if err := src.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock(?)", copyLockKey).Scan(&marked); err != nil {
		return fmt.Errorf("marking the source for the copy: %w", err)
	}
	if !marked {
		return errors.New("another migrate-store is copying this source now: wait for it to end; nothing was copied")
	}
	conn, err := to.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("checking the target is another database: %w", err)
	}
	defer conn.Close()
	var free bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?)", copyLockKey).Scan(&free); err != nil {
		return fmt.Errorf("checking the target is another database: %w", err)
	}
	if !free {
		return errors.New("--from and --to are one PostgreSQL database (named two ways), or the target is the source of a copy running now: expected two stores; nothing was copied")
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?)", copyLockKey); err != nil {
		return fmt.Errorf("checking the target is another database: %w", err)
	}
	return nil
}

// holdCopyTarget takes, for the whole copy, the lock that says a copy is
// filling this database, on a connection of its own (a session lock: the
// copy is many transactions), and returns its release. A second copy into
// the same target while one runs is refused: it met the first's rows on
// their keys and failed with a duplicate key, advising to run it again.
func holdCopyTarget(ctx context.Context, to *Store) (release func(), err error) {
	conn, err := to.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("marking the target for the copy: %w", err)
	}
	var free bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?)", copyTargetKey).Scan(&free); err != nil {
		conn.Close()
		return nil, fmt.Errorf("marking the target for the copy: %w", err)
	}
	if !free {
		conn.Close()
		return nil, errors.New("another migrate-store is copying into this database now: wait for it to end (run it again then, if it stopped before its end); nothing was copied")
	}
	return func() {
		conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(?)", copyTargetKey)
		conn.Close()
	}, nil
}

// identityColumns are the target's keys restartIdentitiesTx moves on.
var identityColumns = []struct{ table, column string }{
	{"tracked", "id"}, {"checks", "id"}, {"access", "id"}, {"decisions", "seq"},
}

// canRestartIdentities refuses, before anything is copied, a target whose
// role may not move those keys on (UPDATE on their sequences): the
// day-to-day role of docs/postgres-grants.sql may not. Found only at the
// end, it left every row copied and the copy unfinished, a store that
// took commands but failed its first add on a key already used.
func canRestartIdentities(ctx context.Context, s *Store) error {
	for _, t := range identityColumns {
		var role, seq string
		var may bool
		err := s.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT current_user, coalesce(pg_get_serial_sequence('%s', '%s'), ''),
			coalesce(has_sequence_privilege(pg_get_serial_sequence('%s', '%s'), 'UPDATE'), true)`,
			t.table, t.column, t.table, t.column)).Scan(&role, &seq, &may)
		if err != nil {
			return fmt.Errorf("checking that the target's role may continue the keys of %s after the copy: %w", t.table, err)
		}
		if !may {
			// In the words a refused setval gets (explainPermission).
			seq = strings.TrimPrefix(seq, "public.")
			return fmt.Errorf("the role %q may not set the sequence %s, as only migrate-store does: run migrate-store as the role that owns caisson-review's tables (the day-to-day role of %s has no grant on sequences); nothing was copied",
				role, seq, grantsScript)
		}
	}
	return nil
}

// restartIdentitiesTx moves each identity column of the target past the
// largest key CopyFrom wrote: the copy gives every row its key, which
// PostgreSQL's identity sequences do not see, and the next row the store
// adds without one (a check tracked, an access record) would otherwise
// be given key 1 again. pg_get_serial_sequence is NULL for a column that
// is no identity and max is NULL for an empty table: setval, strict, then
// does nothing.
func restartIdentitiesTx(ctx context.Context, tx *sqlTx) error {
	for _, t := range identityColumns {
		_, err := tx.ExecContext(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', '%s'), (SELECT max(%s) FROM %s))",
			t.table, t.column, t.column, t.table))
		if err != nil {
			return fmt.Errorf("continuing the keys of %s after the copy: %w", t.table, err)
		}
	}
	return nil
}
