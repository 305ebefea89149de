package tui

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

func TestHeaderShowsProgramReviewerAPIAndEveryQueueCount(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	counts, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{80, 160} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			m := newTestModel(t, f.config(), w, 30)
			head := strings.Join(strings.Split(plain(m), "\n")[:2], "\n")
			mustContain(t, head, "caisson-review", "reviewer alice", "API sandbox")
			for i, q := range store.Queues {
				name := tabNames[q][0]
				if w == 80 {
					name = tabNames[q][1]
				}
				mustContain(t, head, fmt.Sprintf("%d %s %d", i+1, name, counts[q]))
			}
			mustContain(t, head, fmt.Sprintf("[1 %s %d]", map[bool]string{true: "Review", false: "Needs review"}[w == 80], counts[store.QueueNeedsReview]))
		})
	}
}

func TestNeedsReviewComesFirstWithTheLowestConfidenceOnTop(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	if m.query().Queue != store.QueueNeedsReview {
		t.Fatalf("first tab is %s", m.query().Queue)
	}
	worst := func(r store.Row) caisson.Level { return min(r.Document, r.Face) }
	prev := caisson.Unknown
	for i, r := range m.list.rows {
		if worst(r) < prev {
			t.Fatalf("row %d has confidence %s after %s: not lowest first", i, worst(r), prev)
		}
		prev = worst(r)
	}
	mustContain(t, plain(m), "sort: risk (lowest confidence first)")
}

func TestTabsSwitchWithTabShiftTabAndNumbers(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	for _, tc := range []struct {
		key  string
		want store.Queue
	}{
		{"tab", store.QueuePending},
		{"tab", store.QueueEscalated},
		{"shift+tab", store.QueuePending},
		{"7", store.QueueAll},
		{"tab", store.QueueNeedsReview},
		{"shift+tab", store.QueueAll},
		{"6", store.QueueErrors},
		{"1", store.QueueNeedsReview},
	} {
		pump(t, m, keys(tc.key)...)
		if got := m.query().Queue; got != tc.want {
			t.Fatalf("after %s: queue %s, want %s", tc.key, got, tc.want)
		}
		n, _ := f.st.Count(context.Background(), store.PageQuery{Queue: tc.want})
		if m.list.total != n {
			t.Errorf("%s: list total %d, store count %d", tc.want, m.list.total, n)
		}
		mustContain(t, plain(m), tabNames[tc.want][0]+" ")
		// The header's tabs mark the active one with brackets.
		tabs := strings.Split(plain(m), "\n")[1]
		mustContain(t, tabs, fmt.Sprintf("[%d ", slices.Index(store.Queues, tc.want)+1))
	}
}

func TestCursorMovesWithVimKeysArrowsAndPages(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 200, track: 200, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("7")...)
	page := m.list.height - 1
	for _, tc := range []struct {
		key  string
		want int
	}{
		{"j", 1}, {"down", 2}, {"k", 1}, {"up", 0}, {"up", 0},
		{"pgdown", page}, {"pgdown", 2 * page}, {"pgup", page},
		{"G", 199}, {"j", 199}, {"g", 0},
	} {
		pump(t, m, keys(tc.key)...)
		if m.list.cursor != tc.want {
			t.Fatalf("after %s: cursor %d, want %d", tc.key, m.list.cursor, tc.want)
		}
		screen := plain(m)
		row, ok := m.list.selected()
		if !ok {
			t.Fatalf("after %s: the selected row is not loaded", tc.key)
		}
		mustContain(t, screen, "▶ "+caisson.ShortID(row.CheckID, 8))
		mustContain(t, screen, fmt.Sprintf("%d of 200", tc.want+1))
	}
}

func TestTheListHoldsOnlyAWindowOfTheQueue(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 200, track: 200, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("7", "G")...)
	if m.list.total != 200 {
		t.Fatalf("total %d", m.list.total)
	}
	if n := len(m.list.rows); n > 3*max(m.list.height, 10) {
		t.Fatalf("the list holds %d rows for %d visible: it must read a window, not the queue", n, m.list.height)
	}
	if m.list.rowsFrom == 0 {
		t.Fatal("at the bottom the window still starts at the top")
	}
}

