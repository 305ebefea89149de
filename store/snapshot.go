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

// snapshot begins one. The queries it will run through prepared
// statements are prepared first,
// on the pool, before the transaction holds a connection: prepared inside
// it, each would wait for a second connection, and as many snapshots as
// the pool has connections (four on SQLite) then waited for each other
// until their deadline. A query not prepared so runs unprepared.
func (s *Store) snapshot(ctx context.Context, queries ...string) (*snapshot, error) {
	for _, q := range queries {
		if _, err := s.prepared(ctx, q); err != nil {
			return nil, err
		}
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &snapshot{s: s, tx: tx}, nil
}

// close ends the snapshot; it wrote nothing, so nothing is lost.
func (r *snapshot) close() { _ = r.tx.Rollback() }

// stmt is the transaction's copy of query's prepared statement (database/sql
// reuses the one prepared on the transaction's connection, if there is
// one), or nil when the Store has not prepared query: the snapshot never
// takes a second connection to prepare it.
func (r *snapshot) stmt(ctx context.Context, query string) *sql.Stmt {
	st, ok := r.s.stmts.Load(query)
	if !ok {
		return nil
	}
	return r.tx.Tx.StmtContext(ctx, st.(*sql.Stmt))
}

func (r *snapshot) read(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.tx.QueryContext(ctx, query, args...)
}

func (r *snapshot) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.tx.QueryRowContext(ctx, query, args...)
}

// QueryRowContext runs query on the snapshot's transaction, for the
// reads that are not prepared (firstID, sortValues).
func (r *snapshot) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.tx.QueryRowContext(ctx, query, args...)
}
