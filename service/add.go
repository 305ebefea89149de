package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// Input is one id or token as a reviewer gave it.
type Input struct {
	// Where names it for the reviewer: "argument 2". Line, when Where is
	// empty, is its line in a file or a list, named "line 5" (a million
	// lines need no million names made up front).
	Where string
	Line  int
	Text  string
	// Source is how it came: typed or imported (a token's check is
	// always recorded as exchanged).
	Source store.Source
}

// Place names the input for the reviewer: Where, or its line.
func (in Input) Place() string {
	if in.Where == "" && in.Line > 0 {
		return "line " + strconv.Itoa(in.Line)
	}
	return in.Where
}

// Verdict is what became of one input: every input gets exactly one.
type Verdict string

const (
	Added        Verdict = "added"
	AlreadyThere Verdict = "already there"
	// NotExchangedYet is a token whose exchange failed for a reason that
	// may pass: kept to retry, not refused.
	NotExchangedYet Verdict = "not exchanged yet"
	Refused         Verdict = "refused"
)

// AddOutcome is what became of one input.
type AddOutcome struct {
	Input   Input
	Verdict Verdict
	CheckID string
	// Token: the input was an exchange token.
	Token bool
	// Repeats is where the same id was given first, when it was.
	Repeats string
	// Err is why it was refused or not exchanged yet.
	Err error
	// KeptUntil is when a kept token can no longer work and is dropped.
	KeptUntil time.Time
}

// AddReport is what Add did: one outcome per input, in input order, and
// the exchanges of earlier runs it finished first.
type AddReport struct {
	Outcomes []AddOutcome
	Resumed  []Resumed
}

// Count is how many outcomes had verdict v.
func (r AddReport) Count(v Verdict) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Verdict == v {
			n++
		}
	}
	return n
}

// Added is the check ids that are new in the store, in input order.
func (r AddReport) Added() []string {
	var ids []string
	for _, o := range r.Outcomes {
		if o.Verdict == Added {
			ids = append(ids, o.CheckID)
		}
	}
	return ids
}

// Add tracks check ids and exchanges tokens, then tracks the check ids
// they give. Repeats are reported as already there, invalid inputs as
// refused with the expected form, and a token whose exchange may still
// work later as not exchanged yet (the store keeps it). One input's
// failure never stops the others; the error is for the database failing
// the whole batch. Before exchanging, the exchanges earlier runs left
// unfinished are finished (AddReport.Resumed).
func (s *Service) Add(ctx context.Context, inputs []Input) (AddReport, error) {
	return s.AddWithProgress(ctx, inputs, nil)
}

// addChunk is how many check ids one transaction stores when Add reports
// progress: a bar that moves every few hundred milliseconds.
var addChunk = 50_000

// AddWithProgress is Add telling progress, when not nil, how many of the
// check ids to store are stored, after every transaction. So that it
// can, the ids are then stored addChunk to a transaction: a database
// error keeps the transactions before it and says how many that stored.
// Without progress, as for a script, the ids are one transaction.
func (s *Service) AddWithProgress(ctx context.Context, inputs []Input, progress func(stored, total int)) (AddReport, error) {
	rep := AddReport{Outcomes: make([]AddOutcome, len(inputs))}
	ids := make([]int, 0, len(inputs))
	var tokens []int
	// Sized up front: a file of a million ids would otherwise grow the
	// map twenty times over, which cost more than storing the ids.
	first := make(map[string]int, len(inputs)) // where each id or token was first given
	repeats := map[int]int{}                   // a repeat's index -> its first's
	for i, in := range inputs {
		o := &rep.Outcomes[i]
		o.Input = in
		id, err := caisson.ParseID(in.Text)
		if err != nil {
			o.Verdict, o.Err = Refused, err
			continue
		}
		o.Token = id.Kind == caisson.KindExchangeToken
		if f, seen := first[id.Value]; seen {
			o.Verdict, o.Repeats = AlreadyThere, inputs[f].Place()
			repeats[i] = f
			continue
		}
		first[id.Value] = i
		if o.Token {
			tokens = append(tokens, i)
		} else {
			o.CheckID = id.Value
			ids = append(ids, i)
		}
	}
	err := s.addAll(ctx, &rep, ids, tokens, progress)
	// A repeat names the check its first gave, never a token: a token is
	// a secret until exchanged.
	for i, f := range repeats {
		first, o := rep.Outcomes[f], &rep.Outcomes[i]
		o.CheckID = first.CheckID
		if first.Verdict != Added && first.Verdict != AlreadyThere {
			// The same input again shares its first's fate (refused, kept,
			// or none when the batch failed first): called "already
			// there", it would be counted as tracked.
			o.Verdict, o.Err, o.KeptUntil = first.Verdict, first.Err, first.KeptUntil
		}
	}
	return rep, err
}

