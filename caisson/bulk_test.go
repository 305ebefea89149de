package caisson

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
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

func TestFetchManyStopsWhenCaissonIsUnavailableAndReportsNoneOfTheRun(t *testing.T) {
	tests := []struct {
		name    string
		okFirst int32 // requests answered before the outage
		fail    func(w http.ResponseWriter)
		run     int // the Run the error gives
		explain string
	}{
		{"a gateway's 503 from the start", 0, func(w http.ResponseWriter) { w.WriteHeader(503) }, UnavailableRun, "Caisson unavailable for 8 checks in a row: stopped, no check marked failed; 0 checks stored before it, 1000 not fetched. Caisson's answer could not be read (HTTP 503)"},
		{"429 after a few answers", 5, func(w http.ResponseWriter) { w.WriteHeader(429) }, UnavailableRun, "limiting this account's requests"},
		{"a connection cut without an answer", 3, func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, UnavailableRun, "Could not reach Caisson"},
		{"a Retry-After of an hour stops at the first", 2, func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
		}, 1, "Caisson asked to wait 1h: stopped, no check marked failed; 2 checks stored before it, 998 not fetched. Caisson asked to wait 1h before any more requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var served atomic.Int32
			c, requests := testServer(t, func(w http.ResponseWriter, r *http.Request) {
				if served.Add(1) > tt.okFirst {
					tt.fail(w)
					return
				}
				writeBody(w, 200, `{"check_id":"`+r.Header.Get("X-Caisson-CheckID")+`"}`)
			}, WithRetries(1))
			ids := bulkIDs(1000)
			reported := 0
			// One at a time: with more, an answer started before the
			// outage may come back after failures, which then count as
			// passing trouble.
			err := c.FetchMany(context.Background(), ids, 1, func(r Result) {
				reported++
				if r.Err != nil {
					t.Errorf("%s reported with %v: Caisson's outage is no fact about a check", r.CheckID, r.Err)
				}
				if reported == int(tt.okFirst) {
					// A reader slow to see what comes next, as on a busy
					// machine: the workers must not go on meanwhile.
					time.Sleep(20 * time.Millisecond)
				}
			})
			var stopped *BatchStoppedError
			if !errors.As(err, &stopped) {
				t.Fatalf("err = %v, want a *BatchStoppedError", err)
			}
			if reported != int(tt.okFirst) || stopped.Reported != reported || stopped.NotFetched != len(ids)-reported || stopped.Run != tt.run {
				t.Errorf("reported %d, error says %+v; want %d reported, the rest not fetched, a run of %d", reported, stopped, tt.okFirst, tt.run)
			}
			// No more than the run and the requests in flight: not a
			// thousand failures, each of which a store would record.
			// (Go's transport tries a GET again, once, on a reused
			// connection closed under it.)
			if n := requests.Load(); n < tt.okFirst+int32(tt.run) || n > tt.okFirst+2*int32(tt.run) {
				t.Errorf("%d requests, want %d (up to %d)", n, tt.okFirst+int32(tt.run), tt.okFirst+2*int32(tt.run))
			} else if tt.run == 1 && n != tt.okFirst+1 {
				// Asked to wait, the worker stops at once, whatever the
				// reader has seen.
				t.Errorf("%d requests after Caisson asked to wait, want %d", n, tt.okFirst+1)
			}
			msg := Explain(err)
			for _, want := range []string{tt.explain, "no check marked failed;", fmt.Sprintf("%d not fetched", len(ids)-reported)} {
				if !strings.Contains(msg, want) {
					t.Errorf("Explain = %q, want it to say %q", msg, want)
				}
			}
		})
	}
}

func TestFetchManyReportsPassingTroubleAsFailures(t *testing.T) {
	// Fewer than UnavailableRun in a row, between answers, is not an
	// outage: those checks failed, and each is reported.
	var served, refused atomic.Int32
	c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		if n%10 < UnavailableRun-2 && n > 20 && n <= 40 {
			refused.Add(1)
			w.WriteHeader(503)
			return
		}
		writeBody(w, 200, `{"check_id":"`+r.Header.Get("X-Caisson-CheckID")+`"}`)
	}, WithRetries(1))
	ids := bulkIDs(60)
	failed, reported := 0, 0
	err := c.FetchMany(context.Background(), ids, 1, func(r Result) {
		reported++
		if r.Err != nil {
			failed++
			if !Unavailable(r.Err) {
				t.Errorf("%s: %v, want a 503", r.CheckID, r.Err)
			}
		}
	})
	if err != nil || reported != len(ids) || failed != int(refused.Load()) || failed < 10 {
		t.Errorf("err %v, %d reported, %d failed; want every id reported and the %d refused failed", err, reported, failed, refused.Load())
	}
}

func TestUnavailableTellsCaissonsTroubleFromAnAnswerAboutTheCheck(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   bool
	}{
		{503, "Service Unavailable", true},
		{502, "<html>bad gateway</html>", true},
		{504, "", true},
		{429, "", true},
		{500, `{"error":"INTERNAL_ERROR"}`, false}, // Caisson's own answer about the check
		{400, `{"error":"INVALID_INPUT"}`, false},
		{404, "not found", true}, // a proxy's page, not Caisson's answer
		{403, "<html>denied</html>", true},
		{200, "{\"check_id\": \"chk_pri", true}, // cut short
		{200, `{"error":"PENDING_REVIEW"}`, false},
	}
	for _, tt := range tests {
		c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) { writeBody(w, tt.status, tt.body) }, WithRetries(1))
		_, err := c.GetCheck(context.Background(), sampleID)
		if got := Unavailable(err); got != tt.want {
			t.Errorf("HTTP %d %q: Unavailable(%v) = %v, want %v", tt.status, tt.body, err, got, tt.want)
		}
	}
	c, err := NewClient("http://127.0.0.1:1", mustKey(t, testKey), WithRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetCheck(context.Background(), sampleID)
	if !Unavailable(err) {
		t.Errorf("a refused connection: Unavailable(%v) = false", err)
	}
	// The cause is what an operator acts on: it is said.
	if got := Explain(err); !strings.Contains(got, "Could not reach Caisson (") || !strings.Contains(got, "connection refused") {
		t.Errorf("Explain = %q, want the cause, connection refused", got)
	}
}
