package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
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
(IDCHECK_DELETED, IDCHECK_EXPIRED) are skipped and counted; name one to
ask again.
Ctrl-C stops starting new requests and keeps what was already fetched.
If Caisson refuses the API key, the refresh stops there: nothing more is
fetched, no check is marked failed for it (each keeps its last answer),
one line says so, and the exit status is 1.

  caisson-review refresh --all
  caisson-review refresh --queue pending --concurrency 4`
}

// pageSize is how many ids are read from the store per query when
// collecting a queue.
const pageSize = 1000

// refreshFlags are refresh's own flags.
type refreshFlags struct {
	all         bool
	queue       string
	concurrency int
}

func wireRefresh(a *app, c *cobra.Command) runFunc {
	var f refreshFlags
	c.Flags().BoolVar(&f.all, "all", false, "refresh every tracked check")
	c.Flags().StringVar(&f.queue, "queue", "", "refresh the checks in queue Q (needs-review, pending, escalated, approved, rejected, errors, all)")
	c.Flags().IntVar(&f.concurrency, "concurrency", 8, "at most N requests in flight")
	c.ValidArgsFunction = a.completeCheckIDs
	completeFlag(c, "queue", completeQueues)
	completeFlag(c, "concurrency", cobra.NoFileCompletions)
	return func(ctx context.Context, pos []string) error { return cmdRefresh(ctx, a, f, pos) }
}

func cmdRefresh(ctx context.Context, a *app, f refreshFlags, pos []string) error {
	if f.concurrency < 1 || f.concurrency > 64 {
		return usageErrorf("refresh", "--concurrency %d: expected 1 to 64", f.concurrency)
	}
	if f.all && f.queue != "" {
		return usageErrorf("refresh", "--all and --queue both given: expected one of them")
	}
	if len(pos) > 0 && (f.all || f.queue != "") {
		return usageErrorf("refresh", "check ids and --all/--queue both given: expected one or the other")
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
	case len(pos) == 0:
		return usageErrorf("refresh", "which checks? give check ids, --all or --queue Q")
	}
	ids := make([]string, 0, len(pos))
	for i, p := range pos {
		id, err := caisson.ParseCheckRef(p)
		if err != nil {
			return usageErrorf("refresh", "argument %d: %s", i+1, err.Error())
		}
		ids = append(ids, id)
	}

	client, err := a.client()
	if err != nil {
		return err
	}
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	reviewer, err := a.reviewer()
	if err != nil {
		return err
	}
	if err := a.resumeExchanges(ctx, st, client, reviewer); err != nil {
		return err
	}

	var failures []refreshFailure
	if queue != "" {
		rows, err := queueRows(ctx, st, store.PageQuery{Queue: queue})
		if err != nil {
			return err
		}
		var gone int
		ids, gone = withoutGone(rows)
		if gone > 0 {
			// Asking again would fail the same way every night and make a
			// cron job alert for ever; naming the id still refreshes it.
			fmt.Fprintf(a.stderr, "skipped %s whose last answer was final (IDCHECK_DELETED or IDCHECK_EXPIRED); name them to ask again\n", plural(gone, "check"))
		}
	} else {
		ids, failures, err = trackedOnly(ctx, st, ids)
		if err != nil {
			return err
		}
	}
	return a.refresh(ctx, st, client, ids, f.concurrency, failures)
}

type refreshFailure struct {
	checkID string
	reason  string
}

// trackedOnly keeps the ids the store knows; the others are failures,
// since refreshing must not start tracking a check behind the user's back.
func trackedOnly(ctx context.Context, st *store.Store, ids []string) ([]string, []refreshFailure, error) {
	var known []string
	var failures []refreshFailure
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		_, err := st.Get(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			failures = append(failures, refreshFailure{id, "not tracked: add it first with " + progName + " add"})
		case err != nil:
			return nil, nil, fmt.Errorf("looking up %s: %w", id, err)
		default:
			known = append(known, id)
		}
	}
	return known, failures, nil
}

// withoutGone is the ids of rows whose last answer from Caisson was not
// final: a deleted or expired check will answer the same for ever.
func withoutGone(rows []store.Row) (ids []string, gone int) {
	for _, r := range rows {
		if finalOutcome(r.Outcome) {
			gone++
		} else {
			ids = append(ids, r.CheckID)
		}
	}
	return ids, gone
}

// finalOutcome reports whether Caisson's answer will be the same for ever:
// the check was deleted there, or its result expired.
func finalOutcome(o store.FetchOutcome) bool {
	c := caisson.ErrorCode(o)
	return c == caisson.CodeIDCheckDeleted || c == caisson.CodeIDCheckExpired
}

// decidedStatus is the status of a decided check, "" for an open one (or
// one that cannot be read: the line then just says not ready).
func decidedStatus(ctx context.Context, st *store.Store, id string) string {
	rec, err := st.Get(ctx, id)
	if err != nil || rec.Status == store.StatusOpen {
		return ""
	}
	return string(rec.Status)
}

func queueRows(ctx context.Context, st *store.Store, q store.PageQuery) ([]store.Row, error) {
	var all []store.Row
	q.Limit = pageSize
	for q.Offset = 0; ; q.Offset += pageSize {
		rows, err := st.Page(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("reading queue %s: %w", q.Queue, err)
		}
		all = append(all, rows...)
		if len(rows) < pageSize {
			return all, nil
		}
	}
}

func (a *app) refresh(ctx context.Context, st *store.Store, client *caisson.Client, ids []string, concurrency int, failures []refreshFailure) error {
	// Results that arrive while stopping are still stored: the fetch
	// happened, and losing it would only mean fetching again.
	storeCtx := context.WithoutCancel(ctx)
	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	bar := newProgress(a.stderr, isTerminal(a.stderr), len(ids))
	var storeErr error
	reasons := map[string]string{} // failures
	waiting := map[string]string{} // not ready at Caisson yet: normal outcomes
	fetched := 0
	err := client.FetchMany(fetchCtx, ids, concurrency, func(r caisson.Result) {
		if storeErr != nil {
			return
		}
		if err := st.RecordFetch(storeCtx, r.CheckID, r.Check, r.Err, time.Now()); err != nil {
			storeErr = fmt.Errorf("storing the result of %s: %w", r.CheckID, err)
			cancel()
			return
		}
		fetched++
		switch {
		case caisson.NotReady(r.Err):
			waiting[r.CheckID] = caisson.Explain(r.Err)
		case r.Err != nil:
			reasons[r.CheckID] = caisson.Explain(r.Err)
		}
		bar.step(r.Err != nil && !caisson.NotReady(r.Err))
	})
	bar.finish()
	if storeErr != nil {
		return storeErr
	}
	// Listed in the order given, not the order the answers came in.
	for _, id := range ids {
		if why, ok := reasons[id]; ok {
			failures = append(failures, refreshFailure{id, why})
		}
	}
	decided := 0
	for _, id := range ids {
		why, ok := waiting[id]
		if !ok {
			continue
		}
		// A decision wins over Caisson's answer (queuePredicate): such a
		// check stays in its decision's queue, and the summary says so,
		// so that its numbers still match the pending queue's.
		if status := decidedStatus(storeCtx, st, id); status != "" {
			decided++
			why += " (already " + status + ": it stays in that queue)"
		}
		fmt.Fprintln(a.stderr, sanitize.Line(fmt.Sprintf("not ready %s: %s", id, why)))
	}
	for _, f := range failures {
		fmt.Fprintln(a.stderr, sanitize.Line(fmt.Sprintf("failed %s: %s", f.checkID, f.reason)))
	}
	ok := fetched - len(reasons) - len(waiting)
	summary := fmt.Sprintf("refreshed %d of %d checks", ok, len(ids)+len(failures)-len(reasons))
	if len(waiting) > 0 {
		summary += fmt.Sprintf(", %d not ready at Caisson", len(waiting))
		if decided > 0 {
			summary += fmt.Sprintf(" (%d of them already decided)", decided)
		}
	}
	if len(failures) > 0 {
		summary += fmt.Sprintf(", %d failed", len(failures))
	}
	var refused *caisson.BatchKeyRefusedError
	if errors.As(err, &refused) {
		// Once, not once per check: the key is wrong, not the checks, and
		// none of them was stored as failed (store.RecordFetch).
		fmt.Fprintln(a.stderr, refused.Error())
		return errReported
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "%s; stopped before %d were fetched\n", summary, len(ids)-fetched)
		return fmt.Errorf("refresh stopped: %w", err)
	}
	fmt.Fprintln(a.stderr, summary)
	if len(failures) > 0 {
		return errReported
	}
	return nil
}
