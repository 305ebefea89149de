package caisson_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/sanitize"
)

// startSandbox serves a sandbox on loopback and returns a client of it with
// fast backoff.
func startSandbox(t testing.TB, opts sandbox.Options, clientOpts ...caisson.Option) (*sandbox.Server, *caisson.Client) {
	t.Helper()
	sb := sandbox.New(opts)
	base, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	key, err := caisson.NewAPIKey(sb.Key())
	if err != nil {
		t.Fatal(err)
	}
	// The test's own transport, so its idle connections can be closed
	// before the sandbox stops: http.Server.Shutdown counts a connection
	// that never carried a request as busy for 5 s, and the sandbox's stop
	// would wait 2 s for it.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	t.Cleanup(tr.CloseIdleConnections)
	clientOpts = append([]caisson.Option{
		caisson.WithHTTPClient(&http.Client{Transport: tr}),
		caisson.WithBackoff(time.Millisecond, 5*time.Millisecond),
	}, clientOpts...)
	c, err := caisson.NewClient(base, key, clientOpts...)
	if err != nil {
		t.Fatal(err)
	}
	return sb, c
}

// requestsFor counts the GETs the sandbox received for id.
func requestsFor(sb *sandbox.Server, id string) int {
	n := 0
	for _, r := range sb.Requests() {
		if r.CheckID == id {
			n++
		}
	}
	return n
}

// isOutcome reports whether err is a check's state rather than a failure:
// the data set has checks still pending review or not verified, answered
// with an error body as the API does.
func isOutcome(err error) bool {
	return errors.Is(err, caisson.ErrPendingReview) || errors.Is(err, caisson.ErrNotVerified)
}

func assertNoKey(t *testing.T, sb *sandbox.Server, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), sb.Key()) || strings.Contains(caisson.Explain(err), sb.Key())) {
		t.Errorf("the error carries the key: %v", err)
	}
}

func TestSandboxChecksDecode(t *testing.T) {
	sb, c := startSandbox(t, sandbox.Options{})
	reasons := map[int]bool{}
	levels := map[[2]caisson.Level]bool{}
	var withAddress, withDates, outcomes int
	for i, id := range sb.CheckIDs(sb.Len()) {
		chk, err := c.GetCheck(context.Background(), id)
		if isOutcome(err) {
			outcomes++
			continue
		}
		if err != nil {
			t.Fatalf("check %d: %v", i, err)
		}
		if chk.CheckID != id || chk.CheckedOn.IsZero() || chk.Info.LastName == "" || len(chk.Raw) == 0 {
			t.Errorf("check %d decoded as %+v", i, chk)
		}
		for _, r := range chk.Confidence.Reasons {
			reasons[r.Code] = true
		}
		levels[[2]caisson.Level{chk.Confidence.Document, chk.Confidence.Face}] = true
		if chk.Info.Address != nil {
			withAddress++
		}
		if !chk.Info.DOB.IsZero() && !chk.Info.ExpiresOn.IsZero() {
			withDates++
		}
	}
	for _, ri := range caisson.Catalogue() {
		if !reasons[ri.Code] {
			t.Errorf("reason %d never decoded from the sandbox", ri.Code)
		}
	}
	if len(levels) < 9 {
		t.Errorf("%d confidence combinations decoded, want all 9", len(levels))
	}
	if outcomes == 0 {
		t.Error("no check answered PENDING_REVIEW or NOT_VERIFIED: the data set should hold some")
	}
	if withAddress == 0 || withDates == 0 {
		t.Errorf("optional fields never came: %d with address, %d with dates", withAddress, withDates)
	}
}

