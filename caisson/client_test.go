package caisson

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const sampleID = "chk_priv_SMgso2KGzXLxT2I-g7oD2w"

// testServer serves handler on loopback and returns a client of it with
// near-zero backoff, and a counter of requests received.
func testServer(t *testing.T, handler http.HandlerFunc, opts ...Option) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	opts = append([]Option{WithBackoff(time.Millisecond, 2*time.Millisecond)}, opts...)
	c, err := NewClient(srv.URL, mustKey(t, testKey), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, &n
}

// noKey fails the test if err's text or Explain carries the key.
func noKey(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(Explain(err), testKey) {
		t.Errorf("the error carries the key: %v", err)
	}
}

func writeBody(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func TestNewClientBaseURL(t *testing.T) {
	key := mustKey(t, testKey)
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"production https", "https://api.caisson.com", "https://api.caisson.com", ""},
		{"a trailing slash is dropped", "https://api.caisson.com/", "https://api.caisson.com", ""},
		{"a path prefix behind a proxy is kept", "https://proxy.example/caisson/", "https://proxy.example/caisson", ""},
		{"plain http on 127.0.0.1", "http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"plain http anywhere in 127.0.0.0/8", "http://127.45.6.7:80", "http://127.45.6.7:80", ""},
		{"plain http on ::1", "http://[::1]:9000", "http://[::1]:9000", ""},
		{"plain http on localhost", "http://localhost:9000", "http://localhost:9000", ""},
		{"plain http on LOCALHOST", "http://LOCALHOST:9000", "http://LOCALHOST:9000", ""},
		{"plain http to the API is refused", "http://api.caisson.com", "", "plain http is allowed only on this machine"},
		{"plain http to a private address is refused", "http://10.0.0.5:8080", "", "plain http is allowed only on this machine"},
		{"a host that only starts like localhost is refused", "http://localhost.evil.example", "", "plain http"},
		{"a host that only starts like 127. is refused", "http://127.0.0.1.nip.io", "", "plain http"},
		{"no scheme", "api.caisson.com", "", "expected a URL such as https://api.caisson.com"},
		{"another scheme", "ftp://api.caisson.com", "", "expected an https:// URL"},
		{"credentials in the URL", "https://me:hunter2@api.caisson.com", "", "user name or password"},
		{"a query", "https://api.caisson.com?x=1", "", "expected no query"},
		{"the version in the address", "https://api.caisson.com/v1/", "", "expected the address without /v1 or an endpoint"},
		{"an endpoint's URL", "http://127.0.0.1:8080/v1/idcheck", "", "the program adds /v1/idcheck itself"},
		{"a proxy path that only contains v1 is kept", "https://proxy.example/v10/caisson", "https://proxy.example/v10/caisson", ""},
		{"empty", "", "", "expected a URL"},
		// helper-74: sent in every request's first line, which servers log.
		{"the key in the path", "https://proxy.example/" + testKey, "", "holds the secret API key"},
		{"twelve of its characters in the path", "https://proxy.example/x" + testKey[4:16] + "/", "", "holds the secret API key"},
		// Before the address's other faults, which repeat it.
		{"the key in the path, and a query", "https://proxy.example/" + testKey + "?x=1", "", "holds the secret API key"},
		{"the key in the path, and /v1", "https://proxy.example/" + testKey + "/v1", "", "holds the secret API key"},
		{"the key in the path of plain http elsewhere", "http://proxy.example/" + testKey, "", "holds the secret API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.in, key)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") || key.Holds(err.Error()) {
					t.Errorf("error repeats a password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL() != tt.want {
				t.Errorf("BaseURL = %q, want %q", c.BaseURL(), tt.want)
			}
		})
	}
	if _, err := NewClient(DefaultBaseURL, APIKey{}); err == nil || !strings.Contains(err.Error(), "no API key") {
		t.Errorf("a zero key: %v", err)
	}
}

