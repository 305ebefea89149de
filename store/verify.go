package store

import (
	"context"
	"fmt"
)

// Verify walks the decision log and reports the first entry that breaks
// the hash chain: an entry edited (its hash no longer matches its fields),
// deleted (a gap in the sequence, or a link to a hash that is not the one
// before), or moved. It also checks that each check's status is what its
// latest decision says, since queues trust that column.
//
// No chain can see its newest entries removed from its end, so Verify
// also takes heads kept outside the database (Head) and says which of
// them the log no longer holds. And it checks that the triggers that make
// the log append-only are there as shipped: without them SQLite no longer
// refuses an edit.
func (s *Store) Verify(ctx context.Context, heads ...Head) (VerifyResult, error) {
	wanted := map[int64]bool{}
	for _, h := range heads {
		wanted[h.Seq] = true
	}
	found := map[int64]string{}
	// The time is read twice: as text too, because the hash covers the
	// canonical form, and an edit to an equal instant written otherwise
	// (another offset) would pass the hash yet sort wrongly for --since.
	rows, err := s.db.QueryContext(ctx, "SELECT "+decisionColumns+", at FROM decisions ORDER BY seq")
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verifying the decision log: %w", err)
	}
	defer rows.Close()
	var res VerifyResult
	latest := map[string]Decision{}
	prev := Decision{}
	for rows.Next() {
		var atText string
		d, err := scanDecision(rows, &atText)
		if err != nil {
			return VerifyResult{}, fmt.Errorf("verifying the decision log: %w", err)
		}
		res.Entries++
		problem := brokenLink(prev, d)
		if problem == "" && atText != d.At.UTC().Format(atLayout) {
			problem = "its time is not written as the log writes it (the entry was edited)"
		}
		if problem != "" && res.Problem == "" {
			res.BrokenAt, res.Problem = d.Seq, problem
		}
		if wanted[d.Seq] {
			found[d.Seq] = d.Hash
		}
		latest[d.CheckID] = d
		prev = d
	}
	if err := rows.Err(); err != nil {
		return VerifyResult{}, fmt.Errorf("verifying the decision log: %w", err)
	}
	if res.Problem == "" {
		seq, problem, err := s.statusMismatch(ctx, latest)
		if err != nil {
			return VerifyResult{}, err
		}
		res.BrokenAt, res.Problem = seq, problem
	}
	res.Head = prev.Head()
	res.MissingHeads = missingHeads(heads, found, prev.Seq)
	if res.Unguarded, err = guardProblems(ctx, s.db); err != nil {
		return VerifyResult{}, err
	}
	res.OK = res.Problem == "" && len(res.MissingHeads) == 0 && len(res.Unguarded) == 0
	return res, nil
}

func brokenLink(prev, d Decision) string {
	switch {
	case d.Seq != prev.Seq+1:
		return fmt.Sprintf("entries %d to %d are missing (deleted?)", prev.Seq+1, d.Seq-1)
	case d.PrevHash != prev.Hash:
		return "it does not link to the entry before it (an entry was deleted, inserted or moved)"
	case d.Hash != d.computeHash():
		return "its content does not match its hash (the entry was edited)"
	}
	return ""
}

// statusMismatch finds a check whose status column disagrees with its
// latest decision, reporting that decision's seq (0 for a check with a
// status but no decision).
func (s *Store) statusMismatch(ctx context.Context, latest map[string]Decision) (int64, string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT check_id, status FROM checks WHERE status <> 'open' OR check_id IN (SELECT check_id FROM decisions)")
	if err != nil {
		return 0, "", fmt.Errorf("verifying check statuses: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			return 0, "", fmt.Errorf("verifying check statuses: %w", err)
		}
		seen[id] = true
		d, ok := latest[id]
		want := StatusOpen
		if ok {
			want = statusAfter(d.Action)
		}
		if Status(status) != want {
			return d.Seq, fmt.Sprintf("check %s has status %s but its latest decision says %s", id, status, want), nil
		}
	}
	if err := rows.Err(); err != nil {
		return 0, "", fmt.Errorf("verifying check statuses: %w", err)
	}
	// The program never deletes a decided check's row (a purge empties
	// it): one gone takes the check out of every queue, its decisions
	// left pointing at nothing.
	var gone Decision
	for id, d := range latest {
		if !seen[id] && (gone.Seq == 0 || d.Seq < gone.Seq) {
			gone = d
		}
	}
	if gone.Seq != 0 {
		return gone.Seq, fmt.Sprintf("check %s, decided here, is no longer in the database (its row was deleted)", gone.CheckID), nil
	}
	return 0, "", nil
}
