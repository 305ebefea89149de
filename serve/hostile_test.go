package serve

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	gossh "golang.org/x/crypto/ssh"
)

// within runs f and fails the test if it has not returned after d: what a
// wedged server would do to a client.
func within(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(d):
		t.Fatalf("%s: still waiting after %s", what, d)
	}
}

// floodWindow sends n window changes, every after apart, ending on w x h.
func floodWindow(sess *gossh.Session, n int, every time.Duration, w, h int) error {
	for i := n - 1; i >= 0; i-- {
		if err := sess.WindowChange(h+i%7, w+i); err != nil {
			return fmt.Errorf("window change: %w", err)
		}
		time.Sleep(every)
	}
	return nil
}

// probe sends a request the server does not know and waits for its
// answer: how long the session's request handling takes to get to it.
func probe(sess *gossh.Session) error {
	ok, err := sess.SendRequest("probe@caisson-review.test", true, nil)
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("an unknown request was accepted")
	}
	return nil
}

// A client that asks for a pty, sends window changes before and after its
// shell request (twenty within the first second), and never answers a
// terminal query: the server answers its requests at once, the console
// draws (dark palette, the query having timed out) at the latest size, and
// the other reviewers go on.
func TestAFloodOfWindowChangesFromAClientThatNeverAnswersWedgesNothing(t *testing.T) {
	f := newFixture(t, fixtureOpts{maxSessions: 3})
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	alice.expect(0, wait, "Needs review")

	sess, err := f.dialKey("mallory", "alice").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		t.Fatal(err)
	}
	// Before the shell: nothing reads window changes yet.
	within(t, 2*time.Second, "window changes before the shell", func() error {
		return floodWindow(sess, 10, 0, 90, 26)
	})
	var hostile *terminal
	within(t, 2*time.Second, "starting the shell after a flood", func() error {
		hostile = startTerminalWith(t, sess, true)
		return nil
	})
	hostile.showOn(120, 40)
	within(t, 2*time.Second, "window changes after the shell", func() error {
		return floodWindow(sess, 10, 50*time.Millisecond, 120, 40)
	})
	within(t, time.Second, "a request after the flood", func() error { return probe(sess) })

	ls := f.sessionWithTerm("xterm-256color", 120, 40) // the latest size won
	hostile.expect(0, 2*time.Second, "Needs review")
	if out := string(hostile.sinceRaw(0)); !strings.Contains(out, "\x1b[9") {
		t.Errorf("the console is not in the dark palette (bright colours) after the query went unanswered")
	}
	if w, h := ls.windowSize(); w != 120 || h != 40 {
		t.Errorf("console size %dx%d, expected the last window sent, 120x40", w, h)
	}

	// The console works, and so do the others.
	m := hostile.mark()
	hostile.send("?")
	hostile.expect(m, wait, "Keys")
	aliceSession, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	alice.approveSelected(aliceSession, wait)
}

// A session that is stuck (it never reads what the server sends, never
// answers, floods window changes, types nothing) is closed by the idle
// timeout all the same, and a client that goes away frees its slot at
// once: stuck or gone sessions cannot fill --max-sessions for everyone.
func TestStuckOrVanishedSessionsGiveTheirSlotsBack(t *testing.T) {
	f := newFixture(t, fixtureOpts{maxSessions: 2, idle: time.Second})

	// Never reads: the server's writes stop once the SSH window is full.
	stuckConn := f.dialKey("stuck", "alice")
	stuck, err := stuckConn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := stuck.RequestPty("xterm-256color", maxHeight, maxWidth, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if _, err := stuck.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if err := stuck.Shell(); err != nil {
		t.Fatal(err)
	}
	within(t, 2*time.Second, "flooding the stuck session", func() error {
		return floodWindow(stuck, 20, 20*time.Millisecond, maxWidth-20, maxHeight-7)
	})

	// Goes away without a word.
	goneConn := f.dialKey("gone", "alice")
	gone := f.openTerminal(goneConn, "xterm", 80, 24)
	gone.expect(0, wait, "Needs review")
	waitUntil(t, wait, "two slots in use", func() bool { return f.slotsUsed() == 2 })
	goneConn.Close()
	waitUntil(t, 2*time.Second, "the vanished client's slot to be free", func() bool { return f.slotsUsed() == 1 })

	start := time.Now()
	within(t, time.Second+hardCloseGrace+3*time.Second, "the stuck session to be closed", func() error {
		stuckConn.Wait()
		return nil
	})
	t.Logf("the stuck session was closed %s after it went idle", time.Since(start).Round(100*time.Millisecond))
	waitUntil(t, 2*time.Second, "every slot to be free", func() bool { return f.slotsUsed() == 0 })
	f.waitLog(wait, `msg="session end"`, "user=stuck", "reason=idle")

	next := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	next.expect(0, wait, "Needs review")
}

// A console whose program no longer takes messages (here its Update
// never returns) cannot be asked to end: after the idle timeout and
// hardCloseGrace its connection is closed under it, and its slot is free.
func TestAConsoleThatNoLongerRespondsIsClosedUnderIt(t *testing.T) {
	f := newFixture(t, fixtureOpts{maxSessions: 1, idle: 500 * time.Millisecond})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the fixture's: the server can then stop
	f.srv.newModel = func(*liveSession) tea.Model { return freezeOnKey{release} }
	c := f.dialKey("frozen", "alice")
	term := f.openTerminal(c, "xterm", 80, 24)
	term.expect(0, wait, "press ! to freeze")
	term.send("!")
	start := time.Now()
	within(t, 500*time.Millisecond+hardCloseGrace+2*time.Second, "the frozen console's connection to be closed", func() error {
		c.Wait()
		return nil
	})
	t.Logf("closed %s after the last key", time.Since(start).Round(100*time.Millisecond))
	f.waitLog(wait, `msg="connection closed: console did not end in time"`, "user=frozen")
	waitUntil(t, wait, "its slot to be free", func() bool { return f.slotsUsed() == 0 })
}

type freezeOnKey struct{ release chan struct{} }

func (freezeOnKey) Init() tea.Cmd { return nil }
func (m freezeOnKey) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "!" {
		<-m.release
	}
	return m, nil
}
func (freezeOnKey) View() tea.View { return tea.NewView("press ! to freeze") }

