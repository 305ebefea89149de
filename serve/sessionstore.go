package serve

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

// sessionStore is the store as one session's console sees it: the shared
// store, behind the server's work gate (so shutdown waits for every call
// in flight and refuses new ones), with each decision written to the log
// once it is durable.
type sessionStore struct {
	st   tui.Store
	gate *workGate
	log  *slog.Logger // carries the session's user and fingerprint

	inFlight inFlight // this session's calls, waited for before its goodbye line
	decided  atomic.Int64
	// changed, when set, is called after every write that succeeded.
	changed func()
	// allowed, when set, is asked before every write: whether the
	// session's key may still write (see Server.stillAuthorized).
	allowed func() error
}

func (s *sessionStore) wrote() {
	if s.changed != nil {
		s.changed()
	}
}

var _ tui.Store = (*sessionStore)(nil)

func newSessionStore(st tui.Store, gate *workGate, log *slog.Logger) *sessionStore {
	return &sessionStore{st: st, gate: gate, log: log}
}

func (s *sessionStore) enter() error {
	if err := s.gate.enter(); err != nil {
		return err
	}
	s.inFlight.add()
	return nil
}

// enterWrite is enter for a call that writes: the key must still be
// allowed to. A refusal is logged with what was refused.
func (s *sessionStore) enterWrite(what string, attrs ...any) error {
	if s.allowed != nil {
		if err := s.allowed(); err != nil {
			s.log.Warn(what+" refused: "+refusalReason(err), attrs...)
			return err
		}
	}
	return s.enter()
}

func refusalReason(err error) string {
	if errors.Is(err, errKeyReadOnly) {
		return "key is read-only"
	}
	return "key no longer authorized"
}

func (s *sessionStore) leave() {
	s.inFlight.done()
	s.gate.leave()
}

// wait waits up to d for this session's store calls in flight.
func (s *sessionStore) wait(d time.Duration) bool { return s.inFlight.wait(d) }

// Decide records the decision and logs it. The session's context is not
// passed down: a reviewer who quits or drops the connection right after
// confirming must not cancel a decision the store is already writing.
func (s *sessionStore) Decide(ctx context.Context, checkID string, a store.Action, note, reviewer string) (store.Decision, error) {
	if err := s.enterWrite("decision", "check", checkID, "action", string(a)); err != nil {
		return store.Decision{}, err
	}
	defer s.leave()
	d, err := s.st.Decide(context.WithoutCancel(ctx), checkID, a, note, reviewer)
	if err != nil {
		return d, err
	}
	s.decided.Add(1)
	s.wrote()
	// The note is free text that may hold personal data: never logged.
	// The sequence number and chain hash make each line a witness of the
	// log's head: export --verify --head SEQ:HASH proves no entry up to
	// it was cut off since.
	s.log.Info("decision", "seq", d.Seq, "check", d.CheckID, "action", string(d.Action), "hash", d.Hash)
	return d, nil
}

func (s *sessionStore) Counts(ctx context.Context) (store.Counts, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	return s.st.Counts(ctx)
}

func (s *sessionStore) Page(ctx context.Context, q store.PageQuery) ([]store.Row, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	return s.st.Page(ctx, q)
}

func (s *sessionStore) Count(ctx context.Context, q store.PageQuery) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	return s.st.Count(ctx, q)
}

func (s *sessionStore) Get(ctx context.Context, checkID string) (*store.Record, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	return s.st.Get(ctx, checkID)
}

func (s *sessionStore) Add(ctx context.Context, checkID, by string, src store.Source) (bool, error) {
	if err := s.enterWrite("add", "check", checkID); err != nil {
		return false, err
	}
	defer s.leave()
	added, err := s.st.Add(ctx, checkID, by, src)
	if err == nil && added {
		s.wrote()
		s.log.Info("check added", "check", checkID, "source", string(src))
	}
	return added, err
}

func (s *sessionStore) Exchange(ctx context.Context, token, by string, exchange func(context.Context, string) (string, error)) (string, bool, error) {
	if err := s.enterWrite("add"); err != nil {
		return "", false, err
	}
	defer s.leave()
	id, added, err := s.st.Exchange(ctx, token, by, exchange)
	if err == nil && added {
		s.wrote()
		s.log.Info("check added", "check", id, "source", string(store.SourceExchanged))
	}
	return id, added, err
}

func (s *sessionStore) RecordFetch(ctx context.Context, checkID string, chk *caisson.Check, fetchErr error, at time.Time) error {
	if err := s.enterWrite("refresh", "check", checkID); err != nil {
		return err
	}
	defer s.leave()
	err := s.st.RecordFetch(ctx, checkID, chk, fetchErr, at)
	if err == nil {
		s.wrote()
	}
	return err
}

func (s *sessionStore) Next(ctx context.Context, q store.PageQuery, afterID string) (string, bool, error) {
	if err := s.enter(); err != nil {
		return "", false, err
	}
	defer s.leave()
	return s.st.Next(ctx, q, afterID)
}

func (s *sessionStore) ByCustomer(ctx context.Context, customerID string) ([]store.Row, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	return s.st.ByCustomer(ctx, customerID)
}
