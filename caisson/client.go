package caisson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is Caisson's production API.
const DefaultBaseURL = "https://api.caisson.com"

// Version is the program's version, set by main; it goes in the
// User-Agent "caisson-review/<Version>".
var Version = "dev"

const (
	// getFields asks for every optional field: a reviewer needs them all.
	getFields = "sex,dob,address,expires_on"
	// maxBodyBytes caps what is read of any answer. A check is a few
	// hundred bytes; anything near this is not an answer worth reading.
	maxBodyBytes = 1 << 20

	defaultTimeout     = 15 * time.Second
	defaultTries       = 3
	defaultBackoffBase = 250 * time.Millisecond
	defaultBackoffMax  = 5 * time.Second
	// maxRetryAfter is the longest Retry-After the client waits for. A
	// server asking for longer is answered with the error at once: a
	// person at a console is better told to come back than kept waiting.
	maxRetryAfter = 30 * time.Second
)

// Client talks to Caisson's API. It is safe for concurrent use.
type Client struct {
	base    string // scheme://host[/path], no trailing slash
	key     APIKey
	http    *http.Client
	timeout time.Duration
	tries   int
	backoff backoff
	pace    func(context.Context) error
}

// HoldsKey says whether text holds the client's secret API key
// (APIKey.Holds), so that what a person typed is refused before it is
// kept.
func (c *Client) HoldsKey(text string) bool { return c.key.Holds(text) }

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client. Redirects are never followed
// whatever it says: following one would send the check id to another host.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			copied := *hc
			c.http = &copied
		}
	}
}

// WithTimeout sets the time one request may take, body included (default
// 15s). Zero or less keeps the default.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithRetries sets the total number of tries of a retryable failure
// (default 3); 1 means no retry.
func WithRetries(tries int) Option {
	return func(c *Client) {
		if tries >= 1 {
			c.tries = tries
		}
	}
}

// WithBackoff sets the wait before the first retry and the most any wait
// may be; each retry doubles the wait, with jitter.
func WithBackoff(base, max time.Duration) Option {
	return func(c *Client) {
		if base > 0 {
			c.backoff.base = base
		}
		if max > 0 {
			c.backoff.max = max
		}
	}
}

// WithPacer has every request, each retry included, wait for pace first:
// a poller's rate limit in requests a second. An error from pace (its
// context ended) ends the call with it.
func WithPacer(pace func(context.Context) error) Option {
	return func(c *Client) { c.pace = pace }
}

// NewClient is a client of the API at baseURL (DefaultBaseURL in
// production). https is required unless the host is a loopback address,
// where the sandbox runs: the key must never cross a network in clear.
func NewClient(baseURL string, key APIKey, opts ...Option) (*Client, error) {
	// First: the address's other faults are said with it (helper-75).
	if key.Holds(baseURL) {
		return nil, ErrURLHoldsKey
	}
	base, err := checkBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if key.IsZero() {
		return nil, errors.New("no API key: expected the secret API key from the Caisson dashboard")
	}
	c := &Client{
		base:    base,
		key:     key,
		timeout: defaultTimeout,
		tries:   defaultTries,
		backoff: backoff{base: defaultBackoffBase, max: defaultBackoffMax},
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Transport: newTransport()}
	}
	if c.backoff.max < c.backoff.base {
		c.backoff.max = c.backoff.base
	}
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// newTransport is the default transport with enough idle connections kept
// per host for a bulk fetch: the default keeps 2, so a concurrency of 8
// would dial again for most requests.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// CheckBaseURL says why NewClient would refuse baseURL, nil if it would
// not: for showing a setting without a key to make a client with.
func CheckBaseURL(baseURL string) error {
	_, err := checkBaseURL(baseURL)
	return err
}

// CheckBaseURLKey is CheckBaseURL, and refuses an address holding key
// too (ErrURLHoldsKey).
func CheckBaseURLKey(baseURL string, key APIKey) error {
	// First: the address's other faults are said with it (helper-75:
	// with a query too, the key was printed).
	if key.Holds(baseURL) {
		return ErrURLHoldsKey
	}
	return CheckBaseURL(baseURL)
}

// ErrURLHoldsKey refuses an API address whose path holds the secret key:
// every request would carry it in its first line, which servers and
// proxies log, and `config` showed it (helper-74). A user name, a password
// or a query were refused already; a path was not.
var ErrURLHoldsKey = errors.New("the API address holds the secret API key (not repeated here): expected the address alone, such as " + DefaultBaseURL + "; the key is given separately")

func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Opaque != "" {
		if strings.Contains(raw, "sk_") {
			// Not repeated: the key pasted in the wrong place.
			return "", fmt.Errorf("API address: expected a URL such as %s; what was given holds sk_…, perhaps the key itself, and is not repeated here", DefaultBaseURL)
		}
		return "", fmt.Errorf("API address %q: expected a URL such as %s", clip(raw, 80), DefaultBaseURL)
	}
	if u.User != nil {
		return "", errors.New("the API address carries a user name or password: expected none (the key is given separately)")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		// Without them: a key put in the query must not be repeated.
		return "", fmt.Errorf("API address %s: expected no query or fragment (not repeated here)", ShowURL(raw))
	}
	if p := strings.TrimRight(u.Path, "/"); strings.HasSuffix(p, "/v1") || strings.Contains(p, "/v1/") {
		// Copied from the reference's endpoint URLs: every request would
		// go to /v1/v1/… and fail as an invalid check, which it is not.
		return "", fmt.Errorf("API address %s: expected the address without /v1 or an endpoint (such as %s): the program adds /v1/idcheck itself", u.Redacted(), DefaultBaseURL)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("API address %s: plain http is allowed only on this machine (localhost, 127.0.0.0/8, ::1); use https so the key is not sent in clear", u.Redacted())
		}
	default:
		return "", fmt.Errorf("API address %s: expected an https:// URL", u.Redacted())
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// ShowURL is an address as it may be shown: scheme, host and path, never
// a user name, password, query or fragment, where a key or password may
// have been put. What does not parse is shown as "(an address that does
// not parse)".
func ShowURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "(an address that does not parse)"
	}
	shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return shown.String()
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BaseURL is the API address the client talks to.
func (c *Client) BaseURL() string { return c.base }

