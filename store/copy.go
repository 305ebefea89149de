package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
)

// Moving a team from one store to another (migrate-store): CopyFrom copies
// every row a store holds, table by table in key order, in transactions of
// a few thousand rows on the target, through the same sqlDB and sqlTx as
// every other statement of the store, so the one copier serves SQLite and
// PostgreSQL in either direction.
//
// Its progress is the target itself: each batch commits its rows together
// with what they count (queue counts, the stats' tally, the search index,
// the poll state), so the largest key of each table on the target is
// exactly how far the copy got. A run stopped anywhere is run again from
// there: the target is then a prefix of the source, table by table, which
// is how CopyFrom tells an unfinished copy of this source from a store in
// use, and refuses the latter.

// DefaultCopyBatch is how many rows one transaction of the target holds
// when CopyOptions.BatchSize is 0.
const DefaultCopyBatch = 2000

// CopyOptions tune CopyFrom; the zero value is the default.
type CopyOptions struct {
	// BatchSize is the most rows in one transaction of the target.
	BatchSize int
	// Progress, when set, is called after each batch is committed on the
	// target (and once before the first), from CopyFrom's goroutine.
	Progress func(CopyProgress)
}

// CopyProgress is how far a copy is: rows on the target of the rows the
// source holds, all tables together, and the table being copied.
type CopyProgress struct {
	Table       string // in words: "tracked checks", "decisions", …
	Done, Total int64
}

// CopyReport is what a copy found and did.
type CopyReport struct {
	// Resumed is set when the target already held part (or all) of the
	// source: an earlier run of the copy stopped before its end.
	Resumed bool
	// Copied is how many rows this run wrote, all tables together.
	Copied int64
	// Rows on the target, per table, once the copy is done: the same as
	// the source's.
	Tracked, Checks, Decisions, Access, Exchanges int64
	// SourceHead and TargetHead are the heads of the two decision logs,
	// which a finished copy has equal.
	SourceHead, TargetHead Head
}

// ErrTargetNotEmpty refuses a copy into a store that holds anything that
// is not an unfinished copy of the source.
var ErrTargetNotEmpty = errors.New("the target store is not empty")

// ErrUnfinishedCopy refuses a write to a store that migrate-store has not
// finished filling (its unfinished_copy row, migration 14): the access
// log or the exchanges may still be missing, and a write would make the
// copy impossible to finish.
var ErrUnfinishedCopy = errors.New("the store is an unfinished copy")

// noteUnfinishedCopy reads whether the store is an unfinished copy, and
// says so once at Open (unless it is a copy's target, AsCopyTarget).
func (s *Store) noteUnfinishedCopy(ctx context.Context) error {
	var source string
	err := s.db.QueryRowContext(ctx, "SELECT source FROM unfinished_copy WHERE one = 1").Scan(&source)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading whether the store is an unfinished copy: %w", err)
	}
	s.unfinished.Store(&source)
	if !s.copying.Load() {
		w := fmt.Sprintf("this store is an unfinished copy of %s: migrate-store stopped before its end, and nothing will be written to it until the same migrate-store, run again, finishes it", source)
		s.warnings = append(s.warnings, w)
		fmt.Fprintf(s.warn, "caisson-review: WARNING: %s\n", w)
	}
	return nil
}

// CopyableSource refuses, with ErrUnfinishedCopy, a source that is itself
// an unfinished copy: a copy of it would look whole and not be. CopyFrom
// asks it first; a front end may ask before it makes a target.
func (s *Store) CopyableSource() error {
	if source := s.unfinished.Load(); source != nil {
		return fmt.Errorf("the source: %w of %s: finish that copy first (the same migrate-store, run again); nothing was copied", ErrUnfinishedCopy, *source)
	}
	return nil
}

