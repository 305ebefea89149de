package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
)

// maxFetchError bounds the stored error text.
const maxFetchError = 500

// RecordFetch records the outcome of fetching a check at time at:
//   - a result (fetchErr nil): cached exactly as received (chk.Raw) with
//     the columns queues sort and filter on;
//   - IDCHECK_DELETED: Caisson deleted the check, so the cached personal
//     data is purged and the purge time recorded; decisions stay;
//   - another API error code: the outcome is the code and the previous
//     result stays cached;
//   - anything else (network, HTTP, unreadable body): outcome "transport"
//     with the error's text, the previous result kept;
//   - except a refused API key (caisson.ErrKeyRefused): nothing is
//     written. It is a fact about the key, not the check; stored, it
//     would put every check of a nightly refresh with a rotated key in
//     Errors and hide what each last said. Every front end records
//     through here, so none can store one.
//
// A result that voids a proposal (see RecordFetchAs) is written as the
// store's own identity, the operating-system account: right for the CLI
// and a local console, which run as the reviewer's account.
func (s *Store) RecordFetch(ctx context.Context, checkID string, chk *caisson.Check, fetchErr error, at time.Time) error {
	return s.RecordFetchAs(ctx, Identity{}, checkID, chk, fetchErr, at)
}

// RecordFetchAs is RecordFetch for a refresh run by the reviewer whom by
// vouches for: a proposal the new response voids is logged as that
// identity, in the same transaction. Under serve the session's SSH key
// ran the refresh, not the account the server runs as; zero means the
// store's own identity.
func (s *Store) RecordFetchAs(ctx context.Context, by Identity, checkID string, chk *caisson.Check, fetchErr error, at time.Time) error {
	r := FetchResult{CheckID: checkID, Check: chk, Err: fetchErr, At: at, By: by}
	id, err := checkFetch(r)
	if err != nil || errors.Is(fetchErr, caisson.ErrKeyRefused) {
		return err
	}
	return s.write(ctx, "recording the fetch of "+id, func(tx *sqlTx) error {
		stmts := s.newStmtCache(tx)
		if err := s.recordFetchTx(ctx, stmts, id, r); err != nil {
			return err
		}
		return stmts.flushSearch(ctx)
	})
}

func validResult(id string, chk *caisson.Check) error {
	switch {
	case chk == nil:
		return errors.New("no result and no error: expected one of them")
	case len(chk.Raw) == 0:
		return errors.New("the result has no raw response: the store keeps the response exactly as received (use caisson.DecodeCheck)")
	case chk.CheckID != "" && chk.CheckID != id:
		return fmt.Errorf("the response is for another check (%s): refused", sanitize.Line(caisson.ShortID(chk.CheckID, 8)))
	}
	return nil
}

// cacheResultVoidingTx caches a result and, when it is not the response
// a proposal awaiting a second reviewer was made on, voids the proposal in
// the same transaction: a confirmation racing this refresh then finds no
// proposal, or finds it stale, and is refused.
func (s *Store) cacheResultVoidingTx(ctx context.Context, tx *stmtCache, by Identity, id string, chk *caisson.Check, at time.Time) error {
	var proposal int64
	var proposedOn string
	err := tx.QueryRowContext(ctx, `SELECT c.proposal, coalesce((SELECT d.response_hash FROM decisions d WHERE d.seq = c.proposal), '')
		FROM checks c WHERE c.check_id = ?`, id).Scan(&proposal, &proposedOn)
	if err != nil {
		return err
	}
	if err := cacheResultTx(ctx, tx, id, chk, at); err != nil {
		return err
	}
	return s.voidOnNewResponseTx(ctx, tx.tx, by, id, proposedOn, responseHash(chk.Raw, ""), proposal, s.now())
}

