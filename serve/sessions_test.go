package serve

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/store"
)

func TestAReadOnlyKeyGetsNoDecisionKeys(t *testing.T) {
	f := newFixture(t, fixtureOpts{keys: map[string]string{
		"alice": "alice@laptop",
		"sam":   "sam@support " + ReadOnlyTag,
	}})

	// The same screens for a full key first, so the test shows what the
	// read-only key is missing.
	full := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	full.expect(0, wait, "a approve")
	m := full.mark()
	full.send("?")
	full.expect(m, wait, "Keys")
	full.expect(m, wait, "approve")

	ro := f.openTerminal(f.dialKey("sam", "sam"), "xterm", 100, 30)
	ro.expect(0, wait, "Needs review")
	if strings.Contains(ro.since(0), "a approve") {
		t.Errorf("read-only footer offers approve:\n%s", ro.since(0))
	}
	m = ro.mark()
	ro.send("?")
	ro.expect(m, wait, "READ-ONLY session")
	if help := ro.since(m); strings.Contains(help, "approve") || strings.Contains(help, "reject") {
		t.Errorf("read-only help lists decision keys:\n%s", help)
	}
	// a, then ? again: once the help is back, the a was handled, and it
	// opened nothing. The pauses keep each key in a read of its own, as
	// a typist's are (Bubble Tea reads "a?" in one read as one key).
	ro.send("\x1b")
	time.Sleep(150 * time.Millisecond)
	m = ro.mark()
	ro.send("a")
	time.Sleep(150 * time.Millisecond)
	ro.send("?")
	ro.expect(m, wait, "READ-ONLY session")
	if out := ro.since(m); strings.Contains(out, "note>") || strings.Contains(out, "anyway?") {
		t.Errorf("pressing a in a read-only console opened a decision dialog:\n%s", out)
	}
	if n := len(f.decisions()); n != 0 {
		t.Errorf("decisions after the read-only session = %d, expected none", n)
	}
	f.waitLog(wait, `msg="session start"`, "user=sam", "read_only=true")
}

func TestSessionsBeyondTheMaximumAreTurnedAway(t *testing.T) {
	f := newFixture(t, fixtureOpts{maxSessions: 2})
	firstConn := f.dialKey("alice", "alice")
	first := f.openTerminal(firstConn, "xterm", 80, 24)
	second := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	first.expect(0, wait, "Needs review")
	second.expect(0, wait, "Needs review")

	third := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	third.expect(0, wait, "2 reviewers are already connected, the most this server allows")
	var exit *gossh.ExitError
	if err := third.waitClosed(wait); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("the third session ended with %v, expected exit status 1", err)
	}
	f.waitLog(wait, `msg="session refused: server full"`, "max_sessions=2")

	// Quitting ends the console; the connection holds its slot until the
	// client closes it, as ssh does when its session ends.
	first.send("q")
	if err := first.waitClosed(wait); err != nil {
		t.Fatalf("quitting: %v", err)
	}
	firstConn.Close()
	waitUntil(t, wait, "the first connection to be counted out", func() bool {
		f.srv.mu.Lock()
		defer f.srv.mu.Unlock()
		return f.srv.used == 1
	})
	fourth := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	fourth.expect(0, wait, "Needs review")
}

func TestAnIdleSessionIsClosedAndTypingKeepsItOpen(t *testing.T) {
	f := newFixture(t, fixtureOpts{idle: 700 * time.Millisecond})
	term := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	term.expect(0, wait, "Needs review")
	for range 5 {
		time.Sleep(250 * time.Millisecond)
		term.send("j")
	}
	if term.waitFor(0, 0, "without a key press") >= 0 {
		t.Fatal("the session was closed while the reviewer was typing")
	}
	start := time.Now()
	if err := term.waitClosed(wait); err != nil {
		t.Errorf("idle session ended with %v, expected exit status 0", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed %s after the last key, expected about 700ms", d)
	}
	term.expect(0, 0, "closed after 700ms without a key press")
	f.waitLog(wait, `msg="session end"`, "reason=idle")
}

// Shutdown tells every console and waits for the decision being saved,
// also one that takes longer than a console told to end is otherwise
// given (hardCloseGrace): within the shutdown grace it is saved and its
// reviewer told so (helper-63: the connection was closed at 5 s, the
// goodbye lost, whatever --shutdown-grace said).
func TestShutdownTellsSessionsAndWaitsForTheDecisionInFlight(t *testing.T) {
	for _, c := range []struct {
		name  string
		delay time.Duration
	}{
		{"a decision of 300ms", 300 * time.Millisecond},
		{"a decision longer than a console is given to end", hardCloseGrace + 1500*time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) { shutdownWaitsFor(t, c.delay) })
	}
}

