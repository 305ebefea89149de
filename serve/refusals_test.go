package serve

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestWhatTheServerRefuses(t *testing.T) {
	f := newFixture(t, fixtureOpts{})

	t.Run("an unknown key cannot log in", func(t *testing.T) {
		_, err := f.dial("alice", gossh.PublicKeys(newTestKey(t).Signer))
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("dial = %v, expected an authentication failure", err)
		}
		f.waitLog(wait, `msg="key refused"`, "user=alice")
	})
	t.Run("a password is not a way in", func(t *testing.T) {
		_, err := f.dial("alice", gossh.Password("hunter2"))
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("dial = %v, expected an authentication failure", err)
		}
		// The client never got to send the password: the server offers
		// no method it can use.
		if !strings.Contains(err.Error(), "attempted methods [none]") {
			t.Errorf("dial = %v, expected the password never to be tried", err)
		}
	})
	t.Run("keyboard-interactive is not a way in", func(t *testing.T) {
		answered := false
		_, err := f.dial("alice", gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			answered = true
			return nil, nil
		}))
		if err == nil || answered {
			t.Fatalf("dial = %v, challenge asked = %v; expected a failure with no challenge", err, answered)
		}
	})
	t.Run("a command is refused with a message", func(t *testing.T) {
		sess, err := f.dialKey("alice", "alice").NewSession()
		if err != nil {
			t.Fatal(err)
		}
		out, err := sess.CombinedOutput("cat /etc/passwd")
		var exit *gossh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 1 {
			t.Fatalf("exec ended with %v, expected exit status 1", err)
		}
		if !strings.Contains(string(out), "commands are not accepted") || strings.Contains(string(out), "root:") {
			t.Errorf("exec output %q: expected the refusal and nothing else", out)
		}
		f.waitLog(wait, `msg="session refused: command requested"`)
	})
	t.Run("a session without a pty is refused", func(t *testing.T) {
		sess, err := f.dialKey("alice", "alice").NewSession()
		if err != nil {
			t.Fatal(err)
		}
		term := startTerminal(t, sess)
		term.expect(0, wait, "Requires an active PTY")
		var exit *gossh.ExitError
		if err := term.waitClosed(wait); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
			t.Errorf("session ended with %v, expected exit status 1", err)
		}
		f.waitLog(wait, `msg="session refused: no terminal requested"`)
	})
	t.Run("a dumb terminal is refused before anything is drawn", func(t *testing.T) {
		term := f.openTerminal(f.dialKey("alice", "alice"), "dumb", 80, 24)
		term.expect(0, wait, "TERM=dumb says this one cannot")
		var exit *gossh.ExitError
		if err := term.waitClosed(wait); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
			t.Errorf("session ended with %v, expected exit status 1", err)
		}
		if out := term.since(0); strings.Contains(out, "\x1b[?1049h") || strings.Contains(out, "\x1b]11;?") {
			t.Errorf("the alternate screen or the colour query was sent to a dumb terminal: %q", out)
		}
		f.waitLog(wait, `msg="session refused: TERM=dumb"`)
	})
	t.Run("a subsystem is refused", func(t *testing.T) {
		sess, err := f.dialKey("alice", "alice").NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.RequestSubsystem("sftp"); err == nil {
			t.Fatal("sftp subsystem accepted, expected a refusal")
		}
	})
	t.Run("port forwarding is refused both ways", func(t *testing.T) {
		c := f.dialKey("alice", "alice")
		if conn, err := c.Dial("tcp", f.srv.Addr().String()); err == nil {
			conn.Close()
			t.Error("local forwarding (direct-tcpip) accepted, expected a refusal")
		}
		if ln, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
			ln.Close()
			t.Error("remote forwarding (tcpip-forward) accepted, expected a refusal")
		}
		// Logged, once a connection however often asked (helper-63: a
		// refusal without a word).
		for range 3 {
			if conn, err := c.Dial("tcp", f.srv.Addr().String()); err == nil {
				conn.Close()
			}
		}
		f.waitLog(wait, `msg="refused: port forwarding"`, "kind=local", "user=alice")
		f.waitLog(wait, `msg="refused: port forwarding"`, "kind=remote", "user=alice")
		if n := strings.Count(f.log.String(), `msg="refused: port forwarding" kind=local`); n != 1 {
			t.Errorf("%d log lines for one connection's local forwards, want 1", n)
		}
	})
	t.Run("agent forwarding is refused", func(t *testing.T) {
		sess, err := f.dialKey("alice", "alice").NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		if err := agent.RequestAgentForwarding(sess); err == nil {
			t.Error("agent forwarding accepted, expected a refusal")
		}
	})
	if got := len(f.decisions()); got != 0 {
		t.Errorf("decisions after refused sessions = %d, expected none", got)
	}
}

func TestAKeyRemovedAfterLoginGetsNoConsole(t *testing.T) {
	f := newFixture(t, fixtureOpts{keys: map[string]string{"alice": "", "bob": ""}})
	c := f.dialKey("alice", "alice") // authenticated while still listed
	writeFile(t, f.authKey, authorizedLine(f.keys["bob"], "")+"\n", 0o600)
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(f.authKey, later, later); err != nil {
		t.Fatal(err)
	}
	term := f.openTerminal(c, "xterm", 80, 24)
	term.expect(0, wait, "no longer authorized")
	var exit *gossh.ExitError
	if err := term.waitClosed(wait); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("session ended with %v, expected exit status 1", err)
	}
	f.waitLog(wait, `msg="session refused: key no longer authorized"`, "fingerprint="+f.keys["alice"].Fingerprint())
}
