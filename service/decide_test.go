package service

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/store"
)

// Approving a check with no result, a low or unknown confidence or an
// expired document needs the reviewer's confirmation: without it nothing
// is written.
func TestDecideRefusesARiskyApprovalUnlessTheReviewerAcceptedTheRisk(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.sb.CheckID(1) // never fetched: no result to approve on
	f.track(id)
	svc := f.service(f.api)
	approve := DecideRequest{DecisionRequest: store.DecisionRequest{CheckID: id, Action: store.Approve}}
	_, err := svc.Decide(ctx, approve)
	var risky *RiskError
	if !errors.As(err, &risky) || len(risky.Risks) == 0 {
		t.Fatalf("got %v, want a *RiskError listing the risks", err)
	}
	if rec := f.get(id); len(rec.Decisions) != 0 {
		t.Fatalf("a refused approval wrote %+v", rec.Decisions)
	}
	approve.RiskAccepted = true
	d, err := svc.Decide(ctx, approve)
	if err != nil || d.Action != store.Approve || d.Reviewer != "alice" {
		t.Fatalf("accepted: %+v, %v; want approved by the service's reviewer", d, err)
	}
}

func TestDecideOnAnUntrackedCheckSaysSo(t *testing.T) {
	f := newFixture(t)
	_, err := f.service(nil).Decide(context.Background(), DecideRequest{
		DecisionRequest: store.DecisionRequest{CheckID: f.sb.CheckID(1), Action: store.Reopen}})
	if !errors.Is(err, ErrNotTracked) {
		t.Fatalf("got %v, want ErrNotTracked", err)
	}
}

// Under serve a decision is made as the session's key: the identity is
// the service's, and four-eyes compares it. A second key confirms the
// proposal it was shown; the proposer's own key cannot.
func TestDecideIsMadeAsTheServicesIdentityAndFourEyesComparesIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.sb.CheckID(1)
	f.track(id)
	if _, err := f.st.SetFourEyes(ctx, store.PolicyChange{FourEyes: store.FourEyesApprovals, Note: "a team", Reviewer: "tester"}); err != nil {
		t.Fatal(err)
	}
	as := func(name, fp string) *Service {
		return New(f.st, nil, Options{Reviewer: name, Identity: store.SSHIdentity(fp), Now: fixedClock})
	}
	alice, bob := as("alice", "SHA256:alice-key"), as("bob", "SHA256:bob-key")
	p, err := alice.Decide(ctx, DecideRequest{DecisionRequest: store.DecisionRequest{CheckID: id, Action: store.Approve}, RiskAccepted: true})
	if err != nil || p.Action != store.Propose || p.Identity != store.SSHIdentity("SHA256:alice-key").String() {
		t.Fatalf("proposal %+v, %v; want proposed as alice's key", p.Decision, err)
	}
	confirm := DecideRequest{DecisionRequest: store.DecisionRequest{CheckID: id, Action: store.Confirm}}
	if _, err := alice.Decide(ctx, confirm); !errors.Is(err, store.ErrSameReviewer) {
		t.Errorf("the proposer's own confirmation: %v, want ErrSameReviewer", err)
	}
	d, err := bob.Decide(ctx, confirm)
	if err != nil || d.Ref != p.Seq || d.Proposal == nil || d.Proposal.Seq != p.Seq || d.Reviewer != "bob" {
		t.Fatalf("confirmation %+v (proposal %+v), %v; want bob confirming #%d", d.Decision, d.Proposal, err, p.Seq)
	}
}

// The console and serve decide through a service with the API: a note
// holding its key (whole or cut short) is refused, nothing written.
func TestDecideRefusesANoteHoldingTheAPIKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.sb.CheckID(1)
	f.track(id)
	svc := f.service(f.api)
	key := f.sb.Key()
	for _, note := range []string{key, "pasted " + key[2:16] + " by mistake"} {
		_, err := svc.Decide(ctx, DecideRequest{DecisionRequest: store.DecisionRequest{CheckID: id, Action: store.Escalate, Note: note}})
		if !errors.Is(err, ErrHoldsKey) || strings.Contains(err.Error(), key[2:14]) {
			t.Errorf("a note holding the key: %v, want ErrHoldsKey without the key", err)
		}
	}
	if rec := f.get(id); len(rec.Decisions) != 0 {
		t.Fatalf("refused notes wrote %+v", rec.Decisions)
	}
	if _, err := svc.Decide(ctx, DecideRequest{DecisionRequest: store.DecisionRequest{CheckID: id, Action: store.Escalate, Note: "ask ops"}}); err != nil {
		t.Fatal(err)
	}
}
