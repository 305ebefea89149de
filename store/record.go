package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// fromNanos reads a stored time; 0 and NULL are the zero time.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid || n.Int64 == 0 {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func scanRow(sc interface{ Scan(...any) error }, extra ...any) (Row, error) {
	var r Row
	var doc, face int
	var reasons, expires, status, outcome string
	var checkedOn, addedAt, fetchedAt, reviewableAt, decidedAt sql.NullInt64
	dest := append([]any{&r.CheckID, &r.CustomerID, &r.FirstName, &r.LastName, &doc, &face, &reasons,
		&expires, &checkedOn, &addedAt, &status, &outcome, &r.FetchError, &fetchedAt, &r.Purged, &r.Proposal,
		&reviewableAt, &decidedAt}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Row{}, err
	}
	r.Document, r.Face = caisson.Level(doc), caisson.Level(face)
	r.ReasonCodes = parseReasonCodes(reasons)
	if expires != "" {
		// Written by us as YYYY-MM-DD; an unreadable value stays zero.
		r.ExpiresOn, _ = caisson.ParseDate(expires)
	}
	r.CheckedOn, r.AddedAt, r.FetchedAt = fromNanos(checkedOn), fromNanos(addedAt), fromNanos(fetchedAt)
	r.Status, r.Outcome = Status(status), FetchOutcome(outcome)
	r.ReviewableAt, r.DecidedAt = fromNanos(reviewableAt), fromNanos(decidedAt)
	return r, nil
}

// queryRows reads through r rows of rowColumns, each followed by skip columns that
// are not read (the sort keys of a merged query). Its errors say what
// failed, unless what is "" (the caller says it).
func (s *Store) queryRows(ctx context.Context, r reader, what, query string, skip int, args ...any) ([]Row, error) {
	said := func(err error) error {
		if what == "" {
			return err
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	rows, err := r.read(ctx, query, args...)
	if err != nil {
		return nil, said(err)
	}
	defer rows.Close()
	var out []Row
	extra := make([]any, skip)
	for i := range extra {
		extra[i] = new(any)
	}
	for rows.Next() {
		r, err := scanRow(rows, extra...)
		if err != nil {
			return nil, said(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, said(err)
	}
	return out, nil
}

// CustomerID is the customer id on a check's row ("" when it has none, it
// was purged, or the check has no row), read without decoding the cached
// response: exporting the decision log must not depend on every cached
// response still decoding, least of all when someone has damaged one.
func (s *Store) CustomerID(ctx context.Context, checkID string) (string, error) {
	var c string
	err := s.db.QueryRowContext(ctx, "SELECT customer_id FROM checks WHERE check_id = ?", checkID).Scan(&c)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the customer of %s: %w", checkID, err)
	}
	return c, nil
}

// Get returns one check in full: its row, the cached result decoded from
// the raw response, and its decisions oldest first, each marked Stale when
// the cached response has changed since it was made. ErrNotFound when the
// check is not tracked.
func (s *Store) Get(ctx context.Context, checkID string) (*Record, error) {
	id, err := caisson.ParseCheckID(checkID)
	if err != nil {
		return nil, err
	}
	var rec Record
	var raw []byte
	var source string
	var purgedAt sql.NullInt64
	query := "SELECT " + rowColumns + ", c.raw, c.raw_hash, c.added_by, c.source, c.purged_at FROM checks AS c WHERE c.check_id = ?" +
		" UNION ALL SELECT " + bareColumns + ", NULL, '', t.added_by, t.source, NULL FROM tracked AS t WHERE t.check_id = ? AND t.bare = 1"
	if s.pg() {
		query = getPG
	}
	row := s.readRow(ctx, query, id, id)
	rec.Row, err = scanRow(row, &raw, &rec.ResultHash, &rec.AddedBy, &source, &purgedAt)
	if isNoRows(err) {
		return nil, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", id, err)
	}
	rec.Source, rec.PurgedAt = Source(source), fromNanos(purgedAt)
	rec.ResultHash = responseHash(raw, rec.ResultHash)
	if raw != nil {
		chk, err := caisson.DecodeCheck(raw)
		if err != nil {
			return nil, fmt.Errorf("reading %s: the cached response no longer decodes: %w", id, err)
		}
		rec.Result = chk
	}
	rows, err := s.read(ctx, "SELECT "+decisionColumns+" FROM decisions WHERE check_id = ? ORDER BY seq", id)
	if err != nil {
		return nil, fmt.Errorf("reading the decisions on %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDecision(rows)
		if err != nil {
			return nil, fmt.Errorf("reading the decisions on %s: %w", id, err)
		}
		d.Stale = d.ResponseHash != rec.ResultHash
		rec.Decisions = append(rec.Decisions, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the decisions on %s: %w", id, err)
	}
	for i := range rec.Decisions {
		if rec.Decisions[i].Seq == rec.Row.Proposal {
			rec.Proposal = &rec.Decisions[i]
		}
	}
	return &rec, nil
}

// TrackedFold is the tracked check ids equal to checkID but for case, up
// to three: ids are case-sensitive, and one typed in the wrong case (read
// off a screen, or lower-cased by a ticketing system) is another id,
// "not tracked" (helper-73). Read only when checkID is not tracked: it
// reads every tracked id.
func (s *Store) TrackedFold(ctx context.Context, checkID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT check_id FROM tracked WHERE lower(check_id) = lower(?) AND check_id <> ? ORDER BY check_id LIMIT 3", checkID, checkID)
	if err != nil {
		return nil, fmt.Errorf("looking for %s in another case: %w", checkID, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("looking for %s in another case: %w", checkID, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
