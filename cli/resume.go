package cli

import (
	"context"
	"fmt"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

// resumeExchanges finishes the token exchanges an earlier run recorded but
// did not complete (a crash, a lost connection, a refused key or a server
// error: whatever may pass), and says what became of each on stderr. It runs
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
			text = fmt.Sprintf("an exchange token kept since %s is still not exchanged: %s. It stays kept, to try again next time, until %s",
				when, caisson.Explain(o.Err), timeText(o.KeptUntil))
		case o.Added:
			text = fmt.Sprintf("finished the exchange of a token kept since %s: added %s", when, o.CheckID)
		default:
			text = fmt.Sprintf("finished the exchange of a token kept since %s: %s was already tracked", when, o.CheckID)
		}
		fmt.Fprintf(a.stderr, "%s: %s\n", progName, sanitize.Line(text))
	}
	return nil
}
