package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// FetchResult is the outcome of fetching one check, as RecordFetch takes
// it: a result (Err nil) or an error, fetched at At.
type FetchResult struct {
	CheckID string
	Check   *caisson.Check
	Err     error
	At      time.Time
	// By is who ran the refresh: a proposal the result voids is logged
	// as them (RecordFetchAs). Zero is the store's own identity.
	By Identity
}

// RecordFetches records many fetch outcomes in one transaction, each by
// RecordFetch's rules (a result voids a proposal made on another
// response, IDCHECK_DELETED purges, a refused API key stores nothing):
// one durable commit for the lot, which is what makes a bulk refresh as
// fast as the network. errs[i] is results[i]'s own outcome (an invalid
// id or result, a check not tracked); the results without one are on
// disk when RecordFetches returns with a nil error, and none is when it
// returns an error, but for the first results of a bulk batch on
// PostgreSQL: those are committed ahead of the rest, in parts side by
// side (storeFirstResultsPG), and may be on disk though the batch is
// reported not stored; a later refresh then finds the same response and
// only notes the fetch. A database error in the middle of the batch (not a
// busy lock, which is retried) is no fact about the other results: each
// is then recorded on its own, so one cannot cost the rest, and errs
// says which failed.
func (s *Store) RecordFetches(ctx context.Context, results []FetchResult) (errs []error, err error) {
	errs = make([]error, len(results))
	ids := make([]string, len(results))
	todo := 0
	for i, r := range results {
		ids[i], errs[i] = checkFetch(r)
		if errs[i] == nil && !errors.Is(r.Err, caisson.ErrKeyRefused) {
			todo++
		}
	}
	if todo == 0 {
		return errs, nil
	}
	batchErrs := make([]error, len(results))
	refused := func(i int) bool { return errs[i] != nil || errors.Is(results[i].Err, caisson.ErrKeyRefused) }
	// On PostgreSQL a bulk batch's first results go first, in parts
	// stored side by side; what they stored is done.
	early := make([]bool, len(results))
	if s.pg() {
		if err := s.storeFirstResultsPG(ctx, ids, results, refused, early); err != nil {
			return errs, fmt.Errorf("%s: %w", fetchesText(todo), err)
		}
		for _, ok := range early {
			if ok {
				todo--
			}
		}
		if todo == 0 {
			return errs, nil
		}
	}
	skip := func(i int) bool { return refused(i) || early[i] }
	// On PostgreSQL, where each statement is a round trip, the first
	// results, the unchanged ones and the errors go in two statements;
	// the rest one at a time.
	tried, stored := make([]bool, len(results)), make([]bool, len(results))
	// Those written one at a time (on SQLite, all but first results,
	// which firstResultsTx sorts the same way) go in the order of their
	// check ids: check_id's
	// unique index (and tracked's, which each write looks up) then takes
	// them page after page rather than at random, the same pages written
	// with fewer seeks (a batch scattered over the index, as a queue's
	// refresh makes it, stores 12% faster). Stable: two outcomes of one
	// check keep their order, the later one last.
	order := make([]int, len(results))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(ids[a], ids[b]) })
	err = s.write(ctx, fetchesText(todo), func(tx *sqlTx) error {
		clear(batchErrs)
		clear(tried)
		clear(stored)
		if s.pg() {
			if err := recordBatchPG(ctx, tx, ids, results, skip, tried, stored); err != nil {
				return err
			}
		}
		stmts := s.newStmtCache(tx)
		// On SQLite the first results go in first, many to a statement.
		firstTried := make([]bool, len(results))
		if !s.pg() {
			if err := firstResultsTx(ctx, stmts, ids, results, skip, firstTried, stored); err != nil {
				return err
			}
		}
		for _, i := range order {
			r := results[i]
			if skip(i) || stored[i] {
				continue
			}
			record := s.recordFetchTx
			if tried[i] {
				record = s.recordUnlessFirstOrSameTx
			} else if firstTried[i] {
				record = s.recordUnlessFirstTx
			}
			if err := record(ctx, stmts, ids[i], r); err != nil {
				if !errors.Is(err, ErrNotFound) {
					return fmt.Errorf("%s: %w", ids[i], err)
				}
				// Nothing was written for it: checkRowTx only reads
				// when the check is not tracked.
				batchErrs[i] = fmt.Errorf("recording the fetch of %s: %w", ids[i], err)
			}
		}
		return stmts.flushSearch(ctx)
	})
	if err == nil {
		for i, e := range batchErrs {
			if e != nil {
				errs[i] = e
			}
		}
		return errs, nil
	}
	// A lock or a conflict that outlasted the retries, or a PostgreSQL
	// server gone, is a fact about every result: recording them one at a
	// time would only meet it once each, a connection attempt apiece.
	if ctx.Err() != nil || isBusy(err) || pgRetryable(err) || errors.Is(err, errUnreachable) {
		return errs, err
	}
	for i, r := range results {
		if errs[i] == nil && !early[i] {
			errs[i] = s.RecordFetchAs(ctx, r.By, ids[i], r.Check, r.Err, r.At)
		}
	}
	return errs, nil
}

