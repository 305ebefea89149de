package caisson

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/sanitize"
)

// ErrorCode is the API's `error` field.
type ErrorCode string

// The documented error codes.
const (
	CodeIDCheckExpired ErrorCode = "IDCHECK_EXPIRED"
	CodeIDCheckDeleted ErrorCode = "IDCHECK_DELETED"
	CodeInvalidInput   ErrorCode = "INVALID_INPUT"
	CodeNotVerified    ErrorCode = "NOT_VERIFIED"
	CodePendingReview  ErrorCode = "PENDING_REVIEW"
	CodeInternalError  ErrorCode = "INTERNAL_ERROR"
)

// APIError is an answer whose body carries `error`, whatever the HTTP
// status. Code and Message are sanitized for a terminal and never carry the
// API key.
type APIError struct {
	Code    ErrorCode
	Message string
	// Status is the HTTP status, 0 when the body was decoded on its own
	// (DecodeCheck).
	Status int
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("Caisson answered ")
	b.WriteString(string(e.Code))
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrPendingReview) true for any *APIError with that
// code, whatever its message and status.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Code == e.Code && t.Message == "" && t.Status == 0
}

// Sentinels for errors.Is, one per documented code.
var (
	ErrIDCheckExpired error = &APIError{Code: CodeIDCheckExpired}
	ErrIDCheckDeleted error = &APIError{Code: CodeIDCheckDeleted}
	ErrInvalidInput   error = &APIError{Code: CodeInvalidInput}
	ErrNotVerified    error = &APIError{Code: CodeNotVerified}
	ErrPendingReview  error = &APIError{Code: CodePendingReview}
	ErrInternal       error = &APIError{Code: CodeInternalError}
)

// NotReady tells the answers that are normal outcomes rather than
// failures, as Caisson's own integration treats them: the person has not
// finished the check (NOT_VERIFIED), or Caisson's reviewers still have it
// (PENDING_REVIEW). Nobody should be alerted about them; a later refresh
// gets the result. The CLI and the console count them apart from failures.
func NotReady(err error) bool {
	return errors.Is(err, ErrPendingReview) || errors.Is(err, ErrNotVerified)
}

// ErrKeyRefused is an HTTP 401: Caisson's own code reads it as an invalid
// private key. It deliberately says nothing about the key itself.
var ErrKeyRefused = errors.New("the API key was refused (HTTP 401)")

// ResponseError is an answer that could not be read as the API documents:
// an HTML error page from a proxy, truncated or malformed JSON, a body over
// the size cap, or a status without an error code.
type ResponseError struct {
	Status int
	// Excerpt is the start of the body, whitespace collapsed and sanitized,
	// for a person to recognise what came back.
	Excerpt string
	Err     error
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unreadable response (HTTP %d)", e.Status)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(sanitize.Line(e.Err.Error()))
	}
	if e.Excerpt != "" {
		fmt.Fprintf(&b, "; the body starts %q", e.Excerpt)
	}
	return b.String()
}

func (e *ResponseError) Unwrap() error { return e.Err }

// errOtherCheck is the Err of a ResponseError whose result names another
// check than the one asked for.
var errOtherCheck = errors.New("the answer is for another check than the one asked for")

// errRedirect is the Err of a ResponseError that was a redirect: never
// followed, so neither the key nor the check id goes to another address.
var errRedirect = errors.New("a redirect, not followed")

// errBodyTooLarge is the Err of a ResponseError whose body passed the cap.
var errBodyTooLarge = fmt.Errorf("body larger than %d bytes", maxBodyBytes)

// tokenRefusedError marks the API's refusal of an exchange token, so
// Explain can tell the person the timing rules that usually explain it.
type tokenRefusedError struct{ err *APIError }

func (e *tokenRefusedError) Error() string { return "exchange token refused: " + e.err.Error() }
func (e *tokenRefusedError) Unwrap() error { return e.err }

// timeoutError is a request that got no complete answer within the client's
// per-request timeout.
type timeoutError struct {
	after string
	err   error
}

func (e *timeoutError) Error() string {
	return "no complete answer within " + e.after + ": " + e.err.Error()
}
func (e *timeoutError) Unwrap() error { return e.err }

// WaitError is Caisson asking, with Retry-After, for a longer pause than
// the client waits for: it says nothing about the check asked for, and
// every other request would be told the same until then.
type WaitError struct {
	After time.Duration
	Err   error
}

func (e *WaitError) Error() string {
	return "Caisson asked to wait " + waitText(e.After) + " before trying again: " + e.Err.Error()
}
func (e *WaitError) Unwrap() error { return e.Err }

