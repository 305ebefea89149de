package store

import (
	"context"
	"fmt"
	"time"
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
	return s.VerifyKept(ctx, heads, nil)
}

// VerifyKept is Verify with heads of the access log's chain kept too
// (accessHeads, ID:HASH as export --verify printed them): a record cut
// off its end, or the chain rewritten up to one, is said as for the
// decision log's.
func (s *Store) VerifyKept(ctx context.Context, heads, accessHeads []Head) (VerifyResult, error) {
	wanted := map[int64]bool{}
	for _, h := range heads {
		wanted[h.Seq] = true
	}
	found := map[int64]string{}
	// The log and the statuses in one snapshot: read apart, a decision
	// made between the two reads (serve deciding while cron exports)
	// showed as a status the log did not explain, and an intact log
	// failed (helper-75: 6 verifies in 300).
	snap, err := s.snapshot(ctx)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verifying the decision log: %w", err)
	}
	defer snap.close()
	// The time is read twice: as text too, because the hash covers the
	// canonical form, and an edit to an equal instant written otherwise
	// (another offset) would pass the hash yet sort wrongly for --since.
	rows, err := snap.read(ctx, "SELECT "+decisionColumns+", at FROM decisions ORDER BY seq")
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verifying the decision log: %w", err)
	}
	defer rows.Close()
	var res VerifyResult
	latest := map[string]*replayed{}
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
		if d.CheckID != "" {
			st := latest[d.CheckID]
			if st == nil {
				st = &replayed{status: StatusOpen}
				latest[d.CheckID] = st
			}
			st.apply(d)
		}
		prev = d
	}
	if err := rows.Err(); err != nil {
		return VerifyResult{}, fmt.Errorf("verifying the decision log: %w", err)
	}
	if res.Problem == "" {
		seq, problem, err := statusMismatch(ctx, snap, latest)
		if err != nil {
			return VerifyResult{}, err
		}
		res.BrokenAt, res.Problem = seq, problem
	}
	res.Head = prev.Head()
	if res.Access, err = verifyAccess(ctx, snap, accessHeads); err != nil {
		return VerifyResult{}, err
	}
	res.MissingHeads = missingHeads(heads, found, prev.Seq)
	if res.Unguarded, err = guardProblems(ctx, s.db); err != nil {
		return VerifyResult{}, err
	}
	if res.Schema, err = schemaTriggerProblems(ctx, s.db); err != nil {
		return VerifyResult{}, err
	}
	res.OK = res.Problem == "" && res.Access.Problem == "" && len(res.MissingHeads) == 0 && len(res.Access.MissingHeads) == 0 &&
		len(res.Unguarded) == 0 && len(res.Schema) == 0
	return res, nil
}

// verifyAccess walks the access log's chain as Verify walks the decision
// log's: each record made since migration 19 links to the hash of the
// record before it and holds its own fields' hash. The records made
// before have no hash and come first; one without a hash after the chain
// began was not written by the program (or was emptied of its hash).
// Edits, deletions and records moved or inserted show; a chain rewritten
// whole by someone who can write the database, or cut off its end, shows
// only against a head of it kept (heads, export --verify --access-head).
func verifyAccess(ctx context.Context, r reader, heads []Head) (AccessVerified, error) {
	wanted := map[int64]bool{}
	for _, h := range heads {
		wanted[h.Seq] = true
	}
	found := map[int64]string{}
	var last int64
	rows, err := r.read(ctx, "SELECT id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash FROM access ORDER BY id")
	if err != nil {
		return AccessVerified{}, fmt.Errorf("verifying the access log: %w", err)
	}
	defer rows.Close()
	var v AccessVerified
	var prev string // the hash of the record before, "" for none or unchained
	for rows.Next() {
		var id, at int64
		var a Access
		var what, origin, prevHash, hash string
		if err := rows.Scan(&id, &at, &a.Identity, &a.Reviewer, &a.CheckID, &what, &origin, &a.Address, &prevHash, &hash); err != nil {
			return AccessVerified{}, fmt.Errorf("verifying the access log: %w", err)
		}
		a.At, a.What, a.Origin = time.Unix(0, at), AccessWhat(what), AccessOrigin(origin)
		v.Records++
		var problem string
		switch {
		case id < 1:
			// The program numbers them from 1; below, a record passed
			// as one made before the chain (helper-76).
			problem = fmt.Sprintf("it is numbered %d, but the log's records are numbered from 1 (it was inserted behind the program's back)", id)
		case hash == "" && prevHash == "" && v.Head.IsZero():
			v.Unchained++ // made before the chain
		case hash == "":
			problem = "it has no hash, but records before it do (it was inserted behind the program's back, or its hash removed)"
		case prevHash != prev:
			problem = "it does not link to the record before it (a record was deleted, inserted or moved)"
		case hash != a.hash(prevHash):
			problem = "its content does not match its hash (the record was edited)"
		}
		if problem != "" && v.Problem == "" {
			v.BrokenAt, v.Problem = id, problem
		}
		if hash != "" {
			v.Head = Head{Seq: id, Hash: hash}
		}
		if wanted[id] {
			found[id] = hash
		}
		prev, last = hash, id
	}
	if err := rows.Err(); err != nil {
		return AccessVerified{}, fmt.Errorf("verifying the access log: %w", err)
	}
	v.MissingHeads = missingHeadsOf("record", "records", heads, found, last)
	return v, nil
}

