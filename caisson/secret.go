package caisson

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode"
)

const redacted = "[redacted]"

// APIKey is the secret API key. It prints as "[redacted]" under every fmt
// verb, in JSON, as text and in slog, so no log line, error or %+v dump can
// carry it. The secret sits behind a pointer so that even reflection-based
// printing of a struct holding an APIKey in an unexported field (which
// bypasses the methods below) shows only an address.
type APIKey struct {
	secret *string
	// match finds the key in server text (scrub); made once with the
	// key, since every answer is scrubbed.
	match *keyMatcher
}

// NewAPIKey trims surrounding spaces and newlines (a key pasted from a file
// or a terminal usually carries one) and refuses an empty key or one with
// control characters, spaces or non-ASCII inside. The error never repeats the
// key.
func NewAPIKey(s string) (APIKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return APIKey{}, fmt.Errorf("empty API key: expected the secret API key from the Caisson dashboard")
	}
	for i, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return APIKey{}, fmt.Errorf("the API key has a control character at byte %d: expected printable ASCII only", i+1)
		case unicode.IsSpace(r):
			return APIKey{}, fmt.Errorf("the API key has a space at byte %d: expected the key alone, without the word \"Caisson\" or anything else", i+1)
		case r > unicode.MaxASCII:
			return APIKey{}, fmt.Errorf("the API key has a non-ASCII character at byte %d: expected printable ASCII only (was it copied through a word processor?)", i+1)
		}
	}
	return APIKey{secret: &s, match: newKeyMatcher(s)}, nil
}

// IsZero reports whether no key was given.
func (k APIKey) IsZero() bool { return k.secret == nil }

// Holds says whether text holds the key, in any form scrub finds it
// (whole, cut short to twelve of its characters in a row, split by
// invisible characters): text a person typed that would be kept, such as
// a decision's note in the append-only log, must not.
func (k APIKey) Holds(text string) bool { return !k.IsZero() && k.scrub(text) != text }

// String is "[redacted]".
func (k APIKey) String() string { return redacted }

// GoString is "[redacted]", for %#v.
func (k APIKey) GoString() string { return redacted }

// Format prints "[redacted]" whatever the verb and flags (%x, %q, %d
// included), which String alone would not guarantee.
func (k APIKey) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON is the JSON string "[redacted]".
func (k APIKey) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText is "[redacted]".
func (k APIKey) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue keeps the key out of structured logs.
func (k APIKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// reveal is the one way to read the key, used only to build the
// Authorization header and to scrub the key out of server text.
func (k APIKey) reveal() string {
	if k.secret == nil {
		return ""
	}
	return *k.secret
}
