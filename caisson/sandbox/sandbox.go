// Package sandbox is a faithful fake of Caisson's ID Check REST API, for the
// tests, the demo and the benchmarks. It serves GET /v1/idcheck and POST
// /v1/idcheck/exchangetoken as the reference documents them, over a
// deterministic data set generated from a seed, with knobs for latency and
// injected failures and a record of the requests it received.
//
// Where the reference is silent (HTTP statuses of errors, the body of a
// refused key, rate limits) the sandbox defines its own behaviour and says
// so where it does.
package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultChecks and MaxChecks bound Options.Checks.
const (
	DefaultChecks = 200
	MaxChecks     = 1_000_000
)

// Options configures a Server. The zero value is a usable sandbox: seed 1,
// 200 checks, a random key, no latency, no failures.
type Options struct {
	// Seed picks the data set; the same seed gives the same ids and bodies.
	Seed int64
	// Checks is the number of checks, DefaultChecks when 0, at most
	// MaxChecks. They are generated on demand, never held in memory.
	Checks int
	// Key is the API key the sandbox accepts; random when empty.
	Key string
	// Latency is added to every request, plus up to Jitter at random.
	Latency time.Duration
	Jitter  time.Duration
	// FailRate is the fraction (0..1) of requests given a random injected
	// failure (see RandomFailures).
	FailRate float64
	// Hostile puts escape sequences, controls and bidi overrides in some
	// names and customer ids (see hostileFor).
	Hostile bool
	// Now is the clock of the exchange-token rules; time.Now when nil.
	Now func() time.Time
}

