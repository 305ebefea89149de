package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/store"
)

// keepOnlyKeys rewrites authorized_keys with only the keys named, as an
// operator would, and makes sure the change is seen (a new modification
// time even on a coarse clock).
func (f *fixture) keepOnlyKeys(t *testing.T, names ...string) {
	t.Helper()
	var lines []string
	for _, n := range names {
		lines = append(lines, authorizedLine(f.keys[n], n+"@host"))
	}
	writeFile(t, f.authKey, strings.Join(lines, "\n")+"\n", 0o600)
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(f.authKey, later, later); err != nil {
		t.Fatal(err)
	}
}

// A key removed from authorized_keys while its console is open: the
// decision it confirms next is refused in the write path, and the console
// is told and closed within a few seconds. Another reviewer goes on.
func TestARemovedKeyCanNoLongerDecideAndItsConsoleIsClosed(t *testing.T) {
	f, alice, bob := aliceAndBob(t, 100, 30, "Needs review")
	m := alice.mark()
	if err := alice.openApproveNote(wait); err != nil {
		t.Fatal(err)
	}
	f.keepOnlyKeys(t, "bob")
	removed := time.Now()
	alice.send("\r")
	alice.expect(m, wait, "NOT saved")
	f.waitLog(wait, `msg="decision refused: key no longer authorized"`, "user=alice", "action=approve")

	alice.expect(m, 5*time.Second, "this key was removed from authorized_keys")
	var exit *gossh.ExitError
	if err := alice.waitClosed(5 * time.Second); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("the revoked session ended with %v, expected exit status 1", err)
	}
	t.Logf("closed %s after the key was removed", time.Since(removed).Round(100*time.Millisecond))
	if d := time.Since(removed); d > 5*time.Second {
		t.Errorf("closed %s after the key was removed, expected within a few seconds", d)
	}
	alice.expect(0, 0, "this key is no longer in the server's authorized_keys, so the session was closed")
	f.waitLog(wait, `msg="session end"`, "user=alice", `reason="key revoked"`)
	if n := len(f.decisions()); n != 0 {
		t.Fatalf("decisions after the key was removed = %d, expected none", n)
	}

	ls, err := f.sessionOf("bob")
	if err != nil {
		t.Fatal(err)
	}
	bob.approveSelected(ls, wait)
}

// A key marked read-only while its console is open: the decision it
// confirms next is refused, and the console, whose decision keys can only
// fail now, is told why and closed (exit 1) within a few seconds; logged
// in again, the key gets the read-only console. Another reviewer goes on.
func TestAKeyMadeReadOnlyHasItsConsoleClosedAndComesBackReadOnly(t *testing.T) {
	f, alice, bob := aliceAndBob(t, 100, 30, "Needs review")
	m := alice.mark()
	if err := alice.openApproveNote(wait); err != nil {
		t.Fatal(err)
	}
	writeFile(t, f.authKey, authorizedLine(f.keys["alice"], "alice@laptop "+ReadOnlyTag)+"\n"+
		authorizedLine(f.keys["bob"], "bob@desk")+"\n", 0o600)
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(f.authKey, later, later); err != nil {
		t.Fatal(err)
	}
	demoted := time.Now()
	alice.send("\r")
	alice.expect(m, wait, "NOT saved")
	alice.expect(m, 5*time.Second, "this key was made read-only in authorized_keys")
	var exit *gossh.ExitError
	if err := alice.waitClosed(5 * time.Second); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("the session of the key made read-only ended with %v, expected exit status 1", err)
	}
	if d := time.Since(demoted); d > 5*time.Second {
		t.Errorf("closed %s after the key was made read-only, expected within a few seconds", d)
	}
	alice.expect(0, 0, "reconnect for the read-only console")
	f.waitLog(wait, `msg="session end"`, "user=alice", `reason="key made read-only"`)
	if n := len(f.decisions()); n != 0 {
		t.Fatalf("decisions after the key was made read-only = %d, expected none", n)
	}

	again := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	again.expect(0, wait, "READ-ONLY")
	ls, err := f.sessionOf("bob")
	if err != nil {
		t.Fatal(err)
	}
	bob.approveSelected(ls, wait)
	// Bob's console, whose key did not change, was never ended, nor is
	// the read-only console the key has now (the sweep looks every second).
	time.Sleep(2500 * time.Millisecond)
	if l := logLineWith(f, `msg="session end"`, "user=bob"); l != "" {
		t.Errorf("bob's session ended: %s", l)
	}
	if n := strings.Count(f.log.String(), `msg="session end" user=alice`); n != 1 {
		t.Errorf("alice's sessions ended: %d, expected 1 (the read-only console stays)", n)
	}
}

