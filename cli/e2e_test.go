package cli

import (
	"database/sql"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

// approvalNoteOpen starts the console built at bin on a store of one
// check to review, as rita, and opens its approval's note.
func approvalNoteOpen(t *testing.T, bin string) (*fixture, string, *ptyTerm) {
	t.Helper()
	f, id := oneReviewableCheck(t)
	term := startInPTY(t, bin, envList(f.env, "CAISSON_REVIEWER=rita"))
	term.waitFor("a approve")
	term.send("a")
	term.waitFor("note>")
	return f, id, term
}

// TestEndToEnd builds the binary and drives the console in a
// pseudo-terminal against the sandbox, as a reviewer would.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in a pseudo-terminal")
	}
	bin := filepath.Join(t.TempDir(), progName)
	build := exec.Command("go", "build", "-o", bin, "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	t.Run("a reviewer approves a check in the console", func(t *testing.T) {
		f, id, term := approvalNoteOpen(t, bin)
		term.send("checked by phone\r")
		term.waitFor("saved")
		term.send("q")
		if code := term.wait(); code != 0 {
			t.Fatalf("want exit 0, got %d:\n%s", code, term.text())
		}
		rec := f.get(id)
		if len(rec.Decisions) != 1 {
			t.Fatalf("want one decision stored, got %+v", rec.Decisions)
		}
		d := rec.Decisions[0]
		if d.Action != store.Approve || d.Reviewer != "rita" || d.Note != "checked by phone" || rec.Status != store.StatusApproved {
			t.Fatalf("decision: got %+v, status %s", d, rec.Status)
		}
		assertNoKey(t, term.text())
	})

	t.Run("SIGTERM with a decision's note half typed says it was not saved", func(t *testing.T) {
		f, id, term := approvalNoteOpen(t, bin)
		term.send("checked by")
		// Drawn a key at a time: the text is not in one piece on screen.
		time.Sleep(500 * time.Millisecond)
		if err := term.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		term.wait()
		mustContain(t, "the message after the console", term.text(),
			"not saved, as it was never confirmed: approve "+id+" and the note typed for it")
		if rec := f.get(id); len(rec.Decisions) != 0 {
			t.Fatalf("want no decision stored, got %+v", rec.Decisions)
		}
	})

	t.Run("the console and the demo refuse TERM=dumb before drawing anything", func(t *testing.T) {
		// Drawn anyway, the alternate screen's and the colour query's
		// sequences came out as text.
		f, _ := oneReviewableCheck(t)
		for _, args := range [][]string{nil, {"demo"}} {
			term := startInPTY(t, bin, envList(f.env, "CAISSON_REVIEWER=rita", "TERM=dumb"), args...)
			if code := term.wait(); code != 1 {
				t.Fatalf("%v: want exit 1, got %d:\n%s", args, code, term.text())
			}
			out := term.text()
			mustContain(t, "the refusal", out, "TERM=dumb says this one cannot", "set TERM")
			if strings.Contains(out, "\x1b[?1049h") || strings.Contains(out, "\x1b]11;?") {
				t.Errorf("%v: the alternate screen or the colour query was sent to a dumb terminal: %q", args, out)
			}
		}
	})

	t.Run("the demo deletes its database when its terminal closes", func(t *testing.T) {
		// SIGHUP, an SSH session dropped, killed it where it stood, and
		// the demo's database was left in the temporary directory.
		tmp := t.TempDir()
		// A test run under nohup would hand the demo SIGHUP ignored,
		// which it must then keep ignoring (below): asked for here, the
		// signal is the default again in the programs this test starts.
		if signal.Ignored(syscall.SIGHUP) {
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
		}
		term := startInPTY(t, bin, envList(nil, "CAISSON_REVIEWER=rita", "TMPDIR="+tmp), "demo")
		term.waitFor("a approve")
		if err := term.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		term.wait()
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("the demo left %s in its temporary directory", left[0].Name())
		}
	})

	t.Run("a program started ignoring SIGHUP (nohup) goes on ignoring it", func(t *testing.T) {
		cmd := exec.Command("sh", "-c", `trap "" HUP; exec "$0" sandbox --listen 127.0.0.1:0`, bin)
		cmd.Env = envList(nil)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		time.Sleep(500 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			t.Fatalf("the sandbox under nohup ended on SIGHUP (%v):\n%s", err, out.String())
		case <-time.After(time.Second):
		}
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})

	t.Run("a read-only console on a database that is not there makes none", func(t *testing.T) {
		f, _ := oneReviewableCheck(t)
		typo := filepath.Join(t.TempDir(), "reveiw.db")
		term := startInPTY(t, bin, envList(f.env, "CAISSON_REVIEWER=sam"), "--read-only", "--db", typo)
		if code := term.wait(); code != 1 {
			t.Fatalf("want exit 1, got %d:\n%s", code, term.text())
		}
		mustContain(t, "the refusal", term.text(), "no review database at "+typo)
		if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the read-only console made %s (%v)", typo, err)
		}
	})

	t.Run("the console refuses an unfinished copy before the alternate screen", func(t *testing.T) {
		// Its warning went to stderr under the alternate screen, and the
		// detail showed personal data no access record could log.
		f, id := oneReviewableCheck(t)
		dst := unfinishedCopy(t, f, id)
		term := startInPTY(t, bin, envList(f.env, "CAISSON_REVIEW_DB="+dst))
		if code := term.wait(); code != 1 {
			t.Fatalf("want exit 1, got %d:\n%s", code, term.text())
		}
		mustContain(t, "the console", term.text(), "personal data is shown only with a record in the access log", "run the same migrate-store again")
	})

	t.Run("a console on a decision log whose guards were dropped says so on screen", func(t *testing.T) {
		f, _ := oneReviewableCheck(t)
		db, err := sql.Open("sqlite", f.db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("DROP TRIGGER decisions_no_delete"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		term := startInPTY(t, bin, envList(f.env, "CAISSON_REVIEWER=rita"))
		term.waitFor("a approve")
		term.waitFor("log may be tampered with")
		term.send("q")
		if code := term.wait(); code != 0 {
			t.Fatalf("want exit 0, got %d:\n%s", code, term.text())
		}
	})

	t.Run("SIGTERM while a decision is being saved waits for it, saying so", func(t *testing.T) {
		f, id := oneReviewableCheck(t)
		term := startInPTY(t, bin, envList(f.env, "CAISSON_REVIEWER=rita"))
		term.waitFor("a approve")
		release := holdWriteLock(t, f.db)
		term.send("a")
		term.waitFor("note>")
		term.send("late\r")
		term.waitFor("saving approve")
		if err := term.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		term.waitFor("before quitting")
		release()
		if code := term.wait(); code != 1 {
			t.Fatalf("want exit 1 (interrupted), got %d:\n%s", code, term.text())
		}
		rec := f.get(id)
		if len(rec.Decisions) != 1 || rec.Decisions[0].Note != "late" {
			t.Fatalf("want the approval made before SIGTERM stored, got %+v", rec.Decisions)
		}
	})

	t.Run("with NO_COLOR the console sends no colour, bold or reverse", func(t *testing.T) {
		f, _ := oneReviewableCheck(t)
		term := startInPTY(t, bin, envList(f.env, "NO_COLOR=1"))
		term.waitFor("a approve")
		term.send("q")
		if code := term.wait(); code != 0 {
			t.Fatalf("want exit 0, got %d:\n%s", code, term.text())
		}
		if sgr := regexp.MustCompile(`\x1b\[[0-9;]*[1-9][0-9;]*m`).FindString(term.out.String()); sgr != "" {
			t.Errorf("the console sent %q (colour, bold or reverse) under NO_COLOR", sgr)
		}
	})

	t.Run("the demo needs nothing set up and leaves nothing behind", func(t *testing.T) {
		tmp := t.TempDir()
		home := t.TempDir()
		term := startInPTY(t, bin, []string{"TMPDIR=" + tmp, "HOME=" + home, "USER=demo", "PATH=" + os.Getenv("PATH")}, "demo", "--checks", "30")
		term.waitFor("sandbox")
		term.waitFor("refreshed")
		term.send("q")
		if code := term.wait(); code != 0 {
			t.Fatalf("want exit 0, got %d:\n%s", code, term.text())
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("the demo left %v in its temporary directory", left)
		}
		if left, _ := os.ReadDir(home); len(left) != 0 {
			t.Errorf("the demo wrote %v in the home directory", left)
		}
	})
}

// oneReviewableCheck is a store holding one fetched check that can be
// approved without confirmation (reviewableCheck).
func oneReviewableCheck(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t, sandbox.Options{})
	id := reviewableCheck(t, f)
	f.must(0, "add", id)
	f.must(0, "refresh", id)
	return f, id
}

