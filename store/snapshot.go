package store

import (
	"context"
	"database/sql"
)

// reader runs the store's reads through statements prepared once
// (Store.prepared): the Store itself, where each read sees the store as
// it is when it runs, or a snapshot, where every read sees it as it was
// at the snapshot's first.
type reader interface {
	read(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	readRow(ctx context.Context, query string, args ...any) *sql.Row
}

// snapshot is a read-only transaction: the reads of one answer made of
// several statements (a page read in parts, Next's parts) see one state
// of the store, so that a check a refresh moves between two of them is
// neither listed twice nor missed. On SQLite a deferred read transaction
// is one snapshot by itself (WAL); PostgreSQL's is RepeatableRead.
type snapshot struct {
	s  *Store
	tx *sqlTx
}

func (s *Store) snapshot(ctx context.Context) (*snapshot, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &snapshot{s: s, tx: tx}, nil
}

// close ends the snapshot; it wrote nothing, so nothing is lost.
func (r *snapshot) close() { _ = r.tx.Rollback() }

func (r *snapshot) read(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := r.s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	// The transaction's copy of the statement: database/sql reuses the
	// one prepared on the transaction's connection, if there is one.
	return r.tx.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

func (r *snapshot) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := r.s.prepared(ctx, query)
	if err != nil {
		// The unprepared query reports the same error through its Row.
		return r.tx.QueryRowContext(ctx, query, args...)
	}
	return r.tx.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

// QueryRowContext runs query on the snapshot's transaction, for the
// reads that are not prepared (firstID, sortValues).
func (r *snapshot) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.tx.QueryRowContext(ctx, query, args...)
}
