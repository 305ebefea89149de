package main

import (
	"context"
	"fmt"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

// resumeExchanges finishes the token exchanges an earlier run recorded but
// did not complete (a crash or a lost connection between the exchange and
// storing its check id), and says what became of each on stderr. It runs
// wherever a command has an API client anyway.
func (a *app) resumeExchanges(ctx context.Context, st *store.Store, client *caisson.Client, reviewer string) error {
	outcomes, err := st.ResumeExchanges(ctx, reviewer, client.ExchangeToken)
	if err != nil {
		return fmt.Errorf("resuming interrupted exchanges: %w", err)
	}
	for _, o := range outcomes {
		when := timeText(o.RecordedAt)
		var text string
		switch {
		case o.Expired:
			text = fmt.Sprintf("dropped an exchange token recorded %s: too old to exchange now", when)
		case o.Err != nil && o.Dropped:
			text = fmt.Sprintf("dropped an exchange token recorded %s: %s", when, caisson.Explain(o.Err))
		case o.Err != nil:
			text = fmt.Sprintf("an exchange token recorded %s is still not exchanged (kept, to retry next time): %s", when, caisson.Explain(o.Err))
		case o.Added:
			text = fmt.Sprintf("finished an interrupted exchange: added %s", o.CheckID)
		default:
			text = fmt.Sprintf("finished an interrupted exchange: %s was already tracked", o.CheckID)
		}
		fmt.Fprintf(a.stderr, "%s: %s\n", progName, sanitize.Line(text))
	}
	return nil
}