func TestFilterNarrowsAsYouTypeAndEscClearsIt(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7")...)
	target := f.sb.CheckID(17)
	typed := target[:len(target)-3] // a long prefix of one id
	pump(t, m, keys("/")...)
	for _, r := range typed {
		pump(t, m, typeText(string(r))...)
	}
	if m.list.total != 1 || selectedID(t, m) != target {
		t.Fatalf("filter %q: %d rows, selected %v; want exactly %s", typed, m.list.total, m.list.rows, target)
	}
	pump(t, m, keys("enter")...)
	mustContain(t, plain(m), `filter: "`+typed+`"`)
	pump(t, m, keys("esc")...)
	if m.filter != "" || m.list.total != 60 {
		t.Fatalf("esc left filter %q with %d rows", m.filter, m.list.total)
	}

	// By name, case-insensitively: the store matches substrings.
	row := m.list.rows[3]
	pump(t, m, keys("/")...)
	pump(t, m, typeText(strings.ToLower(row.LastName))...)
	for _, r := range m.list.rows {
		if !strings.Contains(strings.ToLower(r.LastName+" "+r.FirstName+" "+r.CustomerID+" "+r.CheckID), strings.ToLower(row.LastName)) {
			t.Errorf("row %s does not match the filter %q", r.CheckID, row.LastName)
		}
	}
	pump(t, m, keys("esc")...)
	if m.filter != "" || m.mode != modeList {
		t.Fatalf("esc while typing left filter %q, mode %d", m.filter, m.mode)
	}
}

func TestSortCyclesAndSaysWhichIsInForce(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7")...)
	for _, want := range []store.Sort{store.SortAdded, store.SortName, store.SortCustomer, store.SortWaiting, store.SortRisk} {
		pump(t, m, keys("s")...)
		if m.sort != want {
			t.Fatalf("sort %d, want %d", m.sort, want)
		}
		mustContain(t, plain(m), "sort: "+sortNames[want])
		rows, err := f.st.Page(context.Background(), store.PageQuery{Queue: store.QueueAll, Sort: want, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if selectedID(t, m) != rows[0].CheckID {
			t.Errorf("sort %s: first row %s, store says %s", sortNames[want], selectedID(t, m), rows[0].CheckID)
		}
	}
}

func TestMaskHidesDateOfBirthAndAddress(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	rec := record(t, f.st, selectedID(t, m))
	dob := rec.Result.Info.DOB.String()
	street := rec.Result.Info.Address.Street
	mustContain(t, plain(m), dob, street)
	pump(t, m, keys("m")...)
	screen := plain(m)
	mustNotContain(t, screen, dob, street)
	mustContain(t, screen, "born      •••", "address   •••")
	pump(t, m, keys("m")...)
	mustContain(t, plain(m), dob, street)
}

func TestHelpShowsEveryKeyAndEscClosesIt(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("?")...)
	screen := plain(m)
	for _, group := range m.ctx.keys.FullHelp() {
		for _, b := range group {
			mustContain(t, screen, b.Help().Key, b.Help().Desc)
		}
	}
	pump(t, m, keys("esc")...)
	if m.mode != modeList {
		t.Fatalf("esc left mode %d", m.mode)
	}
	// The short help is in the footer all the time.
	mustContain(t, plain(m), "? help", "a approve", "x reject", "e escalate", "q quit")
}

func TestCustomerViewShowsAllChecksOfTheSelectedCustomer(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 0})
	ctx := context.Background()
	// Three checks of one customer, in different queues, and one other.
	ids := f.sb.CheckIDs(4)
	for i, id := range ids {
		if _, err := f.st.Add(ctx, id, "t", store.SourceTyped); err != nil {
			t.Fatal(err)
		}
		cust := "cust-7"
		if i == 3 {
			cust = "cust-8"
		}
		chk := &caisson.Check{CheckID: id, CustomerID: cust, CheckedOn: testNow.AddDate(0, 0, -i),
			Confidence: caisson.Confidence{Document: caisson.Low, Face: caisson.High},
			Info:       caisson.Info{FirstName: "ANA", LastName: fmt.Sprint("LIMA", i)}, Raw: []byte(`{}`)}
		if err := f.st.RecordFetch(ctx, id, chk, nil, testNow); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.Decide(ctx, ids[1], store.Approve, "", "bob"); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, f.config(), 120, 40)
	// Found by a filter, as support finds a check from a ticket: the
	// view still shows every check of the customer, and esc brings the
	// filter back (helper-60: the filter hid the customer's others).
	pump(t, m, keys("/")...)
	pump(t, m, typeText("lima0")...)
	pump(t, m, keys("enter")...)
	moveTo(t, m, func(r store.Row) bool { return r.CustomerID == "cust-7" })
	pump(t, m, keys("c")...)
	byCustomer, err := f.st.ByCustomer(ctx, "cust-7")
	if err != nil {
		t.Fatal(err)
	}
	if m.list.total != len(byCustomer) || m.list.total != 3 {
		t.Fatalf("customer view has %d checks, the store has %d for cust-7", m.list.total, len(byCustomer))
	}
	screen := plain(m)
	mustContain(t, screen, "customer: cust-7")
	for _, r := range byCustomer {
		mustContain(t, screen, caisson.ShortID(r.CheckID, 8))
	}
	mustNotContain(t, screen, caisson.ShortID(ids[3], 8))
	// The way back is in the footer, whatever the width: at 80 columns
	// the line saying "(esc leaves)" was cut (helper-73).
	for _, w := range []int{120, 80} {
		pump(t, m, tea_WindowSize(w, 24))
		mustContain(t, lastLines(plain(m), 1), "esc leave customer")
	}
	pump(t, m, keys("esc")...)
	mustContain(t, lastLines(plain(m), 1), "esc clear filter")
	if m.customer != "" || m.query().Queue != store.QueueNeedsReview || m.filter != "lima0" {
		t.Fatalf("esc left the customer view as %q on %s, filter %q", m.customer, m.query().Queue, m.filter)
	}
	// Left by a queue key instead, the filter comes back too.
	pump(t, m, keys("c", "1")...)
	if m.customer != "" || m.filter != "lima0" {
		t.Fatalf("1 left the customer view as %q, filter %q", m.customer, m.filter)
	}
}