// The read-only key makes no API call (a fetch writes its answer to the
// store) whatever it presses; a full key's refresh is logged with who
// asked; r pressed twice on one check fetches it once.
func TestRefreshesUnderServe(t *testing.T) {
	f := newFixture(t, fixtureOpts{keys: map[string]string{"alice": "alice@laptop", "sam": "sam@support " + ReadOnlyTag}})
	sam := f.openTerminal(f.dialKey("sam", "sam"), "xterm", 100, 30)
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	sam.expect(0, wait, "Needs review")
	alice.expect(0, wait, "▶")

	t.Run("the read-only key cannot refresh", func(t *testing.T) {
		f.sb.ResetRequests()
		for _, k := range []string{"r", "R", "\x1b"} {
			sam.send(k)
			time.Sleep(300 * time.Millisecond)
		}
		if reqs := f.sb.Requests(); len(reqs) != 0 {
			t.Errorf("the read-only console made %d API requests (first %s %s), expected none", len(reqs), reqs[0].Method, reqs[0].Path)
		}
		if l := logLineWith(f, "msg=refresh ", "user=sam"); l != "" {
			t.Errorf("a refresh by the read-only key: %s", l)
		}
	})
	t.Run("a refresh is logged with who asked, and r twice fetches once", func(t *testing.T) {
		f.sb.ResetRequests()
		f.sb.SetLatency(500*time.Millisecond, 0)
		defer f.sb.SetLatency(0, 0)
		alice.send("r")
		time.Sleep(100 * time.Millisecond)
		alice.send("r")
		line := f.waitLog(wait, "msg=refresh ", "user=alice", "fingerprint="+f.keys["alice"].Fingerprint(), "check=chk_")
		check := regexp.MustCompile(`check=(\S+)`).FindStringSubmatch(line)[1]
		time.Sleep(time.Second) // both presses answered
		n := 0
		for _, r := range f.sb.Requests() {
			if r.CheckID == check {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d API requests for %s after r twice, expected 1", n, check)
		}
	})
}

func logLineWith(f *fixture, parts ...string) string {
	for _, l := range strings.Split(f.log.String(), "\n") {
		if containsAll(l, parts...) {
			return l
		}
	}
	return ""
}

// Every decision's log line carries its sequence number and chain hash:
// a witness of the log's head kept outside the database.
func TestEachDecisionLogLineCarriesItsSeqAndChainHash(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	term := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	term.expect(0, wait, "▶")
	ls := f.onlySession()
	total, err := f.st.Count(context.Background(), store.PageQuery{Queue: store.QueueNeedsReview})
	if err != nil || total < 2 {
		t.Fatalf("needs review holds %d checks (%v), want 2 or more", total, err)
	}
	// The first approval takes its check out of the queue: the second
	// waits for the selection to move on, or it would approve the same
	// check again, which the store refuses as no change.
	if err := term.tryApprove(ls, fmt.Sprintf("1 of %d", total-1), wait); err != nil {
		t.Fatal(err)
	}
	term.approveSelected(ls, wait)
	ds := f.decisions()
	if len(ds) != 2 {
		t.Fatalf("decisions = %d, expected 2", len(ds))
	}
	for _, d := range ds {
		f.waitLog(wait, "msg=decision", "seq="+itoa(d.Seq)+" ", "check="+d.CheckID, "hash="+d.Hash)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// An authorized_keys file someone else could replace is refused, as
// sshd's StrictModes refuses it: at start, and while running (every key
// refused until it is fixed).
func TestAuthorizedKeysInAWritableDirectoryIsRefused(t *testing.T) {
	t.Run("at start", func(t *testing.T) {
		dir := t.TempDir()
		keys := dir + "/keys"
		if err := os.Mkdir(keys, 0o755); err != nil {
			t.Fatal(err)
		}
		path := keys + "/authorized_keys"
		writeFile(t, path, authorizedLine(newTestKey(t), "alice")+"\n", 0o600)
		if err := os.Chmod(keys, 0o777); err != nil {
			t.Fatal(err)
		}
		_, err := openAuthorizedKeys(path, discardLog())
		if err == nil || !strings.Contains(err.Error(), "has mode 0777: expected no write permission for group or others") {
			t.Fatalf("open = %v, expected the world-writable directory refused", err)
		}
		if err := os.Chmod(keys, 0o777|os.ModeSticky); err != nil { // sticky, as /tmp: others cannot replace the file
			t.Fatal(err)
		}
		if _, err := openAuthorizedKeys(path, discardLog()); err != nil {
			t.Fatalf("open with a sticky directory = %v, expected it accepted", err)
		}
	})
	t.Run("a file owned by another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("giving a file to another user needs root")
		}
		path := t.TempDir() + "/authorized_keys"
		writeFile(t, path, authorizedLine(newTestKey(t), "alice")+"\n", 0o644)
		if err := os.Chown(path, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		_, err := openAuthorizedKeys(path, discardLog())
		if err == nil || !strings.Contains(err.Error(), "is owned by uid 65534: expected root or this server's user") {
			t.Fatalf("open = %v, expected a file owned by another user refused", err)
		}
	})
	t.Run("while running", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		dir := f.authKey[:strings.LastIndex(f.authKey, "/")]
		if err := os.Chmod(dir, 0o775); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		time.Sleep(strictModesEvery)
		if _, err := f.dial("alice", sshKey(f.keys["alice"])); err == nil {
			t.Fatal("a login was accepted with authorized_keys in a group-writable directory")
		}
		f.waitLog(wait, `msg="authorized_keys unreadable: refusing every key until it is fixed"`, "has mode 0775")
	})
}

// SFTP and other subsystems are refused, and the refusal is logged with
// who asked.
func TestASubsystemRefusalIsLogged(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	sess, err := f.dialKey("alice", "alice").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestSubsystem("sftp"); err == nil {
		t.Fatal("sftp accepted, expected a refusal")
	}
	f.waitLog(wait, `msg="session refused: subsystem requested"`, "subsystem=sftp", "user=alice", "fingerprint="+f.keys["alice"].Fingerprint())
}

// authorized_keys made writable by others refuses every key (as sshd's
// StrictModes would), but no key was removed: the consoles are closed
// saying the file cannot be trusted, not that the key was revoked, and a
// decision is refused in those words.
func TestAnUnsafeAuthorizedKeysClosesSessionsSayingSo(t *testing.T) {
	f := newFixture(t, fixtureOpts{keys: map[string]string{"alice": "alice@laptop"}})
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	alice.expect(0, wait, "Needs review")
	aliceLs, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.authKey, 0o664); err != nil {
		t.Fatal(err)
	}
	_, err = aliceLs.store.DecideAs(context.Background(), store.DecisionRequest{CheckID: f.ids[0], Action: store.Escalate, Note: "n", Reviewer: "alice"})
	if err == nil || !strings.Contains(err.Error(), "authorized_keys cannot be trusted right now") {
		t.Errorf("a decision while authorized_keys is unsafe: %v; want it refused saying the file cannot be trusted", err)
	}
	f.waitLog(wait, `msg="decision refused: authorized_keys unusable"`, "user=alice")
	var exit *gossh.ExitError
	if err := alice.waitClosed(5 * time.Second); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("the session ended with %v, expected exit status 1", err)
	}
	alice.expect(0, 0, "the server's authorized_keys could no longer be trusted")
	if strings.Contains(alice.since(0), "no longer in the server's authorized_keys") {
		t.Errorf("the reviewer was told the key was removed; only the file's mode changed:\n%s", alice.since(0))
	}
	f.waitLog(wait, `msg="session end"`, "user=alice", `reason="authorized_keys unusable"`)
	if n := len(f.decisions()); n != 0 {
		t.Fatalf("decisions while authorized_keys was unsafe = %d, expected none", n)
	}
}
