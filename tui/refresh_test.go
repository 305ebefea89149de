package tui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/progress"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// trackErrorChecks adds the sandbox's ids that always answer these codes.
func trackErrorChecks(t *testing.T, f *fixture, codes ...string) []string {
	t.Helper()
	var ids []string
	for _, c := range codes {
		id := f.sb.ErrorCheckID(c)
		if _, err := f.st.Add(context.Background(), id, "tester", store.SourceTyped); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestRefreshingOneCheckRecordsAndExplainsCaissonsAnswer(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 0})
	ids := trackErrorChecks(t, f, "PENDING_REVIEW")
	good := f.sb.CheckID(3)
	if _, err := f.st.Add(context.Background(), good, "tester", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7")...)
	moveTo(t, m, func(r store.Row) bool { return r.CheckID == ids[0] })
	mustContain(t, plain(m), "never fetched")
	pump(t, m, keys("r")...)
	if rec := record(t, f.st, ids[0]); rec.Outcome != store.FetchOutcome(caisson.CodePendingReview) {
		t.Fatalf("outcome %q after refresh, want PENDING_REVIEW", rec.Outcome)
	}
	screen := plain(m)
	// Not ready is no failure: no ✗, and the check waits in tab 2.
	mustContain(t, screen, "✓ refreshed "+caisson.ShortID(ids[0], 10)+": not ready at Caisson: Caisson's own reviewers still have this check")
	mustContain(t, screen, "result    waiting at Caisson: Caisson's", "Waiting at Caisson 1")
	mustNotContain(t, screen, "✗ "+caisson.ShortID(ids[0], 10))

	moveTo(t, m, func(r store.Row) bool { return r.CheckID == good })
	pump(t, m, keys("r")...)
	rec := record(t, f.st, good)
	if rec.Outcome != store.OutcomeOK || rec.Result == nil {
		t.Fatalf("outcome %q, result %v after refresh", rec.Outcome, rec.Result)
	}
	mustContain(t, plain(m), "✓ refreshed "+caisson.ShortID(good, 10), line(rec.Result.Info.FullName()))
}

// The refresh's tally counts as the queues do (and as the CLI's refresh
// does): a failure is a check in Errors; a check Caisson has no result for
// yet waits in Waiting at Caisson, unless a reviewer already decided it,
// which then stays in its decision's queue and is counted apart.
func TestRefreshingTheQueueCountsAsTheQueuesDoAndListsFailuresWithoutStopping(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 30, track: 20})
	bad := trackErrorChecks(t, f, "IDCHECK_DELETED", "NOT_VERIFIED", "INTERNAL_ERROR", "PENDING_REVIEW")
	// Escalated before Caisson says it has no result: the decision wins.
	if _, err := f.st.Decide(context.Background(), bad[3], store.Escalate, "asked the branch", "bob"); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7", "R")...)
	b := m.batch
	if b == nil || b.running || b.total != 24 || b.done != 24 {
		t.Fatalf("batch %+v: want 24 of 24 done", b)
	}
	counts, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.failures) != 2 || b.waiting != 1 || b.decided != 1 {
		t.Fatalf("%d failures, %d waiting, %d decided; want 2, 1, 1: %+v", len(b.failures), b.waiting, b.decided, b.failures)
	}
	if len(b.failures) != counts[store.QueueErrors] || b.waiting != counts[store.QueuePending] {
		t.Fatalf("the tally (%d failed, %d waiting) disagrees with the queues (%d errors, %d waiting)",
			len(b.failures), b.waiting, counts[store.QueueErrors], counts[store.QueuePending])
	}
	screen := plain(m)
	mustContain(t, screen, "refreshed All: 24/24", "✗ 2 failed", "1 waiting at Caisson · 1 not ready at Caisson but already decided",
		"refreshed 24 of 24, 2 failed, 1 waiting at Caisson, 1 not ready at Caisson but already decided", "100%",
		"2 Waiting at Caisson 1", "3 Escalated 1", "6 Errors 2")
	for _, id := range []string{bad[0], bad[2]} {
		mustContain(t, screen, caisson.ShortID(id, 10)+": ")
	}
	for _, id := range []string{bad[1], bad[3]} {
		mustNotContain(t, screen, caisson.ShortID(id, 10)+": ")
	}
	mustContain(t, screen, "deleted at Caisson", "internal error")
	for _, id := range f.sb.CheckIDs(20) {
		if rec := record(t, f.st, id); rec.Outcome != store.OutcomeOK {
			t.Errorf("%s: outcome %q after the batch", id, rec.Outcome)
		}
	}
	pump(t, m, keys("esc")...)
	if m.batch != nil {
		t.Fatal("esc did not close the finished batch's panel")
	}
}