// Validate says what is wrong with o, if anything. New panics on options
// that fail it; callers building Options from user input check first.
func (o Options) Validate() error {
	switch {
	case o.Checks < 0 || o.Checks > MaxChecks:
		return fmt.Errorf("sandbox checks %d: expected 0 (meaning %d) up to %d", o.Checks, DefaultChecks, MaxChecks)
	case o.Latency < 0 || o.Jitter < 0:
		return fmt.Errorf("sandbox latency %v + jitter %v: expected durations >= 0", o.Latency, o.Jitter)
	case !(o.FailRate >= 0 && o.FailRate <= 1):
		return fmt.Errorf("sandbox fail rate %v: expected a fraction from 0 to 1", o.FailRate)
	case strings.TrimSpace(o.Key) != o.Key || strings.ContainsFunc(o.Key, isControl):
		// Not echoing the key: it is a secret even in the sandbox.
		return fmt.Errorf("sandbox key: expected no surrounding spaces and no control characters")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// Server is the fake API; it is an http.Handler and safe for concurrent use.
type Server struct {
	seed    int64
	n       int
	key     string
	hostile bool
	now     func() time.Time
	ids     idCodec

	latency, jitter atomic.Int64 // time.Duration
	failRate        atomic.Uint64
	slowBody        atomic.Int64 // time.Duration a slow body takes in all

	mu        sync.Mutex
	failNext  map[string]*scheduledFailure
	tokens    map[uint64]*tokenState
	nextToken uint64
	requests  []Request
	answered  map[int]bool // checks whose wait at Caisson ended (Answer)
}

// New makes a sandbox. It panics on options that fail Validate: that is a
// programming error in a test or a caller that skipped Validate.
func New(opts Options) *Server {
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	if opts.Checks == 0 {
		opts.Checks = DefaultChecks
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Key == "" {
		opts.Key = randomKey()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		seed:     opts.Seed,
		n:        opts.Checks,
		key:      opts.Key,
		hostile:  opts.Hostile,
		now:      opts.Now,
		ids:      newIDCodec(opts.Seed),
		failNext: make(map[string]*scheduledFailure),
		tokens:   make(map[uint64]*tokenState),
	}
	s.SetLatency(opts.Latency, opts.Jitter)
	s.SetFailRate(opts.FailRate)
	s.SetSlowBody(defaultSlowBody)
	return s
}

func randomKey() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "sk_sandbox_" + base64.RawURLEncoding.EncodeToString(b)
}

// Key is the API key the sandbox accepts.
func (s *Server) Key() string { return s.key }

// Len is the number of checks in the data set.
func (s *Server) Len() int { return s.n }

// CheckID is the id of the i-th check, 0 <= i < Len(); it panics otherwise,
// like an index out of range.
func (s *Server) CheckID(i int) string {
	if i < 0 || i >= s.n {
		panic(fmt.Sprintf("sandbox: CheckID(%d): expected 0 <= i < %d", i, s.n))
	}
	return s.ids.encode(checkIDPrefix, kindCheck, uint64(i))
}

// CheckIDs is the ids of the first n checks (all of them if n > Len()).
func (s *Server) CheckIDs(n int) []string {
	n = max(0, min(n, s.n))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.CheckID(i)
	}
	return ids
}

// ErrorCheckID is an id whose GET always answers code, one of the
// reference's GET errors: IDCHECK_EXPIRED, IDCHECK_DELETED, INVALID_INPUT,
// NOT_VERIFIED, PENDING_REVIEW, INTERNAL_ERROR. It panics on any other code.
func (s *Server) ErrorCheckID(code string) string {
	for i, c := range getErrorCodes {
		if c == code {
			return s.ids.encode(checkIDPrefix, kindError, uint64(i))
		}
	}
	panic(fmt.Sprintf("sandbox: ErrorCheckID(%q): expected one of %s", code, strings.Join(getErrorCodes, ", ")))
}

// lookup finds the check an id names: its index, or the error code it always
// answers. ok is false for an id the sandbox never issued.
func (s *Server) lookup(id string) (index int, errCode string, ok bool) {
	kind, i, ok := s.ids.decode(checkIDPrefix, id)
	switch {
	case !ok:
		return 0, "", false
	case kind == kindCheck && i < uint64(s.n):
		return int(i), s.outcome(int(i)), true
	case kind == kindError && i < uint64(len(getErrorCodes)):
		return 0, getErrorCodes[i], true
	}
	return 0, "", false
}

const (
	pathIDCheck  = "/v1/idcheck"
	pathExchange = "/v1/idcheck/exchangetoken"
)

// ServeHTTP answers in this order: the request is recorded, the latency
// waited out, the path and method checked (404, 405), the key checked
// (401), then any injected failure, then the endpoint itself.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	authOK := s.authorized(r)
	s.logRequest(r, authOK)
	if !s.wait(r) {
		return
	}
	var handler func(http.ResponseWriter, *http.Request)
	var allowed string
	switch r.URL.Path {
	case pathIDCheck:
		handler, allowed = s.serveCheck, http.MethodGet
	case pathExchange:
		handler, allowed = s.serveExchange, http.MethodPost
	default:
		writeErrorStatus(w, http.StatusNotFound, codeInvalidInput,
			fmt.Sprintf("no endpoint at %s: expected GET %s or POST %s", r.URL.Path, pathIDCheck, pathExchange))
		return
	}
	if r.Method != allowed {
		w.Header().Set("Allow", allowed)
		writeErrorStatus(w, http.StatusMethodNotAllowed, codeInvalidInput,
			fmt.Sprintf("method %s not allowed on %s: expected %s", r.Method, r.URL.Path, allowed))
		return
	}
	if !authOK {
		writeError(w, codeUnauthorized, "Invalid private key: expected the header Authorization: Caisson <secret_api_key>")
		return
	}
	if f := s.failureFor(r); f != FailNone {
		s.inject(w, r, f, handler)
		return
	}
	handler(w, r)
}

// authorized checks "Authorization: Caisson <key>"; the scheme is
// case-insensitive as HTTP auth schemes are, the key exact.
func (s *Server) authorized(r *http.Request) bool {
	scheme, key, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Caisson") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(key)), []byte(s.key)) == 1
}

// writeErrorStatus is an error body with a status of its own, for the
// routing errors the reference does not cover.
func writeErrorStatus(w http.ResponseWriter, status int, code, text string) {
	writeJSON(w, status, map[string]string{"error": code, fieldDescription: text})
}
