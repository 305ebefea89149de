// Package sanitize makes untrusted text safe to write to a terminal.
//
// Every string that reaches a screen, a CLI line or a CSV export from the
// Caisson API, a file or the database goes through here first. A crafted name
// must not be able to set the window title, write the clipboard (OSC 52), move
// the cursor, rewrite the line with \r or \b, ring the bell, or reorder text
// with bidi controls. Stripping escape sequences is not enough (x/ansi's Strip
// passes \r, C1 controls and U+202E), so nothing is dropped either: every such
// character is shown, visibly escaped, so a reviewer sees that the data was odd.
//
// The package sits below every other package (the caisson client uses it for
// error excerpts), which is why it is not part of caisson, store or tui.
package sanitize

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s escaped for a single terminal line: C0 controls (newline and
// tab included), DEL, C1 controls, invalid UTF-8 and invisible format or
// separator characters are replaced by visible escapes. ESC becomes "^[",
// other C0 controls caret notation ("^M" for \r), DEL "^?", and everything
// else "<U+XXXX>" (invalid bytes "<0xNN>").
func Line(s string) string {
	return escape(s, false)
}

// Text is Line for multi-line text such as a reviewer's note: newlines are
// kept (a lone \n moves to the next line and nothing else), tabs become a
// space; every other control is escaped as in Line.
func Text(s string) string {
	return escape(s, true)
}

// Safe reports whether s would come back from Line unchanged.
func Safe(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		if needsEscape(r) {
			return false
		}
		i += size
	}
	return true
}

func escape(s string, multiline bool) string {
	if !multiline && Safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, "<0x%02X>", s[i])
		case multiline && r == '\n':
			b.WriteByte('\n')
		case multiline && r == '\t':
			b.WriteByte(' ')
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case r == 0x7f:
			b.WriteString("^?")
		case needsEscape(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Escapes reports whether Line shows r escaped rather than as itself: a
// control, a format or invisible character, a separator other than the
// space, or an unassigned or private-use code point. The caisson client
// uses it to see through such characters when it looks for the API key in
// server text.
func Escapes(r rune) bool { return needsEscape(r) }

// needsEscape reports whether r must not reach a terminal as it is: controls
// (C0, DEL, C1), format characters (bidi overrides and isolates, zero-width
// joiners, BOM, soft hyphen), line and paragraph separators, and private-use
// or unassigned code points that a terminal may draw as anything.
func needsEscape(r rune) bool {
	if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
		return true
	}
	if r < 0x7f {
		return false
	}
	if r == utf8.RuneError {
		// A literal U+FFFD is harmless, but it is what invalid input
		// decodes to; showing it escaped keeps the two distinguishable.
		return true
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs) ||
		!unicode.Is(unicode.L, r) && !unicode.Is(unicode.M, r) && !unicode.Is(unicode.N, r) &&
			!unicode.Is(unicode.P, r) && !unicode.Is(unicode.S, r) && !unicode.Is(unicode.Zs, r)
}
