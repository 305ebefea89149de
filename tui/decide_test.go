package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// moveTo puts the cursor on the first row of the current queue that
// satisfies ok, and returns it.
func moveTo(t *testing.T, m *Model, ok func(store.Row) bool) store.Row {
	t.Helper()
	pump(t, m, keys("g")...)
	for range m.list.total {
		row, loaded := m.list.selected()
		if loaded && ok(row) {
			return row
		}
		pump(t, m, keys("j")...)
	}
	t.Fatal("no row in the queue satisfies the condition")
	return store.Row{}
}

func risky(r store.Row) bool {
	return r.Document <= caisson.Low || r.Face <= caisson.Low || (!r.ExpiresOn.IsZero() && r.ExpiresOn.Before(testNow))
}

func TestApprovingASafeCheckStoresItWithTheReviewerThenMovesToTheNext(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	row := moveTo(t, m, func(r store.Row) bool { return !risky(r) })
	next, _, err := f.st.Next(context.Background(), m.query(), row.CheckID)
	if err != nil {
		t.Fatal(err)
	}

	pump(t, m, keys("a")...)
	if m.mode != modeNote {
		t.Fatalf("a safe approval should go straight to the optional note, mode is %d", m.mode)
	}
	pump(t, m, typeText("looks fine")...)
	pump(t, m, keys("enter")...)

	rec := record(t, f.st, row.CheckID)
	if rec.Status != store.StatusApproved || len(rec.Decisions) != 1 {
		t.Fatalf("store: status %s, %d decisions; want approved, 1", rec.Status, len(rec.Decisions))
	}
	d := rec.Decisions[0]
	if d.Reviewer != "alice" || d.Note != "looks fine" || d.Action != store.Approve {
		t.Errorf("decision = %+v, want approve by alice with the note", d)
	}
	mustContain(t, plain(m), "✓ approved "+caisson.ShortID(row.CheckID, 10)+": saved")
	if got := selectedID(t, m); got != next {
		t.Errorf("cursor on %s after the decision, want the next check %s", got, next)
	}
}

func TestApprovingARiskyCheckAsksFirstAndDefaultsToNo(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	for _, tc := range []struct {
		name   string
		answer []string
	}{
		{"enter means no", []string{"enter"}},
		{"n means no", []string{"n"}},
		{"esc means no", []string{"esc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestModel(t, f.config(), 80, 24)
			row := moveTo(t, m, func(r store.Row) bool { return r.Face == caisson.Low })
			pump(t, m, keys("a")...)
			if m.mode != modeConfirm {
				t.Fatalf("approving a low face confidence must ask, mode is %d", m.mode)
			}
			mustContain(t, plain(m), "Approve "+caisson.ShortID(row.CheckID, 10)+" anyway?", "face confidence is low", "no (default)")
			pump(t, m, keys(tc.answer...)...)
			if rec := record(t, f.st, row.CheckID); len(rec.Decisions) != 0 || rec.Status != store.StatusOpen {
				t.Fatalf("declining stored a decision: %+v", rec.Decisions)
			}
			mustContain(t, plain(m), "not approved")
		})
	}
	t.Run("y then enter approves", func(t *testing.T) {
		m := newTestModel(t, f.config(), 80, 24)
		row := moveTo(t, m, func(r store.Row) bool { return r.Face == caisson.Low })
		pump(t, m, keys("a", "y", "enter")...)
		if rec := record(t, f.st, row.CheckID); rec.Status != store.StatusApproved {
			t.Fatalf("status %s after confirming, want approved", rec.Status)
		}
	})
}