func TestGetCheckSendsTheDocumentedRequest(t *testing.T) {
	body := string(readTestdata(t, "reference_check_response.json"))
	var got *http.Request
	c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		writeBody(w, 200, body)
	})
	chk, err := c.GetCheck(context.Background(), "  "+sampleID+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if chk.CheckID != sampleID || string(chk.Raw) != body {
		t.Errorf("check = %+v", chk)
	}
	checks := map[string][2]string{
		"method":            {got.Method, "GET"},
		"path":              {got.URL.Path, "/v1/idcheck"},
		"query":             {got.URL.RawQuery, "fields=sex,dob,address,expires_on"},
		"Authorization":     {got.Header.Get("Authorization"), "Caisson " + testKey},
		"X-Caisson-CheckID": {got.Header.Get("X-Caisson-CheckID"), sampleID},
		"Accept":            {got.Header.Get("Accept"), "application/json"},
		"User-Agent":        {got.Header.Get("User-Agent"), "caisson-review/" + Version},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if strings.Contains(got.URL.String(), "chk_priv") || strings.Contains(got.RequestURI, "chk_priv") {
		t.Errorf("the check id is in the URL: %s", got.RequestURI)
	}
}

func TestGetCheckRefusesABadIDWithoutARequest(t *testing.T) {
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) { writeBody(w, 200, `{}`) })
	for _, id := range []string{"", "chk_xchg_UeRXDryTTpvU24CTre8W2Q", "chk_priv_a b", "chk_priv_\r\nX-Evil: 1"} {
		if _, err := c.GetCheck(context.Background(), id); err == nil {
			t.Errorf("GetCheck(%q) succeeded", id)
		}
	}
	if n.Load() != 0 {
		t.Errorf("%d requests were sent for invalid ids", n.Load())
	}
}

