package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["refresh"] = `
Fetches the given checks (or --all, or one --queue) from the API with every
optional field, and caches the results. On a terminal a progress bar shows
on standard error; otherwise one summary line. Every check that could not
be fetched is listed with the reason, and the exit status is then 1.
Checks still with Caisson (PENDING_REVIEW: its reviewers have it;
NOT_VERIFIED: the person has not finished) are listed as not ready; they
are normal outcomes, not failures, and leave the exit status 0. They are
the pending queue (Waiting at Caisson), unless a reviewer has already
decided one, which then stays in its decision's queue and is counted so.
With --all or --queue, checks whose last answer was final
(IDCHECK_DELETED, IDCHECK_EXPIRED) and checks whose personal data was
purged (purge --older-than) are skipped and counted; name one to ask
again.
Ctrl-C stops starting new requests and keeps what was already fetched.
If Caisson refuses the API key, the refresh stops there: nothing more is
fetched, no check is marked failed for it (each keeps its last answer),
one line says so, and the exit status is 1.

  caisson-review refresh --all
  caisson-review refresh --queue pending --concurrency 4`
}

// refreshFlags are refresh's own flags.
type refreshFlags struct {
	all         bool
	queue       string
	stale       string
	concurrency int
}

func wireRefresh(a *app, c *cobra.Command) runFunc {
	var f refreshFlags
	c.Flags().BoolVar(&f.all, "all", false, "refresh every tracked check")
	c.Flags().StringVar(&f.queue, "queue", "", "refresh the checks in queue Q (needs-review, pending, escalated, approved, rejected, errors, all)")
	c.Flags().StringVar(&f.stale, "stale", "", "refresh the checks last fetched longer ago than AGE (7d, 36h)")
	c.Flags().IntVar(&f.concurrency, "concurrency", 8, "at most N requests in flight")
	c.ValidArgsFunction = a.completeCheckIDs
	completeFlag(c, "queue", completeQueues)
	completeFlag(c, "concurrency", cobra.NoFileCompletions)
	completeFlag(c, "stale", cobra.FixedCompletions([]string{"7d", "30d"}, cobra.ShellCompDirectiveNoFileComp))
	return func(ctx context.Context, pos []string) error { return cmdRefresh(ctx, a, f, pos) }
}

func cmdRefresh(ctx context.Context, a *app, f refreshFlags, pos []string) error {
	if f.concurrency < 1 || f.concurrency > 64 {
		return usageErrorf("refresh", "--concurrency %d: expected 1 to 64", f.concurrency)
	}
	if n := countTrue(f.all, f.queue != "", f.stale != ""); n > 1 {
		return usageErrorf("refresh", "%s both given: expected one of them", strings.Join(given(f), " and "))
	}
	if len(pos) > 0 && (f.all || f.queue != "" || f.stale != "") {
		return usageErrorf("refresh", "check ids and --all/--queue/--stale both given: expected one or the other")
	}
	var staleAge time.Duration
	if f.stale != "" {
		d, err := parseDuration(f.stale)
		if err != nil {
			return usageErrorf("refresh", "--stale %s: %s", sanitize.Line(strconv.Quote(f.stale)), err.Error())
		}
		staleAge = d
	}
	var queue store.Queue
	var err error
	switch {
	case f.all:
		queue = store.QueueAll
	case f.queue != "":
		if queue, err = store.ParseQueue(f.queue); err != nil {
			return usageErrorf("refresh", "%s", err.Error())
		}
	case len(pos) == 0 && f.stale == "":
		return usageErrorf("refresh", "which checks? give check ids, --all, --queue Q or --stale AGE")
	}
	ids := make([]string, 0, len(pos))
	for i, p := range pos {
		id, err := caisson.ParseCheckRef(p)
		if err != nil {
			return usageErrorf("refresh", "argument %d: %s", i+1, err.Error())
		}
		ids = append(ids, id)
	}

	svc, st, err := a.onlineService(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if staleAge > 0 {
		if ids, err = st.Stale(ctx, now().Add(-staleAge)); err != nil {
			return err
		}
		if len(ids) == 0 {
			fmt.Fprintf(a.stderr, "no check was last fetched more than %s ago\n", sanitize.Line(f.stale))
			return nil
		}
	}
	before, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading the decision log's head: %w", err)
	}
	bar := &progressReport{w: a.stderr, tty: isTerminal(a.stderr)}
	opts := service.RefreshOptions{Concurrency: f.concurrency, Started: bar.started, Each: bar.each}
	var rep service.Report
	if queue != "" {
		rep, err = svc.RefreshQueue(ctx, store.PageQuery{Queue: queue}, opts)
	} else {
		rep, err = svc.Refresh(ctx, ids, opts)
	}
	bar.finish()
	if err != nil {
		return err
	}
	// Whatever the refresh's outcome, the voids it wrote are in the log.
	err = a.reportRefresh(rep)
	if herr := a.noteHeadMoved(ctx, st, before); err == nil {
		err = herr
	}
	return err
}

