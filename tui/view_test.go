package tui

import (
	"context"
	"image/color"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// A key that reads (a cursor move reads the next check's record) is drawn
// once, with what it read, rather than first without it and then again:
// each frame costs bytes on a slow link. A read slower than readWait shows
// what there is.
func TestTheScreenKeepsItsFrameWhileAKeysReadsAreAnswered(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	before := m.View().Content
	d := &driver{tb: t, m: m}
	// G: the bottom check, which nothing has read ahead.
	d.send(keyMsg("G"))
	d.step() // the key, not yet its read's answer
	if !m.reading() {
		t.Fatal("G started no read")
	}
	if got := m.View().Content; got != before {
		t.Fatal("the frame changed before the key's read was answered")
	}
	d.settle()
	after := m.View().Content
	if after == before {
		t.Fatal("the frame did not change once the read was answered")
	}
	// A slow read: after readWait the frame shows what there is.
	d.send(keyMsg("g"))
	d.step()
	m.held.since = time.Now().Add(-readWait)
	if got := m.View().Content; got == after {
		t.Fatal("a read slower than readWait kept the old frame")
	}
}

// The palette follows the terminal's background, asked at start: nothing
// is drawn before the answer, so the first frame is in the right colours;
// a terminal that never answers gets the dark palette after
// backgroundWait; a late answer still counts.
func TestTheFirstFrameWaitsForTheTerminalsBackground(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	light := regexp.MustCompile(`\x1b\[[0-9;]*;34m|\x1b\[34m`) // blue: the accent on a light background
	dark := regexp.MustCompile(`\x1b\[[0-9;]*;94m|\x1b\[94m`)  // bright blue: on a dark one
	white := tea.BackgroundColorMsg{Color: color.White}
	black := tea.BackgroundColorMsg{Color: color.Black}
	for _, tc := range []struct {
		name   string
		answer []any
		want   *regexp.Regexp
	}{
		{"a light terminal", []any{white}, light},
		{"a dark terminal", []any{black}, dark},
		{"no answer within backgroundWait", []any{backgroundTimeoutMsg{}}, dark},
		{"an answer after the wait", []any{backgroundTimeoutMsg{}, white}, light},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config()
			cfg.HasDarkBackground = nil
			m := New(cfg)
			m.animate = false
			if m.askBackground() == nil {
				t.Fatal("the console does not ask the terminal for its background")
			}
			// Everything Init reads, but not the wait for the answer.
			pump(t, m, m.readCounts(), tea.WindowSizeMsg{Width: 120, Height: 40})
			if got := m.View().Content; got != "" {
				t.Fatalf("drawn before the terminal's background was known:\n%s", got)
			}
			pump(t, m, tc.answer...)
			frame := m.View().Content
			other := light
			if tc.want == light {
				other = dark
			}
			if !tc.want.MatchString(frame) || other.MatchString(frame) {
				t.Fatalf("want %v and not %v in the frame:\n%q", tc.want, other, frame)
			}
			mustContain(t, ansi.Strip(frame), "▶ ")
		})
	}
}

// In a real program, a terminal that never answers the query gets a
// screen within backgroundWait and the first page's read, not after
// Bubble Tea's own 5-second wait or never.
func TestATerminalThatNeverAnswersGetsAScreenAtOnce(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	cfg := f.config()
	cfg.HasDarkBackground = nil
	m := New(cfg)
	m.animate = false
	start := time.Now()
	tm, w := startProgram(t, m, 120, 40) // its input never answers
	w.waitFor(t, "▶ ")
	if took := time.Since(start); took > backgroundWait+time.Second {
		t.Fatalf("the first frame took %s", took)
	}
	tm.Quit()
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// Bubble Tea v2 writes the cells that changed, and a colour change costs
// bytes each time a line is written: the split view changes colour only
// where what it shows does. The space after the rule takes the rule's
// colour (the pane's labels have it too), and a reason's symbol, the
// space after it and its head are one run.
func TestTheSplitViewChangesColourOnlyWhereTheTextDoes(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keyMsg("j"))
	frame := m.View().Content
	if !strings.Contains(frame, "Reasons (") {
		t.Fatal("the selected check shows no reasons: the fixture changed")
	}
	for _, bad := range []struct{ name, pattern string }{
		{"a reset between the rule and the space after it", `│\x1b\[m `},
		{"a reset between a reason's symbol and its head", `[✗!·]\x1b\[m \x1b\[`},
	} {
		if loc := regexp.MustCompile(bad.pattern).FindStringIndex(frame); loc != nil {
			t.Errorf("%s: %q", bad.name, frame[max(loc[0]-40, 0):min(loc[1]+40, len(frame))])
		}
	}
}

