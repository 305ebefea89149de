package serve

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/service"
)

// errReadOnlyFetch is what a read-only console gets when it asks for the
// API: a fetch writes its answer to the store, and a read-only key writes
// nothing.
var errReadOnlyFetch = errors.New("this key is read-only: it cannot fetch from Caisson (refreshing writes the answers to the database)")

// sessionAPI is the API as one session's console sees it: every fetch is
// logged with who asked, a read-only key gets none, and a check already
// being fetched for this session is not fetched again at the same time
// (pressing r twice makes one request; the second waits for the first's
// answer).
type sessionAPI struct {
	api      service.API
	readOnly bool
	log      *slog.Logger // carries the session's user and fingerprint

	mu       sync.Mutex
	fetching map[string]*fetchCall
}

type fetchCall struct {
	done chan struct{}
	chk  *caisson.Check
	err  error
}

var _ service.API = (*sessionAPI)(nil)

func newSessionAPI(api service.API, readOnly bool, log *slog.Logger) *sessionAPI {
	return &sessionAPI{api: api, readOnly: readOnly, log: log, fetching: map[string]*fetchCall{}}
}

func (a *sessionAPI) GetCheck(ctx context.Context, checkID string) (*caisson.Check, error) {
	if a.readOnly {
		a.log.Warn("refresh refused: read-only key", "check", checkID)
		return nil, errReadOnlyFetch
	}
	a.mu.Lock()
	if c, ok := a.fetching[checkID]; ok {
		a.mu.Unlock()
		select {
		case <-c.done:
			return c.chk, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &fetchCall{done: make(chan struct{})}
	a.fetching[checkID] = c
	a.mu.Unlock()

	a.log.Info("refresh", "check", checkID)
	c.chk, c.err = a.api.GetCheck(ctx, checkID)
	a.mu.Lock()
	delete(a.fetching, checkID)
	a.mu.Unlock()
	close(c.done)
	return c.chk, c.err
}

func (a *sessionAPI) FetchMany(ctx context.Context, ids []string, concurrency int, each func(caisson.Result)) error {
	if a.readOnly {
		a.log.Warn("refresh refused: read-only key", "checks", len(ids))
		return errReadOnlyFetch
	}
	a.log.Info("refresh", "checks", len(ids))
	return a.api.FetchMany(ctx, ids, concurrency, each)
}

func (a *sessionAPI) ExchangeToken(ctx context.Context, token string) (string, error) {
	if a.readOnly {
		a.log.Warn("exchange refused: read-only key")
		return "", errReadOnlyFetch
	}
	return a.api.ExchangeToken(ctx, token)
}

// HoldsKey is the client's: a session's note or name holding the key is
// refused as the local console's is (helper-74: one was stored).
func (a *sessionAPI) HoldsKey(text string) bool { return a.api.HoldsKey(text) }
