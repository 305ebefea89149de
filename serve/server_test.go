package serve

import (
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
	if err := term.sess.WindowChange(40, 120); err != nil {
		t.Fatal(err)
	}
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
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEachSessionIsDrawnForItsOwnTerminal(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	colour := f.openTerminal(f.dialKey("alice", "alice"), "xterm-256color", 80, 24)
	plain := f.openTerminal(f.dialKey("alice", "alice"), "dumb", 80, 24)
	colour.expect(0, wait, "a approve")
	plain.expect(0, wait, "a approve")
	sgr := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	if n := len(sgr.FindAll(colour.sinceRaw(0), -1)); n == 0 {
		t.Error("the xterm-256color session got no colour or style sequences")
	}
	if found := sgr.FindAll(plain.sinceRaw(0), -1); len(found) != 0 {
		t.Errorf("the dumb terminal got %d style sequences (first %q), expected plain text", len(found), found[0])
	}
}