// ShowsPersonalData refuses, with ErrUnfinishedCopy, to let a front end
// show personal data from an unfinished copy: showing it writes an access
// record, which such a store refuses like every write, and a front end
// that went on anyway (as it does on a full disk, saying so) showed a
// store that is not to be used yet with no record of who looked
// (helper-57). A copy finished since the Store was opened is no longer
// refused. nil for any other store.
func (s *Store) ShowsPersonalData(ctx context.Context) error {
	if err := s.refuseUnfinished(ctx); err != nil {
		return fmt.Errorf("personal data is shown only with a record in the access log, which this store cannot take: %w", err)
	}
	return nil
}

// refuseUnfinished refuses a write to an unfinished copy but the copy's.
// The mark is read again before refusing: the copy may have finished
// since this Store was opened (a console left open across it).
func (s *Store) refuseUnfinished(ctx context.Context) error {
	source := s.unfinished.Load()
	if source == nil || s.copying.Load() {
		return nil
	}
	var still int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM unfinished_copy").Scan(&still)
	if err == nil && still == 0 {
		s.unfinished.Store(nil)
		return nil
	}
	return fmt.Errorf("%w of %s (migrate-store stopped before its end): run the same migrate-store again to finish it, then use the store; nothing was written", ErrUnfinishedCopy, *source)
}

// ErrSourceUnverified refuses a copy of a store whose decision log does
// not verify: a copy would carry the damage to a store that looks new.
var ErrSourceUnverified = errors.New("the source's logs do not verify")

// colKind is how a column is read and written: typed, so that each value
// crosses from one driver to the other as what it is (a response stays
// bytes, a NULL stays NULL).
type colKind byte

const (
	colInt      colKind = iota // INTEGER / bigint NOT NULL
	colNullInt                 // INTEGER / bigint, NULL allowed
	colText                    // TEXT NOT NULL
	colNullText                // TEXT, NULL allowed
	colBlob                    // BLOB / bytea, NULL allowed
	// colOwnText is TEXT NOT NULL the store wrote in its own words, read
	// as UTF-8: an SQLite store written before f6dc1af may hold a failed
	// fetch's error text cut at 500 bytes through a character, which
	// PostgreSQL's text refuses, so that the store could never be copied
	// there. The cut character's bytes are dropped, leaving the text a
	// build since then stores. No hashed column is of this kind: mending
	// one would break the chain a copy must carry.
	colOwnText
)

type copyColumn struct {
	name string
	kind colKind
}

// copyTable is one table as CopyFrom copies it: its columns (the stored
// ones: generated columns are computed by the target), the first being
// the key it is copied in order of, and what else the target must write
// in the same transaction as a batch of its rows.
type copyTable struct {
	name    string
	what    string // in words, for progress and errors
	columns []copyColumn
	// mutable tables have rows the store updates (a refresh, a
	// decision): resuming compares every row already copied with the
	// source's, since the source may have changed between two runs.
	// The logs are append-only: their last row stands for the rest.
	mutable bool
	// afterBatch writes, in the batch's transaction, what the rows
	// imply on the target: counts, indexes kept by the store's code.
	afterBatch func(c *copier, ctx context.Context, tx *sqlTx, rows [][]any) error
}

func (t copyTable) key() string { return t.columns[0].name }

