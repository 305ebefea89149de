package tui

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
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
			tm, w := startProgram(t, m, tc.w, tc.h)
			if len(tc.keys) > 0 {
				// The first rows are on screen before the keys, as a
				// person would see them.
				w.waitFor(t, "▶ ")
				waitQuiet(t, tm)
			}
			for _, k := range tc.keys {
				tm.Send(keyMsg(k))
			}
			w.waitFor(t, tc.waitFor)
			waitQuiet(t, tm)
			frame := w.frame()
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
			teatest.RequireEqualOutput(t, []byte(frame))
		})
	}
}

// startProgram runs the console in a real Bubble Tea program of w x h,
// with the console's own program options and no colour (golden files are
// plain text), and watches the frames it draws.
func startProgram(t *testing.T, m *Model, w, h int, opts ...tea.ProgramOption) (*teatest.TestModel, *watched) {
	t.Helper()
	seen := &watched{Model: m}
	opts = append(m.Options(colorprofile.NoTTY), opts...)
	tm := teatest.NewTestModel(t, seen, teatest.WithInitialTermSize(w, h), teatest.WithProgramOptions(opts...))
	return tm, seen
}

// watched is the console with the last frame it drew kept aside: Bubble
// Tea v2 sends only the cells that changed, so the text of a frame is not
// in its output, but it is here.
type watched struct {
	*Model
	mu   sync.Mutex
	last string
}

func (w *watched) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := w.Model.Update(msg)
	return w, cmd
}

func (w *watched) View() tea.View {
	v := w.Model.View()
	w.mu.Lock()
	w.last = ansi.Strip(v.Content)
	w.mu.Unlock()
	return v
}

// frame is the last frame drawn, as a terminal without colour shows it.
func (w *watched) frame() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// waitFor waits until a frame holding any of the texts has been drawn.
func (w *watched) waitFor(t *testing.T, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		frame := w.frame()
		for _, s := range texts {
			if strings.Contains(frame, s) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 5s for %q; last frame:\n%s", texts, frame)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// selected waits for a frame with a selected row (its page read) and
// returns the row's short id.
func (w *watched) selected(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if id, ok := selectedIn(w.frame()); ok {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("no row selected after 5s:\n%s", w.frame())
		}
		time.Sleep(5 * time.Millisecond)
	}
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