func TestSandboxRecordsTheDocumentedRequest(t *testing.T) {
	sb, c := startSandbox(t, sandbox.Options{})
	id := sb.CheckID(3)
	if _, err := c.GetCheck(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	reqs := sb.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "GET" || r.Path != "/v1/idcheck" || r.RawQuery != "fields=sex,dob,address,expires_on" || r.CheckID != id || !r.AuthOK {
		t.Errorf("request = %+v", r)
	}
	if strings.Contains(r.RawQuery, "chk_") {
		t.Error("the check id is in the query")
	}
	names := strings.Join(r.HeaderNames, ",")
	for _, h := range []string{"Accept", "Authorization", "User-Agent", "X-Caisson-Checkid"} {
		if !strings.Contains(names, h) {
			t.Errorf("header %s not sent (sent %s)", h, names)
		}
	}
}

func TestEveryDocumentedErrorFromTheSandbox(t *testing.T) {
	tests := []struct {
		code     caisson.ErrorCode
		sentinel error
		tries    int
	}{
		{caisson.CodeIDCheckExpired, caisson.ErrIDCheckExpired, 1},
		{caisson.CodeIDCheckDeleted, caisson.ErrIDCheckDeleted, 1},
		{caisson.CodeInvalidInput, caisson.ErrInvalidInput, 1},
		{caisson.CodeNotVerified, caisson.ErrNotVerified, 1},
		{caisson.CodePendingReview, caisson.ErrPendingReview, 1},
		{caisson.CodeInternalError, caisson.ErrInternal, 3},
	}
	sb, c := startSandbox(t, sandbox.Options{})
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			id := sb.ErrorCheckID(string(tt.code))
			chk, err := c.GetCheck(context.Background(), id)
			if chk != nil || !errors.Is(err, tt.sentinel) || caisson.CodeOf(err) != tt.code {
				t.Fatalf("got %v, %v; want %s", chk, err, tt.code)
			}
			var ae *caisson.APIError
			if !errors.As(err, &ae) || ae.Status == 0 || ae.Message == "" {
				t.Errorf("error = %#v: want the status and the text (from either field)", ae)
			}
			if got := requestsFor(sb, id); got != tt.tries {
				t.Errorf("%d tries, want %d", got, tt.tries)
			}
			if ex := caisson.Explain(err); ex == "" || strings.Contains(ex, "does not know") {
				t.Errorf("explained %q", ex)
			}
			assertNoKey(t, sb, err)
		})
	}
}

func TestAWrongKeyIsRefusedWithoutEchoingEitherKey(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	base, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	const wrong = "sk_wrong_0123456789abcdef"
	key, _ := caisson.NewAPIKey(wrong)
	c, err := caisson.NewClient(base, key)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetCheck(context.Background(), sb.CheckID(0))
	if !errors.Is(err, caisson.ErrKeyRefused) {
		t.Fatalf("error = %v", err)
	}
	_, xerr := c.ExchangeToken(context.Background(), sb.NewToken(0))
	if !errors.Is(xerr, caisson.ErrKeyRefused) {
		t.Fatalf("exchange error = %v", xerr)
	}
	for _, e := range []error{err, xerr} {
		for _, s := range []string{e.Error(), caisson.Explain(e), fmt.Sprintf("%+v %#v", e, c)} {
			if strings.Contains(s, wrong) || strings.Contains(s, sb.Key()) {
				t.Errorf("a key shows: %s", s)
			}
		}
	}
	if n := len(sb.Requests()); n != 2 {
		t.Errorf("%d requests: a refused key must not be retried", n)
	}
}

