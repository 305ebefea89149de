package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// A check decided elsewhere (another session, told with StoreChanged, or
// the CLI in another process, seen by the watch) while a reviewer has it
// open: the reviewer stays on it, is told who decided what and when, and
// the keys that no longer apply say why; j moves on.
func TestACheckDecidedElsewhereWhileOpenStaysOnScreenAndSaysWhoDecided(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	for _, tc := range []struct {
		name   string
		w, h   int
		open   []string // keys that open the check
		notice func() any
	}{
		{"full screen at 80x24, told by another session", 80, 24, []string{"enter"}, func() any { return StoreChanged{} }},
		{"beside the list at 120x40, told by another session", 120, 40, nil, func() any { return StoreChanged{} }},
		{"selected in the list at 80x24, seen by the watch", 80, 24, nil, func() any { return watchTickMsg{} }},
		{"full screen at 80x24, seen by the watch", 80, 24, []string{"enter"}, func() any { return watchTickMsg{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config()
			// The console's clock is 3 seconds past the decision's.
			cfg.Now = func() time.Time { return testNow.Add(3 * time.Second) }
			m := newTestModel(t, cfg, tc.w, tc.h)
			pump(t, m, keys("j")...)
			id := selectedID(t, m)
			next := m.list.rows[2].CheckID
			pump(t, m, keys(tc.open...)...)
			mode := m.mode
			t.Cleanup(func() {
				// Reopened for the next case, which starts on the same
				// check.
				if _, err := f.st.Decide(context.Background(), id, store.Reopen, "", "tester"); err != nil {
					t.Fatal(err)
				}
			})
			decisions := len(record(t, f.st, id).Decisions)
			if _, err := f.st.Decide(context.Background(), id, store.Escalate, "over to compliance", "bob"); err != nil {
				t.Fatal(err)
			}
			pump(t, m, tc.notice())

			if row, ok := m.current(); !ok || row.CheckID != id || m.mode != mode {
				t.Fatalf("the console left the check (on %s, mode %d, was %d)", row.CheckID, m.mode, mode)
			}
			screen := plain(m)
			mustContain(t, screen, "◆ ", "escalated by bob 3s ago: no longer in")
			mustNotContain(t, screen, "● ")
			footer := lastLine(screen)
			mustContain(t, footer, "o reopen", "q quit")
			mustNotContain(t, footer, "a approve", "x reject", "e escalate")
			mustNotContain(t, screen, "no check selected")
			if strings.Contains(screen, "▶") {
				t.Errorf("a row is marked selected while the reviewer is on the check that left:\n%s", screen)
			}

			for _, k := range []struct{ key, verb string }{{"a", "approved"}, {"x", "rejected"}, {"e", "escalated"}} {
				pump(t, m, keys(k.key)...)
				mustContain(t, lastLines(plain(m), 2), "✗ not "+k.verb+": escalated by bob 3s ago, now in 3 Escalated (o reopens)")
				if m.mode != mode {
					t.Fatalf("%s opened a dialog on the check that left", k.key)
				}
			}
			if n := len(record(t, f.st, id).Decisions); n != decisions+1 {
				t.Fatalf("%d decisions stored, want %d: bob's alone", n, decisions+1)
			}

			if mode == modeDetail {
				pump(t, m, keys("esc")...)
				mustContain(t, plain(m), "escalated by bob 3s ago")
			}
			pump(t, m, keys("j")...)
			if got := selectedID(t, m); got != next {
				t.Errorf("j after the check that left selects %s, want the one after it, %s", got, next)
			}
			if m.pinned != nil {
				t.Error("j did not move on from the check that left")
			}
			mustNotContain(t, plain(m), "no longer in")
		})
	}
}

// Reopening applies to the check that left: o asks for the note as ever,
// and the check is back in the list.
func TestTheCheckThatLeftCanBeReopened(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	id := decidedElsewhere(t, f, m, store.Approve, "", "bob (cli)")
	mustContain(t, plain(m), "◆ approved by bob (cli) 0s ago: no longer in")
	pump(t, m, keys("o", "enter")...)
	if rec := record(t, f.st, id); rec.Status != store.StatusOpen {
		t.Fatalf("status %s after o, want open", rec.Status)
	}
	if got := selectedID(t, m); got != id || m.pinned != nil {
		t.Fatalf("after reopening the cursor is on %s (pinned %v), want the reopened %s", got, m.pinned != nil, id)
	}
	mustNotContain(t, plain(m), "no longer in")
}

// A decision key with no check selected says so instead of nothing.
func TestADecisionKeyWithNoCheckSaysSo(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 5})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("a")...)
	mustContain(t, plain(m), "✗ nothing to approve: no check selected")
}