func cacheResultTx(ctx context.Context, tx execer, id string, chk *caisson.Check, at time.Time) error {
	// The wait of an undecided check starts at the first result needing
	// review and ends at one that does not (one awaiting a second reviewer
	// keeps it): 0008_waiting_sla.sql. The response held and not purged
	// keeps when it was first stored (result_at, purge's age) when this
	// is the same response again after a stored error or a wait at
	// Caisson: sameResultTx, which keeps it too, takes only a check whose
	// last fetch was that response (helper-58).
	cols := resultColumns(chk, at)
	args := append([]any{cols[0], cols[1], cols[2], cols[2], cols[3]}, cols[4:]...)
	_, err := tx.ExecContext(ctx, `UPDATE checks SET
		fetched_at = ?, outcome = 'ok', fetch_error = '', raw = ?, raw_hash = ?,
		result_at = CASE WHEN raw IS NOT NULL AND purged_at IS NULL AND raw_hash = ? THEN result_at ELSE ? END, cached = 1,
		customer_id = ?, first_name = ?, last_name = ?, document = ?, face = ?, reasons = ?,
		expires_on = ?, checked_on = ?, dob = ?, address = ?, purged_at = NULL, search = ?,
		reviewable_at = CASE WHEN status <> 'open' OR proposal <> 0 THEN reviewable_at
			WHEN ? THEN (CASE WHEN reviewable_at <> 0 THEN reviewable_at ELSE ? END) ELSE 0 END
		WHERE check_id = ?`, append(args, needsReview(chk, at), at.UnixNano(), id)...)
	return err
}

// needsReview reports whether a result puts an undecided check in needs
// review, as queuePredicate reads it on the day of at: a confidence below
// high, or a document expired before that day.
func needsReview(chk *caisson.Check, at time.Time) bool {
	exp := chk.Info.ExpiresOn
	return chk.Confidence.Document < caisson.High || chk.Confidence.Face < caisson.High ||
		(!exp.IsZero() && exp.String() < at.Format("2006-01-02"))
}

// resultColumns are the values cacheResultTx and firstResultTx write, in
// the order they list the columns.
func resultColumns(chk *caisson.Check, at time.Time) []any {
	v := resultValuesOf(chk, at)
	return []any{v.at, v.raw, v.rawHash, v.at, v.customer, v.first, v.last, v.document, v.face,
		v.reasons, v.expires, v.checkedOn, v.dob, v.address, v.search}
}

// resultValues are what is stored of a result, one field per column
// (at is both fetched_at and result_at): resultColumns for one result at
// a time, resultArrays for a batch on PostgreSQL, so both store the same.
type resultValues struct {
	at, document, face, checkedOn                                          int64
	raw                                                                    []byte
	rawHash, customer, first, last, reasons, expires, dob, address, search string
}

func resultValuesOf(chk *caisson.Check, at time.Time) resultValues {
	sum := sha256.Sum256(chk.Raw)
	info := chk.Info
	var checkedOn int64
	if !chk.CheckedOn.IsZero() {
		checkedOn = chk.CheckedOn.UnixNano()
	}
	customer, first, last := storable(chk.CustomerID), storable(info.FirstName), storable(info.LastName)
	return resultValues{at: at.UnixNano(), raw: chk.Raw, rawHash: hex.EncodeToString(sum[:]),
		customer: customer, first: first, last: last,
		document: int64(chk.Confidence.Document), face: int64(chk.Confidence.Face),
		reasons: reasonCodes(chk.Confidence.Reasons), expires: info.ExpiresOn.String(), checkedOn: checkedOn,
		dob: info.DOB.String(), address: storable(addressText(info.Address)),
		search: searchText(customer, first, last)}
}

