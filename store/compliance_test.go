package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

var (
	anaID = Identity{Kind: IdentityOS, ID: "uid=1001,login=ana"}
	bobID = Identity{Kind: IdentityOS, ID: "uid=1002,login=bob"}
)

// sharedFile is a database with one risky check (checkID(1)) and one
// passed check (checkID(2)), opened by two store handles as two reviewers
// with their own identities would open it.
func sharedFile(t *testing.T, mode FourEyes) (path string, ana, bob *Store) {
	t.Helper()
	path = testLocation(t)
	c := &clock{t: testNow}
	ana = openIdentified(t, path, c, anaID)
	addFetched(t, ana, result{id: checkID(1), customer: "cust-1", doc: "medium", face: "high", reasons: []int{201}})
	addFetched(t, ana, result{id: checkID(2), customer: "cust-2", doc: "high", face: "high"})
	if mode != FourEyesOff {
		if _, err := ana.SetFourEyes(context.Background(), PolicyChange{FourEyes: mode, Note: "team rule", Reviewer: "Ana"}); err != nil {
			t.Fatal(err)
		}
	}
	bob = openIdentified(t, path, c, bobID)
	return path, ana, bob
}

func openIdentified(t *testing.T, path string, c *clock, id Identity) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, WithClock(c.Now), WithIdentity(id))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustVerify(t *testing.T, s *Store) VerifyResult {
	t.Helper()
	v, err := s.Verify(context.Background())
	if err != nil || !v.OK {
		t.Fatalf("Verify = %+v, %v; want OK", v, err)
	}
	return v
}

func entries(t *testing.T, s *Store) []Decision {
	t.Helper()
	var out []Decision
	if err := s.Decisions(context.Background(), time.Time{}, func(d Decision) error { out = append(out, d); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFourEyesPolicyDecidesWhatIsProposed(t *testing.T) {
	tests := []struct {
		name    string
		mode    FourEyes
		check   int
		action  Action
		propose bool
	}{
		{"off: a risky approval takes effect", FourEyesOff, 1, Approve, false},
		{"risky: a medium-confidence approval is proposed", FourEyesRisky, 1, Approve, true},
		{"risky: a passed check's approval takes effect", FourEyesRisky, 2, Approve, false},
		{"risky: a rejection takes effect", FourEyesRisky, 1, Reject, false},
		{"approvals: every approval is proposed", FourEyesApprovals, 2, Approve, true},
		{"approvals: a rejection takes effect", FourEyesApprovals, 1, Reject, false},
		{"all: a rejection is proposed", FourEyesAll, 1, Reject, true},
		{"all: an escalation takes effect", FourEyesAll, 1, Escalate, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ana, _ := sharedFile(t, tt.mode)
			ctx := context.Background()
			d, err := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(tt.check), Action: tt.action, Note: "seen", Reviewer: "Ana"})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := ana.Get(ctx, checkID(tt.check))
			if err != nil {
				t.Fatal(err)
			}
			if tt.propose {
				if d.Action != Propose || d.Proposes != tt.action || rec.Status != StatusOpen || rec.Proposal == nil || rec.Proposal.Seq != d.Seq {
					t.Errorf("got entry %s/%s, status %s, proposal %v; want a proposal awaiting, status open", d.Action, d.Proposes, rec.Status, rec.Proposal)
				}
				if n, _ := ana.Count(ctx, PageQuery{Queue: QueueSecondReview}); n != 1 {
					t.Errorf("second-review holds %d checks, want 1", n)
				}
			} else if d.Action != tt.action || rec.Status != statusAfter(tt.action) || rec.Proposal != nil {
				t.Errorf("got entry %s, status %s, proposal %v; want %s in effect", d.Action, rec.Status, rec.Proposal, tt.action)
			}
			mustVerify(t, ana)
		})
	}
}

func TestASecondReviewerConfirmsAndTheProposerCannot(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	p, err := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Note: "selfie is fine", Reviewer: "Ana"})
	if err != nil || p.Action != Propose {
		t.Fatalf("proposal = %+v, %v", p, err)
	}
	for _, a := range []Action{Confirm, Return} {
		// The display name is no defence: the identity is compared.
		_, err = ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: a, Note: "ok", Reviewer: "Bob"})
		if !errors.Is(err, ErrSameReviewer) {
			t.Errorf("the proposer's %s: %v, want ErrSameReviewer", a, err)
		}
	}
	for _, q := range []Queue{QueueNeedsReview, QueueApproved} {
		if n, _ := bob.Count(ctx, PageQuery{Queue: q}); n != 0 {
			t.Errorf("%s holds %d checks while the proposal awaits", q, n)
		}
	}
	d, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob", Proposal: p.Seq})
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != Confirm || d.Ref != p.Seq || d.Proposes != Approve || d.Identity != bobID.String() {
		t.Errorf("confirmation = %+v", d)
	}
	rec, _ := bob.Get(ctx, checkID(1))
	if rec.Status != StatusApproved || rec.Proposal != nil {
		t.Errorf("after the confirmation: status %s, proposal %v; want approved, none", rec.Status, rec.Proposal)
	}
	mustVerify(t, bob)
}

