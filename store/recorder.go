package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// recorderInterval is the least time between two writes of one
	// recorder: a console writes at most once a second, whatever the keys.
	recorderInterval = time.Second
	// detailEvery is how often holding the detail of one check is logged
	// again in one session.
	detailEvery = 10 * time.Minute
)

// AccessRecorder batches a console session's access records: Viewed never
// waits for the database, records are written together at most once per
// second by a goroutine of its own, and the detail of one check counts
// once per 10 minutes per session. The console holds one per session and
// calls Close when it ends, which writes what is left.
type AccessRecorder struct {
	st   *Store
	base Access
	now  func() time.Time
	// after is time.After; tests control it.
	after func(time.Duration) <-chan time.Time

	mu         sync.Mutex
	pending    []Access
	lastDetail map[string]time.Time
	err        error

	wake     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	writes   atomic.Int64 // transactions written, for the tests
}

// NewAccessRecorder starts a recorder for one session. The clock is the
// store's (WithClock).
func (s *Store) NewAccessRecorder(sess AccessSession) (*AccessRecorder, error) {
	return s.newAccessRecorder(sess, time.After)
}

func (s *Store) newAccessRecorder(sess AccessSession, after func(time.Duration) <-chan time.Time) (*AccessRecorder, error) {
	base, err := s.sessionAccess(sess)
	if err != nil {
		return nil, err
	}
	r := &AccessRecorder{st: s, base: base, now: s.now, after: after, lastDetail: map[string]time.Time{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go r.run()
	return r, nil
}

// Viewed records that the session was shown what of the check, unless it
// is the detail of a check already recorded in the last 10 minutes. It
// returns at once. A console calls it once the detail has shown a check
// for a second, and may call it again every second while it stays shown:
// holding the detail counts once per 10 minutes.
func (r *AccessRecorder) Viewed(checkID string, what AccessWhat) {
	now := r.now()
	r.mu.Lock()
	if what == AccessDetail {
		if last, ok := r.lastDetail[checkID]; ok && now.Sub(last) < detailEvery {
			r.mu.Unlock()
			return
		}
		r.lastDetail[checkID] = now
	}
	a := r.base
	a.At, a.CheckID, a.What = now, checkID, what
	r.pending = append(r.pending, a)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default: // a write is already due
	}
}

// Err is the last error writing the log met; records it could not write
// are kept and tried again with the next batch.
func (r *AccessRecorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *AccessRecorder) run() {
	defer close(r.done)
	for {
		select {
		case <-r.wake:
		case <-r.stop:
			return
		}
		r.flush(context.Background())
		select {
		case <-r.after(recorderInterval):
		case <-r.stop:
			return
		}
	}
}

// flush writes what is pending in one transaction.
func (r *AccessRecorder) flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	r.pending = nil
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := r.st.writeAccess(ctx, batch)
	r.writes.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
	if err != nil {
		// Kept, in order, ahead of what came meanwhile: nothing is lost
		// because the disk was full for a moment.
		r.pending = append(batch, r.pending...)
		select {
		case r.wake <- struct{}{}: // tried again after the interval
		default:
		}
	}
	return err
}

// Close stops the recorder and writes what is pending; it returns the
// error of that last write. Closing twice is harmless (a session ending
// and the server shutting down may both close it).
func (r *AccessRecorder) Close(ctx context.Context) error {
	r.stopOnce.Do(func() { close(r.stop) })
	<-r.done
	return r.flush(ctx)
}
