package serve

import (
	"strings"
	"testing"
	"time"
)

// Issue 13, point 3, over SSH: alice has a check open full screen when
// bob escalates it from his session. Alice stays on it, told who decided
// what; a and x say why they do nothing; back in the list j moves on to the
// check that followed it, marked ▶ as ever.
func TestACheckDecidedInAnotherSessionStaysOnScreenAndJMovesOn(t *testing.T) {
	_, alice, bob := aliceAndBob(t, 80, 24, "enter shows the detail")
	for _, term := range []*terminal{alice, bob} {
		m := term.mark()
		term.send("j")
		term.expect(m, wait, "2 of ")
	}
	open, next := selectedAndNext(t, alice.shown())
	if sel, _ := selectedAndNext(t, bob.shown()); sel != open {
		t.Fatalf("alice is on %s, bob on %s: expected the same check", open, sel)
	}
	m := alice.mark()
	alice.send("\r")
	alice.expect(m, wait, "esc back")

	m = alice.mark()
	bob.send("e")
	bob.expect(0, wait, "pick the reason")
	bob.send("1")
	bob.expect(0, wait, "note>")
	bob.send("over to compliance", "\r")
	if alice.waitFor(m, 2*time.Second, "no longer in Needs") < 0 {
		t.Fatalf("alice was not told bob escalated her check:\n%s", alice.shown())
	}
	// The notice names bob alone (the history below it names his key).
	mustShow(t, alice.shown(), "◆ escalated by bob ", "o reopen")
	for _, l := range strings.Split(alice.shown(), "\n") {
		if strings.Contains(l, "◆") && strings.Contains(l, "SHA256") {
			t.Errorf("the notice names bob with his key: %q", l)
		}
	}

	m = alice.mark()
	alice.send("x")
	alice.expect(m, wait, "not rejected: escalated by bob")

	m = alice.mark()
	alice.send("\x1b")
	alice.expect(m, wait, "j/k next check")
	if strings.Contains(alice.shown(), "▶") {
		t.Fatalf("a row is marked while alice is on the check that left:\n%s", alice.shown())
	}
	m = alice.mark()
	alice.send("j")
	waitUntil(t, wait, "j to select the check that followed the one that left", func() bool {
		sel, ok := selectedIn(alice.shown())
		return ok && sel == next
	})
}

// selectedAndNext are the short ids of the row marked ▶ on a screen and of
// the row under it.
func selectedAndNext(t *testing.T, screen string) (sel, next string) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "▶ "); ok && i+1 < len(lines) {
			if f := strings.Fields(lines[i+1]); len(f) > 0 {
				return strings.Fields(rest)[0], f[0]
			}
		}
	}
	t.Fatalf("no selected row with one under it on:\n%s", screen)
	return "", ""
}

// selectedIn is the short id on the row marked ▶, if any.
func selectedIn(screen string) (string, bool) {
	for _, l := range strings.Split(screen, "\n") {
		if rest, ok := strings.CutPrefix(l, "▶ "); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0], true
			}
		}
	}
	return "", false
}

func mustShow(t *testing.T, screen string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(screen, s) {
			t.Fatalf("%q is not on the screen:\n%s", s, screen)
		}
	}
}
