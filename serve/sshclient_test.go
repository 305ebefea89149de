package serve

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
)

// dial connects to the server as user with the given auth methods,
// pinning the server's host key as a reviewer's known_hosts would.
func (f *fixture) dial(user string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	cfg := &gossh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: gossh.FixedHostKey(f.srv.HostPublicKey()),
		Timeout:         10 * time.Second,
	}
	return gossh.Dial("tcp", f.srv.Addr().String(), cfg)
}

func sshKey(k testKey) gossh.AuthMethod { return gossh.PublicKeys(k.Signer) }

func (f *fixture) dialKey(user, keyName string) *gossh.Client {
	f.t.Helper()
	k, ok := f.keys[keyName]
	if !ok {
		k = newTestKey(f.t) // a key the server has never seen
	}
	c, err := f.dial(user, gossh.PublicKeys(k.Signer))
	if err != nil {
		f.t.Fatalf("connecting as %s with key %s: %v", user, keyName, err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

// terminal is one reviewer's SSH session with a pty: what a terminal
// emulator would do, minus drawing. It answers the background-colour and
// device-attributes queries as a real terminal does.
type terminal struct {
	t     testing.TB
	sess  *gossh.Session
	stdin io.WriteCloser

	// silent terminals answer no query (a client that never does).
	silent bool

	mu     sync.Mutex
	out    []byte
	screen *screen       // what the terminal shows
	more   chan struct{} // signalled on every read
	closed bool
	exit   error // what Wait returned, once closed
}

// openTerminal requests a pty of w x h with TERM term and starts a shell
// (the console). env is sent first, as ssh's SendEnv does.
func (f *fixture) openTerminal(c *gossh.Client, term string, w, h int, env ...string) *terminal {
	f.t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		f.t.Fatalf("opening a session: %v", err)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if err := sess.Setenv(k, v); err != nil {
			f.t.Fatalf("sending %s: %v", kv, err)
		}
	}
	modes := gossh.TerminalModes{gossh.ECHO: 0}
	if err := sess.RequestPty(term, h, w, modes); err != nil {
		f.t.Fatalf("requesting a pty: %v", err)
	}
	t := startTerminal(f.t, sess)
	t.showOn(w, h)
	return t
}

// showOn plays the output onto a screen of w x h from now on.
func (term *terminal) showOn(w, h int) {
	term.mu.Lock()
	term.screen = newScreen(w, h)
	term.mu.Unlock()
}

// resize changes the window, as a terminal emulator's window resized.
func (term *terminal) resize(w, h int) {
	term.t.Helper()
	term.mu.Lock()
	if term.screen != nil {
		term.screen.resize(w, h)
	}
	term.mu.Unlock()
	if err := term.sess.WindowChange(h, w); err != nil {
		term.t.Fatalf("changing the window to %dx%d: %v", w, h, err)
	}
}

// shown is the screen's text now.
func (term *terminal) shown() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	if term.screen == nil {
		return ""
	}
	return term.screen.String()
}

func startTerminal(t testing.TB, sess *gossh.Session) *terminal {
	t.Helper()
	return startTerminalWith(t, sess, false)
}

func startTerminalWith(t testing.TB, sess *gossh.Session, silent bool) *terminal {
	t.Helper()
	stdin, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, sess: sess, stdin: stdin, silent: silent, more: make(chan struct{}, 1)}
	// A terminal shows the session's stderr too.
	sess.Stderr = stderrWriter{term}
	if err := sess.Shell(); err != nil {
		t.Fatalf("starting the shell: %v", err)
	}
	go term.read(stdout)
	t.Cleanup(func() { sess.Close() })
	return term
}

func (term *terminal) read(r io.Reader) {
	buf := make([]byte, 32*1024)
	answered := 0
	for {
		n, err := r.Read(buf)
		if n > 0 {
			term.mu.Lock()
			term.out = append(term.out, buf[:n]...)
			if term.screen != nil {
				term.screen.write(buf[:n])
			}
			// A real terminal answers these; wish's renderer waits for
			// the answers before the console starts.
			q := bytes.Count(term.out, []byte("\x1b]11;?"))
			term.mu.Unlock()
			for ; answered < q && !term.silent; answered++ {
				io.WriteString(term.stdin, "\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[?62;22c")
			}
			select {
			case term.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			exit := term.sess.Wait()
			term.mu.Lock()
			term.closed, term.exit = true, exit
			term.mu.Unlock()
			select {
			case term.more <- struct{}{}:
			default:
			}
			return
		}
	}
}

type stderrWriter struct{ term *terminal }

func (w stderrWriter) Write(p []byte) (int, error) {
	w.term.mu.Lock()
	w.term.out = append(w.term.out, p...)
	w.term.mu.Unlock()
	select {
	case w.term.more <- struct{}{}:
	default:
	}
	return len(p), nil
}

// mark is the position in the output from which the next wait looks.
func (term *terminal) mark() int {
	term.mu.Lock()
	defer term.mu.Unlock()
	return len(term.out)
}

// send types keys; each string is sent as one write, as a terminal sends
// one key press.
func (term *terminal) send(keys ...string) {
	term.t.Helper()
	for _, k := range keys {
		if _, err := io.WriteString(term.stdin, k); err != nil {
			term.t.Fatalf("typing %q: %v", k, err)
		}
	}
}

// waitFor waits until the output after from, without its escape
// sequences (colours split "a approve" into styled pieces), contains one of
// texts, or the screen does once output has come after from (Bubble Tea
// v2 redraws only the cells that changed, so "Appr. 0" becoming "Appr. 1"
// sends a "1"), and returns which, or -1 after timeout.
func (term *terminal) waitFor(from int, timeout time.Duration, texts ...string) int {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		term.mu.Lock()
		out, closed := ansi.Strip(string(term.out[min(from, len(term.out)):])), term.closed
		shown := ""
		if term.screen != nil && len(term.out) > from {
			shown = term.screen.String()
		}
		term.mu.Unlock()
		for i, s := range texts {
			if strings.Contains(out, s) || strings.Contains(shown, s) {
				return i
			}
		}
		if closed {
			return -1
		}
		select {
		case <-term.more:
		case <-deadline.C:
			return -1
		}
	}
}

