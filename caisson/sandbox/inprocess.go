package sandbox

import (
	"net/http"
	"net/http/httptest"
)

// InProcess is an HTTP client whose every request is answered by s's
// handler directly, without a connection: a benchmark's fixture of a
// hundred thousand checks is fetched through the real client without as
// many loopback connections. The request's host is not looked at: a
// loopback base URL such as http://127.0.0.1:1 (the client sends the key
// in clear only there) will do.
func (s *Server) InProcess() *http.Client {
	return &http.Client{Transport: inProcess{s}}
}

type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
