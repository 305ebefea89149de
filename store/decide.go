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

// BlankNote reports whether note says nothing a reader could see: empty,
// spaces, or only invisible characters. A decision that needs a note and
// a policy change both refuse such a note.
func BlankNote(note string) bool { return !hasVisible(strings.TrimSpace(note)) }

// CheckNote is the rule a decision's note obeys, whoever records it: reject
// and escalate need one, at most MaxNote bytes once trimmed, and it is
// text. A note that is not valid UTF-8 could not be exported as it was
// hashed (JSON would carry U+FFFD for its bytes), so it is refused rather
// than stored, and so is one holding a NUL. Front ends call it to refuse
// early; Decide applies it.
func CheckNote(a Action, note string) error {
	note = strings.TrimSpace(note)
	switch {
	case a.NeedsNote() && !hasVisible(note):
		return fmt.Errorf("%s needs a note saying why", a)
	case len(note) > MaxNote:
		return fmt.Errorf("the note is %d bytes: expected at most %d", len(note), MaxNote)
	}
	return storableText("the note", note)
}

// storableText is the rule for text a writer gives the store that it
// keeps as given (a note, a reviewer's name): UTF-8 without a NUL.
// PostgreSQL's text cannot hold either, and on SQLite the log, hashed and
// append-only, could then never be copied there. The front ends refuse
// control characters before this (sanitize.Safe); this holds for any
// caller of the library.
func storableText(what, s string) error {
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8 (byte %d starts no character): expected text", what, invalidAt(s)+1)
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("%s holds a NUL (byte %d): expected text", what, strings.IndexByte(s, 0)+1)
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

// currentHashVersion is the hash version of new entries (computeHash).
const currentHashVersion = 2

// DecisionRequest is one reviewer's decision as a front end hands it to
// DecideAs. The rules (notes, reasons, four-eyes) are the store's, checked
// in the transaction that writes the entry, so every front end obeys them.
type DecisionRequest struct {
	CheckID string
	// Action is approve, reject, escalate, reopen, or, on a check whose
	// decision awaits a second reviewer, confirm or return.
	Action Action
	// Reason is a code from ReasonsFor(Action): reject and escalate only,
	// other when empty.
	Reason Reason
	// Finality is a reject's: Final when empty.
	Finality Finality
	Note     string
	// Reviewer is the display name.
	Reviewer string
	// Identity is who vouches for the reviewer: under serve the SSH key
	// (SSHIdentity); zero means the store's own, the operating-system
	// account (OSIdentity, or WithIdentity).
	Identity Identity
	// Proposal, for confirm and return, is the seq of the proposal the
	// reviewer was shown: another proposal awaiting by the time of the
	// write is refused as ErrStaleProposal. 0 takes the one awaiting.
	Proposal int64
}

// Errors of the four-eyes rules, for a front end to tell apart.
var (
	// ErrSameReviewer: the proposer may not confirm or return their own
	// proposal.
	ErrSameReviewer = errors.New("a proposal must be confirmed or returned by a second reviewer")
	// ErrNoProposal: nothing awaits a second reviewer on the check (never
	// proposed, or already confirmed, returned or voided).
	ErrNoProposal = errors.New("no proposal awaits a second reviewer")
	// ErrStaleProposal: what the confirmer saw is no longer what awaits:
	// the response changed since the proposal, or another proposal
	// replaced the one shown.
	ErrStaleProposal = errors.New("the proposal is stale")
	// ErrAlreadyProposed: the same decision already awaits a second
	// reviewer.
	ErrAlreadyProposed = errors.New("already proposed")
	// ErrAlreadyDecided: the decision would leave the check as it is
	// (approving an approved check, reopening an open one). Written, it
	// would count a second time in the stats without changing anything,
	// and under four-eyes stage a proposal to approve an approved check.
	ErrAlreadyDecided = errors.New("no change")
)

// Decide appends a decision to the log and sets the check's status, in one
// transaction that is on disk when Decide returns. Reject and escalate
// need a note saying why (their reason is recorded as other). The reviewer
// is vouched for by the store's identity (the operating-system account).
// Under a four-eyes policy an approval may be staged as a proposal: the
// returned entry's Action is then Propose. Another process deciding at the
// same moment waits for the lock; both decisions are logged, in order.
func (s *Store) Decide(ctx context.Context, checkID string, a Action, note, reviewer string) (Decision, error) {
	return s.DecideAs(ctx, DecisionRequest{CheckID: checkID, Action: a, Note: note, Reviewer: reviewer})
}

// DecideAs records a decision with its reason and the reviewer's vouched
// identity, under the database's four-eyes policy:
//   - approve (and reject under FourEyesAll) that the policy says needs a
//     second reviewer is written as a Propose entry: the check moves to
//     Second review and its status is unchanged;
//   - confirm makes the proposal take effect; return sends the check back
//     to its queue (a note is required). Either needs another identity
//     than the proposer's (ErrSameReviewer), and confirm needs the
//     response to be the one proposed on (ErrStaleProposal);
//   - any other decision on a proposed check voids the proposal first
//     (a Void entry, cause decided-otherwise).
//
// It returns the entry that records the decision (the Propose, Confirm,
// Return, or the decision itself).
func (s *Store) DecideAs(ctx context.Context, r DecisionRequest) (Decision, error) {
	id, err := caisson.ParseCheckID(r.CheckID)
	if err != nil {
		return Decision{}, err
	}
	r.CheckID = id
	if err := r.validate(); err != nil {
		return Decision{}, err
	}
	w, err := s.writer(r.Reviewer, r.Identity)
	if err != nil {
		return Decision{}, err
	}
	var d Decision
	err = s.write(ctx, fmt.Sprintf("recording %s on %s", r.Action, id), func(tx *sqlTx) error {
		d, err = decideTx(ctx, tx, w, r, s.now())
		return err
	})
	return d, err
}

func (r *DecisionRequest) validate() error {
	switch r.Action {
	case Approve, Reject, Escalate, Reopen, Confirm, Return:
	default:
		return fmt.Errorf("decision %q: expected approve, reject, escalate, reopen, confirm or return", r.Action)
	}
	r.Note = strings.TrimSpace(r.Note)
	if err := CheckNote(r.Action, r.Note); err != nil {
		return fmt.Errorf("%w: nothing was recorded", err)
	}
	var err error
	r.Reason, r.Finality, err = normalizeReason(r.Action, r.Reason, r.Finality, r.Note)
	return err
}

// writer is who writes entries: a display name and a vouched identity.
type writer struct {
	reviewer string
	identity Identity
}

// writer checks the display name and resolves the identity: the one given,
// or the store's.
func (s *Store) writer(reviewer string, id Identity) (writer, error) {
	if strings.TrimSpace(reviewer) == "" {
		return writer{}, errors.New("a decision needs the reviewer's name: nothing was recorded")
	}
	if err := storableText("the reviewer's name", reviewer); err != nil {
		return writer{}, fmt.Errorf("%w: nothing was recorded", err)
	}
	if id.IsZero() {
		var err error
		if id, err = s.Identity(); err != nil {
			return writer{}, err
		}
	}
	if err := id.validate(); err != nil {
		return writer{}, err
	}
	return writer{reviewer: reviewer, identity: id}, nil
}

// Identity is the identity this store vouches for its writes when a call
// names none: WithIdentity's, or the operating-system account.
func (s *Store) Identity() (Identity, error) {
	if !s.identity.IsZero() {
		return s.identity, nil
	}
	// Once per store: the account a process runs as does not change, and
	// looking it up reads the account database on every decision.
	s.osOnce.Do(func() { s.osIdentity, s.osErr = OSIdentity() })
	return s.osIdentity, s.osErr
}

// checkState is a check as the decision rules read it, in the write's
// transaction.
type checkState struct {
	row  Row
	hash string // the current response's hash (responseHash)
}

func readCheckTx(ctx context.Context, tx *sqlTx, id string) (checkState, error) {
	// Read first: a check decided on nearly always has its row, and on
	// PostgreSQL each statement is a round trip.
	st, err := checkStateTx(ctx, tx, id)
	if !errors.Is(err, sql.ErrNoRows) {
		return st, err
	}
	// The status is kept on the check's row, which a check decided on
	// before any fetch gets now.
	if err := checkRowTx(ctx, tx, id); err != nil {
		return checkState{}, err
	}
	st, err = checkStateTx(ctx, tx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return checkState{}, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	return st, err
}

// checkStateTx reads a check's row; sql.ErrNoRows when it has none.
func checkStateTx(ctx context.Context, tx *sqlTx, id string) (checkState, error) {
	var raw []byte
	var rawHash string
	row, err := scanRow(tx.QueryRowContext(ctx, "SELECT "+rowColumns+", c.raw, c.raw_hash FROM checks AS c WHERE c.check_id = ?", id), &raw, &rawHash)
	if err != nil {
		return checkState{}, err
	}
	return checkState{row: row, hash: responseHash(raw, rawHash)}, nil
}

func decideTx(ctx context.Context, tx *sqlTx, w writer, r DecisionRequest, now time.Time) (Decision, error) {
	st, err := readCheckTx(ctx, tx, r.CheckID)
	if err != nil {
		return Decision{}, err
	}
	if r.Action == Confirm || r.Action == Return {
		return secondReviewTx(ctx, tx, w, r, st, now)
	}
	if ChangesNothing(r.Action, st.row) {
		return Decision{}, alreadyDecidedTx(ctx, tx, r.CheckID, r.Action)
	}
	if st.row.Proposal > 0 {
		p, err := entryTx(ctx, tx, st.row.Proposal)
		if err != nil {
			return Decision{}, err
		}
		if p.Proposes == r.Action {
			return Decision{}, fmt.Errorf("%w: %s proposed to %s it at %s (#%d); a second reviewer confirms or returns it",
				ErrAlreadyProposed, p.Reviewer, r.Action, p.At.Format(time.RFC3339), p.Seq)
		}
		if err := voidTx(ctx, tx, w, r.CheckID, p.Seq, st.hash, VoidDecidedOtherwise, now); err != nil {
			return Decision{}, err
		}
	}
	policy, err := policyTx(ctx, tx)
	if err != nil {
		return Decision{}, err
	}
	d := Decision{CheckID: r.CheckID, Action: r.Action, Note: r.Note, Reason: r.Reason, Finality: r.Finality, ResponseHash: st.hash}
	if needsSecond(policy.FourEyes, r.Action, st.row, nil, now) {
		d.Action, d.Proposes = Propose, r.Action
		if d, err = w.appendTx(ctx, tx, d, now); err != nil {
			return Decision{}, err
		}
		_, err = tx.ExecContext(ctx, "UPDATE checks SET proposal = ? WHERE check_id = ?", d.Seq, r.CheckID)
		return d, err
	}
	if d, err = w.appendTx(ctx, tx, d, now); err != nil {
		return Decision{}, err
	}
	return d, setStatusTx(ctx, tx, r.CheckID, statusAfter(r.Action), now)
}

// alreadyDecidedTx explains ErrAlreadyDecided by the entry that left the
// check as it is, when there is one. The write it fails names the check
// ("recording reject on chk_…"): the id is not said twice.
func alreadyDecidedTx(ctx context.Context, tx *sqlTx, id string, a Action) error {
	if a == Reopen {
		return fmt.Errorf("%w: it is open, there is nothing to reopen; nothing was written", ErrAlreadyDecided)
	}
	d, err := scanDecision(tx.QueryRowContext(ctx, "SELECT "+decisionColumns+
		" FROM decisions WHERE check_id = ? AND action IN ('approve', 'reject', 'escalate', 'confirm') ORDER BY seq DESC LIMIT 1", id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: it is %s already; reopen it to decide again; nothing was written", ErrAlreadyDecided, a.PastTense())
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: %s %s it at %s (#%d); reopen it to decide again; nothing was written",
		ErrAlreadyDecided, d.Reviewer, a.PastTense(), d.At.Format(time.RFC3339), d.Seq)
}

// setStatusTx writes a check's status after a decision that takes effect,
// with the times its wait is measured by: a final decision ends the wait
// (decided_at); a reopen starts it again, now, for a check that had been
// reviewable, since the wait its decision ended is over.
func setStatusTx(ctx context.Context, tx *sqlTx, id string, status Status, now time.Time) error {
	decided, restart := now.UnixNano(), int64(0)
	if status == StatusOpen {
		decided, restart = 0, now.UnixNano()
	}
	query := `UPDATE checks SET status = ?, proposal = 0, decided_at = ?,
		reviewable_at = CASE WHEN ? > 0 AND reviewable_at > 0 THEN ? ELSE reviewable_at END
		WHERE check_id = ?`
	if tx.pg {
		query = setStatusPG
	}
	_, err := tx.ExecContext(ctx, query, string(status), decided, restart, restart, id)
	return err
}

// appendTx completes d (its seq, link, writer, time, hash) and appends it
// to the log.
func (w writer) appendTx(ctx context.Context, tx *sqlTx, d Decision, now time.Time) (Decision, error) {
	d.Reviewer, d.Identity = w.reviewer, w.identity.String()
	d.At = now.UTC().Truncate(time.Nanosecond)
	d.HashVersion = currentHashVersion
	d.Seq, d.PrevHash = 0, ""
	err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1").Scan(&d.Seq, &d.PrevHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Decision{}, err
	}
	d.Seq++
	d.Hash = d.computeHash()
	var checkID any
	if d.CheckID != "" {
		checkID = d.CheckID
	}
	entry := []any{d.Seq, checkID, string(d.Action), d.Note, d.Reviewer, d.At.Format(atLayout), d.ResponseHash, d.PrevHash, d.Hash,
		d.HashVersion, d.Identity, string(d.Reason), string(d.Finality), string(d.Proposes), d.Ref, d.OldValue, d.NewValue}
	// The stats' tally of the log (0008), kept with the entry.
	tally := []any{d.At.Format(time.DateOnly), d.Reviewer, string(d.Action), string(d.Proposes), string(d.Reason)}
	if tx.pg {
		// One statement, one round trip: appendAndTallyPG.
		if _, err = tx.ExecContext(ctx, appendAndTallyPG, append(entry, tally...)...); err != nil {
			return Decision{}, err
		}
		return d, nil
	}
	if _, err = tx.ExecContext(ctx, appendEntry, entry...); err != nil {
		return Decision{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO decision_days (day, reviewer, action, proposes, reason, n) VALUES (?, ?, ?, ?, ?, 1)
		ON CONFLICT DO UPDATE SET n = n + 1`, tally...)
	if err != nil {
		return Decision{}, err
	}
	return d, nil
}

// appendEntry appends an entry to the decision log.
const appendEntry = `INSERT INTO decisions (seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash,
		hash_version, identity, reason, finality, proposes, ref, old_value, new_value)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// entryTx reads one entry of the log.
func entryTx(ctx context.Context, tx *sqlTx, seq int64) (Decision, error) {
	d, err := scanDecision(tx.QueryRowContext(ctx, "SELECT "+decisionColumns+" FROM decisions WHERE seq = ?", seq))
	if err != nil {
		return Decision{}, fmt.Errorf("reading entry %d of the log: %w", seq, err)
	}
	return d, nil
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
// can make two different entries encode alike. Version 1 entries (made
// before version 6 of the schema) cover the fields they had; version 2
// adds the version itself, so that no version 1 entry can be passed off as
// a version 2 one, then the identity, the reason, the proposal fields and
// a policy entry's values.
func (d Decision) computeHash() string {
	fields := []string{
		strconv.FormatInt(d.Seq, 10), d.CheckID, string(d.Action), d.Note, d.Reviewer,
		d.At.UTC().Format(atLayout), d.ResponseHash, d.PrevHash,
	}
	if d.HashVersion >= 2 {
		fields = append(fields, "v"+strconv.Itoa(d.HashVersion), d.Identity, string(d.Reason), string(d.Finality),
			string(d.Proposes), strconv.FormatInt(d.Ref, 10), d.OldValue, d.NewValue)
	}
	return chainHash(fields...)
}

// chainHash is the SHA-256, in hex, of fields each written as its length
// in bytes, a colon, itself and a semicolon: no field's text can pass
// for another's. Both logs' chains are made of it.
func chainHash(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

const decisionColumns = "seq, coalesce(check_id, ''), action, note, reviewer, at, response_hash, prev_hash, hash, " +
	"hash_version, identity, reason, finality, proposes, ref, old_value, new_value"

// scanDecision reads decisionColumns, then extra columns a query adds
// after them into extra, as scanRow does.
func scanDecision(sc interface{ Scan(...any) error }, extra ...any) (Decision, error) {
	var d Decision
	var action, at, reason, finality, proposes string
	dest := append([]any{&d.Seq, &d.CheckID, &action, &d.Note, &d.Reviewer, &at, &d.ResponseHash, &d.PrevHash, &d.Hash,
		&d.HashVersion, &d.Identity, &reason, &finality, &proposes, &d.Ref, &d.OldValue, &d.NewValue}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Decision{}, err
	}
	d.Action, d.Reason, d.Finality, d.Proposes = Action(action), Reason(reason), Finality(finality), Action(proposes)
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
		d.Stale = d.CheckID != "" && d.ResponseHash != h
		if err := each(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the decision log: %w", err)
	}
	return nil
}