func shutdownWaitsFor(t *testing.T, delay time.Duration) {
	f := newFixture(t, fixtureOpts{})
	// Decisions take delay here, so shutdown starts while one is being
	// written.
	f.srv.newModel = func(ls *liveSession) tea.Model {
		ls.store.st = slowDecisions{ls.store.st, delay}
		return f.srv.newConsole(ls)
	}
	busy := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	idle := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	busy.expect(0, wait, "Needs review")
	idle.expect(0, wait, "Needs review")

	m := busy.mark()
	if err := busy.openApproveNote(wait); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	busy.send("\r")
	busy.expect(m, wait, "saving approve")

	if err := f.stop(); err != nil {
		t.Fatalf("Serve returned %v, expected a clean shutdown", err)
	}
	// Serve has returned: the decision must be on disk already.
	if n := len(f.decisions()); n != 1 {
		t.Fatalf("decisions after shutdown = %d, expected the one in flight", n)
	}
	busy.expect(0, wait, "the review server is shutting down. Decisions made in this session: 1, all saved.")
	idle.expect(0, wait, "the review server is shutting down. Decisions made in this session: 0, all saved.")
	for _, term := range []*terminal{busy, idle} {
		if err := term.waitClosed(wait); err != nil {
			t.Errorf("session ended with %v, expected exit status 0", err)
		}
	}
	if _, err := f.dial("alice", gossh.PublicKeys(f.keys["alice"].Signer)); err == nil {
		t.Error("a connection was accepted after shutdown")
	}
	f.waitLog(wait, `msg="shutting down"`, "sessions=2")
	f.waitLog(wait, `msg=stopped`)
}

// A reviewer halfway through a decision's note when the server shuts
// down is told the decision was not saved: it was never confirmed.
func TestShutdownTellsAReviewerTheDecisionTheyHadNotConfirmed(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	term := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	term.expect(0, wait, "Needs review")
	if err := term.openApproveNote(wait); err != nil {
		t.Fatal(err)
	}
	m := term.mark()
	term.send("looks fi")
	term.expect(m, wait, "looks fi")
	if err := f.stop(); err != nil {
		t.Fatalf("Serve returned %v, expected a clean shutdown", err)
	}
	term.expect(0, wait, "the review server is shutting down. Decisions made in this session: 0, all saved. Not saved, as it was never confirmed: approve chk_priv_")
	term.expect(0, wait, " and the note typed for it.")
	if n := len(f.decisions()); n != 0 {
		t.Fatalf("decisions after shutdown = %d, expected none", n)
	}
}

type slowDecisions struct {
	decider
	delay time.Duration
}

func (s slowDecisions) DecideAs(ctx context.Context, r store.DecisionRequest) (store.Decision, error) {
	time.Sleep(s.delay)
	return s.decider.DecideAs(ctx, r)
}

