package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/caisson-review/caisson-review/store"
)

// A configuration's [keys] replace an action's keys: the new ones act, the
// old ones no longer do, and the footer and the help show the keys exactly
// as they were written.
func TestRemappedKeysActAndShowInTheFooterAndHelpAsBound(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	cfg := f.config()
	cfg.Keys = map[string][]string{
		"approve": {"y"},
		"reject":  {"z", "ctrl+x"},
		"help":    {"h", "f1"},
		"back":    {"esc", "B"},
		"down":    {"n", "down"},
		"up":      {"p"},
	}
	m := New(cfg)
	m.animate = false
	tm, w := startProgram(t, m, 120, 40)
	w.waitFor(t, "▶ ")
	waitQuiet(t, tm)
	mustContain(t, w.frame(), "h/f1 help", "y approve", "z/ctrl+x reject")
	mustNotContain(t, w.frame(), "? help", "• a approve", "• x reject")

	// The old help key does nothing; the new one opens the help.
	tm.Send(keyMsg("?"))
	waitQuiet(t, tm)
	mustNotContain(t, w.frame(), "closes")
	tm.Send(keyMsg("h"))
	w.waitFor(t, "esc or h closes")
	help := w.frame()
	mustContain(t, help, "h/f1", "y", "approve", "z/ctrl+x", "reject", "n/down", "esc/B")
	for _, old := range []string{"↑/k", "↓/j"} {
		mustNotContain(t, help, old)
	}
	tm.Send(keyMsg("B"))
	waitQuiet(t, tm)
	mustNotContain(t, w.frame(), "closes")

	// Moving and approving with the new keys; a no longer approves.
	first := w.selected(t)
	tm.Send(keyMsg("n"))
	waitQuiet(t, tm)
	if w.selected(t) == first {
		t.Errorf("n (bound to down) did not move the cursor from %s", first)
	}
	tm.Send(keyMsg("a"))
	waitQuiet(t, tm)
	mustNotContain(t, w.frame(), "anyway?", "optional note")
	tm.Send(keyMsg("y"))
	w.waitFor(t, "anyway?", "optional note")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// The detail's hints name the keys as bound: scrolling (full screen and
// the J/K line) and unmasking.
func TestHintsNameTheBoundKeys(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	cfg := f.config()
	cfg.Keys = map[string][]string{"down": {"n"}, "up": {"p"}, "scroll-down": {"ctrl+n"}, "scroll-up": {"ctrl+p"}, "mask": {"M"}, "back": {"b"}}
	cfg.Masked = true
	m := newTestModel(t, cfg, 80, 24)
	pump(t, m, keys("enter")...)
	screen := plain(m)
	mustContain(t, screen, "n/p scroll", "b back", "ctrl+n/ctrl+p scroll", "masked: M shows")
	mustNotContain(t, screen, "j/k", "J/K", "masked: m shows")
}

// The queue keys switch to the queue of their place in the list: the
// first key the first tab.
func TestRemappedQueueKeysSwitchByPosition(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	cfg := f.config()
	cfg.Keys = map[string][]string{"queue": {"f1", "f2", "f3", "f4", "f5", "f6", "f7"}}
	m := newTestModel(t, cfg, 120, 40)
	pump(t, m, keys("7")...)
	if m.tab != 0 {
		t.Fatalf("7 (no longer a queue key) switched to tab %d", m.tab)
	}
	pump(t, m, tea.KeyPressMsg{Code: tea.KeyF7})
	if got := store.Queues[m.tab]; got != store.QueueAll {
		t.Fatalf("f7 switched to %s, want all", got)
	}
}

// The console opens on the configured queue and sort, masked if asked.
func TestStartsOnTheConfiguredQueueSortAndMask(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	cfg := f.config()
	cfg.StartQueue, cfg.StartSort, cfg.Masked = store.QueueAll, store.SortName, true
	m := newTestModel(t, cfg, 120, 40)
	screen := plain(m)
	mustContain(t, screen, "[7 All", "sort: name")
	rows, err := f.st.Page(context.Background(), store.PageQuery{Queue: store.QueueAll, Sort: store.SortName, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := selectedID(t, m); got != rows[0].CheckID {
		t.Errorf("first row %s, the store's first by name %s", got, rows[0].CheckID)
	}
	// Needs review, whose first check has its personal data: masked.
	pump(t, m, keys("1")...)
	mustContain(t, plain(m), "sort: name", "born      •••", "address   •••")
}

// sgrColour is an SGR sequence setting anything (a colour, bold, reverse):
// the reset alone (ESC[m, ESC[0m) is not.
var sgrColour = regexp.MustCompile(`\x1b\[[0-9;]*[1-9][0-9;]*m`)

// Theme none draws no colour or attribute even on a truecolour terminal,
// as NO_COLOR does; the other themes do, and say the background without
// asking the terminal.
func TestThemeNoneDrawsNoColour(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	for _, tc := range []struct {
		theme  Theme
		colour bool
	}{
		{ThemeDark, true},
		{ThemeLight, true},
		{ThemeNone, false},
	} {
		t.Run(string(tc.theme), func(t *testing.T) {
			cfg := f.config()
			cfg.HasDarkBackground = nil // the theme alone says it
			cfg.Theme = tc.theme
			m := New(cfg)
			m.animate = false
			if !m.styled {
				t.Fatalf("theme %s still asks the terminal for its background", tc.theme)
			}
			if dark := m.ctx.styles.dark; dark != (tc.theme != ThemeLight) {
				t.Errorf("theme %s drew for a dark background: %v", tc.theme, dark)
			}
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
				teatest.WithProgramOptions(m.Options(colorprofile.TrueColor)...))
			var out strings.Builder
			buf := make([]byte, 64<<10)
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(out.String(), "Needs review") && time.Now().Before(deadline) {
				n, _ := tm.Output().Read(buf)
				out.Write(buf[:n])
				time.Sleep(10 * time.Millisecond)
			}
			waitQuiet(t, tm)
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
			if got := sgrColour.FindString(out.String()); (got != "") != tc.colour {
				t.Errorf("theme %s: colour sequence %q in the output; want colour %v", tc.theme, got, tc.colour)
			}
		})
	}
}

func TestCheckBindingsNamesEachProblem(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bound map[string][]string
		want  []string // each error's text, in order
	}{
		{"defaults are fine", nil, nil},
		{"a swap of two actions is fine", map[string][]string{"approve": {"x"}, "reject": {"a"}}, nil},
		{"an unknown action", map[string][]string{"aprove": {"y"}}, []string{"aprove: no such action"}},
		{"an action left without a key", map[string][]string{"approve": {}}, []string{`approve: is bound to no key: expected one or more, as approve = ["a"]`}},
		{"a key already held by a default", map[string][]string{"approve": {"x"}}, []string{`approve: key "x" is also bound to reject`}},
		{"a key bound to two actions in the file", map[string][]string{"approve": {"y"}, "reject": {"y"}}, []string{`reject: key "y" is also bound to approve`}},
		{"a key taken from an earlier action's default", map[string][]string{"quit": {"a"}}, []string{`quit: key "a" is also bound to approve`}},
		{"a misspelt modifier", map[string][]string{"approve": {"Ctrl+a"}}, []string{`approve: key "Ctrl+a": expected one character`}},
		{"modifiers out of order", map[string][]string{"approve": {"alt+ctrl+a"}}, []string{`approve: key "alt+ctrl+a"`}},
		{"shift with a character", map[string][]string{"approve": {"shift+a"}}, []string{`approve: key "shift+a"`}},
		// Eight tabs, Second review's included: its default is 1 to 8,
		// which was refused (helper-59).
		{"a key for every tab", map[string][]string{"queue": {"1", "2", "3", "4", "5", "6", "7", "8"}}, nil},
		{"more queue keys than queues", map[string][]string{"queue": {"1", "2", "3", "4", "5", "6", "7", "8", "9"}}, []string{"queue: 9 keys for 8 queues"}},
		// A terminal sends these as tab, enter and esc: never reached.
		{"ctrl+i is tab", map[string][]string{"reject": {"ctrl+i"}}, []string{`reject: key "ctrl+i": a terminal sends it as tab, so it would never reach reject`}},
		{"ctrl+m is enter", map[string][]string{"escalate": {"ctrl+m"}}, []string{`escalate: key "ctrl+m": a terminal sends it as enter`}},
		{"ctrl+[ is esc", map[string][]string{"reopen": {"ctrl+["}}, []string{`reopen: key "ctrl+[": a terminal sends it as esc`}},
		// The API key pasted into the wrong place is not repeated.
		{"a secret key as a key", map[string][]string{"approve": {"sk_live_abcdefghijklmnop"}}, []string{"approve: a key that looks like a secret API key (sk_…), refused and not repeated here"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := CheckBindings(tc.bound)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d: %q", errs, len(tc.want), tc.want)
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.Error(), tc.want[i]) {
					t.Errorf("error %d: %q, want it to start %q", i, e.Error(), tc.want[i])
				}
			}
		})
	}
}

