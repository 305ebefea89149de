package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// AccessWhat is what of a check's personal data a person was shown.
type AccessWhat string

const (
	AccessDetail AccessWhat = "detail" // the console's detail pane or full screen
	AccessShow   AccessWhat = "show"   // caisson-review show
	AccessList   AccessWhat = "list"   // caisson-review list --json
	AccessExport AccessWhat = "export" // caisson-review export
)

// AccessOrigin is where a person was shown it from.
type AccessOrigin string

const (
	OriginConsole AccessOrigin = "console" // a local console
	OriginServe   AccessOrigin = "serve"   // a console over SSH; Address is the client's
	OriginCLI     AccessOrigin = "cli"     // a command
)

// Access is one record of the access log: who was shown which check's
// personal data, what of it, from where, when. It holds no personal data
// beyond the check id, so it is kept when the data is purged.
type Access struct {
	At       time.Time
	Identity string // Identity.String(): the OS account or the SSH key
	Reviewer string // the display name
	CheckID  string
	What     AccessWhat
	Origin   AccessOrigin
	Address  string // the SSH client's address under serve, else ""
}

// AccessSession is who is looking, and from where: the fields every
// record of one session shares.
type AccessSession struct {
	Reviewer string
	// Identity is zero for the store's own (the operating-system account).
	Identity Identity
	Origin   AccessOrigin
	Address  string
}

func (s *Store) sessionAccess(sess AccessSession) (Access, error) {
	w, err := s.writer(sess.Reviewer, sess.Identity)
	if err != nil {
		return Access{}, fmt.Errorf("recording access: %w", err)
	}
	switch sess.Origin {
	case OriginConsole, OriginServe, OriginCLI:
	default:
		return Access{}, fmt.Errorf("recording access: origin %q: expected console, serve or cli", sess.Origin)
	}
	return Access{Identity: w.identity.String(), Reviewer: w.reviewer, Origin: sess.Origin, Address: sess.Address}, nil
}

// RecordAccess logs that the session was shown what of each check, now,
// in one transaction.
func (s *Store) RecordAccess(ctx context.Context, sess AccessSession, what AccessWhat, checkIDs ...string) error {
	base, err := s.sessionAccess(sess)
	if err != nil {
		return err
	}
	recs := make([]Access, 0, len(checkIDs))
	now := s.now()
	for _, id := range checkIDs {
		a := base
		a.At, a.CheckID, a.What = now, id, what
		recs = append(recs, a)
	}
	return s.writeAccess(ctx, recs)
}

func (s *Store) writeAccess(ctx context.Context, recs []Access) error {
	for _, a := range recs {
		switch a.What {
		case AccessDetail, AccessShow, AccessList, AccessExport:
		default:
			return fmt.Errorf("recording access: %q: expected detail, show, list or export", a.What)
		}
		if _, err := caisson.ParseCheckID(a.CheckID); err != nil {
			return fmt.Errorf("recording access: %w", err)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	// No console shows the access log: nothing to announce. The write
	// lock (every write's, on either backend) keeps the chain one line:
	// no other record is linked to the last one meanwhile.
	return s.writeUnannounced(ctx, accessesText(len(recs)), func(tx *sqlTx) error {
		var last int64
		var prev string
		err := tx.QueryRowContext(ctx, "SELECT id, hash FROM access ORDER BY id DESC LIMIT 1").Scan(&last, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Each record's id is given, the one after the last: left to the
		// database, SQLite shows a BEFORE INSERT trigger an id of -1, and
		// one record inserted by hand at -1 made access_no_replace (0018)
		// refuse every record after it, so that nothing was logged
		// (helper-76); PostgreSQL's identity, past a record inserted by
		// hand at a higher id, linked every new record to that one
		// (helper-77). An identity BY DEFAULT takes a given id without a
		// grant on its sequence.
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO access (id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, a := range recs {
			if last == math.MaxInt64 {
				return fmt.Errorf("the access log's last record is numbered %d, after which no record can be numbered (it was inserted behind the program's back): nothing was logged; run caisson-review export --verify", last)
			}
			last++
			hash := a.hash(prev)
			if _, err := stmt.ExecContext(ctx, last, a.At.UnixNano(), a.Identity, a.Reviewer, a.CheckID, string(a.What), string(a.Origin), a.Address, prev, hash); err != nil {
				return err
			}
			prev = hash
		}
		return nil
	})
}

// hash is a's link in the access log's chain (migration 19): over the
// hash of the record before it ("" when that one was made before the
// chain, or there is none) and a's fields, the time in Unix nanoseconds
// as stored.
func (a Access) hash(prev string) string {
	return chainHash("access v1", prev, strconv.FormatInt(a.At.UnixNano(), 10), a.Identity, a.Reviewer, a.CheckID,
		string(a.What), string(a.Origin), a.Address)
}

// AccessQuery selects records of the access log; empty fields match all.
type AccessQuery struct {
	CheckID string
	// Customer matches the checks that now have this customer id (a
	// purged check has none left, so its records are found by check id).
	Customer string
	// Reviewer matches the display name or the identity (os:uid=…,
	// ssh:SHA256:…) exactly.
	Reviewer string
	Since    time.Time
}

// Accesses calls each for every record q selects, oldest first.
func (s *Store) Accesses(ctx context.Context, q AccessQuery, each func(Access) error) error {
	var where []string
	var args []any
	if q.CheckID != "" {
		id, err := caisson.ParseCheckID(q.CheckID)
		if err != nil {
			return err
		}
		where, args = append(where, "a.check_id = ?"), append(args, id)
	}
	if q.Customer != "" {
		// Read as the store keeps a customer id (storable).
		where, args = append(where, "a.check_id IN (SELECT check_id FROM checks WHERE customer_id = ?)"), append(args, storable(q.Customer))
	}
	if q.Reviewer != "" {
		where, args = append(where, "(a.reviewer = ? OR a.identity = ?)"), append(args, q.Reviewer, q.Reviewer)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "a.at >= ?"), append(args, q.Since.UnixNano())
	}
	query := "SELECT a.at, a.identity, a.reviewer, a.check_id, a.what, a.origin, a.address FROM access AS a"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, query+" ORDER BY a.at, a.id", args...)
	if err != nil {
		return fmt.Errorf("reading the access log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Access
		var at int64
		var what, origin string
		if err := rows.Scan(&at, &a.Identity, &a.Reviewer, &a.CheckID, &what, &origin, &a.Address); err != nil {
			return fmt.Errorf("reading the access log: %w", err)
		}
		a.At, a.What, a.Origin = time.Unix(0, at).UTC(), AccessWhat(what), AccessOrigin(origin)
		if err := each(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the access log: %w", err)
	}
	return nil
}

// accessesText names a write of n access records.
func accessesText(n int) string {
	if n == 1 {
		return "recording 1 access to personal data"
	}
	return fmt.Sprintf("recording %d accesses to personal data", n)
}
