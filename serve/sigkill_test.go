package serve

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// serveProcess is the built binary's serve, run as an operator would.
type serveProcess struct {
	t           *testing.T
	cmd         *exec.Cmd
	log         *syncBuffer
	addr        string
	fingerprint string
}

var listeningLine = regexp.MustCompile(`msg=listening addr=(\S+) host_key=(\S+)`)

// startServe runs bin serve on a loopback port against the database at
// url, with the reviewers' keys at authKeys, in a folder of its own.
func startServe(t *testing.T, bin, url, authKeys string) *serveProcess {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--host-key", filepath.Join(dir, "host_ed25519"),
		"--authorized-keys", authKeys, "--poll", "off")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "XDG_DATA_HOME=" + dir,
		"CAISSON_REVIEW_DB=" + url}
	p := &serveProcess{t: t, cmd: cmd, log: &syncBuffer{}}
	cmd.Stderr, cmd.Stdout = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting serve: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("log of serve (pid %d):\n%s", cmd.Process.Pid, p.log.String())
		}
	})
	waitUntil(t, wait, "serve to listen", func() bool {
		m := listeningLine.FindStringSubmatch(p.log.String())
		if m != nil {
			p.addr, p.fingerprint = m[1], strings.Trim(m[2], `"`)
		}
		return m != nil
	})
	return p
}

// console connects to the process with key k as user and opens an 80x24
// console, pinning the host key the process logged.
func (p *serveProcess) console(user string, k testKey) *terminal {
	p.t.Helper()
	c, err := gossh.Dial("tcp", p.addr, &gossh.ClientConfig{
		User: user, Auth: []gossh.AuthMethod{sshKey(k)}, Timeout: wait,
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			if got := gossh.FingerprintSHA256(key); got != p.fingerprint {
				return fmt.Errorf("host key %s, want %s", got, p.fingerprint)
			}
			return nil
		},
	})
	if err != nil {
		p.t.Fatalf("connecting to %s: %v", p.addr, err)
	}
	p.t.Cleanup(func() { c.Close() })
	f := &fixture{t: p.t}
	return f.openTerminal(c, "xterm", 80, 24)
}

// approveShown approves the selected check through the console's keys
// and reports whether the console showed it saved.
func approveShown(term *terminal) error {
	if err := term.openApproveNote(wait); err != nil {
		return err
	}
	m := term.mark()
	term.send("\r")
	if term.waitFor(m, wait, ": saved", "NOT saved") != 0 {
		return fmt.Errorf("not shown saved: %s", term.since(m))
	}
	return nil
}

// TestTwoServeProcessesOnOnePostgreSQLOneKilledWithSIGKILL runs the
// built binary's serve twice on one PostgreSQL database, alice on the
// first and bob on the second, both deciding; the first is killed with
// SIGKILL while alice has a check open and a decision half-typed. Every
// decision a console showed saved is in the log, the chain verifies, bob
// goes on deciding, and alice's claim lapses within store.ClaimExpiry of
// the kill.
func TestTwoServeProcessesOnOnePostgreSQLOneKilledWithSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and waits out a claim's expiry")
	}
	t.Parallel() // with the load test: this one mostly waits
	url := pgtest.URL(t)
	filled := newFixture(t, fixtureOpts{location: url, checks: 20}) // the checks, fetched from the sandbox
	if err := filled.stop(); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "caisson-review")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	aliceKey, bobKey := newTestKey(t), newTestKey(t)
	authKeys := filepath.Join(t.TempDir(), "authorized_keys")
	writeFile(t, authKeys, authorizedLine(aliceKey, "alice@laptop")+"\n"+authorizedLine(bobKey, "bob@desk")+"\n", 0o600)
	first, second := startServe(t, bin, url, authKeys), startServe(t, bin, url, authKeys)
	alice, bob := first.console("alice", aliceKey), second.console("bob", bobKey)
	alice.expect(0, wait, "enter shows the detail")
	bob.expect(0, wait, "enter shows the detail")

	// Claims cross processes: both have the riskiest check selected.
	m := bob.mark()
	alice.send("\r")
	bob.expect(m, 2*time.Second, "● being reviewed by alice (alice@laptop)")
	alice.send("\x1b")

	// Both decide; bob from further down the list.
	bob.send("G")
	saved := map[string]int{}
	for range 3 {
		for name, term := range map[string]*terminal{"alice": alice, "bob": bob} {
			if err := approveShown(term); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			saved[name]++
		}
	}

	// Alice opens a check and starts a decision; her server is killed.
	alice.send("\r")
	ctx := context.Background()
	waitUntil(t, wait, "alice's claim in the store", func() bool { return len(claimsBy(t, filled.st, "alice")) == 1 })
	alice.pressUntil("a", wait, "anyway?", "note>")
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = first.cmd.Wait()

	if err := approveShown(bob); err != nil {
		t.Fatalf("bob, after the other server was killed: %v", err)
	}
	saved["bob"]++
	waitUntil(t, store.ClaimExpiry+5*time.Second, "alice's claim to lapse", func() bool { return len(claimsBy(t, filled.st, "alice")) == 0 })
	if lapsed := time.Since(killed); lapsed > store.ClaimExpiry+time.Second {
		t.Errorf("alice's claim lapsed %v after her server was killed, want within %v", lapsed.Round(time.Millisecond), store.ClaimExpiry)
	} else {
		t.Logf("alice's claim lapsed %v after her server was killed", lapsed.Round(time.Millisecond))
	}

	logged := map[string]int{}
	for _, d := range filled.decisions() {
		if d.Action == store.Approve {
			logged[strings.Fields(d.Reviewer)[0]]++
		}
	}
	for name, n := range saved {
		if logged[name] != n {
			t.Errorf("%s's console showed %d approvals saved; the log holds %d", name, n, logged[name])
		}
	}
	if v, err := filled.st.Verify(ctx); err != nil || !v.OK {
		t.Errorf("Verify after the kill = %+v, %v; want the chain whole", v, err)
	}
}

func claimsBy(t *testing.T, st *store.Store, name string) []store.Claim {
	t.Helper()
	cs, err := st.Claims(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Claim
	for _, c := range cs {
		if strings.HasPrefix(c.Reviewer, name+" ") {
			out = append(out, c)
		}
	}
	return out
}