// progressReport draws the bar as the service reports the batch.
type progressReport struct {
	w   io.Writer
	tty bool
	bar *progress
}

func (p *progressReport) started(total int, skipped service.Skipped) {
	if skipped.Final > 0 {
		// Asking again would fail the same way every night and make a
		// cron job alert for ever; naming the id still refreshes it.
		fmt.Fprintf(p.w, "skipped %s whose last answer was final (IDCHECK_DELETED or IDCHECK_EXPIRED); name them to ask again\n", plural(skipped.Final, "check"))
	}
	if skipped.Purged > 0 {
		// Fetched again, the data would be back until the next purge.
		fmt.Fprintf(p.w, "skipped %s whose personal data was purged; name them to fetch it again\n", plural(skipped.Purged, "check"))
	}
	p.bar = newProgress(p.w, p.tty, total)
}

func (p *progressReport) each(r service.Result) {
	_, failed := r.Failure()
	p.bar.step(failed)
}

func (p *progressReport) finish() {
	if p.bar != nil {
		p.bar.finish()
	}
}

// reportRefresh lists what is not ready and what failed, then one summary
// line, counted as the queues count.
func (a *app) reportRefresh(rep service.Report) error {
	for _, r := range rep.Waiting {
		fmt.Fprintln(a.stderr, sanitize.Line(fmt.Sprintf("not ready %s: %s", r.CheckID, caisson.Explain(r.Err))))
	}
	for _, r := range rep.Decided {
		// A decision wins over Caisson's answer: such a check stays in
		// its decision's queue, and the summary says so, so that its
		// numbers still match the pending queue's.
		fmt.Fprintln(a.stderr, sanitize.Line(fmt.Sprintf("not ready %s: %s (already %s: it stays in that queue)",
			r.CheckID, caisson.Explain(r.Err), r.Decided)))
	}
	for _, f := range rep.Failures {
		reason := f.Reason()
		if f.Kind == service.NotTracked {
			reason += " with " + progName + " add"
		}
		fmt.Fprintln(a.stderr, sanitize.Line(fmt.Sprintf("failed %s: %s", f.CheckID, reason)))
	}
	notReady := len(rep.Waiting) + len(rep.Decided)
	summary := fmt.Sprintf("refreshed %d of %d checks", rep.Refreshed, rep.Refreshed+notReady+len(rep.Failures)+rep.NotStored+rep.NotFetched())
	if notReady > 0 {
		summary += fmt.Sprintf(", %d not ready at Caisson", notReady)
		if n := len(rep.Decided); n > 0 {
			summary += fmt.Sprintf(" (%d of them already decided)", n)
		}
	}
	if len(rep.Failures) > 0 {
		summary += fmt.Sprintf(", %d failed", len(rep.Failures))
	}
	if rep.NotStored > 0 {
		// Said once, with the store's error below, not once a check: the
		// store refused their batch whole, which says nothing about them.
		summary += fmt.Sprintf(", %d fetched but not stored", rep.NotStored)
	}
	if rep.KeyRefused != nil {
		// Once, not once per check: the key is wrong, not the checks, and
		// none of them was stored as failed (store.RecordFetch).
		fmt.Fprintln(a.stderr, rep.KeyRefused.Error())
		return errReported
	}
	if rep.Unavailable != nil {
		// Likewise once: Caisson was down or asked to wait, which says
		// nothing about the checks, none of which was marked failed.
		fmt.Fprintln(a.stderr, summary)
		fmt.Fprintln(a.stderr, sanitize.Line(rep.Unavailable.Error()))
		return errReported
	}
	if err := rep.Err(); err != nil {
		fmt.Fprintln(a.stderr, stoppedSummary(summary, rep.NotFetched()))
		return fmt.Errorf("refresh stopped: %w", err)
	}
	fmt.Fprintln(a.stderr, summary)
	if len(rep.Failures) > 0 {
		return errReported
	}
	return nil
}

// stoppedSummary is the summary of a refresh that stopped, with how many
// checks it stopped before fetching, when any: a batch the store refused
// may be the last ("stopped before 0 were fetched" read as nonsense; the
// error that follows says why it stopped).
func stoppedSummary(summary string, notFetched int) string {
	if notFetched == 0 {
		return summary
	}
	return fmt.Sprintf("%s; stopped before %d were fetched", summary, notFetched)
}

// given names the batch flags given.
func given(f refreshFlags) []string {
	var names []string
	for _, g := range []struct {
		name string
		set  bool
	}{{"--all", f.all}, {"--queue", f.queue != ""}, {"--stale", f.stale != ""}} {
		if g.set {
			names = append(names, g.name)
		}
	}
	return names
}

// countTrue is how many of the conditions hold.
func countTrue(conds ...bool) int {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	return n
}
