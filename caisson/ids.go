package caisson

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// IDKind tells a check id from an exchange token.
type IDKind int

const (
	// KindCheckID is a permanent check id, "chk_priv_…".
	KindCheckID IDKind = iota + 1
	// KindExchangeToken is a short-lived exchange token, "chk_xchg_…",
	// that must be exchanged for a check id.
	KindExchangeToken
)

const (
	checkIDPrefix = "chk_priv_"
	tokenPrefix   = "chk_xchg_"
	// maxIDBody bounds what is accepted after the prefix; the samples have
	// 22 characters, and nothing longer than this is a plausible id.
	maxIDBody = 128
)

func (k IDKind) String() string {
	switch k {
	case KindCheckID:
		return "check id"
	case KindExchangeToken:
		return "exchange token"
	}
	return "unknown"
}

// ID is a parsed, validated id as a person pasted it.
type ID struct {
	Kind  IDKind
	Value string
}

// ParseID trims surrounding spaces and accepts a check id (chk_priv_…) or
// an exchange token (chk_xchg_…), each followed by URL-safe base64
// (A-Z a-z 0-9 - _). Anything else is refused with an error that says what
// was expected. The error never repeats the input whole: a pasted secret
// must not end up in a log.
func ParseID(s string) (ID, error) {
	s = strings.TrimSpace(s)
	var kind IDKind
	var body string
	switch {
	case strings.HasPrefix(s, checkIDPrefix):
		kind, body = KindCheckID, s[len(checkIDPrefix):]
	case strings.HasPrefix(s, tokenPrefix):
		kind, body = KindExchangeToken, s[len(tokenPrefix):]
	case s == "":
		return ID{}, fmt.Errorf("empty id: expected a check id (chk_priv_…) or an exchange token (chk_xchg_…)")
	default:
		// The input is not repeated: a secret pasted into the wrong place
		// (an API key) must not travel on in an error message.
		return ID{}, fmt.Errorf("not a Caisson id (%d characters, no chk_priv_ or chk_xchg_ prefix): expected a check id (chk_priv_…) or an exchange token (chk_xchg_…)", utf8.RuneCountInString(s))
	}
	if body == "" {
		return ID{}, fmt.Errorf("%s has nothing after the prefix: expected URL-safe base64 (A-Z a-z 0-9 - _)", kind)
	}
	if len(body) > maxIDBody {
		return ID{}, fmt.Errorf("%s is %d characters after the prefix: expected at most %d", kind, len(body), maxIDBody)
	}
	for i, r := range body {
		if !isURLBase64(r) {
			return ID{}, fmt.Errorf("%s has %q at position %d: expected only URL-safe base64 (A-Z a-z 0-9 - _) after the prefix",
				kind, r, len(kindPrefix(kind))+i+1)
		}
	}
	return ID{Kind: kind, Value: s}, nil
}

// ParseCheckID is ParseID for places that take only a check id.
func ParseCheckID(s string) (string, error) {
	id, err := ParseID(s)
	if err != nil {
		return "", err
	}
	if id.Kind != KindCheckID {
		return "", fmt.Errorf("that is an exchange token: expected a check id (chk_priv_…); exchange the token first")
	}
	return id.Value, nil
}

// ShortID is a check id shortened for a list column: the prefix dropped and
// the first n characters of the rest.
func ShortID(checkID string, n int) string {
	body := strings.TrimPrefix(checkID, checkIDPrefix)
	if n < 0 {
		n = 0
	}
	// Counted in runes: a hostile value from a file or the database must
	// not be cut inside a character.
	i := 0
	for j := range body {
		if i == n {
			return body[:j] + "…"
		}
		i++
	}
	return body
}

func kindPrefix(k IDKind) string {
	if k == KindExchangeToken {
		return tokenPrefix
	}
	return checkIDPrefix
}

func isURLBase64(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}
