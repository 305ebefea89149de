package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// DefaultConcurrency is how many fetches a refresh keeps in flight when
// it is given no number.
const DefaultConcurrency = 8

// queuePage is how many rows are read from the store at a time to collect
// a queue: a queue of 100,000 is never read in one query.
const queuePage = 1000

// recordTimeout bounds recording one result; a local write that takes
// this long is stuck.
const recordTimeout = 30 * time.Second

// FailureKind is why one check of a batch failed: the one set every front
// end reports.
type FailureKind int

const (
	// FetchFailed: Caisson answered an error for the check, or could not
	// be reached for it. Recorded: the check is in Errors.
	FetchFailed FailureKind = iota + 1
	// NotTracked: the id was named but is not tracked; a refresh never
	// starts tracking a check behind the reviewer's back.
	NotTracked
	// NotRecorded: fetched, but storing the answer failed.
	NotRecorded
)

// Failure is one check of a batch that failed.
type Failure struct {
	CheckID string
	Kind    FailureKind
	Err     error
}

// Reason is the failure in a sentence, for a list of failures.
func (f Failure) Reason() string {
	switch f.Kind {
	case NotTracked:
		return "not tracked: add it first"
	case NotRecorded:
		return "fetched but not recorded: " + f.Err.Error()
	}
	return caisson.Explain(f.Err)
}

func (f Failure) Error() string { return f.CheckID + ": " + f.Reason() }

func (f Failure) Unwrap() error { return f.Err }

// Result is one check of a refresh, once recorded (or not).
type Result struct {
	CheckID string
	// Err is Caisson's answer when it was not a result.
	Err error
	// NotRecorded is why storing the answer failed, when it did.
	NotRecorded error
	// Decided, for a check Caisson has no result for yet, is the status
	// of the reviewer's decision it stays in ("" when undecided: it
	// waits at Caisson). A decision wins over Caisson's answer.
	Decided store.Status
}

// NotReady reports whether Caisson has no result for the check yet, for an
// ordinary reason (caisson.NotReady): a normal outcome, not a failure.
func (r Result) NotReady() bool { return r.NotRecorded == nil && caisson.NotReady(r.Err) }

// Failure is the result as a failure, when it is one.
func (r Result) Failure() (Failure, bool) {
	switch {
	case r.NotRecorded != nil:
		return Failure{CheckID: r.CheckID, Kind: NotRecorded, Err: r.NotRecorded}, true
	case r.Err != nil && !caisson.NotReady(r.Err):
		return Failure{CheckID: r.CheckID, Kind: FetchFailed, Err: r.Err}, true
	}
	return Failure{}, false
}

// Skipped counts the checks of a queue a refresh did not ask for. Named,
// each is asked for all the same.
type Skipped struct {
	// Final: the last answer was final (deleted or expired at Caisson):
	// asking again would get the same answer every night and make a cron
	// job alert for ever.
	Final int
	// Purged: the personal data was purged (purge --older-than): fetched
	// again every night, it would be back the next morning, and a
	// retention purge would mean nothing.
	Purged int
}

// Total is how many checks were skipped.
func (s Skipped) Total() int { return s.Final + s.Purged }

// RefreshOptions tune a refresh and let a front end show its progress.
type RefreshOptions struct {
	// Concurrency is the number of fetches in flight (DefaultConcurrency
	// when 0).
	Concurrency int
	// Started, when set, is called once with the number of checks about
	// to be fetched (and, for a queue, how many were skipped).
	Started func(total int, skipped Skipped)
	// Each, when set, is called with every result once it is recorded,
	// one at a time.
	Each func(Result)
}

// Report is what a refresh did.
type Report struct {
	// Asked is how many checks were to be fetched; Answered how many
	// answers came back (Asked less those never fetched).
	Asked, Answered int
	// Refreshed is how many results were stored.
	Refreshed int
	// Waiting are the checks Caisson has no result for yet, in the order
	// asked; Decided those of them already decided, which stay in their
	// decision's queue (counted apart so each number matches a queue).
	Waiting, Decided []Result
	// Failures are listed with the checks not tracked first, then in the
	// order asked, not the order the answers came in.
	Failures []Failure
	// Skipped is how many checks of a queue were not asked for, and why.
	Skipped Skipped
	// KeyRefused is set when Caisson refused the API key: the refresh
	// stopped there and stored nothing for the refused checks.
	KeyRefused *caisson.BatchKeyRefusedError
	// Unavailable is set when Caisson, not a check, failed: it asked for
	// a long wait, or could not be reached for caisson.UnavailableRun
	// checks in a row. The refresh stopped there; those checks keep their
	// last result and queue.
	Unavailable *caisson.BatchStoppedError
	// Cancelled: the refresh was cancelled (what was fetched is kept).
	Cancelled bool
	// Stopped is any other reason the batch ended early: the store
	// refusing a batch of answers whole (store.BatchNotStoredError) is
	// one, and then NotStored answers were fetched but not stored.
	Stopped   error
	NotStored int
	// NotRecorded is the first answer that could not be stored on its
	// own; those of a batch the store refused whole are NotStored, and
	// the store's error is Stopped, said once (a front end saying each
	// such answer again, as the console did as it closed, blames them).
	NotRecorded error
}

