package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFailNextFailsTheNextNGetsOfThatIDThenAnswersNormally(t *testing.T) {
	cases := []struct {
		failure Failure
		// check inspects a failed attempt's outcome.
		check func(t *testing.T, r response, err error)
	}{
		{FailInternal, func(t *testing.T, r response, err error) {
			mustNotErr(t, err)
			wantError(t, r, http.StatusInternalServerError, codeInternalError, fieldDescription)
		}},
		{Fail503, func(t *testing.T, r response, err error) {
			mustNotErr(t, err)
			wantStatusNotJSON(t, r, http.StatusServiceUnavailable)
		}},
		{Fail429, func(t *testing.T, r response, err error) {
			mustNotErr(t, err)
			wantStatusNotJSON(t, r, http.StatusTooManyRequests)
			if got := r.header.Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After %q, want 1", got)
			}
		}},
		{FailHTML502, func(t *testing.T, r response, err error) {
			mustNotErr(t, err)
			wantStatusNotJSON(t, r, http.StatusBadGateway)
			if !strings.Contains(string(r.body), "<html>") {
				t.Errorf("502 body is not an HTML page: %q", r.body)
			}
		}},
		{FailReset, func(t *testing.T, r response, err error) {
			if err == nil {
				t.Fatalf("reset: got status %d and a body, want a transport error", r.status)
			}
		}},
		{FailTruncated, func(t *testing.T, r response, err error) {
			mustNotErr(t, err)
			if r.status != http.StatusOK || json.Valid(r.body) || !strings.HasPrefix(string(r.body), `{"check_id"`) {
				t.Errorf("truncated: status %d, body %q: want 200 with the start of a check", r.status, r.body)
			}
		}},
		{FailHugeBody, func(t *testing.T, r response, err error) {
			mustNotErr(t, err)
			if r.status != http.StatusOK || len(r.body) < hugeBodySize {
				t.Errorf("huge body: status %d, %d bytes: want 200 and over %d bytes", r.status, len(r.body), hugeBodySize)
			}
		}},
		{FailSlowBody, func(t *testing.T, r response, err error) {
			mustNotErr(t, err)
			if r.status != http.StatusOK || !json.Valid(r.body) {
				t.Errorf("slow body: status %d body %q: want the real answer, only slow", r.status, r.body)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.failure.String(), func(t *testing.T) {
			f := start(t, Options{})
			// net/http's transport quietly retries a GET once when a reused
			// connection drops before any answer, which would spend the
			// scheduled failures unseen; fresh connections show each one.
			f.http.Transport = &http.Transport{DisableKeepAlives: true}
			f.s.SetSlowBody(100 * time.Millisecond)
			id, bystander := f.s.CheckID(1), f.s.CheckID(2)
			f.s.FailNext(id, 2, tc.failure)
			if r := f.getCheck(bystander, allFields); r.status != http.StatusOK {
				t.Fatalf("another id failed too: status %d", r.status)
			}
			for attempt := 1; attempt <= 2; attempt++ {
				began := time.Now()
				r, err := f.do(context.Background(), http.MethodGet, pathIDCheck+"?fields="+allFields, nil,
					"Authorization", f.auth(), headerCheckID, id)
				tc.check(t, r, err)
				if tc.failure == FailSlowBody && time.Since(began) < 80*time.Millisecond {
					t.Errorf("slow body took %v, want about 100ms", time.Since(began))
				}
			}
			if r := f.getCheck(id, allFields); r.status != http.StatusOK || str(r.json(t), "check_id") != id {
				t.Fatalf("third GET: status %d body %.200s, want the check", r.status, r.body)
			}
		})
	}
}

func mustNotErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
}

func wantStatusNotJSON(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status || json.Valid(r.body) {
		t.Errorf("status %d body %q: want %d and a body that is not JSON", r.status, r.body, status)
	}
}

func TestFailNextWithZeroCancelsWhatWasScheduled(t *testing.T) {
	f := start(t, Options{})
	id := f.s.CheckID(0)
	f.s.FailNext(id, 3, Fail503)
	f.s.FailNext(id, 0, Fail503)
	if r := f.getCheck(id, ""); r.status != http.StatusOK {
		t.Fatalf("status %d after cancelling, want 200", r.status)
	}
}