// c pressed in a check's detail, then esc, comes back to that detail, not
// to the list (helper-60).
func TestACustomerViewOpenedFromTheDetailGoesBackToIt(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	id := selectedID(t, m)
	pump(t, m, keys("enter", "c")...)
	if m.customer == "" || m.mode != modeList {
		t.Fatalf("c in the detail: customer %q, mode %d", m.customer, m.mode)
	}
	pump(t, m, keys("esc")...)
	if m.customer != "" || m.mode != modeDetail || selectedID(t, m) != id {
		t.Fatalf("esc from the customer view: customer %q, mode %d, on %s; want the detail of %s", m.customer, m.mode, selectedID(t, m), id)
	}
	mustContain(t, plain(m), "check     "+id)
}

// c on a check with no customer id says so; c on the next check that has
// one clears that, which stayed under the customer's view (helper-60).
func TestACustomerViewClearsTheRefusalOfTheCheckBefore(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 30, track: 20, fetch: true})
	ctx := context.Background()
	bare := f.sb.CheckID(25)
	if _, err := f.st.Add(ctx, bare, "t", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7")...) // All, where the check never fetched is
	moveTo(t, m, func(r store.Row) bool { return r.CheckID == bare })
	pump(t, m, keys("c")...)
	mustContain(t, plain(m), "no customer's checks to show")
	moveTo(t, m, func(r store.Row) bool { return r.CustomerID != "" })
	pump(t, m, keys("c")...)
	if m.customer == "" {
		t.Fatal("c on a check with a customer id opened no customer view")
	}
	mustNotContain(t, plain(m), "no customer's checks to show")
}

func TestNarrowTerminalOpensTheDetailFullScreenOnEnter(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	id := selectedID(t, m)
	mustNotContain(t, plain(m), caisson.DashboardURL(id))
	pump(t, m, keys("enter")...)
	mustContain(t, plain(m), "check     "+id)
	pump(t, m, keys("j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j")...)
	mustContain(t, plain(m), caisson.DashboardURL(id))
	pump(t, m, keys("esc")...)
	if m.mode != modeList {
		t.Fatalf("esc from the detail left mode %d", m.mode)
	}
}

