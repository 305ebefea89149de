package serve

import (
	"errors"
	"sync"
	"time"
)

// errShuttingDown is what a console's store call gets once the server has
// stopped taking work: the decision was not made, and the reviewer (if
// still connected) sees why.
var errShuttingDown = errors.New("the review server is shutting down: nothing was saved, try again after it restarts")

// workGate counts store calls in flight so shutdown can wait for them
// before the caller closes the store, and refuses new ones once closed. A
// decision is therefore either durable (store.Decide returned before the
// store was closed) or refused with an error; never half done.
type workGate struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (g *workGate) enter() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errShuttingDown
	}
	g.wg.Add(1)
	return nil
}

func (g *workGate) leave() { g.wg.Done() }

// closeAndWait refuses new work and waits up to grace for the work in
// flight; it reports whether everything finished.
func (g *workGate) closeAndWait(grace time.Duration) bool {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	return waitTimeout(&g.wg, grace)
}

// waitTimeout waits for wg up to d and reports whether it finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// inFlight counts calls in flight and can be waited on at any time, even
// while new calls start (a sync.WaitGroup may not be re-armed while
// someone waits on it).
type inFlight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0; nil when nobody waits
}

func (f *inFlight) add() {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
}

func (f *inFlight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
}

// wait waits up to d for the count to reach zero and reports whether it did.
func (f *inFlight) wait(d time.Duration) bool {
	f.mu.Lock()
	if f.n == 0 {
		f.mu.Unlock()
		return true
	}
	if f.idle == nil {
		f.idle = make(chan struct{})
	}
	idle := f.idle
	f.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-idle:
		return true
	case <-t.C:
		return false
	}
}
