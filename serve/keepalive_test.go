package serve

import (
	"net"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// freezer is a TCP relay to the server that can stop passing bytes either
// way without closing anything: a client whose laptop went to sleep, or
// whose network went away without a reset.
type freezer struct {
	ln     net.Listener
	mu     sync.Mutex
	frozen bool
	cond   *sync.Cond
}

func newFreezer(t *testing.T, to string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	z := &freezer{ln: ln}
	z.cond = sync.NewCond(&z.mu)
	t.Cleanup(func() { ln.Close(); z.thaw() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			go z.pipe(c, s)
			go z.pipe(s, c)
		}
	}()
	return z
}

func (z *freezer) pipe(from, to net.Conn) {
	defer from.Close()
	defer to.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		z.mu.Lock()
		for z.frozen {
			z.cond.Wait()
		}
		z.mu.Unlock()
		if n > 0 {
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (z *freezer) freeze() { z.mu.Lock(); z.frozen = true; z.mu.Unlock() }
func (z *freezer) thaw()   { z.mu.Lock(); z.frozen = false; z.cond.Broadcast(); z.mu.Unlock() }

// A client that stops answering without closing its connection is closed
// after three keepalives unanswered: its slot and its reviewer's claim are
// freed within seconds, not at the idle timeout half an hour later
// (helper-65 froze an ssh client: its claim stayed on every screen).
func TestAClientThatStopsAnsweringIsClosedAndItsClaimFreed(t *testing.T) {
	f := newFixture(t, fixtureOpts{keys: map[string]string{"alice": "alice@laptop", "bob": "bob@desk"}, keepalive: 200 * time.Millisecond})
	z := newFreezer(t, f.srv.Addr().String())
	c, err := gossh.Dial("tcp", z.ln.Addr().String(), &gossh.ClientConfig{
		User: "alice", Auth: []gossh.AuthMethod{gossh.PublicKeys(f.keys["alice"].Signer)},
		HostKeyCallback: gossh.FixedHostKey(f.srv.HostPublicKey()), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	alice := f.openTerminal(c, "xterm", 80, 24)
	bob := f.openTerminal(f.dialKey("bob", "bob"), "xterm", 80, 24)
	alice.expect(0, wait, "enter shows the detail")
	bob.expect(0, wait, "enter shows the detail")

	// Answering, a connection stays however long it is quiet.
	alice.send("\r")
	waitUntil(t, wait, "alice's claim", func() bool { return len(f.srv.presence.Claims()) == 1 })
	time.Sleep(time.Second) // five keepalives
	if len(f.srv.presence.Claims()) != 1 {
		t.Fatal("a client answering its keepalives lost its claim")
	}

	z.freeze()
	frozen := time.Now()
	waitUntil(t, 5*time.Second, "the silent client's claim to go", func() bool { return len(f.srv.presence.Claims()) == 0 })
	if took := time.Since(frozen); took < 400*time.Millisecond {
		t.Errorf("closed %s after the client went silent, before three keepalives could go unanswered", took)
	}
	f.waitLog(wait, "connection closed: no answer to keepalives", "user=alice")
	// bob, answering all along, is still there.
	m := bob.mark()
	bob.send("j")
	if bob.waitFor(m, wait, "2 of") < 0 {
		t.Errorf("bob's console stopped answering:\n%s", bob.since(m))
	}
}
