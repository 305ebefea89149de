package tui

import (
	"context"
	"fmt"
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// bobID is a second reviewer's identity: another account on the machine.
var bobID = store.Identity{Kind: store.IdentityOS, ID: "uid=1002,login=bob"}

// fourEyesFixture is a fetched store under four-eyes for approvals, and
// bob's own handle on the same file; the console's store is the test
// process's own account.
func fourEyesFixture(t *testing.T, checks int) (*fixture, *store.Store) {
	t.Helper()
	f := newFixture(t, fixtureOpts{checks: checks, track: checks, fetch: true})
	ctx := context.Background()
	if _, err := f.st.SetFourEyes(ctx, store.PolicyChange{FourEyes: store.FourEyesApprovals, Note: "team rule", Reviewer: "lead"}); err != nil {
		t.Fatal(err)
	}
	bob, err := store.Open(ctx, f.path, store.WithClock(fixedClock), store.WithIdentity(bobID))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bob.Close() })
	return f, bob
}

func propose(t *testing.T, st *store.Store, id, note, reviewer string) store.Decision {
	t.Helper()
	d, err := st.DecideAs(context.Background(), store.DecisionRequest{CheckID: id, Action: store.Approve, Note: note, Reviewer: reviewer})
	if err != nil || d.Action != store.Propose {
		t.Fatalf("proposing %s: %+v, %v", id, d, err)
	}
	return d
}

// Second review lists every proposal: who proposed what, how long ago and
// why, the reviewer's own marked; its tab counts what the reviewer may
// confirm; DB text is shown defused.
func TestSecondReviewListsWhoProposedWhatWhenAndWhy(t *testing.T) {
	f, bob := fourEyesFixture(t, 10)
	ids := f.sb.CheckIDs(10)
	propose(t, bob, ids[1], "selfie \x1b]0;pwned\x07matches", "bob")
	propose(t, f.st, ids[2], "", "alice")
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("8")...)
	screen := plain(m)
	mustContain(t, screen, "[8 2nd:1]", "Second review 1 of 2", "PROPOSED BY", "you: alice", "bob", "approve",
		"\"selfie ^[]0;pwned^Gma")
	mustNotContain(t, m.frame(), "\x1b]0;", "\x07")
}

// Without four-eyes nothing can be proposed: the tab is not there (8
// still opens it, empty, until the reviewer leaves it), and the seven tabs
// keep their numbers.
func TestTheSecondReviewTabIsShownOnlyUnderFourEyes(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 5, track: 5, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	mustNotContain(t, plain(m), "8 Second review", "8 2nd")
	pump(t, m, keys("8")...)
	if q := m.query().Queue; q != store.QueueSecondReview {
		t.Errorf("8 opened %s", q)
	}
	mustContain(t, plain(m), "[8 2nd review 0]", "no checks here")
	pump(t, m, keys("1")...)
	mustNotContain(t, plain(m), "8 2nd")
	if _, err := f.st.SetFourEyes(context.Background(), store.PolicyChange{FourEyes: store.FourEyesRisky, Note: "team", Reviewer: "lead"}); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	mustContain(t, plain(m), "8 2nd review 0")
}

// A second reviewer confirms from the console: v, an optional note, enter;
// the decision takes effect and the log holds the confirmation by the
// console's own identity, answering the proposal shown.
func TestASecondReviewerConfirmsAProposalFromTheConsole(t *testing.T) {
	f, bob := fourEyesFixture(t, 5)
	id := f.sb.CheckIDs(5)[1]
	p := propose(t, bob, id, "all good", "bob")
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("8", "enter")...)
	mustContain(t, plain(m), "AWAITS A SECOND REVIEWER: bob proposed to approve", "v confirms it")
	pump(t, m, keys("v")...)
	mustContain(t, plain(m), "Confirm "+caisson.ShortID(id, 10), "bob's proposal to approve (#"+fmt.Sprint(p.Seq)+")", "optional note")
	pump(t, m, typeText("seen it too")...)
	pump(t, m, keys("enter")...)
	rec := record(t, f.st, id)
	last := rec.Decisions[len(rec.Decisions)-1]
	me, _ := f.st.Identity()
	if rec.Status != store.StatusApproved || last.Action != store.Confirm || last.Ref != p.Seq || last.Identity != me.String() || last.Note != "seen it too" {
		t.Fatalf("after v: status %s, last entry %+v", rec.Status, last)
	}
	mustContain(t, lastLines(plain(m), 2), "✓ confirmed: approved "+caisson.ShortID(id, 10)+": saved")
}

