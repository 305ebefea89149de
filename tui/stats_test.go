package tui

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// movingClock is a settable clock for the writes that build a history.
type movingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movingClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *movingClock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *movingClock) add(d time.Duration) { c.set(c.now().Add(d)) }

// hostileReviewer is a display name carrying an escape sequence, as a
// careless or malicious CAISSON_REVIEWER could: the stats view shows
// reviewers' names, which must reach the terminal defused.
const hostileReviewer = "mal\x1b[2Jlory"

// statsFixture is the fixture's store with two weeks of a team's work
// behind it, written through a second handle on the file whose clock
// moves: 24 checks fetched a few hours apart over ten days, most decided
// a while later by ana, bob or the hostile name, and a 24-hour SLA. The
// console's own store keeps the fixed clock, testNow.
func statsFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, fixtureOpts{checks: 40})
	ctx := context.Background()
	c := &movingClock{t: testNow.Add(-10 * 24 * time.Hour)}
	w, err := store.Open(ctx, f.path, store.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ids := f.sb.CheckIDs(24)
	if _, err := w.AddMany(ctx, ids, "tester", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	results := map[string]caisson.Result{}
	if err := f.api.FetchMany(ctx, ids, 8, func(r caisson.Result) { results[r.CheckID] = r }); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		r := results[id]
		c.add(9 * time.Hour)
		if err := w.RecordFetch(ctx, id, r.Check, r.Err, c.now()); err != nil {
			t.Fatal(err)
		}
	}
	c.set(testNow.Add(-9 * 24 * time.Hour))
	if _, err := w.SetSLA(ctx, store.SLAChange{SLA: 24 * time.Hour, Note: "contract", Reviewer: "lead"}); err != nil {
		t.Fatal(err)
	}
	reviewers := []string{"ana", "bob", hostileReviewer}
	actions := []store.DecisionRequest{
		{Action: store.Approve}, {Action: store.Reject, Reason: store.ReasonFaceMismatch, Note: "other person"},
		{Action: store.Escalate, Reason: store.ReasonNeedsSeniorReview, Note: "ask"}, {Action: store.Approve},
	}
	for i, id := range ids[:18] {
		c.set(testNow.Add(-9*24*time.Hour + time.Duration(i)*11*time.Hour))
		r := actions[i%len(actions)]
		r.CheckID, r.Reviewer = id, reviewers[i%len(reviewers)]
		if _, err := w.DecideAs(ctx, r); err != nil {
			t.Fatalf("deciding %s: %v", id, err)
		}
	}
	return f
}

func TestStatsViewOpensOnItsKeyReadsInACommandAndGoesBack(t *testing.T) {
	f := statsFixture(t)
	m := newTestModel(t, f.config(), 120, 40)
	// The key alone: the figures are not read in Update, and the view says
	// so until their command's answer arrives.
	cmd := m.handleKey(keyMsg("t"))
	if cmd == nil || m.mode != modeStats {
		t.Fatalf("t: mode %d, command %v; expected the stats view and a read", m.mode, cmd)
	}
	mustContain(t, plain(m), "Team stats", "reading the figures…")
	// Keys act while it reads: j scrolls (nothing yet), ? shows the help.
	pump(t, m, keyMsg("?"))
	mustContain(t, plain(m), "team stats")
	pump(t, m, keyMsg("esc"))
	if m.mode != modeStats {
		t.Fatalf("esc from the help went to mode %d, expected the stats view", m.mode)
	}
	pump(t, m, cmd)
	screen := plain(m)
	mustContain(t, screen, "Queues now", "! overdue", "(SLA 24h)", "Decisions per reviewer per day", "ana", "bob")
	if strings.Contains(m.frame(), "\x1b[2J") {
		t.Error("a reviewer's name reached the terminal with its escape sequence")
	}
	mustContain(t, screen, "mal", "lory")
	pump(t, m, keyMsg("G"))
	mustContain(t, plain(m), "Outcome by confidence")
	pump(t, m, keyMsg("esc"))
	if m.mode != modeList {
		t.Errorf("esc on the stats view: mode %d, expected the list", m.mode)
	}
	mustContain(t, plain(m), "Needs review")
}