// reviewableCheck finds a sandbox check in needs-review whose approval
// needs no confirmation (medium confidence, document not expired).
func reviewableCheck(t *testing.T, f *fixture) string {
	t.Helper()
	probe := newFixture(t, sandbox.Options{})
	ids := refreshed(t, probe, 40)
	st := probe.openStore()
	for _, id := range ids {
		rec, err := st.Get(t.Context(), id)
		if err == nil && rec.Result != nil && !rec.Result.Passed() && len(store.ApprovalRisks(rec.Row, rec.Result, time.Now())) == 0 {
			return id
		}
	}
	t.Fatal("no medium-confidence check among the sandbox's first 40")
	return ""
}

func envList(env map[string]string, extra ...string) []string {
	list := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TERM=xterm-256color"}
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	return append(list, extra...)
}

// ptyTerm is the program running in a pseudo-terminal, with everything it
// has drawn so far.
type ptyTerm struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	out  *syncBuffer
	done chan struct{}
}

func startInPTY(t *testing.T, bin string, env []string, args ...string) *ptyTerm {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env // envList's TERM, xterm-256color unless a test set its own
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatalf("starting in a pty: %v", err)
	}
	p := &ptyTerm{t: t, cmd: cmd, tty: tty, out: &syncBuffer{}, done: make(chan struct{})}
	go func() {
		io.Copy(p.out, tty) // ends with an error when the program exits
		close(p.done)
	}()
	go p.answerColourQuery()
	t.Cleanup(func() {
		cmd.Process.Kill()
		tty.Close()
	})
	return p
}