// Returning needs a note; the check goes back to needs review.
func TestReturningAProposalFromTheConsoleNeedsANote(t *testing.T) {
	f, bob := fourEyesFixture(t, 5)
	id := f.sb.CheckIDs(5)[1]
	propose(t, bob, id, "", "bob")
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("8", "b", "enter")...)
	mustContain(t, plain(m), "return needs a note saying why")
	pump(t, m, typeText("the selfie is someone else")...)
	pump(t, m, keys("enter")...)
	rec := record(t, f.st, id)
	if last := rec.Decisions[len(rec.Decisions)-1]; last.Action != store.Return || rec.Proposal != nil || rec.Status != store.StatusOpen {
		t.Fatalf("after b: %+v, proposal %v", last, rec.Proposal)
	}
	mustContain(t, plain(m), "returned "+caisson.ShortID(id, 10)+" to needs review: saved")
}

// A passed check (both high, in date) returned is open and waiting, but
// in no queue to review: the footer says where it is, not "to needs
// review".
func TestReturningTheProposalOfAPassedCheckSaysWhereItWaits(t *testing.T) {
	f, bob := fourEyesFixture(t, 5)
	id := ""
	for _, c := range f.sb.CheckIDs(5) {
		if rec := record(t, f.st, c); rec.Document == caisson.High && rec.Face == caisson.High &&
			(rec.ExpiresOn.IsZero() || !rec.ExpiresOn.Before(fixedClock())) {
			id = c
			break
		}
	}
	if id == "" {
		t.Fatal("the sandbox's first 5 checks should have a passed one")
	}
	propose(t, bob, id, "", "bob")
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("8", "b")...)
	pump(t, m, typeText("the address does not match")...)
	pump(t, m, keys("enter")...)
	mustContain(t, plain(m), "returned "+caisson.ShortID(id, 10)+": saved; Caisson passed it, so it waits in All, not Needs review")
}

// The proposer sees confirm and return disabled, with the reason, in the
// footer and the detail; pressing them asks nothing of the store.
func TestTheProposerSeesConfirmAndReturnDisabledWithTheReason(t *testing.T) {
	f, _ := fourEyesFixture(t, 5)
	id := f.sb.CheckIDs(5)[1]
	propose(t, f.st, id, "", "alice")
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("8")...)
	screen := plain(m)
	mustContain(t, screen, "[8 2nd review 0]", "v/b disabled: you proposed it",
		"v confirm · b return: disabled, you proposed")
	mustNotContain(t, screen, "v confirm proposal")
	for _, k := range []string{"v", "b"} {
		pump(t, m, keys(k)...)
		if m.mode != modeList {
			t.Fatalf("%s opened a dialog for the proposer", k)
		}
		mustContain(t, lastLines(plain(m), 2), "you proposed this")
	}
	if rec := record(t, f.st, id); len(rec.Decisions) != 1 || rec.Proposal == nil {
		t.Fatalf("the proposer's keys wrote: %+v", rec.Decisions)
	}
}

// The store refuses the proposer too: a console that has not learned its
// identity yet (the keys look enabled) is told why, and nothing is written.
func TestTheStoreRefusesTheProposerEvenWhenTheConsoleCouldNotTell(t *testing.T) {
	f, _ := fourEyesFixture(t, 5)
	id := f.sb.CheckIDs(5)[1]
	propose(t, f.st, id, "", "alice")
	m := newTestModel(t, f.config(), 80, 24)
	m.ctx.identity = store.Identity{}
	pump(t, m, keys("8", "v", "enter")...)
	mustContain(t, lastLines(plain(m), 2), "NOT saved")
	mustContain(t, m.footer.last, "another reviewer must confirm it")
	if rec := record(t, f.st, id); len(rec.Decisions) != 1 {
		t.Fatalf("the store took the proposer's confirmation: %+v", rec.Decisions)
	}
}