func (t copyTable) columnList() string {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

func (t copyTable) insert() string {
	return "INSERT INTO " + t.name + " (" + t.columnList() + ") VALUES (?" + strings.Repeat(", ?", len(t.columns)-1) + ")"
}

// copiedTables are the tables CopyFrom copies by key, in the order it
// copies them: a check's row needs its tracked row (checks_unbare), and a
// decision needs its check's row (the foreign key). Schema version 10.
var copiedTables = []copyTable{
	{
		name: "tracked", what: "tracked checks", mutable: true,
		columns: []copyColumn{
			{"id", colInt}, {"check_id", colText}, {"added_at", colInt}, {"added_by", colText}, {"source", colText}, {"bare", colInt},
		},
		afterBatch: func(_ *copier, ctx context.Context, tx *sqlTx, rows [][]any) error {
			// No trigger counts tracked rows (0007): the store's code does.
			return countTrackedTx(ctx, tx, int64(len(rows)))
		},
	},
	{
		name: "checks", what: "checks with results", mutable: true,
		columns: []copyColumn{
			{"id", colInt}, {"check_id", colText}, {"added_at", colInt}, {"added_by", colText}, {"source", colText},
			{"fetched_at", colNullInt}, {"outcome", colText}, {"fetch_error", colOwnText}, {"raw", colBlob}, {"raw_hash", colText},
			{"result_at", colNullInt}, {"cached", colInt}, {"customer_id", colText}, {"first_name", colText}, {"last_name", colText},
			{"document", colInt}, {"face", colInt}, {"reasons", colText}, {"expires_on", colText}, {"checked_on", colInt},
			{"dob", colText}, {"address", colText}, {"purged_at", colNullInt}, {"status", colText}, {"search", colText},
			{"proposal", colInt}, {"reviewable_at", colInt}, {"decided_at", colInt},
		},
		afterBatch: (*copier).afterChecks,
	},
	{
		name: "decisions", what: "decisions",
		columns: []copyColumn{
			{"seq", colInt}, {"check_id", colNullText}, {"action", colText}, {"note", colText}, {"reviewer", colText},
			{"at", colText}, {"response_hash", colText}, {"prev_hash", colText}, {"hash", colText}, {"hash_version", colInt},
			{"identity", colText}, {"reason", colText}, {"finality", colText}, {"proposes", colText}, {"ref", colInt},
			{"old_value", colText}, {"new_value", colText},
		},
		afterBatch: (*copier).afterDecisions,
	},
	{
		name: "access", what: "access records",
		columns: []copyColumn{
			{"id", colInt}, {"at", colInt}, {"identity", colText}, {"reviewer", colText}, {"check_id", colText},
			{"what", colText}, {"origin", colText}, {"address", colText}, {"prev_hash", colText}, {"hash", colText},
		},
	},
}

// exchangesTable holds the tokens kept to finish their exchange. It is
// merged rather than copied by key: a token is the same token in either
// store, and the target may have kept one of its own.
var exchangesTable = copyTable{
	name: "exchanges", what: "kept exchanges",
	columns: []copyColumn{{"token", colText}, {"recorded_at", colInt}, {"added_by", colText}},
}

// copier is one run of CopyFrom.
type copier struct {
	to     *Store
	source string // the source's path (or redacted URL), as the mark names it
	src    *sqlTx // the source as it was when the run began
	opts   CopyOptions
	done   int64 // rows on the target, of total on the source
	total  int64
	copied int64 // rows this run wrote
}

// CopyFrom copies everything the store from holds into s, which must be
// empty or an unfinished copy of from (a run stopped before its end: it
// is resumed). Tracked checks, their rows with the cached responses byte
// for byte, the decision log entry by entry (seq, hashes and every column,
// so the policy and the SLA it holds), the access log and the exchanges
// kept for retry are copied; what they imply on the target (the queue
// counts, the stats' tally of the log, the search index, when each wait
// at Caisson began) is written with them, in the same transactions.
//
// The source's chain is verified first (a source that does not verify is
// refused with ErrSourceUnverified) and the target's after, which must
// end at the source's head. The source is read as it was when the run
// began (one read-only transaction): writes made to it meanwhile are not
// copied, so a team stops writing to it first.
func (s *Store) CopyFrom(ctx context.Context, from *Store, opts CopyOptions) (CopyReport, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultCopyBatch
	}
	if err := from.CopyableSource(); err != nil {
		return CopyReport{}, err
	}
	s.copying.Store(true)
	if s.pg() {
		if err := canRestartIdentities(ctx, s); err != nil {
			return CopyReport{}, err
		}
		release, err := holdCopyTarget(ctx, s)
		if err != nil {
			return CopyReport{}, err
		}
		defer release()
	}
	v, err := from.Verify(ctx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("verifying the source: %w", err)
	}
	if !v.OK {
		return CopyReport{}, fmt.Errorf("%w: %s; nothing was copied (caisson-review export --verify on it says more)", ErrSourceUnverified, verifyProblems(v))
	}
	// RepeatableRead is PostgreSQL's snapshot; SQLite's deferred read
	// transaction is one by itself (WAL).
	src, err := from.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return CopyReport{}, fmt.Errorf("reading the source: %w", err)
	}
	defer src.Rollback()
	if s.pg() && from.pg() {
		if err := notOneDatabase(ctx, src, s); err != nil {
			return CopyReport{}, err
		}
	}
	// The source as its mark names it, to whoever opens the target later
	// from another directory: a file's absolute path (as typed, a relative
	// one named a file that was not there), a server's URL without its
	// password (Path).
	source := from.path
	if !from.pg() {
		if abs, err := filepath.Abs(source); err == nil {
			source = abs
		}
	}
	c := &copier{to: s, source: source, src: src, opts: opts}
	marks, resumed, err := c.start(ctx)
	if err != nil {
		return CopyReport{}, err
	}
	// Marked before the first row, in a write of its own: from here to
	// finish, an interrupted copy leaves a store that says what it is.
	if err := s.write(ctx, "marking the target an unfinished copy", func(tx *sqlTx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO unfinished_copy (one, source, started_at) VALUES (1, ?, ?) ON CONFLICT (one) DO NOTHING",
			source, s.now().UnixNano())
		return err
	}); err != nil {
		return CopyReport{}, err
	}
	s.unfinished.Store(&source)
	c.progress("")
	for i, t := range copiedTables {
		if err := c.copyTable(ctx, t, marks[i]); err != nil {
			return CopyReport{}, err
		}
	}
	if err := c.mergeExchanges(ctx); err != nil {
		return CopyReport{}, err
	}
	if err := c.finish(ctx); err != nil {
		return CopyReport{}, fmt.Errorf("every row is copied, but the copy is not finished, so the target is not to be used yet (run migrate-store again to finish it): %w", err)
	}
	rep, err := c.check(ctx)
	rep.Resumed, rep.Copied = resumed, c.copied
	if err == nil {
		err = c.unmark(ctx)
	}
	return rep, err
}