func lastLine(s string) string { return lastLines(s, 1) }

// lastLines is the footer: the last n lines of a screen.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// A decision dialog open on a check someone else decides meanwhile says
// so; the reviewer's decision, if saved, is stored after theirs.
func TestADecisionDialogSaysWhenTheCheckIsDecidedElsewhereMeanwhile(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 80, 24)
	id := selectedID(t, m)
	pump(t, m, keys("x", "1")...)
	if _, err := f.st.Decide(context.Background(), id, store.Escalate, "over to compliance", "bob"); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	mustContain(t, plain(m), "note>", "⚠ escalated by bob 0s ago while this was open: yours is stored after it")
	pump(t, m, typeText("forged passport")...)
	pump(t, m, keys("enter")...)
	rec := record(t, f.st, id)
	if len(rec.Decisions) != 2 || rec.Decisions[1].Action != store.Reject || rec.Decisions[1].Reviewer != "alice" {
		t.Fatalf("decisions %+v, want bob's escalation then alice's rejection", rec.Decisions)
	}
	// Decided here, it is let go as after any decision: the cursor is on
	// the next check.
	if m.pinned != nil || selectedID(t, m) == id {
		t.Fatalf("after deciding the check the console is still on it (pinned %v)", m.pinned != nil)
	}
	mustContain(t, plain(m), "✓ rejected "+caisson.ShortID(id, 10)+": saved", "▶ ")
}

// In a busy queue other reviewers decide the checks around the one a
// reviewer stays on, not only that one. Moving on goes from where the
// check was in the queue: j to the check that followed it, k to the one
// before it, pgdn a page on from its place, esc to the one that took its
// place; the selected row is marked again.
func TestMovingOnFromTheCheckThatLeftABusyQueueGoesFromWhereItWas(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 40, track: 40, fetch: true})
	for _, tc := range []struct {
		key  string
		want func(old []store.Row, m *Model) string // the check selected after key
	}{
		{"j", func(old []store.Row, _ *Model) string { return old[4].CheckID }},
		{"k", func(old []store.Row, _ *Model) string { return old[1].CheckID }},
		{"esc", func(old []store.Row, _ *Model) string { return old[4].CheckID }},
		{"pgdown", func(old []store.Row, m *Model) string {
			// The page is counted from the place the check left: row 3
			// of the queue now holds the one that followed it.
			return old[4+max(m.list.height-1, 1)].CheckID
		}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			m := newTestModel(t, f.config(), 80, 24)
			pump(t, m, keys("j", "j", "j")...)
			old := append([]store.Row(nil), m.list.rows...)
			stayed := old[3].CheckID
			if selectedID(t, m) != stayed {
				t.Fatalf("setup: row 4 is not selected")
			}
			// Bob decides the check above, then the one the reviewer is on.
			var undo []string
			for _, id := range []string{old[2].CheckID, stayed} {
				if _, err := f.st.Decide(context.Background(), id, store.Escalate, "over to compliance", "bob"); err != nil {
					t.Fatal(err)
				}
				undo = append(undo, id)
			}
			t.Cleanup(func() {
				for _, id := range undo {
					if _, err := f.st.Decide(context.Background(), id, store.Reopen, "", "tester"); err != nil {
						t.Fatal(err)
					}
				}
			})
			pump(t, m, StoreChanged{})
			if row, ok := m.current(); !ok || row.CheckID != stayed || m.pinned == nil {
				t.Fatalf("setup: the console did not stay on the check bob escalated")
			}
			pump(t, m, keys(tc.key)...)
			if m.pinned != nil {
				t.Fatalf("%s did not move on from the check that left", tc.key)
			}
			if got, want := selectedID(t, m), tc.want(old, m); got != want {
				t.Errorf("%s from the check that left selects %s, want %s", tc.key, got, want)
			}
			mustContain(t, plain(m), "▶ ")
		})
	}
}