func TestApprovingAnExpiredDocumentAsksEvenWithHighConfidence(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10, track: 0})
	id := f.sb.CheckID(0)
	if _, err := f.st.Add(context.Background(), id, "tester", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	chk := &caisson.Check{CheckID: id, CustomerID: "cust-1", CheckedOn: testNow.AddDate(0, 0, -1),
		Confidence: caisson.Confidence{Document: caisson.High, Face: caisson.High},
		Info:       caisson.Info{FirstName: "ANA", LastName: "LIMA", ExpiresOn: caisson.Date{Year: 2026, Month: 1, Day: 2}},
		Raw:        []byte(`{}`)}
	if err := f.st.RecordFetch(context.Background(), id, chk, nil, testNow); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("7", "a")...)
	if m.mode != modeConfirm {
		t.Fatalf("approving an expired document must ask, mode is %d", m.mode)
	}
	mustContain(t, plain(m), "the document expired on 2026-01-02")
}

func TestRejectAndEscalateRequireANote(t *testing.T) {
	for _, tc := range []struct {
		key    string
		action store.Action
		status store.Status
		tab    string
	}{
		{"x", store.Reject, store.StatusRejected, "5"},
		{"e", store.Escalate, store.StatusEscalated, "3"},
	} {
		t.Run(string(tc.action), func(t *testing.T) {
			f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
			m := newTestModel(t, f.config(), 80, 24)
			id := selectedID(t, m)
			pump(t, m, keys(tc.key, "1", "enter")...)
			if rec := record(t, f.st, id); len(rec.Decisions) != 0 {
				t.Fatal("an empty note was accepted")
			}
			mustContain(t, plain(m), "needs a note saying why")
			pump(t, m, typeText("document photo does not match")...)
			pump(t, m, keys("enter")...)
			rec := record(t, f.st, id)
			if rec.Status != tc.status || rec.Decisions[0].Note != "document photo does not match" {
				t.Fatalf("store: status %s, decisions %+v", rec.Status, rec.Decisions)
			}
			pump(t, m, keys(tc.tab)...)
			mustContain(t, plain(m), caisson.ShortID(id, 8))
		})
	}
}

func TestReopenPutsADecidedCheckBackInItsQueue(t *testing.T) {
	f, id := withARejectedCheck(t)
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("5")...)
	if got := selectedID(t, m); got != id {
		t.Fatalf("rejected tab selects %s, want %s", got, id)
	}
	pump(t, m, keys("o", "enter")...)
	rec := record(t, f.st, id)
	if rec.Status != store.StatusOpen || len(rec.Decisions) != 2 || rec.Decisions[1].Action != store.Reopen {
		t.Fatalf("after reopen: status %s, decisions %+v", rec.Status, rec.Decisions)
	}
	mustContain(t, plain(m), "reopened "+caisson.ShortID(id, 10)+": saved", "0 checks")
}

func TestCancellingTheNoteStoresNothing(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	id := selectedID(t, m)
	pump(t, m, keys("x", "1")...)
	pump(t, m, typeText("half a thought")...)
	pump(t, m, keys("esc")...)
	// The first esc goes back to the reasons, the second cancels.
	mustContain(t, plain(m), "pick the reason by its number")
	pump(t, m, keys("esc")...)
	if rec := record(t, f.st, id); len(rec.Decisions) != 0 {
		t.Fatal("esc in the note prompt stored a decision")
	}
	mustContain(t, plain(m), "cancelled: no decision stored")
}

func TestADecisionTheStoreRefusesIsShownAsNotSaved(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	id := selectedID(t, m)
	pump(t, m, keys("x", "1")...)
	pump(t, m, typeText("fraud")...)
	// The database goes away between opening the prompt and saving.
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	pump(t, m, keys("enter")...)
	screen := plain(m)
	mustContain(t, screen, "✗ reject of "+caisson.ShortID(id, 10)+" NOT saved")
	mustNotContain(t, screen, ": saved")
	if got := selectedID(t, m); got != id {
		t.Errorf("cursor moved to %s after a failed decision; it must stay on %s", got, id)
	}
}