func verifyProblems(v VerifyResult) string {
	var p []string
	if v.Problem != "" {
		p = append(p, fmt.Sprintf("decision log entry %d: %s", v.BrokenAt, v.Problem))
	}
	// The access log's too: a source whose access log did not verify was
	// refused as "the source's decision log does not verify: ;" (helper-76).
	if v.Access.Problem != "" {
		p = append(p, fmt.Sprintf("access log record %d: %s", v.Access.BrokenAt, v.Access.Problem))
	}
	p = append(p, v.MissingHeads...)
	p = append(p, v.Access.MissingHeads...)
	p = append(p, v.Unguarded...)
	p = append(p, v.Schema...)
	return strings.Join(p, "; ")
}

func (c *copier) progress(table string) {
	// Exchanges kept since the count are merged too.
	c.total = max(c.total, c.done)
	if c.opts.Progress != nil {
		c.opts.Progress(CopyProgress{Table: table, Done: c.done, Total: c.total})
	}
}

// tableMark is how far one table's copy got: the number of rows on the
// target and the largest key among them.
type tableMark struct {
	rows int64
	last any // nil for an empty table
}

// start reads how far an earlier run got and refuses a target that is not
// an unfinished copy of the source: a table of the target must hold
// exactly the source's rows up to its largest key, its last row equal to
// the source's; the decision log, whose hashes cover each entry before,
// must end at an entry the source's log holds with the same hash.
func (c *copier) start(ctx context.Context) ([]tableMark, bool, error) {
	marks := make([]tableMark, len(copiedTables))
	resumed := false
	for i, t := range copiedTables {
		var n int64
		if err := c.src.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name).Scan(&n); err != nil {
			return nil, false, fmt.Errorf("counting the source's %s: %w", t.what, err)
		}
		c.total += n
		m, err := c.mark(ctx, t)
		if err != nil {
			return nil, false, err
		}
		marks[i] = m
		c.done += m.rows
		if m.rows > 0 {
			resumed = true
		}
	}
	// The kept exchanges are merged, not copied, after the rest, but the
	// progress counts them (a total that left them out ended "copied 64
	// of 64 rows" before the exchanges' lines).
	var exchanges int64
	if err := c.src.QueryRowContext(ctx, "SELECT count(*) FROM "+exchangesTable.name).Scan(&exchanges); err != nil {
		return nil, false, fmt.Errorf("counting the source's %s: %w", exchangesTable.what, err)
	}
	c.total += exchanges
	if !resumed {
		return marks, false, nil
	}
	refuse := func(err error) error {
		if marked := c.to.unfinished.Load(); marked != nil && *marked == c.source {
			// Its own unfinished copy, of a source written to since
			// (helper-57: "is no unfinished copy" read as a contradiction
			// of the warning naming this very source).
			return fmt.Errorf("%w: it is the unfinished copy of this source, but the source changed since that copy began (%v), so it cannot be finished; nothing was copied: copy into an empty store (a new file, or the database dropped and made again)",
				ErrTargetNotEmpty, err)
		}
		return fmt.Errorf("%w (%s) and is no unfinished copy of the source: %v; nothing was copied: copy into an empty store, or into the target of an interrupted copy of this source",
			ErrTargetNotEmpty, c.holds(marks), err)
	}
	for i, t := range copiedTables {
		if err := c.samePrefix(ctx, t, marks[i]); err != nil {
			return nil, false, refuse(err)
		}
	}
	// Last, being the costliest: every row already copied of the tables
	// whose rows change.
	for i, t := range copiedTables {
		if t.mutable && marks[i].rows > 0 {
			if err := c.sameRowsUpTo(ctx, t, marks[i].last); err != nil {
				return nil, false, refuse(err)
			}
		}
	}
	return marks, true, nil
}