func TestReturningNeedsANoteAndSendsTheCheckBackToNeedsReview(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	p, _ := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	if _, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Return, Reviewer: "Bob"}); err == nil || !strings.Contains(err.Error(), "needs a note") {
		t.Fatalf("return without a note: %v", err)
	}
	d, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Return, Note: "look at the selfie again", Reviewer: "Bob"})
	if err != nil || d.Ref != p.Seq {
		t.Fatalf("return = %+v, %v", d, err)
	}
	rows, _ := bob.Page(ctx, PageQuery{Queue: QueueNeedsReview})
	if len(rows) != 1 || rows[0].CheckID != checkID(1) {
		t.Errorf("needs review after the return: %v", ids(rows))
	}
	mustVerify(t, bob)
}

func TestAProposalIsVoidedAndTheLogSaysWhy(t *testing.T) {
	tests := []struct {
		name  string
		event func(t *testing.T, ana, bob *Store)
		cause Reason
		queue Queue
	}{
		{"a refresh brings a different response", func(t *testing.T, ana, bob *Store) {
			if err := bob.RecordFetch(context.Background(), checkID(1), makeCheck(t, result{id: checkID(1), customer: "cust-1", doc: "low", face: "high"}), nil, testNow); err != nil {
				t.Fatal(err)
			}
		}, VoidResponseChanged, QueueNeedsReview},
		{"the check is decided otherwise", func(t *testing.T, ana, bob *Store) {
			if _, err := bob.Decide(context.Background(), checkID(1), Escalate, "ask the customer", "Bob"); err != nil {
				t.Fatal(err)
			}
		}, VoidDecidedOtherwise, QueueEscalated},
		{"the policy is turned off", func(t *testing.T, ana, bob *Store) {
			if _, err := bob.SetFourEyes(context.Background(), PolicyChange{FourEyes: FourEyesOff, Note: "alone this week", Reviewer: "Bob"}); err != nil {
				t.Fatal(err)
			}
		}, VoidPolicyOff, QueueNeedsReview},
		{"its personal data is purged", func(t *testing.T, ana, bob *Store) {
			// The response proposed on goes: a second reviewer would
			// confirm what nobody can see any more.
			if n, err := bob.Purge(context.Background(), 0, testNow.Add(time.Second)); err != nil || n != 2 {
				t.Fatalf("purge = %d, %v; want both checks", n, err)
			}
		}, VoidPurged, QueueAll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ana, bob := sharedFile(t, FourEyesRisky)
			ctx := context.Background()
			p, _ := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
			tt.event(t, ana, bob)
			var void *Decision
			for _, d := range entries(t, bob) {
				if d.Action == Void {
					void = &d
				}
			}
			if void == nil || void.Reason != tt.cause || void.Ref != p.Seq || void.CheckID != checkID(1) {
				t.Fatalf("void entry = %+v, want cause %s of #%d", void, tt.cause, p.Seq)
			}
			rows, _ := bob.Page(ctx, PageQuery{Queue: tt.queue, Filter: strings.TrimPrefix(checkID(1), "chk_priv_")})
			if len(rows) != 1 || rows[0].CheckID != checkID(1) || rows[0].Proposal != 0 {
				t.Errorf("%s after the void: %v", tt.queue, ids(rows))
			}
			if n, _ := bob.Count(ctx, PageQuery{Queue: QueueSecondReview}); n != 0 {
				t.Errorf("second review still holds %d", n)
			}
			_, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob", Proposal: p.Seq})
			if err == nil {
				t.Error("a voided proposal was confirmed")
			}
			mustVerify(t, bob)
		})
	}
}

func TestARefreshBringingTheSameResponseKeepsTheProposal(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	same := makeCheck(t, result{id: checkID(1), customer: "cust-1", doc: "medium", face: "high", reasons: []int{201}})
	if err := bob.RecordFetch(ctx, checkID(1), same, nil, testNow); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob"}); err != nil {
		t.Errorf("confirming after a refresh that changed nothing: %v", err)
	}
}

