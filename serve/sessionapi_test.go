package serve

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// The API as a session sees it, with the real client against the
// sandbox: a check being fetched is not fetched again at the same time
// (the console ignores r on a check it is refreshing; this holds whatever
// the console does), and a read-only key fetches nothing.
func TestSessionAPI(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	id := f.ids[0]
	t.Run("two fetches of one check at once make one request", func(t *testing.T) {
		f.sb.ResetRequests()
		f.sb.SetLatency(300*time.Millisecond, 0)
		defer f.sb.SetLatency(0, 0)
		a := newSessionAPI(f.srv.cfg.API, false, discardLog())
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				chk, err := a.GetCheck(context.Background(), id)
				if err == nil && chk == nil {
					err = errors.New("no check and no error")
				}
				errs[i] = err
			}()
			time.Sleep(50 * time.Millisecond)
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if n := len(f.sb.Requests()); n != 1 {
			t.Errorf("%d requests, expected 1", n)
		}
		if _, err := a.GetCheck(context.Background(), id); err != nil || len(f.sb.Requests()) != 2 {
			t.Errorf("a fetch after the first ended: %v, %d requests in all; expected a new request", err, len(f.sb.Requests()))
		}
	})
	t.Run("a read-only key fetches nothing", func(t *testing.T) {
		f.sb.ResetRequests()
		a := newSessionAPI(f.srv.cfg.API, true, discardLog())
		_, err1 := a.GetCheck(context.Background(), id)
		err2 := a.FetchMany(context.Background(), f.ids, 2, nil)
		_, err3 := a.ExchangeToken(context.Background(), f.sb.NewToken(0))
		for _, err := range []error{err1, err2, err3} {
			if !errors.Is(err, errReadOnlyFetch) {
				t.Errorf("got %v, expected the read-only refusal", err)
			}
		}
		if n := len(f.sb.Requests()); n != 0 {
			t.Errorf("%d requests, expected none", n)
		}
	})
}