// mark reads how many rows of t the target holds and its largest key.
func (c *copier) mark(ctx context.Context, t copyTable) (tableMark, error) {
	var m tableMark
	var last sql.NullInt64
	err := c.to.db.QueryRowContext(ctx, "SELECT count(*), max("+t.key()+") FROM "+t.name).Scan(&m.rows, &last)
	if err != nil {
		return m, fmt.Errorf("reading the target's %s: %w", t.what, err)
	}
	if last.Valid {
		m.last = last.Int64
	}
	return m, nil
}

// holds says what the target holds, for the refusal.
func (c *copier) holds(marks []tableMark) string {
	var parts []string
	for i, t := range copiedTables {
		if marks[i].rows > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", marks[i].rows, t.what))
		}
	}
	return "it holds " + strings.Join(parts, ", ")
}

// samePrefix checks that the target's rows of t are the source's first
// rows, as a run of CopyFrom leaves them.
func (c *copier) samePrefix(ctx context.Context, t copyTable, m tableMark) error {
	if m.rows == 0 {
		return nil
	}
	var n int64
	if err := c.src.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name+" WHERE "+t.key()+" <= ?", m.last).Scan(&n); err != nil {
		return fmt.Errorf("counting the source's %s: %w", t.what, err)
	}
	if n != m.rows {
		return fmt.Errorf("the target has %d %s up to %s %v, the source %d", m.rows, t.what, t.key(), m.last, n)
	}
	theirs, err := readRows(ctx, c.src, t, "WHERE "+t.key()+" = ?", m.last)
	if err != nil {
		return fmt.Errorf("reading the source's %s: %w", t.what, err)
	}
	ours, err := readRows(ctx, c.to.db, t, "WHERE "+t.key()+" = ?", m.last)
	if err != nil {
		return fmt.Errorf("reading the target's %s: %w", t.what, err)
	}
	if len(theirs) != 1 || len(ours) != 1 || !reflect.DeepEqual(theirs[0], ours[0]) {
		return fmt.Errorf("its %s row %v is not the source's (or the source changed since the copy began)", t.name, m.last)
	}
	return nil
}

