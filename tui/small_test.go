package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// A window below 80x24 shows one sentence instead of the list: keys
// that would act on what is not on screen (a, y and enter approving a
// risky check) do nothing, and q still quits.
func TestKeysInAWindowTooSmallDoNothingButQuit(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	for _, tc := range []struct {
		name string
		keys []string
	}{
		{"approving a risky check with its confirmation", []string{"a", "y", "enter"}},
		{"rejecting with a note", []string{"x", "n", "o", "enter"}},
		{"opening the add dialog", []string{"A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestModel(t, f.config(), 80, 24)
			id := selectedID(t, m)
			pump(t, m, tea.WindowSizeMsg{Width: 70, Height: 20})
			mustContain(t, plain(m), "window too small")
			pump(t, m, keys(tc.keys...)...)
			if rec := record(t, f.st, id); len(rec.Decisions) != 0 {
				t.Fatalf("a key typed on the too-small screen stored %+v", rec.Decisions)
			}
			pump(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
			if m.mode != modeList {
				t.Fatalf("a key typed on the too-small screen opened mode %d", m.mode)
			}
			pump(t, m, tea.WindowSizeMsg{Width: 70, Height: 20})
			pump(t, m, keys("q")...)
			if !m.quitting {
				t.Fatal("q on the too-small screen did not quit")
			}
		})
	}
}

// Before the console knows its window's size nothing is on screen (an
// SSH client without a terminal of its own reports 0x0): keys wait for
// the size, then act in order.
func TestKeysTypedBeforeTheWindowSizeWaitForIt(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := New(f.config())
	m.animate = false
	pump(t, m, m.Init())
	id := selectedID(t, m)
	pump(t, m, keys("a", "y", "enter")...)
	if rec := record(t, f.st, id); len(rec.Decisions) != 0 {
		t.Fatalf("keys typed with nothing on screen stored %+v", rec.Decisions)
	}
	pump(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if rec := record(t, f.st, id); len(rec.Decisions) != 1 {
		t.Fatalf("the keys typed before the size did not act once it came: %+v", rec.Decisions)
	}
}
