package serve

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// testClock is a settable clock for the stores of a test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// twoServers serves one database (location) from two servers, each with
// its own Store, as two hosts would: alice@laptop connects to the first,
// bob@desk to the second; each has a console showing ready.
func twoServers(t *testing.T, url string, clock *testClock, ready string) (f1, f2 *fixture, alice, bob *terminal) {
	t.Helper()
	opts := []store.Option{store.WithClock(clock.Now)}
	f1 = newFixture(t, fixtureOpts{location: url, storeOpts: opts, keys: map[string]string{"alice": "alice@laptop"}})
	f2 = newFixture(t, fixtureOpts{location: url, storeOpts: opts, joining: true, keys: map[string]string{"bob": "bob@desk"}})
	alice = f1.openTerminal(f1.dialKey("alice", "alice"), "xterm", 80, 24)
	bob = f2.openTerminal(f2.dialKey("bob", "bob"), "xterm", 80, 24)
	alice.expect(0, wait, ready)
	bob.expect(0, wait, ready)
	return f1, f2, alice, bob
}

func TestTwoServersOnOneDatabaseSeeEachOthersClaimsAndDecisionsWithinASecond(t *testing.T) {
	for _, backend := range []struct {
		name     string
		location func(t *testing.T) string
		told     bool // of writes, rather than looking
	}{
		{"PostgreSQL", func(t *testing.T) string { return pgtest.URL(t) }, true},
		{"one SQLite file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "review.db") }, false},
	} {
		t.Run(backend.name, func(t *testing.T) {
			f1, f2, alice, bob := twoServers(t, backend.location(t), &testClock{t: time.Now()}, "enter shows the detail")
			if told := f2.srv.watchEvery() == 0; told != backend.told {
				t.Errorf("consoles told of writes instead of looking: %v, want %v", told, backend.told)
			}
			claimsAndDecisionsCross(t, f1, alice, bob)
		})
	}
}

func claimsAndDecisionsCross(t *testing.T, f1 *fixture, alice, bob *terminal) {

	// Both have the riskiest check selected; alice opens it on server 1.
	m := bob.mark()
	alice.send("\r")
	opened := time.Now()
	if bob.waitFor(m, time.Second, "● being reviewed by alice (alice@laptop)") < 0 {
		t.Fatalf("bob, on the other server, was not shown alice's claim within a second:\n%s", bob.since(m))
	}
	t.Logf("alice's claim shown on the other server %s after she opened the check", time.Since(opened).Round(time.Millisecond))

	// Back to the list: the claim goes, on the other server too.
	m = bob.mark()
	alice.send("\x1b")
	if bob.waitFor(m, time.Second, "enter shows the detail of the selected check") < 0 {
		t.Fatalf("bob still sees alice's claim a second after she left the check:\n%s", bob.since(m))
	}

	// A decision on server 1 is in server 2's console within a second:
	// told by the store on PostgreSQL, seen by looking on SQLite.
	bob.expect(0, wait, "Appr. 0")
	ls, err := f1.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	m = bob.mark()
	alice.approveSelected(ls, wait)
	saved := time.Now()
	if bob.waitFor(m, time.Second, "Appr. 1") < 0 {
		t.Fatalf("bob's console on the other server did not show alice's approval within a second:\n%s", bob.since(m))
	}
	t.Logf("alice's approval shown on the other server %s after it was saved", time.Since(saved).Round(time.Millisecond))
}

func TestAServerThatStopsHeartbeatingLosesItsClaimsWithinThirtySeconds(t *testing.T) {
	clock := &testClock{t: time.Now()}
	f1, f2, alice, bob := twoServers(t, pgtest.URL(t), clock, "enter shows the detail")
	m := bob.mark()
	alice.send("\r")
	bob.expect(m, wait, "● being reviewed by alice (alice@laptop)")

	// Server 1 stops heartbeating, as a server killed with SIGKILL: its
	// session never releases its claim.
	if !f1.srv.stopPresence(wait) {
		t.Fatal("server 1's presence did not stop")
	}
	clock.Advance(store.ClaimExpiry)
	time.Sleep(2 * lookEvery)
	if got := f2.srv.presence.Claims(); len(got) != 1 {
		t.Fatalf("claims seen by server 2 when alice's is exactly 30 s old = %v, want hers still", got)
	}
	m = bob.mark()
	clock.Advance(time.Second)
	if bob.waitFor(m, 2*lookEvery, "enter shows the detail of the selected check") < 0 {
		t.Fatalf("bob still sees alice's claim 31 s after server 1's last heartbeat:\n%s", bob.since(m))
	}
	if got := f2.srv.presence.Claims(); len(got) != 0 {
		t.Errorf("claims seen by server 2 = %v, want alice's gone", got)
	}
}

func TestASharedPresenceHeartbeatsItsClaimsAndClaimsAgainWhatLapsed(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{t: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "review.db"), store.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := NewSharedPresence(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	alice, bob := p.Join("alice"), p.Join("bob")
	alice.Claim("chk_a")
	bob.Claim("chk_a")
	p.write()
	stored := func() []string {
		cs, err := st.Claims(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cs {
			names = append(names, c.CheckID+":"+c.Reviewer)
		}
		return names
	}
	if got := stored(); !reflect.DeepEqual(got, []string{"chk_a:alice", "chk_a:bob"}) {
		t.Fatalf("the store holds %q, want both claims in order", got)
	}

	for range 5 { // 100 s in all: alive as long as it heartbeats
		clock.Advance(heartbeatEvery * 2)
		p.heartbeat()
	}
	if got := stored(); len(got) != 2 {
		t.Fatalf("after 100 s of heartbeats the store holds %q, want both claims", got)
	}

	// Stopped longer than the expiry (a suspended process): the claims
	// lapse, and the next heartbeat writes them again.
	clock.Advance(store.ClaimExpiry + time.Second)
	if got := stored(); len(got) != 0 {
		t.Fatalf("31 s after the last heartbeat the store holds %q, want none", got)
	}
	p.heartbeat()
	p.write()
	if got := stored(); len(got) != 2 {
		t.Fatalf("after the heartbeat found them lapsed the store holds %q, want both claimed again", got)
	}

	alice.Leave()
	bob.Release()
	p.write()
	if got := stored(); len(got) != 0 {
		t.Errorf("after alice left and bob went back to the list the store holds %q, want none", got)
	}
}

// pageReads counts the pages a console reads.
type pageReads struct {
	decider
	n *atomic.Int64
}

func (r pageReads) Page(ctx context.Context, q store.PageQuery) ([]store.Row, error) {
	r.n.Add(1)
	return r.decider.Page(ctx, q)
}

// settled waits until n has not moved for longer than a console's
// notices are spaced, and returns it.
func settled(t *testing.T, n *atomic.Int64) int64 {
	t.Helper()
	last := n.Load()
	for range 20 {
		time.Sleep(storeNoticeEvery + 300*time.Millisecond)
		now := n.Load()
		if now == last {
			return now
		}
		last = now
	}
	t.Fatalf("the console kept reading pages (%d)", last)
	return 0
}

func TestOnPostgreSQLAClaimRedrawsOnlyTheMarksAndADecisionTheListOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the consoles to settle, several seconds: skipped with -short")
	}
	url := pgtest.URL(t)
	f1 := newFixture(t, fixtureOpts{location: url, keys: map[string]string{"alice": "alice@laptop"}})
	f2 := newFixture(t, fixtureOpts{location: url, joining: true, keys: map[string]string{"bob": "bob@desk", "carol": "carol@desk"}})
	var reads atomic.Int64 // bob's
	f2.srv.newModel = func(ls *liveSession) tea.Model {
		if ls.id.User == "bob" {
			ls.store.st = pageReads{ls.store.st, &reads}
		}
		return f2.srv.newConsole(ls)
	}
	alice := f1.openTerminal(f1.dialKey("alice", "alice"), "xterm", 80, 24)
	bob := f2.openTerminal(f2.dialKey("bob", "bob"), "xterm", 80, 24)
	carol := f2.openTerminal(f2.dialKey("carol", "carol"), "xterm", 80, 24)
	for _, term := range []*terminal{alice, bob, carol} {
		term.expect(0, wait, "enter shows the detail")
	}
	carol.send("j") // not the check alice decides below
	before := settled(t, &reads)

	// Alice, on server 1, opens and leaves the check bob has selected on
	// server 2, three times: his marks follow within a second each, and
	// he reads no page for it.
	for range 3 {
		m := bob.mark()
		alice.send("\r")
		if bob.waitFor(m, time.Second, "● being reviewed by alice (alice@laptop)") < 0 {
			t.Fatalf("bob was not shown alice's claim within a second:\n%s", bob.since(m))
		}
		m = bob.mark()
		alice.send("\x1b")
		if bob.waitFor(m, time.Second, "enter shows the detail of the selected check") < 0 {
			t.Fatalf("bob still sees alice's claim a second after she left the check:\n%s", bob.since(m))
		}
	}
	if n := settled(t, &reads) - before; n != 0 {
		t.Errorf("bob's console read its page %d times while alice opened and left a check on the other server, want none: a claim changes only the marks", n)
	}

	// Alice decides on server 1: bob's list shows it within a second,
	// read again.
	ls, err := f1.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	before = reads.Load()
	m := bob.mark()
	alice.approveSelected(ls, wait)
	if bob.waitFor(m, time.Second, "Appr. 1") < 0 {
		t.Fatalf("bob's console did not show alice's approval within a second:\n%s", bob.since(m))
	}
	once := settled(t, &reads) - before
	if once < 1 {
		t.Fatalf("bob's console read its page %d times for alice's approval, want it read again", once)
	}

	// Carol decides on bob's own server: his list is read again as for
	// alice's, once, and not a second time when the decision's notice
	// comes back from PostgreSQL.
	ls, err = f2.sessionOf("carol")
	if err != nil {
		t.Fatal(err)
	}
	before = reads.Load()
	m = bob.mark()
	carol.approveSelected(ls, wait)
	if bob.waitFor(m, time.Second, "Appr. 2") < 0 {
		t.Fatalf("bob's console did not show carol's approval within a second:\n%s", bob.since(m))
	}
	if n := settled(t, &reads) - before; n != once {
		t.Errorf("bob's console read its page %d times for carol's approval on its own server, want %d as for alice's: once, not again for the notice of its own server's write", n, once)
	}
}