// sameRowsUpTo compares the target's rows of t up to key last with the
// source's, a batch at a time, leaving out the responses (raw_hash, which
// is written with them, stands for them): a check refreshed, decided or
// purged on the source after an earlier run copied it would otherwise
// stay as it was on the target.
func (c *copier) sameRowsUpTo(ctx context.Context, t copyTable, last any) error {
	narrow := t
	narrow.columns = nil
	for _, col := range t.columns {
		if col.kind != colBlob {
			narrow.columns = append(narrow.columns, col)
		}
	}
	var from any = int64(0)
	where := "WHERE " + t.key() + " > ? AND " + t.key() + " <= ? ORDER BY " + t.key() + " LIMIT ?"
	for {
		theirs, err := readRows(ctx, c.src, narrow, where, from, last, c.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("reading the source's %s: %w", t.what, err)
		}
		if len(theirs) == 0 {
			return nil
		}
		ours, err := readRows(ctx, c.to.db, narrow, where, from, last, c.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("reading the target's %s: %w", t.what, err)
		}
		for i := range theirs {
			if i >= len(ours) || !reflect.DeepEqual(theirs[i], ours[i]) {
				return fmt.Errorf("its %s row %v is not the source's: one of them changed since the copy began", t.name, theirs[i][0])
			}
		}
		from = theirs[len(theirs)-1][0]
	}
}