// NotFetched is how many checks were never fetched (stopped early).
func (r Report) NotFetched() int { return r.Asked - r.Answered }

// Err is what ended the batch early, nil when it ran to the end.
func (r Report) Err() error {
	switch {
	case r.KeyRefused != nil:
		return r.KeyRefused
	case r.Unavailable != nil:
		return r.Unavailable
	case r.Cancelled:
		return context.Canceled
	}
	return r.Stopped
}

// Refresh fetches the named checks (each once, whatever the repeats) with
// every optional field and records each answer as it arrives. An id that
// is not tracked is a failure, not fetched. Cancelling ctx starts nothing
// new; answers that arrived are still stored. A refused API key stops the
// batch at once and stores nothing for the refused checks. The error is
// for the store failing to say which ids are tracked.
func (s *Service) Refresh(ctx context.Context, ids []string, o RefreshOptions) (Report, error) {
	if s.api == nil {
		return Report{}, s.offline()
	}
	known, untracked, err := s.trackedOnly(ctx, ids)
	if err != nil {
		return Report{}, err
	}
	rep := s.fetch(ctx, known, Skipped{}, o)
	rep.Failures = append(untracked, rep.Failures...)
	return rep, nil
}

// RefreshQueue refreshes every check of q, skipping those whose last
// answer was final (IDCHECK_DELETED, IDCHECK_EXPIRED) and those whose
// personal data was purged (Skipped says why); naming one to Refresh
// still asks. The error is for reading the queue.
func (s *Service) RefreshQueue(ctx context.Context, q store.PageQuery, o RefreshOptions) (Report, error) {
	if s.api == nil {
		return Report{}, s.offline()
	}
	ids, skipped, err := s.queueIDs(ctx, q)
	if err != nil {
		return Report{}, err
	}
	return s.fetch(ctx, ids, skipped, o), nil
}

// RefreshOne fetches one check and records the answer; its failures are
// in the Result. The error is for being offline.
func (s *Service) RefreshOne(ctx context.Context, checkID string) (Result, error) {
	if s.api == nil {
		return Result{}, s.offline()
	}
	chk, err := s.api.GetCheck(ctx, checkID)
	return s.record(ctx, caisson.Result{CheckID: checkID, Check: chk, Err: err}), nil
}

// FinalOutcome reports whether Caisson's answer will be the same for ever:
// the check was deleted there, or its result expired.
func FinalOutcome(o store.FetchOutcome) bool {
	c := caisson.ErrorCode(o)
	return c == caisson.CodeIDCheckDeleted || c == caisson.CodeIDCheckExpired
}

func (s *Service) fetch(ctx context.Context, ids []string, skipped Skipped, o RefreshOptions) Report {
	rep := Report{Asked: len(ids), Skipped: skipped}
	if o.Started != nil {
		o.Started(len(ids), skipped)
	}
	results := make(map[string]Result, len(ids))
	// Answers are stored in batches, one transaction each (group commit),
	// and reported once their batch is on disk: from the writer's
	// goroutine, one at a time, before it commits the next batch.
	w := store.NewFetchWriterOn(s.fetchRecorder(), store.FetchWriterOptions{})
	// A batch the store refuses whole (its server gone, its file locked)
	// stops the fetching: every answer after it would be fetched from
	// Caisson, personal data and all, only to be thrown away.
	fetchCtx, stopFetching := context.WithCancel(ctx)
	defer stopFetching()
	var notStored error
	reported := func(r caisson.Result, err error) {
		res := s.recorded(ctx, r, err)
		results[r.CheckID] = res
		rep.Answered++
		if whole := (*store.BatchNotStoredError)(nil); errors.As(err, &whole) {
			rep.NotStored++
			if notStored == nil {
				notStored = whole.Err
				stopFetching()
			}
		} else if res.NotRecorded != nil && rep.NotRecorded == nil {
			rep.NotRecorded = fmt.Errorf("recording the refresh of %s: %w", r.CheckID, res.NotRecorded)
		}
		if o.Each != nil {
			o.Each(res)
		}
	}
	err := s.api.FetchMany(fetchCtx, ids, o.Concurrency, func(r caisson.Result) {
		w.Submit(store.FetchResult{CheckID: r.CheckID, Check: r.Check, Err: r.Err, At: s.o.Now()},
			func(err error) { reported(r, err) })
	})
	// What arrived is stored even when the batch was cancelled: an
	// answer that has arrived would otherwise only be fetched again.
	w.Close()
	for _, id := range ids {
		res, ok := results[id]
		if !ok {
			continue
		}
		if errors.As(res.NotRecorded, new(*store.BatchNotStoredError)) {
			continue // counted in NotStored, said once in Stopped
		}
		if f, failed := res.Failure(); failed {
			rep.Failures = append(rep.Failures, f)
			continue
		}
		switch {
		case res.NotReady() && res.Decided != "":
			rep.Decided = append(rep.Decided, res)
		case res.NotReady():
			rep.Waiting = append(rep.Waiting, res)
		default:
			rep.Refreshed++
		}
	}
	switch {
	case errors.As(err, &rep.KeyRefused):
	case errors.As(err, &rep.Unavailable):
	case notStored != nil && ctx.Err() == nil:
		rep.Stopped = fmt.Errorf("the answers cannot be stored: %w", notStored)
	case err == nil:
	case errors.Is(err, context.Canceled):
		rep.Cancelled = true
	default:
		rep.Stopped = err
	}
	return rep
}

