package serve

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store"
)

func TestADecisionInOneSessionShowsInTheOthersWithinASecond(t *testing.T) {
	f, alice, bob := aliceAndBob(t, 100, 30, "Appr. 0")
	ls, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	m := bob.mark()
	alice.approveSelected(ls, wait)
	saved := time.Now()
	if bob.waitFor(m, time.Second, "Appr. 1") < 0 {
		t.Fatalf("bob's console did not show alice's approval within a second:\n%s", bob.since(m))
	}
	t.Logf("shown in the other session %s after the decision was saved", time.Since(saved).Round(time.Millisecond))
}

func TestReviewersSeeWhoHasACheckOpen(t *testing.T) {
	f, alice, bob := aliceAndBob(t, 80, 24, "enter shows the detail")

	// Both have the riskiest check selected; alice opens it.
	m := bob.mark()
	alice.send("\r")
	if bob.waitFor(m, time.Second, "● being reviewed by alice (alice@laptop)") < 0 {
		t.Fatalf("bob was not shown alice's claim within a second:\n%s", bob.since(m))
	}
	claims := f.srv.presence.Claims()
	if len(claims) != 1 {
		t.Fatalf("claims = %v, expected alice's one", claims)
	}
	var checkID string
	for id, names := range claims {
		checkID = id
		if len(names) != 1 || names[0] != "alice (alice@laptop)" {
			t.Errorf("check %s claimed by %v, expected alice", id, names)
		}
	}

	// Bob opens it too: he sees alice there; alice sees bob.
	m, ma := bob.mark(), alice.mark()
	bob.send("\r")
	bob.expect(m, wait, "● being reviewed by alice (alice@laptop)")
	if alice.waitFor(ma, time.Second, "● being reviewed by bob (bob@desk)") < 0 {
		t.Fatalf("alice was not shown bob's claim within a second:\n%s", alice.since(ma))
	}

	// Alice moves on (back to the list): only bob's claim is left.
	ma = alice.mark()
	alice.send("\x1b")
	waitUntil(t, wait, "alice's claim to be released", func() bool {
		names := f.srv.presence.Claims()[checkID]
		return len(names) == 1 && names[0] == "bob (bob@desk)"
	})
	alice.expect(ma, wait, "● being reviewed by bob (bob@desk)")

	// Bob leaves: no claim remains, and alice's list says so.
	ma = alice.mark()
	bob.send("q")
	bob.waitClosed(wait)
	waitUntil(t, wait, "bob's claim to go with him", func() bool { return len(f.srv.presence.Claims()) == 0 })
	if alice.waitFor(ma, time.Second, "enter shows the detail of the selected check") < 0 {
		t.Fatalf("alice still sees a claim after bob left:\n%s", alice.since(ma))
	}
}

func TestADecisionFromAnotherProcessShowsWithinASecond(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	alice.expect(0, wait, "Appr. 0")
	// The CLI deciding on the same database: no session of this server
	// is involved, so only the console's watch can notice.
	m := alice.mark()
	if _, err := f.st.Decide(context.Background(), f.ids[0], store.Approve, "", "carol (cli)"); err != nil {
		t.Fatal(err)
	}
	saved := time.Now()
	if alice.waitFor(m, time.Second, "Appr. 1") < 0 {
		t.Fatalf("the console did not show the CLI's approval:\n%s", alice.since(m))
	}
	t.Logf("shown %s after the decision was saved (the console looks every half second)", time.Since(saved).Round(time.Millisecond))
}

// aliceAndBob serves two reviewers, alice@laptop and bob@desk, and opens a
// w x h console for each, both showing ready.
func aliceAndBob(t *testing.T, w, h int, ready string) (f *fixture, alice, bob *terminal) {
	t.Helper()
	f = newFixture(t, fixtureOpts{keys: map[string]string{"alice": "alice@laptop", "bob": "bob@desk"}})
	alice = f.openTerminal(f.dialKey("alice", "alice"), "xterm", w, h)
	bob = f.openTerminal(f.dialKey("bob", "bob"), "xterm", w, h)
	alice.expect(0, wait, ready)
	bob.expect(0, wait, ready)
	return f, alice, bob
}

// Wide or tall, the detail pane beside the list has the selected check
// open: reviewers working there are shown on it as if they had opened it
// full screen, and a claim moves with the cursor (helper-63 found two
// wide-screen reviewers on one check each shown nobody). A console opened
// and left untouched claims nothing.
func TestReviewersWithTheDetailBesideTheListSeeWhoHasTheSelectedCheck(t *testing.T) {
	f, alice, bob := aliceAndBob(t, 130, 40, "Caisson dashboard")
	claimedBy := func(names ...string) func() bool {
		return func() bool {
			claims := f.srv.presence.Claims()
			if len(claims) != 1 {
				return false
			}
			for _, got := range claims {
				// In the order they claimed it, which either may win.
				return slices.Equal(slices.Sorted(slices.Values(got)), names)
			}
			return false
		}
	}
	// Opened and left as they are, the consoles claim nothing: the check
	// beside the list is only the queue's top one.
	time.Sleep(300 * time.Millisecond)
	if claims := f.srv.presence.Claims(); len(claims) != 0 {
		t.Fatalf("consoles nobody has touched claim %v", claims)
	}
	// Both have the riskiest check selected and press a key (k, at the
	// top: it moves nothing); neither pressed enter.
	alice.send("k")
	bob.send("k")
	waitUntil(t, wait, "both to claim the selected check", claimedBy("alice (alice@laptop)", "bob (bob@desk)"))
	first := ""
	for id := range f.srv.presence.Claims() {
		first = id
	}
	bob.expect(0, wait, "being reviewed by alice (alice@laptop)")
	alice.expect(0, wait, "being reviewed by bob (bob@desk)")

	// Alice moves down: her claim goes with the cursor.
	alice.send("j")
	waitUntil(t, wait, "alice's claim to follow her cursor", func() bool {
		claims := f.srv.presence.Claims()
		return len(claims) == 2 && slices.Equal(claims[first], []string{"bob (bob@desk)"})
	})

	// Narrowed below the pane's width and height, the list stands alone:
	// bob has nothing open.
	bob.resize(100, 30)
	waitUntil(t, wait, "bob's claim to go when the pane does", claimedBy("alice (alice@laptop)"))
}