// Crafted answers: what the client makes of each, and how often it tries.
func TestGetCheckAnswers(t *testing.T) {
	sample := string(readTestdata(t, "reference_check_response.json"))
	tests := []struct {
		name    string
		handler http.HandlerFunc
		tries   int32
		check   func(t *testing.T, err error)
	}{
		{"an HTML 502 page from a proxy is a ResponseError with status and excerpt, retried",
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(502)
				_, _ = io.WriteString(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\x1b]0;owned\x07</body></html>")
			}, 3,
			func(t *testing.T, err error) {
				var re *ResponseError
				if !errors.As(err, &re) || re.Status != 502 {
					t.Fatalf("error = %v, want a ResponseError with status 502", err)
				}
				if !strings.Contains(re.Excerpt, "<title>502 Bad Gateway</title>") || strings.ContainsAny(re.Excerpt, "\r\n\x1b\x07") {
					t.Errorf("excerpt = %q", re.Excerpt)
				}
				if !strings.Contains(err.Error(), "HTTP 502") || !strings.Contains(Explain(err), "HTTP 502") {
					t.Errorf("error = %v; explained %q", err, Explain(err))
				}
			}},
		{"truncated JSON with 200 is retried as a cut connection",
			func(w http.ResponseWriter, r *http.Request) { writeBody(w, 200, sample[:len(sample)/2]) }, 3,
			func(t *testing.T, err error) {
				var re *ResponseError
				if !errors.As(err, &re) || re.Status != 200 || !errors.Is(err, errTruncated) {
					t.Fatalf("error = %v", err)
				}
				if !strings.Contains(re.Excerpt, "chk_priv_SMgso2KGzXLxT2I-g7oD2w") {
					t.Errorf("excerpt = %q", re.Excerpt)
				}
			}},
		{"NOT_VERIFIED in a 200 body with error_message is a failure, not retried",
			func(w http.ResponseWriter, r *http.Request) {
				writeBody(w, 200, `{"error":"NOT_VERIFIED","error_message":"The user has not completed verification"}`)
			}, 1,
			func(t *testing.T, err error) {
				var ae *APIError
				if !errors.As(err, &ae) || ae.Status != 200 || ae.Message != "The user has not completed verification" {
					t.Fatalf("error = %#v", err)
				}
				if !errors.Is(err, ErrNotVerified) || errors.Is(err, ErrPendingReview) || CodeOf(err) != CodeNotVerified {
					t.Error("errors.Is / CodeOf do not match the code")
				}
			}},
		{"INTERNAL_ERROR is retried, then reported with the tries",
			func(w http.ResponseWriter, r *http.Request) {
				writeBody(w, 500, `{"error":"INTERNAL_ERROR","error_description":"oops"}`)
			}, 3,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "gave up after 3 tries") {
					t.Errorf("error = %v", err)
				}
			}},
		{"INVALID_INPUT is not retried", func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 400, `{"error":"INVALID_INPUT","error_description":"bad id"}`)
		}, 1, func(t *testing.T, err error) {
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error = %v", err)
			}
		}},
		{"PENDING_REVIEW with a 503 status is still not retried", func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 503, `{"error":"PENDING_REVIEW"}`)
		}, 1, func(t *testing.T, err error) {
			if !errors.Is(err, ErrPendingReview) {
				t.Errorf("error = %v", err)
			}
		}},
		{"an unknown IDCHECK_ code is not retried", func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 500, `{"error":"IDCHECK_LOCKED"}`)
		}, 1, func(t *testing.T, err error) {
			if CodeOf(err) != "IDCHECK_LOCKED" {
				t.Errorf("error = %v", err)
			}
		}},
		{"401 is the key refused, never retried, never echoing the key",
			func(w http.ResponseWriter, r *http.Request) {
				writeBody(w, 401, `{"error":"UNAUTHORIZED","error_description":"bad key `+r.Header.Get("Authorization")+`"}`)
			}, 1,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrKeyRefused) || !strings.Contains(Explain(err), "refused the API key") {
					t.Errorf("error = %v; explained %q", err, Explain(err))
				}
			}},
		{"an error body echoing the key has it scrubbed",
			func(w http.ResponseWriter, r *http.Request) {
				writeBody(w, 400, `{"error":"INVALID_INPUT","error_description":"header was `+r.Header.Get("Authorization")+`"}`)
			}, 1,
			func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "header was Caisson [redacted]") {
					t.Errorf("error = %v", err)
				}
			}},
		{"a broken body echoing the key has it scrubbed from the excerpt",
			func(w http.ResponseWriter, r *http.Request) {
				writeBody(w, 400, `<p>you sent `+r.Header.Get("Authorization")+`</p>`)
			}, 1,
			func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "[redacted]") {
					t.Errorf("error = %v", err)
				}
			}},
		{"a JSON 404 without an error code is a ResponseError, not retried",
			func(w http.ResponseWriter, r *http.Request) { writeBody(w, 404, `{"message":"Not Found"}`) }, 1,
			func(t *testing.T, err error) {
				var re *ResponseError
				if !errors.As(err, &re) || re.Status != 404 || !strings.Contains(err.Error(), "Not Found") {
					t.Errorf("error = %v", err)
				}
			}},
		{"a bare 503 is retried", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(503)
			_, _ = io.WriteString(w, "Service Unavailable\n")
		}, 3, func(t *testing.T, err error) {
			var re *ResponseError
			if !errors.As(err, &re) || re.Status != 503 {
				t.Errorf("error = %v", err)
			}
		}},
		{"429 is retried", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }, 3,
			func(t *testing.T, err error) {
				var re *ResponseError
				if !errors.As(err, &re) || re.Status != 429 {
					t.Errorf("error = %v", err)
				}
			}},
		{"a redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/elsewhere" {
				t.Error("the redirect was followed, carrying the check id")
			}
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, 1, func(t *testing.T, err error) {
			var re *ResponseError
			if !errors.As(err, &re) || re.Status != 302 || !strings.Contains(Explain(err), "a redirect (HTTP 302)") {
				t.Errorf("error = %v (%s)", err, Explain(err))
			}
		}},
		{"an answer for another check is refused", func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 200, `{"check_id":"chk_priv_someoneElse"}`)
		}, 1, func(t *testing.T, err error) {
			var re *ResponseError
			if !errors.As(err, &re) || re.Status != 200 || re.Excerpt != "" || !strings.Contains(err.Error(), "another check") {
				t.Errorf("error = %v", err)
			}
		}},
		{"a valid body with a bad date is refused, naming the field", func(w http.ResponseWriter, r *http.Request) {
			writeBody(w, 200, `{"check_id":"`+sampleID+`","info":{"dob":"June 30"}}`)
		}, 1, func(t *testing.T, err error) {
			var re *ResponseError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), "info.dob") {
				t.Errorf("error = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, n := testServer(t, tt.handler)
			chk, err := c.GetCheck(context.Background(), sampleID)
			if err == nil {
				t.Fatalf("succeeded with %+v", chk)
			}
			if n.Load() != tt.tries {
				t.Errorf("%d tries, want %d", n.Load(), tt.tries)
			}
			noKey(t, err)
			tt.check(t, err)
		})
	}
}

