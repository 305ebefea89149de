package serve

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

// A token whose exchange was cut off (the process stopped after Caisson
// exchanged it) is finished when serve starts, not left to expire until
// a reviewer happens to add a token: Caisson takes an exchanged token
// again for only 5 minutes. (serve once never resumed them.)
func TestServeFinishesInterruptedExchangesAtStart(t *testing.T) {
	var token, want string
	f := newFixture(t, fixtureOpts{before: func(st *store.Store, sb *sandbox.Server) {
		token, want = sb.NewToken(30), sb.CheckID(30)
		// The connection drops after Caisson exchanged the token: the
		// store keeps it for whoever starts next.
		_, _, err := st.Exchange(context.Background(), token, "alice", func(context.Context, string) (string, error) {
			return "", errors.New("connection reset by peer")
		})
		var kept *store.ExchangeKeptError
		if !errors.As(err, &kept) {
			t.Fatalf("the cut-off exchange: %v, want the token kept", err)
		}
	}})
	line := f.waitLog(10*time.Second, "exchange finished", "check="+want, "added=true")
	if containsAll(line, token) || containsAll(f.log.String(), token) {
		t.Errorf("the log holds the token:\n%s", f.log.String())
	}
	rec, err := f.st.Get(context.Background(), want)
	if err != nil {
		t.Fatalf("the exchanged check is not tracked: %v", err)
	}
	if rec.Source != store.SourceExchanged || rec.AddedBy != serverReviewer {
		t.Errorf("tracked with source %q by %q, want exchanged by %q", rec.Source, rec.AddedBy, serverReviewer)
	}
}