// R refreshes a queue as refresh --queue does: a check whose last answer
// was final (deleted or expired at Caisson) is not asked again, and the
// panel says how many were skipped. (R once asked again every time.)
func TestRefreshingTheQueueSkipsChecksWhoseLastAnswerWasFinal(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10, track: 3})
	gone := trackErrorChecks(t, f, "IDCHECK_DELETED", "IDCHECK_EXPIRED")
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7", "R")...)
	if b := m.batch; b == nil || b.running || b.total != 5 || len(b.failures) != 2 {
		t.Fatalf("first refresh %+v: want all 5 asked, the 2 gone ones failed", b)
	}
	pump(t, m, keys("esc")...)
	f.sb.ResetRequests()

	pump(t, m, keys("R")...)
	b := m.batch
	if b == nil || b.running || b.total != 3 || b.skipped != (service.Skipped{Final: 2}) || len(b.failures) != 0 {
		t.Fatalf("second refresh %+v: want 3 asked, 2 skipped, no failure", b)
	}
	for _, r := range f.sb.Requests() {
		if r.CheckID == gone[0] || r.CheckID == gone[1] {
			t.Errorf("R asked Caisson again for %s, whose answer was final", r.CheckID)
		}
	}
	mustContain(t, plain(m), "refreshed All: 3/3", "2 skipped: their last answer was final")
}

// slowFixture has checks the sandbox answers slowly, so a batch is still
// running when the test acts.
func slowFixture(t *testing.T) *fixture {
	f := newFixture(t, fixtureOpts{checks: 200, track: 200})
	f.sb.SetLatency(20*time.Millisecond, 0)
	return f
}

func TestEscCancelsARunningRefreshAndTheScreenStaysResponsive(t *testing.T) {
	f := slowFixture(t)
	m := newTestModel(t, f.config(), 120, 40)
	d := &driver{tb: t, m: m}
	d.send(keyMsg("7"))
	d.settle()
	d.send(keyMsg("R"))
	d.until(func() bool { return m.batch != nil && m.batch.done >= 10 })

	// Keys work while the batch runs.
	before := m.list.cursor
	d.send(keyMsg("j"))
	d.until(func() bool { return m.list.cursor == before+1 })
	mustContain(t, plain(m), "esc cancels", "refreshing All")

	d.send(keyMsg("esc"))
	d.settle()
	b := m.batch
	if b.running || !b.cancelled {
		t.Fatalf("batch running=%v cancelled=%v after esc", b.running, b.cancelled)
	}
	if b.done >= 200 {
		t.Fatal("the batch ran to the end despite esc")
	}
	mustContain(t, plain(m), "cancelled All", fmt.Sprintf("cancelled: refreshed %d of 200", b.done))
	// Every result that arrived was recorded, and nothing else.
	fetched := 0
	for _, id := range f.sb.CheckIDs(200) {
		if rec := record(t, f.st, id); rec.Outcome != store.OutcomeNone {
			fetched++
		}
	}
	if fetched != b.done {
		t.Errorf("%d checks recorded as fetched, the batch reported %d", fetched, b.done)
	}
}

