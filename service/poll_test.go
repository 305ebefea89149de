package service

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

// jumpClock is a clock that never waits: After moves the time on by the
// wait and fires at once, so hours of polling run in milliseconds. Past
// the horizon it cancels the run.
type jumpClock struct {
	mu      sync.Mutex
	t       time.Time
	horizon time.Time
	cancel  context.CancelFunc
}

func (c *jumpClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.t = c.t.Add(d)
	now, past := c.t, c.cancel != nil && c.t.After(c.horizon)
	c.mu.Unlock()
	if past {
		c.cancel()
	}
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

// runUntil runs the poller until the clock passes horizon.
func (c *jumpClock) runUntil(t *testing.T, p *Poller, horizon time.Time) error {
	return c.runUntilWith(t, p, horizon, nil)
}

func (c *jumpClock) runUntilWith(t *testing.T, p *Poller, horizon time.Time, polled func(Result)) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.mu.Lock()
	c.horizon, c.cancel = horizon, cancel
	c.mu.Unlock()
	return p.Run(ctx, polled)
}

// pollFixture is a real store, the sandbox (its request record on the
// same clock) and a poller whose client is paced as serve's is.
type pollFixture struct {
	t     *testing.T
	clock *jumpClock
	st    *store.Store
	sb    *sandbox.Server
	base  string
	svc   *Service
}

func newPollFixture(t *testing.T, checks int) *pollFixture {
	t.Helper()
	clock := &jumpClock{t: testNow}
	sb := sandbox.New(sandbox.Options{Seed: 1, Checks: checks, Now: clock.Now})
	base, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "review.db"), store.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &pollFixture{t: t, clock: clock, st: st, sb: sb, base: base}
}

