package caisson

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestSentinelsMatchAnyAPIErrorWithTheirCode(t *testing.T) {
	sentinels := map[ErrorCode]error{
		CodeIDCheckExpired: ErrIDCheckExpired,
		CodeIDCheckDeleted: ErrIDCheckDeleted,
		CodeInvalidInput:   ErrInvalidInput,
		CodeNotVerified:    ErrNotVerified,
		CodePendingReview:  ErrPendingReview,
		CodeInternalError:  ErrInternal,
	}
	for code, sentinel := range sentinels {
		err := fmt.Errorf("wrapped: %w", &APIError{Code: code, Message: "text", Status: 200})
		for other, s := range sentinels {
			if got := errors.Is(err, s); got != (other == code) {
				t.Errorf("errors.Is(%s error, %s sentinel) = %v", code, other, got)
			}
		}
		if CodeOf(err) != code {
			t.Errorf("CodeOf = %q, want %q", CodeOf(err), code)
		}
		if errors.Is(sentinel, ErrKeyRefused) {
			t.Errorf("%s matches ErrKeyRefused", code)
		}
	}
	if CodeOf(errors.New("x")) != "" || CodeOf(nil) != "" {
		t.Error("CodeOf of a non-API error is not empty")
	}
	specific := &APIError{Code: CodePendingReview, Message: "m"}
	if errors.Is(&APIError{Code: CodePendingReview}, specific) {
		t.Error("a target with a message should match only itself")
	}
}

func TestAPIErrorText(t *testing.T) {
	tests := []struct {
		err  *APIError
		want string
	}{
		{&APIError{Code: CodePendingReview, Message: "with our team", Status: 200}, "Caisson answered PENDING_REVIEW (HTTP 200): with our team"},
		{&APIError{Code: CodeNotVerified}, "Caisson answered NOT_VERIFIED"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestExplainGivesOnePlainSentencePerCase(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"expired", &APIError{Code: CodeIDCheckExpired}, "expired"},
		{"deleted", &APIError{Code: CodeIDCheckDeleted}, "deleted"},
		{"invalid input", &APIError{Code: CodeInvalidInput}, "invalid"},
		{"not verified", &APIError{Code: CodeNotVerified}, "has not completed"},
		{"pending review", fmt.Errorf("x: %w", &APIError{Code: CodePendingReview}), "Caisson's own reviewers still have this check: look again later"},
		{"internal error", &APIError{Code: CodeInternalError}, "internal error"},
		{"an unknown code names it, sanitized", &APIError{Code: "NEW\x1b[2J", Message: "details"}, "does not know (NEW^[[2J): details"},
		{"key refused", fmt.Errorf("get: %w", ErrKeyRefused), "refused the API key"},
		{"refused token", &tokenRefusedError{&APIError{Code: CodeInvalidInput}}, "within 2 hours"},
		{"cancelled", fmt.Errorf("stopped: %w", context.Canceled), "cancelled"},
		{"deadline", fmt.Errorf("stopped: %w", context.DeadlineExceeded), "did not answer in time"},
		{"per-request timeout", &timeoutError{"15s", context.DeadlineExceeded}, "(15s)"},
		{"unreadable body", &ResponseError{Status: 502}, "HTTP 502"},
		{"an answer for another check says so", &ResponseError{Status: 200, Err: errOtherCheck}, "was for another check than the one asked for, so it was not stored"},
		{"a redirect says so", &ResponseError{Status: 307, Err: errRedirect}, "a redirect (HTTP 307), which is not followed"},
		{"transport", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, "Could not reach Caisson"},
		{"anything else, sanitized", errors.New("odd\x1b]0;x\a"), "odd^[]0;x^G"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Explain(tt.err)
			if !strings.Contains(got, tt.want) {
				t.Errorf("Explain = %q, want it to contain %q", got, tt.want)
			}
			if strings.ContainsAny(got, "\x1b\a\r\n") {
				t.Errorf("Explain is not one clean line: %q", got)
			}
		})
	}
	for code := range explanations {
		if s := Explain(&APIError{Code: code}); s == "" || strings.Contains(s, "does not know") {
			t.Errorf("%s has no sentence of its own", code)
		}
	}
	if len(explanations) != 6 {
		t.Errorf("%d codes explained, the reference documents 6", len(explanations))
	}
}

func TestResponseErrorText(t *testing.T) {
	err := &ResponseError{Status: 502, Excerpt: "<html>", Err: errors.New("not valid JSON\x1b[2J")}
	got := err.Error()
	if got != `unreadable response (HTTP 502): not valid JSON^[[2J; the body starts "<html>"` {
		t.Errorf("got %q", got)
	}
	if !errors.Is(&ResponseError{Err: errBodyTooLarge}, errBodyTooLarge) {
		t.Error("ResponseError does not unwrap")
	}
}

func TestExcerpt(t *testing.T) {
	key := mustKey(t, testKey)
	tests := []struct{ name, body, want string }{
		{"whitespace runs collapse", "<html>\r\n  <head>\n\t</head>", "<html> <head> </head>"},
		{"controls are escaped", "a\x1b]52;c;AAAA\x07b", "a^[]52;c;AAAA^Gb"},
		{"the key is scrubbed", "auth: Caisson " + testKey, "auth: Caisson [redacted]"},
		{"invalid UTF-8 is shown", "a\xffb", "a<0xFF>b"},
		{"long bodies are cut", strings.Repeat("é", 500), strings.Repeat("é", maxExcerpt) + "…"},
		{"a key past the first bytes is scrubbed before cutting", strings.Repeat(" ", 470) + testKey, "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := excerpt([]byte(tt.body), key); got != tt.want {
				t.Errorf("excerpt = %q, want %q", got, tt.want)
			}
		})
	}
}

// Not ready is Caisson's ordinary "no result yet", however the error is
// wrapped; every other answer, and no error, is not.
func TestNotReadyIsPendingReviewOrNotVerifiedOnly(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&APIError{Code: CodePendingReview, Message: "with the reviewers", Status: 200}, true},
		{fmt.Errorf("fetching chk_priv_x: %w", &APIError{Code: CodeNotVerified}), true},
		{&APIError{Code: CodeInternalError}, false},
		{&APIError{Code: CodeIDCheckExpired}, false},
		{ErrKeyRefused, false},
		{errors.New("connection reset"), false},
		{nil, false},
	} {
		if got := NotReady(c.err); got != c.want {
			t.Errorf("NotReady(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