// checkFetch is RecordFetch's checks before any transaction: the id, and
// a result that can be stored.
func checkFetch(r FetchResult) (string, error) {
	id, err := caisson.ParseCheckID(r.CheckID)
	if err != nil {
		return "", err
	}
	if r.Err == nil {
		if err := validResult(id, r.Check); err != nil {
			return "", fmt.Errorf("recording the result of %s: %w", id, err)
		}
	}
	return id, nil
}

// recordFetchTx is the write of RecordFetch, in tx.
func (s *Store) recordFetchTx(ctx context.Context, tx *stmtCache, id string, r FetchResult) error {
	if r.Err == nil {
		if done, err := firstResultTx(ctx, tx, id, r.Check, r.At); err != nil || done {
			return err
		}
		if done, err := sameResultTx(ctx, tx, id, r.Check, r.At); err != nil || done {
			return err
		}
	}
	return s.recordUnlessFirstOrSameTx(ctx, tx, id, r)
}

// recordUnlessFirstTx is recordFetchTx for a result firstResultsTx found
// was not its check's first.
func (s *Store) recordUnlessFirstTx(ctx context.Context, tx *stmtCache, id string, r FetchResult) error {
	if done, err := sameResultTx(ctx, tx, id, r.Check, r.At); err != nil || done {
		return err
	}
	return s.recordUnlessFirstOrSameTx(ctx, tx, id, r)
}

// recordUnlessFirstOrSameTx is the write of RecordFetch for an outcome
// that is not a result (an error), or a result that is neither the
// check's first nor the response it already has.
func (s *Store) recordUnlessFirstOrSameTx(ctx context.Context, tx *stmtCache, id string, r FetchResult) error {
	// What follows may change the row of id, and the trigram index's
	// triggers would then take out of the index names it does not hold
	// yet if that row was made in this transaction (madeRow). Only then
	// are the names queued so far indexed first: flushing at every failed
	// fetch of a batch (one in thirty in a first refresh) cut the index's
	// one ordered insert into dozens, each a new segment FTS5 must merge.
	if tx.made[id] {
		if err := tx.flushSearch(ctx); err != nil {
			return err
		}
	}
	if err := checkRowTx(ctx, tx, id); err != nil {
		return err
	}
	if r.Err == nil {
		return s.cacheResultVoidingTx(ctx, tx, r.By, id, r.Check, r.At)
	}
	return recordErrorTx(ctx, tx, id, r.Err, r.At)
}

// FetchWriter records fetch outcomes handed to it by any number of
// goroutines in batches, one transaction each (group commit): whatever
// arrives while a batch commits goes into the next, up to MaxBatch, so a
// refresh fetching at the network's speed waits for one disk sync per
// batch rather than one per check. An outcome is reported (Record
// returns, Submit's done is called) only once its batch is on disk; a
// crash loses at most the batches in flight, which nothing has reported
// stored and the next refresh fetches again. Decisions never go through
// here: each stays its own durable transaction.
type FetchWriter struct {
	rec      FetchRecorder
	maxBatch int
	maxDelay time.Duration
	queue    chan pendingFetch
	done     chan struct{}

	mu     sync.RWMutex
	closed bool
}

// fetchesText names a write of n fetched checks' outcomes.
func fetchesText(n int) string {
	if n == 1 {
		return "recording 1 fetched check"
	}
	return fmt.Sprintf("recording %d fetched checks", n)
}

// FetchWriterOptions tune a FetchWriter; the zero value is the default.
type FetchWriterOptions struct {
	// MaxBatch is the most outcomes in one transaction: 5,000 when 0.
	// A batch of first results costs about the pages it touches in each
	// of the checks' indexes, which grow slower than the batch: at
	// 100,000 checks SQLite stored first results 40% faster in batches
	// of 5,000 than of 2,000 (BenchmarkRecordFetches with
	// CAISSON_BENCH_BATCH), and 10,000 or 20,000 faster still. What caps
	// it is the write lock the batch holds: a decision made meanwhile
	// waits for the batch, about a second for 5,000 at 100,000 checks.
	// A crash still loses only what nothing has reported stored, and the
	// writer holds at most two batches of results in memory.
	MaxBatch int
	// MaxDelay is how long a batch that is not full waits for more
	// outcomes before it commits. 0, the default, waits for none: it
	// commits what arrived during the previous commit, so a lone refresh
	// (the console's r) is stored at once and a bulk one still batches.
	MaxDelay time.Duration
}

// defaultMaxBatch is MaxBatch when 0.
const defaultMaxBatch = 5000

type pendingFetch struct {
	r    FetchResult
	done func(error)
}

// ErrWriterClosed is the outcome of a result handed to a closed
// FetchWriter: nothing was recorded.
var ErrWriterClosed = errors.New("the fetch writer is closed: nothing was recorded")

// BatchNotStoredError is the outcome a FetchWriter reports for each
// result of a batch the store refused whole (RecordFetches' error: its
// PostgreSQL server unreachable, its file kept locked past the retries, a
// session's store closing). That is a fact about the store, not about the
// result: whoever is fetching should stop, since every answer fetched
// from then on would be thrown away.
type BatchNotStoredError struct{ Err error }