// Read-only is for support staff: no key that writes to the store, not a
// decision, not adding checks, not refreshing them.
func TestReadOnlyHasNoKeyThatWritesAnywhere(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	cfg := f.config()
	cfg.ReadOnly = true
	m := newTestModel(t, cfg, 120, 40)
	id := selectedID(t, m)
	before := record(t, f.st, id).FetchedAt
	for _, k := range []string{"a", "x", "e", "o", "v", "b", "A", "+", "r", "R"} {
		pump(t, m, keys(k)...)
		if m.mode != modeList || m.batch != nil || m.footer.last != "" {
			t.Errorf("key %q did something in read-only: mode %d, batch %v, footer %q", k, m.mode, m.batch != nil, m.footer.last)
		}
	}
	if rec := record(t, f.st, id); len(rec.Decisions) != 0 || !rec.FetchedAt.Equal(before) {
		t.Fatal("read-only session wrote to the store")
	}
	footer := plain(m)
	mustContain(t, footer, "READ-ONLY")
	pump(t, m, keys("?")...)
	help := plain(m)
	mustNotContain(t, footer+help, "approve", "reject", "escalate", "reopen", "confirm proposal", "return proposal", "add checks", "refresh check", "refresh queue")
	mustContain(t, help, "filter", "customer's checks")
	for _, b := range []string{"approve", "reject", "escalate", "reopen"} {
		for _, kb := range m.ctx.keys.ShortHelp() {
			if strings.Contains(kb.Help().Desc, b) {
				t.Errorf("read-only short help lists %q", b)
			}
		}
	}
}

// The layout takes a dialog's height without drawing its box (drawing it
// costs more than the rest of the dialog): it must be the drawn height,
// for every dialog, as its text grows.
func TestADialogsHeightIsItsDrawnHeight(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	check := func(what string) {
		t.Helper()
		d := m.dialog()
		if d.title == "" {
			t.Fatalf("%s: no dialog open", what)
		}
		if got, want := d.height(), strings.Count(dialogBox(m.ctx, d, m.dialogWidth()), "\n")+1; got != want {
			t.Fatalf("%s: height %d, drawn %d lines", what, got, want)
		}
	}
	pump(t, m, keys("x")...)
	check("the reason picker")
	pump(t, m, keys("enter")...) // no reason picked: the error line
	check("the reason picker with its error")
	pump(t, m, keys("1")...)
	check("the note prompt")
	pump(t, m, keys("enter")...) // a reject needs a note: the error line
	check("the note prompt with its error")
	pump(t, m, keys("esc", "esc", "A")...)
	pump(t, m, paste("not-an-id\nchk_priv_bad id!\n"+strings.Repeat("x", 200)))
	check("the add dialog with problems")
	pump(t, m, keys("esc")...)
	row := moveTo(t, m, risky)
	pump(t, m, keys("a")...)
	if m.mode != modeConfirm {
		t.Fatalf("approving %s asked nothing", row.CheckID)
	}
	check("the confirmation")
	// A line wider than the box is wrapped when the dialog is made, so
	// that the height counts it: here a decision made meanwhile by a
	// reviewer named by an SSH key.
	pump(t, m, keys("esc", "x", "1")...)
	if _, err := f.st.Decide(context.Background(), m.pending.checkID, store.Escalate, "over to compliance", sshReviewer); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	mustContain(t, unboxed(plain(m)), "⚠ escalated by "+sshReviewer)
	check("the note prompt with a decision made meanwhile, wider than the box")
}