// storable is text from a response as the store keeps it. PostgreSQL's
// text cannot hold a NUL, which JSON can carry (\u0000): storing such a
// name failed the check's fetch there. On both backends, so that the two
// keep, show and find the same, a NUL becomes U+FFFD; the response's own
// bytes are kept as they came (raw), and a filter is read alike
// (selectFor).
func storable(s string) string {
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// insertFirstResult begins the insert of a check's first result, which
// three statements make (firstResultTx, firstResultsInsert and, on
// PostgreSQL, firstInsertPG): each SELECT gives these columns in this
// order. A column added to checks that a first result sets goes here and
// in all three.
const insertFirstResult = `INSERT INTO checks (id, check_id, added_at, added_by, source,
		fetched_at, outcome, fetch_error, raw, raw_hash, result_at, cached,
		customer_id, first_name, last_name, document, face, reasons,
		expires_on, checked_on, dob, address, purged_at, search, reviewable_at)`

// firstResultTx caches the first result of a check that has no row in
// checks yet (only added): the row is made with the result in one insert,
// which writes each index once, where making it empty and then updating
// it wrote them twice. The trigram index has no insert trigger (0002):
// the row's names are queued in tx and indexed together by flushSearch,
// since FTS5 writes a segment for every statement that adds to it. It
// reports false, having written nothing, when the check already has its
// row.
func firstResultTx(ctx context.Context, tx *stmtCache, id string, chk *caisson.Check, at time.Time) (bool, error) {
	var reviewable int64
	if needsReview(chk, at) {
		reviewable = at.UnixNano()
	}
	r, err := tx.ExecContext(ctx, insertFirstResult+`
		SELECT id, check_id, added_at, added_by, source, ?, 'ok', '', ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?
		FROM tracked WHERE check_id = ? AND bare = 1`, append(resultColumns(chk, at), reviewable, id)...)
	if err != nil {
		return false, err
	}
	if n, err := r.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if tx.tx.pg {
		// PostgreSQL's filter reads checks.search through its pg_trgm
		// index, which the insert has updated: nothing to queue (and pgx
		// has no LastInsertId).
		return true, nil
	}
	rowid, err := r.LastInsertId()
	if err != nil {
		return false, err
	}
	tx.madeRow(id, rowid)
	return true, nil
}

// madeRow notes a row of checks made in this transaction, whose names
// flushSearch is to put in the trigram index.
func (c *stmtCache) madeRow(id string, rowid int64) {
	c.unsearched = append(c.unsearched, rowid)
	if c.made == nil {
		c.made = map[string]bool{}
	}
	c.made[id] = true
}

// flushSearch adds the names of the rows made in this transaction
// (madeRow) to the trigram index, in one statement. It must run before
// the transaction commits and before any other write to those rows: the
// index's triggers would otherwise remove from it names it never held. SQLite's only: on
// PostgreSQL, which has no FTS5 table, firstResultTx queues nothing.
func (c *stmtCache) flushSearch(ctx context.Context) error {
	if len(c.unsearched) == 0 {
		return nil
	}
	// In rowid order: FTS5 writes what it holds to disk whenever a rowid
	// comes below the one before, which in fetch order is every other row.
	slices.Sort(c.unsearched)
	ids := make([]string, len(c.unsearched))
	for i, id := range c.unsearched {
		ids[i] = strconv.FormatInt(id, 10)
	}
	_, err := c.tx.ExecContext(ctx, `INSERT INTO checks_search (rowid, search)
		SELECT c.id, c.search FROM json_each(?) AS j JOIN checks AS c ON c.id = j.value WHERE c.search <> '' ORDER BY j.key`,
		"["+strings.Join(ids, ",")+"]")
	c.unsearched = c.unsearched[:0]
	clear(c.made)
	return err
}

// sameResultTx records a fetch that brought exactly the response already
// cached, as a nightly refresh mostly does: only the fetch time changes,
// and no index or trigger is touched. result_at stays when the response
// was first stored, which purge's age is counted from: renewed by every
// fetch of the same answer, a nightly refresh kept any personal data from
// ever growing old enough to purge. Every other column is derived from
// the raw response, so equal raw hashes mean equal columns (a release that
// derives them differently must re-derive them in its migration). It
// reports false, having written nothing, for any other check.
func sameResultTx(ctx context.Context, tx execer, id string, chk *caisson.Check, at time.Time) (bool, error) {
	sum := sha256.Sum256(chk.Raw)
	r, err := tx.ExecContext(ctx, `UPDATE checks SET fetched_at = ?
		WHERE check_id = ? AND outcome = 'ok' AND cached = 1 AND raw_hash = ? AND fetch_error = '' AND purged_at IS NULL`,
		at.UnixNano(), id, hex.EncodeToString(sum[:]))
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

func recordErrorTx(ctx context.Context, tx execer, id string, fetchErr error, at time.Time) error {
	outcome, msg := errorOutcome(fetchErr)
	// Caisson taking the result back (PENDING_REVIEW, NOT_VERIFIED) takes
	// an undecided check out of needs review: its wait ends. Another
	// failure leaves it where it was. Caisson unavailable (no answer, or
	// one that is not Caisson's: caisson.Unavailable) is no fact about the check: it is stored only for a
	// check never answered, and a check Caisson answered keeps that answer
	// and its queue (a pending one stays waiting, and polled).
	if _, err := tx.ExecContext(ctx, `UPDATE checks SET fetched_at = ?, outcome = ?, fetch_error = ?,
		reviewable_at = CASE WHEN ? AND status = 'open' AND proposal = 0 THEN 0 ELSE reviewable_at END
		WHERE check_id = ? AND (NOT ? OR outcome = '')`, at.UnixNano(), string(outcome), msg, outcome.NotReady(), id,
		caisson.Unavailable(fetchErr)); err != nil {
		return err
	}
	if outcome == FetchOutcome(caisson.CodeIDCheckDeleted) {
		_, err := tx.ExecContext(ctx, purgeSet+" WHERE check_id = ?", at.UnixNano(), at.UnixNano(), id)
		return err
	}
	return nil
}

// errorOutcome is what recordErrorTx stores of a failed fetch: the
// outcome and the error's text.
func errorOutcome(fetchErr error) (FetchOutcome, string) {
	outcome := OutcomeTransport
	if code := caisson.CodeOf(fetchErr); code != "" {
		outcome = FetchOutcome(code)
	}
	return outcome, fetchErrorText(fetchErr)
}

// fetchErrorText is what is stored of a failed fetch. An unreadable
// answer is stored as its status and kind only: its text quotes the start
// of the body, and the reasons a decoder gives can quote a field, either
// of which may carry a person's name, which the purge could then not find.
func fetchErrorText(err error) string {
	var re *caisson.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("unreadable response (HTTP %d): %s", re.Status, responseErrorKind(re.Err))
	}
	msg := sanitize.Line(err.Error())
	if len(msg) > maxFetchError {
		// Cut where a character starts: a cut through one is not UTF-8,
		// which PostgreSQL's text refuses (the fetch was then not stored
		// there, and an SQLite store holding it could not be copied).
		cut := maxFetchError
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// responseErrorKind names what was wrong with an unreadable answer in
// words of our own, never the decoder's text.
func responseErrorKind(err error) string {
	var syntax *json.SyntaxError
	var text string
	if err != nil {
		text = err.Error()
	}
	switch {
	case err == nil:
		return "no error code"
	case strings.Contains(text, "cut short") || errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is cut short"
	case strings.Contains(text, "larger than"):
		return "the body is over the size cap"
	case errors.As(err, &syntax) || strings.Contains(text, "not valid JSON"):
		return "the body is not valid JSON"
	case strings.Contains(text, "another check"):
		return "the answer is for another check"
	}
	return "the body is not an ID check as documented"
}

// purgeSet clears the personal data of a check. customer_id goes too: it
// is the integrator's own id and often carries the person's name (the
// reference's sample is "1234321 - Doe, Jamie"). check_id, the confidence
// levels, reason codes and raw_hash stay: they are not about the person,
// and raw_hash lets decisions still tell whether they were made on the
// last response. fetch_error goes because an error stored before it was
// kept to status and kind may quote the body. An undecided check leaves
// needs review, so its wait ends. Parameters: purged_at, purged_at (kept
// when already set).
const purgeSet = `UPDATE checks SET raw = NULL, cached = 0, customer_id = '', first_name = '', last_name = '',
	dob = '', address = '', expires_on = '', search = '', fetch_error = '',
	reviewable_at = CASE WHEN status = 'open' AND proposal = 0 THEN 0 ELSE reviewable_at END,
	purged_at = coalesce(purged_at, ?), fetched_at = coalesce(fetched_at, ?)`

// Purge removes the cached personal data of every check whose response
// was first stored more than olderThan before now (the same response
// fetched again since does not make it newer), and returns how many
// checks it purged. The decision log is kept.
func (s *Store) Purge(ctx context.Context, olderThan time.Duration, now time.Time) (int, error) {
	if olderThan < 0 {
		return 0, fmt.Errorf("purge age %v: expected zero or more", olderThan)
	}
	before := now.Add(-olderThan).UnixNano()
	// Nothing to purge is found by reading, so a purge run from cron on a
	// full disk (or one opened for reading only) succeeds when it has
	// nothing to do; a check cached meanwhile waits for the next run.
	var due int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM checks WHERE raw IS NOT NULL AND result_at < ?", before).Scan(&due); err != nil {
		return 0, fmt.Errorf("purging cached personal data: %w", err)
	}
	if due == 0 {
		// A purge run again finishes the scrub an earlier one could not.
		// Its failure is not said: whether anything purged is left cannot
		// be told (a reader beside a purge that had finished its scrub
		// made it say so, helper-75), and on a full disk or a read-only
		// file there is nothing to finish.
		_ = s.scrubFiles(ctx)
		return 0, nil
	}
	var n int64
	err := s.write(ctx, "purging cached personal data", func(tx *sqlTx) error {
		if err := s.voidPurgedProposalsTx(ctx, tx, before, now); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, purgeSet+" WHERE raw IS NOT NULL AND result_at < ?",
			now.UnixNano(), now.UnixNano(), before)
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return int(n), err
	}
	return int(n), s.scrubFiles(ctx)
}

// ErrPurgedDataLingers: the purge is committed, and nothing reads the
// data any more, but an old copy of its pages is still in the database's
// files, held there by another process reading the database.
var ErrPurgedDataLingers = errors.New("the purged data is gone from the database, but an old copy of it is still in the database's files while another process (a console, serve, a refresh) is in the middle of a read: run the same purge again later to remove it")

// scrubFiles removes from the files what a purge left there. In WAL mode
// a commit writes the changed pages to the -wal file, and the database
// file keeps the old ones (secure_delete zeroes what is freed, but only in
// the page written): until a checkpoint copies them over, and while the
// -wal file is not truncated, the purged names, dates and addresses are
// on disk. A checkpoint came only after 1,000 pages, or when the last
// connection closed, which for serve is weeks (helper-74 found 194
// customers' ids in the database file after a purge). TRUNCATE copies
// every page back and empties the -wal file; a reader in the middle of a
// transaction holds it up (up to the busy timeout), and the purge then
// says so. PostgreSQL's dead rows are its VACUUM's.
func (s *Store) scrubFiles(ctx context.Context) error {
	if s.pg() {
		return nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("removing the purged data's old copy from the database's files: %w", err)
	}
	defer conn.Close()
	// Tried a moment at a time, not for the busy timeout at once: while a
	// TRUNCATE checkpoint waits for readers it holds the write lock, and a
	// decision waited 4.75 s behind it (helper-75). Between tries writers
	// go on.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", scrubTry.Milliseconds())); err != nil {
		return fmt.Errorf("removing the purged data's old copy from the database's files: %w", err)
	}
	defer conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds()))
	for try := 0; ; try++ {
		var busy, log, done int
		err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &log, &done)
		switch {
		case err != nil && !isBusy(err):
			return fmt.Errorf("removing the purged data's old copy from the database's files: %w", err)
		case err == nil && busy == 0:
			return nil
		case try == scrubTries-1:
			return ErrPurgedDataLingers
		}
		select {
		case <-ctx.Done():
			return ErrPurgedDataLingers
		case <-time.After(scrubPause):
		}
	}
}

