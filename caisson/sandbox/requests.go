package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Request is what the sandbox recorded of one request. It never holds the
// Authorization value: only whether the key was the right one.
type Request struct {
	Time     time.Time // on the sandbox's clock
	Method   string
	Path     string
	RawQuery string
	// CheckID is the X-Caisson-CheckID header as sent, "" when absent.
	CheckID string
	// AuthOK is whether Authorization carried the right key.
	AuthOK bool
	// HeaderNames are the request's header names, sorted, canonical case.
	HeaderNames []string
}

// maxRecorded bounds the record so a long-running sandbox does not grow
// without end; the oldest half is dropped when it fills.
const maxRecorded = 100_000

func (s *Server) logRequest(r *http.Request, authOK bool) {
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	req := Request{
		Time:        s.now(),
		Method:      r.Method,
		Path:        r.URL.Path,
		RawQuery:    r.URL.RawQuery,
		CheckID:     strings.TrimSpace(r.Header.Get(headerCheckID)),
		AuthOK:      authOK,
		HeaderNames: names,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRecorded {
		s.requests = slices.Delete(s.requests, 0, maxRecorded/2)
	}
	s.requests = append(s.requests, req)
}

// Requests is a copy of the record, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests empties the record.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}