func TestEveryLineFitsTheTerminalAndTooSmallSaysSo(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {119, 45}, {120, 40}, {160, 48}, {200, 60}} {
		for _, k := range []string{"", "enter", "?", "x", "A"} {
			pump(t, m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			if k != "" {
				pump(t, m, keys(k)...)
			}
			lines := strings.Split(plain(m), "\n")
			if len(lines) != sz[1] {
				t.Errorf("%dx%d after %q: %d lines", sz[0], sz[1], k, len(lines))
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w > sz[0] {
					t.Errorf("%dx%d after %q: line %d is %d wide: %q", sz[0], sz[1], k, i, w, l)
				}
			}
			pump(t, m, keys("esc")...)
		}
	}
	for _, sz := range [][2]int{{79, 24}, {80, 23}, {40, 10}} {
		pump(t, m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		want := fmt.Sprintf("window too small: need at least 80x24, have %dx%d; q quits", sz[0], sz[1])
		if got := strings.TrimSpace(plain(m)); !strings.HasPrefix(want, strings.TrimSuffix(got, "…")) || got == "" {
			t.Errorf("%dx%d: %q, want %q", sz[0], sz[1], got, want)
		}
	}
}

func TestQuitKeys(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	for _, k := range []string{"q", "ctrl+c"} {
		m := newTestModel(t, f.config(), 80, 24)
		_, cmd := m.Update(keyMsg(k))
		if cmd == nil {
			t.Fatalf("%s returned no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			// The batch of sync reads wraps it.
			found := false
			if b, ok := cmd().(tea.BatchMsg); ok {
				for _, c := range b {
					if c != nil {
						if _, ok := c().(tea.QuitMsg); ok {
							found = true
						}
					}
				}
			}
			if !found {
				t.Fatalf("%s does not quit", k)
			}
		}
	}
}

func TestTabsFitEightyColumnsWithLargeCounts(t *testing.T) {
	c := newProgramContext(Config{Reviewer: "alice", APILabel: "sandbox"})
	c.width = 80
	counts := store.Counts{store.QueueNeedsReview: 56199, store.QueuePending: 2000, store.QueueErrors: 1000, store.QueueAll: 100000,
		store.QueueSecondReview: 4321}
	for _, tc := range []struct {
		name   string
		queues []store.Queue
		want   []string
	}{
		{"without four-eyes", store.Queues, []string{"[1 Rev:56199]", "2 Wait:2000", "6 Err:1000", "7 All:100000"}},
		// Eight tabs of six digits: the largest counts are cut to
		// thousands, never the tabs.
		{"with Second review", tabQueues, []string{"[1 Rev:56k]", "2 Wait:2k", "6 Err:1k", "7 All:100k", "8 2nd:4k"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := headerView(c, tc.queues, 0, counts, nil)
			tabs := ansi.Strip(strings.Split(head, "\n")[1])
			if w := lipgloss.Width(tabs); w > 80 {
				t.Fatalf("tabs are %d wide: %q", w, tabs)
			}
			mustContain(t, tabs, tc.want...)
		})
	}
}

// The header picks the tabs' form by measuring them undrawn (tabsWidth):
// that must be the drawn width, in colour too, whatever the tab and counts.
func TestTabsAreMeasuredAsDrawn(t *testing.T) {
	for _, dark := range []bool{true, false} {
		c := newProgramContext(Config{HasDarkBackground: &dark})
		// A style with a frame adds to the width as well.
		c.styles.TabActive = c.styles.TabActive.Padding(0, 1)
		for _, counts := range []store.Counts{nil, {store.QueueNeedsReview: 7}, {store.QueueNeedsReview: 56199, store.QueueAll: 100000}} {
			for form := range 4 {
				for tab := range store.Queues {
					drawn := tabsView(c, tabQueues, tab, counts, form)
					if got, want := tabsWidth(c, tabQueues, tab, counts, form), lipgloss.Width(drawn); got != want {
						t.Fatalf("dark %v, form %d, tab %d, counts %v: measured %d, drawn %d: %q", dark, form, tab, counts, got, want, drawn)
					}
				}
			}
		}
	}
}

func TestAFilteredListIsCountedOnlyWhenTheBottomIsAskedFor(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 200, track: 200, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("7", "/")...)
	pump(t, m, typeText("a")...)
	want, err := f.st.Count(context.Background(), m.query())
	if err != nil {
		t.Fatal(err)
	}
	if want <= 3*m.list.height {
		t.Fatalf("the filter matches only %d: the test needs more than a page", want)
	}
	if !m.list.more || m.list.total >= want {
		t.Fatalf("while typing: total %d more=%v; want a lower bound under %d", m.list.total, m.list.more, want)
	}
	mustContain(t, plain(m), fmt.Sprintf("1 of %d+", m.list.total))
	pump(t, m, keys("enter", "pgdown", "pgdown", "pgdown")...)
	if _, ok := m.list.selected(); !ok {
		t.Fatal("paging down past the rows read left no row selected")
	}
	pump(t, m, keys("G")...)
	if m.list.more || m.list.total != want || m.list.cursor != want-1 {
		t.Fatalf("after G: total %d more=%v cursor %d; want %d, counted, on the last", m.list.total, m.list.more, m.list.cursor, want)
	}
	mustContain(t, plain(m), fmt.Sprintf("%d of %d", want, want))
	row, _ := m.list.selected()
	rows, err := f.st.Page(context.Background(), store.PageQuery{Queue: store.QueueAll, Filter: "a", Offset: want - 1, Limit: 1})
	if err != nil || len(rows) != 1 || rows[0].CheckID != row.CheckID {
		t.Fatalf("the last row is %s, the store's last is %v (%v)", row.CheckID, rows, err)
	}
}

func TestTheDetailPaneScrollsBesideOrBelowTheList(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	for _, tc := range []struct {
		name string
		w, h int
	}{
		{"beside at 120 columns", 120, 24},
		{"below when narrow but tall", 100, 44},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestModel(t, f.config(), tc.w, tc.h)
			id := selectedID(t, m)
			screen := plain(m)
			mustContain(t, screen, "check     "+id, "J/K scroll", "▶ "+caisson.ShortID(id, 8))
			first := m.detail.scroll
			pump(t, m, keys("J")...)
			if m.detail.scroll <= first {
				t.Fatalf("J did not scroll the detail (%d -> %d)", first, m.detail.scroll)
			}
			if got := selectedID(t, m); got != id {
				t.Fatalf("J moved the list to %s", got)
			}
			pump(t, m, keys("K")...)
			if m.detail.scroll != first {
				t.Fatalf("K did not scroll back (%d, want %d)", m.detail.scroll, first)
			}
		})
	}
}

