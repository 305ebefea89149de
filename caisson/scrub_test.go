package caisson

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/sanitize"
)

// leaksKey reports whether s still shows the key to a reader: whole, or
// any minKeyRun of its characters in a row once the escape sequences,
// controls, invisible characters and spaces a terminal hides are gone, in
// s as it is and as the sanitizer would show it.
func leaksKey(s string) bool {
	// Window by window, not through keyMatcher: the test must not share
	// the shortcut it checks.
	key := strings.ToLower(testKey)
	for _, form := range []string{s, sanitize.Line(s)} {
		text, _ := project(form, "", nil, nil)
		for i := 0; i+minKeyRun <= len(text); i++ {
			if strings.Contains(key, string(text[i:i+minKeyRun])) {
				return true
			}
		}
	}
	return false
}

func TestScrubFindsTheKeyInWhateverFormItArrives(t *testing.T) {
	k := mustKey(t, testKey)
	half := len(testKey) / 2
	tests := []struct {
		name string
		in   string
		keep []string // text around the key that must survive
	}{
		{"whole, twice", "you sent Caisson " + testKey + " twice: " + testKey, []string{"you sent Caisson ", " twice: "}},
		{"split by an SGR escape sequence", "bad key " + testKey[:10] + "\x1b[0m" + testKey[10:] + ", sorry", []string{"bad key ", ", sorry"}},
		{"split by several sequences and a BEL", "x " + testKey[:5] + "\x1b[31m" + testKey[5:9] + "\a" + testKey[9:20] + "\x1b]0;t\x07" + testKey[20:] + " y", []string{"x ", " y"}},
		{"split by a C1 CSI", testKey[:half] + "\u009b1m" + testKey[half:], nil},
		{"split by zero-width and bidi characters", testKey[:4] + "\u200b" + testKey[4:12] + "\u202e" + testKey[12:], nil},
		{"split by spaces and a newline", "name: " + testKey[:8] + " " + testKey[8:16] + "\n" + testKey[16:], []string{"name: "}},
		{"written in the sanitizer's notation", "msg " + testKey[:10] + "^[[0m" + testKey[10:20] + "<U+200B>" + testKey[20:], []string{"msg "}},
		{"cut short at the end", "echo: " + testKey[:minKeyRun+2], []string{"echo: "}},
		{"its second half alone", "tail " + testKey[half:], []string{"tail "}},
		{"in capitals", "INVALID KEY " + strings.ToUpper(testKey) + " GIVEN", []string{"INVALID KEY ", " GIVEN"}},
		{"in small letters, cut short", "key=" + strings.ToLower(testKey[2:minKeyRun+4]), []string{"key="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := k.scrub(tt.in)
			if leaksKey(got) || !strings.Contains(got, redacted) {
				t.Errorf("scrub(%q) = %q: the key is still readable", tt.in, got)
			}
			for _, keep := range tt.keep {
				if !strings.Contains(got, keep) {
					t.Errorf("scrub(%q) = %q: lost the text %q around the key", tt.in, got, keep)
				}
			}
		})
	}
}

func TestScrubLeavesTextWithoutTheKeyAlone(t *testing.T) {
	k := mustKey(t, testKey)
	for _, s := range []string{
		"", "sk_test_", "JAMIE DOE", "Caisson answered INVALID_INPUT: the check id is not one of yours",
		"\x1b[2J\x1b[H cleared", "sk_test_ another key entirely sk_live_AAAAAAAAAAAAAAAA",
		testKey[:minKeyRun-1] + " is not enough of it to be the key",
	} {
		if got := k.scrub(s); got != s {
			t.Errorf("scrub(%q) = %q, want it unchanged", s, got)
		}
	}
	if (APIKey{}).scrub("text") != "text" {
		t.Error("the zero key changed text")
	}
}

func TestScrubBodyRewritesOnlyTheJSONStringsThatHoldTheKey(t *testing.T) {
	k := mustKey(t, testKey)
	clean := `{"check_id": "` + sampleID + `", "info": {"first_name": "JAMIE",},}`
	if got := k.scrubBody([]byte(clean)); string(got) != clean {
		t.Errorf("a body without the key changed: %s", got)
	}
	escaped := strings.Replace(testKey, "s", `\u0073`, 1)
	body := `{"check_id": "` + sampleID + `", "info": {"first_name": "` + escaped[:14] + `\u001b[0m` + escaped[14:] + `", "last_name": "DOE"}}`
	got := string(k.scrubBody([]byte(body)))
	if want := `{"check_id": "` + sampleID + `", "info": {"first_name": "[redacted]", "last_name": "DOE"}}`; got != want {
		t.Errorf("scrubBody =\n%s\nwant\n%s", got, want)
	}
}