func TestAConfirmationRacingARefreshThatChangedTheResponseIsRefusedAsStale(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	p, _ := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	shown, _ := bob.Get(ctx, checkID(1)) // what Bob reviews
	changed := makeCheck(t, result{id: checkID(1), customer: "cust-1", doc: "low", face: "low"})
	if err := ana.RecordFetch(ctx, checkID(1), changed, nil, testNow); err != nil {
		t.Fatal(err)
	}
	_, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob", Proposal: shown.Proposal.Seq})
	if !errors.Is(err, ErrStaleProposal) {
		t.Fatalf("confirming #%d after the response changed: %v, want ErrStaleProposal", p.Seq, err)
	}
	for _, d := range entries(t, bob) {
		if d.Action == Confirm {
			t.Errorf("a confirmation was written: %+v", d)
		}
	}
}

// The two run at once, many times over: whichever lands first, no
// confirmation is ever written on a response other than the proposal's.
func TestConfirmationsRacingRefreshesNeverConfirmAChangedResponse(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		p, err := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			doc := []string{"low", "medium"}[i%2]
			ana.RecordFetch(ctx, checkID(1), makeCheck(t, result{id: checkID(1), doc: doc, face: "high", customer: fmt.Sprint(i)}), nil, testNow)
		}()
		go func() {
			defer wg.Done()
			_, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob", Proposal: p.Seq})
			if err != nil && !errors.Is(err, ErrStaleProposal) {
				t.Errorf("round %d: %v", i, err)
			}
		}()
		wg.Wait()
		// Reopened when the confirmation landed.
		if _, err := ana.Decide(ctx, checkID(1), Reopen, "", "Ana"); err != nil && !errors.Is(err, ErrAlreadyDecided) {
			t.Fatal(err)
		}
	}
	byseq := map[int64]Decision{}
	for _, d := range entries(t, bob) {
		byseq[d.Seq] = d
		if d.Action == Confirm && byseq[d.Ref].ResponseHash != d.ResponseHash {
			t.Errorf("confirmation #%d is on another response than proposal #%d", d.Seq, d.Ref)
		}
	}
	mustVerify(t, bob)
}

func TestTwoReviewersConfirmingAtOnceOneLands(t *testing.T) {
	path, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	p, _ := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	cara := openIdentified(t, path, &clock{t: testNow}, Identity{Kind: IdentitySSH, ID: "SHA256:cara"})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, st := range []*Store{bob, cara} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "second", Proposal: p.Seq})
		}()
	}
	wg.Wait()
	landed, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			landed++
		case errors.Is(err, ErrNoProposal) && strings.Contains(err.Error(), "already confirmed by second"):
			refused++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if landed != 1 || refused != 1 {
		t.Errorf("%d landed, %d refused with the reason; want one of each", landed, refused)
	}
	n := 0
	for _, d := range entries(t, bob) {
		if d.Action == Confirm {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d confirmations in the log, want 1", n)
	}
	mustVerify(t, bob)
}

// The multi-process tests' child: confirms checkID(1) as the identity in
// COMPLIANCE_IDENTITY, prints "confirmed" or the error.
func TestComplianceHelperProcess(t *testing.T) {
	path := os.Getenv("COMPLIANCE_DB")
	if path == "" {
		t.Skip("only runs as a child of the multi-process tests")
	}
	kind, id, _ := strings.Cut(os.Getenv("COMPLIANCE_IDENTITY"), ":")
	s, err := Open(context.Background(), path, WithIdentity(Identity{Kind: kind, ID: id}))
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	_, err = s.DecideAs(context.Background(), DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "child"})
	switch {
	case err == nil:
		fmt.Println("confirmed")
	case errors.Is(err, ErrSameReviewer):
		fmt.Println("same reviewer:", err)
	case errors.Is(err, ErrNoProposal):
		fmt.Println("no proposal:", err)
	default:
		fmt.Println("error:", err)
	}
	s.Close()
	os.Exit(0)
}

func confirmInChild(path string, id Identity) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestComplianceHelperProcess$")
	cmd.Env = append(os.Environ(), "COMPLIANCE_DB="+path, "COMPLIANCE_IDENTITY="+id.String())
	return cmd
}

