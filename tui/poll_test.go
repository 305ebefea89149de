package tui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// poller is the real poller over the fixture's store, asking through a
// client with key, every 20 ms per check (the store's clock is fixed in
// the past, so every check waiting is due at each look).
func (f *fixture) poller(t *testing.T, key string) *service.Poller {
	t.Helper()
	return f.pollerWith(t, key, store.PollSchedule{First: 20 * time.Millisecond, Max: 20 * time.Millisecond})
}

// pollerWith is poller on schedule sched.
func (f *fixture) pollerWith(t *testing.T, key string, sched store.PollSchedule) *service.Poller {
	t.Helper()
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
	api, err := caisson.NewClient(f.base, k, caisson.WithRetries(1), caisson.WithPacer(pacer.Wait),
		caisson.WithHTTPClient(&http.Client{Transport: transport}))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(f.st, api, service.Options{Reviewer: "alice", Now: fixedClock})
	p, err := svc.NewPoller(f.st, service.PollOptions{Schedule: sched, Idle: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTheConsolePollsWaitingChecksAndAnAnswerMovesItToItsQueueLive(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 100, track: 100, fetch: true})
	cfg := f.config()
	cfg.StartQueue = store.QueuePending
	cfg.Poll = f.poller(t, f.sb.Key())
	m := New(cfg)
	m.animate = false
	tm, w := startProgram(t, m, 120, 40)
	w.waitFor(t, "[2 Waiting at Caisson 3]")
	f.sb.Answer(f.sb.CheckID(47)) // Caisson's reviewers finish one
	w.waitFor(t, "[2 Waiting at Caisson 2]")
	if polls := len(f.sb.Requests()); polls < 3 {
		t.Errorf("%d requests, expected the three waiting checks polled", polls)
	}
	tm.Send(keyMsg("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if err := m.Wait(); err != nil {
		t.Errorf("Wait = %v: expected the poll stopped cleanly", err)
	}
	rec := record(t, f.st, f.sb.CheckID(47))
	if rec.Outcome != store.OutcomeOK {
		t.Errorf("the answered check's outcome = %q, expected its result stored", rec.Outcome)
	}
	// Quitting stopped the poll: nothing is asked after the console closed.
	n := len(f.sb.Requests())
	time.Sleep(100 * time.Millisecond)
	if after := len(f.sb.Requests()); after != n {
		t.Errorf("%d requests after the console closed", after-n)
	}
}

func TestARefusedKeyStopsPollingAndTheHeaderSaysSoOnce(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 100, track: 100, fetch: true})
	f.sb.ResetRequests()
	cfg := f.config()
	cfg.Poll = f.poller(t, "sk_test_RotatedAway_0000000000")
	m := New(cfg)
	m.animate = false
	tm, w := startProgram(t, m, 80, 24)
	w.waitFor(t, "polling stopped: API key refused")
	time.Sleep(100 * time.Millisecond)
	frame := w.frame()
	if n := strings.Count(frame, "polling stopped"); n != 1 {
		t.Errorf("the frame says polling stopped %d times, expected once:\n%s", n, frame)
	}
	if first := strings.SplitN(frame, "\n", 2)[0]; !strings.Contains(first, "polling stopped: API key refused") {
		t.Errorf("the header's first line = %q, expected the notice there", first)
	}
	if n := len(f.sb.Requests()); n != 1 {
		t.Errorf("%d requests, expected the one refused and no more", n)
	}
	tm.Send(keyMsg("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if err := m.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}
}

func TestAReadOnlyConsoleDoesNotPoll(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 100, track: 100, fetch: true})
	f.sb.ResetRequests()
	cfg := f.config()
	cfg.ReadOnly = true
	cfg.Poll = f.poller(t, f.sb.Key())
	m := newTestModel(t, cfg, 120, 40)
	if m.poll != nil || len(f.sb.Requests()) != 0 {
		t.Errorf("a read-only console polls (%d requests): it stores answers, which read-only does not", len(f.sb.Requests()))
	}
}

func TestACheckLastFetchedLongerAgoThanTheSettingIsMarkedStale(t *testing.T) {
	for _, tc := range []struct {
		name  string
		since time.Duration // from the fetch to the console's now
		stale bool
	}{
		{"one second before 7 days", 7*24*time.Hour - time.Second, false},
		{"7 days exactly", 7 * 24 * time.Hour, false},
		{"one second past 7 days", 7*24*time.Hour + time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{checks: 10, track: 10, fetch: true})
			cfg := f.config()
			cfg.StaleAfter = 7 * 24 * time.Hour
			now := testNow.Add(tc.since)
			cfg.Now = func() time.Time { return now }
			frame := plain(newTestModel(t, cfg, 120, 40))
			rows := strings.Count(frame, staleGlyph+caisson.ShortID(f.sb.CheckID(0), 8)[:2])
			marked := strings.Contains(frame, staleGlyph+" ") || rows > 0
			if strings.Contains(frame, "STALE: fetched over 7d ago") != tc.stale || marked != tc.stale {
				t.Errorf("stale shown = %v (rows marked %v), expected %v:\n%s", strings.Contains(frame, "STALE"), marked, tc.stale, frame)
			}
		})
	}
}

func TestAtEightyColumnsTheSelectedStaleCheckIsExplainedBelowTheList(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10, track: 10, fetch: true})
	cfg := f.config()
	cfg.StaleAfter = 7 * 24 * time.Hour
	now := testNow.Add(9 * 24 * time.Hour)
	cfg.Now = func() time.Time { return now }
	frame := plain(newTestModel(t, cfg, 80, 24))
	if !strings.Contains(frame, "◷ stale: last fetched 9d ago, over 7d · r fetches it again") {
		t.Errorf("no stale hint for the selected check:\n%s", frame)
	}
	cfg.ReadOnly = true
	if frame := plain(newTestModel(t, cfg, 80, 24)); !strings.Contains(frame, "◷ stale: last fetched 9d ago, over 7d") || strings.Contains(frame, "fetches it again") {
		t.Errorf("read-only: expected the hint without a refresh key:\n%s", frame)
	}
}

// Caisson unavailable for the waiting checks in a row pauses polling, and
// the header says until when; no check leaves the wait.
func TestAnOutagePausesPollingAndTheHeaderSaysUntilWhen(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 100, track: 100, fetch: true})
	for _, i := range []int{47, 53, 97} { // the waiting ones
		f.sb.FailNext(f.sb.CheckID(i), 1000, sandbox.Fail503)
	}
	f.sb.ResetRequests()
	cfg := f.config()
	cfg.StartQueue = store.QueuePending
	cfg.Poll = f.pollerWith(t, f.sb.Key(), store.PollSchedule{First: 20 * time.Millisecond, Max: time.Hour})
	m := New(cfg)
	m.animate = false
	tm, w := startProgram(t, m, 120, 40)
	deadline := time.Now().Add(5 * time.Second)
	for len(f.sb.Requests()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	tm.Send(keyMsg("j")) // a frame after the pause began
	w.waitFor(t, "polling paused until")
	w.waitFor(t, "Caisson unavailable")
	if n := len(f.sb.Requests()); n != 3 {
		t.Errorf("%d requests, want the 3 that found Caisson unavailable and none during the pause", n)
	}
	w.waitFor(t, "[2 Waiting at Caisson 3]")
	tm.Send(keyMsg("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if err := m.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}
}
