package caisson

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retry runs one request until it succeeds, fails for good, runs out of
// tries or ctx ends. handle decodes an answer and says whether it is a
// success (nil) or which error it is.
func (c *Client) retry(ctx context.Context, newReq func(context.Context) (*http.Request, error), handle func(*answer) error) error {
	for try := 1; ; try++ {
		a, err := c.send(ctx, newReq)
		if err == nil {
			err = handle(a)
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("stopped: %w", context.Cause(ctx))
		}
		if !retryable(err) {
			return err
		}
		wait := c.backoff.wait(try)
		if a != nil {
			if ra, ok := retryAfter(a.header.Get("Retry-After"), time.Now()); ok {
				if ra > maxRetryAfter {
					// Whatever the tries left: what Caisson asked for is
					// the news, and a batch stops at it.
					return &WaitError{After: ra, Err: err}
				}
				wait = ra
			}
		}
		if try >= c.tries {
			if try == 1 {
				return err
			}
			return fmt.Errorf("gave up after %d tries: %w", try, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("stopped: %w", context.Cause(ctx))
		case <-t.C:
		}
	}
}

// retryable says whether another try may succeed: server trouble, rate
// limiting, a cut connection or a timeout may pass; a refused key, a bad
// id or a check's state will not.
func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case CodeInternalError:
			return true
		case CodeInvalidInput, CodeIDCheckExpired, CodeIDCheckDeleted, CodeNotVerified, CodePendingReview:
			return false
		}
		if strings.HasPrefix(string(ae.Code), "IDCHECK_") {
			return false
		}
		return retryableStatus(ae.Status)
	}
	if errors.Is(err, ErrKeyRefused) || errors.Is(err, errBodyTooLarge) {
		return false
	}
	var re *ResponseError
	if errors.As(err, &re) {
		return retryableStatus(re.Status) || errors.Is(err, errTruncated)
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return false // a certificate will not become valid in a second
	}
	// Anything else is the transport: refused or reset connections, a body
	// cut short, a timeout.
	return true
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff is exponential backoff with jitter.
type backoff struct{ base, max time.Duration }

// wait is the pause after the try-th failed try: base doubled for each
// earlier retry, capped at max, then between half and all of that at
// random, so that a batch of failed requests does not come back in step.
func (b backoff) wait(try int) time.Duration {
	d := b.max
	if try-1 < 30 {
		if e := b.base << (try - 1); e > 0 && e < b.max {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
