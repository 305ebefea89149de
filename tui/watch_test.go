package tui

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/caisson-review/caisson-review/store"
)

func TestTheWatchRereadsTheScreenOnlyWhenTheStoreChanged(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 30, track: 30, fetch: true})
	m := newTestModel(t, f.config(), 100, 30)
	pump(t, m, keys("j", "j")...)
	first := selectedID(t, m)
	mustContain(t, m.View(), "Appr. 0")

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
	mustContain(t, m.View(), "Appr. 1")
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
