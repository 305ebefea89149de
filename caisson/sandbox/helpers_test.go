package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests talk to the sandbox over loopback HTTP with plain net/http, as
// any client would.

type fixture struct {
	t    *testing.T
	s    *Server
	base string
	http *http.Client
}

func start(t *testing.T, opts Options) *fixture {
	t.Helper()
	s := New(opts)
	base, stop, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	// A transport of its own, so one test's reset connections never touch
	// another's pool.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &fixture{t: t, s: s, base: base, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body as an object, failing the test if it is not one.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(withoutTrailingCommas(r.body), &m); err != nil {
		t.Fatalf("body is not a JSON object (%v): %.200s", err, r.body)
	}
	return m
}

// do sends a request; headers are name, value pairs.
func (f *fixture) do(ctx context.Context, method, pathAndQuery string, body []byte, headers ...string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, f.base+pathAndQuery, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}, err
}

func (f *fixture) mustDo(method, pathAndQuery string, body []byte, headers ...string) response {
	f.t.Helper()
	r, err := f.do(context.Background(), method, pathAndQuery, body, headers...)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	return r
}

func (f *fixture) auth() string { return "Caisson " + f.s.Key() }

// getCheck is GET /v1/idcheck for id with the given fields, authorized.
func (f *fixture) getCheck(id, fields string) response {
	f.t.Helper()
	q := ""
	if fields != "" {
		q = "?fields=" + fields
	}
	return f.mustDo(http.MethodGet, pathIDCheck+q, nil, "Authorization", f.auth(), headerCheckID, id)
}

const allFields = "sex,dob,address,expires_on"

func (f *fixture) exchange(token string) response {
	f.t.Helper()
	body, _ := json.Marshal(map[string]string{"check_exchange_token": token})
	return f.mustDo(http.MethodPost, pathExchange, body, "Authorization", f.auth(), "Content-Type", "application/json")
}

// wantError checks an error answer: its status, code, and that its text
// comes in the expected field and is not empty.
func wantError(t *testing.T, r response, status int, code, field string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.json(t)
	if m["error"] != code {
		t.Errorf("error %v, want %s; body %s", m["error"], code, r.body)
	}
	if text, _ := m[field].(string); strings.TrimSpace(text) == "" {
		t.Errorf("no text in %s; body %s", field, r.body)
	}
	return m
}

// fakeClock is a settable clock for the exchange-token rules.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// withoutTrailingCommas drops a comma (and the spaces after it) that comes
// right before a closing brace outside strings: the one liberty the
// reference's samples, and the sandbox's sample-style answers, take.
func withoutTrailingCommas(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			out = append(out, c)
			continue
		}
		if c == ',' {
			j := i + 1
			for j < len(b) && b[j] == ' ' {
				j++
			}
			if j < len(b) && b[j] == '}' {
				i = j - 1
				continue
			}
		}
		inString = c == '"'
		out = append(out, c)
	}
	return out
}