func TestTheProposerCannotConfirmFromAnotherProcess(t *testing.T) {
	path, ana, _ := sharedFile(t, FourEyesRisky)
	ana.DecideAs(context.Background(), DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	out, err := confirmInChild(path, anaID).Output()
	if err != nil || !strings.HasPrefix(string(out), "same reviewer:") {
		t.Fatalf("the proposer's process confirming: %q, %v", out, err)
	}
	out, err = confirmInChild(path, bobID).Output()
	if err != nil || strings.TrimSpace(string(out)) != "confirmed" {
		t.Fatalf("another identity's process confirming: %q, %v", out, err)
	}
	mustVerify(t, ana)
}

func TestTwoProcessesConfirmingAtOnceOneLands(t *testing.T) {
	path, ana, _ := sharedFile(t, FourEyesRisky)
	ana.DecideAs(context.Background(), DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	cmds := []*exec.Cmd{confirmInChild(path, bobID), confirmInChild(path, SSHIdentity("SHA256:cara"))}
	outs := make([]strings.Builder, 2)
	for i, c := range cmds {
		c.Stdout = &outs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
		got[strings.SplitN(outs[i].String(), ":", 2)[0]]++
	}
	if got["confirmed\n"] != 1 || got["no proposal"] != 1 {
		t.Errorf("children said %v; want one confirmed and one told there is no proposal any more", got)
	}
	n := 0
	for _, d := range entries(t, ana) {
		if d.Action == Confirm {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d confirmations in the log, want 1", n)
	}
	mustVerify(t, ana)
}

func TestProposingTheSameDecisionTwiceIsRefused(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	_, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Bob"})
	if !errors.Is(err, ErrAlreadyProposed) || !strings.Contains(err.Error(), "Ana proposed to approve it") {
		t.Errorf("a second approval while one awaits: %v, want ErrAlreadyProposed saying who proposed what (confirm is the way)", err)
	}
}

// A decision that would leave the check as it is writes nothing: it
// would count twice in the stats, and under four-eyes stage a proposal
// to approve an approved check. Deciding otherwise stays one step (an
// escalated check is then approved, a rejection changed to an approval).
func TestADecisionThatLeavesTheCheckAsItIsIsRefused(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesApprovals)
	ctx := context.Background()
	steps := []struct {
		by      *Store
		action  Action
		refused bool
	}{
		{ana, Reopen, true}, // open already
		{ana, Escalate, false},
		{bob, Escalate, true},
		{ana, Reject, false}, // escalated, then rejected
		{bob, Reject, true},
		{ana, Approve, false}, // proposed
		{bob, Confirm, false},
		{ana, Approve, true}, // approved already: no proposal either
		{bob, Approve, true},
		{ana, Reopen, false},
		{bob, Reopen, true},
	}
	for i, st := range steps {
		before := len(entries(t, bob))
		d, err := st.by.DecideAs(ctx, DecisionRequest{CheckID: checkID(2), Action: st.action, Note: "why", Reviewer: "someone"})
		wrote := len(entries(t, bob)) - before
		switch {
		case st.refused && (!errors.Is(err, ErrAlreadyDecided) || !strings.Contains(err.Error(), "nothing was written")):
			t.Errorf("step %d, %s: %v, want ErrAlreadyDecided", i, st.action, err)
		case st.refused && wrote != 0:
			t.Errorf("step %d, %s was refused but wrote %d entries", i, st.action, wrote)
		case !st.refused && err != nil:
			t.Errorf("step %d, %s: %v", i, st.action, err)
		case !st.refused && wrote != 1:
			t.Errorf("step %d, %s (%s) wrote %d entries, want 1", i, st.action, d.Action, wrote)
		}
	}
	_, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(2), Action: Reopen, Reviewer: "Bob"})
	if err == nil || !strings.Contains(err.Error(), "nothing to reopen") {
		t.Errorf("reopening an open check: %v", err)
	}
	if _, err := ana.Decide(ctx, checkID(2), Approve, "", "Ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(2), Action: Confirm, Reviewer: "Ana"}); err == nil {
		t.Fatal("the proposer confirmed")
	}
	if _, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(2), Action: Confirm, Reviewer: "Bob"}); err != nil {
		t.Fatal(err)
	}
	_, err = bob.Decide(ctx, checkID(2), Approve, "", "Bob")
	if !errors.Is(err, ErrAlreadyDecided) || !strings.Contains(err.Error(), "Bob approved it at") {
		t.Errorf("approving an approved check: %v, want who approved it", err)
	}
	mustVerify(t, bob)
}