// pacedClient is the poll's client: key (the sandbox's, or another) and
// every request paced at rate a second on the fixture's clock.
func (f *pollFixture) pacedClient(key string, rate float64, opts ...caisson.Option) *caisson.Client {
	f.t.Helper()
	k, err := caisson.NewAPIKey(key)
	if err != nil {
		f.t.Fatal(err)
	}
	pacer, err := NewPacer(rate, f.clock)
	if err != nil {
		f.t.Fatal(err)
	}
	transport := &http.Transport{}
	f.t.Cleanup(transport.CloseIdleConnections)
	opts = append([]caisson.Option{caisson.WithHTTPClient(&http.Client{Transport: transport}),
		caisson.WithTimeout(5 * time.Second), caisson.WithPacer(pacer.Wait)}, opts...)
	c, err := caisson.NewClient(f.base, k, opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// waiting adds the sandbox's checks that answer PENDING_REVIEW or
// NOT_VERIFIED and refreshes them (now), then forgets those requests.
func (f *pollFixture) waiting() []string {
	f.t.Helper()
	var ids []string
	for i := range f.sb.Len() {
		if p := i % 100; p == 47 || p == 53 || p == 97 {
			ids = append(ids, f.sb.CheckID(i))
		}
	}
	svc := New(f.st, f.pacedClient(f.sb.Key(), 1000), Options{Reviewer: "alice", Now: f.clock.Now})
	if _, err := svc.Add(context.Background(), inputsOf(ids)); err != nil {
		f.t.Fatal(err)
	}
	rep, err := svc.Refresh(context.Background(), ids, RefreshOptions{})
	if err != nil || len(rep.Waiting) != len(ids) {
		f.t.Fatalf("refreshing the waiting checks: %+v, %v: expected all %d waiting", rep, err, len(ids))
	}
	f.sb.ResetRequests()
	return ids
}

func (f *pollFixture) poller(api *caisson.Client, o PollOptions) *Poller {
	f.t.Helper()
	f.svc = New(f.st, api, Options{Reviewer: "caisson-review (poll)", Now: f.clock.Now})
	o.Clock = f.clock
	p, err := f.svc.NewPoller(f.st, o)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func inputsOf(ids []string) []Input {
	in := make([]Input, len(ids))
	for i, id := range ids {
		in[i] = Input{Text: id}
	}
	return in
}

// requestTimes are when the sandbox received each GET of checkID.
func (f *pollFixture) requestTimes(checkID string) []time.Time {
	var at []time.Time
	for _, r := range f.sb.Requests() {
		if r.CheckID == checkID {
			at = append(at, r.Time)
		}
	}
	return at
}

func TestAWaitingCheckIsPolledAfterFiveMinutesBackingOffToHourlyUntilItsAnswerMovesIt(t *testing.T) {
	f := newPollFixture(t, 48)
	ids := f.waiting()
	id := ids[0]
	start := f.clock.Now()
	p := f.poller(f.pacedClient(f.sb.Key(), 2), PollOptions{})
	if err := f.clock.runUntil(t, p, start.Add(5*time.Hour)); err != nil {
		t.Fatalf("Run = %v", err)
	}
	var gaps []time.Duration
	last := start
	for _, at := range f.requestTimes(id) {
		gaps = append(gaps, at.Sub(last))
		last = at
	}
	want := []time.Duration{5 * time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute,
		time.Hour, time.Hour, time.Hour}
	if !slices.Equal(gaps, want) {
		t.Fatalf("gaps between polls of a check still waiting = %v, expected %v", gaps, want)
	}

	// Caisson's reviewers finish: the next poll brings the result, and the
	// check leaves Waiting at Caisson for its queue.
	f.sb.Answer(id)
	f.sb.ResetRequests()
	var polled []Result
	if err := f.clock.runUntilWith(t, p, f.clock.Now().Add(3*time.Hour), func(r Result) { polled = append(polled, r) }); err != nil {
		t.Fatal(err)
	}
	if n := len(f.requestTimes(id)); n != 1 {
		t.Errorf("the answered check was fetched %d times in 3 hours, expected once", n)
	}
	if len(polled) != 1 || polled[0].Err != nil || polled[0].CheckID != id {
		t.Errorf("Polled saw %+v, expected the one answer", polled)
	}
	rec, err := f.st.Get(context.Background(), id)
	if err != nil || rec.Outcome != store.OutcomeOK {
		t.Fatalf("after its answer the check's outcome = %q (%v), expected ok", rec.Outcome, err)
	}
	counts, _ := f.st.Counts(context.Background())
	if counts[store.QueuePending] != 0 {
		t.Errorf("Waiting at Caisson still counts %d", counts[store.QueuePending])
	}
}

func TestPollingSendsAtMostTwoRequestsASecondInAll(t *testing.T) {
	f := newPollFixture(t, 2000)
	ids := f.waiting() // 60 checks, all due at once after 5 minutes
	start := f.clock.Now()
	p := f.poller(f.pacedClient(f.sb.Key(), 2), PollOptions{})
	if err := f.clock.runUntil(t, p, start.Add(9*time.Minute)); err != nil {
		t.Fatal(err)
	}
	reqs := f.sb.Requests()
	if len(reqs) != len(ids) {
		t.Fatalf("%d requests in the first round, expected one for each of the %d waiting checks", len(reqs), len(ids))
	}
	for i := 2; i < len(reqs); i++ {
		if gap := reqs[i].Time.Sub(reqs[i-2].Time); gap < time.Second {
			t.Fatalf("requests %d and %d were %v apart: three in under a second", i-2, i, gap)
		}
	}
	// Not slower than the cap either: 60 requests in 29.5 seconds.
	if took := reqs[len(reqs)-1].Time.Sub(reqs[0].Time); took != 29500*time.Millisecond {
		t.Errorf("the round took %v, expected 29.5s at two a second", took)
	}
	if first := reqs[0].Time.Sub(testNow); first < 5*time.Minute {
		t.Errorf("the first poll came %v after the first refresh, expected 5m or more", first)
	}
}

func TestARefusedKeyStopsEveryPollAndStoresNothing(t *testing.T) {
	f := newPollFixture(t, 100)
	ids := f.waiting()
	p := f.poller(f.pacedClient("sk_test_RotatedAway_0000000000", 2), PollOptions{})
	err := f.clock.runUntil(t, p, f.clock.Now().Add(2*time.Hour))
	if !errors.Is(err, ErrPollingStopped) || !errors.Is(err, caisson.ErrKeyRefused) {
		t.Fatalf("Run = %v, expected polling stopped by the refused key", err)
	}
	if !errors.Is(p.Stopped(), caisson.ErrKeyRefused) {
		t.Errorf("Stopped = %v, expected the refused key", p.Stopped())
	}
	if n := len(f.sb.Requests()); n != 1 {
		t.Errorf("%d requests, expected the one refused and nothing after it", n)
	}
	if err := f.clock.runUntil(t, p, f.clock.Now().Add(time.Hour)); !errors.Is(err, ErrPollingStopped) || len(f.sb.Requests()) != 1 {
		t.Errorf("Run again = %v with %d requests: expected it stopped, asking nothing", err, len(f.sb.Requests()))
	}
	for _, id := range ids {
		rec, err := f.st.Get(context.Background(), id)
		if err != nil || !rec.Outcome.NotReady() {
			t.Errorf("%s after the refused key: outcome %q (%v), expected its last answer kept", id, rec.Outcome, err)
		}
	}
}

func TestAFailingPollIsRetriedAndInErrorsOnlyOnceTheClientGivesUp(t *testing.T) {
	f := newPollFixture(t, 48)
	id := f.waiting()[0]
	ctx := context.Background()
	api := f.pacedClient(f.sb.Key(), 2, caisson.WithRetries(3), caisson.WithBackoff(time.Millisecond, 2*time.Millisecond))
	p := f.poller(api, PollOptions{})

	// Two failures, then Caisson's answer: the client's retries hide them.
	f.sb.FailNext(id, 2, sandbox.FailInternal)
	if err := f.clock.runUntil(t, p, f.clock.Now().Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sb.Requests()); n != 3 {
		t.Fatalf("%d requests, expected three tries", n)
	}
	counts, _ := f.st.Counts(ctx)
	if rec, _ := f.st.Get(ctx, id); counts[store.QueueErrors] != 0 || !rec.Outcome.NotReady() {
		t.Fatalf("after failures the retries recovered from: errors %d, outcome %q: expected still waiting, no error", counts[store.QueueErrors], rec.Outcome)
	}

	// Every try fails: the failure is final and shown in Errors.
	f.sb.FailNext(id, 3, sandbox.FailInternal)
	if err := f.clock.runUntil(t, p, f.clock.Now().Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	counts, _ = f.st.Counts(ctx)
	if rec, _ := f.st.Get(ctx, id); counts[store.QueueErrors] != 1 || rec.Outcome != store.FetchOutcome(caisson.CodeInternalError) {
		t.Errorf("after every try failed: errors %d, outcome %q: expected the check in Errors", counts[store.QueueErrors], rec.Outcome)
	}
}

// Two processes polling one database file (two Store handles, two
// pollers with their own lease names, the real clock, a slow Caisson so
// their fetches overlap) never fetch one check at once: each poll of a
// check comes at least the poll interval after the previous one ended.
func TestTwoProcessesPollingOneDatabaseNeverFetchOneCheckTwiceAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two pollers for two seconds")
	}
	sb := sandbox.New(sandbox.Options{Seed: 1, Checks: 300})
	sb.SetLatency(60*time.Millisecond, 0)
	base, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	path := filepath.Join(t.TempDir(), "review.db")
	f := &pollFixture{t: t, clock: &jumpClock{t: time.Now()}, sb: sb, base: base}
	k, _ := caisson.NewAPIKey(sb.Key())
	var ids []string
	for i := range sb.Len() {
		if p := i % 100; p == 47 || p == 53 || p == 97 {
			ids = append(ids, sb.CheckID(i))
		}
	}
	interval := 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	fetched := make([]int, 2)
	for proc := range 2 {
		st, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		api, err := caisson.NewClient(base, k)
		if err != nil {
			t.Fatal(err)
		}
		svc := New(st, api, Options{Reviewer: "poll"})
		if proc == 0 {
			if _, err := svc.Add(ctx, inputsOf(ids)); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Refresh(ctx, ids, RefreshOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		p, err := svc.NewPoller(st, PollOptions{Schedule: store.PollSchedule{First: interval, Max: interval},
			Idle: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx, func(Result) { fetched[proc]++ }) }()
	}
	wg.Wait()
	polls := 0
	for _, id := range ids {
		at := f.requestTimes(id)
		polls += len(at) - 1
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < interval {
				t.Errorf("%s fetched twice %v apart: expected each poll at least %v after the last answer", id, gap, interval)
			}
		}
	}
	if polls < len(ids) || fetched[0] == 0 || fetched[1] == 0 {
		t.Errorf("%d polls in two seconds, %v by each process: expected both processes polling", polls, fetched)
	}
}

// Caisson down is no fact about any check: the poll stores nothing, so
// no waiting check leaves the wait for Errors, and it pauses (a minute,
// doubling, at most the cap) rather than ask each waiting check in turn;
// once Caisson answers again, polling goes on by itself.
func TestPollingPausesWhileCaissonIsUnavailableAndStoresNothing(t *testing.T) {
	f := newPollFixture(t, 100)
	ctx := context.Background()
	ids := f.waiting()
	for _, id := range ids {
		f.sb.FailNext(id, 1000, sandbox.Fail503)
	}
	p := f.poller(f.pacedClient(f.sb.Key(), 2, caisson.WithRetries(1)), PollOptions{})
	start := f.clock.Now()
	if err := f.clock.runUntil(t, p, start.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Due after 5 minutes, then paused 1, 2, 4, 8, 16, 32, 60, 60
	// minutes: about ten requests in three hours, not one per waiting
	// check every few seconds.
	if n := len(f.sb.Requests()); n < 5 || n > 12 {
		t.Errorf("%d requests in 3 hours of outage, want one per pause (5 to 12)", n)
	}
	// (The run ends as the clock passes its horizon, in a pause.)
	pa := p.paused.Load()
	if pa == nil || !caisson.Unavailable(pa.Err) || p.pauses < 5 {
		t.Errorf("pause %+v after %d: want pauses for Caisson's 503", pa, p.pauses)
	}
	counts, _ := f.st.Counts(ctx)
	if counts[store.QueueErrors] != 0 || counts[store.QueuePending] != len(ids) {
		t.Errorf("errors %d, pending %d: want every one of the %d checks still waiting, none in Errors", counts[store.QueueErrors], counts[store.QueuePending], len(ids))
	}

	for _, id := range ids {
		f.sb.FailNext(id, 0, sandbox.FailNone)
	}
	f.sb.ResetRequests()
	if err := f.clock.runUntil(t, p, f.clock.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if len(f.requestTimes(id)) == 0 {
			t.Errorf("%s was not polled once Caisson was back", id)
		}
	}
	if p.Paused() != nil || p.pauses != 0 {
		t.Errorf("still paused: %+v", p.Paused())
	}
}

// One check Caisson cannot answer (a 503 for it alone) must not hold up
// the others: its lease is held a while (a minute, doubling), so the
// checks due after it are polled on their schedule meanwhile; it stays
// waiting, and polling never pauses for it alone.
func TestOneCheckCaissonCannotAnswerDoesNotHoldUpTheOthers(t *testing.T) {
	f := newPollFixture(t, 100)
	ctx := context.Background()
	ids := f.waiting()
	slices.Sort(ids)
	failing := ids[0] // due first: the longest overdue, then by id
	f.sb.FailNext(failing, 100000, sandbox.Fail503)
	p := f.poller(f.pacedClient(f.sb.Key(), 2, caisson.WithRetries(1)), PollOptions{})
	if err := f.clock.runUntil(t, p, f.clock.Now().Add(12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Each healthy check: at 5 minutes, then 5, 10, 20, 40 minutes and
	// hourly after: about 15 polls in 12 hours.
	for _, id := range ids[1:] {
		if n := len(f.requestTimes(id)); n < 10 {
			t.Errorf("%s polled %d times in 12 hours beside a check Caisson could not answer, want its schedule's 10 or more", id, n)
		}
	}
	// The failing one: a minute, 2, 4, … then hourly: about 17.
	if n := len(f.requestTimes(failing)); n < 5 || n > 20 {
		t.Errorf("the check Caisson could not answer was asked %d times in 12 hours, want a backoff's 5 to 20", n)
	}
	if pa := p.paused.Load(); pa != nil {
		t.Errorf("polling paused for one check: %+v", pa)
	}
	counts, _ := f.st.Counts(ctx)
	if counts[store.QueueErrors] != 0 || counts[store.QueuePending] != len(ids) {
		t.Errorf("errors %d, pending %d: want all %d still waiting", counts[store.QueueErrors], counts[store.QueuePending], len(ids))
	}
}

// One check Caisson cannot answer, alone in Waiting, is that check's
// trouble, not an outage: asked again and again on its own backoff, a run
// of unavailable polls all of one check, it never pauses all polling. It
// paused at the third, as soon as the check's backoff was the only thing
// due (which the test above, with a hundred checks beside it, met once
// under load).
func TestOneCheckAloneCaissonCannotAnswerNeverPausesPolling(t *testing.T) {
	f := newPollFixture(t, 50)
	ids := f.waiting()
	if len(ids) != 1 {
		t.Fatalf("%d checks waiting, want one", len(ids))
	}
	f.sb.FailNext(ids[0], 100000, sandbox.Fail503)
	p := f.poller(f.pacedClient(f.sb.Key(), 2, caisson.WithRetries(1)), PollOptions{})
	if err := f.clock.runUntil(t, p, f.clock.Now().Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.requestTimes(ids[0])); n < 4 {
		t.Errorf("the check was asked %d times in 6 hours, want its backoff's 4 or more", n)
	}
	if pa := p.paused.Load(); pa != nil {
		t.Errorf("polling paused for one check: %+v", pa)
	}
}
