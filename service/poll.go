package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// Polling's defaults: the README's configuration table gives them.
const (
	DefaultPollInterval = 5 * time.Minute
	DefaultPollCap      = time.Hour
	DefaultPollRate     = 2.0
	// DefaultLeaseTTL outlasts one fetch with every retry (the client's
	// 15 s timeout, three tries, their backoff): a lease that runs out
	// while its holder still fetches would let a second process fetch.
	DefaultLeaseTTL = 2 * time.Minute
	// DefaultPollIdle is the longest the poller sleeps before looking
	// again: a check another process (a refresh, another console) put
	// into the wait is then polled at most this late.
	DefaultPollIdle = time.Minute
	// pollBatch is how many due checks are read at a time.
	pollBatch = 50
	// releaseTimeout bounds freeing a lease once its fetch has ended.
	releaseTimeout = 10 * time.Second
)

// Clock is the time polling runs on; tests give one that needs no
// waiting.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Pacer spaces requests evenly, at most a rate a second in all: give its
// Wait to the poll's client (caisson.WithPacer), so each retry waits its
// turn too. Safe for concurrent use.
type Pacer struct {
	clock Clock
	every time.Duration

	mu   sync.Mutex
	next time.Time
}

// NewPacer paces to perSecond requests a second on clock (the real one
// when nil).
func NewPacer(perSecond float64, clock Clock) (*Pacer, error) {
	if !(perSecond > 0) || perSecond > 1000 {
		return nil, fmt.Errorf("poll rate %v: expected requests a second above 0, at most 1000, like 2", perSecond)
	}
	if clock == nil {
		clock = realClock{}
	}
	return &Pacer{clock: clock, every: time.Duration(float64(time.Second) / perSecond)}, nil
}

// Wait returns once the next request may go, or with ctx's error.
func (p *Pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	now := p.clock.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.every)
	p.mu.Unlock()
	if wait := at.Sub(now); wait > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.clock.After(wait):
		}
	}
	return ctx.Err()
}

// PollStore is what polling needs of the store; *store.Store is one.
type PollStore interface {
	DuePolls(ctx context.Context, sched store.PollSchedule, now time.Time, limit int) ([]store.DuePoll, time.Time, error)
	TakePollLease(ctx context.Context, checkID, holder string, sched store.PollSchedule, now time.Time, ttl time.Duration) error
	ReleasePollLease(ctx context.Context, checkID, holder string) error
	HoldPollLease(ctx context.Context, checkID, holder string, until time.Time) error
}

var _ PollStore = (*store.Store)(nil)

// PollOptions tune a Poller; zero values take the defaults.
type PollOptions struct {
	// Schedule is the first wait and the cap of the backoff.
	Schedule store.PollSchedule
	// Holder names this process in the leases; unique when "".
	Holder   string
	LeaseTTL time.Duration
	Idle     time.Duration
	// Clock is the poller's time (the service's Now should agree);
	// the real one when nil.
	Clock Clock
}

// ErrPollingStopped wraps why polling stopped for good.
var ErrPollingStopped = errors.New("polling stopped")

// Poller asks Caisson again, in the background, for the checks whose
// last answer was PENDING_REVIEW or NOT_VERIFIED, on the store's schedule
// (store.PollSchedule), one check at a time under a lease in the store,
// so processes sharing the database never fetch one check at once. Each
// answer is recorded as a refresh records it; a failure is recorded only
// once the client has given up retrying. Caisson unavailable
// (caisson.Unavailable) is not recorded at all: that check is not asked
// again for a while (its lease held, outageWait), and a run of them
// pauses all polling (Paused). A refused API key stops every poll:
// Stopped says so.
type Poller struct {
	svc *Service
	st  PollStore
	o   PollOptions

	stopped atomic.Pointer[error]
	// paused is set while Caisson is unavailable (caisson.Unavailable):
	// no check is polled until it ends. pauses counts the pauses in a
	// row, each twice as long as the one before.
	paused atomic.Pointer[Pause]
	pauses int
	// run holds the checks whose polls, in a row, found Caisson
	// unavailable: only a run of different checks is an outage (one
	// check polled again and again, its backoff alone due, is one check
	// Caisson cannot answer). unanswered counts each check's unavailable
	// polls in a row, which hold its lease (its backoff) ever longer.
	// Run's goroutine only.
	run        map[string]bool
	unanswered map[string]int
}

// Pause is polling waiting out Caisson's unavailability: until Until,
// because of Err.
type Pause struct {
	Until time.Time
	Err   error
}

const (
	// pollOutagePause is the first pause of polling when Caisson is
	// unavailable, and the first wait before one check Caisson could
	// not answer is asked again; each in a row doubles it, up to the
	// schedule's cap.
	pollOutagePause = time.Minute
	// pollUnavailableRun is how many polls in a row (of different
	// checks: each one's lease is held) must find Caisson unavailable
	// before all polling pauses: one check Caisson cannot answer must
	// not hold up the others.
	pollUnavailableRun = 3
	// maxPollPause bounds a pause Caisson's Retry-After asks for.
	maxPollPause = 24 * time.Hour
)

