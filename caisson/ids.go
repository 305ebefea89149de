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
	// secretKeyPrefix starts Caisson's secret API keys (sk_live_…), never
	// written as an id.
	secretKeyPrefix = "sk_"
	// MinIDBody is the fewest characters accepted after the prefix: the
	// samples carry 22 (16 random bytes in URL-safe base64), so anything
	// shorter was cut when copied, and would only fail later at Caisson
	// with a message about something else.
	MinIDBody = 22
	// maxIDBody bounds what is accepted after the prefix; nothing longer
	// than this is a plausible id.
	maxIDBody = 128
)

// expectedForm is what every refusal says was expected.
const expectedForm = "chk_priv_ (a check id) or chk_xchg_ (an exchange token) followed by 22 or more URL-safe base64 characters (A-Z a-z 0-9 - _)"

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

// The one rule for reading an id, whatever reads it (add, show, decide,
// refresh, the console's add dialog, the filter, the API's answers):
//   - surrounding spaces are trimmed;
//   - the prefix, chk_priv_ or chk_xchg_, is a fixed word and may be
//     written in any case (it is stored in lower case);
//   - what follows is URL-safe base64, 22 characters or more, and is
//     taken exactly: base64 tells 'a' from 'A', so two ids differing only
//     in case are two different checks.

// ParseID accepts a check id (chk_priv_…) or an exchange token
// (chk_xchg_…) by the rule above; anything else is refused with an error
// that says what was expected. The error never repeats the input whole: a
// pasted secret must not end up in a log.
func ParseID(s string) (ID, error) {
	s = strings.TrimSpace(s)
	var kind IDKind
	var body string
	switch {
	case hasPrefixFold(s, checkIDPrefix):
		kind, body = KindCheckID, s[len(checkIDPrefix):]
	case hasPrefixFold(s, tokenPrefix):
		kind, body = KindExchangeToken, s[len(tokenPrefix):]
	case s == "":
		return ID{}, fmt.Errorf("empty id: expected %s", expectedForm)
	case prefixAt(s) > 0:
		// Often an invisible character pasted with the id (a byte-order
		// mark, a zero-width space): "no prefix" would read as nonsense
		// to someone who sees it.
		lead := s[:prefixAt(s)]
		first, _ := utf8.DecodeRuneInString(lead)
		return ID{}, fmt.Errorf("not a Caisson id: something comes before its prefix (%d characters, the first %q): expected %s",
			utf8.RuneCountInString(lead), first, expectedForm)
	case hasPrefixFold(s, secretKeyPrefix):
		// Said as ParseCheckRef says it (decide, show): the most likely
		// paste into the wrong place, and one the reviewer must know of.
		return ID{}, fmt.Errorf("that looks like a secret API key (sk_…), not a Caisson id, so it is not repeated here: expected %s", expectedForm)
	default:
		// The input is not repeated: a secret pasted into the wrong place
		// (an API key) must not travel on in an error message.
		return ID{}, fmt.Errorf("not a Caisson id (%d characters, no chk_priv_ or chk_xchg_ prefix): expected %s", utf8.RuneCountInString(s), expectedForm)
	}
	if err := validBody(body); err != nil {
		return ID{}, fmt.Errorf("%s %w", kind, err)
	}
	if prefix := kindPrefix(kind); s[:len(prefix)] != prefix {
		return ID{Kind: kind, Value: prefix + body}, nil
	}
	// Already as stored: the input itself, not a copy (a file of a million
	// ids is parsed more than once on its way to the store). The value
	// keeps whatever string s is part of alive: add -'s lines are parts
	// of one string holding the whole input.
	return ID{Kind: kind, Value: s}, nil
}

// validBody checks what follows the prefix.
func validBody(body string) error {
	if body == "" {
		return fmt.Errorf("has nothing after the prefix: expected %s", expectedForm)
	}
	if len(body) > maxIDBody {
		return fmt.Errorf("is %d characters after the prefix: expected at most %d", len(body), maxIDBody)
	}
	// One pass over the bytes, which are ASCII in every good id: a file
	// of a million ids is read more than once on its way to the store.
	second := -1
	for i := 0; i < len(body); i++ {
		b := body[i]
		if !base64Byte[b] {
			if rest := strings.TrimLeft(body[i:], " \t"); (b == ' ' || b == '\t') && (hasPrefixFold(rest, checkIDPrefix) || hasPrefixFold(rest, tokenPrefix)) {
				// Two ids on one line, or in one quoted argument.
				return fmt.Errorf("has a space at position %d and then another id, so it is two ids on one line: expected one id (one a line, or one an argument)",
					len(checkIDPrefix)+i+1)
			}
			r, _ := utf8.DecodeRuneInString(body[i:])
			return fmt.Errorf("has %q at position %d: expected only URL-safe base64 (A-Z a-z 0-9 - _) after the prefix",
				r, len(checkIDPrefix)+i+1)
		}
		if second < 0 && (b == 'c' || b == 'C') && (hasPrefixFold(body[i:], checkIDPrefix) || hasPrefixFold(body[i:], tokenPrefix)) {
			second = i
		}
	}
	if len(body) < MinIDBody {
		return fmt.Errorf("has only %d characters after the prefix, so it was probably cut when copied: expected %s", len(body), expectedForm)
	}
	// Two ids run together (a lost line break) read as one long one, in
	// URL-safe base64 all through: taken, it would track an id that is
	// neither.
	if second >= 0 {
		p := checkIDPrefix
		if hasPrefixFold(body[second:], tokenPrefix) {
			p = tokenPrefix
		}
		return fmt.Errorf("has a second %s at position %d, so it is two ids run together: expected one id (one a line)",
			p, len(checkIDPrefix)+second+1)
	}
	return nil
}