// Keys that arrive in one read (fast typing, or a slow SSH link bundling
// keystrokes) must each act, in order, or the next decision lands on the
// check the cursor never left; a bracketed paste is never read as
// commands. The bytes go through Bubble Tea's own input decoder.
func TestKeysThatArriveTogetherEachAct(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := New(f.config())
	m.animate = false
	in, typing := io.Pipe()
	seen := &watched{Model: m}
	opts := append(m.Options(colorprofile.NoTTY), tea.WithInput(in), tea.WithOutput(io.Discard),
		tea.WithWindowSize(80, 24), tea.WithoutSignals())
	p := tea.NewProgram(seen, opts...)
	ended := make(chan error, 1)
	go func() { _, err := p.Run(); ended <- err }()
	t.Cleanup(func() { p.Kill(); typing.Close() })
	send := func(b string) {
		t.Helper()
		if _, err := typing.Write([]byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	seen.waitFor(t, "▶ ")
	send("7")
	seen.waitFor(t, "All 1 of 20")
	send("jjj")
	seen.waitFor(t, "All 4 of 20")
	want := seen.selected(t)
	// Moving, then rejecting with a note typed in the same burst: the rest
	// of the run after "x" and its reason's number is the note's text, not
	// more commands.
	send("jkx1forged\r")
	seen.waitFor(t, "saved")
	// The decision moves the cursor to the next check once the list is
	// read again: wait for it, or the j below may land before or after.
	seen.waitFor(t, "All 5 of 20")
	// A paste of "jjjj" is text, not four moves: the next j moves one.
	send("g")
	seen.waitFor(t, "All 1 of 20")
	send("\x1b[200~jjjj\x1b[201~j")
	seen.waitFor(t, "All 2 of 20")
	send("q")
	select {
	case err := <-ended:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("q did not quit")
	}
	var rejected []string
	for _, id := range f.sb.CheckIDs(20) {
		for _, d := range record(t, f.st, id).Decisions {
			if d.Action != store.Reject || d.Note != "forged" {
				t.Fatalf("%s: unexpected decision %+v", id, d)
			}
			rejected = append(rejected, caisson.ShortID(id, 8))
		}
	}
	if len(rejected) != 1 || rejected[0] != want {
		t.Fatalf("the burst should reject %s with note %q, rejected %v", want, "forged", rejected)
	}
}

// selectedIn is the short id on the row marked ▶ in a frame, if any.
func selectedIn(frame string) (string, bool) {
	for _, l := range strings.Split(frame, "\n") {
		if rest, ok := strings.CutPrefix(l, "▶ "); ok {
			return strings.Fields(rest)[0], true
		}
	}
	return "", false
}

// Each keystroke of a filter reads the top of a new list, which the store
// finds by walking its sort order: only the screen and a few rows more are
// read then. Moving down past them reads on, and lands on the check the
// store has there.
func TestTypingAFilterReadsOnlyTheScreenAndMovingDownReadsOn(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 300, track: 300, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("7", "/")...)
	_, cmd := m.Update(typeText("a")[0])
	d := &driver{tb: t, m: m}
	d.run(cmd)
	var read *pageMsg
	for _, msg := range d.queue {
		if p, ok := msg.(pageMsg); ok {
			read = &p
		}
	}
	if read == nil {
		t.Fatal("typing a filter read no page")
	}
	if read.offset != 0 || read.limit > m.list.height+leanMargin {
		t.Errorf("a keystroke read rows %d to %d, expected at most the %d visible and %d more", read.offset, read.offset+read.limit, m.list.height, leanMargin)
	}
	d.settle()
	pump(t, m, keys("enter")...)
	steps := 2 * m.list.height
	want, err := f.st.Page(context.Background(), store.PageQuery{Queue: store.QueueAll, Filter: "a", Offset: steps, Limit: 1})
	if err != nil || len(want) != 1 {
		t.Fatalf("the fixture has no row %d matching the filter: %v", steps, err)
	}
	for range steps {
		pump(t, m, keys("j")...)
	}
	if got := selectedID(t, m); got != want[0].CheckID {
		t.Errorf("after %d rows down selected %s, expected %s", steps, got, want[0].CheckID)
	}
}

// Rows are kept as drawn between frames (listModel.drawn): a row must
// still be drawn anew when its age, its data or the width changes.
func TestARowIsDrawnAgainWhenWhatItShowsChanges(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 5, track: 5, fetch: true})
	now := testNow
	cfg := f.config()
	cfg.Now = func() time.Time { return now }
	m := newTestModel(t, cfg, 160, 40)
	pump(t, m, keys("7")...)
	row, ok := m.list.selected()
	if !ok {
		t.Fatal("no row selected")
	}
	rowLine := func() string {
		t.Helper()
		for _, l := range strings.Split(plain(m), "\n") {
			if strings.Contains(l, caisson.ShortID(row.CheckID, 8)) {
				return l
			}
		}
		t.Fatalf("the row of %s is not on screen:\n%s", row.CheckID, plain(m))
		return ""
	}
	mustContain(t, rowLine(), " "+age(rowSince(row), now)+" ")

	now = now.Add(9 * 24 * time.Hour)
	pump(t, m, spinner.TickMsg{})
	mustContain(t, rowLine(), " "+age(rowSince(row), now)+" ")

	if strings.Contains(rowLine(), "approved") {
		t.Fatalf("the row says approved before any decision: %q", rowLine())
	}
	if _, err := f.st.Decide(context.Background(), row.CheckID, store.Approve, "seen", "bob"); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	mustContain(t, rowLine(), "approved")

	// Narrower, with the same rows on screen (nothing is read): laid out
	// again, not the wider row cut short, so the last columns are there.
	pump(t, m, tea.WindowSizeMsg{Width: 130, Height: 40})
	mustContain(t, rowLine(), "approved  "+age(rowSince(row), now))
}