// Under a four-eyes policy the store writes an approval as a proposal: the
// console says what was saved, a proposal awaiting a second reviewer, never
// that the check was approved.
func TestApprovingUnderFourEyesSaysProposedNotApproved(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	if _, err := f.st.SetFourEyes(context.Background(), store.PolicyChange{FourEyes: store.FourEyesApprovals,
		Note: "two reviewers for every approval", Reviewer: "ana"}); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, f.config(), 120, 40)
	id := selectedID(t, m)
	pump(t, m, keys("a")...)
	if m.mode == modeConfirm {
		pump(t, m, keys("y")...)
	}
	// Said before it is saved, too (helper-56: only the footer said so,
	// after), and not of a decision that takes effect.
	mustContain(t, plain(m), "● four-eyes (approvals): proposed only; it takes effect once another reviewer confirms it")
	pump(t, m, keys("enter")...)

	rec := record(t, f.st, id)
	if n := len(rec.Decisions); n == 0 || rec.Decisions[n-1].Action != store.Propose || rec.Status != store.StatusOpen {
		t.Fatalf("store: status %s, decisions %+v; want a proposal, the check still open", rec.Status, rec.Decisions)
	}
	footer := lastLines(plain(m), 2)
	mustContain(t, footer, "✓ proposed to approve "+caisson.ShortID(id, 10)+": saved, awaits a second reviewer")
	mustNotContain(t, footer, "approved")
	pump(t, m, keys("e")...)
	mustNotContain(t, plain(m), "proposed only")
}

// "reject needs a note saying why", shown after enter on an empty note,
// goes once the reviewer types one: it is about the empty note.
func TestTheMissingNoteMessageGoesOnceANoteIsTyped(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 5, track: 5, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("x", "1", "enter")...)
	mustContain(t, plain(m), "reject needs a note saying why")
	pump(t, m, keys("f", "a")...)
	mustNotContain(t, plain(m), "needs a note")
	mustContain(t, plain(m), "note> fa")
}

// A right-to-left override or another invisible character typed or pasted
// into the note, the filter or the add dialog is dropped as it comes:
// drawn raw by the input, it misaligned the dialog's box or turned the
// text around on screen, and stored it showed as an escape (helper-56).
// The rest of the text is kept, and the note stored is what was shown.
func TestInvisibleCharactersTypedOrPastedIntoAnInputAreDropped(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	id := selectedID(t, m)
	pump(t, m, keys("x", "1")...)
	pump(t, m, paste("photo\u202e does not\x1b[31m match\u200b"))
	pump(t, m, typeText("\u2066!")...)
	if v := m.note.input.Value(); v != "photo does not[31m match!" {
		t.Fatalf("the note input holds %q", v)
	}
	pump(t, m, keys("enter")...)
	if rec := record(t, f.st, id); len(rec.Decisions) != 1 || rec.Decisions[0].Note != "photo does not[31m match!" {
		t.Fatalf("stored %+v", rec.Decisions)
	}
	pump(t, m, keys("/")...)
	pump(t, m, paste("smi\u202eth"))
	if m.filterIn.Value() != "smith" {
		t.Errorf("the filter input holds %q", m.filterIn.Value())
	}
	pump(t, m, keys("esc", "esc", "A")...)
	pump(t, m, paste(f.sb.CheckID(1)+"\u202e\n"+f.sb.CheckID(2)))
	if v := m.add.input.Value(); v != f.sb.CheckID(1)+"\n"+f.sb.CheckID(2) {
		t.Errorf("the add dialog holds %q", v)
	}
	// A paste whose lines end in CR (as many terminals send them), CR LF,
	// or hold a tab: still one id a line (helper-62: CR was dropped, and
	// the ids ran together).
	pump(t, m, keys("esc", "A")...)
	pump(t, m, paste(f.sb.CheckID(3)+"\r"+f.sb.CheckID(4)+"\r\n\t"+f.sb.CheckID(5)))
	if v, want := m.add.input.Value(), f.sb.CheckID(3)+"\n"+f.sb.CheckID(4)+"\n "+f.sb.CheckID(5); v != want {
		t.Errorf("the add dialog holds %q, want %q", v, want)
	}
	mustContain(t, plain(m), "3 valid")
}

