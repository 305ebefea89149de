package serve

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store"
)

const wait = 10 * time.Second

func TestAnAuthorizedKeyGetsTheConsoleAndItsDecisionsNameTheReviewer(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	alice := f.keys["alice"]
	term := f.openTerminal(f.dialKey("alice", "alice"), "xterm-256color", 80, 24)
	term.expect(0, wait, "Needs review")

	ls := f.onlySession()
	if w, h := ls.windowSize(); w != 80 || h != 24 {
		t.Errorf("console size = %dx%d, expected the pty's 80x24", w, h)
	}
	term.resize(120, 40)
	waitUntil(t, wait, "the console to get the new size 120x40", func() bool {
		w, h := ls.windowSize()
		return w == 120 && h == 40
	})

	term.approveSelected(ls, wait)

	ds := f.decisions()
	if len(ds) != 1 {
		t.Fatalf("decisions stored = %d, expected 1", len(ds))
	}
	d := ds[0]
	wantReviewer := "alice (" + alice.Fingerprint() + ", alice@laptop)"
	if d.Action != store.Approve || d.Reviewer != wantReviewer {
		t.Errorf("stored decision = %s by %q, expected approve by %q", d.Action, d.Reviewer, wantReviewer)
	}
	f.waitLog(wait, "msg=decision", "check="+d.CheckID, "action=approve", "fingerprint="+alice.Fingerprint())
	f.waitLog(wait, `msg="session start"`, "user=alice", "fingerprint="+alice.Fingerprint(), "remote=127.0.0.1:")

	term.send("q")
	if err := term.waitClosed(wait); err != nil {
		t.Errorf("quitting: session ended with %v, expected exit status 0", err)
	}
	f.waitLog(wait, `msg="session end"`, "reason=quit", "decisions=1")
	if strings.Contains(f.log.String(), f.sb.Key()) {
		t.Error("the API key appears in the server log")
	}
}

// onlySession is the one admitted session.
func (f *fixture) onlySession() *liveSession {
	f.t.Helper()
	var ls *liveSession
	waitUntil(f.t, wait, "one admitted session", func() bool {
		f.srv.mu.Lock()
		defer f.srv.mu.Unlock()
		for s := range f.srv.admitted {
			ls = s
		}
		return len(f.srv.admitted) == 1
	})
	return ls
}

func waitUntil(t testing.TB, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	if !eventually(timeout, ok) {
		t.Fatalf("waited %s for %s", timeout, what)
	}
}

// eventually reports whether ok holds within timeout, asking every 10 ms.
func eventually(timeout time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// Each console is drawn for its own client's terminal: its window size,
// its TERM and the colour profile its TERM and environment give, as a
// reviewer's ssh sends them (NO_COLOR through SendEnv). The palette is the
// 16 ANSI colours, so a 256-colour terminal gets the same sequences as a
// 16-colour one; NO_COLOR gets no style sequence at all, only the words and
// symbols. TERM=dumb, which cannot draw a console, is refused
// (TestWhatTheServerRefuses).
func TestEachSessionIsDrawnForItsOwnTerminal(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	colour := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-7]|9[0-7]|4[0-7]|10[0-7])(;[0-9;]*)?m`)
	beyond16 := regexp.MustCompile(`\x1b\[[0-9;]*[34]8;[25];`)
	anySGR := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	for _, tc := range []struct {
		name, term string
		env        []string
		w, h       int
		profile    string
		coloured   bool
	}{
		{"a 256-colour terminal gets the 16-colour palette", "xterm-256color", nil, 120, 40, "ANSI256", true},
		{"a 16-colour terminal gets the 16-colour palette", "xterm", nil, 80, 24, "ANSI", true},
		{"NO_COLOR sent with SendEnv gets plain text", "xterm-256color", []string{"NO_COLOR=1"}, 100, 30, "NoTTY", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			term := f.openTerminal(f.dialKey("alice", "alice"), tc.term, tc.w, tc.h, tc.env...)
			term.expect(0, wait, "Needs review")
			ls := f.sessionWithTerm(tc.term, tc.w, tc.h)
			profile, gotTerm := ls.terminal()
			if profile != tc.profile || gotTerm != tc.term {
				t.Errorf("console got profile %s and TERM %q, expected %s and %q", profile, gotTerm, tc.profile, tc.term)
			}
			term.expect(0, wait, "▶")
			out := term.sinceRaw(0)
			switch {
			case tc.coloured && !colour.Match(out):
				t.Error("no colour sequence in the output")
			case tc.coloured && beyond16.Match(out):
				t.Errorf("a colour beyond the 16 ANSI ones: %q", beyond16.Find(out))
			case !tc.coloured && anySGR.Match(out):
				t.Errorf("a style sequence in plain text: %q", anySGR.Find(out))
			}
			if !strings.Contains(term.shown(), "✗ low") && !strings.Contains(term.shown(), "✓ high") {
				t.Errorf("no confidence badge with its word and symbol on screen:\n%s", term.shown())
			}
			term.send("q")
			term.waitClosed(wait)
		})
	}
}

// sessionWithTerm is the admitted session whose console got TERM term and
// a window of w x h.
func (f *fixture) sessionWithTerm(term string, w, h int) *liveSession {
	f.t.Helper()
	var found *liveSession
	waitUntil(f.t, wait, fmt.Sprintf("a %dx%d %s console", w, h, term), func() bool {
		f.srv.mu.Lock()
		defer f.srv.mu.Unlock()
		for ls := range f.srv.admitted {
			_, got := ls.terminal()
			if gw, gh := ls.windowSize(); got == term && gw == w && gh == h {
				found = ls
				return true
			}
		}
		return false
	})
	return found
}

// A client gone without q (the connection dropped, the laptop closed) is
// logged as such, not as a reviewer who quit.
func TestAClientGoneWithoutQuittingIsLoggedAsDisconnected(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := f.dialKey("alice", "alice")
	term := f.openTerminal(c, "xterm", 80, 24)
	term.expect(0, wait, "Needs review")
	c.Close()
	f.waitLog(wait, `msg="session end"`, "user=alice", "reason=disconnected")
	if strings.Contains(f.log.String(), "reason=quit") {
		t.Errorf("a dropped connection was logged as a quit:\n%s", f.log.String())
	}
}