// Each injected failure, twice in a row, then the real answer: the check
// ends fetched after three tries, except a huge body, which no retry
// would make smaller.
func TestInjectedFailuresAreRetriedToSuccess(t *testing.T) {
	t.Parallel()
	failures := []sandbox.Failure{
		sandbox.FailInternal, sandbox.Fail503, sandbox.FailReset, sandbox.FailSlowBody,
		sandbox.Fail429, sandbox.FailHTML502, sandbox.FailTruncated,
	}
	for i, f := range failures {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			sb, c := startSandbox(t, sandbox.Options{}, caisson.WithTimeout(300*time.Millisecond))
			sb.SetSlowBody(3 * time.Second)
			id := sb.CheckID(i)
			sb.FailNext(id, 2, f)
			chk, err := c.GetCheck(context.Background(), id)
			if err != nil {
				t.Fatalf("after two %v: %v", f, err)
			}
			if chk.CheckID != id {
				t.Errorf("got %s", chk.CheckID)
			}
			if got := requestsFor(sb, id); got != 3 {
				t.Errorf("%d tries, want 3", got)
			}
		})
	}
	t.Run("three in a row exhaust the tries", func(t *testing.T) {
		t.Parallel()
		sb, c := startSandbox(t, sandbox.Options{})
		id := sb.CheckID(0)
		sb.FailNext(id, 3, sandbox.FailHTML502)
		_, err := c.GetCheck(context.Background(), id)
		var re *caisson.ResponseError
		if !errors.As(err, &re) || re.Status != 502 || !strings.Contains(re.Excerpt, "502 Bad Gateway") {
			t.Fatalf("error = %v", err)
		}
		if !strings.Contains(err.Error(), "gave up after 3 tries") {
			t.Errorf("error = %v", err)
		}
		assertNoKey(t, sb, err)
	})
	t.Run(sandbox.FailHugeBody.String(), func(t *testing.T) {
		t.Parallel()
		sb, c := startSandbox(t, sandbox.Options{})
		id := sb.CheckID(1)
		sb.FailNext(id, 1, sandbox.FailHugeBody)
		_, err := c.GetCheck(context.Background(), id)
		var re *caisson.ResponseError
		if !errors.As(err, &re) || re.Status != 200 || len(re.Excerpt) > 1000 {
			t.Fatalf("error = %v", err)
		}
		if got := requestsFor(sb, id); got != 1 {
			t.Errorf("%d tries of a huge body", got)
		}
		if _, err := c.GetCheck(context.Background(), id); err != nil {
			t.Errorf("the next fetch: %v", err)
		}
	})
}

