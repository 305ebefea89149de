package caisson

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/sanitize"
)

// minKeyRun is how many of the key's characters in a row count as the key:
// a server that cuts the key short, or an excerpt that does, still leaks
// what it kept. Twelve characters of a secret key never occur by chance
// (the fixed "sk_live_" is eight); a key shorter than this must appear
// whole.
const minKeyRun = 12

// scrub replaces the key in text that came from the server with
// "[redacted]", in whatever form it comes: whole; cut by escape sequences,
// control, invisible or white-space characters, which a terminal hides and
// the sanitizer shows as ^[[0m or <U+200B>, leaving the key readable
// around them; already written in the sanitizer's notation (a literal
// "^[[0m"); in capitals or small letters; or cut short, any minKeyRun of
// its characters in a row. What
// lies between the key's characters goes with them.
func (k APIKey) scrub(s string) string {
	if k.secret == nil || *k.secret == "" {
		return s
	}
	key, m := *k.secret, k.match // NewAPIKey, the only maker of a key, makes both
	if len(s) < m.run {
		return s
	}
	// Most text holds no key: it is looked at once, without noting where
	// each character came from, which only a match needs.
	var buf [512]byte
	text, _ := project(s, key, buf[:0], nil)
	if !m.found(text) {
		return s
	}
	text, at := project(s, key, nil, make([]int, 0, len(s)))
	spans := m.spans(text)
	var b strings.Builder
	prev := 0
	for _, sp := range spans {
		from, to := at[sp[0]], at[sp[1]-1]+1
		b.WriteString(s[prev:from])
		b.WriteString(redacted)
		prev = to
	}
	b.WriteString(s[prev:])
	return b.String()
}

// project is s as a reader sees it once the hiding characters are gone:
// the visible ASCII characters in order, lower-cased, appended to text;
// and, when at is not nil, at[i] the offset in s of text[i]. Escape
// sequences, controls, spaces, invisible characters and the sanitizer's
// notation for them are left out; any other character (a visible
// non-ASCII letter) becomes a NUL, which no key holds, so a match cannot
// run across it.
func project(s, key string, text []byte, at []int) ([]byte, []int) {
	noting := at != nil
	for i := 0; i < len(s); {
		c := s[i]
		// Printable ASCII that starts no notation, most of any text, is
		// shown as itself (hidden would say 0) without asking.
		if plainASCII := ' ' < c && c < 0x7f && c != '^' && c != '<'; !plainASCII {
			if n := hidden(s, i, key); n > 0 {
				i += n
				continue
			}
		}
		if noting {
			at = append(at, i)
		}
		if c < utf8.RuneSelf {
			// Lower-cased here: letters match the key in either case.
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			text = append(text, c)
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		text = append(text, 0)
		i += size
	}
	return text, at
}

// hidden is the length of what at s[i:] a reader does not see as text (0
// when s[i] is shown as itself): an escape sequence, a control, space or
// invisible character, or the sanitizer's way of writing one, unless the
// key itself holds the character that notation starts with.
func hidden(s string, i int, key string) int {
	c := s[i]
	switch {
	case c == 0x1b:
		return 1 + escapeBody(s[i+1:])
	case c < 0x20 || c == 0x7f || c == ' ':
		return 1
	case c >= utf8.RuneSelf:
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x9b: // C1 CSI, the 8-bit ESC [
			return size + csiBody(s[i+size:])
		case r == 0x9d: // C1 OSC
			return size + stringBody(s[i+size:])
		case r == utf8.RuneError && size == 1, sanitize.Escapes(r), unicode.IsSpace(r):
			return size
		}
		return 0
	case c == '^' && !strings.ContainsRune(key, '^') && i+1 < len(s):
		switch n := s[i+1]; {
		case n == '[':
			return 2 + escapeBody(s[i+2:])
		case n >= '@' && n <= '_' || n == '?':
			return 2
		}
	case c == '<' && !strings.ContainsRune(key, '<'):
		return notationLen(s[i:])
	}
	return 0
}

// escapeBody is the length of an escape sequence after its ESC: a CSI
// (ESC [), an OSC or other string (ESC ] P X ^ _) up to its terminator,
// or one more character.
func escapeBody(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case '[':
		return 1 + csiBody(s[1:])
	case ']', 'P', 'X', '^', '_':
		return 1 + stringBody(s[1:])
	}
	_, size := utf8.DecodeRuneInString(s)
	return size
}

// csiBody is the length of a CSI sequence's parameters, intermediates and
// final byte.
func csiBody(s string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x20 && c <= 0x3f:
		case c >= 0x40 && c <= 0x7e:
			return i + 1
		default:
			return i
		}
	}
	return len(s)
}

// stringBody is the length of an OSC, DCS or similar string up to and
// including its terminator: BEL, ESC \ or the C1 ST, or the sanitizer's
// ^G or ^[\ for them. Unterminated, it runs to the end, as a terminal
// would swallow it.
func stringBody(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case strings.HasPrefix(s[i:], "\x1b\\"), strings.HasPrefix(s[i:], "\u009c"), strings.HasPrefix(s[i:], "^G"):
			return i + 2
		case strings.HasPrefix(s[i:], "^[\\"):
			return i + 3
		}
	}
	return len(s)
}