// A check whose personal data went another way than a purge (Caisson
// said it deleted the check) keeps its proposal, which cannot be
// confirmed: the hash outlives the data.
func TestAProposalOnACheckCaissonDeletedCannotBeConfirmed(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	p, err := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	if err != nil || p.Action != Propose {
		t.Fatalf("proposal = %+v, %v", p, err)
	}
	if err := bob.RecordFetch(ctx, checkID(1), nil, &caisson.APIError{Code: caisson.CodeIDCheckDeleted}, testNow.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err = bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob", Proposal: p.Seq})
	if !errors.Is(err, ErrStaleProposal) || !strings.Contains(err.Error(), "purged") {
		t.Fatalf("confirming a proposal on purged data: %v, want ErrStaleProposal saying it was purged", err)
	}
	if rec, _ := bob.Get(ctx, checkID(1)); rec.Status != StatusOpen {
		t.Errorf("status %s after the refused confirmation", rec.Status)
	}
	mustVerify(t, bob)
}

func TestConfirmingWithNothingProposedSaysSo(t *testing.T) {
	_, _, bob := sharedFile(t, FourEyesRisky)
	_, err := bob.DecideAs(context.Background(), DecisionRequest{CheckID: checkID(2), Action: Confirm, Reviewer: "Bob"})
	if !errors.Is(err, ErrNoProposal) || !strings.Contains(err.Error(), "nothing was proposed") {
		t.Errorf("confirm with nothing proposed: %v", err)
	}
}

func TestThePolicyIsOffByDefaultAndEveryChangeIsALogEntry(t *testing.T) {
	location := testLocation(t)
	s := openAt(t, location, &clock{t: testNow})
	ctx := context.Background()
	p, err := s.Policy(ctx)
	if err != nil || p.FourEyes != FourEyesOff || p.Set.Seq != 0 {
		t.Fatalf("a new database's policy = %+v, %v; want off, by default", p, err)
	}
	s2 := openIdentified(t, location, &clock{t: testNow}, anaID)
	d, err := s2.SetFourEyes(ctx, PolicyChange{FourEyes: FourEyesRisky, Note: "audit finding 12", Reviewer: "Ana"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != PolicyEntry || d.OldValue != "off" || d.NewValue != "risky" || d.Note != "audit finding 12" ||
		d.Identity != anaID.String() || d.Reviewer != "Ana" || d.CheckID != "" || d.At.IsZero() {
		t.Errorf("policy entry = %+v", d)
	}
	if p, _ := s.Policy(ctx); p.FourEyes != FourEyesRisky || p.Set.Seq != d.Seq {
		t.Errorf("policy read by another handle = %+v", p)
	}
	for name, c := range map[string]PolicyChange{
		"no note":       {FourEyes: FourEyesAll, Reviewer: "Ana"},
		"an odd mode":   {FourEyes: "sometimes", Note: "x", Reviewer: "Ana"},
		"the same mode": {FourEyes: FourEyesRisky, Note: "again", Reviewer: "Ana"},
	} {
		if _, err := s2.SetFourEyes(ctx, c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if v := mustVerify(t, s); v.Entries != 1 {
		t.Errorf("%d entries after refused changes, want 1", v.Entries)
	}
}

func TestReasonRules(t *testing.T) {
	tests := []struct {
		name         string
		action       Action
		reason       Reason
		finality     Finality
		note         string
		wantReason   Reason
		wantFinality Finality
		wantErr      string
	}{
		{"a reject records its reason and is final by default", Reject, ReasonFaceMismatch, "", "not her", ReasonFaceMismatch, Final, ""},
		{"a reject may ask the customer to retry", Reject, ReasonDocumentUnreadable, Retry, "blurred", ReasonDocumentUnreadable, Retry, ""},
		{"a reject without a reason records other", Reject, "", "", "forged", ReasonOther, Final, ""},
		{"other needs a note", Reject, ReasonOther, "", "", "", "", "needs a note"},
		{"an escalation records its reason", Escalate, ReasonNeedsMoreDocuments, "", "ask for a bill", ReasonNeedsMoreDocuments, "", ""},
		{"an unknown reason lists the valid ones", Reject, "bad-vibes", "", "x", "", "", "expected one of document-altered, document-unreadable"},
		{"an escalate reason is not a reject reason", Reject, ReasonNeedsSeniorReview, "", "x", "", "", "expected one of"},
		{"an escalation is never final", Escalate, ReasonNeedsSeniorReview, Final, "x", "", "", "takes no finality"},
		{"an approval takes no reason", Approve, ReasonOther, "", "", "", "", "takes no reason"},
		{"an odd finality is refused", Reject, ReasonUnderage, "maybe", "17", "", "", "expected final"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			addFetched(t, s, result{id: checkID(1), doc: "high", face: "high"})
			d, err := s.DecideAs(context.Background(), DecisionRequest{CheckID: checkID(1), Action: tt.action, Reason: tt.reason,
				Finality: tt.finality, Note: tt.note, Reviewer: "Ana", Identity: anaID})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if v := mustVerify(t, s); v.Entries != 0 {
					t.Errorf("a refused decision wrote %d entries", v.Entries)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := entries(t, s)[0]
			if got.Reason != tt.wantReason || got.Finality != tt.wantFinality || got.HashVersion != 2 {
				t.Errorf("stored reason %q finality %q (hash v%d), want %q %q", got.Reason, got.Finality, got.HashVersion, tt.wantReason, tt.wantFinality)
			}
			if d.Hash != got.Hash {
				t.Errorf("returned and stored entries differ")
			}
		})
	}
}

// Each field added by hash version 2 is covered: editing it (the triggers
// dropped, as an attacker would) breaks the chain at that entry.
func TestTheHashCoversIdentityReasonAndProposalFields(t *testing.T) {
	for _, col := range []string{"identity", "reason", "finality", "proposes", "ref", "old_value", "new_value", "hash_version"} {
		t.Run(col, func(t *testing.T) {
			path, ana, bob := sharedFile(t, FourEyesAll)
			ctx := context.Background()
			p, _ := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Reject, Reason: ReasonFaceMismatch, Finality: Retry, Note: "x", Reviewer: "Ana"})
			c, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob"})
			if err != nil {
				t.Fatal(err)
			}
			seq := c.Seq
			if col == "old_value" || col == "new_value" {
				seq = 1 // the policy entry
			} else if col == "reason" || col == "finality" {
				seq = p.Seq
			}
			value := "'forged'"
			if col == "ref" || col == "hash_version" {
				value = "1"
			}
			edit := fmt.Sprintf("UPDATE decisions SET %s = %s WHERE seq = %d;", col, value, seq)
			editByHand(t, path, "DROP TRIGGER decisions_no_update; "+edit, "DROP TRIGGER decisions_no_update ON decisions; "+edit)
			v, err := bob.Verify(ctx)
			if err != nil || v.OK || v.BrokenAt != seq {
				t.Errorf("after editing %s of #%d: Verify = %+v, %v", col, seq, v, err)
			}
		})
	}
}

func TestOSIdentityIsTheAccountNotTheDisplayName(t *testing.T) {
	old := osAccount
	t.Cleanup(func() { osAccount = old })
	osAccount = func() (int, string, error) { return 1042, "rita", nil }
	id, err := OSIdentity()
	if err != nil || id.String() != "os:uid=1042,login=rita" {
		t.Fatalf("OSIdentity = %q, %v", id, err)
	}
	s, _ := newStore(t) // no WithIdentity: the OS account
	addFetched(t, s, result{id: checkID(1), doc: "high", face: "high"})
	d, err := s.Decide(context.Background(), checkID(1), Approve, "", "Somebody Else")
	if err != nil || d.Identity != "os:uid=1042,login=rita" || d.Reviewer != "Somebody Else" {
		t.Errorf("decision = %+v, %v; want the display name and the OS account", d, err)
	}
	osAccount = func() (int, string, error) { return 1042, "", errors.New("no passwd") }
	if _, err := OSIdentity(); err == nil {
		t.Error("an unreadable account gave an identity")
	}
}

func TestSuggestReasonsPutsTheLikelyOnesFirstAndChoosesNothing(t *testing.T) {
	tests := []struct {
		name    string
		action  Action
		codes   []int
		expired bool
		first   []Reason
	}{
		{"a selfie code suggests a face problem", Reject, []int{202}, false, []Reason{ReasonFaceMismatch, ReasonNoLiveFace}},
		{"an expired document", Reject, nil, true, []Reason{ReasonDocumentExpired}},
		{"code 308 is an expired document", Reject, []int{308}, false, []Reason{ReasonDocumentExpired}},
		{"a data mismatch", Reject, []int{101}, false, []Reason{ReasonDataMismatch}},
		{"no codes keep the catalogue's order", Reject, nil, false, RejectReasons[:2]},
		{"escalations with codes suggest senior review", Escalate, []int{201}, false, []Reason{ReasonNeedsSeniorReview}},
		{"approve has none", Approve, []int{201}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SuggestReasons(tt.action, tt.codes, tt.expired)
			if len(got) != len(ReasonsFor(tt.action)) {
				t.Fatalf("%v: want every reason of the catalogue, reordered", got)
			}
			for i, r := range tt.first {
				if got[i] != r {
					t.Errorf("%v: want %v first", got, tt.first)
				}
			}
		})
	}
}

func TestSecondReviewIsAQueueOfItsOwn(t *testing.T) {
	_, ana, _ := sharedFile(t, FourEyesApprovals)
	ctx := context.Background()
	ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(2), Action: Approve, Reviewer: "Ana"})
	counts, err := ana.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[QueueSecondReview] != 1 || counts[QueueApproved] != 0 {
		t.Errorf("counts %v", counts)
	}
	for _, by := range []Sort{SortRisk, SortAdded, SortName, SortCustomer} {
		rows, err := ana.Page(ctx, PageQuery{Queue: QueueSecondReview, Sort: by, Filter: "cust"})
		if err != nil || len(rows) != 1 || rows[0].Proposal == 0 {
			t.Errorf("sort %d: %v, %v", by, ids(rows), err)
		}
	}
	if q, err := ParseQueue("second-review"); err != nil || q != QueueSecondReview {
		t.Errorf("ParseQueue = %v, %v", q, err)
	}
}

