package serve

import (
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// A serve session is told at once that the database stopped answering:
// its header says so (it said nothing until the reviewer's next key
// failed), and a session that starts meanwhile is told too.
func TestASessionIsToldWhileTheDatabaseIsUnreachable(t *testing.T) {
	door, viaDoor := pgtest.NewDoor(t, pgtest.URL(t))
	f := newFixture(t, fixtureOpts{location: viaDoor, keys: map[string]string{"alice": "alice@laptop", "bob": "bob@desk"}})
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 120, 30)
	alice.expect(0, wait, "ready")
	m := alice.mark()
	door.GoAway()
	if alice.waitFor(m, 5*time.Second, "database unreachable since") < 0 {
		t.Fatalf("alice was not told the database is unreachable:\n%s", alice.since(m))
	}
	bob := f.openTerminal(f.dialKey("bob", "bob"), "xterm", 120, 30)
	bob.expect(0, wait, "database unreachable since")
	door.ComeBack()
}
