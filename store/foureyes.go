package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The causes of a Void entry, stored in its reason: why a proposal no
// longer awaits a second reviewer.
const (
	// VoidResponseChanged: a refresh brought a different response than
	// the one proposed on.
	VoidResponseChanged Reason = "response-changed"
	// VoidDecidedOtherwise: a reviewer decided the check otherwise
	// (rejected, escalated, reopened it) while the proposal awaited.
	VoidDecidedOtherwise Reason = "decided-otherwise"
	// VoidPolicyOff: the four-eyes policy was turned off.
	VoidPolicyOff Reason = "policy-off"
	// VoidPurged: the check's personal data was purged, the response
	// proposed on with it: a second reviewer could not see what they
	// would confirm.
	VoidPurged Reason = "purged"
)

// secondReviewTx confirms or returns the proposal awaiting on a check.
func secondReviewTx(ctx context.Context, tx *sqlTx, w writer, r DecisionRequest, st checkState, now time.Time) (Decision, error) {
	if st.row.Proposal == 0 {
		return Decision{}, noProposalTx(ctx, tx, r.CheckID)
	}
	if r.Proposal != 0 && r.Proposal != st.row.Proposal {
		return Decision{}, fmt.Errorf("%w: the proposal shown (#%d) was replaced by #%d; look at the check again",
			ErrStaleProposal, r.Proposal, st.row.Proposal)
	}
	p, err := entryTx(ctx, tx, st.row.Proposal)
	if err != nil {
		return Decision{}, err
	}
	if p.Identity == w.identity.String() {
		return Decision{}, fmt.Errorf("%w: you (%s) proposed it (#%d); another reviewer must %s it",
			ErrSameReviewer, w.identity, p.Seq, r.Action)
	}
	if r.Action == Confirm && st.row.Purged {
		// The hash outlives the purge (raw_hash), so the test below
		// would pass: what the confirmer would vouch for is gone.
		return Decision{}, fmt.Errorf("%w: its personal data was purged since %s proposed it (#%d); there is nothing to confirm, return it or refresh it and review it again",
			ErrStaleProposal, p.Reviewer, p.Seq)
	}
	if r.Action == Confirm && p.ResponseHash != st.hash {
		return Decision{}, fmt.Errorf("%w: the response has changed since %s proposed it (#%d); refresh and review it again",
			ErrStaleProposal, p.Reviewer, p.Seq)
	}
	d := Decision{CheckID: r.CheckID, Action: r.Action, Note: r.Note, ResponseHash: st.hash, Ref: p.Seq, Proposes: p.Proposes}
	status := st.row.Status
	if r.Action == Confirm {
		d.Reason, d.Finality = p.Reason, p.Finality
		status = statusAfter(p.Proposes)
	}
	if d, err = w.appendTx(ctx, tx, d, now); err != nil {
		return Decision{}, err
	}
	if r.Action == Confirm {
		return d, setStatusTx(ctx, tx, r.CheckID, status, now)
	}
	return d, returnTx(ctx, tx, r.CheckID, now)
}

// returnTx takes a returned proposal's check out of Second review. A
// check with a result that was not waiting for a reviewer (a passed one
// whose approval was proposed) starts waiting now: the second reviewer
// sent it back to be reviewed. One that was keeps its start. One with no
// result to review, or whose result Caisson took back (waiting at
// Caisson), does not: its wait starts with a result, as a fetch's does
// (helper-61: such a check went overdue in Waiting at Caisson or Errors,
// where no reviewer could act on it). Two statements, so that the
// proposal trigger (0009) judges the check on its result first.
func returnTx(ctx context.Context, tx *sqlTx, id string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, "UPDATE checks SET proposal = 0 WHERE check_id = ?", id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE checks SET reviewable_at = ? WHERE check_id = ? AND status = 'open' AND reviewable_at = 0
		AND cached = 1 AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED'`,
		now.UnixNano(), id)
	return err
}

// noProposalTx explains ErrNoProposal by what last closed a proposal on
// the check: a second reviewer racing this one sees who confirmed first.
func noProposalTx(ctx context.Context, tx *sqlTx, id string) error {
	d, err := scanDecision(tx.QueryRowContext(ctx, "SELECT "+decisionColumns+
		" FROM decisions WHERE check_id = ? AND action IN ('confirm', 'return', 'void') ORDER BY seq DESC LIMIT 1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: nothing was proposed on it", ErrNoProposal)
	}
	if err != nil {
		return err
	}
	if d.Action == Void && d.Reason == VoidResponseChanged {
		// A refresh brought another response: what the confirmer looked
		// at is no longer what Caisson says.
		return fmt.Errorf("%w: proposal #%d was voided at %s (#%d) because a refresh brought a different response; review the check again; nothing was written",
			ErrStaleProposal, d.Ref, d.At.Format(time.RFC3339), d.Seq)
	}
	how := map[Action]string{Confirm: "confirmed", Return: "returned", Void: "voided (" + string(d.Reason) + ")"}[d.Action]
	return fmt.Errorf("%w: proposal #%d was already %s by %s at %s (#%d); nothing was written",
		ErrNoProposal, d.Ref, how, d.Reviewer, d.At.Format(time.RFC3339), d.Seq)
}