func TestVerifyCatchesAProposalColumnEditedBehindTheLog(t *testing.T) {
	path, ana, _ := sharedFile(t, FourEyesRisky)
	ana.DecideAs(context.Background(), DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	// Skipping the second reviewer by clearing the column and setting
	// the status, without a log entry.
	edit := "UPDATE checks SET proposal = 0 WHERE check_id = '" + checkID(1) + "'"
	editByHand(t, path, edit, edit)
	v, err := ana.Verify(context.Background())
	if err != nil || v.OK || !strings.Contains(v.Problem, "proposal") {
		t.Errorf("Verify = %+v, %v; want the proposal mismatch named", v, err)
	}
}

// A response changed without a refresh (another program writing the file)
// voids nothing, so the confirmation itself compares what was proposed on.
func TestAConfirmationOnAResponseChangedBehindTheStoreIsStale(t *testing.T) {
	path, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	where := " WHERE check_id = '" + checkID(1) + "'"
	editByHand(t, path, "UPDATE checks SET raw = CAST('{}' AS BLOB)"+where, "UPDATE checks SET raw = convert_to('{}', 'UTF8')"+where)
	if _, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob"}); !errors.Is(err, ErrStaleProposal) {
		t.Errorf("confirming a proposal whose response changed: %v, want ErrStaleProposal", err)
	}
}