// Under serve a decision is stored as "bob (SHA256:<43 characters>,
// bob@laptop)": the refusal at 80 columns still says where the check is
// now, naming the reviewer by name, and so does the notice under the
// check's name (helper-65 saw the fingerprint wrap mid-token there,
// helper-69 the end cut off); the history keeps it whole.
func TestARefusedKeySaysWhereTheCheckIsNowAt80ColumnsWhenAnSSHKeyDecided(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	cfg := f.config()
	cfg.Now = func() time.Time { return testNow.Add(3 * time.Second) }
	m := newTestModel(t, cfg, 80, 24)
	id := selectedID(t, m)
	pump(t, m, keys("enter")...)
	const bob = "bob (SHA256:C3chUDJu+yWeNKGw5hxvXaVDGj2hZ0lkMuGfbhcx8P0, bob@laptop)"
	if _, err := f.st.Decide(context.Background(), id, store.Escalate, "over to compliance", bob); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	mustContain(t, plain(m), "◆ escalated by bob 3s ago: no longer in Needs review")
	for _, k := range []struct{ key, verb string }{{"a", "approved"}, {"x", "rejected"}, {"e", "escalated"}} {
		pump(t, m, keys(k.key)...)
		mustContain(t, lastLines(plain(m), 2), "✗ not "+k.verb+": escalated by bob 3s ago, now in 3 Escalated (o reopens)")
	}
}

// The only check of a queue, decided elsewhere, stays on screen as any
// other does: the queue's count fell to 0 before its page came, nothing
// was selected when the page came, and the check vanished (helper-59: "no
// checks here", "no check selected").
func TestTheOnlyCheckOfAQueueDecidedElsewhereStaysOnScreen(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	ctx := context.Background()
	rows, err := f.st.Page(ctx, store.PageQuery{Queue: store.QueueNeedsReview, Limit: 100})
	if err != nil || len(rows) < 2 {
		t.Fatalf("needs review: %d rows, %v", len(rows), err)
	}
	for _, r := range rows[1:] {
		if _, err := f.st.Decide(ctx, r.CheckID, store.Escalate, "not this one", "tester"); err != nil {
			t.Fatal(err)
		}
	}
	only := rows[0].CheckID
	for _, w := range []int{80, 120} {
		cfg := f.config()
		cfg.Now = func() time.Time { return testNow.Add(3 * time.Second) }
		m := newTestModel(t, cfg, w, 40)
		if got := selectedID(t, m); got != only {
			t.Fatalf("needs review selects %s, want its only check %s", got, only)
		}
		if _, err := f.st.Decide(ctx, only, store.Escalate, "over to compliance", "bob"); err != nil {
			t.Fatal(err)
		}
		pump(t, m, StoreChanged{})
		if row, ok := m.current(); !ok || row.CheckID != only {
			t.Fatalf("at %d columns the console left the check (on %q, %v)", w, row.CheckID, ok)
		}
		mustContain(t, plain(m), "escalated by bob 3s ago: no longer in")
		if _, err := f.st.Decide(ctx, only, store.Reopen, "", "tester"); err != nil {
			t.Fatal(err)
		}
	}
}

