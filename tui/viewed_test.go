package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/caisson-review/caisson-review/store"
)

// timers catches the console's dwell timers instead of running them, so a
// test says when a second has passed.
type timers struct{ pending []viewedMsg }

func (ts *timers) after(d time.Duration, msg tea.Msg) tea.Cmd {
	// The look at the recorder's write after a record (accessLookMsg) is
	// not a dwell: the tests that want it run a real clock.
	if v, ok := msg.(viewedMsg); ok {
		ts.pending = append(ts.pending, v)
	}
	return nil
}

func accesses(t *testing.T, st *store.Store) []store.Access {
	t.Helper()
	var out []store.Access
	if err := st.Accesses(context.Background(), store.AccessQuery{}, func(a store.Access) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// The detail beside the list records the check it shows once a second has
// passed on it: a cursor flying past records nothing; the record is the
// console's, as the OS account, written when the console ends. Support
// staff in read-only mode are recorded the same way.
func TestTheDetailRecordsAnAccessOnlyOnceShownForASecond(t *testing.T) {
	for _, readOnly := range []bool{false, true} {
		t.Run(map[bool]string{false: "reviewer", true: "read-only"}[readOnly], func(t *testing.T) {
			f := newFixture(t, fixtureOpts{checks: 10, track: 10, fetch: true})
			cfg := f.config()
			cfg.ReadOnly = readOnly
			m, ts := timedModel(t, cfg, 120, 40)
			pump(t, m, keys("j", "j", "j")...)
			held := selectedID(t, m)
			if len(ts.pending) < 4 {
				t.Fatalf("%d timers for four checks shown", len(ts.pending))
			}
			// The timers of the checks passed over end after the cursor
			// left.
			for _, msg := range ts.pending[:len(ts.pending)-1] {
				pump(t, m, msg)
			}
			last := ts.pending[len(ts.pending)-1]
			pump(t, m, last)
			// Held: it reports again later; the recorder keeps one per 10
			// minutes.
			pump(t, m, last)
			if err := m.Wait(); err != nil {
				t.Fatal(err)
			}
			got := accesses(t, f.st)
			me, _ := f.st.Identity()
			if len(got) != 1 || got[0].CheckID != held || got[0].What != store.AccessDetail || got[0].Origin != store.OriginConsole ||
				got[0].Identity != me.String() || got[0].Reviewer != "alice" {
				t.Fatalf("access log %+v, want one detail record of %s by alice as %s from the console", got, held, me)
			}
		})
	}
}

// At 80x24 the list shows names only: nothing is recorded until enter
// opens the detail, and help over it hides it.
func TestANarrowListRecordsNothingUntilTheDetailIsOpened(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10, track: 10, fetch: true})
	m, ts := timedModel(t, f.config(), 80, 24)
	pump(t, m, keys("j", "j")...)
	if len(ts.pending) != 0 {
		t.Fatalf("the list alone started %d timers", len(ts.pending))
	}
	pump(t, m, keys("enter", "?")...)
	if len(ts.pending) != 1 {
		t.Fatalf("%d timers after opening the detail, want 1", len(ts.pending))
	}
	pump(t, m, ts.pending[0]) // ends while the help hides the detail
	if err := m.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := accesses(t, f.st); len(got) != 0 {
		t.Fatalf("recorded %+v while the detail was hidden", got)
	}
}

// A check never fetched shows no personal data: its detail, however long
// held, records nothing.
func TestTheDetailOfACheckNeverFetchedRecordsNothing(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10, track: 10})
	m, ts := timedModel(t, f.config(), 120, 40)
	pump(t, m, keys("7")...)
	pump(t, m, keys("j")...)
	for _, msg := range ts.pending {
		pump(t, m, msg)
	}
	if err := m.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := accesses(t, f.st); len(got) != 0 {
		t.Fatalf("recorded %+v for checks with no personal data", got)
	}
}

// In a real program, on the real clock: the detail held a second is
// recorded, and quitting writes it before the program ends.
func TestARealConsoleWritesItsAccessRecordsWhenItQuits(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the real dwell")
	}
	f := newFixture(t, fixtureOpts{checks: 5, track: 5, fetch: true})
	m := New(f.config())
	m.animate = false
	m.timerHook = func(d time.Duration, msg tea.Msg) tea.Cmd {
		return tea.Tick(d, func(time.Time) tea.Msg { return msg })
	}
	tm, w := startProgram(t, m, 120, 40)
	id := w.selected(t)
	time.Sleep(viewDwell + 300*time.Millisecond)
	tm.Send(keyMsg("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	// Written by the quit itself, before the program ended: not by Wait.
	got := accesses(t, f.st)
	if len(got) != 1 || got[0].CheckID[9:17] != id[:8] {
		t.Fatalf("access log %+v, want the detail of %s", got, id)
	}
	if err := m.Wait(); err != nil {
		t.Fatal(err)
	}
}

// An access record the store refuses as the console quits is reported
// once: the quit's own write reported it, and Wait closed the log again,
// writing and failing a second time, so the error was printed twice
// (helper-57).
func TestAnAccessRecordNotWrittenAtQuitIsReportedOnce(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 5, track: 5, fetch: true})
	m, ts := timedModel(t, f.config(), 120, 40)
	// The store closed first: the record the dwell makes is then never
	// written, by the recorder's background write (which, closed after,
	// could win the race to the store under -race and leave nothing to
	// fail at quit) or by the quit's.
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	pump(t, m, ts.pending[len(ts.pending)-1])
	pump(t, m, keys("q")...)
	err := m.Wait()
	if err == nil {
		t.Fatal("the access record was written to a closed store")
	}
	if n := strings.Count(err.Error(), "writing the access log"); n != 1 {
		t.Errorf("the failure is said %d times: %v", n, err)
	}
	mustContain(t, err.Error(), "recording 1 access to personal data")
}

// timedModel is a console of w x h whose timers (the access log's dwell)
// are held in ts, for the test to fire.
func timedModel(t *testing.T, cfg Config, w, h int) (*Model, *timers) {
	t.Helper()
	ts := &timers{}
	m := New(cfg)
	m.animate, m.timerHook = false, ts.after
	pump(t, m, m.Init(), tea.WindowSizeMsg{Width: w, Height: h})
	return m, ts
}

// A record the recorder fails to write in the background is said in the
// footer at once, not at the console's next record of a view, which for a
// check held on screen comes ten minutes later (helper-66 stopped
// PostgreSQL with a detail on screen: the footer stayed "ready").
func TestAnAccessRecordNotWrittenInTheBackgroundIsSaidAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the real dwell")
	}
	f := newFixture(t, fixtureOpts{checks: 5, track: 5, fetch: true})
	if _, err := rawDB(t, f.path).Exec(`CREATE TRIGGER refuse BEFORE INSERT ON access
		BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END`); err != nil {
		t.Fatal(err)
	}
	m := New(f.config())
	m.animate = false
	m.timerHook = func(d time.Duration, msg tea.Msg) tea.Cmd {
		return tea.Tick(d, func(time.Time) tea.Msg { return msg })
	}
	tm, w := startProgram(t, m, 120, 40)
	w.selected(t)
	w.waitFor(t, "this view of personal data was not logged: ")
	w.waitFor(t, "disk full (simul")
	tm.Send(keyMsg("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if err := m.Wait(); err == nil || !strings.Contains(err.Error(), "disk full (simulated)") {
		t.Fatalf("Wait: %v, want the record still not written at quit", err)
	}
}