func (e *BatchNotStoredError) Error() string { return e.Err.Error() }
func (e *BatchNotStoredError) Unwrap() error { return e.Err }

// FetchRecorder records a batch of fetch outcomes by RecordFetches'
// contract; *Store is one. A front end that wraps the store (serve's
// session: its work gate, its key as the identity) is another.
type FetchRecorder interface {
	RecordFetches(ctx context.Context, results []FetchResult) (errs []error, err error)
}

var _ FetchRecorder = (*Store)(nil)

// NewFetchWriter starts a FetchWriter on s. Close it to commit what is
// pending and stop it.
func (s *Store) NewFetchWriter(o FetchWriterOptions) *FetchWriter {
	return NewFetchWriterOn(s, o)
}

// NewFetchWriterOn starts a FetchWriter recording through rec. Close it
// to commit what is pending and stop it.
func NewFetchWriterOn(rec FetchRecorder, o FetchWriterOptions) *FetchWriter {
	if o.MaxBatch <= 0 {
		o.MaxBatch = defaultMaxBatch
	}
	w := &FetchWriter{rec: rec, maxBatch: o.MaxBatch, maxDelay: o.MaxDelay,
		queue: make(chan pendingFetch, 2*o.MaxBatch), done: make(chan struct{})}
	go w.run()
	return w
}

// Submit hands r to the writer and returns at once (unless the queue is
// full: then it waits, which paces the fetching to the disk). done is
// called with r's outcome once its batch has committed (nil: on disk),
// from the writer's goroutine: it must not block or call the writer.
// This is the form for caisson.Client.FetchMany's callback, which gets
// results one at a time and must not wait for the disk between them.
func (w *FetchWriter) Submit(r FetchResult, done func(error)) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		done(ErrWriterClosed)
		return
	}
	w.queue <- pendingFetch{r: r, done: done}
}

// Record hands r to the writer and waits until its batch has committed:
// nil means r is on disk. For fetching goroutines that each store what
// they fetched.
func (w *FetchWriter) Record(r FetchResult) error {
	ch := make(chan error, 1)
	w.Submit(r, func(err error) { ch <- err })
	return <-ch
}

// Close commits what was handed over before it and stops the writer;
// what is handed over afterwards gets ErrWriterClosed.
func (w *FetchWriter) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.done
}

func (w *FetchWriter) run() {
	defer close(w.done)
	batch := make([]pendingFetch, 0, w.maxBatch)
	for {
		first, ok := <-w.queue
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		open := w.fill(&batch)
		w.commit(batch)
		if !open {
			return
		}
	}
}

// fill adds to batch what is queued, up to maxBatch, waiting up to
// maxDelay for more. It reports false when the queue was closed.
func (w *FetchWriter) fill(batch *[]pendingFetch) bool {
	var deadline <-chan time.Time
	if w.maxDelay > 0 {
		t := time.NewTimer(w.maxDelay)
		defer t.Stop()
		deadline = t.C
	}
	for len(*batch) < w.maxBatch {
		select {
		case p, ok := <-w.queue:
			if !ok {
				return false
			}
			*batch = append(*batch, p)
			continue
		default:
		}
		if deadline == nil {
			return true
		}
		select {
		case p, ok := <-w.queue:
			if !ok {
				return false
			}
			*batch = append(*batch, p)
		case <-deadline:
			return true
		}
	}
	return true
}

// commit records a batch and reports each outcome. The transaction is
// not tied to any caller's context: a caller giving up must not roll
// back the others' results.
func (w *FetchWriter) commit(batch []pendingFetch) {
	results := make([]FetchResult, len(batch))
	for i, p := range batch {
		results[i] = p.r
	}
	errs, err := w.rec.RecordFetches(context.Background(), results)
	if err != nil {
		err = &BatchNotStoredError{err}
	}
	for i, p := range batch {
		if err != nil {
			p.done(err)
		} else {
			p.done(errs[i])
		}
	}
}

// EachTracked calls each with every tracked check, in the order added,
// its last fetch outcome (OutcomeNone when never fetched) and whether its
// personal data was purged: what a
// refresh of every check asks for, read in one walk. Reading the all
// queue a page at a time instead costs a walk to each page's offset: at
// a million checks, about three minutes before the first request.
func (s *Store) EachTracked(ctx context.Context, each func(checkID string, outcome FetchOutcome, purged bool) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT t.check_id, coalesce(c.outcome, ''), coalesce(c.purged_at IS NOT NULL, false)
		FROM tracked AS t LEFT JOIN checks AS c ON c.id = t.id ORDER BY t.id`)
	if err != nil {
		return fmt.Errorf("reading the tracked checks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, outcome string
		var purged bool
		if err := rows.Scan(&id, &outcome, &purged); err != nil {
			return fmt.Errorf("reading the tracked checks: %w", err)
		}
		if err := each(id, FetchOutcome(outcome), purged); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the tracked checks: %w", err)
	}
	return nil
}
