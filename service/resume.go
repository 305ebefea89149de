package service

import (
	"context"
	"fmt"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// Resumed is what became of one exchange an earlier run (or session)
// recorded but did not finish. The token itself is a secret and is not
// carried.
type Resumed struct{ store.ExchangeOutcome }

// ResumeExchanges finishes the token exchanges that were recorded but not
// completed (a crash, a lost connection, a refused key or a server error:
// whatever may pass). Caisson accepts an exchanged token again for 5
// minutes, so every front end that reaches Caisson runs this first, or
// those tokens expire. Offline it does nothing.
func (s *Service) ResumeExchanges(ctx context.Context) ([]Resumed, error) {
	if s.api == nil {
		return nil, nil
	}
	outs, err := s.st.ResumeExchanges(ctx, s.o.Reviewer, s.api.ExchangeToken)
	if err != nil {
		return nil, fmt.Errorf("resuming interrupted exchanges: %w", err)
	}
	res := make([]Resumed, len(outs))
	for i, o := range outs {
		res[i] = Resumed{o}
	}
	return res, nil
}

// Failed reports whether the token is still not exchanged (kept or
// dropped): not a tracked check.
func (r Resumed) Failed() bool { return r.Expired || r.Err != nil }

// Text says what became of the token, with times written by timeText.
func (r Resumed) Text(timeText func(time.Time) string) string {
	when := timeText(r.RecordedAt)
	switch {
	case r.Expired:
		return fmt.Sprintf("dropped an exchange token recorded %s: too old to exchange now", when)
	case r.Err != nil && r.Dropped:
		return fmt.Sprintf("dropped an exchange token recorded %s: %s", when, caisson.Explain(r.Err))
	case r.Err != nil:
		return fmt.Sprintf("an exchange token kept since %s is still not exchanged: %s. It stays kept, to try again next time, until %s",
			when, caisson.Explain(r.Err), timeText(r.KeptUntil))
	case r.Added:
		return fmt.Sprintf("finished the exchange of a token kept since %s: added %s", when, r.CheckID)
	}
	return fmt.Sprintf("finished the exchange of a token kept since %s: %s was already tracked", when, r.CheckID)
}