// A purge's scrub tries scrubTries times, each waiting up to scrubTry for
// the readers, scrubPause apart: about 3 seconds in all.
const (
	scrubTries = 10
	scrubTry   = 100 * time.Millisecond
	scrubPause = 200 * time.Millisecond
)

// purgeReviewer is the display name of the void entries a purge writes.
const purgeReviewer = "caisson-review (purge)"

// voidPurgedProposalsTx voids the proposals awaiting a second reviewer on
// the checks a purge is about to empty (cached before before): the
// response proposed on goes with them, and a proposal left waiting would
// keep the check in Second review with nothing to look at.
func (s *Store) voidPurgedProposalsTx(ctx context.Context, tx *sqlTx, before int64, now time.Time) error {
	return voidFoundTx(ctx, tx, func() (writer, error) { return s.writer(purgeReviewer, Identity{}) }, VoidPurged, now,
		`SELECT check_id, proposal, raw, raw_hash FROM checks
		WHERE proposal > 0 AND raw IS NOT NULL AND result_at < ? ORDER BY proposal`, before)
}

func reasonCodes(rs []caisson.Reason) string {
	codes := make([]string, len(rs))
	for i, r := range rs {
		codes[i] = strconv.Itoa(r.Code)
	}
	return strings.Join(codes, ",")
}

