// Package service is the work every front end does, done once: adding
// check ids and exchange tokens, finishing interrupted exchanges,
// refreshing checks from Caisson, deciding, and explaining what Caisson
// answered. The console (tui), serve and the command line (cli) call it
// and only translate keys or flags into calls and its results into screens
// or output, as soft-serve's backend serves its SSH commands and its UI.
//
// It sits between the store and caisson below and the front ends above,
// so it speaks their types (store.Row, store.DecisionRequest, caisson
// errors) and adds none of its own storage or transport.
package service

import (
	"context"
	"errors"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// Store is what the service needs of the database; *store.Store is one.
// serve wraps it per session (a work gate, the session's log, its key).
type Store interface {
	Get(ctx context.Context, checkID string) (*store.Record, error)
	Page(ctx context.Context, q store.PageQuery) ([]store.Row, error)
	AddMany(ctx context.Context, ids []string, by string, src store.Source) (store.AddResult, error)
	Exchange(ctx context.Context, token, by string, exchange func(context.Context, string) (string, error)) (string, bool, error)
	ResumeExchanges(ctx context.Context, by string, exchange func(context.Context, string) (string, error)) ([]store.ExchangeOutcome, error)
	RecordFetch(ctx context.Context, checkID string, chk *caisson.Check, fetchErr error, at time.Time) error
	DecideAs(ctx context.Context, r store.DecisionRequest) (store.Decision, error)
}

// API is what the service needs of Caisson; *caisson.Client is one.
type API interface {
	GetCheck(ctx context.Context, checkID string) (*caisson.Check, error)
	ExchangeToken(ctx context.Context, token string) (string, error)
	FetchMany(ctx context.Context, ids []string, concurrency int, each func(caisson.Result)) error
	// HoldsKey says whether text holds the API's secret key (refuseKey).
	// Part of the interface, not asked of it: serve's wrapper of the
	// client lacked it, and a note holding the key was stored (helper-74).
	HoldsKey(text string) bool
}

var (
	_ Store = (*store.Store)(nil)
	_ API   = (*caisson.Client)(nil)
)

// ErrNoAPI is the answer to work that needs Caisson when the service was
// given no API (no key: the store alone is still read and decided on).
var ErrNoAPI = errors.New("no Caisson API configured: give an API key to reach Caisson")

// Options are who the service works as and its clock.
type Options struct {
	// Reviewer is the display name adds, exchanges and decisions are
	// recorded with (a decision request may name its own).
	Reviewer string
	// Identity vouches for the reviewer's decisions: under serve the
	// session's SSH key; zero means the store's own (the OS account).
	Identity store.Identity
	// Now is the clock fetches are recorded with; time.Now when nil.
	Now func() time.Time
	// Offline, for a service without an API, says why and how to give
	// one ("no API key: pass --api-key-file…"); ErrNoAPI when nil.
	Offline error
	// Key, when the API key is configured but the service works offline
	// (a decision needs no network), is what a note is checked against:
	// text holding it is refused (refuseKey). A service with an API
	// checks against the API's own key.
	Key caisson.APIKey
}

// Service does the work; safe for concurrent use if its Store and API are
// (the store and the client are).
type Service struct {
	st  Store
	api API
	o   Options
}

// New is a service over st, reaching Caisson through api; api may be nil
// (offline: work that needs Caisson then answers ErrNoAPI).
func New(st Store, api API, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{st: st, api: api, o: o}
}

// Online reports whether the service can reach Caisson.
func (s *Service) Online() bool { return s.api != nil }

// offline is the error of work that needs Caisson, offline: ErrNoAPI,
// in the front end's words when it gave them.
func (s *Service) offline() error {
	if s.o.Offline == nil {
		return ErrNoAPI
	}
	return offlineError{s.o.Offline}
}

type offlineError struct{ why error }

func (e offlineError) Error() string        { return e.why.Error() }
func (e offlineError) Unwrap() error        { return e.why }
func (e offlineError) Is(target error) bool { return target == ErrNoAPI }

// Reviewer is the display name the service records work with.
func (s *Service) Reviewer() string { return s.o.Reviewer }
