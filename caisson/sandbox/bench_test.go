package sandbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// BenchmarkServeCheck is the cost of one GET with all fields, without the
// network: generating check i from the seed and rendering it.
func BenchmarkServeCheck(b *testing.B) {
	s := New(Options{Checks: MaxChecks})
	req := httptest.NewRequest(http.MethodGet, pathIDCheck+"?fields="+allFields, nil)
	req.Header.Set("Authorization", "Caisson "+s.Key())
	ids := s.CheckIDs(1000)
	s.SetLatency(0, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req.Header.Set(headerCheckID, ids[i%len(ids)])
		s.ServeHTTP(httptest.NewRecorder(), req)
		i++
		if i%10_000 == 0 {
			s.ResetRequests()
		}
	}
}

// BenchmarkCheckIDRoundTrip is CheckID(i) and the lookup back to i: O(1)
// whatever the data set's size.
func BenchmarkCheckIDRoundTrip(b *testing.B) {
	s := New(Options{Checks: MaxChecks})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, ok := s.lookup(s.CheckID(i % MaxChecks)); !ok {
			b.Fatal("lookup failed")
		}
		i += 7919
	}
}

// BenchmarkNewMillionChecks shows New costs the same for a million checks
// as for 200: nothing is generated up front.
func BenchmarkNewMillionChecks(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New(Options{Checks: MaxChecks, Key: "k"})
	}
}

// BenchmarkFetch1000At20msWith8InFlight is the sandbox's side of the
// client's bulk-fetch target: 1,000 GETs over loopback at 20 ms latency,
// 8 at a time, with plain net/http. The floor is 1,000 × 20 ms / 8 = 2.5 s.
func BenchmarkFetch1000At20msWith8InFlight(b *testing.B) {
	s := New(Options{Latency: 20 * time.Millisecond, Checks: 1000})
	base, stop, err := s.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	ids := s.CheckIDs(1000)
	for b.Loop() {
		work := make(chan string)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for id := range work {
					req, _ := http.NewRequest(http.MethodGet, base+pathIDCheck+"?fields="+allFields, nil)
					req.Header.Set("Authorization", "Caisson "+s.Key())
					req.Header.Set(headerCheckID, id)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		for _, id := range ids {
			work <- id
		}
		close(work)
		wg.Wait()
		s.ResetRequests()
	}
}
