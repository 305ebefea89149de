package caisson

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// DefaultConcurrency is FetchMany's number of requests in flight when it is
// given none.
const DefaultConcurrency = 8

// Result is one check of a FetchMany: the check, or why it could not be
// fetched.
type Result struct {
	CheckID string
	Check   *Check
	Err     error
}

// BatchKeyRefusedError is how FetchMany ends when Caisson refuses the API
// key. A refused key says nothing about any check, so the refused fetches
// are not reported as results: callers that store each result then store
// nothing for them, and their previous outcomes stand.
type BatchKeyRefusedError struct {
	// Reported is how many results were handed to each before the
	// refusal stopped the batch; NotFetched the rest of the ids.
	Reported, NotFetched int
}

func (e *BatchKeyRefusedError) Error() string {
	return fmt.Sprintf("Caisson refused the API key: nothing more was fetched; %s stored before it, %d not fetched",
		checks(e.Reported), e.NotFetched)
}

func (e *BatchKeyRefusedError) Unwrap() error { return ErrKeyRefused }

// UnavailableRun is how many fetches in a row may find Caisson
// unavailable (Unavailable) before FetchMany stops: with three tries each,
// one such failure happens now and then; eight in a row is an outage.
const UnavailableRun = 8

// BatchStoppedError is how FetchMany ends when Caisson, rather than a
// check, failed: it asked to wait longer than the client waits for, or it
// was unavailable for UnavailableRun fetches in a row. Like a refused
// key, those fetches are facts about Caisson, not the checks: they are not
// reported, so a store keeps each check's last result and queue (a night
// of outage does not move every check to Errors), and the next refresh
// fetches them.
type BatchStoppedError struct {
	// Err is the last of the failures that stopped the batch.
	Err error
	// Run is how many fetches in a row found Caisson unavailable (1 for
	// a long wait); Reported and NotFetched as in BatchKeyRefusedError.
	Run, Reported, NotFetched int
}

// Error leads with the facts and ends with the advice, which a narrow
// footer may cut.
func (e *BatchStoppedError) Error() string {
	what := fmt.Sprintf("Caisson unavailable for %d checks in a row", e.Run)
	var we *WaitError
	if errors.As(e.Err, &we) {
		what = "Caisson asked to wait " + waitText(we.After)
	}
	return fmt.Sprintf("%s: stopped, no check marked failed; %s stored before it, %d not fetched. %s",
		what, checks(e.Reported), e.NotFetched, Explain(e.Err))
}

func (e *BatchStoppedError) Unwrap() error { return e.Err }

// errBatchUnavailable is the cause FetchMany's requests in flight are
// cancelled with when it stops for Caisson's unavailability.
var errBatchUnavailable = errors.New("Caisson is unavailable")

func checks(n int) string {
	if n == 1 {
		return "1 check"
	}
	return fmt.Sprintf("%d checks", n)
}

// FetchMany fetches ids with at most concurrency requests in flight (<= 0
// means DefaultConcurrency) and calls each(result) from the calling
// goroutine, one at a time, as results arrive (not in ids' order). A failed
// check is a Result with Err; it never stops the batch, except a refused
// API key: that is not a fact about the check, and every other request
// would be refused too, so the batch stops there (no new requests, those
// in flight cancelled), the refused fetches are not reported, and FetchMany
// returns a *BatchKeyRefusedError. Caisson unavailable for
// UnavailableRun fetches in a row, or asking for a long wait, stops it the
// same way, with a *BatchStoppedError. On ctx cancellation it starts nothing
// new and returns ctx's error once the requests in flight have ended; ids
// never fetched, and fetches cut short by the cancellation, are not
// reported.
func (c *Client) FetchMany(ctx context.Context, ids []string, concurrency int, each func(Result)) error {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	workers := min(concurrency, len(ids))
	results := make(chan Result, workers)
	batchCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	// Workers take the next id from a shared counter rather than from a
	// feeding goroutine: one handoff fewer per check.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for batchCtx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				chk, err := c.GetCheck(batchCtx, ids[i])
				if errors.Is(err, ErrKeyRefused) {
					stop(ErrKeyRefused)
					return
				}
				if we := (*WaitError)(nil); errors.As(err, &we) {
					// Caisson asked for a pause: no worker asks again, even
					// before the reader below has seen this answer (a busy
					// machine let a worker send two more requests first).
					stop(errBatchUnavailable)
					results <- Result{CheckID: ids[i], Check: chk, Err: err}
					return
				}
				if err != nil && batchCtx.Err() != nil && (errors.Is(err, batchCtx.Err()) || errors.Is(err, context.Cause(batchCtx))) {
					return
				}
				results <- Result{CheckID: ids[i], Check: chk, Err: err}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	reported := 0
	report := func(r Result) {
		reported++
		each(r)
	}
	// held are the latest fetches, in a row, that found Caisson
	// unavailable: reported as failures once an answer comes after them
	// (they were passing trouble), dropped if the run grows to an outage.
	var held []Result
	var stopped *BatchStoppedError
	for r := range results {
		var we *WaitError
		switch {
		case stopped != nil && Unavailable(r.Err):
		case stopped != nil:
			report(r)
		case errors.As(r.Err, &we):
			stopped = &BatchStoppedError{Err: r.Err, Run: 1}
			held = nil
			stop(errBatchUnavailable)
		case Unavailable(r.Err):
			held = append(held, r)
			if len(held) >= UnavailableRun {
				stopped = &BatchStoppedError{Err: r.Err, Run: len(held)}
				held = nil
				stop(errBatchUnavailable)
			}
		default:
			for _, h := range held {
				report(h)
			}
			held = held[:0]
			report(r)
		}
	}
	// A run too short to be an outage, at the end: ordinary failures.
	for _, h := range held {
		report(h)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if errors.Is(context.Cause(batchCtx), ErrKeyRefused) {
		return &BatchKeyRefusedError{Reported: reported, NotFetched: len(ids) - reported}
	}
	if stopped != nil {
		stopped.Reported, stopped.NotFetched = reported, len(ids)-reported
		return stopped
	}
	return nil
}