// countingBody counts what the client reads of a body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

type countingTransport struct{ n *atomic.Int64 }

func (ct countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, ct.n}
	}
	return resp, err
}

func TestAHugeBodyIsReadOnlyUpToTheCap(t *testing.T) {
	var read atomic.Int64
	huge := `{"check_id":"` + sampleID + `","customer_id":"` + strings.Repeat("A", 2<<20) + `"}`
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) { writeBody(w, 200, huge) },
		WithHTTPClient(&http.Client{Transport: countingTransport{&read}}))
	_, err := c.GetCheck(context.Background(), sampleID)
	if !errors.Is(err, errBodyTooLarge) {
		t.Fatalf("error = %v", err)
	}
	var re *ResponseError
	if !errors.As(err, &re) || re.Status != 200 || len(re.Excerpt) > 4*maxExcerpt {
		t.Errorf("error = %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d tries of a huge body", n.Load())
	}
	if got := read.Load(); got > maxBodyBytes+64<<10 {
		t.Errorf("read %d bytes of a %d-byte body; the cap is %d", got, len(huge), maxBodyBytes)
	}
	if !strings.Contains(Explain(err), "far larger") {
		t.Errorf("explained %q", Explain(err))
	}
}

func TestABodyExactlyAtTheCapIsRead(t *testing.T) {
	prefix := `{"check_id":"` + sampleID + `","customer_id":"`
	body := prefix + strings.Repeat("A", maxBodyBytes-len(prefix)-2) + `"}`
	c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) { writeBody(w, 200, body) })
	chk, err := c.GetCheck(context.Background(), sampleID)
	if err != nil || len(chk.Raw) != maxBodyBytes {
		t.Fatalf("err %v", err)
	}
}

func TestAFailureThatPassesIsRetriedToSuccess(t *testing.T) {
	body := string(readTestdata(t, "reference_check_response.json"))
	var calls atomic.Int32
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			writeBody(w, 500, `{"error":"INTERNAL_ERROR"}`)
		case 2:
			// A connection dropped without an answer.
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
		default:
			writeBody(w, 200, body)
		}
	})
	chk, err := c.GetCheck(context.Background(), sampleID)
	if err != nil {
		t.Fatal(err)
	}
	if chk.CheckID != sampleID || n.Load() != 3 {
		t.Errorf("got %s after %d tries", chk.CheckID, n.Load())
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	body := string(readTestdata(t, "reference_check_response.json"))
	tests := []struct {
		name       string
		retryAfter string
		minWait    time.Duration
		maxWait    time.Duration
	}{
		{"in seconds", "1", 900 * time.Millisecond, 3 * time.Second},
		{"as an HTTP date in the past", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", tt.retryAfter)
					w.WriteHeader(429)
					return
				}
				writeBody(w, 200, body)
			})
			start := time.Now()
			if _, err := c.GetCheck(context.Background(), sampleID); err != nil {
				t.Fatal(err)
			}
			if el := time.Since(start); el < tt.minWait || el > tt.maxWait {
				t.Errorf("took %v, want between %v and %v", el, tt.minWait, tt.maxWait)
			}
		})
	}
}

