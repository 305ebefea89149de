package tui

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/caisson-review/caisson-review/store"
)

// sgr is lipgloss's own styling: Select Graphic Rendition, nothing else.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// rawDanger reports the first character in a frame that a terminal would
// obey rather than draw: ESC, other C0 controls but newline, DEL, C1
// controls, and bidi or invisible format characters.
func rawDanger(frame string) (rune, bool) {
	for _, r := range frame {
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return r, true
		case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0xfeff:
			return r, true
		case r == utf8.RuneError:
			return r, true
		}
	}
	return 0, false
}

func TestHostileDataNeverReachesTheTerminalRaw(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 200, track: 200, fetch: true, hostile: true})
	ctx := context.Background()
	hostile := "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\x07\x1b[2J\r\b\a\u009b31m\u202eDEVORPPA\u2066"
	id := f.sb.CheckID(4)
	if _, err := f.st.Decide(ctx, id, store.Escalate, "note "+hostile+"\nsecond line"+hostile, "mallory"+hostile); err != nil {
		t.Fatal(err)
	}
	errID := f.sb.CheckID(14)
	if err := f.st.RecordFetch(ctx, errID, nil, errors.New("proxy said "+hostile), testNow); err != nil {
		t.Fatal(err)
	}
	cfg := f.config()
	cfg.Reviewer = "eve" + hostile
	cfg.APILabel = "api" + hostile

	for _, profile := range []colorprofile.Profile{colorprofile.NoTTY, colorprofile.ANSI256} {
		t.Run(profile.String(), func(t *testing.T) {
			m := newTestModel(t, cfg, 160, 48)
			frames := 0
			check := func(what string) {
				t.Helper()
				frame := rendered(t, m, profile)
				frames++
				if profile == colorprofile.NoTTY && strings.ContainsRune(frame, 0x1b) {
					t.Fatalf("%s: ESC in a frame without colour:\n%q", what, frame)
				}
				if r, bad := rawDanger(sgr.ReplaceAllString(frame, "")); bad {
					t.Fatalf("%s: raw %U in the frame:\n%q", what, r, frame)
				}
			}
			pump(t, m, keys("7")...)
			seenEscaped := false
			for i := 0; i < 200; i++ {
				check("row " + m.list.rows[0].CheckID)
				if s := plain(m); strings.Contains(s, "^[") && strings.Contains(s, "<U+202E>") {
					seenEscaped = true
				}
				pump(t, m, keys("j")...)
			}
			if !seenEscaped {
				t.Error("the hostile pieces never showed escaped: was the hostile data set used?")
			}
			moveTo(t, m, func(r store.Row) bool { return r.CheckID == id })
			check("decision with a hostile note")
			mustContain(t, plain(m), "mallory^[]52;c;", "<U+202E>DEVORPPA")
			moveTo(t, m, func(r store.Row) bool { return r.CheckID == errID })
			check("hostile fetch error")
			for _, k := range []string{"enter", "esc", "?", "esc", "x", "esc", "/", "esc", "c", "esc", "6", "2"} {
				pump(t, m, keys(k)...)
				check("after " + k)
			}
			pump(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
			for range 20 {
				pump(t, m, keys("j")...)
				check("narrow")
			}
			if frames < 200 {
				t.Fatalf("only %d frames checked", frames)
			}
		})
	}
}

func TestColoursAreEmittedWhenTheTerminalHasThem(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	for _, tc := range []struct {
		profile colorprofile.Profile
		want    bool
	}{
		{colorprofile.NoTTY, false},
		{colorprofile.ANSI, true},
		{colorprofile.ANSI256, true},
		{colorprofile.TrueColor, true},
	} {
		t.Run(tc.profile.String(), func(t *testing.T) {
			m := newTestModel(t, f.config(), 120, 40)
			frame := rendered(t, m, tc.profile)
			colours := regexp.MustCompile("\x1b\\[[0-9;]*3[0-9](;[0-9]+)*m|\x1b\\[[0-9;]*9[0-7]m").FindAllString(frame, -1)
			if got := len(colours) > 0; got != tc.want {
				t.Fatalf("colour sequences found: %v (%d), want %v", got, len(colours), tc.want)
			}
			// Whatever the profile, the words and symbols are there.
			mustContain(t, sgr.ReplaceAllString(frame, ""), "✗ low", "✓ high", "▶ ")
		})
	}
}

// The colour profile is the program's: serve runs one program per SSH
// session with the profile of that reviewer's terminal, whatever the
// server's own. NO_COLOR takes bold and reverse video away as well.
func TestTheProgramsColourProfileDecidesTheColours(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	for _, tc := range []struct {
		name    string
		profile colorprofile.Profile
		want    *regexp.Regexp // a sequence that must be in the output
		never   *regexp.Regexp // one that must not
	}{
		{"a 256-colour terminal", ColorProfile(nil, []string{"TTY_FORCE=1", "TERM=xterm-256color"}),
			regexp.MustCompile("\x1b\\[[0-9;]*9[0-7]m"), nil},
		{"a 16-colour terminal", ColorProfile(nil, []string{"TTY_FORCE=1", "TERM=xterm"}),
			regexp.MustCompile("\x1b\\[[0-9;]*9[0-7]m"), regexp.MustCompile("\x1b\\[[0-9;]*38;5;")},
		{"a terminal with NO_COLOR", ColorProfile(nil, []string{"TTY_FORCE=1", "TERM=xterm-256color", "NO_COLOR=1"}),
			nil, regexp.MustCompile("\x1b\\[[0-9;]*[1-9][0-9;]*m")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(f.config())
			m.animate = false
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
				teatest.WithProgramOptions(m.Options(tc.profile)...))
			var out []byte
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
				out = append(out, b...)
				return strings.Contains(ansi.Strip(string(out)), "✓ high")
			}, teatest.WithDuration(5*time.Second))
			if tc.want != nil && !tc.want.Match(out) {
				t.Errorf("no %v in the output:\n%q", tc.want, out)
			}
			if tc.never != nil && tc.never.Match(out) {
				t.Errorf("%q in the output", tc.never.Find(out))
			}
			tm.Quit()
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		})
	}
}
