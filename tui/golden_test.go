package tui

import (
	"context"
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
		reviewer string // alice when ""
	}{
		{"list_80x24", 80, 24, nil, "enter shows the detail", false, ""},
		{"detail_80x24", 80, 24, []string{"enter"}, "J/K scroll", false, ""},
		{"confirm_80x24", 80, 24, []string{"a"}, "anyway?", false, ""},
		{"help_80x24", 80, 24, []string{"?"}, "esc or ? closes", false, ""},
		{"split_120x40", 120, 40, nil, "Caisson dashboard", false, ""},
		{"all_tab_120x40", 120, 40, []string{"7", "j", "j"}, "3 of 60", false, ""},
		{"read_only_120x40", 120, 40, []string{"?"}, "READ-ONLY session", true, ""},
		{"too_small_60x20", 60, 20, nil, "window too small", false, ""},
		// Over SSH the reviewer is named with the key's fingerprint: the
		// header cuts the fingerprint short, then the name, never READ-ONLY.
		{"read_only_header_80x24", 80, 24, nil, "enter shows the detail", true, sshReviewer},
		{"read_only_header_120x40", 120, 40, nil, "Caisson dashboard", true, sshReviewer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config()
			cfg.ReadOnly = tc.readOnly
			if tc.reviewer != "" {
				cfg.Reviewer = tc.reviewer
			}
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

// sshReviewer is how serve names a reviewer: the user, the key's
// fingerprint and its comment.
const sshReviewer = "sam (SHA256:Jc0m8W2mYbR6kq3yPzG3lq6x9L1HqZq3K8tR2sVd4eE, sam@support-laptop)"

// A confirmation's reasons are the question: the dialog wraps them, at
// every width, never cuts them. Here a check whose personal data was
// purged, so that every reason applies.
func TestGoldenDialogsWrapTheirText(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10, track: 10, fetch: true})
	if _, err := f.st.Purge(context.Background(), 0, testNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		w, h int
	}{
		{"confirm_80x24", 80, 24},
		{"confirm_120x40", 120, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(f.config())
			m.animate = false
			tm, w := startProgram(t, m, tc.w, tc.h)
			// Purged checks have no result: none needs review.
			w.waitFor(t, "no checks here")
			waitQuiet(t, tm)
			tm.Send(keyMsg("7"))
			w.waitFor(t, "▶ ")
			waitQuiet(t, tm)
			// The fourth has both confidences low: every reason at once.
			for _, k := range []string{"j", "j", "j", "a"} {
				tm.Send(keyMsg(k))
			}
			w.waitFor(t, "anyway?")
			waitQuiet(t, tm)
			frame := w.frame()
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
			mustContain(t, unboxed(frame), "document confidence is low; face confidence is low; its personal data was purged, so the document's expiry cannot be checked")
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
	raw  string // the last frame with its styles, for a screenshot
}

func (w *watched) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := w.Model.Update(msg)
	return w, cmd
}

func (w *watched) View() tea.View {
	v := w.Model.View()
	w.mu.Lock()
	w.last, w.raw = ansi.Strip(v.Content), v.Content
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
