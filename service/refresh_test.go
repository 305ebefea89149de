package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// A refresh counts as the queues do: results, checks Caisson has no result
// for yet (waiting, or already decided and so in their decision's queue),
// and failures of each kind, listed in the order asked.
func TestRefreshReportsEveryCheckAsTheQueuesCountIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	healthy := f.sb.CheckIDs(4)
	pending := f.sb.ErrorCheckID(string(caisson.CodePendingReview))
	notVerified := f.sb.ErrorCheckID(string(caisson.CodeNotVerified))
	deleted := f.sb.ErrorCheckID(string(caisson.CodeIDCheckDeleted))
	broken := f.sb.ErrorCheckID(string(caisson.CodeInternalError))
	f.sb.FailNext(healthy[1], 20, sandbox.Fail503) // fails for good: more than the client's tries
	untracked := f.sb.CheckID(50)
	f.track(append(healthy, pending, notVerified, deleted, broken)...)
	if _, err := f.st.Decide(ctx, notVerified, store.Escalate, "called the branch", "bob"); err != nil {
		t.Fatal(err)
	}
	var each, started atomic.Int64
	asked := append([]string{broken, untracked, deleted}, append(healthy, pending, notVerified, healthy[0])...)
	rep, err := f.service(f.api).Refresh(ctx, asked, RefreshOptions{
		Concurrency: 3,
		Started:     func(total int, skipped Skipped) { started.Store(int64(total*100 + skipped.Total())) },
		Each:        func(Result) { each.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Asked != 8 || rep.Answered != 8 || started.Load() != 800 || each.Load() != 8 {
		t.Errorf("asked %d, answered %d, started %d, each %d: want 8 tracked checks once each", rep.Asked, rep.Answered, started.Load(), each.Load())
	}
	if rep.Refreshed != 3 || len(rep.Waiting) != 1 || rep.Waiting[0].CheckID != pending ||
		len(rep.Decided) != 1 || rep.Decided[0].Decided != store.StatusEscalated {
		t.Errorf("refreshed %d, waiting %+v, decided %+v: want 3, the pending one, the escalated one", rep.Refreshed, rep.Waiting, rep.Decided)
	}
	var got []string
	for _, fl := range rep.Failures {
		got = append(got, fmt.Sprintf("%s %d", fl.CheckID, fl.Kind))
	}
	want := []string{
		fmt.Sprintf("%s %d", untracked, NotTracked),
		fmt.Sprintf("%s %d", broken, FetchFailed),
		fmt.Sprintf("%s %d", deleted, FetchFailed),
		fmt.Sprintf("%s %d", healthy[1], FetchFailed),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("failures, untracked first then in the order asked:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f.asked(untracked) {
		t.Error("an untracked id was fetched: a refresh must not start tracking a check")
	}
	if rep.Err() != nil || rep.NotFetched() != 0 {
		t.Errorf("a complete batch reports %v, %d not fetched", rep.Err(), rep.NotFetched())
	}
	if rec := f.get(pending); rec.Outcome != store.FetchOutcome(caisson.CodePendingReview) {
		t.Errorf("the pending check's outcome %q, want it recorded", rec.Outcome)
	}
}

func TestFailureReasonSaysWhyInTheClientsWords(t *testing.T) {
	tests := []struct {
		name string
		f    Failure
		want string
	}{
		{"not tracked", Failure{Kind: NotTracked, Err: store.ErrNotFound}, "not tracked: add it first"},
		{"not recorded", Failure{Kind: NotRecorded, Err: errors.New("the disk is full")}, "fetched but not recorded: the disk is full"},
		{"Caisson's answer", Failure{Kind: FetchFailed, Err: &caisson.APIError{Code: caisson.CodeIDCheckDeleted}},
			caisson.Explain(&caisson.APIError{Code: caisson.CodeIDCheckDeleted})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.Reason(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The README: --all and --queue (and the console's R) skip checks whose
// last answer was final; named, such a check is asked again.
func TestRefreshQueueSkipsChecksWhoseLastAnswerWasFinalAndNamedOnesAreAskedAgain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	deleted := f.sb.ErrorCheckID(string(caisson.CodeIDCheckDeleted))
	expired := f.sb.ErrorCheckID(string(caisson.CodeIDCheckExpired))
	good := f.sb.CheckID(0)
	f.track(good, deleted, expired)
	svc := f.service(f.api)
	rep, err := svc.RefreshQueue(ctx, store.PageQuery{Queue: store.QueueAll}, RefreshOptions{})
	if err != nil || rep.Asked != 3 || len(rep.Failures) != 2 {
		t.Fatalf("first refresh: %+v, %v; want all 3 asked, the 2 gone ones failed", rep, err)
	}
	f.sb.ResetRequests()
	skippedSeen := -1
	rep, err = svc.RefreshQueue(ctx, store.PageQuery{Queue: store.QueueAll}, RefreshOptions{Started: func(_ int, s Skipped) { skippedSeen = s.Final }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Asked != 1 || rep.Skipped != (Skipped{Final: 2}) || skippedSeen != 2 || rep.Refreshed != 1 || len(rep.Failures) != 0 {
		t.Errorf("second refresh %+v (started said %d skipped): want 1 asked, 2 skipped", rep, skippedSeen)
	}
	if f.asked(deleted) || f.asked(expired) {
		t.Error("a check whose last answer was final was asked again")
	}
	rep, err = svc.Refresh(ctx, []string{deleted}, RefreshOptions{})
	if err != nil || rep.Asked != 1 || !f.asked(deleted) {
		t.Errorf("named: %+v, %v; want it asked again", rep, err)
	}
}

// A check whose personal data was purged (purge --older-than) is not
// fetched again by a refresh of its queue: a nightly refresh --all brought
// the data back the next morning, and a retention purge meant nothing
// (helper-56). Named, it is fetched again.
func TestRefreshQueueSkipsPurgedChecksAndNamedOnesAreFetchedAgain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	kept, purged, waiting := f.sb.CheckID(0), f.sb.CheckID(1), f.sb.CheckID(2)
	f.track(purged, waiting)
	svc := f.service(f.api)
	if rep, err := svc.RefreshQueue(ctx, store.PageQuery{Queue: store.QueueAll}, RefreshOptions{}); err != nil || rep.Refreshed != 2 {
		t.Fatalf("first refresh: %+v, %v", rep, err)
	}
	// Waiting at Caisson since, and purged with the other: it is asked
	// all the same, as the poller asks it, or its wait would end only
	// for a team that runs a console (helper-58).
	if err := f.st.RecordFetch(ctx, waiting, nil, &caisson.APIError{Code: caisson.CodePendingReview}, testNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := f.st.Purge(ctx, time.Hour, testNow.Add(2*time.Hour)); err != nil || n != 2 {
		t.Fatalf("Purge: %d, %v", n, err)
	}
	f.track(kept)
	f.sb.ResetRequests()
	var seen Skipped
	rep, err := svc.RefreshQueue(ctx, store.PageQuery{Queue: store.QueueAll}, RefreshOptions{Started: func(_ int, s Skipped) { seen = s }})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Skipped{Purged: 1}); rep.Asked != 2 || rep.Skipped != want || seen != want || rep.Refreshed != 2 {
		t.Errorf("refresh after the purge %+v (started said %+v): want 2 asked, the purged one skipped", rep, seen)
	}
	if f.asked(purged) || !f.asked(kept) || !f.asked(waiting) {
		t.Errorf("asked for the purged check %v, the new one %v, the one waiting at Caisson %v: want the last two",
			f.asked(purged), f.asked(kept), f.asked(waiting))
	}
	if rep, err := svc.Refresh(ctx, []string{purged}, RefreshOptions{}); err != nil || rep.Refreshed != 1 {
		t.Fatalf("named: %+v, %v; want it fetched again", rep, err)
	}
	if rec, err := f.st.Get(ctx, purged); err != nil || rec.Purged || rec.Result == nil {
		t.Errorf("named, the purged check has its data again: %v, %v", rec, err)
	}
}

// A refused key says nothing about any check: the batch stops at once,
// stores nothing for the refused checks, and says so once.
func TestRefreshWithARefusedKeyStopsAtOnceAndStoresNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := f.sb.CheckIDs(20)
	f.track(ids...)
	f.sb.ResetRequests()
	rep, err := f.service(f.wrongKey()).RefreshQueue(ctx, store.PageQuery{Queue: store.QueueAll}, RefreshOptions{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if rep.KeyRefused == nil || !errors.Is(rep.Err(), caisson.ErrKeyRefused) || len(rep.Failures) != 0 || rep.NotFetched() != 20 {
		t.Fatalf("report %+v: want stopped by the refused key, no failure, 20 not fetched", rep)
	}
	if n := len(f.sb.Requests()); n > 4 {
		t.Errorf("the sandbox saw %d requests, want at most the 4 in flight", n)
	}
	for _, id := range ids {
		if rec := f.get(id); rec.Outcome != store.OutcomeNone {
			t.Errorf("%s: outcome %q stored under a refused key", id, rec.Outcome)
		}
	}
	res, err := f.service(f.wrongKey()).RefreshOne(ctx, ids[0])
	if err != nil || !errors.Is(res.Err, caisson.ErrKeyRefused) || f.get(ids[0]).Outcome != store.OutcomeNone {
		t.Errorf("one check: %+v, %v; want the refusal reported and nothing stored", res, err)
	}
}

// Cancelling starts nothing new; what was fetched is stored, and the
// report says how many were not fetched.
func TestRefreshCancelledKeepsWhatWasFetched(t *testing.T) {
	f := newFixture(t)
	ids := f.sb.CheckIDs(40)
	f.track(ids...)
	f.sb.SetLatency(20*time.Millisecond, 0)
	ctx, cancel := context.WithCancel(context.Background())
	var answered []string
	rep, err := f.service(f.api).Refresh(ctx, ids, RefreshOptions{Concurrency: 2, Each: func(r Result) {
		answered = append(answered, r.CheckID)
		if len(answered) == 3 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Cancelled || !errors.Is(rep.Err(), context.Canceled) || rep.NotFetched() == 0 || rep.Answered != len(answered) {
		t.Fatalf("report %+v: want cancelled with checks not fetched", rep)
	}
	for _, id := range answered {
		if rec := f.get(id); rec.Outcome != store.OutcomeOK {
			t.Errorf("%s was answered before the cancel but stored as %q", id, rec.Outcome)
		}
	}
}

func TestRefreshOneRecordsCaissonsAnswerWhateverItIs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good, pending := f.sb.CheckID(3), f.sb.ErrorCheckID(string(caisson.CodePendingReview))
	f.track(good, pending)
	svc := f.service(f.api)
	res, err := svc.RefreshOne(ctx, good)
	if err != nil || res.Err != nil || res.NotRecorded != nil || f.get(good).Result == nil {
		t.Errorf("a result: %+v, %v; want it cached", res, err)
	}
	res, err = svc.RefreshOne(ctx, pending)
	if _, failed := res.Failure(); err != nil || !res.NotReady() || failed {
		t.Errorf("a check still at Caisson: %+v, %v; want not ready, no failure", res, err)
	}
	if _, err := f.service(nil).RefreshOne(ctx, good); !errors.Is(err, ErrNoAPI) {
		t.Errorf("offline: %v, want ErrNoAPI", err)
	}
	if _, err := f.service(nil).RefreshQueue(ctx, store.PageQuery{Queue: store.QueueAll}, RefreshOptions{}); !errors.Is(err, ErrNoAPI) {
		t.Errorf("offline queue: %v, want ErrNoAPI", err)
	}
}

// An answer that cannot be stored is a failure of its own kind, and the
// batch goes on: the other answers are not lost with it. Answers are
// stored in batches and reported once on disk, so what the report calls
// stored is exactly what the disk holds.
func TestRefreshReportsAnswersItCouldNotStoreAndGoesOn(t *testing.T) {
	f := newFixture(t)
	ids := f.sb.CheckIDs(8)
	f.track(ids...)
	// One answer at a time, slower than a commit: the store goes away
	// after the first batch, before the others arrive.
	f.sb.SetLatency(15*time.Millisecond, 0)
	var first string
	rep, err := f.service(f.api).Refresh(context.Background(), ids, RefreshOptions{Concurrency: 1, Each: func(r Result) {
		if first == "" {
			first = r.CheckID
			// The database goes away under the batch (a real store,
			// closed: the disk gone, the process shutting down).
			if err := f.st.Close(); err != nil {
				t.Errorf("closing the store: %v", err)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Answered != 8 || rep.Refreshed < 1 || rep.Refreshed+len(rep.Failures) != 8 || len(rep.Failures) == 0 || rep.NotRecorded == nil {
		t.Fatalf("report %+v: want all 8 answered, the first batch stored, the others not recorded", rep)
	}
	notRecorded := map[string]bool{}
	for _, fl := range rep.Failures {
		notRecorded[fl.CheckID] = true
		if fl.Kind != NotRecorded || fl.CheckID == first {
			t.Errorf("failure %+v: want each answer after the first batch, not recorded", fl)
		}
	}
	st, err := store.Open(context.Background(), f.st.Path(), store.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range ids {
		rec, err := st.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if stored := rec.Outcome == store.OutcomeOK; stored == notRecorded[id] {
			t.Errorf("%s: on disk %v, reported not recorded %v", id, stored, notRecorded[id])
		}
	}
}

// Under a fail rate, the failures listed are exactly the checks whose
// answer was not stored as a result: none missed, none invented.
func TestRefreshUnderAFailRateReportsExactlyTheChecksThatFailed(t *testing.T) {
	f := newFixture(t)
	f.sb.SetFailRate(0.5)
	ids := f.sb.CheckIDs(16)
	f.track(ids...)
	rep, err := f.service(f.api).Refresh(context.Background(), ids, RefreshOptions{})
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]bool{}
	for _, fl := range rep.Failures {
		failed[fl.CheckID] = true
	}
	for _, id := range ids {
		if ok := f.get(id).Outcome == store.OutcomeOK; ok == failed[id] {
			t.Errorf("%s: outcome %q but listed as failed = %v", id, f.get(id).Outcome, failed[id])
		}
	}
	if rep.Refreshed+len(rep.Failures) != len(ids) {
		t.Errorf("%d refreshed and %d failed of %d", rep.Refreshed, len(rep.Failures), len(ids))
	}
}

// countingStore is the real store, counting how a refresh's answers reach
// it: one transaction each, or in batches.
type countingStore struct {
	*store.Store
	one, batches, batched, pages atomic.Int64
}

func (c *countingStore) Page(ctx context.Context, q store.PageQuery) ([]store.Row, error) {
	c.pages.Add(1)
	return c.Store.Page(ctx, q)
}

func (c *countingStore) RecordFetch(ctx context.Context, id string, chk *caisson.Check, fetchErr error, at time.Time) error {
	c.one.Add(1)
	return c.Store.RecordFetch(ctx, id, chk, fetchErr, at)
}

func (c *countingStore) RecordFetches(ctx context.Context, results []store.FetchResult) ([]error, error) {
	c.batches.Add(1)
	c.batched.Add(int64(len(results)))
	return c.Store.RecordFetches(ctx, results)
}

// Issue 16: a bulk refresh stores its answers in batches, one
// transaction each (group commit), and reports each answer only once its
// batch is on disk, as another connection to the database sees it.
func TestRefreshStoresAnswersInBatchesAndReportsEachOnceOnDisk(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := f.sb.CheckIDs(60)
	f.track(ids...)
	f.sb.ResetRequests()
	other, err := store.Open(ctx, f.st.Path(), store.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cs := &countingStore{Store: f.st}
	svc := New(cs, f.api, Options{Reviewer: "alice", Now: fixedClock})
	reported := 0
	rep, err := svc.Refresh(ctx, ids, RefreshOptions{Concurrency: 16, Each: func(r Result) {
		if reported++; reported == 1 {
			// The first report holds the writer: every other answer
			// arrives meanwhile and goes into the next batch.
			for deadline := time.Now().Add(10 * time.Second); len(f.sb.Requests()) < len(ids) && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
		}
		rec, err := other.Get(ctx, r.CheckID)
		if err != nil || rec.Outcome == store.OutcomeNone {
			t.Errorf("%s reported stored, but another connection reads %+v, %v", r.CheckID, rec, err)
		}
	}})
	if err != nil || rep.Refreshed+len(rep.Waiting) != len(ids) || reported != len(ids) {
		t.Fatalf("report %+v, %v, %d reported: want all %d refreshed or waiting", rep, err, reported, len(ids))
	}
	if cs.one.Load() != 0 || cs.batched.Load() != int64(len(ids)) || cs.batches.Load() > 4 {
		t.Errorf("%d answers stored one at a time, %d in %d batches: want all %d in a few batches",
			cs.one.Load(), cs.batched.Load(), cs.batches.Load(), len(ids))
	}
}

// Refreshing every check reads them in one walk, not a page at a time
// (each page a walk to its offset: minutes at a million checks), and
// still skips those whose last answer was final; another queue is read
// by pages.
func TestRefreshAllReadsTheChecksInOneWalk(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	deleted := f.sb.ErrorCheckID(string(caisson.CodeIDCheckDeleted))
	ids := append(f.sb.CheckIDs(5), deleted)
	f.track(ids...)
	if err := f.st.RecordFetch(ctx, deleted, nil, &caisson.APIError{Code: caisson.CodeIDCheckDeleted}, testNow); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: f.st}
	svc := New(cs, f.api, Options{Reviewer: "alice", Now: fixedClock})
	rep, err := svc.RefreshQueue(ctx, store.PageQuery{Queue: store.QueueAll}, RefreshOptions{})
	if err != nil || rep.Asked != 5 || rep.Skipped != (Skipped{Final: 1}) {
		t.Fatalf("report %+v, %v: want 5 asked, the deleted one skipped", rep, err)
	}
	if n := cs.pages.Load(); n != 0 {
		t.Errorf("%d pages read for every check, want one walk", n)
	}
	if _, err := svc.RefreshQueue(ctx, store.PageQuery{Queue: store.QueueNeedsReview}, RefreshOptions{}); err != nil || cs.pages.Load() == 0 {
		t.Errorf("a queue: %v, %d pages read; want it read by pages", err, cs.pages.Load())
	}
}

// Caisson down for a run of checks is no fact about them: the refresh
// stops there, stores nothing for the run, and every check keeps its last
// result and queue (a night's outage does not move the waiting checks to
// Errors); the next refresh fetches them.
func TestRefreshStopsWhenCaissonIsUnavailableAndKeepsEveryQueue(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := f.sb.CheckIDs(40)
	pending := f.sb.ErrorCheckID(string(caisson.CodePendingReview))
	f.track(append(ids, pending)...)
	svc := f.service(f.api)
	if rep, err := svc.RefreshQueue(ctx, store.PageQuery{Queue: store.QueueAll}, RefreshOptions{}); err != nil || rep.Err() != nil {
		t.Fatalf("first refresh: %+v, %v", rep, err)
	}
	before, _ := f.st.Counts(ctx)
	for _, id := range append(ids, pending) {
		f.sb.FailNext(id, 100, sandbox.Fail503)
	}
	f.sb.ResetRequests()
	rep, err := svc.RefreshQueue(ctx, store.PageQuery{Queue: store.QueueAll}, RefreshOptions{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unavailable == nil || !errors.Is(rep.Err(), rep.Unavailable) || len(rep.Failures) != 0 || rep.NotFetched() != 41 {
		t.Fatalf("report %+v: want stopped by the outage, no failure, all 41 not fetched", rep)
	}
	// The one worker may have asked for the next checks while the run's
	// last failure waited to be counted: one in the results' buffer, one
	// in flight, at most.
	if n := len(f.sb.Requests()); n < caisson.UnavailableRun || n > caisson.UnavailableRun+2 {
		t.Errorf("the sandbox saw %d requests, want the run of %d (and at most two more in flight) and nothing after it", n, caisson.UnavailableRun)
	}
	after, _ := f.st.Counts(ctx)
	if fmt.Sprint(after) != fmt.Sprint(before) || after[store.QueueErrors] != 0 || after[store.QueuePending] != 1 {
		t.Errorf("counts %v after the outage, want them as before: %v", after, before)
	}
	if rec := f.get(pending); !rec.Outcome.NotReady() {
		t.Errorf("the waiting check's outcome is %q, want its PENDING_REVIEW kept", rec.Outcome)
	}
}

// Fewer failures than a run, or one check's refresh, while Caisson is
// unavailable: each is reported as failed, but a check Caisson answered
// keeps that answer and its queue (a waiting one stays waiting, and
// polled); only a check never answered records the failure, in Errors.
func TestCaissonUnavailableNeverReplacesACheckLastAnswer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pending := f.sb.ErrorCheckID(string(caisson.CodePendingReview))
	healthy := f.sb.CheckID(3)
	never := f.sb.CheckID(4)
	f.track(pending, healthy)
	svc := f.service(f.api)
	if rep, err := svc.Refresh(ctx, []string{pending, healthy}, RefreshOptions{}); err != nil || rep.Err() != nil {
		t.Fatalf("first refresh: %+v, %v", rep, err)
	}
	f.track(never)
	for _, id := range []string{pending, healthy, never} {
		f.sb.FailNext(id, 100, sandbox.Fail503)
	}
	rep, err := svc.Refresh(ctx, []string{pending, healthy, never}, RefreshOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failures) != 3 || rep.Unavailable != nil {
		t.Fatalf("report %+v: want the three listed as failed (too few for an outage)", rep)
	}
	if rec := f.get(pending); rec.Outcome != store.FetchOutcome(caisson.CodePendingReview) {
		t.Errorf("the waiting check's outcome is %q, want its PENDING_REVIEW kept", rec.Outcome)
	}
	if rec := f.get(healthy); rec.Outcome != store.OutcomeOK || rec.FetchError != "" {
		t.Errorf("the fetched check's outcome is %q (%s), want its result kept", rec.Outcome, rec.FetchError)
	}
	if rec := f.get(never); rec.Outcome != store.OutcomeTransport {
		t.Errorf("the check never answered has outcome %q, want the failure recorded", rec.Outcome)
	}
	res, err := svc.RefreshOne(ctx, pending)
	if err != nil || !caisson.Unavailable(res.Err) {
		t.Fatalf("one check: %+v, %v", res, err)
	}
	counts, _ := f.st.Counts(ctx)
	if counts[store.QueuePending] != 1 || counts[store.QueueErrors] != 1 {
		t.Errorf("pending %d, errors %d: want the waiting check still waiting, only the never-answered one in Errors", counts[store.QueuePending], counts[store.QueueErrors])
	}
}

// A store that refuses a batch of answers whole (here its PostgreSQL
// server gone) stops the refresh: nothing more is fetched from Caisson,
// personal data and all, only to be thrown away, and the report says so
// once, not once a check. What was stored before stays; with the server
// back, the same refresh finishes.
func TestRefreshStopsWhenTheStoreRefusesABatchWhole(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	door, viaDoor := pgtest.NewDoor(t, pgtest.URL(t))
	st, err := store.Open(ctx, viaDoor, store.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const n = 60
	ids := f.sb.CheckIDs(n)
	if _, err := st.AddMany(ctx, ids, "tester", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	f.sb.SetLatency(20*time.Millisecond, 0)
	svc := New(st, f.api, Options{Reviewer: "alice", Now: fixedClock})
	var stored []string
	rep, err := svc.Refresh(ctx, ids, RefreshOptions{Concurrency: 2, Each: func(r Result) {
		if len(stored) == 0 {
			door.GoAway()
		}
		if r.NotRecorded == nil {
			stored = append(stored, r.CheckID)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stopped == nil || !strings.Contains(rep.Stopped.Error(), "is unreachable") || rep.NotStored == 0 || rep.NotFetched() == 0 {
		t.Fatalf("report %+v (stopped: %v): want it stopped by the unreachable server, with answers not stored and checks not fetched", rep, rep.Stopped)
	}
	if len(rep.Failures) != 0 || rep.NotRecorded != nil {
		t.Errorf("failures %v, not recorded %v: the answers the store refused whole are no failure of their checks, said once in Stopped", rep.Failures, rep.NotRecorded)
	}
	if asked := len(f.sb.Requests()); asked >= n {
		t.Errorf("Caisson was asked %d times for %d checks: want the fetching stopped", asked, n)
	}
	if got := rep.Refreshed + rep.NotStored + rep.NotFetched() + len(rep.Waiting) + len(rep.Decided); got != n {
		t.Errorf("the report accounts for %d of %d checks: %+v", got, n, rep)
	}
	door.ComeBack()
	for _, id := range stored {
		if rec, err := st.Get(ctx, id); err != nil || rec.Outcome != store.OutcomeOK {
			t.Errorf("%s, reported stored before the server went: %+v, %v", id, rec, err)
		}
	}
	f.sb.SetLatency(0, 0)
	again, err := svc.Refresh(ctx, ids, RefreshOptions{Concurrency: 4})
	if err != nil || again.Err() != nil || again.Refreshed+len(again.Waiting) != n {
		t.Errorf("the same refresh with the server back: %+v, %v", again, err)
	}
}