// IDLine is what a line of a list of ids (add -, the console's add
// dialog) holds: false for a blank line or a # comment, else the line
// trimmed and without a comment after it. An id holds no space and no #,
// so " # …" after one is a note, as in a shell script.
func IDLine(raw string) (string, bool) {
	t := strings.TrimSpace(raw)
	if t == "" || strings.HasPrefix(t, "#") {
		return "", false
	}
	if i := strings.Index(t, "#"); i > 0 && (t[i-1] == ' ' || t[i-1] == '\t') {
		t = strings.TrimSpace(t[:i])
	}
	return t, true
}

// IsExchangeToken reports whether s is an exchange token by ParseID's
// rule. Only what starts as one is parsed: a file of a million check ids
// is asked whether it holds any token.
func IsExchangeToken(s string) bool {
	if !hasPrefixFold(strings.TrimSpace(s), tokenPrefix) {
		return false
	}
	id, err := ParseID(s)
	return err == nil && id.Kind == KindExchangeToken
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

// ParseCheckRef reads a check id as a person names a check that is
// already tracked (show, decide, refresh): the id with or without its
// chk_priv_ prefix, since a list shows ids without it. Adding needs the
// prefix (ParseID): it is what tells a check id from an exchange token.
func ParseCheckRef(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || hasPrefixFold(s, checkIDPrefix) || hasPrefixFold(s, tokenPrefix) {
		return ParseCheckID(s)
	}
	const form = "expected a check id: 22 or more URL-safe base64 characters (A-Z a-z 0-9 - _), with or without chk_priv_ in front"
	if hasPrefixFold(s, secretKeyPrefix) {
		// An API key is URL-safe base64 too, and long enough: taken for an
		// id, it would be repeated in "… is not tracked".
		return "", fmt.Errorf("that looks like a secret API key (sk_…), not a check id, so it is not repeated here: %s (a check id that starts with sk_ needs chk_priv_ in front)", form)
	}
	for i, r := range s {
		if !isURLBase64(r) {
			// Not repeated whole: it may be a secret pasted by mistake.
			return "", fmt.Errorf("not a check id (%q at position %d): %s", r, i+1, form)
		}
	}
	if len(s) < MinIDBody || len(s) > maxIDBody {
		return "", fmt.Errorf("not a check id (%d characters): %s, at most %d", len(s), form, maxIDBody)
	}
	return checkIDPrefix + s, nil
}

// CheckIDStart reads a filter as the start of a check id, by the same
// rule: chk_priv_ optional and in any case, the rest exactly. all is true
// when f is the start of the prefix itself (every check id starts so). ok
// is false when f cannot start a check id (a character outside URL-safe
// base64) or, without the prefix, is shorter than minBare characters: one
// character is the start of one id in 64, a random handful that says
// nothing.
func CheckIDStart(f string, minBare int) (start string, all, ok bool) {
	f = strings.TrimSpace(f)
	if hasPrefixFold(checkIDPrefix, f) {
		return checkIDPrefix, true, true
	}
	body, prefixed := f, hasPrefixFold(f, checkIDPrefix)
	if prefixed {
		body = f[len(checkIDPrefix):]
	}
	for _, r := range body {
		if !isURLBase64(r) {
			return "", false, false
		}
	}
	if !prefixed && len(body) < minBare {
		return "", false, false
	}
	return checkIDPrefix + body, false, true
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

// prefixAt is where chk_priv_ or chk_xchg_, in any case, first occurs in
// s, or -1.
func prefixAt(s string) int {
	for i := 0; i+len(checkIDPrefix) <= len(s); i++ {
		if hasPrefixFold(s[i:], checkIDPrefix) || hasPrefixFold(s[i:], tokenPrefix) {
			return i
		}
	}
	return -1
}

func kindPrefix(k IDKind) string {
	if k == KindExchangeToken {
		return tokenPrefix
	}
	return checkIDPrefix
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case only: Unicode
// folding would let look-alikes (the Kelvin sign for k) pass as the prefix.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		if lowerASCII(s[i]) != lowerASCII(prefix[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// base64Byte is isURLBase64 for a byte, looked up: validBody tests every
// byte of every id of an import.
var base64Byte = func() (t [256]bool) {
	for b := range 256 {
		t[b] = isURLBase64(rune(b))
	}
	return t
}()

func isURLBase64(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}