func TestCtrlCCancelsARunningRefreshBeforeQuitting(t *testing.T) {
	f := slowFixture(t)
	m := newTestModel(t, f.config(), 80, 24)
	d := &driver{tb: t, m: m}
	d.send(keyMsg("7"))
	d.settle()
	d.send(keyMsg("R"))
	d.until(func() bool { return m.batch != nil && m.batch.done >= 5 })
	d.send(keyMsg("ctrl+c"))
	d.settle()
	if !d.quit {
		t.Fatal("ctrl+c did not quit")
	}
	if d.quitWhileWriting {
		t.Fatal("the program quit while the refresh was still recording results")
	}
	if !m.batch.cancelled || m.batch.done >= m.batch.total {
		t.Fatalf("batch %d/%d cancelled=%v: ctrl+c must cancel it", m.batch.done, m.batch.total, m.batch.cancelled)
	}
}

func TestRefreshOnStartShowsTheProgressBarAndFetchesEverything(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 25, track: 25})
	cfg := f.config()
	cfg.RefreshOnStart = true
	m := New(cfg)
	m.animate = false
	d := &driver{tb: t, m: m}
	d.send(m.Init())
	d.send(tea_WindowSize(80, 24))
	d.until(func() bool { return m.batch != nil && m.batch.done > 0 })
	mustContain(t, plain(m), "refreshing all checks", "esc cancels")
	d.settle()
	mustContain(t, plain(m), "refreshed all checks: 25/25", "✓ no failures")
	counts, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[store.QueueNeedsReview] == 0 || m.list.total != counts[store.QueueNeedsReview] {
		t.Fatalf("after the start-up refresh the list shows %d, the store has %d to review", m.list.total, counts[store.QueueNeedsReview])
	}
	if !strings.Contains(plain(m), fmt.Sprintf("[1 Review %d]", counts[store.QueueNeedsReview])) {
		t.Errorf("the header's count was not re-read after the refresh:\n%s", plain(m))
	}
}

func TestStoreChangedReadsTheScreenAgain(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	id := selectedID(t, m)
	before := m.list.total
	// Another session decides the check on screen.
	if _, err := f.st.Decide(context.Background(), id, store.Escalate, "over to compliance", "bob"); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	if m.list.total != before-1 || m.counts[store.QueueEscalated] != 1 {
		t.Fatalf("after StoreChanged: %d in the list (was %d), %d escalated", m.list.total, before, m.counts[store.QueueEscalated])
	}
	if m.list.has(id) {
		t.Fatal("the check another session escalated is still listed in Needs review")
	}
	// The reviewer stays on it, told why (stay_test.go).
	if row, ok := m.current(); !ok || row.CheckID != id {
		t.Fatalf("the console left the check another session escalated (on %s)", row.CheckID)
	}
	mustContain(t, plain(m), "[1 Needs review "+fmt.Sprint(before-1)+"]", "3 Escalated 1")
}

// r pressed again while that check's refresh runs (an impatient reviewer,
// a key repeated by a slow link) starts no second call to Caisson.
func TestRAgainWhileTheCheckIsRefreshingStartsNoSecondRefresh(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	id := selectedID(t, m)
	f.sb.ResetRequests()
	d := &driver{tb: t, m: m}
	// The second r is handled before the first refresh's answer.
	d.send(keyMsg("r"))
	d.send(keyMsg("r"))
	d.settle()
	calls := 0
	for _, r := range f.sb.Requests() {
		if r.CheckID == id {
			calls++
		}
	}
	if calls != 1 {
		t.Fatalf("%d requests for %s, want 1", calls, id)
	}
	// Once it has ended, r refreshes again.
	pump(t, m, keys("r")...)
	if n := len(f.sb.Requests()); n != 2 {
		t.Fatalf("%d requests after the second refresh, want 2", n)
	}
}

