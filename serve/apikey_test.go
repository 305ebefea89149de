package serve

import (
	"errors"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// The secret API key typed where a session keeps text is refused as the
// local console refuses it (helper-74): serve's wrapper of the client did
// not pass on its knowledge of the key, so a note holding it was stored in
// the append-only log for good, and a user name holding it went to the
// server's log, the header and every decision's reviewer.
func TestAServeSessionKeepsTheAPIKeyOutOfTheLogs(t *testing.T) {
	t.Run("a note holding the key is refused, nothing stored", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		term := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 120, 30)
		term.expect(0, wait, "▶")
		m := term.mark()
		term.send("x1pasted " + f.sb.Key() + "\r")
		term.waitFor(m, wait, "holds the secret API key")
		time.Sleep(300 * time.Millisecond)
		if ds := f.decisions(); len(ds) != 0 {
			t.Fatalf("decisions = %+v, want none", ds)
		}
		// On the screen it is what was typed, as typed; not in the log.
		if strings.Contains(f.log.String(), f.sb.Key()[:12]) {
			t.Error("the key was logged")
		}
	})
	t.Run("a user name holding the key is refused before the console, and not logged", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		for _, user := range []string{f.sb.Key(), "me" + f.sb.Key()[4:20]} {
			term := f.openTerminal(f.dialKey(user, "alice"), "xterm", 120, 30)
			term.expect(0, wait, "your SSH user name holds the secret API key")
			var exit *gossh.ExitError
			if err := term.waitClosed(wait); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
				t.Errorf("session ended with %v, expected exit status 1", err)
			}
		}
		f.waitLog(wait, `msg="session refused: its user name holds the secret API key"`, `user="(withheld: holds the API key)"`)
		for i := 0; i+12 <= len(f.sb.Key()); i++ {
			if piece := f.sb.Key()[i : i+12]; strings.Contains(f.log.String(), piece) {
				t.Fatalf("the server's log holds %q of the key:\n%s", piece, f.log.String())
			}
		}
		if ds := f.decisions(); len(ds) != 0 {
			t.Fatalf("decisions = %+v, want none", ds)
		}
	})
}