// briefReviewer cuts a serve reviewer's fingerprint to its first 8
// characters and leaves every other name as it is.
func TestBriefReviewerCutsOnlyAFingerprint(t *testing.T) {
	for in, want := range map[string]string{
		"bob (SHA256:C3chUDJu+yWeNKGw5hxvXaVDGj2hZ0lkMuGfbhcx8P0, bob@laptop)": "bob (SHA256:C3chUDJu…, bob@laptop)",
		"bob (SHA256:C3chUDJu+yWeNKGw5hxvXaVDGj2hZ0lkMuGfbhcx8P0)":             "bob (SHA256:C3chUDJu…)",
		"bob":                      "bob",
		"bob (cli)":                "bob (cli)",
		"bob (SHA256:short)":       "bob (SHA256:short)",
		"bob (SHA256:no end":       "bob (SHA256:no end",
		"ana (SHA256:ééééééééééé)": "ana (SHA256:éééééééé…)",
	} {
		if got := briefReviewer(in); got != want {
			t.Errorf("briefReviewer(%q) = %q, want %q", in, got, want)
		}
	}
}

// A key's refusal is said of the check selected: it stays while that
// check is, and goes once another is (helper-69 saw "✗ not escalated:
// rejected by bob 7s ago" two checks further down, under the dialog of a
// third). A decision's outcome stays: it is no refusal.
func TestARefusalGoesWhenAnotherCheckIsSelected(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	id := decidedElsewhere(t, f, m, store.Reject, "forged", "bob")
	pump(t, m, keys("e")...)
	mustContain(t, lastLines(plain(m), 2), "✗ not escalated: rejected by bob")
	pump(t, m, keys("m", "m")...) // on the same check
	mustContain(t, lastLines(plain(m), 2), "✗ not escalated: rejected by bob")
	pump(t, m, keys("j")...)
	if selectedID(t, m) == id {
		t.Fatal("setup: j did not move on")
	}
	mustNotContain(t, lastLines(plain(m), 2), "not escalated")

	pump(t, m, keys("x", "1")...)
	pump(t, m, typeText("forged too")...)
	pump(t, m, keys("enter")...)
	mustContain(t, lastLines(plain(m), 2), "rejected", ": saved")
	before := lastLines(plain(m), 2)
	pump(t, m, keys("j")...)
	if got := lastLines(plain(m), 2); strings.Split(got, "\n")[0] != strings.Split(before, "\n")[0] {
		t.Errorf("a decision's outcome went with the cursor:\nwas %q\nnow %q", before, got)
	}
}

// A refusal is said of the check selected when its key acted, also when
// the keys were typed ahead and replayed in one go (helper-70: "c" then
// "j" typed at connect left "no customer's checks" under the second
// check, and k back to the first cleared it).
func TestARefusalTypedAheadIsSaidOfItsOwnCheck(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20}) // never fetched: no customer ids
	m := New(f.config())
	m.animate = false
	start := m.Init()
	pump(t, m, append([]any{tea.WindowSizeMsg{Width: 120, Height: 40}}, keys("7", "c", "j")...)...)
	pump(t, m, start)
	if m.list.cursor != 1 {
		t.Fatalf("setup: cursor %d, want the second check", m.list.cursor)
	}
	mustNotContain(t, lastLines(plain(m), 2), "no customer's checks to show")
}

// The footer over an empty queue offers no decision, also while the
// queue is read again (every change in it reads it again).
func TestAnEmptyQueueOffersNoDecisionWhileReadAgain(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("3")...) // Escalated: none
	mustContain(t, plain(m), "no checks here")
	m.Update(StoreChanged{}) // its read not answered yet
	if m.list.req == 0 {
		t.Fatal("setup: the change read nothing again")
	}
	mustNotContain(t, lastLines(plain(m), 1), "a approve", "x reject")
}

// decidedElsewhere decides the check selected in m through the store, as
// another reviewer would, tells m the store changed and returns its id.
func decidedElsewhere(t *testing.T, f *fixture, m *Model, a store.Action, note, reviewer string) string {
	t.Helper()
	id := selectedID(t, m)
	if _, err := f.st.Decide(context.Background(), id, a, note, reviewer); err != nil {
		t.Fatal(err)
	}
	pump(t, m, StoreChanged{})
	return id
}