// A running refresh's panel is drawn at most every panelRedraw: results
// come hundreds a second, and every frame of a moving bar costs bytes on
// a slow link. Its end is drawn at once.
func TestARunningRefreshPanelIsRedrawnAtMostTenTimesASecond(t *testing.T) {
	c := newProgramContext(Config{HasDarkBackground: darkBackground()})
	b := &batch{label: "the all queue", total: 10, running: true, bar: progress.New(progress.WithoutPercentage())}
	first := b.view(c, 120, maxFailuresShown)
	mustContain(t, first, "refreshing the all queue: 0/10")
	b.record(batchResultMsg{res: service.Result{CheckID: "chk_priv_a"}})
	if got := b.view(c, 120, maxFailuresShown); got != first {
		t.Fatalf("redrawn within %s of the last frame:\n%s", panelRedraw, got)
	}
	b.shownAt = b.shownAt.Add(-panelRedraw)
	mustContain(t, b.view(c, 120, maxFailuresShown), "refreshing the all queue: 1/10")
	b.record(batchResultMsg{res: service.Result{CheckID: "chk_priv_b"}})
	b.running = false
	mustContain(t, b.view(c, 120, maxFailuresShown), "refreshed the all queue: 2/10")
}

// A refused key is no fact about any check: the console's refreshes, of
// the queue (R) and of one check (r), stop at it and say so once, and no
// queue changes (that nothing is stored is the service's test,
// TestRefreshWithARefusedKeyStopsAtOnceAndStoresNothing).
func TestARefusedKeyStopsTheConsolesRefreshesAndLeavesEveryCheckAsItWas(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 30, track: 20, fetch: true})
	trackErrorChecks(t, f, "INTERNAL_ERROR") // never fetched
	ids := f.sb.CheckIDs(20)
	countsBefore, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.config()
	cfg.Service = f.service(refusedKeyClient(t, f))
	m := newTestModel(t, cfg, 120, 40)
	f.sb.ResetRequests()

	pump(t, m, keys("7", "R")...)
	b := m.batch
	if b == nil || b.running || !errors.Is(b.err, caisson.ErrKeyRefused) || len(b.failures) != 0 || b.done != 0 {
		t.Fatalf("batch %+v: want it stopped by the refused key, nothing recorded, no failure", b)
	}
	if n := len(f.sb.Requests()); n > batchConcurrency {
		t.Errorf("the sandbox saw %d requests, want at most the %d in flight when the key was refused", n, batchConcurrency)
	}
	mustContain(t, plain(m), "✗ Caisson refused the API key: nothing more was fetched; 0 checks stored before it, 21 not fetched")

	pump(t, m, keys("esc")...)
	moveTo(t, m, func(r store.Row) bool { return r.CheckID == ids[0] })
	pump(t, m, keys("r")...)
	mustContain(t, plain(m), "✗ "+caisson.ShortID(ids[0], 10)+": Caisson refused the API key")

	counts, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(counts) != fmt.Sprint(countsBefore) {
		t.Errorf("queues changed under a refused key:\nwas %v\nnow %v", countsBefore, counts)
	}
}

// refusedKeyClient is the real client against the fixture's sandbox with a
// key the sandbox refuses, as after a rotation.
func refusedKeyClient(t *testing.T, f *fixture) *caisson.Client {
	return clientWithKey(t, f, "sk_test_RotatedAway_0000000000")
}

