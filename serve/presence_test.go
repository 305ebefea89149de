package serve

import (
	"fmt"
	"sync"
	"testing"
)

func TestPresence(t *testing.T) {
	p := NewPresence()
	alice := p.Join("alice")
	bob := p.Join("bob")
	carol := p.Join("carol")

	alice.Claim("chk_1")
	if got, ok := bob.ClaimedBy("chk_1"); !ok || got != "alice" {
		t.Errorf("bob sees chk_1 claimed by %q,%v; expected alice", got, ok)
	}
	if _, ok := alice.ClaimedBy("chk_1"); ok {
		t.Error("alice sees her own claim; expected only others' claims")
	}
	expectNotice(t, "bob after alice claimed", bob, true)
	expectNotice(t, "alice after her own claim", alice, false)

	carol.Claim("chk_1")
	if got, _ := bob.ClaimedBy("chk_1"); got != "alice, carol" {
		t.Errorf("two reviewers on chk_1 shown as %q, expected in joining order \"alice, carol\"", got)
	}

	alice.Claim("chk_2") // moving on moves the claim
	if got, _ := bob.ClaimedBy("chk_1"); got != "carol" {
		t.Errorf("after alice moved on, chk_1 shown as claimed by %q, expected carol", got)
	}
	if got, _ := bob.ClaimedBy("chk_2"); got != "alice" {
		t.Errorf("after alice moved on, chk_2 shown as claimed by %q, expected alice", got)
	}

	carol.Release()
	if got, ok := bob.ClaimedBy("chk_1"); ok {
		t.Errorf("after carol went back to the list, chk_1 still claimed by %q", got)
	}

	drain(bob)
	alice.Leave()
	if got, ok := bob.ClaimedBy("chk_2"); ok {
		t.Errorf("after alice left, chk_2 still claimed by %q", got)
	}
	expectNotice(t, "bob after alice left", bob, true)
	alice.Claim("chk_3") // a late call from a session that has left
	if claims := p.Claims(); len(claims) != 0 {
		t.Errorf("claims after everyone released or left = %v, expected none", claims)
	}
	alice.Leave() // twice is harmless
}

func TestPresenceNoticesCoalesceAndNeverBlock(t *testing.T) {
	p := NewPresence()
	watcher := p.Join("watcher")
	busy := p.Join("busy")
	for i := range 1000 {
		busy.Claim(fmt.Sprintf("chk_%d", i))
	}
	expectNotice(t, "after 1000 changes", watcher, true)
	expectNotice(t, "after the one notice was read", watcher, false)
}

func TestPresenceIsSafeForConcurrentUse(t *testing.T) {
	p := NewPresence()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := p.Join(fmt.Sprintf("r%d", i))
			defer s.Leave()
			for j := range 200 {
				s.Claim(fmt.Sprintf("chk_%d", j%7))
				s.ClaimedBy(fmt.Sprintf("chk_%d", (j+1)%7))
				if j%5 == 0 {
					s.Release()
				}
			}
		}()
	}
	wg.Wait()
	if claims := p.Claims(); len(claims) != 0 {
		t.Fatalf("claims after every session left = %v, expected none", claims)
	}
}

func expectNotice(t *testing.T, when string, s *PresenceSession, want bool) {
	t.Helper()
	select {
	case <-s.Changes():
		if !want {
			t.Errorf("%s: got a change notice, expected none", when)
		}
	default:
		if want {
			t.Errorf("%s: no change notice, expected one", when)
		}
	}
}

func drain(s *PresenceSession) {
	select {
	case <-s.Changes():
	default:
	}
}

// A reviewer with two consoles on one check is named once (helper-65 saw
// "bob (bob@desk), bob (bob@desk)").
func TestAReviewerWithTwoConsolesOnACheckIsNamedOnce(t *testing.T) {
	p := NewPresence()
	alice := p.Join("alice")
	bob, bobAgain := p.Join("bob"), p.Join("bob")
	carol := p.Join("carol")
	bob.Claim("chk_1")
	carol.Claim("chk_1")
	bobAgain.Claim("chk_1")
	if got, _ := alice.ClaimedBy("chk_1"); got != "bob, carol" {
		t.Errorf("chk_1 shown as claimed by %q, expected \"bob, carol\"", got)
	}
	if got, _ := bob.ClaimedBy("chk_1"); got != "bob, carol" {
		t.Errorf("bob's first console sees %q, expected his other console and carol", got)
	}
}