func TestValidKeysMatchHowBubbleTeaNamesThem(t *testing.T) {
	for _, k := range []string{"a", "A", "?", "+", "enter", "space", "ctrl+a", "alt+x", "ctrl+alt+x", "shift+tab", "f12", "pgdown", "é"} {
		if !validKey(k) {
			t.Errorf("%q refused", k)
		}
	}
	for _, k := range []tea.Key{{Code: tea.KeyF12}, {Code: 'a', Mod: tea.ModCtrl | tea.ModAlt}, {Code: tea.KeyTab, Mod: tea.ModShift}, {Code: tea.KeySpace, Text: " "}} {
		if s := tea.KeyPressMsg(k).String(); !validKey(s) {
			t.Errorf("Bubble Tea names a key %q, which a binding cannot spell", s)
		}
	}
	for _, k := range []string{"", "ab", "Enter", "ctrl+", "shift+a", "f0", "f21", " ", "\x1b", "\u202e"} {
		if validKey(k) {
			t.Errorf("%q accepted", k)
		}
	}
}

// The mask key's help says what pressing it does now: it said "mask
// personal data" while the data was masked (helper-60).
func TestTheMaskKeysHelpSaysWhatItDoesNow(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	cfg := f.config()
	cfg.Masked = true
	m := newTestModel(t, cfg, 120, 40)
	pump(t, m, keys("?")...)
	mustContain(t, plain(m), "show birth date, address")
	pump(t, m, keys("esc", "m", "?")...)
	mustContain(t, plain(m), "mask birth date, address")
	mustNotContain(t, plain(m), "show birth date, address")
}
