package serve

import (
	"testing"
	"time"
)

func TestADecisionInOneSessionShowsInTheOthersWithinASecond(t *testing.T) {
	f := newFixture(t, fixtureOpts{keys: map[string]string{"alice": "alice@laptop", "bob": "bob@desk"}})
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	bob := f.openTerminal(f.dialKey("bob", "bob"), "xterm", 100, 30)
	alice.expect(0, wait, "Appr. 0")
	bob.expect(0, wait, "Appr. 0")
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
