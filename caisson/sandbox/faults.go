package sandbox

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Failure is a way a request can fail on its way to or from the API.
type Failure int

const (
	FailNone Failure = iota
	// FailInternal answers INTERNAL_ERROR with HTTP 500.
	FailInternal
	// Fail503 is a bare 503 from a load balancer: plain text, no JSON.
	Fail503
	// FailReset drops the connection without a response (TCP reset).
	FailReset
	// FailSlowBody sends the real answer's headers at once, then trickles
	// its body over SetSlowBody's duration (2 s by default).
	FailSlowBody
	// Fail429 is rate limiting: HTTP 429 with Retry-After: 1. The
	// reference documents no rate limits; this is the sandbox's own.
	Fail429
	// FailHTML502 is a proxy's HTML error page with HTTP 502.
	FailHTML502
	// FailTruncated is HTTP 200 with the JSON body cut off halfway.
	FailTruncated
	// FailHugeBody is HTTP 200 with a 2 MiB body, over any sane read cap.
	FailHugeBody
)

// RandomFailures are the failures Options.FailRate draws from: the
// transient ones a client is expected to retry or time out on.
var RandomFailures = []Failure{FailInternal, Fail503, FailReset, FailSlowBody, Fail429}

func (f Failure) String() string {
	switch f {
	case FailNone:
		return "none"
	case FailInternal:
		return "INTERNAL_ERROR"
	case Fail503:
		return "HTTP 503"
	case FailReset:
		return "connection reset"
	case FailSlowBody:
		return "slow body"
	case Fail429:
		return "HTTP 429"
	case FailHTML502:
		return "HTML 502"
	case FailTruncated:
		return "truncated JSON"
	case FailHugeBody:
		return "huge body"
	}
	return "Failure(" + strconv.Itoa(int(f)) + ")"
}

const (
	defaultSlowBody = 2 * time.Second
	hugeBodySize    = 2 << 20
)

type scheduledFailure struct {
	left    int
	failure Failure
}

// FailNext makes the next n GETs of checkID fail with f, ahead of any random
// failure; n <= 0 or FailNone cancels what was scheduled for it.
func (s *Server) FailNext(checkID string, n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 || f == FailNone {
		delete(s.failNext, checkID)
		return
	}
	s.failNext[checkID] = &scheduledFailure{left: n, failure: f}
}

// SetLatency changes the latency of the requests that arrive from now on.
func (s *Server) SetLatency(fixed, jitter time.Duration) {
	s.latency.Store(int64(max(0, fixed)))
	s.jitter.Store(int64(max(0, jitter)))
}

// SetFailRate changes the fraction of requests given a random failure;
// it is clamped to 0..1.
func (s *Server) SetFailRate(f float64) {
	if math.IsNaN(f) {
		f = 0
	}
	s.failRate.Store(math.Float64bits(min(1, max(0, f))))
}

// SetSlowBody sets how long FailSlowBody takes to send a whole body.
func (s *Server) SetSlowBody(d time.Duration) { s.slowBody.Store(int64(max(0, d))) }

// wait sleeps the latency, giving up as soon as the client does; it
// reports whether the request is still wanted.
func (s *Server) wait(r *http.Request) bool {
	d := time.Duration(s.latency.Load())
	if j := s.jitter.Load(); j > 0 {
		d += time.Duration(rand.Int64N(j + 1))
	}
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// failureFor picks the failure this request gets: one scheduled by FailNext
// for a GET of that id first, else a random one at the fail rate.
func (s *Server) failureFor(r *http.Request) Failure {
	if r.Method == http.MethodGet {
		id := strings.TrimSpace(r.Header.Get(headerCheckID))
		s.mu.Lock()
		sf, ok := s.failNext[id]
		if ok {
			sf.left--
			if sf.left <= 0 {
				delete(s.failNext, id)
			}
		}
		s.mu.Unlock()
		if ok {
			return sf.failure
		}
	}
	if rate := math.Float64frombits(s.failRate.Load()); rate > 0 && rand.Float64() < rate {
		return RandomFailures[rand.IntN(len(RandomFailures))]
	}
	return FailNone
}

// inject answers r with failure f; handler is the endpoint, for the
// failures that mangle its real answer.
func (s *Server) inject(w http.ResponseWriter, r *http.Request, f Failure, handler http.HandlerFunc) {
	switch f {
	case FailInternal:
		writeError(w, codeInternalError, "")
	case Fail503:
		writeText(w, http.StatusServiceUnavailable, "text/plain; charset=utf-8", "Service Unavailable\n")
	case Fail429:
		w.Header().Set("Retry-After", "1")
		writeText(w, http.StatusTooManyRequests, "text/plain; charset=utf-8", "Too Many Requests\n")
	case FailHTML502:
		writeText(w, http.StatusBadGateway, "text/html", html502)
	case FailReset:
		resetConnection(w)
	case FailTruncated:
		rec := capture(r, handler)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(rec.body.Bytes()[:rec.body.Len()/2])
	case FailHugeBody:
		writeHuge(w)
	case FailSlowBody:
		s.trickle(w, r, capture(r, handler))
	default:
		panic(fmt.Sprintf("sandbox: no way to inject %v", f))
	}
}

const html502 = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

func writeText(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// resetConnection closes the TCP connection with SO_LINGER 0, which sends
// a reset rather than a clean close. Where the connection cannot be taken
// over (HTTP/2, a recorder), aborting the handler drops it as well.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// writeHuge streams a JSON-looking body of hugeBodySize bytes without
// holding it in memory.
func writeHuge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte("A"), 64<<10)
	_, _ = w.Write([]byte(`{"check_id":"chk_priv_huge","customer_id":"`))
	for written := 0; written < hugeBodySize; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	_, _ = w.Write([]byte(`"}`))
}

// trickle sends the captured answer's status and headers at once, then its
// body in small pieces spread over the slow-body duration, stopping if the
// client goes away.
func (s *Server) trickle(w http.ResponseWriter, r *http.Request, rec *capturedResponse) {
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	body := rec.body.Bytes()
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.status)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	const pieces = 20
	step := max(1, (len(body)+pieces-1)/pieces)
	pause := time.Duration(s.slowBody.Load()) / pieces
	for len(body) > 0 {
		t := time.NewTimer(pause)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
		n := min(step, len(body))
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		body = body[n:]
	}
}

// capturedResponse is an endpoint's answer held back so it can be mangled.
type capturedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capturedResponse) Header() http.Header { return c.header }
func (c *capturedResponse) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}
func (c *capturedResponse) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func capture(r *http.Request, handler http.HandlerFunc) *capturedResponse {
	rec := &capturedResponse{header: make(http.Header)}
	handler(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec
}
