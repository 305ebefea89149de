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
// returns a *BatchKeyRefusedError. On ctx cancellation it starts nothing
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
	for r := range results {
		reported++
		each(r)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if errors.Is(context.Cause(batchCtx), ErrKeyRefused) {
		return &BatchKeyRefusedError{Reported: reported, NotFetched: len(ids) - reported}
	}
	return nil
}