// Keys typed before the list's first page is on screen (a reviewer who
// knows the console, over a slow link) act once it is, in order: "x", a
// reason's number and a note reject the first check instead of the note's letters being read as
// commands on an empty list.
func TestKeysTypedBeforeTheFirstPageActOnceItIsRead(t *testing.T) {
	for _, tc := range []struct {
		name  string
		typed []any
		check func(t *testing.T, f *fixture, m *Model, first string)
	}{
		{"x and a note reject the first check", append(append(keys("x", "1"), typeText("forged")...), keyMsg("enter")),
			func(t *testing.T, f *fixture, m *Model, first string) {
				rec := record(t, f.st, first)
				if len(rec.Decisions) != 1 || rec.Decisions[0].Action != store.Reject || rec.Decisions[0].Note != "forged" {
					t.Fatalf("want %s rejected with the note typed ahead, got %+v", first, rec.Decisions)
				}
			}},
		{"a line feed saves the note as enter does (a terminal still in cooked mode sends one)",
			append(append(keys("x", "1"), typeText("forged")...), keyMsg("ctrl+j")),
			func(t *testing.T, f *fixture, m *Model, first string) {
				rec := record(t, f.st, first)
				if len(rec.Decisions) != 1 || rec.Decisions[0].Note != "forged" {
					t.Fatalf("want %s rejected with the note, got %+v", first, rec.Decisions)
				}
			}},
		{"? opens the help", keys("?"), func(t *testing.T, _ *fixture, m *Model, _ string) {
			mustContain(t, plain(m), "esc or ? closes")
		}},
		{"j j moves two rows", keys("j", "j"), func(t *testing.T, _ *fixture, m *Model, _ string) {
			if m.list.cursor != 2 {
				t.Fatalf("cursor %d, want 2", m.list.cursor)
			}
		}},
		// helper-69, over serve: enter typed at connect left the list.
		{"enter opens the first check", keys("enter"), func(t *testing.T, _ *fixture, m *Model, first string) {
			if row, ok := m.current(); m.mode != modeDetail || !ok || row.CheckID != first {
				t.Fatalf("mode %d on %s, want the detail of %s", m.mode, row.CheckID, first)
			}
		}},
		{"a line feed opens the first check as enter does (a terminal still in cooked mode sends one)", keys("ctrl+j"),
			func(t *testing.T, _ *fixture, m *Model, first string) {
				if row, ok := m.current(); m.mode != modeDetail || !ok || row.CheckID != first {
					t.Fatalf("mode %d on %s, want the detail of %s", m.mode, row.CheckID, first)
				}
			}},
		{"j enter opens the second", keys("j", "enter"), func(t *testing.T, _ *fixture, m *Model, _ string) {
			if m.mode != modeDetail || m.list.cursor != 1 {
				t.Fatalf("mode %d, cursor %d: want the second check's detail", m.mode, m.list.cursor)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
			rows, err := f.st.Page(context.Background(), store.PageQuery{Queue: store.QueueNeedsReview, Limit: 1})
			if err != nil || len(rows) == 0 {
				t.Fatalf("first row: %v", err)
			}
			m := New(f.config())
			m.animate = false
			start := m.Init() // the first reads, not answered yet
			pump(t, m, append([]any{tea.WindowSizeMsg{Width: 120, Height: 40}}, tc.typed...)...)
			pump(t, m, start)
			tc.check(t, f, m, rows[0].CheckID)
		})
	}
}

// c shows every queue of one customer: the tab bar says All, and esc
// goes back to the tab it came from.
func TestTheCustomerViewHighlightsAllInTheTabBar(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	for _, size := range []struct{ w, h int }{{120, 40}, {80, 24}} {
		m := newTestModel(t, f.config(), size.w, size.h)
		pump(t, m, keys("c")...)
		tabs := strings.Split(plain(m), "\n")[1]
		mustContain(t, tabs, "[7 All")
		mustNotContain(t, tabs, "[1 ")
		pump(t, m, keys("esc")...)
		tabs = strings.Split(plain(m), "\n")[1]
		mustContain(t, tabs, "[1 ")
		mustNotContain(t, tabs, "[7 All")
		// From the customer view, tab goes on from All, where it is.
		pump(t, m, keys("c", "tab")...)
		if m.query().Queue != store.QueueNeedsReview || m.customer != "" {
			t.Errorf("%dx%d: tab from the customer view went to %s (customer %q), want needs-review", size.w, size.h, m.query().Queue, m.customer)
		}
	}
}

// Switching tabs and back puts the cursor back on the check it was on in
// each tab, not on row 1.
func TestSwitchingTabsAndBackPutsTheCursorWhereItWas(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("j", "j", "j")...)
	review := selectedID(t, m)
	pump(t, m, keys("7", "G", "k")...)
	all := selectedID(t, m)
	allRow := m.list.cursor
	pump(t, m, keys("1")...)
	if got := selectedID(t, m); got != review || m.list.cursor != 3 {
		t.Fatalf("back on Needs review the cursor is on row %d (%s), want row 4 (%s)", m.list.cursor+1, got, review)
	}
	mustContain(t, plain(m), "Needs review 4 of ")
	pump(t, m, keys("tab", "shift+tab", "7")...)
	if got := selectedID(t, m); got != all || m.list.cursor != allRow {
		t.Fatalf("back on All the cursor is on row %d (%s), want row %d (%s)", m.list.cursor+1, got, allRow+1, all)
	}
	mustContain(t, plain(m), fmt.Sprintf("All %d of 60", allRow+1))
}