// What the console confirms is the proposal it showed: one confirmed by
// another reviewer meanwhile, or voided by a refresh that changed the
// response, is refused with the reason, and nothing is written.
func TestAConfirmationRacingAnotherIsRefusedWithWhatHappened(t *testing.T) {
	for _, tc := range []struct {
		name      string
		meanwhile func(t *testing.T, f *fixture, carol *store.Store, id string)
		want      string
	}{
		{"another reviewer confirmed first", func(t *testing.T, f *fixture, carol *store.Store, id string) {
			if _, err := carol.DecideAs(context.Background(), store.DecisionRequest{CheckID: id, Action: store.Confirm, Reviewer: "carol"}); err != nil {
				t.Fatal(err)
			}
		}, "already confirmed by carol"},
		{"a refresh changed the response", func(t *testing.T, f *fixture, carol *store.Store, id string) {
			if err := carol.RecordFetch(context.Background(), id, handMadeCheck(t, id, 9), nil, testNow); err != nil {
				t.Fatal(err)
			}
		}, "the proposal is stale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, bob := fourEyesFixture(t, 5)
			carol, err := store.Open(context.Background(), f.path, store.WithClock(fixedClock),
				store.WithIdentity(store.Identity{Kind: store.IdentityOS, ID: "uid=1003,login=carol"}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { carol.Close() })
			id := f.sb.CheckIDs(5)[1]
			propose(t, bob, id, "", "bob")
			m := newTestModel(t, f.config(), 120, 40)
			pump(t, m, keys("8", "v")...)
			before := len(record(t, f.st, id).Decisions)
			tc.meanwhile(t, f, carol, id)
			after := len(record(t, f.st, id).Decisions)
			pump(t, m, keys("enter")...)
			mustContain(t, m.footer.last, "NOT saved", tc.want)
			// On screen, not only in the message: the reason fits the line.
			mustContain(t, lastLines(plain(m), 2), tc.want)
			if n := len(record(t, f.st, id).Decisions); n != after || after <= before {
				t.Fatalf("%d entries after the refused confirmation, %d before it", n, after)
			}
		})
	}
}

// A proposal made while the second reviewer has the check open is what a
// confirm or return answers: the dialog does not warn that "yours is
// stored after it", which fits a decision that competes (helper-59).
func TestConfirmingAProposalMadeWhileOpenIsNoConflict(t *testing.T) {
	f, bob := fourEyesFixture(t, 5)
	id := f.sb.CheckIDs(5)[1]
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7")...)
	for i := 0; i < 10 && selectedID(t, m) != id; i++ {
		pump(t, m, keys("j")...)
	}
	if selectedID(t, m) != id {
		t.Fatalf("the cursor did not reach %s", id)
	}
	propose(t, bob, id, "all good", "bob")
	pump(t, m, StoreChanged{})
	pump(t, m, keys("v")...)
	screen := plain(m)
	mustContain(t, screen, "Confirm "+caisson.ShortID(id, 10))
	mustNotContain(t, screen, "while this was open")
}

// Two reviewers approving one check at once under four-eyes: the second's
// footer says what to do first (confirm or return it in Second review),
// not the store's words about who proposed when, which a serve reviewer's
// long name pushed past the footer (helper-63).
func TestApprovingACheckJustProposedSaysToConfirmOrReturnIt(t *testing.T) {
	f, bob := fourEyesFixture(t, 20)
	m := newTestModel(t, f.config(), 120, 40)
	id := selectedID(t, m)
	pump(t, m, keys("a")...)
	if m.mode == modeConfirm {
		pump(t, m, keys("y")...)
	}
	propose(t, bob, id, "looks fine", "bob (SHA256:2bCmYVq9dN4lJjA0bL2oQyR3, bob@a-long-laptop-name)")
	pump(t, m, keys("enter")...)
	mustContain(t, lastLines(plain(m), 2), "NOT saved: already proposed: v confirms it, b returns it, in Second review")
}

