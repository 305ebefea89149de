package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

func TestRefreshOfHealthyChecksSucceedsWithOneSummaryLine(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := f.sb.CheckIDs(20)
	// Indexes 47 and 53 of every hundred answer PENDING_REVIEW and
	// NOT_VERIFIED in the sandbox; the first 20 are all results.
	f.runStdin(strings.Join(ids, "\n"), "add", "-")
	r := f.must(0, "refresh", "--all", "--concurrency", "4")
	if r.stdout != "" {
		t.Errorf("refresh writes nothing on stdout, got %q", r.stdout)
	}
	if got := strings.TrimSpace(r.stderr); got != "refreshed 20 of 20 checks" {
		t.Errorf("stderr: want one summary line, got %q", r.stderr)
	}
	for _, id := range ids {
		if rec := f.get(id); rec.Outcome != store.OutcomeOK || rec.Result == nil {
			t.Fatalf("%s: want a cached result, got outcome %q", id, rec.Outcome)
		}
	}
}

func TestRefreshListsEveryFailureWithItsReasonAndExitsOne(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	healthy := f.sb.CheckIDs(6)
	pending := f.sb.ErrorCheckID(string(caisson.CodePendingReview))
	deleted := f.sb.ErrorCheckID(string(caisson.CodeIDCheckDeleted))
	flaky := healthy[1]
	// More failures than the client's tries: this fetch fails for good.
	f.sb.FailNext(flaky, 20, sandbox.Fail503)
	recovers := healthy[2]
	f.sb.FailNext(recovers, 1, sandbox.FailInternal) // retried, then fine
	f.runStdin(strings.Join(append(healthy, pending, deleted), "\n"), "add", "-")
	untracked := f.sb.CheckID(50)

	r := f.run(append([]string{"refresh", untracked}, append(healthy, pending, deleted)...)...)
	if r.code != 1 {
		t.Fatalf("want exit 1, got\n%s", r)
	}
	mustContain(t, "stderr", r.stderr,
		"failed "+untracked+": not tracked",
		"failed "+flaky+": Caisson's answer could not be read (HTTP 503)",
		"not ready "+pending+": Caisson's own reviewers still have this check",
		"failed "+deleted+": ",
		"refreshed 5 of 9 checks, 1 not ready at Caisson, 3 failed",
	)
	if strings.Contains(r.stderr, "failed "+pending) {
		t.Errorf("a check pending at Caisson was counted as a failure:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, recovers) {
		t.Errorf("a failure the client recovered from was listed:\n%s", r.stderr)
	}
	if rec := f.get(pending); rec.Outcome != store.FetchOutcome(caisson.CodePendingReview) {
		t.Errorf("pending check: want outcome PENDING_REVIEW stored, got %q", rec.Outcome)
	}
	if rec := f.get(recovers); rec.Outcome != store.OutcomeOK {
		t.Errorf("recovered check: want ok, got %q", rec.Outcome)
	}
}

func TestRefreshOfAQueue(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	pending := f.sb.ErrorCheckID(string(caisson.CodePendingReview))
	notVerified := f.sb.ErrorCheckID(string(caisson.CodeNotVerified))
	f.must(0, "add", f.sb.CheckID(0), pending, notVerified)
	// Checks still with Caisson are normal outcomes, not failures: a cron
	// job refreshing everything must not alert on them.
	r := f.must(0, "refresh", "--all")
	mustContain(t, "stderr", r.stderr, "not ready "+pending, "not ready "+notVerified, "refreshed 1 of 3 checks, 2 not ready at Caisson")
	before := len(f.sb.Requests())
	r = f.must(0, "refresh", "--queue", "pending")
	mustContain(t, "stderr", r.stderr, "refreshed 0 of 2 checks, 2 not ready at Caisson")
	if got := len(f.sb.Requests()) - before; got != 2 {
		t.Errorf("refreshing the pending queue sent %d requests, want 2 (PENDING_REVIEW and NOT_VERIFIED)", got)
	}
}

func TestRefreshUsageErrors(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	for name, args := range map[string][]string{
		"nothing to refresh":     {"refresh"},
		"both all and queue":     {"refresh", "--all", "--queue", "pending"},
		"ids and all":            {"refresh", f.sb.CheckID(0), "--all"},
		"unknown queue":          {"refresh", "--queue", "someday"},
		"zero concurrency":       {"refresh", "--all", "--concurrency", "0"},
		"not a number":           {"refresh", "--all", "--concurrency", "many"},
		"a token is not a check": {"refresh", f.sb.NewToken(0)},
	} {
		t.Run(name, func(t *testing.T) {
			if r := f.run(args...); r.code != 2 {
				t.Fatalf("want exit 2, got\n%s", r)
			}
		})
	}
}

func TestProgressBarDrawsOnlyOnATerminal(t *testing.T) {
	var tty, pipe strings.Builder
	for _, c := range []struct {
		w   *strings.Builder
		tty bool
	}{{&tty, true}, {&pipe, false}} {
		p := newProgress(c.w, c.tty, 4)
		for i := range 4 {
			p.step(i == 2)
		}
		p.finish()
	}
	if pipe.Len() != 0 {
		t.Errorf("not a terminal: want nothing drawn, got %q", pipe.String())
	}
	mustContain(t, "the bar", tty.String(), "0/4", "4/4  1 failed", "\r\x1b[2K")
	if !strings.HasSuffix(tty.String(), "\r\x1b[2K") {
		t.Errorf("the bar is not cleared at the end: %q", tty.String())
	}
}

func TestRefreshAllSkipsChecksWhoseLastAnswerWasFinal(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	deleted := f.sb.ErrorCheckID(string(caisson.CodeIDCheckDeleted))
	f.must(0, "add", f.sb.CheckID(0), deleted)
	r := f.must(1, "refresh", "--all") // the first answer is a failure worth seeing
	mustContain(t, "stderr", r.stderr, "failed "+deleted)

	before := len(f.sb.Requests())
	r = f.must(0, "refresh", "--all") // and not every night after
	mustContain(t, "stderr", r.stderr, "skipped 1 check whose last answer was final", "refreshed 1 of 1 checks")
	for _, req := range f.sb.Requests()[before:] {
		if req.CheckID == deleted {
			t.Errorf("refresh --all asked again for a check Caisson said was deleted")
		}
	}
	// Named, it is asked again.
	r = f.must(1, "refresh", deleted)
	mustContain(t, "stderr", r.stderr, "failed "+deleted)
}

// A check whose answer was final is not shown with advice to refresh it:
// the refresh would get the same answer.
func TestShowDoesNotSendTheReviewerToRefreshACheckWhoseAnswerWasFinal(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	expired := f.sb.ErrorCheckID(string(caisson.CodeIDCheckExpired))
	pending := f.sb.ErrorCheckID(string(caisson.CodePendingReview))
	f.must(0, "add", expired, pending)
	f.must(1, "refresh", "--all")

	r := f.must(0, "show", expired)
	mustContain(t, "show of an expired check", r.stdout, "none cached, and Caisson will not send it: its answer IDCHECK_EXPIRED is final")
	if strings.Contains(r.stdout, "refresh") {
		t.Errorf("show sends the reviewer to refresh a check whose answer was final:\n%s", r.stdout)
	}
	r = f.must(0, "show", pending)
	mustContain(t, "show of a check waiting at Caisson", r.stdout, "none cached: run caisson-review refresh "+pending)
}

// A rotated key in a nightly cron job: the refresh stops at once (the
// service's TestRefreshWithARefusedKeyStopsAtOnceAndStoresNothing shows
// that nothing is stored) and the command says why in one line, exit 1.
func TestRefreshWithARefusedKeyStopsAtOnceAndSaysSoInOneLine(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := f.sb.CheckIDs(20)
	f.runStdin(strings.Join(ids, "\n"), "add", "-")
	countsBefore := f.counts()

	const wrongKey = "sk_test_RotatedAway_0000000000"
	r := runCLI(t, withEnv(f.env, envAPIKey, wrongKey), "", "refresh", "--all", "--concurrency", "4")
	if r.code != 1 {
		t.Fatalf("want exit 1, got\n%s", r)
	}
	want := fmt.Sprintf("Caisson refused the API key: nothing more was fetched; 0 checks stored before it, %d not fetched", len(ids))
	if got := strings.TrimSpace(r.stderr); got != want {
		t.Errorf("stderr: want the one line\n%s\ngot\n%s", want, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, wrongKey) {
		t.Errorf("the refused key was printed:\n%s", r)
	}
	if got := f.counts(); fmt.Sprint(got) != fmt.Sprint(countsBefore) {
		t.Errorf("queues changed under a refused key:\nwas %v\nnow %v", countsBefore, got)
	}
}

func (f *fixture) counts() store.Counts {
	f.t.Helper()
	c, err := f.openStore().Counts(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// refreshAllThrough refreshes 30 checks fetched before through the API
// address api gives (Caisson out of reach, a refusing proxy), wants exit 1
// and every queue as it was, and returns the run.
func refreshAllThrough(t *testing.T, api func(t *testing.T) string) result {
	t.Helper()
	f := newFixture(t, sandbox.Options{})
	ids := f.sb.CheckIDs(30)
	f.runStdin(strings.Join(ids, "\n"), "add", "-")
	f.must(0, "refresh", "--all")
	countsBefore := f.counts()
	r := runCLI(t, withEnv(f.env, envAPIURL, api(t)), "", "refresh", "--all", "--concurrency", "4")
	if r.code != 1 {
		t.Fatalf("want exit 1, got\n%s", r)
	}
	if got := f.counts(); fmt.Sprint(got) != fmt.Sprint(countsBefore) {
		t.Errorf("queues changed:\nwas %v\nnow %v", countsBefore, got)
	}
	return r
}

// Caisson out of reach for a nightly cron job: the refresh stops after a
// run of failures rather than mark every check failed, says so in one
// line after the summary, exit 1, and no queue moves.
func TestRefreshWithCaissonOutOfReachStopsAndMarksNoCheckFailed(t *testing.T) {
	r := refreshAllThrough(t, func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l.Close() // nothing listens there now: every connection is refused
		return "http://" + l.Addr().String()
	})
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 || strings.HasPrefix(lines[0], "failed ") {
		t.Errorf("stderr: want the summary and one line, no check listed as failed; got\n%s", r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "refreshed 0 of 30 checks",
		"Caisson unavailable for 8 checks in a row: stopped, no check marked failed; 0 checks stored before it, 30 not fetched. Could not reach Caisson")
}

// A proxy answering every request with a page of its own (a 403 from a
// bank's egress proxy) is no fact about the checks either: the refresh
// stops after a run of them and no check moves to Errors.
func TestRefreshThroughAProxyRefusingEveryRequestMarksNoCheckFailed(t *testing.T) {
	r := refreshAllThrough(t, func(t *testing.T) string {
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintln(w, "Access denied by policy")
		}))
		t.Cleanup(proxy.Close)
		return proxy.URL
	})
	mustContain(t, "stderr", r.stderr, "Caisson unavailable for 8 checks in a row: stopped, no check marked failed", "(HTTP 403)")
}

func TestAStoppedRefreshSaysHowManyItDidNotFetchOnlyWhenAny(t *testing.T) {
	const summary = "refreshed 10 of 12 checks, 2 fetched but not stored"
	if got := stoppedSummary(summary, 0); got != summary {
		t.Errorf("nothing left to fetch: %q, want the summary alone", got)
	}
	if got, want := stoppedSummary(summary, 3), summary+"; stopped before 3 were fetched"; got != want {
		t.Errorf("three left: %q, want %q", got, want)
	}
}