// querier is what reading rows needs: the source's snapshot or the
// target's pool.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readRows reads t's rows chosen by where, in key order, each as the
// values an insert takes.
func readRows(ctx context.Context, q querier, t copyTable, where string, args ...any) ([][]any, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+t.columnList()+" FROM "+t.name+" "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		dest := make([]any, len(t.columns))
		for i, col := range t.columns {
			switch col.kind {
			case colInt:
				dest[i] = new(int64)
			case colNullInt:
				dest[i] = new(sql.NullInt64)
			case colText, colOwnText:
				dest[i] = new(string)
			case colNullText:
				dest[i] = new(sql.NullString)
			case colBlob:
				dest[i] = new([]byte)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		vals := make([]any, len(dest))
		for i, d := range dest {
			vals[i] = reflect.ValueOf(d).Elem().Interface()
			if t.columns[i].kind == colOwnText {
				vals[i] = strings.ToValidUTF8(vals[i].(string), "")
			}
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// copyTable copies t's rows after mark, a batch a transaction.
func (c *copier) copyTable(ctx context.Context, t copyTable, m tableMark) error {
	last := m.last
	if last == nil {
		last = int64(0) // keys start at 1
	}
	for {
		batch, err := readRows(ctx, c.src, t, "WHERE "+t.key()+" > ? ORDER BY "+t.key()+" LIMIT ?", last, c.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("reading the source's %s: %w", t.what, err)
		}
		if len(batch) == 0 {
			return nil
		}
		first := batch[0][0]
		last = batch[len(batch)-1][0]
		err = c.to.write(ctx, fmt.Sprintf("copying %s %v to %v", t.what, first, last), func(tx *sqlTx) error {
			if err := insertRows(ctx, tx, t.insert(), batch); err != nil {
				return err
			}
			if t.afterBatch != nil {
				return t.afterBatch(c, ctx, tx, batch)
			}
			return nil
		})
		if err != nil && ctx.Err() != nil {
			return err // interrupted: the caller says what was kept
		}
		if err != nil {
			// The write's own words end "nothing was written", which is
			// true of this batch only: the batches before it stay.
			return fmt.Errorf("%w; the batches copied before it are kept in the target: run the same copy again to go on from there", err)
		}
		c.done += int64(len(batch))
		c.copied += int64(len(batch))
		c.progress(t.what)
	}
}

func insertRows(ctx context.Context, tx *sqlTx, query string, rows [][]any) error {
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("%v: %w", r[0], err)
		}
	}
	return nil
}

// afterChecks gives the batch's rows what the store's own code (not a
// trigger) writes beside a new checks row: its names in SQLite's search
// index, and, for a check waiting at Caisson, when its wait began
// (polls_insert starts it at the last fetch; the source knows better). A
// poll's lease is the process's that held it on the source and is not
// copied.
func (c *copier) afterChecks(ctx context.Context, tx *sqlTx, rows [][]any) error {
	// PostgreSQL's text filter is an index on checks.search, kept by the
	// server; SQLite's trigram table is filled by the store's code.
	if !c.to.pg() {
		stmts := c.to.newStmtCache(tx)
		for _, r := range rows {
			stmts.unsearched = append(stmts.unsearched, r[0].(int64))
		}
		if err := stmts.flushSearch(ctx); err != nil {
			return fmt.Errorf("indexing the names: %w", err)
		}
	}
	first, last := rows[0][0], rows[len(rows)-1][0]
	polls, err := c.src.QueryContext(ctx, `SELECT p.check_id, p.since FROM polls AS p JOIN checks AS c ON c.check_id = p.check_id
		WHERE c.id >= ? AND c.id <= ?`, first, last)
	if err != nil {
		return fmt.Errorf("reading the source's polls: %w", err)
	}
	type poll struct {
		id    string
		since int64
	}
	var ps []poll
	for polls.Next() {
		var p poll
		if err := polls.Scan(&p.id, &p.since); err != nil {
			polls.Close()
			return fmt.Errorf("reading the source's polls: %w", err)
		}
		ps = append(ps, p)
	}
	polls.Close()
	if err := polls.Err(); err != nil {
		return fmt.Errorf("reading the source's polls: %w", err)
	}
	for _, p := range ps {
		r, err := tx.ExecContext(ctx, "UPDATE polls SET since = ? WHERE check_id = ?", p.since, p.id)
		if err != nil {
			return fmt.Errorf("copying the poll of %s: %w", p.id, err)
		}
		if n, err := r.RowsAffected(); err != nil || n == 1 {
			continue
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO polls (check_id, since) VALUES (?, ?)", p.id, p.since); err != nil {
			return fmt.Errorf("copying the poll of %s: %w", p.id, err)
		}
	}
	return nil
}

// afterDecisions adds the batch's entries to the stats' tally of the log
// (decision_days), as appending each did on the source.
func (c *copier) afterDecisions(ctx context.Context, tx *sqlTx, rows [][]any) error {
	type day struct{ day, reviewer, action, proposes, reason string }
	tally := map[day]int64{}
	var order []day
	for _, r := range rows {
		at := r[5].(string)
		k := day{day: at[:min(len(at), len("2006-01-02"))], reviewer: r[4].(string), action: r[2].(string),
			proposes: r[13].(string), reason: r[11].(string)}
		if tally[k] == 0 {
			order = append(order, k)
		}
		tally[k]++
	}
	for _, k := range order {
		_, err := tx.ExecContext(ctx, `INSERT INTO decision_days (day, reviewer, action, proposes, reason, n) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (day, action, reviewer, proposes, reason) DO UPDATE SET n = decision_days.n + excluded.n`,
			k.day, k.reviewer, k.action, k.proposes, k.reason, tally[k])
		if err != nil {
			return fmt.Errorf("counting the decisions of %s: %w", k.day, err)
		}
	}
	return nil
}

// mergeExchanges copies the kept exchange tokens the target lacks.
func (c *copier) mergeExchanges(ctx context.Context) error {
	t := exchangesTable
	var last any = ""
	for {
		batch, err := readRows(ctx, c.src, t, "WHERE token > ? ORDER BY token LIMIT ?", last, c.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("reading the source's %s: %w", t.what, err)
		}
		if len(batch) == 0 {
			return nil
		}
		last = batch[len(batch)-1][0]
		var n int64
		err = c.to.write(ctx, "copying "+t.what, func(tx *sqlTx) error {
			n = 0
			for _, r := range batch {
				res, err := tx.ExecContext(ctx, t.insert()+" ON CONFLICT (token) DO NOTHING", r...)
				if err != nil {
					return err
				}
				k, err := res.RowsAffected()
				if err != nil {
					return err
				}
				n += k
			}
			return nil
		})
		if err != nil {
			return err
		}
		c.copied += n
		c.done += int64(len(batch))
		c.progress(t.what)
	}
}

// finish writes what depends on the whole log once it is copied: the SLA
// the log's newest sla entry sets, as the queue counts keep it, and the
// checks overdue against it now. On PostgreSQL, the identity columns
// continue after the keys copied.
func (c *copier) finish(ctx context.Context) error {
	return c.to.write(ctx, "finishing the copy", func(tx *sqlTx) error {
		sla, _, err := slaTx(ctx, tx)
		if err != nil {
			return err
		}
		if err := recountOverdueTx(ctx, tx, sla, c.to.now()); err != nil {
			return err
		}
		if c.to.pg() {
			return restartIdentitiesTx(ctx, tx)
		}
		return nil
	})
}

// unmark says the copy is finished (its unfinished_copy row deleted),
// once check has found the target's chain and rows equal to the source's.
func (c *copier) unmark(ctx context.Context) error {
	if err := c.to.write(ctx, "marking the copy finished", func(tx *sqlTx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM unfinished_copy")
		return err
	}); err != nil {
		return fmt.Errorf("every row is copied and checked, but the copy is not marked finished (run migrate-store again to finish it): %w", err)
	}
	c.to.unfinished.Store(nil)
	return nil
}

// check verifies the target's chain and compares it with the source: the
// same head, the same number of rows in every table.
func (c *copier) check(ctx context.Context) (CopyReport, error) {
	var rep CopyReport
	var err error
	if rep.SourceHead, err = headOf(ctx, c.src); err != nil {
		return rep, fmt.Errorf("reading the source's head: %w", err)
	}
	v, err := c.to.Verify(ctx)
	if err != nil {
		return rep, fmt.Errorf("verifying the target: %w", err)
	}
	rep.TargetHead = v.Head
	if !v.OK {
		return rep, fmt.Errorf("the copy's logs do not verify: %s", verifyProblems(v))
	}
	if rep.TargetHead != rep.SourceHead {
		return rep, fmt.Errorf("the copy's decision log ends at %s, the source's at %s", rep.TargetHead, rep.SourceHead)
	}
	counts := []*int64{&rep.Tracked, &rep.Checks, &rep.Decisions, &rep.Access, &rep.Exchanges}
	for i, t := range append(append([]copyTable(nil), copiedTables...), exchangesTable) {
		var theirs int64
		if err := c.src.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name).Scan(&theirs); err != nil {
			return rep, fmt.Errorf("counting the source's %s: %w", t.what, err)
		}
		if err := c.to.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name).Scan(counts[i]); err != nil {
			return rep, fmt.Errorf("counting the target's %s: %w", t.what, err)
		}
		// The target may keep exchanges of its own beside the source's.
		if *counts[i] != theirs && (t.name != exchangesTable.name || *counts[i] < theirs) {
			return rep, fmt.Errorf("the copy holds %d %s, the source %d", *counts[i], t.what, theirs)
		}
	}
	return rep, nil
}

func headOf(ctx context.Context, tx *sqlTx) (Head, error) {
	var h Head
	err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1").Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Head{}, nil
	}
	return h, err
}