// NewPoller is a poller recording through s (whose API should pace its
// requests: see Pacer) and leasing in st.
func (s *Service) NewPoller(st PollStore, o PollOptions) (*Poller, error) {
	if o.Schedule == (store.PollSchedule{}) {
		o.Schedule = store.PollSchedule{First: DefaultPollInterval, Max: DefaultPollCap}
	}
	if err := o.Schedule.Validate(); err != nil {
		return nil, err
	}
	if o.Holder == "" {
		o.Holder = processHolder()
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.Idle <= 0 {
		o.Idle = DefaultPollIdle
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	return &Poller{svc: s, st: st, o: o}, nil
}

// processHolder names this process in a lease: host, pid and a random
// part, so two processes never share a name.
func processHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Stopped is why polling stopped for good (wrapping ErrPollingStopped),
// nil while it may run.
func (p *Poller) Stopped() error {
	if e := p.stopped.Load(); e != nil {
		return *e
	}
	return nil
}

// Paused is polling's pause for Caisson's unavailability, nil while it
// polls (or has stopped for good: Stopped).
func (p *Poller) Paused() *Pause {
	if pa := p.paused.Load(); pa != nil && p.o.Clock.Now().Before(pa.Until) {
		return pa
	}
	return nil
}

// pause stops polling for a while: Caisson's own wait when it asked for
// one, else a minute doubled for each pause in a row, at most the
// schedule's cap. Asking every waiting check in turn while Caisson is
// down would only fail each (and, stored, move each out of the wait).
func (p *Poller) pause(err error) {
	d := p.outageWait(p.pauses)
	var we *caisson.WaitError
	if errors.As(err, &we) {
		d = max(d, min(we.After, maxPollPause))
	}
	p.pauses++
	p.paused.Store(&Pause{Until: p.o.Clock.Now().Add(d), Err: err})
}

// outageWait is the wait after the n-th (from 0) unanswered poll in a
// row: a minute, doubling, at most the schedule's cap. Both a check's
// hold and all polling's pause back off so.
func (p *Poller) outageWait(n int) time.Duration {
	return min(pollOutagePause<<min(n, 20), p.o.Schedule.Max)
}

// Run polls until ctx ends (nil) or Caisson refuses the API key (the
// Stopped error). polled, when set, is called with each answer once it is
// recorded (or not), from Run's goroutine: a front end reads its screen
// again. Offline it returns at once with the service's offline error. One
// Run at a time per Poller.
func (p *Poller) Run(ctx context.Context, polled func(Result)) error {
	if p.svc.api == nil {
		return p.svc.offline()
	}
	if err := p.Stopped(); err != nil {
		return err
	}
	for ctx.Err() == nil {
		now := p.o.Clock.Now()
		due, next, err := p.st.DuePolls(ctx, p.o.Schedule, now, pollBatch)
		if err == nil {
			var worked bool
			worked, err = p.pollAll(ctx, due, polled)
			if stop := p.Stopped(); stop != nil {
				return stop
			}
			if err == nil && worked {
				continue
			}
		}
		wait := p.o.Idle
		if err == nil && !next.IsZero() {
			wait = min(wait, next.Sub(now))
		}
		if pa := p.Paused(); pa != nil {
			wait = pa.Until.Sub(p.o.Clock.Now())
		}
		select {
		case <-ctx.Done():
		case <-p.o.Clock.After(max(wait, time.Millisecond)):
		}
	}
	return nil
}

// pollAll polls the due checks in turn; worked says whether one was
// fetched (then there may be more due at once).
func (p *Poller) pollAll(ctx context.Context, due []store.DuePoll, polled func(Result)) (worked bool, err error) {
	for _, d := range due {
		if ctx.Err() != nil || p.Paused() != nil {
			return worked, nil
		}
		done, err := p.pollOne(ctx, d.CheckID, polled)
		if err != nil || p.Stopped() != nil {
			return worked, err
		}
		worked = worked || done
	}
	return worked, nil
}

// pollOne fetches one check under its lease and records the answer. It
// reports false when another process holds the lease or has just polled
// it.
func (p *Poller) pollOne(ctx context.Context, checkID string, polled func(Result)) (bool, error) {
	err := p.st.TakePollLease(ctx, checkID, p.o.Holder, p.o.Schedule, p.o.Clock.Now(), p.o.LeaseTTL)
	if errors.Is(err, store.ErrLeaseHeld) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	holdUntil := time.Time{}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if !holdUntil.IsZero() && p.st.HoldPollLease(rctx, checkID, p.o.Holder, holdUntil) == nil {
			return
		}
		// An unreleased lease runs out by itself: nothing is lost.
		_ = p.st.ReleasePollLease(rctx, checkID, p.o.Holder)
	}()
	chk, fetchErr := p.svc.api.GetCheck(ctx, checkID)
	if ctx.Err() != nil && fetchErr != nil {
		// Cut short by our own stop: no fact about the check.
		return false, nil
	}
	if errors.Is(fetchErr, caisson.ErrKeyRefused) {
		stop := fmt.Errorf("%w: %w", ErrPollingStopped, fetchErr)
		p.stopped.CompareAndSwap(nil, &stop)
	}
	if caisson.Unavailable(fetchErr) {
		// No fact about the check: it stays waiting, with its last
		// answer. Its lease is held for a while (a minute, doubling),
		// so that the checks due after it are asked meanwhile; a run of
		// them unanswered is an outage, and all polling pauses.
		if p.unanswered == nil {
			p.unanswered = map[string]int{}
		}
		n := p.unanswered[checkID]
		p.unanswered[checkID] = n + 1
		holdUntil = p.o.Clock.Now().Add(p.outageWait(n))
		if p.run == nil {
			p.run = map[string]bool{}
		}
		p.run[checkID] = true
		var we *caisson.WaitError
		if len(p.run) >= pollUnavailableRun || errors.As(fetchErr, &we) {
			p.pause(fetchErr)
		}
		return false, nil
	}
	delete(p.unanswered, checkID)
	clear(p.run)
	p.pauses = 0
	res := p.svc.record(ctx, caisson.Result{CheckID: checkID, Check: chk, Err: fetchErr})
	if polled != nil {
		polled(res)
	}
	return true, nil
}
