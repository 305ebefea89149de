package serve

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// testPoller is the server's poller for fixtureOpts.pollKey: nil without
// one, else the real poller over the store, every 50 ms a check.
func testPoller(t testing.TB, key string, st *store.Store, sb *sandbox.Server, base string) *service.Poller {
	t.Helper()
	if key == "" {
		return nil
	}
	if key == "sandbox" {
		key = sb.Key()
	}
	k, err := caisson.NewAPIKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pacer, err := service.NewPacer(50, nil)
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	api, err := caisson.NewClient(base, k, caisson.WithRetries(1), caisson.WithPacer(pacer.Wait),
		caisson.WithHTTPClient(&http.Client{Transport: transport}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := service.New(st, api, service.Options{Reviewer: "poll"}).NewPoller(st, service.PollOptions{
		Schedule: store.PollSchedule{First: 50 * time.Millisecond, Max: 50 * time.Millisecond}, Idle: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAWaitingCheckAnsweredAtCaissonMovesToItsQueueInEverySessionsConsole(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 100, pollKey: "sandbox"})
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 120, 40)
	alice.expect(0, wait, "Waiting at Caisson 3")
	m := alice.mark()
	answered := f.sb.CheckID(47)
	f.sb.Answer(answered) // Caisson's reviewers finish it
	if alice.waitFor(m, 5*time.Second, "Waiting at Caisson 2") < 0 {
		t.Fatalf("the answered check never left Waiting at Caisson in alice's console:\n%s", alice.shown())
	}
	f.waitLog(wait, "poll answered", "check="+answered, "outcome=result")
}

func TestARefusedKeyStopsServesPollingLoggedOnceAndShownInTheHeader(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 100, pollKey: "sk_test_RotatedAway_0000000000"})
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 120, 40)
	alice.expect(0, wait, "polling stopped: API key refused")
	f.waitLog(wait, "polling stopped: Caisson refused the API key")
	time.Sleep(200 * time.Millisecond)
	if n := strings.Count(f.log.String(), "polling stopped"); n != 1 {
		t.Errorf("the log says polling stopped %d times, expected once:\n%s", n, f.log.String())
	}
	if first := strings.SplitN(alice.shown(), "\n", 2)[0]; !strings.Contains(first, "polling stopped: API key refused") {
		t.Errorf("the header = %q, expected the notice", first)
	}
}