// addAll adds the check ids at ids and exchanges the tokens at tokens,
// finishing earlier exchanges first.
func (s *Service) addAll(ctx context.Context, rep *AddReport, ids, tokens []int, progress func(int, int)) error {
	if err := s.addCheckIDs(ctx, rep.Outcomes, ids, progress); err != nil {
		return err
	}
	if len(tokens) == 0 {
		return nil
	}
	var err error
	if rep.Resumed, err = s.ResumeExchanges(ctx); err != nil {
		return err
	}
	s.exchangeAll(ctx, rep.Outcomes, tokens)
	return nil
}

// exchangeConcurrency is how many token exchanges Add keeps in flight:
// one at a time, a file of tokens took a round trip each, hours on a slow
// link.
const exchangeConcurrency = DefaultConcurrency

// exchangeAll exchanges the tokens at idx, several at a time, each into
// its own outcome. Two tokens may give one check: the earlier line is then
// the one that added it, as when they were exchanged in turn.
func (s *Service) exchangeAll(ctx context.Context, outs []AddOutcome, idx []int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(exchangeConcurrency, len(idx)) {
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= len(idx) {
					return
				}
				s.exchangeInto(ctx, &outs[idx[n]])
			}
		})
	}
	wg.Wait()
	firstOf := map[string]int{}
	for _, i := range idx {
		o := &outs[i]
		if o.Verdict != Added && o.Verdict != AlreadyThere {
			continue
		}
		f, seen := firstOf[o.CheckID]
		if !seen {
			firstOf[o.CheckID] = i
			continue
		}
		if o.Verdict == Added {
			// A later line won the race to store it.
			o.Verdict, outs[f].Verdict = AlreadyThere, Added
		}
	}
}

// addCheckIDs stores the new check ids in one transaction per source: a
// file of 100,000 ids is one write, not 100,000 (with progress, one per
// addChunk ids).
func (s *Service) addCheckIDs(ctx context.Context, outs []AddOutcome, idx []int, progress func(int, int)) error {
	bySource := map[store.Source][]int{}
	var order []store.Source
	for _, i := range idx {
		src := outs[i].Input.Source
		if src == "" {
			src = store.SourceTyped
		}
		if _, ok := bySource[src]; !ok {
			order = append(order, src)
		}
		bySource[src] = append(bySource[src], i)
	}
	chunk := len(idx)
	if progress != nil {
		chunk = addChunk
		progress(0, len(idx))
	}
	stored := 0
	for _, src := range order {
		list := bySource[src]
		for len(list) > 0 {
			part := list[:min(chunk, len(list))]
			list = list[len(part):]
			if err := s.addPart(ctx, outs, part, src); err != nil {
				if stored > 0 || errors.Is(err, context.Canceled) {
					return &PartlyStoredError{Stored: stored, Total: len(idx), Err: err}
				}
				return fmt.Errorf("storing check ids: %w", err)
			}
			stored += len(part)
			if progress != nil {
				progress(stored, len(idx))
			}
		}
	}
	return nil
}

// PartlyStoredError is an add whose transactions stopped part way (a
// database error, or an interruption): Stored of Total check ids are on
// disk, the others not, and adding the same again stores the rest.
type PartlyStoredError struct {
	Stored, Total int
	Err           error
}

func (e *PartlyStoredError) Error() string {
	return fmt.Sprintf("storing check ids: %d of %d stored, the others not (adding the same ids again stores them): %v", e.Stored, e.Total, e.Err)
}

func (e *PartlyStoredError) Unwrap() error { return e.Err }

// addPart stores the check ids at list, all of source src, in one
// transaction.
func (s *Service) addPart(ctx context.Context, outs []AddOutcome, list []int, src store.Source) error {
	ids := make([]string, len(list))
	for k, i := range list {
		ids[k] = outs[i].CheckID
	}
	res, err := s.st.AddMany(ctx, ids, s.o.Reviewer, src)
	if err != nil {
		// The store knows positions in this part only: where the part's
		// ids were given is the service's to say.
		if len(list) == 1 {
			return fmt.Errorf("the id of %s: %w", outs[list[0]].Input.Place(), err)
		}
		return fmt.Errorf("the ids of %s to %s: %w", outs[list[0]].Input.Place(), outs[list[len(list)-1]].Input.Place(), err)
	}
	judge(outs, list, ids, res)
	return nil
}