// A hostile or echoing server puts the key into its answers; the client
// hands back nothing that carries it, in the error, the decoded check or
// the raw bytes the store keeps.
func TestAHostileServerCannotMakeAnAnswerCarryTheKey(t *testing.T) {
	split := testKey[:10] + `\u001b[0m` + testKey[10:]
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"an error message with the key split by an escape sequence", 400,
			`{"error": "INVALID_INPUT", "error_description": "bad key ` + split + `"}`},
		{"an error code made of the key", 500, `{"error": "` + testKey + `"}`},
		{"the key in a name of a 200 answer", 200, `{"check_id": "` + sampleID + `", "customer_id": "c-1",
			"confidence": {"document": "high", "face": "high", "reasons": []},
			"info": {"first_name": "` + testKey + `", "last_name": "` + split + `"}}`},
		{"the key in an HTML error page", 502, `<html><body>Authorization: Caisson ` + testKey + `</body></html>`},
		{"the key cut by the size cap", 200, `{"check_id": "` + sampleID + `", "customer_id": "` +
			strings.Repeat("A", maxExcerpt*4-len(`{"check_id": "`+sampleID+`", "customer_id": "`)-(minKeyRun+4)) + testKey + strings.Repeat("B", maxBodyBytes) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) { writeBody(w, tt.status, tt.body) }, WithRetries(1))
			chk, err := c.GetCheck(context.Background(), sampleID)
			if err != nil {
				var re *ResponseError
				if errors.As(err, &re) && leaksKey(re.Excerpt) || leaksKey(err.Error()) || leaksKey(Explain(err)) {
					t.Errorf("the error shows the key: %v", err)
				}
				if tt.status == 200 && !strings.Contains(tt.name, "cap") {
					t.Fatalf("GetCheck: %v", err)
				}
				return
			}
			for _, s := range []string{string(chk.Raw), chk.Info.FirstName, chk.Info.LastName, chk.CustomerID} {
				if leaksKey(s) {
					t.Errorf("the answer carries the key: %q", s)
				}
			}
			if chk.Info.FirstName != redacted || chk.Info.LastName != redacted {
				t.Errorf("names %q %q, want both %s", chk.Info.FirstName, chk.Info.LastName, redacted)
			}
			again, err := DecodeCheck(chk.Raw)
			if err != nil || again.Info.FirstName != redacted {
				t.Errorf("the raw bytes kept do not decode to the scrubbed check: %v", err)
			}
		})
	}
}

// Every answer is scrubbed: a typical one must cost next to nothing beside
// a network round trip.
func BenchmarkScrubBodyOfATypicalAnswer(b *testing.B) {
	k := mustKey(b, testKey)
	body := []byte(`{"check_id": "` + sampleID + `", "customer_id": "1234321 - Doe, Jamie", "checked_on": "2019-07-19T15:00:42.274684-04:00",
		"confidence": {"document": "high", "face": "medium", "reasons": [{"code": 201, "description": "The face could not be matched with high confidence"}]},
		"info": {"first_name": "JAMIE", "last_name": "DOE", "sex": "F", "dob": "1984-02-29", "expires_on": "2031-01-01",
		"address": {"street": "6 CROWN DR", "city": "NEW YORK", "state": "NY", "zip": "10001"}}}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		k.scrubBody(body)
	}
}

// scrubAsFirstWritten is scrub as it was before it was made fast (every
// byte asked of hidden, every stretch looked up among the key's runs, the
// offsets always noted): the reference the fast one must agree with.
func scrubAsFirstWritten(key, s string) string {
	run := min(minKeyRun, len(key))
	if len(s) < run {
		return s
	}
	var text []byte
	var at []int
	for i := 0; i < len(s); {
		if n := hidden(s, i, key); n > 0 {
			i += n
			continue
		}
		if c := s[i]; c < utf8.RuneSelf {
			text, at = append(text, c), append(at, i)
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		text, at = append(text, 0), append(at, i)
		i += size
	}
	lowKey, text := strings.ToLower(key), bytes.ToLower(text)
	var spans [][2]int
	for i := 0; i+run <= len(text); i++ {
		if !strings.Contains(lowKey, string(text[i:i+run])) {
			continue
		}
		if n := len(spans); n > 0 && spans[n-1][1] >= i {
			spans[n-1][1] = i + run
		} else {
			spans = append(spans, [2]int{i, i + run})
		}
	}
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	prev := 0
	for _, sp := range spans {
		b.WriteString(s[prev:at[sp[0]]])
		b.WriteString(redacted)
		prev = at[sp[1]-1] + 1
	}
	return b.String() + s[prev:]
}

// Text made of the key's pieces in both cases, the characters that hide
// them (escapes, controls, spaces, invisible characters, the sanitizer's
// notation for them) and others around: the fast scrub removes exactly
// what the reference does, from each of thousands of such texts.
func TestScrubAgreesWithItsReferenceOnMixedText(t *testing.T) {
	k := mustKey(t, testKey)
	pieces := []string{" ", "\x1b[0m", "\u200b", "^[[1m", "<U+200B>", "<0x07>", "\t", "é", "日", "^", "<", "\"", "x", "Z", "0",
		"\x1b]8;;http://x\x07", "\u009b31m", "\r\n", strings.ToUpper(testKey[:5]), "zzzzzzzzzzzzzzzz"}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 5000; n++ {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			if r.IntN(2) == 0 {
				from := r.IntN(len(testKey))
				piece := testKey[from:min(len(testKey), from+1+r.IntN(16))]
				if r.IntN(3) == 0 {
					piece = strings.ToUpper(piece)
				}
				b.WriteString(piece)
			} else {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
		}
		s := b.String()
		if got, want := k.scrub(s), scrubAsFirstWritten(testKey, s); got != want {
			t.Fatalf("scrub(%q)\n= %q\nwant %q", s, got, want)
		}
	}
}