// voidTx writes a Void entry for proposal seq on check id, with its cause,
// and takes the check out of Second review.
func voidTx(ctx context.Context, tx *sqlTx, w writer, id string, seq int64, hash string, cause Reason, now time.Time) error {
	d := Decision{CheckID: id, Action: Void, Reason: cause, ResponseHash: hash, Ref: seq}
	if _, err := w.appendTx(ctx, tx, d, now); err != nil {
		return fmt.Errorf("voiding proposal #%d on %s: %w", seq, id, err)
	}
	_, err := tx.ExecContext(ctx, "UPDATE checks SET proposal = 0 WHERE check_id = ?", id)
	return err
}

// voidAllTx voids every proposal awaiting a second reviewer.
func voidAllTx(ctx context.Context, tx *sqlTx, w writer, cause Reason, now time.Time) error {
	query := "SELECT check_id, proposal, raw, raw_hash FROM checks INDEXED BY checks_second_risk WHERE proposal > 0 ORDER BY proposal"
	if tx.pg {
		query = openProposalsPG
	}
	return voidFoundTx(ctx, tx, func() (writer, error) { return w, nil }, cause, now, query)
}

// voidFoundTx voids the proposals query finds (check id, proposal, raw,
// raw_hash, in the order to void them), as the writer by names: asked
// only when there is one, so that a write voiding nothing never needs
// an identity.
func voidFoundTx(ctx context.Context, tx *sqlTx, by func() (writer, error), cause Reason, now time.Time, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	type open struct {
		id   string
		seq  int64
		hash string
	}
	var all []open
	for rows.Next() {
		var o open
		var raw []byte
		var stored string
		if err := rows.Scan(&o.id, &o.seq, &raw, &stored); err != nil {
			rows.Close()
			return err
		}
		o.hash = responseHash(raw, stored)
		all = append(all, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(all) == 0 {
		return err
	}
	w, err := by()
	if err != nil {
		return fmt.Errorf("voiding %d proposals (%s): %w", len(all), cause, err)
	}
	for _, o := range all {
		if err := voidTx(ctx, tx, w, o.id, o.seq, o.hash, cause, now); err != nil {
			return err
		}
	}
	return nil
}

// systemReviewer is the display name of entries the store writes on its
// own account, such as a void when a refresh changed the response.
const systemReviewer = "caisson-review (refresh)"

// voidOnNewResponseTx voids the proposal on check id when the response it
// was made on has just been replaced by another (newHash), in the
// refresh's transaction, as whoever ran the refresh (by).
func (s *Store) voidOnNewResponseTx(ctx context.Context, tx *sqlTx, by Identity, id, oldHash, newHash string, proposal int64, now time.Time) error {
	if proposal == 0 || oldHash == newHash {
		return nil
	}
	// Only a void needs to know who ran the refresh; a refresh that voids
	// nothing never asks (a system without uids can still refresh).
	w, err := s.writer(systemReviewer, by)
	if err != nil {
		return fmt.Errorf("voiding proposal #%d on %s: %w", proposal, id, err)
	}
	return voidTx(ctx, tx, w, id, proposal, newHash, VoidResponseChanged, now)
}

// ConfirmableBy says whether the reviewer with identity id may confirm or
// return the proposal p, and if not, why: the console shows the keys
// disabled with this reason. The store refuses it too (ErrSameReviewer).
func (p Decision) ConfirmableBy(id Identity) (bool, string) {
	if p.Action != Propose {
		return false, "nothing awaits a second reviewer"
	}
	if p.Identity == id.String() {
		return false, "you proposed this: a second reviewer must confirm or return it"
	}
	return true, ""
}

// CountConfirmable counts the checks in Second review that the reviewer
// with identity id may confirm: every proposal but their own. Under serve
// a reviewer's Second review tab counts these.
func (s *Store) CountConfirmable(ctx context.Context, id Identity) (int, error) {
	query := `SELECT count(*) FROM checks AS c INDEXED BY checks_second_risk
		JOIN decisions AS d ON d.seq = c.proposal WHERE c.proposal > 0 AND d.identity <> ?`
	if s.pg() {
		query = countConfirmablePG
	}
	var n int
	err := s.db.QueryRowContext(ctx, query, id.String()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting the proposals %s may confirm: %w", id, err)
	}
	return n, nil
}

// Proposals reads the proposal entries with the given seqs (Row.Proposal),
// for a list of Second review to show who proposed what, when and why.
// A seq that is not a proposal is left out.
func (s *Store) Proposals(ctx context.Context, seqs []int64) (map[int64]Decision, error) {
	out := make(map[int64]Decision, len(seqs))
	if len(seqs) == 0 {
		return out, nil
	}
	marks := strings.Repeat(",?", len(seqs))[1:]
	args := make([]any, len(seqs))
	for i, seq := range seqs {
		args[i] = seq
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+decisionColumns+" FROM decisions WHERE action = 'propose' AND seq IN ("+marks+")", args...)
	if err != nil {
		return nil, fmt.Errorf("reading %d proposals: %w", len(seqs), err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDecision(rows)
		if err != nil {
			return nil, fmt.Errorf("reading proposals: %w", err)
		}
		out[d.Seq] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading proposals: %w", err)
	}
	return out, nil
}
