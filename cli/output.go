package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/sanitize"
)

// writeJSON writes v as indented JSON. encoding/json escapes C0 controls
// but passes C1 controls, bidi overrides and other invisible characters
// through raw; those are escaped here too (as \uXXXX, which decodes back
// to the same string), so JSON on a terminal is as safe as text.
func writeJSON(w io.Writer, v any) error {
	b, err := encodeJSON(v, "")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// encodeJSON is v as indented JSON, each line after the first starting
// with prefix, ending in a newline, escaped as writeJSON says.
func encodeJSON(v any, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding JSON: %w", err)
	}
	return escapeInvisible(buf.Bytes()), nil
}

// escapeInvisible rewrites every non-ASCII rune that sanitize would escape
// as a JSON \u escape. Outside strings JSON is plain ASCII, so rewriting
// the whole document is safe.
func escapeInvisible(b []byte) []byte {
	if sanitize.Safe(string(b)) || isPlainJSON(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x7f && !sanitize.Safe(string(r)) {
			out = appendUnicodeEscape(out, r)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// isPlainJSON: printable ASCII plus the newlines and indentation the
// encoder itself writes.
func isPlainJSON(b []byte) bool {
	for _, c := range b {
		if c >= 0x7f || (c < 0x20 && c != '\n') {
			return false
		}
	}
	return true
}

func appendUnicodeEscape(out []byte, r rune) []byte {
	if r > 0xffff {
		// Outside the BMP JSON needs a surrogate pair.
		r -= 0x10000
		out = fmt.Appendf(out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		return out
	}
	return fmt.Appendf(out, `\u%04x`, r)
}

// timeText is a timestamp for text output: local time with its offset, or
// "-" when absent.
func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 -07:00")
}

// timeJSON is RFC 3339 with the offset kept, or "" when absent.
func timeJSON(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// orDash shows an empty field as "-" so text columns stay aligned.
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// jsonArray writes a JSON array an element at a time, indented as
// writeJSON indents one, so that a log of any length is never held whole:
// "[]" when it has none, as writeJSON writes an empty list.
type jsonArray struct {
	w io.Writer
	n int
}

func (a *jsonArray) add(v any) error {
	b, err := encodeJSON(v, "  ")
	if err != nil {
		return err
	}
	sep := ",\n  "
	if a.n == 0 {
		sep = "[\n  "
	}
	a.n++
	_, err = io.WriteString(a.w, sep+strings.TrimRight(string(b), "\n"))
	return err
}

func (a *jsonArray) end() error {
	if a.n == 0 {
		_, err := io.WriteString(a.w, "[]\n")
		return err
	}
	_, err := io.WriteString(a.w, "\n]\n")
	return err
}