func TestStatsKeyIsBindable(t *testing.T) {
	f := statsFixture(t)
	cfg := f.config()
	cfg.Keys = map[string][]string{"stats": {"f2"}}
	if err := CheckBindings(cfg.Keys); err != nil {
		t.Fatalf("binding stats to f2: %v", err)
	}
	m := newTestModel(t, cfg, 120, 40)
	pump(t, m, keyMsg("t"))
	if m.mode == modeStats {
		t.Error("t still opens the stats view once stats is bound to f2")
	}
	pump(t, m, tea.KeyPressMsg(tea.Key{Code: tea.KeyF2}))
	if m.mode != modeStats {
		t.Errorf("f2 did not open the stats view")
	}
}

func TestOverdueChecksAreMarkedWithAWordAndAGlyph(t *testing.T) {
	f := statsFixture(t)
	m := newTestModel(t, f.config(), 120, 40)
	counts, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := counts[store.CountOverdue]
	if n == 0 {
		t.Fatal("the fixture has no overdue check")
	}
	screen := plain(m)
	mustContain(t, screen, "! "+strconv.Itoa(n)+" overdue", "overdue ", "WAIT")
	rows, err := f.st.Page(context.Background(), store.PageQuery{Queue: store.QueueNeedsReview, Limit: 1})
	if err != nil || len(rows) == 0 {
		t.Fatal(err)
	}
	if !rows[0].Overdue(testNow, 24*time.Hour) {
		t.Fatalf("the first check needing review is not overdue")
	}
	// The selected row (reverse video, plain words) and the detail say it
	// too, and so does the screen without colour.
	mustContain(t, screen, "▶ ", "! OVERDUE", "past the 24h SLA by")
	for _, line := range strings.Split(screen, "\n") {
		if strings.HasPrefix(line, "▶ ") && (!strings.Contains(line, "overdue") || !strings.Contains(line, "!")) {
			t.Errorf("the selected overdue row lacks the word or the glyph: %q", line)
		}
	}
}

// The stats view's golden files, at the two sizes, without colour (ASCII
// bars, as NO_COLOR gives) and with it (block characters; the colours
// themselves are stripped from the file). Update with:
// go test ./tui -run TestGoldenStats -update
func TestGoldenStats(t *testing.T) {
	f := statsFixture(t)
	for _, tc := range []struct {
		name    string
		w, h    int
		profile colorprofile.Profile
	}{
		{"stats_80x24_no_colour", 80, 24, colorprofile.NoTTY},
		{"stats_80x24_colour", 80, 24, colorprofile.ANSI},
		{"stats_120x40_no_colour", 120, 40, colorprofile.NoTTY},
		{"stats_120x40_colour", 120, 40, colorprofile.ANSI},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(f.config())
			m.animate = false
			seen := &watched{Model: m}
			opts := m.Options(tc.profile)
			tm := teatest.NewTestModel(t, seen, teatest.WithInitialTermSize(tc.w, tc.h), teatest.WithProgramOptions(opts...))
			seen.waitFor(t, "▶ ")
			waitQuiet(t, tm)
			tm.Send(keyMsg("t"))
			seen.waitFor(t, "Queues now")
			waitQuiet(t, tm)
			frame := seen.frame()
			if dir := os.Getenv("CAISSON_STATS_SCREENSHOT"); dir != "" && tc.profile == colorprofile.ANSI {
				// docs/screenshot.sh turns this into the README's picture.
				seen.mu.Lock()
				shot := rendered16(t, seen.raw)
				seen.mu.Unlock()
				if err := os.WriteFile(filepath.Join(dir, tc.name+".ansi"), []byte(shot), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
			blocks := strings.ContainsAny(frame, "█▁▂▃▄▅▆▇░▓")
			if blocks != (tc.profile == colorprofile.ANSI) {
				t.Errorf("block characters drawn: %v, with profile %v", blocks, tc.profile)
			}
			teatest.RequireEqualOutput(t, []byte(frame))
		})
	}
}

// rendered16 is a frame as a 16-colour terminal gets it.
func rendered16(tb testing.TB, frame string) string {
	tb.Helper()
	var out strings.Builder
	w := &colorprofile.Writer{Forward: &out, Profile: colorprofile.ANSI}
	if _, err := w.WriteString(frame); err != nil {
		tb.Fatal(err)
	}
	return out.String()
}