// A place is where the reviewer left the cursor, not where it once was:
// a list read afresh (a filter cleared, the sort gone round) puts the
// cursor on row 1, and a tab switch and back keeps it there. The place
// kept from before was brought back, and a decision key pressed at once
// landed on that other check (helper-56).
func TestATabSwitchAfterTheListWasReadAfreshKeepsTheCursorOnRowOne(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	for _, afresh := range [][]string{
		{"/", "z", "enter", "esc"},
		{"s", "s", "s", "s", "s"},
	} {
		m := newTestModel(t, f.config(), 80, 24)
		pump(t, m, keys("j", "j", "j", "2", "1")...)
		if m.list.cursor != 3 {
			t.Fatalf("back on Needs review the cursor is on row %d, want row 4", m.list.cursor+1)
		}
		pump(t, m, keys(afresh...)...)
		top := selectedID(t, m)
		if m.list.cursor != 0 {
			t.Fatalf("after %v the cursor is on row %d, want row 1", afresh, m.list.cursor+1)
		}
		pump(t, m, keys("5", "1")...)
		if got := selectedID(t, m); got != top || m.list.cursor != 0 {
			t.Errorf("after %v, 5 and 1 the cursor is on row %d (%s), want row 1 (%s)", afresh, m.list.cursor+1, got, top)
		}
	}
}

// The header and the footer give up their least important parts first:
// the mode (READ-ONLY) and how to get help and quit are never dropped.
func TestHeaderAndFooterKeepTheModeHelpAndQuitAtEveryWidth(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	for _, tc := range []struct {
		name     string
		readOnly bool
		keys     []string
	}{
		{"the list", false, nil},
		{"the detail", false, []string{"enter"}},
		{"the list, read-only", true, nil},
		{"the detail, read-only", true, []string{"enter"}},
	} {
		for _, w := range []int{80, 100, 120} {
			cfg := f.config()
			cfg.ReadOnly, cfg.Reviewer = tc.readOnly, sshReviewer
			m := newTestModel(t, cfg, w, 24)
			pump(t, m, keys(tc.keys...)...)
			lines := strings.Split(plain(m), "\n")
			for _, l := range lines {
				if lipgloss.Width(l) > w {
					t.Errorf("%s at %d columns: a line is %d wide: %q", tc.name, w, lipgloss.Width(l), l)
				}
			}
			if tc.readOnly {
				mustContain(t, lines[0], "· READ-ONLY")
			}
			mustContain(t, lines[len(lines)-1], "? help", "q quit")
			mustNotContain(t, lines[len(lines)-1], "…")
		}
	}
}

// esc from the customer view (c) goes back to the tab it was opened from
// with the cursor on the check it was on, not on row 1.
func TestLeavingTheCustomerViewPutsTheCursorWhereItWas(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("j", "j", "j")...)
	was := selectedID(t, m)
	pump(t, m, keys("c")...)
	mustContain(t, plain(m), "customer: ")
	pump(t, m, keys("esc")...)
	if got := selectedID(t, m); got != was || m.list.cursor != 3 {
		t.Fatalf("after c and esc the cursor is on row %d (%s), want row 4 (%s)", m.list.cursor+1, got, was)
	}
	mustContain(t, plain(m), "Needs review 4 of ")
}

