package caisson

import (
	"context"
	"errors"
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

// FetchMany fetches ids with at most concurrency requests in flight (<= 0
// means DefaultConcurrency) and calls each(result) from the calling
// goroutine, one at a time, as results arrive (not in ids' order). A failed
// check is a Result with Err; it never stops the batch. On ctx
// cancellation it starts nothing new and returns ctx's error once the
// requests in flight have ended; ids never fetched, and fetches cut short
// by the cancellation, are not reported.
func (c *Client) FetchMany(ctx context.Context, ids []string, concurrency int, each func(Result)) error {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	workers := min(concurrency, len(ids))
	results := make(chan Result, workers)
	// Workers take the next id from a shared counter rather than from a
	// feeding goroutine: one handoff fewer per check.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				chk, err := c.GetCheck(ctx, ids[i])
				if err != nil && ctx.Err() != nil && (errors.Is(err, ctx.Err()) || errors.Is(err, context.Cause(ctx))) {
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
	for r := range results {
		each(r)
	}
	return ctx.Err()
}