// The cursor stays where the text was being typed when an invisible
// character is dropped before it: the next key landed one further on for
// each one dropped, and changed the note silently (helper-58).
func TestDroppingAnInvisibleCharacterKeepsTheCursorInPlace(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("x", "1")...)
	pump(t, m, typeText("XY")...)
	pump(t, m, keys("left")...)
	pump(t, m, paste("ab\u200bcd"))
	pump(t, m, typeText("Z")...)
	if v := m.note.input.Value(); v != "XabcdZY" {
		t.Errorf("the note holds %q, want XabcdZY", v)
	}
	// The add dialog's text area too: it put the cursor at the end.
	pump(t, m, keys("esc", "esc", "A")...)
	pump(t, m, typeText("ab")...)
	pump(t, m, keys("enter")...)
	pump(t, m, typeText("ef")...)
	pump(t, m, keys("up", "left")...)
	pump(t, m, paste("‮X"))
	pump(t, m, typeText("Y")...)
	if v := m.add.input.Value(); v != "aXYb\nef" {
		t.Errorf("the add dialog holds %q, want %q", v, "aXYb\nef")
	}
}

// A decision that would change nothing (reopening an open check,
// approving an approved one) is said at once, not after a note was asked
// for and the save then refused (helper-59: the session's log counted it
// as a decision not saved).
func TestADecisionThatChangesNothingIsSaidBeforeANote(t *testing.T) {
	f, id := withARejectedCheck(t)
	m := newTestModel(t, f.config(), 80, 24)
	open := selectedID(t, m)
	pump(t, m, keys("o")...)
	if m.mode != modeList {
		t.Fatalf("o on an open check opened mode %d", m.mode)
	}
	mustContain(t, plain(m), "nothing to reopen: "+caisson.ShortID(open, 10)+" is open")
	pump(t, m, keys("5")...)
	if got := selectedID(t, m); got != id {
		t.Fatalf("rejected tab selects %s, want %s", got, id)
	}
	pump(t, m, keys("x")...)
	if m.mode != modeList {
		t.Fatalf("x on a rejected check opened mode %d", m.mode)
	}
	mustContain(t, plain(m), "nothing to reject: "+caisson.ShortID(id, 10)+" is rejected already (o reopens it)")
	if rec := record(t, f.st, id); len(rec.Decisions) != 1 {
		t.Errorf("%d decisions, want the one made before", len(rec.Decisions))
	}
}

// withARejectedCheck is 20 fetched checks, the first rejected by bob.
func withARejectedCheck(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	id := f.sb.CheckID(0)
	if _, err := f.st.Decide(context.Background(), id, store.Reject, "bad photo", "bob"); err != nil {
		t.Fatal(err)
	}
	return f, id
}

// The footer after a return says where the check went back to, as the
// CLI does: "to needs review" only when it is there (helper-61).
func TestAReturnSavedSaysWhereTheCheckWentBack(t *testing.T) {
	for _, c := range []struct {
		to     store.Queue
		passed bool
		want   string
	}{
		{store.QueueNeedsReview, false, "returned chk_x to needs review: saved"},
		{store.QueuePending, false, "returned chk_x: saved; it waits at Caisson"},
		{store.QueueEscalated, false, "returned chk_x: saved; it stays escalated"},
		{"", true, "returned chk_x: saved; Caisson passed it"},
		{"", false, "returned chk_x: saved; it has no result to review"},
	} {
		if got := savedText(decidedMsg{decision: store.Decision{Action: store.Return}, to: c.to}, "chk_x"); got != "returned chk_x: saved" {
			t.Errorf("returned, where to not known: %q", got)
		}
		msg := decidedMsg{decision: store.Decision{Action: store.Return}, to: c.to, passed: c.passed, toKnown: true}
		if got := savedText(msg, "chk_x"); !strings.HasPrefix(got, c.want) {
			t.Errorf("returned to %q (passed %v): %q, want it to begin %q", c.to, c.passed, got, c.want)
		}
	}
}