// judge gives each of ids (distinct, at outs[list[k]]) its verdict from
// res. AddMany reports the added and the existing ids in input order and
// a refusal by its line, so one walk matches them without a map: a
// million ids would otherwise cost a million map entries.
func judge(outs []AddOutcome, list []int, ids []string, res store.AddResult) {
	refused := make([]error, len(ids))
	for _, r := range res.Refused {
		if r.Line >= 1 && r.Line <= len(ids) {
			refused[r.Line-1] = r.Err
		}
	}
	added, existing := res.Added, res.Existing
	for k, i := range list {
		switch {
		case refused[k] != nil:
			outs[i].Verdict, outs[i].Err, outs[i].CheckID = Refused, refused[k], ""
		case len(added) > 0 && added[0] == ids[k]:
			outs[i].Verdict, added = Added, added[1:]
		case len(existing) > 0 && existing[0] == ids[k]:
			outs[i].Verdict, existing = AlreadyThere, existing[1:]
		default:
			// The store must account for every id; never let one
			// vanish silently.
			outs[i].Verdict, outs[i].Err = Refused, errors.New("the store did not report on this id")
		}
	}
}

// errInterrupted: the batch was cancelled before this token's turn.
var errInterrupted = errors.New("interrupted before its turn, so never sent to Caisson")

// keepTimeout bounds keeping a token after an interruption.
const keepTimeout = 5 * time.Second

func (s *Service) exchangeInto(ctx context.Context, o *AddOutcome) {
	if ctx.Err() != nil {
		s.keepInterrupted(ctx, o)
		return
	}
	id, added, err := s.Exchange(ctx, o.Input.Text)
	var kept *store.ExchangeKeptError
	switch {
	case errors.As(err, &kept):
		o.Verdict, o.Err, o.KeptUntil = NotExchangedYet, kept.Err, kept.Until
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// Interrupted while the token was being recorded, before it was
		// sent: kept as one never sent. (It was refused and lost when the
		// interruption came between the check above and the write.)
		s.keepInterrupted(ctx, o)
	case err != nil:
		o.Verdict, o.Err = Refused, err
	case added:
		o.Verdict, o.CheckID = Added, id
	default:
		o.Verdict, o.CheckID = AlreadyThere, id
	}
}

// keepInterrupted keeps a token an interruption kept from being sent to
// Caisson, so that the next run exchanges it (a token works for 2 hours;
// given up here, it would be lost).
func (s *Service) keepInterrupted(ctx context.Context, o *AddOutcome) {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keepTimeout)
	defer cancel()
	_, _, err := s.st.Exchange(kctx, strings.TrimSpace(o.Input.Text), s.o.Reviewer,
		func(context.Context, string) (string, error) { return "", errInterrupted })
	var kept *store.ExchangeKeptError
	if errors.As(err, &kept) {
		o.Verdict, o.Err, o.KeptUntil = NotExchangedYet, kept.Err, kept.Until
		return
	}
	o.Verdict, o.Err = Refused, fmt.Errorf("%w, and could not be kept: %w; add it again", errInterrupted, err)
}

// Exchange exchanges one token and tracks its check id (added is false
// when it was already tracked). A failure that may pass is a
// *store.ExchangeKeptError: the token is kept and ResumeExchanges finishes
// it. It does not resume other exchanges: Add and the exchange command do
// that first.
func (s *Service) Exchange(ctx context.Context, token string) (checkID string, added bool, err error) {
	if s.api == nil {
		return "", false, fmt.Errorf("exchange tokens need the API: %w", s.offline())
	}
	return s.st.Exchange(ctx, strings.TrimSpace(token), s.o.Reviewer, s.api.ExchangeToken)
}

// Detail is the reason or note that goes with the verdict, "" when none,
// with times written by timeText. A kept token's words say how it ends,
// matching what the store does with it.
func (o AddOutcome) Detail(timeText func(time.Time) string) string {
	switch {
	case o.Repeats != "" && o.Verdict != AlreadyThere:
		return "repeats " + o.Repeats + ", " + string(o.Verdict) + " there"
	case o.Verdict == NotExchangedYet:
		return fmt.Sprintf("%s. The token is kept: the next add, exchange or refresh that reaches Caisson tries it again "+
			"and tracks its check id; after %s it can no longer work and is dropped", caisson.Explain(o.Err), timeText(o.KeptUntil))
	case o.Verdict == Refused && o.Token && caisson.CodeOf(o.Err) != "":
		// Refused for good by Caisson: the store has forgotten it.
		return caisson.Explain(o.Err) + ". The token was not kept"
	case o.Verdict == Refused && o.Token && !errors.Is(o.Err, ErrNoAPI) && !errors.Is(o.Err, errInterrupted):
		return "exchange failed: " + caisson.Explain(o.Err)
	case o.Verdict == Refused:
		return o.Err.Error()
	case o.Repeats != "":
		return "repeats " + o.Repeats
	case o.Token:
		return "exchanged from a token"
	}
	return ""
}
