package sanitize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ASCII is unchanged", "JAMIE DOE", "JAMIE DOE"},
		{"an accented name is unchanged", "José", "José"},
		{"a Polish name is unchanged", "Łukasz Żółć", "Łukasz Żółć"},
		{"a Japanese name is unchanged", "山田 太郎", "山田 太郎"},
		{"a combining accent is unchanged", "Jose\u0301", "Jose\u0301"},
		{"Arabic text without controls is unchanged", "محمد", "محمد"},
		{"a no-break space is unchanged", "a\u00a0b", "a\u00a0b"},
		{"ESC is shown as ^[", "a\x1bb", "a^[b"},
		{"a CSI sequence cannot clear the screen", "\x1b[2J\x1b[H", "^[[2J^[[H"},
		{"an OSC 0 cannot set the title", "\x1b]0;APPROVED BY ADMIN\x07", "^[]0;APPROVED BY ADMIN^G"},
		{"an OSC 52 cannot write the clipboard", "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07", "^[]52;c;Y3VybCBldmlsIHwgc2g=^G"},
		{"an OSC ended by ST is shown", "\x1b]0;x\x1b\\", "^[]0;x^[\\"},
		{"a carriage return cannot rewrite the line", "DENIED\rAPPROVED", "DENIED^MAPPROVED"},
		{"backspaces cannot hide text", "XXX\b\b\bOK", "XXX^H^H^HOK"},
		{"BEL cannot ring", "\a\a", "^G^G"},
		{"newline and tab are escaped in a line", "a\nb\tc", "a^Jb^Ic"},
		{"NUL is shown", "a\x00b", "a^@b"},
		{"DEL is shown", "a\x7fb", "a^?b"},
		{"the 8-bit CSI U+009B is shown", "\u009b31mRED", "<U+009B>31mRED"},
		{"NEL U+0085 is shown", "a\u0085b", "a<U+0085>b"},
		{"a right-to-left override cannot reorder text", "\u202eDEVORPPA", "<U+202E>DEVORPPA"},
		{"a left-to-right isolate is shown", "\u2066x\u2069", "<U+2066>x<U+2069>"},
		{"the Arabic letter mark is shown", "a\u061cb", "a<U+061C>b"},
		{"a zero-width space is shown", "ad\u200bmin", "ad<U+200B>min"},
		{"a zero-width joiner is shown", "a\u200db", "a<U+200D>b"},
		{"a byte order mark is shown", "\ufeffJAMIE", "<U+FEFF>JAMIE"},
		{"a soft hyphen is shown", "a\u00adb", "a<U+00AD>b"},
		{"a line separator is shown", "a\u2028b", "a<U+2028>b"},
		{"a paragraph separator is shown", "a\u2029b", "a<U+2029>b"},
		{"a private-use character is shown", "a\ue000b", "a<U+E000>b"},
		{"an unassigned code point is shown", "a\U000E0080b", "a<U+E0080>b"},
		{"a tag character is shown", "a\U000E0041b", "a<U+E0041>b"},
		{"invalid UTF-8 is shown byte by byte", "a\xff\xfeb", "a<0xFF><0xFE>b"},
		{"a lone continuation byte is shown", "\x80", "<0x80>"},
		{"a truncated sequence is shown", "\xe5\xb1", "<0xE5><0xB1>"},
		{"an encoded surrogate is shown", "\xed\xa0\x80", "<0xED><0xA0><0x80>"},
		{"a literal U+FFFD is told apart from invalid input", "\ufffd", "<U+FFFD>"},
		{"empty stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Line(tt.in)
			if got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
			}
			assertTerminalSafe(t, got, false)
			if Safe(tt.in) != (got == tt.in) {
				t.Errorf("Safe(%q) = %v, but Line changes it: %v", tt.in, Safe(tt.in), got != tt.in)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"newlines are kept", "first\nsecond", "first\nsecond"},
		{"a tab becomes a space", "a\tb", "a b"},
		{"a CRLF keeps the newline and shows the CR", "a\r\nb", "a^M\nb"},
		{"escape sequences are shown as in Line", "note\x1b]0;t\x07\n\u202ex", "note^[]0;t^G\n<U+202E>x"},
		{"names stay intact", "José\nŁukasz\n山田", "José\nŁukasz\n山田"},
		{"a vertical tab and form feed are shown", "a\vb\fc", "a^Kb^Lc"},
		{"invalid UTF-8 is shown", "\xff\n", "<0xFF>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Text(tt.in)
			if got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
			assertTerminalSafe(t, got, true)
		})
	}
}

// assertTerminalSafe fails if s holds anything a terminal could act on: a
// byte below 0x20 (a newline only in multi-line text), DEL, a C1 control, a
// format (Cf) character, a line or paragraph separator, or invalid UTF-8.
func assertTerminalSafe(t testing.TB, s string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("output is not valid UTF-8: %q", s)
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b == 0x7f || (b < 0x20 && !(multiline && b == '\n')) {
			t.Errorf("output has byte 0x%02x at %d: %q", b, i, s)
		}
	}
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			t.Errorf("output has C1 control U+%04X: %q", r, s)
		}
		if unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co) {
			t.Errorf("output has invisible or format character U+%04X: %q", r, s)
		}
	}
}

func TestSafe(t *testing.T) {
	for in, want := range map[string]bool{
		"JAMIE":      true,
		"José 山田":    true,
		"":           true,
		"a\tb":       false,
		"a\x1b[0m":   false,
		"\u202e":     false,
		"\xff":       false,
		"a\u200bb":   false,
		"\u00a0a":    true,
		"emoji 😀 ok": true,
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLineReturnsSafeInputWithoutCopying(t *testing.T) {
	s := strings.Repeat("José ", 100)
	if allocs := testing.AllocsPerRun(100, func() { _ = Line(s) }); allocs != 0 {
		t.Errorf("Line of a safe string allocates %v times", allocs)
	}
}

func FuzzLine(f *testing.F) {
	for _, seed := range []string{
		"JAMIE DOE", "José", "Łukasz", "山田", "\x1b]0;APPROVED\x07", "\x1b]52;c;AAAA\x07", "\x1b[2J",
		"\rAPPROVED", "XXX\b\b\bOK", "\a", "\u009b31m", "\u202eDEVORPPA", "\u2066x", "a\u200bb", "\xff\xfe",
		"\ufeff", "\u2028", "\U000E0041", "a\r\n\tb", "\xed\xa0\x80",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		line := Line(s)
		assertTerminalSafe(t, line, false)
		if !Safe(line) {
			t.Errorf("Line's output is not Safe: %q", line)
		}
		if Safe(s) != (line == s) {
			t.Errorf("Safe(%q) = %v but Line changed it: %v", s, Safe(s), line != s)
		}
		if Line(line) != line {
			t.Errorf("Line is not idempotent on %q", s)
		}
		text := Text(s)
		assertTerminalSafe(t, text, true)
		if strings.Count(text, "\n") != strings.Count(s, "\n") {
			t.Errorf("Text changed the number of lines of %q", s)
		}
	})
}