// String never shows the key.
func (c *Client) String() string { return "caisson.Client{" + c.base + ", key " + redacted + "}" }

// GoString never shows the key.
func (c *Client) GoString() string { return c.String() }

// GetCheck fetches one ID check with every optional field. The id goes in
// the X-Caisson-CheckID header, never in the URL. Errors never carry the id
// or the key: the caller knows which check it asked for.
func (c *Client) GetCheck(ctx context.Context, checkID string) (*Check, error) {
	const op = "caisson: get check"
	id, err := ParseCheckID(checkID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	newReq := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/idcheck?fields="+getFields, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-Caisson-CheckID", id)
		return req, nil
	}
	var chk *Check
	err = c.retry(ctx, newReq, func(a *answer) error {
		var decErr error
		chk, decErr = decodeCheck(a.body, c.key)
		if decErr == nil && chk.CheckID != id && a.status/100 == 2 {
			// Another person's data under this id would be worse than
			// none; no excerpt either, so it reaches no log.
			return &ResponseError{Status: a.status, Err: errOtherCheck}
		}
		return a.classify(decErr, c.key)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return chk, nil
}

// ExchangeToken exchanges a chk_xchg_ token for its permanent check id.
// The reference lets an exchanged token work 5 more minutes precisely so
// that a failed exchange can be retried, which this does.
func (c *Client) ExchangeToken(ctx context.Context, token string) (string, error) {
	const op = "caisson: exchange token"
	id, err := ParseID(token)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if id.Kind != KindExchangeToken {
		return "", fmt.Errorf("%s: that is already a check id: expected an exchange token (chk_xchg_…)", op)
	}
	payload, err := json.Marshal(map[string]string{"check_exchange_token": id.Value})
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	newReq := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/idcheck/exchangetoken", bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}
	var checkID string
	err = c.retry(ctx, newReq, func(a *answer) error {
		var decErr error
		checkID, decErr = decodeExchange(a.body, c.key)
		return a.classify(decErr, c.key)
	})
	var ae *APIError
	if errors.As(err, &ae) && !retryable(ae) {
		err = &tokenRefusedError{ae}
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	return checkID, nil
}

// answer is one HTTP answer, read whole (up to the cap).
type answer struct {
	status int
	header http.Header
	body   []byte
}

// classify turns an answer and the error of decoding its body into the
// error the caller sees: nil for a success, *APIError for a body with
// `error` whatever the status, ErrKeyRefused for 401, *ResponseError for
// anything else.
func (a *answer) classify(decErr error, key APIKey) error {
	if a.status == http.StatusUnauthorized {
		return ErrKeyRefused
	}
	var ae *APIError
	if errors.As(decErr, &ae) {
		withStatus := *ae
		withStatus.Status = a.status
		// Again, in case a decoder was given no key: sanitizing leaves a
		// key intact, so this still catches an echoing server.
		withStatus.Code = ErrorCode(key.scrub(string(ae.Code)))
		withStatus.Message = key.scrub(ae.Message)
		return &withStatus
	}
	if decErr == nil && a.status >= 200 && a.status < 300 {
		return nil
	}
	if a.status >= 300 && a.status < 400 {
		// Whatever the body says: the reason is that it points elsewhere.
		decErr = errRedirect
	}
	if decErr == nil {
		decErr = fmt.Errorf("HTTP %d without an error code", a.status)
	}
	return &ResponseError{Status: a.status, Excerpt: excerpt(a.body, key), Err: decErr}
}

// send makes one request with the per-request timeout covering the body,
// and reads the answer up to the cap.
func (c *Client) send(parent context.Context, newReq func(context.Context) (*http.Request, error)) (*answer, error) {
	if c.pace != nil {
		if err := c.pace(parent); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	req, err := newReq(ctx)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Caisson "+c.key.reveal())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "caisson-review/"+Version)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &noAnswerError{c.timedOut(parent, ctx, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, &noAnswerError{c.timedOut(parent, ctx, fmt.Errorf("reading the answer (HTTP %d): %w", resp.StatusCode, err))}
	}
	if len(body) > maxBodyBytes {
		// Scrubbed whole, then cut: a cut through the key would leave a
		// piece too short to recognise.
		return nil, &ResponseError{Status: resp.StatusCode, Excerpt: excerpt(c.key.scrubBody(body), c.key), Err: errBodyTooLarge}
	}
	// The one place every answer passes: from here on, nothing decoded,
	// stored, quoted in an error or shown can carry the key.
	return &answer{status: resp.StatusCode, header: resp.Header, body: c.key.scrubBody(body)}, nil
}

// timedOut names the per-request timeout when it is what cut err short.
func (c *Client) timedOut(parent, reqCtx context.Context, err error) error {
	if parent.Err() == nil && errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
		return &timeoutError{after: c.timeout.String(), err: err}
	}
	return err
}
