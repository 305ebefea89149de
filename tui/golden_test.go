package tui

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// The golden files are the final frame of a real Bubble Tea program
// driven by keys, at a fixed size and clock, without colour. Update them
// with: go test ./tui -run TestGolden -update
func TestGolden(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	for _, tc := range []struct {
		name     string
		w, h     int
		keys     []string
		waitFor  string
		readOnly bool
	}{
		{"list_80x24", 80, 24, nil, "enter shows the detail", false},
		{"detail_80x24", 80, 24, []string{"enter"}, "J/K scroll", false},
		{"confirm_80x24", 80, 24, []string{"a"}, "anyway?", false},
		{"help_80x24", 80, 24, []string{"?"}, "esc or ? closes", false},
		{"split_120x40", 120, 40, nil, "Caisson dashboard", false},
		{"all_tab_120x40", 120, 40, []string{"7", "j", "j"}, "3 of 60", false},
		{"read_only_120x40", 120, 40, []string{"?"}, "READ-ONLY session", true},
		{"too_small_60x20", 60, 20, nil, "window too small", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config()
			cfg.ReadOnly = tc.readOnly
			m := New(cfg)
			m.animate = false // no spinner frame or cursor blink in a golden file
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(tc.w, tc.h))
			if len(tc.keys) > 0 {
				// The first rows are on screen before the keys, as a
				// person would see them.
				waitFor(t, tm, "▶ ")
				waitQuiet(t, tm)
			}
			for _, k := range tc.keys {
				tm.Send(keyMsg(k))
			}
			waitFor(t, tm, tc.waitFor)
			waitQuiet(t, tm)
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
			teatest.RequireEqualOutput(t, []byte(final.View()))
		})
	}
}

// waitFor waits until the program has written any of the texts.
func waitFor(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(out []byte) bool {
		for _, s := range texts {
			if bytes.Contains(out, []byte(s)) {
				return true
			}
		}
		return false
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

// waitQuiet waits until the program has written nothing for a while: the
// reads the last key started have landed and the frame is final.
func waitQuiet(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	const quiet = 150 * time.Millisecond
	deadline := time.Now().Add(5 * time.Second)
	last := time.Now()
	buf := make([]byte, 4096)
	for time.Now().Before(deadline) {
		if n, _ := tm.Output().Read(buf); n > 0 {
			last = time.Now()
			continue
		}
		if time.Since(last) >= quiet {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the program never went quiet")
}

var _ tea.Model = (*Model)(nil)