// notationLen is the length of the sanitizer's <U+XXXX> or <0xNN> at the
// start of s, or 0.
func notationLen(s string) int {
	var digits, max int
	switch {
	case strings.HasPrefix(s, "<U+"):
		digits, max = 3, 6
	case strings.HasPrefix(s, "<0x"):
		digits, max = 3, 2
	default:
		return 0
	}
	i := digits
	for i < len(s) && i-digits < max && isHexDigit(s[i]) {
		i++
	}
	if i == digits || i >= len(s) || s[i] != '>' {
		return 0
	}
	return i + 1
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f'
}

// keyMatcher finds the key's runs in projected text: every stretch of
// minKeyRun of its characters in a row (the whole key when shorter),
// lower-cased. Letters match in either case: a server that writes the
// key in capitals ("INVALID KEY SK_LIVE_…") leaves it guessable letter
// by letter, so it is the key all the same.
type keyMatcher struct {
	run   int
	grams map[string]bool
	// in says which bytes the lower-cased key holds: only a stretch of
	// run of them can be one of grams, so text is looked up in grams only
	// there, not at every byte (most text has no such stretch).
	in [256]bool
}

func newKeyMatcher(key string) *keyMatcher {
	key = strings.ToLower(key)
	m := &keyMatcher{run: min(minKeyRun, len(key)), grams: map[string]bool{}}
	for j := 0; j+m.run <= len(key); j++ {
		m.grams[key[j:j+m.run]] = true
	}
	for i := 0; i < len(key); i++ {
		m.in[key[i]] = true
	}
	return m
}

// each calls f with every stretch [from, to) of text that is one of the
// key's grams, in order, until f returns false.
func (m *keyMatcher) each(text []byte, f func(from, to int) bool) {
	streak := 0
	for i := 0; i < len(text); i++ {
		if !m.in[text[i]] {
			streak = 0
			continue
		}
		if streak++; streak >= m.run && m.grams[string(text[i+1-m.run:i+1])] {
			if !f(i+1-m.run, i+1) {
				return
			}
		}
	}
}

// found says whether text holds any of the key's runs.
func (m *keyMatcher) found(text []byte) bool {
	hit := false
	m.each(text, func(int, int) bool { hit = true; return false })
	return hit
}

// spans are the stretches of text, merged, covered by the key's runs, as
// [from, to) pairs.
func (m *keyMatcher) spans(text []byte) [][2]int {
	var spans [][2]int
	m.each(text, func(from, to int) bool {
		if n := len(spans); n > 0 && spans[n-1][1] >= from {
			spans[n-1][1] = to
		} else {
			spans = append(spans, [2]int{from, to})
		}
		return true
	})
	return spans
}

// scrubBody removes the key from an answer's body before anything reads
// it, so nothing decoded, stored, quoted or shown from it can carry the
// key. Each JSON string is decoded, scrubbed and written again, which
// catches a key hidden behind JSON escapes (\u0073k_live…, \u001b[0m); the
// rest of the body, byte for byte, is scrubbed as text. A body without the
// key comes back unchanged (the same slice), so the stored response stays
// exactly what Caisson sent.
func (k APIKey) scrubBody(body []byte) []byte {
	if k.secret == nil || *k.secret == "" {
		return body
	}
	out := k.scrubJSONStrings(body)
	text := string(out)
	if clean := k.scrub(text); clean != text {
		out = []byte(clean)
	}
	return out
}

// scrubJSONStrings rewrites each JSON string literal of b that holds the
// key; b is returned as is when none does.
func (k APIKey) scrubJSONStrings(b []byte) []byte {
	var out []byte
	prev := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end := stringEnd(b, i+1)
		if end < 0 {
			break
		}
		lit := b[i : end+1]
		i = end
		if len(lit)-2 < minKeyRun && plain(lit) {
			continue // too short to hold a run of the key, as scrub would find
		}
		s, ok := plainString(lit)
		if !ok && json.Unmarshal(lit, &s) != nil {
			continue
		}
		clean := k.scrub(s)
		if clean == s {
			continue
		}
		var enc bytes.Buffer
		e := json.NewEncoder(&enc)
		e.SetEscapeHTML(false)
		if e.Encode(clean) != nil {
			continue
		}
		out = append(out, b[prev:i-len(lit)+1]...)
		out = append(out, bytes.TrimRight(enc.Bytes(), "\n")...)
		prev = end + 1
	}
	if out == nil {
		return b
	}
	return append(out, b[prev:]...)
}

// plainString is the text of a JSON string literal that has no escape,
// no control character and no invalid UTF-8 (nearly every one), read as
// json.Unmarshal would read it, which is much slower; not ok otherwise.
func plainString(lit []byte) (string, bool) {
	if !plain(lit) {
		return "", false
	}
	return string(lit[1 : len(lit)-1]), true
}

// plain says whether a JSON string literal reads as its bytes between the
// quotes: no escape, no control character, valid UTF-8.
func plain(lit []byte) bool {
	content := lit[1 : len(lit)-1]
	for _, c := range content {
		if c == '\\' || c < 0x20 {
			return false
		}
	}
	return utf8.Valid(content)
}

// stringEnd is the index of the quote closing a JSON string whose content
// starts at i, or -1.
func stringEnd(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
