package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/caisson-review/caisson-review/store"
)

// ErrNotTracked: a decision on a check the store does not track.
var ErrNotTracked = errors.New("not tracked")

// RiskError is an approval that needs the reviewer's confirmation first
// (the console asks; the command line's --yes): a low or unknown
// confidence, an expired document, no result.
type RiskError struct {
	CheckID string
	Risks   []string
}

func (e *RiskError) Error() string {
	return fmt.Sprintf("%s %s: approving it needs a confirmation", e.CheckID, strings.Join(e.Risks, "; "))
}

// DecideRequest is a decision as a front end hands it in.
type DecideRequest struct {
	store.DecisionRequest
	// RiskAccepted: the reviewer confirmed approving a risky check.
	RiskAccepted bool
}

// Decided is the entry written and, for a confirm or return, the proposal
// it answered as the reviewer was shown it.
type Decided struct {
	store.Decision
	Proposal *store.Decision
	// Passed, for a return, is that Caisson passed the check (both
	// confidences high, the document in date): open again and waiting
	// for a reviewer, it is in no queue to review but All, and a front
	// end must not say it went back to needs review.
	Passed bool
	// To, for a return, is the decision queue the check went back to
	// (store.DecisionQueue): needs review, pending, or the queue of a
	// decision still in effect; "" for none (All, and Errors when its
	// last fetch failed). ToKnown is false when the check could not be
	// read (a cached response that no longer decodes): where it went is
	// then not said, rather than said wrong (helper-62).
	To      store.Queue
	ToKnown bool
}

// Decide records a decision by the rules every front end obeys: approving
// a risky check needs RiskAccepted (else a *RiskError, nothing written); a
// confirm or return answers the proposal awaiting when the check was read
// (another one written meanwhile is refused as stale rather than confirmed
// unseen); the reviewer and the identity are the service's unless the
// request names them (under serve the session's key). The store checks
// the rest (notes, reasons, four-eyes) in the transaction that writes.
func (s *Service) Decide(ctx context.Context, r DecideRequest) (Decided, error) {
	req := r.DecisionRequest
	if req.Reviewer == "" {
		req.Reviewer = s.o.Reviewer
	}
	if err := s.refuseKey("the note", req.Note); err != nil {
		return Decided{}, err
	}
	if err := s.refuseKey("the reviewer's name", req.Reviewer); err != nil {
		return Decided{}, err
	}
	if req.Identity.IsZero() {
		req.Identity = s.o.Identity
	}
	// The record is read only when a rule needs it: the risk of an
	// approval not yet accepted, the proposal a confirm or return answers.
	// A console deciding on what it shows has both in hand and pays for no
	// second read; the store refuses an untracked check either way.
	rec := &store.Record{}
	answers := req.Action == store.Confirm || req.Action == store.Return
	if checkRisk := req.Action == store.Approve && !r.RiskAccepted; checkRisk || answers {
		got, err := s.st.Get(ctx, req.CheckID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return Decided{}, fmt.Errorf("%s is %w", req.CheckID, ErrNotTracked)
		case err != nil && checkRisk:
			return Decided{}, fmt.Errorf("checking whether %s is risky to approve: %w", req.CheckID, err)
		case err == nil:
			rec = got
		}
		// Otherwise a confirm or return must not fail on a damaged
		// cache: the proposal is then the one the store finds awaiting.
	}
	if req.Action == store.Approve && !r.RiskAccepted {
		if risks := store.ApprovalRisks(rec.Row, rec.Result, s.o.Now()); len(risks) > 0 {
			return Decided{}, &RiskError{CheckID: req.CheckID, Risks: risks}
		}
	}
	if rec.Proposal != nil && req.Proposal == 0 && answers {
		req.Proposal = rec.Proposal.Seq
	}
	d, err := s.st.DecideAs(ctx, req)
	if errors.Is(err, store.ErrNotFound) {
		return Decided{}, fmt.Errorf("%s is %w: %w", req.CheckID, ErrNotTracked, err)
	}
	if err != nil {
		return Decided{}, err
	}
	dd := Decided{Decision: d, Proposal: rec.Proposal}
	if req.Action == store.Return && rec.CheckID != "" {
		dd.ToKnown = true
		dd.Passed = store.Passed(rec.Row, rec.Result, s.o.Now())
		dd.To = store.DecisionQueue(rec.Row, rec.Result, s.o.Now())
	}
	return dd, nil
}

// refuseKey refuses text (what names it) that holds the secret API key: a
// note pasted from the wrong window would keep the key in the append-only
// log, where nothing can remove it. Only a service that holds the key can
// tell; the error does not repeat the text.
func (s *Service) refuseKey(what, text string) error {
	if (s.api != nil && s.api.HoldsKey(text)) || s.o.Key.Holds(text) {
		return KeyRefusal(what)
	}
	return nil
}

// ErrHoldsKey: text to be kept holds the secret API key.
var ErrHoldsKey = errors.New("holds the secret API key (or twelve of its characters in a row)")

// KeyRefusal is the refusal of text (what names it) that holds the
// secret API key, in words that do not repeat it.
func KeyRefusal(what string) error {
	return fmt.Errorf("%s %w: it would stay in the append-only decision log for good, so nothing was written; write it without the key", what, ErrHoldsKey)
}