// The checks beside the selected one are read ahead once it is on screen,
// so a cursor move draws its check at once, whole, with no read to wait
// for; a change to the store drops what was read ahead, and the next move
// reads its check again.
func TestACursorMoveDrawsACheckReadAheadAtOnce(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	d := &driver{tb: t, m: m}
	d.send(keyMsg("j"))
	d.step()
	if m.reading() {
		t.Fatal("j waits for a read: the next check was not read ahead")
	}
	row, _ := m.list.selected()
	if m.detail.checkID != row.CheckID || m.detail.rec == nil || m.detail.rec.Result == nil {
		t.Fatalf("after j the pane holds %q (record %v), want the whole record of %q", m.detail.checkID, m.detail.rec != nil, row.CheckID)
	}
	d.settle()

	d.send(StoreChanged{})
	d.settle()
	if len(m.near.recs) == 0 {
		t.Fatal("nothing was read ahead again after the change")
	}
	gen := m.near.gen
	d.send(StoreChanged{})
	d.step()
	if m.near.gen == gen || len(m.near.recs) != 0 {
		t.Fatal("a change to the store kept the records read ahead before it")
	}
	d.send(keyMsg("j"))
	d.step()
	if !m.reading() {
		t.Fatal("after a change, j drew a record read before it")
	}
}

// recordReads is the real store, counting the records read of each check.
type recordReads struct {
	*store.Store
	mu   sync.Mutex
	read map[string]int
}

func (r *recordReads) Get(ctx context.Context, id string) (*store.Record, error) {
	r.mu.Lock()
	r.read[id]++
	r.mu.Unlock()
	return r.Store.Get(ctx, id)
}

func (r *recordReads) of(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.read[id]
}

// A filter keystroke that leaves the same check on top draws it from the
// record already on screen: typing a name, the next letter usually
// changes the list but not its first check, and reading that check again
// was a tenth of the keystroke's time at 100,000 checks. The record is
// still read when the store changes.
func TestAFilterKeystrokeKeepingTheTopCheckDoesNotReadItAgain(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	reads := &recordReads{Store: f.st, read: map[string]int{}}
	cfg := f.config()
	cfg.Store = reads
	m := newTestModel(t, cfg, 120, 40)
	pump(t, m, keys("7", "/")...)
	pump(t, m, typeText("smi")...)
	top := selectedID(t, m)
	if !strings.Contains(plain(m), "SMITH") {
		t.Fatalf("the fixture has no Smith for the filter to find:\n%s", plain(m))
	}
	before := reads.of(top)
	pump(t, m, typeText("t")...)
	if got := selectedID(t, m); got != top {
		t.Fatalf("after \"smit\" the top check is %s, after \"smi\" it was %s: the fixture does not keep it", got, top)
	}
	if n := reads.of(top) - before; n != 0 {
		t.Errorf("the check on top, already on screen, was read %d more times for the keystroke", n)
	}
	if m.detail.checkID != top || m.detail.rec == nil || m.detail.rec.Result == nil {
		t.Errorf("the pane shows %q (record %v), want the whole record of %q", m.detail.checkID, m.detail.rec != nil, top)
	}

	before = reads.of(top)
	pump(t, m, StoreChanged{})
	pump(t, m, typeText("h")...)
	if n := reads.of(top) - before; n == 0 {
		t.Error("after a change to the store the check on top was never read again")
	}
}

