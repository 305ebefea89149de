package tui

import (
	"context"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/store"
)

func TestTheWatchRereadsTheScreenOnlyWhenTheStoreChanged(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 30, track: 30, fetch: true})
	m := newTestModel(t, f.config(), 100, 30)
	pump(t, m, keys("j", "j")...)
	first := selectedID(t, m)
	mustContain(t, plain(m), "Appr. 0")

	// Nothing changed: the look reads the counts and nothing else.
	_, cmd := m.Update(watchTickMsg{})
	pump(t, m, cmd)
	if m.list.dirty || m.detail.dirty {
		t.Fatal("an unchanged store made the console read its page again")
	}

	// Another process approves a check above the selected one: the next
	// look shows it, and the selection stays on the reviewer's check
	// although it moved up a row.
	other := m.list.rows[0].CheckID
	if _, err := f.st.Decide(context.Background(), other, store.Approve, "", "carol (cli)"); err != nil {
		t.Fatal(err)
	}
	_, cmd = m.Update(watchTickMsg{})
	pump(t, m, cmd)
	mustContain(t, plain(m), "Appr. 1")
	if got := selectedID(t, m); got != first {
		t.Errorf("selection moved from %s to %s after someone else's decision", first, got)
	}
	for _, r := range m.list.rows {
		if r.CheckID == other {
			t.Errorf("the approved check %s is still listed in needs review", other)
		}
	}
}

func TestWithoutAWatchTheConsoleSchedulesNoLooks(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 5, track: 5})
	m := New(f.config())
	if cmd := m.watchTick(); cmd != nil {
		t.Fatal("a console without Config.Watch scheduled a look at the store")
	}
}

func TestKeysPressedWhileAnotherSessionsChangeIsReadStillMoveTheCursor(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 30, track: 30, fetch: true})
	m := newTestModel(t, f.config(), 100, 30)
	pump(t, m, keys("7", "down")...)
	want := m.list.rows[3].CheckID
	// The re-read starts with the cursor on row 1; two more presses land
	// before its page comes back.
	_, reread := m.Update(StoreChanged{})
	_, k1 := m.Update(keyMsg("down"))
	_, k2 := m.Update(keyMsg("down"))
	pump(t, m, tea.Batch(reread, k1, k2))
	if got := selectedID(t, m); got != want {
		t.Errorf("selected %s after two more presses, expected %s: the re-read pulled the cursor back", got, want)
	}
}

// On a busy shared server the store changes while a page is being read,
// again and again. Each change must not throw the read away: the answer is
// shown, then the page is read once more. Dropping it left a reviewer's
// list blank for as long as the others kept deciding.
func TestChangesFasterThanAReadStillShowTheList(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 300, track: 300})
	m := newTestModel(t, f.config(), 100, 30)
	pump(t, m, keys("7")...)

	// Jump to the bottom: the rows there are not read yet.
	_, pending := m.Update(keyMsg("G"))
	if _, ok := m.list.selected(); ok {
		t.Fatal("the bottom row was loaded before it was read; the test needs a read in flight")
	}
	for range 5 {
		// Another session decides while the read is in flight...
		_, changed := m.Update(StoreChanged{})
		// ...then the read comes back.
		d := &driver{tb: t, m: m}
		d.run(pending)
		next := []tea.Cmd{changed}
		for _, msg := range d.queue {
			_, c := m.Update(msg)
			next = append(next, c)
		}
		pending = tea.Batch(next...)
		if _, ok := m.list.selected(); !ok {
			t.Fatal("a read answered while the store kept changing, and the list still does not show the selected row")
		}
	}
	if !m.list.dirty {
		t.Error("the last change was never read: the list is not marked to be read again")
	}
	pump(t, m, pending)
	if m.list.dirty || m.list.again || m.detail.again || m.countsAgain {
		t.Error("the console did not settle after the changes stopped")
	}
	mustContain(t, plain(m), "▶", "300 of 300")
}

// Five changes told in a row read the counts once, and once more after
// that read for the changes it may have missed: one read in flight at a
// time, however many sessions are deciding.
func TestChangesInARowReadTheCountsOnceAtATime(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 30, track: 30})
	m := newTestModel(t, f.config(), 100, 30)
	var cmds []tea.Cmd
	for range 5 {
		_, c := m.Update(StoreChanged{})
		cmds = append(cmds, c)
	}
	d := &driver{tb: t, m: m}
	d.run(tea.Batch(cmds...))
	reads := 0
	for _, msg := range d.queue {
		if _, ok := msg.(countsMsg); ok {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("5 changes in a row read the counts %d times, expected once", reads)
	}
	d.settle()
	if m.countsReading || m.countsAgain || !m.countsFresh {
		t.Errorf("after the follow-up read: reading %v, again %v, fresh %v; expected settled, fresh counts", m.countsReading, m.countsAgain, m.countsFresh)
	}
}