func TestFailRateOneFailsEveryRequestAndZeroNone(t *testing.T) {
	f := start(t, Options{FailRate: 1})
	f.s.SetSlowBody(time.Millisecond)
	kinds := map[string]bool{}
	for range 60 {
		// A fresh connection each time: Go's transport silently retries a
		// GET whose reused connection was reset, which would hide resets
		// behind the next random failure and make this test flaky.
		r, err := f.do(context.Background(), http.MethodGet, pathIDCheck, nil, "Authorization", f.auth(), headerCheckID, f.s.CheckID(0), "Connection", "close")
		switch {
		case err != nil:
			kinds["transport error"] = true
		case r.status == http.StatusOK && json.Valid(r.body):
			kinds["slow but whole"] = true // FailSlowBody delivers the real answer
		default:
			kinds[fmt.Sprint(r.status)] = true
		}
	}
	for _, want := range []string{"transport error", "slow but whole", "500", "503", "429"} {
		if !kinds[want] {
			t.Errorf("60 requests at fail rate 1 never gave %q (got %v)", want, kinds)
		}
	}
	f.s.SetFailRate(0)
	for range 20 {
		if r := f.getCheck(f.s.CheckID(0), ""); r.status != http.StatusOK {
			t.Fatalf("status %d at fail rate 0", r.status)
		}
	}
}

func TestLatencyDelaysEveryAnswer(t *testing.T) {
	f := start(t, Options{Latency: 40 * time.Millisecond})
	began := time.Now()
	f.getCheck(f.s.CheckID(0), "")
	if took := time.Since(began); took < 40*time.Millisecond {
		t.Fatalf("answer after %v, want at least the 40ms latency", took)
	}
	f.s.SetLatency(0, 0)
	began = time.Now()
	f.getCheck(f.s.CheckID(0), "")
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("answer after %v with latency reset to 0", took)
	}
}

func TestLatencyGivesUpWhenTheRequestIsCancelled(t *testing.T) {
	s := New(Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, pathIDCheck, nil)
	req.Header.Set("Authorization", "Caisson "+s.Key())
	req.Header.Set(headerCheckID, s.CheckID(0))
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		s.ServeHTTP(rec, req)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler still waits its hour of latency after the request was cancelled")
	}
	if rec.Body.Len() != 0 {
		t.Errorf("a cancelled request got a body: %q", rec.Body.String())
	}
}

func TestAClientTimeoutDuringASlowBodyEndsTheRequest(t *testing.T) {
	f := start(t, Options{})
	f.s.SetSlowBody(time.Hour)
	id := f.s.CheckID(0)
	f.s.FailNext(id, 1, FailSlowBody)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := f.do(ctx, http.MethodGet, pathIDCheck, nil, "Authorization", f.auth(), headerCheckID, id)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	// The Cleanup's stop would wait for a trickle that ignored the client.
}

func TestKnobsCanChangeWhileRequestsAreServed(t *testing.T) {
	f := start(t, Options{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				f.getCheck(f.s.CheckID((w*25+i)%f.s.Len()), "")
			}
		})
	}
	for i := range 50 {
		f.s.SetLatency(time.Duration(i%3)*time.Millisecond, time.Millisecond)
		f.s.SetFailRate(0)
		f.s.FailNext(f.s.CheckID(i), 1, FailInternal)
		_ = f.s.Requests()
	}
	wg.Wait()
}

func TestRequestsRecordsWhatCameInButNeverTheKey(t *testing.T) {
	f := start(t, Options{Key: "sk_test_SECRET_value"})
	id := f.s.CheckID(5)
	f.getCheck(id, "sex,dob")
	f.mustDo(http.MethodGet, pathIDCheck+"?check_id=x", nil, "Authorization", "Caisson wrong", headerCheckID, id)
	f.exchange(f.s.NewToken(1))

	got := f.s.Requests()
	want := []struct {
		method, path, query, checkID string
		authOK                       bool
	}{
		{http.MethodGet, pathIDCheck, "fields=sex,dob", id, true},
		{http.MethodGet, pathIDCheck, "check_id=x", id, false},
		{http.MethodPost, pathExchange, "", "", true},
	}
	if len(got) != len(want) {
		t.Fatalf("%d requests recorded, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Method != w.method || g.Path != w.path || g.RawQuery != w.query || g.CheckID != w.checkID || g.AuthOK != w.authOK {
			t.Errorf("request %d = %+v, want %+v", i, g, w)
		}
	}
	if !containsString(got[0].HeaderNames, "Authorization") || !containsString(got[0].HeaderNames, http.CanonicalHeaderKey(headerCheckID)) {
		t.Errorf("header names %v lack Authorization or %s", got[0].HeaderNames, headerCheckID)
	}
	if dump := fmt.Sprintf("%+v %#v", got, got); strings.Contains(dump, "SECRET") || strings.Contains(dump, "wrong") {
		t.Errorf("the record holds an Authorization value: %s", dump)
	}
	f.s.ResetRequests()
	if n := len(f.s.Requests()); n != 0 {
		t.Errorf("%d requests after ResetRequests", n)
	}
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
