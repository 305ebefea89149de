package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

// sessionStore is the store as one session's console sees it: the shared
// store, behind the server's work gate (so shutdown waits for every call
// in flight and refuses new ones), with each decision written to the log
// once it is durable, and made as the session's SSH key.
type sessionStore struct {
	st   decider
	gate *workGate
	log  *slog.Logger // carries the session's user and fingerprint
	// identity is the key that authenticated the session: what four-eyes
	// compares, whatever name the console passes. Zero only in tests of
	// the gate, where the store's own (the OS account) stands in.
	identity store.Identity
	// access records what personal data the session was shown; nil until
	// the server sets it (see Viewed).
	access *store.AccessRecorder

	inFlight inFlight // this session's calls, waited for before its goodbye line
	decided  atomic.Int64
	// notSaved counts the decisions refused or failed: the goodbye must
	// not say "all saved" after one, nor may the log miss it (a decision
	// sent just before the connection dropped fails with no one to see).
	notSaved atomic.Int64
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

var (
	_ tui.Store     = (*sessionStore)(nil)
	_ service.Store = (*sessionStore)(nil)
)

// decider is what a session needs of the store: what the console reads,
// what the service writes for it (decisions made as a given identity
// among them), and the four-eyes count by identity. *store.Store is one;
// tests slow it down.
type decider interface {
	tui.Store
	service.Store
	CountConfirmable(ctx context.Context, id store.Identity) (int, error)
	RecordFetchAs(ctx context.Context, by store.Identity, checkID string, chk *caisson.Check, fetchErr error, at time.Time) error
	RecordFetches(ctx context.Context, results []store.FetchResult) ([]error, error)
	Proposals(ctx context.Context, seqs []int64) (map[int64]store.Decision, error)
	Policy(ctx context.Context) (store.Policy, error)
}

var _ decider = (*store.Store)(nil)

func newSessionStore(st decider, gate *workGate, log *slog.Logger, id store.Identity) *sessionStore {
	return &sessionStore{st: st, gate: gate, log: log, identity: id}
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
	if errors.Is(err, errKeysUnusable) {
		return "authorized_keys unusable"
	}
	return "key no longer authorized"
}

func (s *sessionStore) leave() {
	s.inFlight.done()
	s.gate.leave()
}

// wait waits up to d for this session's store calls in flight.
func (s *sessionStore) wait(d time.Duration) bool { return s.inFlight.wait(d) }

// Decide records the decision as the session's key and logs it (see
// DecideAs).
func (s *sessionStore) Decide(ctx context.Context, checkID string, a store.Action, note, reviewer string) (store.Decision, error) {
	return s.DecideAs(ctx, store.DecisionRequest{CheckID: checkID, Action: a, Note: note, Reviewer: reviewer})
}

// DecideAs records the decision and logs it. The identity is always the
// session's key, whatever the request names: under serve the key is what
// vouches for the reviewer, and four-eyes must compare keys, not the
// account the server runs as. The session's context is not passed down: a
// reviewer who quits or drops the connection right after confirming must
// not cancel a decision the store is already writing.
func (s *sessionStore) DecideAs(ctx context.Context, r store.DecisionRequest) (store.Decision, error) {
	if err := s.enterWrite("decision", "check", r.CheckID, "action", string(r.Action)); err != nil {
		s.notSaved.Add(1)
		return store.Decision{}, err
	}
	defer s.leave()
	r.Identity = s.identity
	d, err := s.st.DecideAs(context.WithoutCancel(ctx), r)
	if err != nil {
		s.notSaved.Add(1)
		if errors.Is(err, store.ErrSameReviewer) {
			s.log.Warn("decision refused: the proposer's own key", "check", r.CheckID, "action", string(r.Action))
		} else {
			// The store's words name the check and why, never the note.
			s.log.Warn("decision not saved", "check", r.CheckID, "action", string(r.Action), "error", sanitize.Line(err.Error()))
		}
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

// Identity is the identity the session's decisions are made as: its SSH
// key. The console compares it with a proposal's (Decision.ConfirmableBy)
// to show confirm and return disabled on the reviewer's own proposals.
func (s *sessionStore) Identity() store.Identity { return s.identity }

// CountConfirmable counts the proposals this session's key may confirm:
// under serve, the Second review tab counts these, not the proposals the
// reviewer made.
func (s *sessionStore) CountConfirmable(ctx context.Context) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	return s.st.CountConfirmable(ctx, s.identity)
}

// Viewed records that the session was shown what of a check's personal
// data: the console calls it once its detail has shown a check for a
// second (and may again while it stays shown; the recorder keeps one per
// check per 10 minutes). It never waits for the database: records are
// written by the recorder at most once a second, and the rest when the
// session ends.
func (s *sessionStore) Viewed(checkID string, what store.AccessWhat) {
	if s.access != nil {
		s.access.Viewed(checkID, what)
	}
}

// closeAccess writes the access records still pending, once the console
// has ended.
func (s *sessionStore) closeAccess(d time.Duration) error {
	if s.access == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := s.access.Close(ctx); err != nil {
		return fmt.Errorf("writing the session's access records: %w", err)
	}
	return nil
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

func (s *sessionStore) AddMany(ctx context.Context, ids []string, by string, src store.Source) (store.AddResult, error) {
	if err := s.enterWrite("add", "checks", len(ids)); err != nil {
		return store.AddResult{}, err
	}
	defer s.leave()
	res, err := s.st.AddMany(ctx, ids, by, src)
	if err == nil && len(res.Added) > 0 {
		s.wrote()
		for _, id := range res.Added {
			s.log.Info("check added", "check", id, "source", string(src))
		}
	}
	return res, err
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

// ResumeExchanges finishes the exchanges left unfinished (by this server
// before a restart, or by the CLI), as this session's key: a write.
func (s *sessionStore) ResumeExchanges(ctx context.Context, by string, exchange func(context.Context, string) (string, error)) ([]store.ExchangeOutcome, error) {
	if err := s.enterWrite("add"); err != nil {
		return nil, err
	}
	defer s.leave()
	outs, err := s.st.ResumeExchanges(ctx, by, exchange)
	for _, o := range outs {
		if o.CheckID != "" && o.Added {
			s.wrote()
			s.log.Info("check added", "check", o.CheckID, "source", string(store.SourceExchanged))
		}
	}
	return outs, err
}

// RecordFetch records a refresh this session ran, as its key: a proposal
// the new response voids is logged with the key that asked for the
// refresh, not with the account the server runs as.
func (s *sessionStore) RecordFetch(ctx context.Context, checkID string, chk *caisson.Check, fetchErr error, at time.Time) error {
	if err := s.enterWrite("refresh", "check", checkID); err != nil {
		return err
	}
	defer s.leave()
	err := s.st.RecordFetchAs(ctx, s.identity, checkID, chk, fetchErr, at)
	if err == nil {
		s.wrote()
	}
	return err
}

// RecordFetches records a batch of a bulk refresh this session ran (the
// console's R) in one transaction, as its key, like RecordFetch: the
// service stores a bulk refresh through it (group commit).
func (s *sessionStore) RecordFetches(ctx context.Context, results []store.FetchResult) ([]error, error) {
	if err := s.enterWrite("refresh", "checks", len(results)); err != nil {
		return nil, err
	}
	defer s.leave()
	for i := range results {
		results[i].By = s.identity
	}
	errs, err := s.st.RecordFetches(ctx, results)
	if err == nil && slices.Contains(errs, nil) {
		s.wrote()
	}
	return errs, err
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

// Proposals reads the proposals a Second review list shows.
func (s *sessionStore) Proposals(ctx context.Context, seqs []int64) (map[int64]store.Decision, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	return s.st.Proposals(ctx, seqs)
}

// Policy reads the four-eyes policy, for the console's tab bar. No
// session can change it.
func (s *sessionStore) Policy(ctx context.Context) (store.Policy, error) {
	if err := s.enter(); err != nil {
		return store.Policy{}, err
	}
	defer s.leave()
	return s.st.Policy(ctx)
}

func (s *sessionStore) Stats(ctx context.Context, q store.StatsQuery) (*store.Stats, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	return s.st.Stats(ctx, q)
}
