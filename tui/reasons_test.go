package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store"
)

// oneHandMadeCheck is a store holding one fetched check whose Caisson
// codes are a selfie's (201), a document's (301) and an unknown one, with
// an expired document.
func oneHandMadeCheck(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t, fixtureOpts{checks: 10})
	ctx := context.Background()
	id := f.sb.CheckID(0)
	if _, err := f.st.Add(ctx, id, "bob", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	if err := f.st.RecordFetch(ctx, id, handMadeCheck(t, id, 1), nil, testNow.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return f, id
}

// The picker lists the whole catalogue, numbered, the reasons the check's
// codes point to first and marked suggested; nothing is chosen until a
// number is pressed, and a rejection's finality is said in words.
func TestTheReasonPickerSuggestsButChoosesNothing(t *testing.T) {
	f, id := oneHandMadeCheck(t)
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("x")...)
	body := m.dialog().body
	for _, want := range []string{"1 document-expired (suggested)", "2 face-mismatch (suggested)", "3 no-live-face (suggested)",
		"4 document-unreadable (suggested)", "0 other (say why)", "final: the person may not retry · r retry instead"} {
		mustContain(t, unboxed(plain(m)), want)
	}
	mustNotContain(t, body, "▶")
	// enter and the letters of a note typed too early choose nothing.
	pump(t, m, keys("enter", "n", "o")...)
	mustContain(t, plain(m), "pick a reason by its number first")
	if m.mode != modeReason || m.pending.reason != "" {
		t.Fatalf("the picker chose %q (mode %d) without a number", m.pending.reason, m.mode)
	}
	pump(t, m, keys("r", "2")...)
	mustContain(t, plain(m), "Reject "+shortOf(id)+" · reason face-mismatch, retry (note required)")
	pump(t, m, typeText("someone else in the selfie")...)
	pump(t, m, keys("enter")...)
	d := record(t, f.st, id).Decisions[0]
	if d.Action != store.Reject || d.Reason != store.ReasonFaceMismatch || d.Finality != store.Retry || d.Note != "someone else in the selfie" {
		t.Fatalf("stored %+v, want a retry reject for face-mismatch", d)
	}
}

// esc in the note goes back to the reasons with the one picked marked, so
// a wrong number is put right; a number past the list says which exist.
func TestAWrongReasonIsPutRightWithoutStartingAgain(t *testing.T) {
	f, id := oneHandMadeCheck(t)
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("e", "7")...)
	mustContain(t, plain(m), "no reason 7: pick 1 to 4")
	pump(t, m, keys("1", "esc")...)
	mustContain(t, plain(m), "▶1 needs-senior-review (suggested)")
	pump(t, m, keys("3")...)
	pump(t, m, typeText("need the back of the card")...)
	pump(t, m, keys("enter")...)
	d := record(t, f.st, id).Decisions[0]
	if d.Action != store.Escalate || d.Reason != store.ReasonNeedsMoreDocuments || d.Finality != "" {
		t.Fatalf("stored %+v, want an escalation for needs-more-documents", d)
	}
}

func shortOf(id string) string { return strings.TrimPrefix(id, "chk_priv_")[:10] + "…" }

// The footer names the numbers the reasons offered take: escalate offers
// four, and "1-0" named six keys that pick nothing.
func TestThePickersFooterNamesTheNumbersItsReasonsTake(t *testing.T) {
	f, _ := oneHandMadeCheck(t)
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("e")...)
	n := len(m.pending.reasons)
	if n >= 10 {
		t.Fatalf("escalate offers %d reasons; this test wants fewer than ten", n)
	}
	footer := lastLines(plain(m), 1)
	mustContain(t, footer, "1-"+reasonIndex(n-1)+" pick reason")
	mustNotContain(t, footer, "1-0")
	// Reject offers the whole catalogue, ten: then 1-0 is right.
	pump(t, m, keys("esc", "x")...)
	if n := len(m.pending.reasons); n != 10 {
		t.Fatalf("reject offers %d reasons; this test wants ten", n)
	}
	mustContain(t, lastLines(plain(m), 1), "1-0 pick reason")
}