func TestARetryAfterBeyondTheCapGivesUpAtOnce(t *testing.T) {
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(503)
	})
	start := time.Now()
	_, err := c.GetCheck(context.Background(), sampleID)
	if err == nil || !strings.Contains(err.Error(), "asked to wait 1h before") || n.Load() != 1 {
		t.Errorf("error = %v after %d tries", err, n.Load())
	}
	if time.Since(start) > time.Second {
		t.Error("it waited")
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{" 5 ", 5 * time.Second, true},
		{"Thu, 26 Nov 2026 07:00:30 GMT", 30 * time.Second, true},
		{"Thu, 26 Nov 2026 06:00:00 GMT", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
		{"99999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffGrowsWithJitterAndStaysCapped(t *testing.T) {
	b := backoff{base: 100 * time.Millisecond, max: time.Second}
	for range 200 {
		for try, bounds := range map[int][2]time.Duration{
			1:  {50 * time.Millisecond, 100 * time.Millisecond},
			2:  {100 * time.Millisecond, 200 * time.Millisecond},
			3:  {200 * time.Millisecond, 400 * time.Millisecond},
			5:  {500 * time.Millisecond, time.Second},
			64: {500 * time.Millisecond, time.Second},
		} {
			if w := b.wait(try); w < bounds[0] || w > bounds[1] {
				t.Fatalf("wait(%d) = %v, want within %v", try, w, bounds)
			}
		}
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[b.wait(3)] = true
	}
	if len(seen) < 2 {
		t.Error("no jitter")
	}
}

func TestTheTimeoutCoversASlowAnswer(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"check_id":`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, WithTimeout(100*time.Millisecond), WithRetries(2))
	start := time.Now()
	_, err := c.GetCheck(context.Background(), sampleID)
	if err == nil || !strings.Contains(err.Error(), "no complete answer within 100ms") {
		t.Fatalf("error = %v", err)
	}
	if n.Load() != 2 || time.Since(start) > 2*time.Second {
		t.Errorf("%d tries in %v", n.Load(), time.Since(start))
	}
	if !strings.Contains(Explain(err), "did not answer in time") {
		t.Errorf("explained %q", Explain(err))
	}
}

func TestCancellingTheContextStopsAtOnce(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.GetCheck(ctx, sampleID)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if !strings.Contains(Explain(err), "cancelled") {
		t.Errorf("explained %q", Explain(err))
	}
}

func TestCancellingDuringABackoffStopsAtOnce(t *testing.T) {
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
		WithBackoff(10*time.Second, 10*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.GetCheck(ctx, sampleID)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second || n.Load() != 1 {
		t.Errorf("error %v after %v and %d tries", err, time.Since(start), n.Load())
	}
}

func TestAnUnreachableServerIsATransportErrorRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := NewClient(url, mustKey(t, testKey), WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetCheck(context.Background(), sampleID)
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 tries") {
		t.Fatalf("error = %v", err)
	}
	noKey(t, err)
	if strings.Contains(err.Error(), sampleID) {
		t.Errorf("the error carries the check id: %v", err)
	}
	if !strings.Contains(Explain(err), "Could not reach Caisson") {
		t.Errorf("explained %q", Explain(err))
	}
}

func TestExchangeToken(t *testing.T) {
	sample := string(readTestdata(t, "reference_exchange_response.json"))
	var got struct {
		method, path, ctype, auth string
		body                      map[string]string
	}
	c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.ctype, got.auth = r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization")
		_ = json.NewDecoder(r.Body).Decode(&got.body)
		writeBody(w, 200, sample)
	})
	id, err := c.ExchangeToken(context.Background(), " chk_xchg_UeRXDryTTpvU24CTre8W2Q ")
	if err != nil {
		t.Fatal(err)
	}
	if id != "chk_priv_ceSB3MdzNm8M5FdEM4wSXw" {
		t.Errorf("id = %q", id)
	}
	if got.method != "POST" || got.path != "/v1/idcheck/exchangetoken" || got.ctype != "application/json" ||
		got.auth != "Caisson "+testKey || got.body["check_exchange_token"] != "chk_xchg_UeRXDryTTpvU24CTre8W2Q" || len(got.body) != 1 {
		t.Errorf("request = %+v", got)
	}
}

func TestARefusedTokenIsExplainedWithTheTimingRules(t *testing.T) {
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeBody(w, 400, `{"error":"INVALID_INPUT","error_description":"Invalid exchange token"}`)
	})
	_, err := c.ExchangeToken(context.Background(), "chk_xchg_UeRXDryTTpvU24CTre8W2Q")
	if !errors.Is(err, ErrInvalidInput) || n.Load() != 1 {
		t.Fatalf("error = %v after %d tries", err, n.Load())
	}
	ex := Explain(err)
	for _, want := range []string{"2 hours", "5 more minutes"} {
		if !strings.Contains(ex, want) {
			t.Errorf("explanation %q does not mention %q", ex, want)
		}
	}
	if strings.Contains(err.Error(), "UeRXDryTTpvU24CTre8W2Q") {
		t.Errorf("the error carries the token: %v", err)
	}
}

func TestExchangeTokenIsRetriedOnInternalError(t *testing.T) {
	var calls atomic.Int32
	c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			writeBody(w, 500, `{"error":"INTERNAL_ERROR"}`)
			return
		}
		writeBody(w, 200, `{"check_id":"chk_priv_ceSB3MdzNm8M5FdEM4wSXw"}`)
	})
	id, err := c.ExchangeToken(context.Background(), "chk_xchg_UeRXDryTTpvU24CTre8W2Q")
	if err != nil || id != "chk_priv_ceSB3MdzNm8M5FdEM4wSXw" {
		t.Errorf("got %q, %v", id, err)
	}
}

func TestExchangeTokenRefusesWhatIsNotAToken(t *testing.T) {
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) { writeBody(w, 200, `{}`) })
	for _, in := range []string{sampleID, "", "chk_xchg_a+b"} {
		if _, err := c.ExchangeToken(context.Background(), in); err == nil {
			t.Errorf("ExchangeToken(%q) succeeded", in)
		}
	}
	if _, err := c.ExchangeToken(context.Background(), sampleID); !strings.Contains(err.Error(), "already a check id") {
		t.Errorf("error = %v", err)
	}
	if n.Load() != 0 {
		t.Errorf("%d requests sent", n.Load())
	}
}

func TestExchangeAnswerWithoutACheckID(t *testing.T) {
	c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) { writeBody(w, 200, `{"check_id":"nope"}`) })
	_, err := c.ExchangeToken(context.Background(), "chk_xchg_UeRXDryTTpvU24CTre8W2Q")
	var re *ResponseError
	if !errors.As(err, &re) {
		t.Errorf("error = %v", err)
	}
}

func TestRateLimitingAnExchangeIsNotATokenRefusal(t *testing.T) {
	c, n := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeBody(w, 429, `{"error":"RATE_LIMITED","error_description":"slow down"}`)
	})
	_, err := c.ExchangeToken(context.Background(), "chk_xchg_UeRXDryTTpvU24CTre8W2Q")
	if err == nil || n.Load() != 3 || !strings.Contains(err.Error(), "gave up after 3 tries") {
		t.Fatalf("error = %v after %d tries", err, n.Load())
	}
	if strings.Contains(Explain(err), "2 hours") {
		t.Errorf("explained as a token refusal: %q", Explain(err))
	}
}

func TestWithHTTPClientLeavesTheCallersClientAlone(t *testing.T) {
	hc := &http.Client{Timeout: time.Minute}
	c, err := NewClient(DefaultBaseURL, mustKey(t, testKey), WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	if hc.CheckRedirect != nil {
		t.Error("the caller's client was changed")
	}
	if c.http == hc || c.http.CheckRedirect == nil || c.http.Timeout != time.Minute {
		t.Error("the client does not use a redirect-refusing copy of the given one")
	}
}

func TestOptionsIgnoreNonsense(t *testing.T) {
	c, err := NewClient(DefaultBaseURL, mustKey(t, testKey), WithTimeout(-1), WithRetries(0), WithBackoff(-1, -1), WithHTTPClient(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.timeout != defaultTimeout || c.tries != defaultTries || c.backoff.base != defaultBackoffBase || c.backoff.max != defaultBackoffMax || c.http == nil {
		t.Errorf("defaults not kept: %+v", *c)
	}
	c, _ = NewClient(DefaultBaseURL, mustKey(t, testKey), WithBackoff(time.Second, time.Millisecond))
	if c.backoff.max < c.backoff.base {
		t.Error("a max below the base is kept")
	}
}