// A page the store cannot read (its PostgreSQL server gone, here the
// store closed) is said once as what failed, and read again only when the
// retry tick comes: a failed read once left the window uncovered, and the
// next update read it again at once, for ever.
func TestAPageTheStoreCannotReadIsSaidOnceAndTriedAgainOnlyLater(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 3, track: 3, fetch: true})
	var timed []tea.Msg
	m := newTestModel(t, f.config(), 120, 30)
	m.timerHook = func(_ time.Duration, msg tea.Msg) tea.Cmd {
		timed = append(timed, msg)
		return nil
	}
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	d := &driver{tb: t, m: m}
	reads := 0
	for _, it := range keys("7") {
		d.send(it)
	}
	for steps := 0; d.step() || len(d.queue) > 0; steps++ {
		if steps > 1000 {
			t.Fatal("the console kept reading the page it could not read")
		}
	}
	for _, msg := range timed {
		if _, ok := msg.(pageRetryMsg); ok {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("%d retries waiting after the failed read, want one", reads)
	}
	// The tick reads the page again: once, and then waits again.
	var last tea.Msg
	for _, msg := range timed {
		if _, ok := msg.(pageRetryMsg); ok {
			last = msg
		}
	}
	d.send(last)
	d.settle()
	retries := 0
	for _, msg := range timed {
		if _, ok := msg.(pageRetryMsg); ok {
			retries++
		}
	}
	if retries != 2 {
		t.Errorf("%d retries after the tick's read failed too, want two", retries)
	}
	screen := plain(m)
	if n := strings.Count(screen, "reading the all queue"); n != 1 {
		t.Errorf("the error names the queue %d times, want once:\n%s", n, screen)
	}
}

// A store that stops answering (its PostgreSQL server gone) is said in the
// header, with since when, until it answers again: a reviewer must not
// take what is on screen for current (it said nothing until a key failed).
func TestTheHeaderSaysWhileTheDatabaseIsUnreachable(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 3, track: 3, fetch: true})
	m := newTestModel(t, f.config(), 120, 30)
	pump(t, m, StoreUnreachable{})
	want := "✗ database unreachable since " + testNow.Local().Format("15:04") + ": screen may be out of date"
	if header := strings.SplitN(plain(m), "\n", 2)[0]; !strings.Contains(header, want) {
		t.Errorf("header while the store is unreachable: %q, want it to say %q", header, want)
	}
	pump(t, m, StoreReachable{})
	if strings.Contains(plain(m), "unreachable") {
		t.Errorf("the header still says unreachable once the store answers:\n%s", plain(m))
	}
}

// A purge drops a check's personal data, not its decision: a decided
// check keeps its decision's word in the list (helper-57 saw an approved
// check shown as deleted), an open one says purged, and deleted stays
// Caisson's word, for a check it deleted.
func TestAPurgedCheckKeepsItsDecisionsWordAndDeletedIsCaissons(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10, track: 3, fetch: true})
	ctx := context.Background()
	ids := f.sb.CheckIDs(3)
	if _, err := f.st.Decide(ctx, ids[0], store.Reject, "the photo is not the person", "tester"); err != nil {
		t.Fatal(err)
	}
	if n, err := f.st.Purge(ctx, time.Hour, fixedClock().Add(48*time.Hour)); err != nil || n != 3 {
		t.Fatalf("Purge: %d, %v", n, err)
	}
	deleted := trackErrorChecks(t, f, "IDCHECK_DELETED")[0]
	if err := f.st.RecordFetch(ctx, deleted, nil, &caisson.APIError{Code: caisson.CodeIDCheckDeleted}, fixedClock()); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7")...)
	screen := plain(m)
	for id, word := range map[string]string{ids[0]: "rejected", ids[1]: "purged", ids[2]: "purged", deleted: "deleted"} {
		row := ""
		for _, l := range strings.Split(screen, "\n") {
			if strings.Contains(l, caisson.ShortID(id, 8)) {
				row = l
			}
		}
		if !strings.Contains(row, " "+word+" ") {
			t.Errorf("%s's row %q lacks %q", id, row, word)
		}
	}
	// The detail says which.
	for id, says := range map[string]string{ids[1]: "Personal data purged", deleted: "Personal data deleted: Caisson reported the"} {
		pump(t, m, keys("g")...)
		for i := 0; i < 10 && selectedID(t, m) != id; i++ {
			pump(t, m, keys("j")...)
		}
		if got := selectedID(t, m); got != id {
			t.Fatalf("the cursor did not reach %s (on %s)", id, got)
		}
		mustContain(t, plain(m), says)
	}
}