// fetchBatcher is a Store that records many answers in one transaction;
// *store.Store is one.
type fetchBatcher interface {
	RecordFetches(ctx context.Context, results []store.FetchResult) ([]error, error)
}

// fetchRecorder is what a refresh stores its answers through: the
// store's batches when it has them, else one transaction per answer (a
// Store that only records one at a time is still correct, only slower).
func (s *Service) fetchRecorder() store.FetchRecorder {
	if b, ok := s.st.(fetchBatcher); ok {
		return b
	}
	return oneByOne{s.st}
}

type oneByOne struct{ st Store }

func (o oneByOne) RecordFetches(ctx context.Context, results []store.FetchResult) ([]error, error) {
	errs := make([]error, len(results))
	for i, r := range results {
		rctx, cancel := context.WithTimeout(ctx, recordTimeout)
		errs[i] = o.st.RecordFetch(rctx, r.CheckID, r.Check, r.Err, r.At)
		cancel()
	}
	return errs, nil
}

// record stores one answer. Storing is not cancelled with the batch: an
// answer that has arrived is kept, or it would only be fetched again.
func (s *Service) record(ctx context.Context, r caisson.Result) Result {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return s.recorded(rctx, r, s.st.RecordFetch(rctx, r.CheckID, r.Check, r.Err, s.o.Now()))
}

// recorded is the Result of an answer whose storing ended with err (nil:
// on disk).
func (s *Service) recorded(ctx context.Context, r caisson.Result, err error) Result {
	res := Result{CheckID: r.CheckID, Err: r.Err}
	if err != nil {
		res.NotRecorded = err
		return res
	}
	if caisson.NotReady(r.Err) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
		// One that cannot be read counts as waiting.
		if rec, err := s.st.Get(rctx, r.CheckID); err == nil && rec.Status != store.StatusOpen {
			res.Decided = rec.Status
		}
	}
	return res
}

// trackedOnly keeps the ids the store knows, once each, in order; the
// others are failures.
func (s *Service) trackedOnly(ctx context.Context, ids []string) ([]string, []Failure, error) {
	var known []string
	var untracked []Failure
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		_, err := s.st.Get(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			untracked = append(untracked, Failure{CheckID: id, Kind: NotTracked, Err: store.ErrNotFound})
		case err != nil:
			return nil, nil, fmt.Errorf("looking up %s: %w", id, err)
		default:
			known = append(known, id)
		}
	}
	return known, untracked, nil
}

// trackedWalker is a Store that reads every tracked check in one walk;
// *store.Store is one.
type trackedWalker interface {
	EachTracked(ctx context.Context, each func(checkID string, outcome store.FetchOutcome, purged bool) error) error
}

// queueIDs reads the ids of q a page at a time, without those whose last
// answer was final or whose personal data was purged.
func (s *Service) queueIDs(ctx context.Context, q store.PageQuery) (ids []string, skipped Skipped, err error) {
	take := func(id string, o store.FetchOutcome, purged bool) {
		switch {
		case FinalOutcome(o):
			skipped.Final++
		case purged && !o.NotReady():
			// One waiting at Caisson is asked, purged or not: the poller
			// asks it too, and its wait ends only with an answer
			// (helper-58: a team refreshing from cron alone never saw it
			// end).
			skipped.Purged++
		default:
			ids = append(ids, id)
		}
	}
	if t, ok := s.st.(trackedWalker); ok && q.Queue == store.QueueAll && q.Filter == "" && q.Customer == "" {
		// Every check, in one walk: pages cost a walk to each offset.
		err := t.EachTracked(ctx, func(id string, o store.FetchOutcome, purged bool) error {
			take(id, o, purged)
			return nil
		})
		return ids, skipped, err
	}
	q.Limit = queuePage
	for q.Offset = 0; ; q.Offset += queuePage {
		rows, err := s.st.Page(ctx, q)
		if err != nil {
			return nil, Skipped{}, err // it says which queue it was reading
		}
		for _, r := range rows {
			take(r.CheckID, r.Outcome, r.Purged)
		}
		if len(rows) < queuePage {
			return ids, skipped, nil
		}
	}
}