// The proposer is told what became of her proposals, made in this
// console, when another reviewer closes one: confirmed, returned with the
// note, or voided (helper-69: her footer said "awaits a second reviewer"
// after bob had returned it, and nothing said he had).
func TestTheProposerIsToldWhenHerProposalIsConfirmedOrReturned(t *testing.T) {
	f, bob := fourEyesFixture(t, 10)
	m := newTestModel(t, f.config(), 120, 40)
	propose := func() string {
		t.Helper()
		id := selectedID(t, m)
		pump(t, m, keys("a")...)
		if m.mode == modeConfirm {
			pump(t, m, keys("y")...)
		}
		pump(t, m, keys("enter")...)
		mustContain(t, lastLines(plain(m), 2), "awaits a second reviewer")
		return id
	}
	first := propose()
	if _, err := bob.DecideAs(context.Background(), store.DecisionRequest{CheckID: first, Action: store.Return, Note: "selfie is blurred", Reviewer: "bob"}); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	mustContain(t, lastLines(plain(m), 2), "✗ bob returned your proposal on "+caisson.ShortID(first, 10)+": selfie is blurred")

	second := propose()
	if _, err := bob.DecideAs(context.Background(), store.DecisionRequest{CheckID: second, Action: store.Confirm, Reviewer: "bob"}); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	mustContain(t, lastLines(plain(m), 2), "✓ bob confirmed your proposal: approved "+caisson.ShortID(second, 10))
	// Decided otherwise: the proposal is voided, and the decision said.
	third := propose()
	if _, err := bob.DecideAs(context.Background(), store.DecisionRequest{CheckID: third, Action: store.Reject, Note: "forged", Reviewer: "bob"}); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	mustContain(t, lastLines(plain(m), 2), "✗ your proposal on "+caisson.ShortID(third, 10)+" was voided: bob rejected it: forged")
	// Said once: each is forgotten, and another change reads nothing.
	if len(m.own.open) != 0 {
		t.Errorf("the console still watches %v", m.own.open)
	}
	// Decided otherwise here: the void is this reviewer's own doing, and
	// her footer keeps what she saved.
	fourth := propose()
	pump(t, m, keys("8")...)
	moveTo(t, m, func(r store.Row) bool { return r.CheckID == fourth })
	pump(t, m, keys("e", "1")...)
	pump(t, m, typeText("ask the branch")...)
	pump(t, m, keys("enter")...)
	pump(t, m, StoreChanged{})
	footer := lastLines(plain(m), 2)
	mustContain(t, footer, "escalated "+caisson.ShortID(fourth, 10)+": saved")
	mustNotContain(t, footer, "voided")
}

// A proposal voided says why in words.
func TestAVoidedProposalIsSaidInWords(t *testing.T) {
	d := store.Decision{Seq: 7, CheckID: "chk_priv_AAAAAAAAAAAAAAAAAAAAAA", Action: store.Void, Reviewer: "bob (SHA256:C3chUDJu+yWeNKGw5hxvXaVDGj2hZ0lkMuGfbhcx8P0, bob@laptop)", Reason: store.VoidDecidedOtherwise}
	short := caisson.ShortID(d.CheckID, 10)
	for _, tc := range []struct {
		c    closedProposal
		want string
	}{
		{closedProposal{by: d}, "your proposal on " + short + " was voided: bob decided it otherwise"},
		{closedProposal{by: d, then: store.Decision{Seq: 8, Action: store.Reject, Reviewer: d.Reviewer, Note: "forged"}},
			"your proposal on " + short + " was voided: bob rejected it: forged"},
		{closedProposal{by: store.Decision{CheckID: d.CheckID, Action: store.Void, Reason: store.VoidResponseChanged}},
			"your proposal on " + short + " was voided: a refresh brought another response"},
	} {
		if got := ownClosedText(tc.c); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
}

// Approving a check whose approval is already proposed is refused at the
// key, saying who proposed it and what to do, not after the questions and
// the note as a save that failed (helper-71).
func TestApprovingAnApprovalAlreadyProposedIsRefusedAtTheKey(t *testing.T) {
	f, bob := fourEyesFixture(t, 10)
	ids := f.sb.CheckIDs(10)
	propose(t, f.st, ids[1], "", "alice")
	propose(t, bob, ids[2], "", "bob")
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("8")...)
	for id, want := range map[string]string{
		ids[1]: "✗ you proposed to approve " + caisson.ShortID(ids[1], 10) + ": another reviewer confirms or returns it",
		ids[2]: "✗ already proposed: bob proposed to approve " + caisson.ShortID(ids[2], 10) + "; v confirms it, b returns it",
	} {
		moveTo(t, m, func(r store.Row) bool { return r.CheckID == id })
		pump(t, m, keys("a")...)
		if m.mode != modeList {
			t.Fatalf("a on %s opened a dialog (mode %d)", id, m.mode)
		}
		mustContain(t, lastLines(plain(m), 2), want)
	}
}
