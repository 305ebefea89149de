package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson"
)

// atLayout writes decision times at a fixed width, so the text sorts in
// time order and hashes the same on every machine.
const atLayout = "2006-01-02T15:04:05.000000000Z"

// MaxNote bounds a note so a pasted file cannot bloat the log.
const MaxNote = 4000

// CheckNote is the rule a decision's note obeys, whoever records it: reject
// and escalate need one, at most MaxNote bytes once trimmed, and it is
// text. A note that is not valid UTF-8 could not be exported as it was
// hashed (JSON would carry U+FFFD for its bytes), so it is refused rather
// than stored. Front ends call it to refuse early; Decide applies it.
func CheckNote(a Action, note string) error {
	note = strings.TrimSpace(note)
	switch {
	case a.NeedsNote() && !hasVisible(note):
		return fmt.Errorf("%s needs a note saying why", a)
	case len(note) > MaxNote:
		return fmt.Errorf("the note is %d bytes: expected at most %d", len(note), MaxNote)
	case !utf8.ValidString(note):
		return fmt.Errorf("the note is not valid UTF-8 (byte %d starts no character): expected text", invalidAt(note)+1)
	}
	return nil
}

// hasVisible reports whether s shows anything: a note of zero-width
// spaces or other format characters says no more than an empty one.
func hasVisible(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r)
	}) >= 0
}

// invalidAt is the offset of the first byte of s that starts no valid
// UTF-8 character, or -1.
func invalidAt(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}

// Decide appends a decision to the log and sets the check's status, in one
// transaction that is on disk when Decide returns. Reject and escalate
// need a note saying why. Another process deciding at the same moment
// waits for the lock; both decisions are logged, in order.
func (s *Store) Decide(ctx context.Context, checkID string, a Action, note, reviewer string) (Decision, error) {
	id, err := caisson.ParseCheckID(checkID)
	if err != nil {
		return Decision{}, err
	}
	if _, err := ParseAction(string(a)); err != nil {
		return Decision{}, err
	}
	note = strings.TrimSpace(note)
	if err := CheckNote(a, note); err != nil {
		return Decision{}, fmt.Errorf("%w: nothing was recorded", err)
	}
	if strings.TrimSpace(reviewer) == "" {
		return Decision{}, errors.New("a decision needs the reviewer's name: nothing was recorded")
	}
	var d Decision
	err = s.write(ctx, fmt.Sprintf("recording %s on %s", a, id), func(tx *sql.Tx) error {
		d, err = decideTx(ctx, tx, id, a, note, reviewer, s.now())
		return err
	})
	return d, err
}

func decideTx(ctx context.Context, tx *sql.Tx, id string, a Action, note, reviewer string, now time.Time) (Decision, error) {
	d := Decision{CheckID: id, Action: a, Note: note, Reviewer: reviewer, At: now.UTC().Truncate(time.Nanosecond)}
	// The status is kept on the check's row, which a check decided on
	// before any fetch gets now.
	if err := checkRowTx(ctx, tx, id); err != nil {
		return Decision{}, err
	}
	var raw []byte
	var rawHash string
	err := tx.QueryRowContext(ctx, "SELECT raw, raw_hash FROM checks WHERE check_id = ?", id).Scan(&raw, &rawHash)
	if errors.Is(err, sql.ErrNoRows) {
		return Decision{}, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Decision{}, err
	}
	d.ResponseHash = responseHash(raw, rawHash)
	err = tx.QueryRowContext(ctx, "SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1").Scan(&d.Seq, &d.PrevHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Decision{}, err
	}
	d.Seq++
	d.Hash = d.computeHash()
	_, err = tx.ExecContext(ctx, `INSERT INTO decisions (seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.Seq, d.CheckID, string(d.Action), d.Note, d.Reviewer, d.At.Format(atLayout), d.ResponseHash, d.PrevHash, d.Hash)
	if err != nil {
		return Decision{}, err
	}
	_, err = tx.ExecContext(ctx, "UPDATE checks SET status = ? WHERE check_id = ?", string(statusAfter(a)), id)
	return d, err
}

// responseHash is the hex SHA-256 of the cached response, computed from
// its bytes: the raw_hash column could be edited along with them, and a
// decision must be marked stale when what the reviewer saw has changed,
// whoever changed it. A purged check has no bytes left; its raw_hash,
// kept by the purge, is all there is.
func responseHash(raw []byte, stored string) string {
	if raw == nil {
		return stored
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// statusAfter is the review status a decision leaves its check in.
func statusAfter(a Action) Status {
	switch a {
	case Approve:
		return StatusApproved
	case Reject:
		return StatusRejected
	case Escalate:
		return StatusEscalated
	}
	return StatusOpen
}

// computeHash is SHA-256 over a canonical encoding of the entry: each field
// as its byte length, a colon and its bytes, so no choice of note or name
// can make two different entries encode alike.
func (d Decision) computeHash() string {
	h := sha256.New()
	for _, f := range []string{
		strconv.FormatInt(d.Seq, 10), d.CheckID, string(d.Action), d.Note, d.Reviewer,
		d.At.UTC().Format(atLayout), d.ResponseHash, d.PrevHash,
	} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

const decisionColumns = "seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash"

// scanDecision reads decisionColumns, then extra columns a query adds
// after them into extra, as scanRow does.
func scanDecision(sc interface{ Scan(...any) error }, extra ...any) (Decision, error) {
	var d Decision
	var action, at string
	dest := append([]any{&d.Seq, &d.CheckID, &action, &d.Note, &d.Reviewer, &at, &d.ResponseHash, &d.PrevHash, &d.Hash}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Decision{}, err
	}
	d.Action = Action(action)
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return Decision{}, fmt.Errorf("decision %d: unreadable time %q: %w", d.Seq, at, err)
	}
	d.At = t.UTC()
	return d, nil
}

// Decisions calls each for every decision made at or after since, oldest
// first (in log order), for export. An error from each stops the walk and
// is returned.
func (s *Store) Decisions(ctx context.Context, since time.Time, each func(Decision) error) error {
	// Each entry is marked Stale as Get marks it: the response it was made
	// on is no longer the one cached, which an auditor must see.
	// The current hash is computed from the cached bytes (responseHash),
	// once per check.
	rows, err := s.db.QueryContext(ctx, `SELECT `+decisionColumns+`,
		(SELECT raw FROM checks c WHERE c.check_id = decisions.check_id),
		(SELECT raw_hash FROM checks c WHERE c.check_id = decisions.check_id)
		FROM decisions WHERE at >= ? ORDER BY seq`,
		since.UTC().Format(atLayout))
	if err != nil {
		return fmt.Errorf("reading the decision log: %w", err)
	}
	defer rows.Close()
	current := map[string]string{}
	for rows.Next() {
		var raw []byte
		var stored sql.NullString
		d, err := scanDecision(rows, &raw, &stored)
		if err != nil {
			return fmt.Errorf("reading the decision log: %w", err)
		}
		h, ok := current[d.CheckID]
		if !ok {
			h = responseHash(raw, stored.String)
			current[d.CheckID] = h
		}
		d.Stale = d.ResponseHash != h
		if err := each(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the decision log: %w", err)
	}
	return nil
}