func parseReasonCodes(s string) []int {
	if s == "" {
		return nil
	}
	var codes []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			codes = append(codes, n)
		}
	}
	return codes
}

func addressText(a *caisson.Address) string {
	if a == nil {
		return ""
	}
	var parts []string
	for _, p := range []string{a.Street, a.City, strings.TrimSpace(a.State + " " + a.Zip)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// firstResultsChunk is how many results firstResultsTx offers one
// statement. Each statement that inserts into checks has a statement
// journal (SQLite opens one for a statement that may fail half-way: an
// explicit rowid, checks' triggers), a copy of every page it changes
// before it changes it. One statement a result copied again and again the
// pages neighbouring results share (tracked's and check_id's indexes in
// the order refresh fetches, queue_counts), 11% of the time a first
// result took; 32 a statement stored 100,000 first results 15–28% faster
// in the program's order, 10–16% scattered. Far more a statement is
// slower: a journal of thousands of pages (256: 15% slower than one each).
const firstResultsChunk = 32

// firstResultsInsert inserts the rows of VALUES whose check is bare
// (never had a result), in the order given (CROSS JOIN keeps VALUES the
// outer loop), and returns what it made. Rows of NULLs, which match no
// check, pad the last chunk, so that one statement, prepared once, serves
// every one.
var firstResultsInsert = func() string {
	row := "(" + strings.Repeat("?,", 16) + "?)"
	return insertFirstResult + `
	SELECT t.id, t.check_id, t.added_at, t.added_by, t.source, v.column2, 'ok', '', v.column3, v.column4, v.column5, 1,
		v.column6, v.column7, v.column8, v.column9, v.column10, v.column11,
		v.column12, v.column13, v.column14, v.column15, NULL, v.column16, v.column17
	FROM (VALUES ` + strings.Repeat(row+",", firstResultsChunk-1) + row + `) AS v
	CROSS JOIN tracked AS t ON t.check_id = v.column1 AND t.bare = 1
	RETURNING id, check_id`
}()

// firstResultsTx stores those of a batch's results that are their checks'
// first, as firstResultTx would one by one, firstResultsChunk to a
// statement, in check id order. It offers each check's first outcome in
// the batch, if a result and not skipped (what follows it comes after
// it), marks each offered in tried and each stored in stored, and queues
// the rows made for the trigram index (flushSearch). SQLite's only.
func firstResultsTx(ctx context.Context, tx *stmtCache, ids []string, results []FetchResult, skip func(int) bool, tried, stored []bool) error {
	var todo []int
	for _, i := range firstOutcomes(ids, skip) {
		if results[i].Err == nil {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	slices.SortFunc(todo, func(a, b int) int { return strings.Compare(ids[a], ids[b]) })
	st, err := tx.prepare(ctx, firstResultsInsert)
	if err != nil {
		return err
	}
	at := make(map[string]int, firstResultsChunk)
	args := make([]any, 0, 17*firstResultsChunk)
	for lo := 0; lo < len(todo); lo += firstResultsChunk {
		args = args[:0]
		clear(at)
		for _, i := range todo[lo:min(lo+firstResultsChunk, len(todo))] {
			r := results[i]
			var reviewable int64
			if needsReview(r.Check, r.At) {
				reviewable = r.At.UnixNano()
			}
			args = append(append(append(args, ids[i]), resultColumns(r.Check, r.At)...), reviewable)
			at[ids[i]] = i
			tried[i] = true
		}
		for len(args) < cap(args) {
			args = append(args, nil)
		}
		if err := madeRows(ctx, tx, st, args, at, stored); err != nil {
			return err
		}
	}
	return nil
}

// madeRows runs firstResultsInsert and takes note of the rows it made.
func madeRows(ctx context.Context, tx *stmtCache, st *sql.Stmt, args []any, at map[string]int, stored []bool) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var rowid int64
		var id string
		if err := rows.Scan(&rowid, &id); err != nil {
			return err
		}
		i, ok := at[id]
		if !ok {
			return fmt.Errorf("the insert of first results made %q, which it was not given", id)
		}
		stored[i] = true
		tx.madeRow(id, rowid)
	}
	return rows.Err()
}