func TestASlowBodyWithinTheTimeoutIsJustSlow(t *testing.T) {
	sb, c := startSandbox(t, sandbox.Options{})
	sb.SetSlowBody(200 * time.Millisecond)
	id := sb.CheckID(5)
	sb.FailNext(id, 1, sandbox.FailSlowBody)
	if _, err := c.GetCheck(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if got := requestsFor(sb, id); got != 1 {
		t.Errorf("%d tries", got)
	}
}

func TestFetchManyEndsWithEveryCheckFetchedDespiteFailures(t *testing.T) {
	sb, c := startSandbox(t, sandbox.Options{})
	ids := sb.CheckIDs(60)
	kinds := []sandbox.Failure{sandbox.FailInternal, sandbox.Fail503, sandbox.FailReset, sandbox.FailTruncated, sandbox.FailHTML502}
	for i := 0; i < len(ids); i += 3 {
		sb.FailNext(ids[i], 2, kinds[i%len(kinds)])
	}
	ids = append(ids, sb.ErrorCheckID("PENDING_REVIEW"))
	got := map[string]error{}
	err := c.FetchMany(context.Background(), ids, 8, func(r caisson.Result) { got[r.CheckID] = r.Err })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d results for %d ids", len(got), len(ids))
	}
	for id, err := range got {
		if id == ids[len(ids)-1] {
			if !errors.Is(err, caisson.ErrPendingReview) {
				t.Errorf("pending check: %v", err)
			}
			continue
		}
		if err != nil && !isOutcome(err) {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestFetchManyAgainstARandomFailRate(t *testing.T) {
	t.Parallel()
	sb, c := startSandbox(t, sandbox.Options{FailRate: 0.3}, caisson.WithRetries(10), caisson.WithTimeout(2*time.Second))
	sb.SetSlowBody(50 * time.Millisecond)
	ids := sb.CheckIDs(40)
	var failed []error
	err := c.FetchMany(context.Background(), ids, 8, func(r caisson.Result) {
		if r.Err != nil && !isOutcome(r.Err) {
			failed = append(failed, r.Err)
		}
	})
	if err != nil || len(failed) > 0 {
		t.Errorf("err %v, failures %v", err, failed)
	}
}

func TestCancellingFetchManyMidway(t *testing.T) {
	sb, c := startSandbox(t, sandbox.Options{Latency: 20 * time.Millisecond})
	ids := sb.CheckIDs(200)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	n := 0
	start := time.Now()
	err := c.FetchMany(ctx, ids, 4, func(r caisson.Result) {
		mu.Lock()
		defer mu.Unlock()
		if r.Err != nil && !isOutcome(r.Err) {
			t.Errorf("%s: %v", r.CheckID, r.Err)
		}
		n++
		if n == 20 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// After the 20th, at most what was already done can still come: a
	// full result buffer (4) and a finished result in each worker (4).
	if n < 20 || n > 20+2*4 {
		t.Errorf("%d results; want the 20 before cancelling and at most 8 already finished", n)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v to stop", el)
	}
	if reqs := len(sb.Requests()); reqs > 20+3*4 {
		t.Errorf("%d requests sent for %d results", reqs, n)
	}
}

// The client hands hostile data back as it came; the display sanitizes it.
func TestHostileDataComesBackIntact(t *testing.T) {
	sb, c := startSandbox(t, sandbox.Options{Hostile: true})
	wanted := map[string]string{
		"ESC": "\x1b", "BEL": "\a", "CR": "\r", "BS": "\b", "C1 CSI": "\u009b", "RLO": "\u202e",
		"OSC 0 title": "\x1b]0;", "OSC 52 clipboard": "\x1b]52;c;",
	}
	found := map[string]bool{}
	var hostile int
	err := c.FetchMany(context.Background(), sb.CheckIDs(sb.Len()), 8, func(r caisson.Result) {
		if isOutcome(r.Err) {
			return
		}
		if r.Err != nil {
			t.Errorf("%s: %v", r.CheckID, r.Err)
			return
		}
		name, cust := r.Check.Info.LastName, r.Check.CustomerID
		for _, s := range []string{name, cust} {
			if sanitize.Safe(s) {
				continue
			}
			hostile++
			for what, piece := range wanted {
				if strings.Contains(s, piece) {
					found[what] = true
				}
			}
			line := sanitize.Line(s)
			if strings.ContainsAny(line, "\x1b\a\r\b\u009b\u202e") {
				t.Errorf("sanitize.Line left a control in %q", line)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if hostile == 0 {
		t.Fatal("no hostile value came back: the client altered them or the sandbox sent none")
	}
	for what := range wanted {
		if !found[what] {
			t.Errorf("no value carried %s intact", what)
		}
	}
}

func TestExchangeTokensFollowTheReferenceTiming(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	sb, c := startSandbox(t, sandbox.Options{Now: clock})
	ctx := context.Background()

	tok := sb.NewToken(7)
	advance(sandbox.ExchangeWindow - time.Minute)
	id, err := c.ExchangeToken(ctx, tok)
	if err != nil || id != sb.CheckID(7) {
		t.Fatalf("exchange within 2 hours: %q, %v", id, err)
	}
	advance(4 * time.Minute)
	if again, err := c.ExchangeToken(ctx, tok); err != nil || again != id {
		t.Errorf("again within the 5-minute grace: %q, %v", again, err)
	}
	advance(2 * time.Minute)
	_, err = c.ExchangeToken(ctx, tok)
	if !errors.Is(err, caisson.ErrInvalidInput) {
		t.Fatalf("after the grace: %v", err)
	}
	if ex := caisson.Explain(err); !strings.Contains(ex, "2 hours") || !strings.Contains(ex, "5 more minutes") {
		t.Errorf("explained %q", ex)
	}

	late := sb.NewToken(8)
	advance(2*time.Hour + time.Minute)
	if _, err := c.ExchangeToken(ctx, late); !errors.Is(err, caisson.ErrInvalidInput) || !strings.Contains(caisson.Explain(err), "2 hours") {
		t.Errorf("a token exchanged too late: %v", err)
	}
	if _, err := c.ExchangeToken(ctx, "chk_xchg_neverIssuedByThisSandbox"); !errors.Is(err, caisson.ErrInvalidInput) {
		t.Errorf("an unknown token: %v", err)
	}
	for _, r := range sb.Requests() {
		if r.Method != "POST" || r.Path != "/v1/idcheck/exchangetoken" || !r.AuthOK {
			t.Errorf("request %+v", r)
		}
	}
}