// SIGTERM with a stuck session, a never-answering one and a reviewer in
// the middle of nothing: Serve returns cleanly within its grace period.
func TestShutdownIsCleanWithStuckSessions(t *testing.T) {
	f := newFixture(t, fixtureOpts{grace: 2 * time.Second})
	stuck, err := f.dialKey("stuck", "alice").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := stuck.RequestPty("xterm", maxHeight, maxWidth, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if _, err := stuck.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if err := stuck.Shell(); err != nil {
		t.Fatal(err)
	}
	if err := floodWindow(stuck, 20, 10*time.Millisecond, maxWidth-20, maxHeight-7); err != nil {
		t.Fatal(err)
	}
	silentSess, err := f.dialKey("silent", "alice").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := silentSess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	silent := startTerminalWith(t, silentSess, true)
	silent.showOn(80, 24)
	reviewer := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	reviewer.expect(0, wait, "Needs review")
	silent.expect(0, wait, "Needs review")

	start := time.Now()
	if err := f.stop(); err != nil {
		t.Errorf("Serve returned %v, expected a clean shutdown", err)
	}
	if d := time.Since(start); d > 2*time.Second+time.Second {
		t.Errorf("shutdown took %s, expected at most its grace (2s) and a little", d)
	}
	reviewer.expect(0, wait, "the review server is shutting down.")
	f.waitLog(wait, "msg=stopped")
}

// ssh -N: a connection that opens no session is logged, holds a slot like
// a console and is closed after the idle timeout.
func TestAConnectionWithoutAConsoleCountsAndTimesOut(t *testing.T) {
	f := newFixture(t, fixtureOpts{maxSessions: 1, idle: 1500 * time.Millisecond})
	quiet := f.dialKey("quiet", "alice")
	waitUntil(t, wait, "the quiet connection to hold a slot", func() bool { return f.slotsUsed() == 1 })
	// Logged as it comes in, not only when closed (helper-63).
	f.waitLog(wait, `msg="connection authenticated"`, "user=quiet", "fingerprint=SHA256:", "remote=127.0.0.1:")

	refused := f.dialKey("alice", "alice")
	full := f.openTerminal(refused, "xterm", 80, 24)
	full.expect(0, wait, "1 reviewers are already connected, the most this server allows")
	// Gone, as a client told so goes: while its connection stays open it
	// waits for a slot too, and the sweep may give it the quiet one's.
	refused.Close()

	within(t, 4*time.Second, "the quiet connection to be closed", func() error {
		quiet.Wait()
		return nil
	})
	f.waitLog(wait, `msg="connection closed: idle"`, "user=quiet")
	waitUntil(t, wait, "the slot to be free", func() bool { return f.slotsUsed() == 0 })
	next := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	next.expect(0, wait, "Needs review")
}

// slotsUsed is how many of --max-sessions are taken.
func (f *fixture) slotsUsed() int {
	f.srv.mu.Lock()
	defer f.srv.mu.Unlock()
	return f.srv.used
}

// One connection may open at most maxChannels sessions at once, as sshd's
// MaxSessions allows: each holds memory whether or not it starts a
// console.
func TestOneConnectionOpensAtMostTenSessions(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := f.dialKey("alice", "alice")
	var open []*gossh.Session
	for range maxChannels {
		sess, err := c.NewSession()
		if err != nil {
			t.Fatalf("session %d: %v", len(open)+1, err)
		}
		open = append(open, sess)
	}
	if _, err := c.NewSession(); err == nil || !strings.Contains(err.Error(), "at most 10 sessions on one connection") {
		t.Fatalf("session %d: %v, expected a refusal", maxChannels+1, err)
	}
	f.waitLog(wait, `msg="session refused: too many on one connection"`, "user=alice")
	open[0].Close()
	waitUntil(t, wait, "a session to be opened again after one closed", func() bool {
		sess, err := c.NewSession()
		if err == nil {
			sess.Close()
		}
		return err == nil
	})
}