// clientWithKey is the real client against the fixture's sandbox with key,
// trying each request once.
func clientWithKey(t *testing.T, f *fixture, key string) *caisson.Client {
	t.Helper()
	k, err := caisson.NewAPIKey(key)
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	c, err := caisson.NewClient(f.base, k, caisson.WithRetries(1),
		caisson.WithHTTPClient(&http.Client{Transport: transport}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Caisson down is no fact about any check either: R stops after a run of
// failures, says so once, and no queue changes (the checks keep their
// last results: no night of outage empties Waiting into Errors).
func TestAnOutageStopsTheConsolesRefreshAndLeavesEveryCheckAsItWas(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 30, track: 20, fetch: true})
	ids := f.sb.CheckIDs(20)
	for _, id := range ids {
		f.sb.FailNext(id, 100, sandbox.Fail503)
	}
	countsBefore, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.config()
	cfg.Service = f.service(clientWithKey(t, f, f.sb.Key()))
	m := newTestModel(t, cfg, 120, 40)

	pump(t, m, keys("7", "R")...)
	b := m.batch
	if b == nil || b.running || !errors.As(b.err, new(*caisson.BatchStoppedError)) || len(b.failures) != 0 {
		t.Fatalf("batch %+v: want it stopped by the outage, no failure", b)
	}
	// The cause first, on the footer's line: the command line's sentence
	// leads with the counts (the panel's tally has them), and 120 columns
	// cut it before the cause (helper-67).
	screen := plain(m)
	// In the panel, whole, and once: the footer says what was not
	// fetched (helper-69 read the same sentence above itself twice).
	mustContain(t, screen, "stopped All: 0/20", "✗ stopped, no check marked failed: Caisson's answer could not be read (HTTP 503)")
	if n := strings.Count(screen, "no check marked failed"); n != 1 {
		t.Errorf("the reason is on screen %d times, want once", n)
	}
	mustContain(t, lastLines(screen, 2), "✗ stopped, 20 not fetched: refreshed 0 of 20, 0 failed")
	counts, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(counts) != fmt.Sprint(countsBefore) {
		t.Errorf("queues changed in an outage:\nwas %v\nnow %v", countsBefore, counts)
	}
}

// Answers whose batch the store refused whole (its server gone, its file
// locked) are no failure of their checks, which keep their last answer
// and are in no Errors tab: the panel and the footer count them once, as
// the command line does, beside the store's error, and list none of them
// as a failed check.
func TestAnswersTheStoreRefusedWholeAreCountedOnceNotListedAsFailures(t *testing.T) {
	c := newProgramContext(Config{HasDarkBackground: darkBackground()})
	b := &batch{label: "the all queue", total: 6, running: true, bar: progress.New(progress.WithoutPercentage())}
	gone := errors.New("the PostgreSQL server db:5432 is unreachable")
	b.record(batchResultMsg{res: service.Result{CheckID: "chk_priv_stored"}})
	b.record(batchResultMsg{res: service.Result{CheckID: "chk_priv_failedAAAAAAAAAAAAAAA", Err: &caisson.APIError{Code: caisson.CodeIDCheckDeleted}}})
	for _, id := range []string{"chk_priv_lostAAAAAAAAAAAAAAAAA", "chk_priv_lostBBBBBBBBBBBBBBBBB", "chk_priv_lostCCCCCCCCCCCCCCCCC"} {
		b.record(batchResultMsg{res: service.Result{CheckID: id, NotRecorded: &store.BatchNotStoredError{Err: gone}}})
	}
	b.running, b.err = false, fmt.Errorf("the answers cannot be stored: %w", gone)
	panel := ansi.Strip(b.view(c, 200, maxFailuresShown))
	mustContain(t, panel, "✗ 1 failed", "✗ 3 fetched but not stored", "✗ the answers cannot be stored: the PostgreSQL server db:5432 is unreachable")
	if strings.Contains(panel, "lost") {
		t.Errorf("an answer the store refused whole is listed as a failed check:\n%s", panel)
	}
	if got, want := b.summary(), "refreshed 2 of 6, 1 failed, 3 fetched but not stored"; got != want {
		t.Errorf("footer %q, want %q", got, want)
	}
}

// A batch the store stopped says why in the footer, on a line of its
// own (helper-66: at the end of the panel's tally, with every count a
// long refresh has, 120 columns cut the reason off), and the counts stay
// in the panel.
func TestAStoppedBatchSaysWhyOnALineOfItsOwn(t *testing.T) {
	c := newProgramContext(Config{HasDarkBackground: darkBackground()})
	b := &batch{label: "All", total: 100000, running: true, bar: progress.New(progress.WithoutPercentage())}
	gone := &store.BatchNotStoredError{Err: errors.New("recording 5000 fetched checks: database is locked")}
	for i := range 40000 {
		res := service.Result{CheckID: fmt.Sprintf("chk_priv_%022d", i)}
		switch {
		case i < 5:
			res.Err = &caisson.APIError{Code: caisson.CodeIDCheckDeleted}
		case i >= 5000:
			res.NotRecorded = gone
		}
		b.record(batchResultMsg{res: res})
	}
	b.waiting, b.decided, b.skipped.Final = 300, 12, 20
	b.running, b.err = false, fmt.Errorf("the answers cannot be stored: %w", gone)
	why := "✗ the answers cannot be stored: recording 5000 fetched checks: database is locked"
	for _, width := range []int{120, 80, 50} {
		panel := strings.Split(ansi.Strip(b.view(c, width, maxFailuresShown)), "\n")
		if len(panel) != b.panelHeight(width, maxFailuresShown) {
			t.Errorf("the panel at %d columns has %d lines, panelHeight says %d", width, len(panel), b.panelHeight(width, maxFailuresShown))
		}
		mustContain(t, panel[1], "stopped All: 40000/100000")
		if width == 120 {
			mustContain(t, panel[1], "stopped All: 40000/100000 · ✗ 5 failed · ✗ 35000 fetched but not stored")
		}
		// The reason whole, on lines of its own under the tally.
		var said []string
		for _, l := range panel[2:] {
			if strings.HasPrefix(l, "✗ 0000") {
				break // the failed checks
			}
			said = append(said, strings.TrimSpace(l))
		}
		if got := strings.Join(said, " "); got != why {
			t.Errorf("the reason at %d columns:\n%s\nwant %q", width, strings.Join(panel, "\n"), why)
		}
	}
	if got, want := b.endText(), "stopped, 60000 not fetched: refreshed 5000 of 100000, 5 failed, 35000 fetched but not stored, 300 waiting at Caisson, 12 not ready at Caisson but already decided, 20 skipped: their last answer was final"; got != want {
		t.Errorf("footer at the end %q, want %q", got, want)
	}
}

// The panel names what R fetches as the screen shows it: the tab by its
// name, capitals kept ("the waiting at caisson queue" before), and the
// filter it keeps to, which the label left out.
func TestABulkRefreshNamesTheTabAndTheFilterItFetches(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7", "/", "z", "z", "q", "enter", "R")...)
	mustContain(t, plain(m), `refreshed All matching "zzq": 0/0`)
	pump(t, m, keys("esc", "esc", "2", "R")...)
	mustContain(t, plain(m), "refreshed Waiting at Caisson: ")
}

// A filter stays as the reviewer changes tabs; an empty tab says the
// filter found nothing there, and how to drop it, where it said "no
// checks here" under a tab bar counting 150 (helper-67, at 80x24, where
// the title naming the filter is cut).
func TestAnEmptyFilteredTabSaysTheFilterFoundNothing(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("/", "z", "z", "q", "enter", "2")...)
	mustContain(t, plain(m), `no checks here match "zzq" · esc clears the filter`)
	// The footer offers what can be done on an empty list, not decisions
	// (helper-69).
	keysLine := lastLines(plain(m), 1)
	mustContain(t, keysLine, "/ filter", "q quit")
	mustNotContain(t, keysLine, "a approve", "x reject")
	pump(t, m, keys("esc")...)
	mustNotContain(t, plain(m), "no checks here match")
	// With the refresh panel open, esc closes the panel first.
	pump(t, m, keys("/", "z", "z", "q", "enter", "R")...)
	mustContain(t, plain(m), `no checks here match "zzq" · / changes the filter`)
	pump(t, m, keys("esc")...)
	mustContain(t, plain(m), `no checks here match "zzq" · esc clears the filter`)
}

// A refresh that could not read its queue stopped before it knew what
// to fetch: the footer says why, not "0 not fetched: refreshed 0 of 0"
// (helper-70).
func TestABatchThatCouldNotReadItsQueueSaysWhy(t *testing.T) {
	b := &batch{label: "All", total: -1, running: false, err: errors.New("reading the queue: database is locked")}
	if got, want := b.endText(), "reading the queue: database is locked"; got != want {
		t.Errorf("footer %q, want %q", got, want)
	}
}