func TestAReviewerCountsOnlyTheProposalsTheyMayConfirm(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesApprovals)
	ctx := context.Background()
	ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(2), Action: Approve, Reviewer: "Bob"})
	cara := SSHIdentity("SHA256:cara")
	for _, tt := range []struct {
		id   Identity
		want int
	}{{anaID, 1}, {bobID, 1}, {cara, 2}} {
		if n, err := ana.CountConfirmable(ctx, tt.id); err != nil || n != tt.want {
			t.Errorf("CountConfirmable(%s) = %d, %v; want %d", tt.id, n, err, tt.want)
		}
	}
	rec, _ := bob.Get(ctx, checkID(1))
	if ok, why := rec.Proposal.ConfirmableBy(anaID); ok || !strings.Contains(why, "you proposed this") {
		t.Errorf("ConfirmableBy(the proposer) = %v, %q", ok, why)
	}
	if ok, _ := rec.Proposal.ConfirmableBy(bobID); !ok {
		t.Error("another reviewer may not confirm")
	}
}

func TestAConfirmedRejectionCarriesTheProposedReasonAndFinality(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesAll)
	ctx := context.Background()
	ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Reject, Reason: ReasonSuspectedFraud, Finality: Final, Note: "edited photo", Reviewer: "Ana"})
	c, err := bob.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "Bob"})
	if err != nil || c.Proposes != Reject || c.Reason != ReasonSuspectedFraud || c.Finality != Final {
		t.Fatalf("confirmation = %+v, %v", c, err)
	}
	if rec, _ := bob.Get(ctx, checkID(1)); rec.Status != StatusRejected {
		t.Errorf("status %s, want rejected", rec.Status)
	}
}

// A void caused by a refresh is written as whoever ran the refresh: the
// SSH key of a serve session that asked for it, not the account the
// server runs as; a refresh naming no one is the store's own account.
func TestAVoidByARefreshCarriesTheIdentityThatRanIt(t *testing.T) {
	sshKey := SSHIdentity("SHA256:carol-key")
	tests := []struct {
		name string
		by   Identity
		want Identity
	}{
		{"a serve session's refresh is its key", sshKey, sshKey},
		{"a local refresh is the store's account", Identity{}, bobID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ana, bob := sharedFile(t, FourEyesRisky)
			ctx := context.Background()
			p, _ := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
			changed := makeCheck(t, result{id: checkID(1), customer: "cust-1", doc: "low", face: "high"})
			if err := bob.RecordFetchAs(ctx, tt.by, checkID(1), changed, nil, testNow); err != nil {
				t.Fatal(err)
			}
			var void *Decision
			for _, d := range entries(t, bob) {
				if d.Action == Void {
					void = &d
				}
			}
			if void == nil || void.Ref != p.Seq || void.Identity != tt.want.String() || void.Reviewer != systemReviewer {
				t.Fatalf("void = %+v, want #%d voided by %s as %q", void, p.Seq, tt.want, systemReviewer)
			}
			mustVerify(t, bob)
		})
	}
}

