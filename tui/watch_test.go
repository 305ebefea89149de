package tui

import (
	"context"
	"testing"

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