func TestOneSessionsPanicLeavesTheOthersWorking(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.srv.newModel = func(ls *liveSession) tea.Model {
		switch ls.id.User {
		case "crash-on-start":
			panic("console could not be built")
		case "crash-on-key":
			return panicOnKey{}
		}
		return f.srv.newConsole(ls)
	}
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	alice.expect(0, wait, "Needs review")

	early := f.openTerminal(f.dialKey("crash-on-start", "alice"), "xterm", 80, 24)
	early.expect(0, wait, "the console failed and was closed")
	if err := early.waitClosed(wait); err == nil {
		t.Error("a session whose console panicked at start ended with status 0")
	}
	f.waitLog(wait, `msg="session panicked"`, "console could not be built")

	for _, k := range []struct{ key, where string }{{"!", "in Update"}, {"@", "in a command"}} {
		late := f.openTerminal(f.dialKey("crash-on-key", "alice"), "xterm", 80, 24)
		late.expect(0, wait, "press ! or @ to panic")
		late.send(k.key)
		late.expect(0, wait, "the console failed and was closed")
		if err := late.waitClosed(wait); err != nil {
			t.Errorf("panic %s: session ended with %v, expected a clean exit", k.where, err)
		}
		f.waitLog(wait, `msg="console panicked"`, "user=crash-on-key", "a bug "+k.where)
	}

	ls, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	alice.approveSelected(ls, wait)
	if n := len(f.decisions()); n != 1 {
		t.Errorf("decisions = %d, expected alice's one", n)
	}
	another := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 80, 24)
	another.expect(0, wait, "Needs review")
}

type panicOnKey struct{}

func (panicOnKey) Init() tea.Cmd { return nil }
func (p panicOnKey) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "!":
			panic("a bug in Update")
		case "@":
			// In a batch: the guard must reach the commands inside it.
			return p, tea.Batch(func() tea.Msg { return nil }, func() tea.Msg { panic("a bug in a command") })
		}
	}
	return p, nil
}
func (panicOnKey) View() tea.View { return tea.NewView("press ! or @ to panic") }

// A recovered panic in Update still hands Bubble Tea a model: it calls View
// on whatever Update returned, so a nil model would crash the program the
// recover was there to protect.
func TestARecoveredPanicInUpdateStillReturnsTheModel(t *testing.T) {
	ls := &liveSession{log: slog.New(slog.NewTextHandler(io.Discard, nil)), done: make(chan struct{})}
	m := &sessionModel{inner: panicOnKey{}, ls: ls, raw: [2]int{80, 24}}
	next, cmd := m.Update(tea.KeyPressMsg{Code: '!', Text: "!"})
	if next == nil {
		t.Fatal("Update returned a nil model after a panic")
	}
	if cmd == nil {
		t.Error("Update returned no command: the console should quit")
	}
	if v := next.View(); v.Content != "" {
		t.Errorf("a crashed console should draw nothing, drew %q", v.Content)
	}
}

// A session on a store whose decision log's guards were dropped sees it
// in its header, as a local console does: the server's warning at Open
// goes to its log, which no reviewer reads.
func TestASessionOnAStoreWhoseLogGuardsWereDroppedSaysSo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "review.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TRIGGER access_no_update"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f := newFixture(t, fixtureOpts{location: path, joining: true})
	term := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 120, 30)
	term.expect(0, wait, "log may be tampered with: export --verify")
}

// The server offers no key exchange or MAC built on SHA-1 (x/crypto's
// defaults offered diffie-hellman-group14-sha1, hmac-sha1 and
// hmac-sha1-96, which a hardened bastion refuses: helper-59); a client
// that asks only for those is refused, one with today's defaults gets in.
func TestTheServerOffersNoSHA1KeyExchangeOrMAC(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	k := f.keys["alice"]
	for _, c := range []gossh.Config{
		{KeyExchanges: []string{gossh.InsecureKeyExchangeDH14SHA1}},
		{MACs: []string{gossh.HMACSHA1}, Ciphers: []string{gossh.CipherAES128CTR}},
		{MACs: []string{gossh.InsecureHMACSHA196}, Ciphers: []string{gossh.CipherAES128CTR}},
	} {
		cfg := &gossh.ClientConfig{Config: c, User: "alice", Auth: []gossh.AuthMethod{gossh.PublicKeys(k.Signer)},
			HostKeyCallback: gossh.FixedHostKey(f.srv.HostPublicKey()), Timeout: 5 * time.Second}
		if client, err := gossh.Dial("tcp", f.srv.Addr().String(), cfg); err == nil {
			client.Close()
			t.Errorf("a client asking only for %v got in", c)
		}
	}
	f.dialKey("alice", "alice")
}