func brokenLink(prev, d Decision) string {
	switch {
	case d.Seq < 1:
		// Said whole: the report names no entry at a number below 1
		// ("entries 1 to -1 are missing" said nothing, helper-72).
		return fmt.Sprintf("an entry is numbered %d, but the log's entries are numbered from 1 (one was inserted or renumbered)", d.Seq)
	case d.Seq != prev.Seq+1:
		return fmt.Sprintf("entries %d to %d are missing (deleted?)", prev.Seq+1, d.Seq-1)
	case d.PrevHash != prev.Hash:
		return "it does not link to the entry before it (an entry was deleted, inserted or moved)"
	case d.Hash != d.computeHash():
		return "its content does not match its hash (the entry was edited)"
	}
	return ""
}

// replayed is a check's status and awaiting proposal as its log entries
// leave them, which the checks row must agree with.
type replayed struct {
	status   Status
	proposal int64
	seq      int64 // the newest entry on the check
}

func (r *replayed) apply(d Decision) {
	switch d.Action {
	case Approve, Reject, Escalate, Reopen:
		r.status, r.proposal = statusAfter(d.Action), 0
	case Propose:
		r.proposal = d.Seq
	case Confirm:
		r.status, r.proposal = statusAfter(d.Proposes), 0
	case Return, Void:
		r.proposal = 0
	}
	r.seq = d.Seq
}

// statusMismatch finds a check whose status or awaiting proposal disagrees
// with its log entries, reporting the newest entry's seq (0 for a check
// with a status but no entry).
func statusMismatch(ctx context.Context, r reader, latest map[string]*replayed) (int64, string, error) {
	rows, err := r.read(ctx, "SELECT check_id, status, proposal FROM checks WHERE status <> 'open' OR proposal <> 0 OR check_id IN (SELECT check_id FROM decisions)")
	if err != nil {
		return 0, "", fmt.Errorf("verifying check statuses: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var id, status string
		var proposal int64
		if err := rows.Scan(&id, &status, &proposal); err != nil {
			return 0, "", fmt.Errorf("verifying check statuses: %w", err)
		}
		seen[id] = true
		want := latest[id]
		if want == nil {
			want = &replayed{status: StatusOpen}
		}
		if Status(status) != want.status {
			// Named at the check's newest entry still there: when entries
			// were cut off the log's end, that is not where the damage is
			// (helper-72), so both readings are said.
			return want.seq, fmt.Sprintf("check %s has status %s but its latest decision says %s (entries about it may be missing from the log, or its status was changed behind the log's back)", id, status, want.status), nil
		}
		if proposal != want.proposal {
			return want.seq, fmt.Sprintf("check %s awaits proposal #%d for a second reviewer but the log says #%d", id, proposal, want.proposal), nil
		}
	}
	if err := rows.Err(); err != nil {
		return 0, "", fmt.Errorf("verifying check statuses: %w", err)
	}
	// The program never deletes a decided check's row (a purge empties
	// it): one gone takes the check out of every queue, its decisions
	// left pointing at nothing.
	var goneID string
	var goneSeq int64
	for id, r := range latest {
		if !seen[id] && (goneSeq == 0 || r.seq < goneSeq) {
			goneID, goneSeq = id, r.seq
		}
	}
	if goneSeq != 0 {
		return goneSeq, fmt.Sprintf("check %s, decided here, is no longer in the database (its row was deleted)", goneID), nil
	}
	return 0, "", nil
}