// A refresh that voids nothing needs no identity: a bad one is only
// refused when there is a void to write, and then nothing is written.
func TestARefreshWithABadIdentityWritesNothingWhenItWouldVoid(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesRisky)
	ctx := context.Background()
	ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	bad := Identity{Kind: "ldap", ID: "carol"}
	same := makeCheck(t, result{id: checkID(2), customer: "cust-2", doc: "high", face: "high"})
	if err := bob.RecordFetchAs(ctx, bad, checkID(2), same, nil, testNow); err != nil {
		t.Errorf("a refresh voiding nothing: %v", err)
	}
	changed := makeCheck(t, result{id: checkID(1), customer: "cust-1", doc: "low", face: "high"})
	if err := bob.RecordFetchAs(ctx, bad, checkID(1), changed, nil, testNow); err == nil {
		t.Fatal("a void by an identity of no known kind was written")
	}
	rec, _ := bob.Get(ctx, checkID(1))
	if rec.Proposal == nil || rec.Document != 2 {
		t.Errorf("after the refused refresh: proposal %v, document %v; want both as before", rec.Proposal, rec.Document)
	}
}

func TestOuterUIDReadsTheUserNamespacesMap(t *testing.T) {
	for _, tt := range []struct {
		uid   int
		m     string
		want  int
		known bool
	}{
		{1001, "         0          0 4294967295\n", 1001, true}, // the host's own map
		{2002, "      2002       2001          1\n", 2001, true}, // unshare --user --map-user=2002 by 2001
		{0, "         0       1000          1\n", 1000, true},    // unshare -r by 1000
		{70, "0 1000 1\n1 100000 65536\n", 100069, true},         // a container's subordinate range
		{65534, "2002 2001 1\n", 0, false},                       // unmapped: the overflow uid
		{5, "", 0, false},
	} {
		got, ok := outerUID(tt.uid, tt.m)
		if got != tt.want || ok != tt.known {
			t.Errorf("outerUID(%d, %q) = %d, %v; want %d, %v", tt.uid, tt.m, got, ok, tt.want, tt.known)
		}
	}
}

// An account that makes a user namespace mapping it to another uid
// (unshare needs no privilege) is still itself: four-eyes compares the
// account outside it.
func TestOSIdentityInsideAUserNamespaceIsTheAccountOutsideIt(t *testing.T) {
	if os.Getenv("IDENTITY_CHILD") != "" {
		id, err := OSIdentity()
		fmt.Println(id, err)
		os.Exit(0)
	}
	outside, err := OSIdentity()
	if err != nil {
		t.Fatal(err)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare command to make a user namespace with")
	}
	cmd := exec.Command(unshare, "--user", "--map-user=4242", "--map-group=4242", os.Args[0], "-test.run=^TestOSIdentityInsideAUserNamespaceIsTheAccountOutsideIt$")
	cmd.Env = append(os.Environ(), "IDENTITY_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Skipf("this system does not let an account make a user namespace (%v): %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != outside.String()+" <nil>" {
		t.Errorf("inside a namespace mapping it to uid 4242: %q; want the account outside, %q", got, outside)
	}
}

// A policy change's note must say something a reader can see, as a
// decision's must: spaces or a zero-width space were stored as its why.
func TestAPolicyChangeRefusesANoteThatShowsNothing(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, note := range []string{"", "   ", "\u200b", "\u2066 \u2069"} {
		if _, err := s.SetFourEyes(ctx, PolicyChange{FourEyes: FourEyesAll, Note: note, Reviewer: "Ana"}); err == nil {
			t.Errorf("four-eyes changed with the note %q", note)
		}
		if _, err := s.SetSLA(ctx, SLAChange{SLA: 24 * time.Hour, Note: note, Reviewer: "Ana"}); err == nil {
			t.Errorf("the SLA changed with the note %q", note)
		}
	}
	if h, err := s.Head(ctx); err != nil || !h.IsZero() {
		t.Errorf("the log's head is %v (%v), want an empty log", h, err)
	}
}