// expect fails the test unless text appears after from within timeout.
func (term *terminal) expect(from int, timeout time.Duration, text string) {
	term.t.Helper()
	if term.waitFor(from, timeout, text) < 0 {
		term.t.Fatalf("%q did not appear within %s; output since then:\n%s", text, timeout, term.since(from))
	}
}

// sinceRaw is the output after from, as received.
func (term *terminal) sinceRaw(from int) []byte {
	term.mu.Lock()
	defer term.mu.Unlock()
	return append([]byte(nil), term.out[min(from, len(term.out)):]...)
}

// since is the output after from, with escape sequences made visible.
func (term *terminal) since(from int) string {
	term.mu.Lock()
	defer term.mu.Unlock()
	s := string(term.out[min(from, len(term.out)):])
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return strings.ReplaceAll(fmt.Sprintf("%q", s), `\r\n`, "\\r\\n\n")
}

// waitClosed waits for the server to end the session and returns its exit
// error (nil for status 0, *gossh.ExitError otherwise).
func (term *terminal) waitClosed(timeout time.Duration) error {
	term.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		term.mu.Lock()
		closed, exit := term.closed, term.exit
		term.mu.Unlock()
		if closed {
			return exit
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the session was not closed within %s; output:\n%s", timeout, term.since(0))
		}
		select {
		case <-term.more:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// approveSelected approves the selected check through the console's keys
// (see tryApprove), failing the test when it cannot.
func (term *terminal) approveSelected(ls *liveSession, timeout time.Duration) {
	term.t.Helper()
	if err := term.tryApprove(ls, "", timeout); err != nil {
		term.t.Fatal(err)
	}
}

// tryApprove approves the selected check as approveSelected does, for
// goroutines other than the test's: it reports failure instead of stopping
// the test. The console's own count of saved decisions says when it is
// done (the footer line may not change when the same text comes twice);
// then it waits for the list header to show the selection moved on (next,
// "" for the last row).
func (term *terminal) tryApprove(ls *liveSession, next string, timeout time.Duration) error {
	before := ls.store.decided.Load()
	// a does nothing while the selected row is still being read, and y
	// is lost when it reaches the console in one read with an earlier key
	// (Bubble Tea reads "ay" as one key): either is pressed again. An
	// extra a or y is harmless: the confirmation ignores a, and in the note
	// prompt either is only text.
	if err := term.openApproveNote(timeout); err != nil {
		return err
	}
	m := term.mark()
	term.send("\r")
	deadline := time.Now().Add(timeout)
	for ls.store.decided.Load() == before {
		if time.Now().After(deadline) {
			return fmt.Errorf("not saved: %s", term.since(m))
		}
		if term.waitFor(m, 10*time.Millisecond, "NOT saved") >= 0 {
			out := term.since(m)
			i := strings.Index(out, "NOT saved")
			return fmt.Errorf("the console says %s", out[max(0, i-40):min(len(out), i+200)])
		}
	}
	if next != "" && term.waitFor(m, timeout, next) < 0 {
		return fmt.Errorf("the selection did not move on to %s: %s", next, term.since(m))
	}
	return nil
}

// pressUntil presses key, again every second, until one of texts appears
// (which it returns) or timeout passes (-1).
func (term *terminal) pressUntil(key string, timeout time.Duration, texts ...string) int {
	m := term.mark()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		term.send(key)
		if got := term.waitFor(m, time.Second, texts...); got >= 0 {
			return got
		}
	}
	return -1
}

// openApproveNote presses a on the selected check, and y when the console
// asks to approve a low-confidence one anyway, until the note prompt shows.
func (term *terminal) openApproveNote(timeout time.Duration) error {
	m := term.mark()
	switch term.pressUntil("a", timeout, "anyway?", "note>") {
	case 0:
		time.Sleep(20 * time.Millisecond)
		if term.pressUntil("y", timeout, "note>") < 0 {
			return fmt.Errorf("no note prompt after confirming: %s", term.since(m))
		}
	case 1:
	default:
		return fmt.Errorf("no decision dialog: %s", term.since(m))
	}
	time.Sleep(20 * time.Millisecond)
	return nil
}