// waitText is a pause as a person says it: 1h, 1h30m, 45s.
func waitText(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// noAnswerError is a request that got no answer at all: the connection
// was refused, reset or cut, or timed out.
type noAnswerError struct{ err error }

func (e *noAnswerError) Error() string { return e.err.Error() }
func (e *noAnswerError) Unwrap() error { return e.err }

// Unavailable reports whether err is Caisson, or the way to it, failing
// rather than an answer about the check: no answer at all, or one that is
// not Caisson's documented answer (rate limiting, a gateway's or a
// proxy's page whatever its status, a body cut short or too large, a
// redirect: a *ResponseError). It is no fact about the check, and every
// other request is likely to fail the same way, so a batch counts these
// in a row (FetchMany), a poller backs off, and a store keeps the check's
// last answer. Caisson's own error codes (INTERNAL_ERROR included) are
// answers about the check asked for, and are not.
func Unavailable(err error) bool {
	var na *noAnswerError
	var we *WaitError
	var re *ResponseError
	return err != nil && (errors.As(err, &we) || errors.As(err, &na) || errors.As(err, &re))
}

// CodeOf is the API error code in err's chain, or "".
func CodeOf(err error) ErrorCode {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// explanations are the plain sentences for each documented code.
var explanations = map[ErrorCode]string{
	CodeIDCheckExpired: "Caisson no longer keeps this check's result: it has expired there and cannot be fetched again",
	CodeIDCheckDeleted: "This check was deleted at Caisson: its personal data is gone and cannot be fetched again",
	CodeInvalidInput:   "Caisson refused the request as invalid: check that the id was copied whole and belongs to this API key's account",
	CodeNotVerified:    "The person has not completed this ID check, so there is no result to review yet",
	CodePendingReview:  "Caisson's own reviewers still have this check: look again later",
	CodeInternalError:  "Caisson had an internal error: try again in a few minutes",
}

// Explain is one plain sentence for a person about err, sanitized for a
// terminal; "" for a nil error.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	var tr *tokenRefusedError
	var ae *APIError
	var re *ResponseError
	var te *timeoutError
	var ne net.Error
	var we *WaitError
	var bs *BatchStoppedError
	switch {
	case errors.As(err, &bs):
		// Before what stopped it: the counts are the news.
		return sanitize.Line(bs.Error())
	case errors.As(err, &we):
		return "Caisson asked to wait " + waitText(we.After) + " before any more requests: nothing more can be fetched until then"
	case errors.As(err, &tr):
		return "Caisson refused the exchange token: a token must be exchanged within 2 hours of the check's creation, " +
			"and once exchanged it keeps working only 5 more minutes; ask for the check id instead, or have the person check again"
	case errors.Is(err, ErrKeyRefused):
		return "Caisson refused the API key: check that it is this account's secret key and that it has not been revoked"
	case errors.As(err, &ae):
		if s, ok := explanations[ae.Code]; ok {
			return s
		}
		return fmt.Sprintf("Caisson answered with an error this program does not know (%s): %s",
			sanitize.Line(string(ae.Code)), nonEmpty(ae.Message, "no description"))
	case errors.Is(err, context.Canceled):
		return "The request was cancelled before Caisson answered"
	case errors.As(err, &te):
		return "Caisson did not answer in time (" + te.after + "): try again in a moment, and check the network if it persists"
	case errors.Is(err, errBodyTooLarge):
		return "Caisson's answer was far larger than any ID check result, so it was not read: something between here and Caisson is misbehaving"
	case errors.Is(err, errOtherCheck):
		return "Caisson's answer was for another check than the one asked for, so it was not stored: something between here and Caisson is misbehaving"
	case errors.As(err, &re) && errors.Is(err, errRedirect):
		return fmt.Sprintf("Caisson's answer was a redirect (HTTP %d), which is not followed so the key goes nowhere else: check the API address", re.Status)
	case errors.As(err, &re) && re.Status == http.StatusTooManyRequests:
		return "Caisson is limiting this account's requests (HTTP 429) and kept refusing after the client's retries: try again later, or with a lower --concurrency"
	case errors.As(err, &re):
		return fmt.Sprintf("Caisson's answer could not be read (HTTP %d): a proxy or Caisson itself is having trouble; try again later", re.Status)
	case errors.Is(err, context.DeadlineExceeded):
		return "Caisson did not answer in time: try again in a moment, and check the network if it persists"
	case errors.As(err, &ne):
		// The cause is what an operator acts on: a refused connection, a
		// name that does not resolve, a certificate not trusted.
		why := ""
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil {
			why = " (" + clip(sanitize.Line(ue.Err.Error()), 160) + ")"
		}
		return "Could not reach Caisson" + why + ": check the network connection and the API address"
	}
	return sanitize.Line(err.Error())
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// maxExcerpt bounds what an error quotes of a body: enough to recognise an
// HTML page or a cut JSON, too little to fill a screen.
const maxExcerpt = 120

// excerpt is the start of a body for an error: the key scrubbed, runs of
// whitespace collapsed (an HTML page is mostly line breaks), sanitized and
// cut at a rune boundary.
func excerpt(body []byte, key APIKey) string {
	s := key.scrub(string(body))
	if len(s) > 4*maxExcerpt {
		s = s[:4*maxExcerpt]
	}
	s = strings.Join(strings.Fields(s), " ")
	s = sanitize.Line(s)
	if utf8.RuneCountInString(s) <= maxExcerpt {
		return s
	}
	r := []rune(s)
	return string(r[:maxExcerpt]) + "…"
}
