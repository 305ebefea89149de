package serve

import (
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

// typeAtConnect opens a console and types keys the moment the shell is
// started, before the console has drawn anything: what a reviewer who
// types ahead over a slow link does.
func (f *fixture) typeAtConnect(t *testing.T, keys ...string) *terminal {
	t.Helper()
	return f.typeAtConnectAs(t, "alice", keys...)
}

func (f *fixture) typeAtConnectAs(t *testing.T, user string, keys ...string) *terminal {
	t.Helper()
	sess, err := f.dialKey(user, "alice").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 30, 100, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		t.Fatal(err)
	}
	term := startTerminal(t, sess)
	term.showOn(100, 30)
	term.send(keys...)
	return term
}

// Keys typed before the console is ready are kept and acted on in order,
// and the keys after one that opens a dialog go to that dialog.
func TestKeysTypedAheadAreKeptInOrder(t *testing.T) {
	t.Run("? typed at connect opens the help", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		term := f.typeAtConnect(t, "?")
		term.expect(0, wait, "Keys")
	})
	// helper-69: enter typed at connect left the list on screen.
	t.Run("enter typed at connect opens the first check", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		term := f.typeAtConnect(t, "\r")
		term.expect(0, wait, "esc back")
	})
	t.Run("j and enter typed while ssh authenticates, in a cooked tty, a line feed, open the second check", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		term := f.typeAtConnect(t, "j", "\n")
		term.expect(0, wait, "esc back")
	})
	t.Run("1e, a reason and a note typed at connect escalate with that note", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		term := f.typeAtConnect(t, "1", "e", "1", "note 0.01", "\r")
		term.expect(0, wait, "Needs review")
		var ds []store.Decision
		waitUntil(t, wait, "a decision", func() bool { ds = f.decisions(); return len(ds) > 0 })
		time.Sleep(300 * time.Millisecond) // nothing else follows
		ds = f.decisions()
		if len(ds) != 1 || ds[0].Action != store.Escalate || ds[0].Note != "note 0.01" {
			t.Fatalf("decisions = %+v, expected one escalate with the note %q", ds, "note 0.01")
		}
	})
	t.Run("typed while ssh authenticates, in a cooked tty, enter arrives as a line feed and still saves", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		f.typeAtConnect(t, "1", "e", "1", "note 0.03", "\n")
		var ds []store.Decision
		waitUntil(t, wait, "a decision", func() bool { ds = f.decisions(); return len(ds) > 0 })
		if ds[0].Action != store.Escalate || ds[0].Note != "note 0.03" {
			t.Fatalf("decisions = %+v, expected an escalate with the note %q", ds, "note 0.03")
		}
	})
	t.Run("the keys after x and its reason go to its note, in one read", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		term := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
		term.expect(0, wait, "▶")
		term.send("x1note 0.02\r")
		var ds []store.Decision
		waitUntil(t, wait, "a decision", func() bool { ds = f.decisions(); return len(ds) > 0 })
		time.Sleep(300 * time.Millisecond)
		ds = f.decisions()
		if len(ds) != 1 || ds[0].Action != store.Reject || ds[0].Note != "note 0.02" {
			t.Fatalf("decisions = %+v, expected one reject with the note %q", ds, "note 0.02")
		}
	})
}

// The server's configuration gives every console its keys and its
// defaults: the footer shows the keys as bound, they act, and the console
// opens on the configured queue.
func TestConsolesTakeTheServersKeysAndDefaults(t *testing.T) {
	f := newFixture(t, fixtureOpts{console: tui.Config{
		Keys:       map[string][]string{"help": {"h"}, "approve": {"v"}},
		StartQueue: store.QueueAll,
	}})
	term := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 120, 40)
	term.expect(0, wait, "h help")
	term.expect(0, wait, "[7 All")
	from := term.mark()
	term.send("h")
	term.expect(from, wait, "esc or h closes")
}