// answerColourQuery answers the background-colour query the console sends
// at start (OSC 11, from tea.RequestBackgroundColor) the way a real
// terminal does; unanswered, the console draws for a dark background after
// 200 ms.
func (p *ptyTerm) answerColourQuery() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return
		case <-time.After(5 * time.Millisecond):
		}
		if strings.Contains(p.out.String(), "\x1b]11;?") {
			p.tty.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\"))
			return
		}
	}
}

// holdWriteLock takes the database's write lock from another connection,
// as a CLI command writing at that moment would; release lets go of it.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
}

var ansiSequence = regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])`)

// text is the output with escape sequences removed, so words drawn in one
// go can be searched for.
func (p *ptyTerm) text() string { return ansiSequence.ReplaceAllString(p.out.String(), "") }

func (p *ptyTerm) waitFor(s string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.text(), s) {
		if time.Now().After(deadline) {
			p.t.Fatalf("waited 20s for %q on the screen; got:\n%s", s, p.text())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *ptyTerm) send(keys string) {
	p.t.Helper()
	if _, err := p.tty.Write([]byte(keys)); err != nil {
		p.t.Fatalf("typing %q: %v", keys, err)
	}
}

// wait returns the exit status, or fails the test after 20 seconds.
func (p *ptyTerm) wait() int {
	p.t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		// What it wrote last may still be on its way from the pty:
		// read until the copy ends (the pty closes with the program),
		// or a test reading the text finds it short (helper-62: the
		// TERM=dumb refusal's text was empty 3 times in 20).
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			p.t.Fatalf("waiting for the program: %v", err)
		}
		return 0
	case <-time.After(20 * time.Second):
		p.t.Fatalf("the program did not exit; screen:\n%s", p.text())
		return -1
	}
}