// In the full-screen detail, g and G go to the top and bottom of the
// detail, as j, k and the page keys scroll it: passed on to the list, they
// opened the first or last check of the queue under the same help, and a
// decision then landed on that other person.
func TestTopAndBottomScrollTheFullDetailAndNeverChangeTheCheck(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 60, track: 60, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("j", "enter")...)
	id := selectedID(t, m)
	mustContain(t, plain(m), "check     "+id)
	for _, k := range []string{"G", "g", "end", "home"} {
		pump(t, m, keyMsg(k))
		if got := selectedID(t, m); got != id {
			t.Fatalf("%s in the full detail moved to %s, away from %s", k, got, id)
		}
		mustContain(t, plain(m), id)
	}
	pump(t, m, keys("G")...)
	if screen := plain(m); !regexp.MustCompile(`lines \d+-(\d+) of (\d+)`).MatchString(screen) {
		t.Fatalf("the full detail shows no scroll position:\n%s", screen)
	} else if mm := regexp.MustCompile(`lines \d+-(\d+) of (\d+)`).FindStringSubmatch(screen); mm[1] != mm[2] {
		t.Errorf("G left the detail at %s of %s, want its last line", mm[1], mm[2])
	}
	pump(t, m, keys("g")...)
	if m.detail.scroll != 0 {
		t.Errorf("g left the detail scrolled by %d, want its top", m.detail.scroll)
	}
}

// The help at 80x24 is longer than the window: it says so and scrolls,
// rather than cutting its last lines (the add dialog's keys were lost).
func TestTheHelpScrollsWhenLongerThanTheWindow(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10, track: 10, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("?")...)
	screen := plain(m)
	mustContain(t, screen, "Keys", "lines 1-")
	mustNotContain(t, screen, "In the add dialog")
	pump(t, m, keys("G")...)
	mustContain(t, plain(m), "In the add dialog", "ctrl+s adds, esc closes")
	if m.mode != modeHelp {
		t.Fatalf("G left the help (mode %d)", m.mode)
	}
	pump(t, m, keys("g")...)
	mustContain(t, plain(m), "lines 1-")
	pump(t, m, keys("esc")...)
	if m.mode == modeHelp {
		t.Fatal("esc did not close the help")
	}
	// Wide enough for all of it: no scroll line.
	m = newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("?")...)
	mustContain(t, plain(m), "In the add dialog")
	mustNotContain(t, plain(m), "── lines")
}

// A store whose decision log's guards were changed says so on every
// screen, first of the header's notices: Open's warning goes to stderr,
// under the alternate screen, and a reviewer deciding all day on that log
// never saw it. The mode is kept beside it.
func TestTheHeaderSaysTheDecisionLogMayBeTamperedWith(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 5, track: 5, fetch: true})
	for _, w := range []int{80, 120} {
		cfg := f.config()
		m := newTestModel(t, cfg, w, 24)
		mustNotContain(t, strings.Split(plain(m), "\n")[0], "tampered")
		cfg.Tampering, cfg.ReadOnly = []string{"the trigger decisions_no_update is missing (dropped?)"}, true
		m = newTestModel(t, cfg, w, 24)
		want := "✗ log may be tampered with: export --verify"
		if w < 100 {
			want = "✗ log may be tampered with" // the advice is cut from the end
		}
		mustContain(t, strings.Split(plain(m), "\n")[0], want, "READ-ONLY")
		pump(t, m, keys("j", "enter")...)
		mustContain(t, strings.Split(plain(m), "\n")[0], "log may be tampered with")
	}
}

// c on a check with no customer id (never fetched, failed, purged) says
// so rather than doing nothing (helper-56); the view stays as it was.
func TestCustomerKeyOnACheckWithNoCustomerIDSaysSo(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10, track: 0})
	ids := trackErrorChecks(t, f, "IDCHECK_DELETED")
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("7", "c")...)
	mustContain(t, plain(m), "no customer's checks to show: "+caisson.ShortID(ids[0], 10)+" has no customer id")
	if m.customer != "" {
		t.Errorf("c opened the customer view of %q", m.customer)
	}
}

// A line feed is enter (a terminal in cooked mode sends one for it) only
// while no action has ctrl+j: bound by a configuration file, it does what
// it is bound to.
func TestALineFeedIsEnterUnlessBound(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("ctrl+j")...)
	if m.mode != modeDetail {
		t.Fatalf("mode %d after a line feed, want the detail", m.mode)
	}
	cfg := f.config()
	cfg.Keys = map[string][]string{"down": {"j", "ctrl+j"}}
	m = newTestModel(t, cfg, 120, 40)
	pump(t, m, keys("ctrl+j")...)
	if m.mode == modeDetail || m.list.cursor != 1 {
		t.Fatalf("mode %d, cursor %d after ctrl+j bound to down: want the cursor moved", m.mode, m.list.cursor)
	}
}
