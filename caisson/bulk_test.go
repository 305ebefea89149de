package caisson

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func bulkIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("chk_priv_bulk%018d", i)
	}
	return ids
}

func TestFetchManyBoundsConcurrencyAndReportsEveryID(t *testing.T) {
	for _, conc := range []int{1, 3, 0} {
		t.Run(fmt.Sprintf("concurrency %d", conc), func(t *testing.T) {
			var inFlight, peak atomic.Int32
			c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
				now := inFlight.Add(1)
				defer inFlight.Add(-1)
				for {
					p := peak.Load()
					if now <= p || peak.CompareAndSwap(p, now) {
						break
					}
				}
				time.Sleep(5 * time.Millisecond)
				id := r.Header.Get("X-Caisson-CheckID")
				if id == "chk_priv_bulk000000000000000007" {
					writeBody(w, 200, `{"error":"PENDING_REVIEW"}`)
					return
				}
				writeBody(w, 200, `{"check_id":"`+id+`"}`)
			})
			ids := append(bulkIDs(40), "not an id")
			seen := map[string]int{}
			var inCallback atomic.Bool
			err := c.FetchMany(context.Background(), ids, conc, func(r Result) {
				if !inCallback.CompareAndSwap(false, true) {
					t.Error("each was called concurrently")
				}
				defer inCallback.Store(false)
				seen[r.CheckID]++
				switch {
				case r.CheckID == "chk_priv_bulk000000000000000007":
					if !errors.Is(r.Err, ErrPendingReview) || r.Check != nil {
						t.Errorf("the pending check: %+v", r)
					}
				case r.CheckID == "not an id":
					if r.Err == nil {
						t.Error("an invalid id was fetched")
					}
				case r.Err != nil || r.Check == nil || r.Check.CheckID != r.CheckID:
					t.Errorf("result %+v", r)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != len(ids) {
				t.Errorf("%d ids reported, want %d", len(seen), len(ids))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s reported %d times", id, n)
				}
			}
			want := int32(conc)
			if conc == 0 {
				want = DefaultConcurrency
			}
			if peak.Load() > want {
				t.Errorf("%d requests in flight, the bound is %d", peak.Load(), want)
			}
			if conc == 3 && peak.Load() < 2 {
				t.Errorf("only %d in flight: not concurrent", peak.Load())
			}
		})
	}
}

func TestFetchManyOfNothing(t *testing.T) {
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) {})
	called := false
	if err := c.FetchMany(context.Background(), nil, 8, func(Result) { called = true }); err != nil || called || n.Load() != 0 {
		t.Errorf("err %v, called %v, %d requests", err, called, n.Load())
	}
}

func TestFetchManyStopsOnCancellation(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	var started atomic.Int32
	c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		// The first ten answer at once; the rest hang until cancelled.
		if started.Add(1) > 10 {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		writeBody(w, 200, `{"check_id":"`+r.Header.Get("X-Caisson-CheckID")+`"}`)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ids := bulkIDs(500)
	var got int
	returned := false
	start := time.Now()
	err := c.FetchMany(ctx, ids, 4, func(r Result) {
		if returned {
			t.Error("each called after FetchMany returned")
		}
		if r.Err != nil {
			t.Errorf("a fetch cut short by the cancellation was reported: %v", r.Err)
		}
		got++
		if got == 10 {
			cancel()
		}
	})
	returned = true
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if got != 10 {
		t.Errorf("%d results, want the 10 fetched before the cancellation", got)
	}
	if n := started.Load(); n > 10+4+1 {
		t.Errorf("%d requests started after cancelling; at most the 4 in flight should", n-10)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func TestFetchManyStopsAtTheFirstRefusedKeyAndReportsNoRefusal(t *testing.T) {
	tests := []struct {
		name        string
		okFirst     int32 // requests answered before the key is refused
		concurrency int
	}{
		{"refused from the start: at most one request per worker", 0, 4},
		{"refused midway: what came before is reported", 6, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var served atomic.Int32
			c, requests := testServer(t, func(w http.ResponseWriter, r *http.Request) {
				if served.Add(1) > tt.okFirst {
					writeBody(w, http.StatusUnauthorized, `{"message":"invalid key"}`)
					return
				}
				writeBody(w, 200, `{"check_id":"`+r.Header.Get("X-Caisson-CheckID")+`"}`)
			})
			ids := bulkIDs(100)
			reported := 0
			err := c.FetchMany(context.Background(), ids, tt.concurrency, func(r Result) {
				reported++
				if r.Err != nil {
					t.Errorf("%s reported with %v: a refused key is no fact about a check", r.CheckID, r.Err)
				}
			})
			var refused *BatchKeyRefusedError
			if !errors.As(err, &refused) || !errors.Is(err, ErrKeyRefused) {
				t.Fatalf("err = %v, want a *BatchKeyRefusedError wrapping ErrKeyRefused", err)
			}
			if reported != int(tt.okFirst) || refused.Reported != reported || refused.NotFetched != len(ids)-reported {
				t.Errorf("reported %d, error says %+v; want %d reported and the rest not fetched", reported, refused, tt.okFirst)
			}
			if n := requests.Load(); n > tt.okFirst+int32(tt.concurrency) {
				t.Errorf("%d requests, want at most %d: no new request after the refusal", n, tt.okFirst+int32(tt.concurrency))
			}
		})
	}
}
