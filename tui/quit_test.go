package tui

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	_ "modernc.org/sqlite"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// lockStore takes the database's write lock from another connection, as
// a CLI command or another session writing at that moment would: the
// console's next write waits for it. The returned function releases it.
func lockStore(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
}

// A decision made just before quitting is still on its way to the store:
// every way of quitting waits for it, and says so on screen, and a write
// that fails meanwhile is reported, not lost.
func TestQuittingWaitsForTheDecisionBeingSaved(t *testing.T) {
	for _, tc := range []struct {
		name string
		quit func(tm *teatest.TestModel)
		fail bool // the write fails once the lock is released
	}{
		{"q", func(tm *teatest.TestModel) { tm.Send(keyMsg("q")) }, false},
		{"ctrl+c", func(tm *teatest.TestModel) { tm.Send(keyMsg("ctrl+c")) }, false},
		// SIGTERM and an SSH session closing reach the program as
		// Program.Quit's message.
		{"the program told to quit", func(tm *teatest.TestModel) { tm.Quit() }, false},
		{"a write that fails meanwhile", func(tm *teatest.TestModel) { tm.Send(keyMsg("q")) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
			id := f.sb.CheckID(3)
			if tc.fail {
				// The store refuses this decision when it gets to write it.
				if _, err := rawDB(t, f.path).Exec(`CREATE TRIGGER refuse BEFORE INSERT ON decisions
					WHEN new.check_id = '` + id + `' BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END`); err != nil {
					t.Fatal(err)
				}
			}
			m := New(f.config())
			m.animate = false
			tm, w := startProgram(t, m, 120, 40)
			w.waitFor(t, "▶ ")
			tm.Send(keyMsg("7"))
			w.waitFor(t, "All 1 of 20")
			// Down to the check, one row per frame.
			for deadline := time.Now().Add(5 * time.Second); ; {
				sel, ok := selectedIn(w.frame())
				if sel == caisson.ShortID(id, 8) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("never reached %s:\n%s", id, w.frame())
				}
				if ok {
					tm.Send(keyMsg("j"))
					// One row per frame: wait for this one to move.
					for strings.Contains(w.frame(), "▶ "+sel) && time.Now().Before(deadline) {
						time.Sleep(2 * time.Millisecond)
					}
				}
				time.Sleep(2 * time.Millisecond)
			}
			release := lockStore(t, f.path)
			tm.Send(keyMsg("x"))
			w.waitFor(t, "pick the reason")
			tm.Send(keyMsg("1"))
			w.waitFor(t, "note>")
			for _, k := range typeText("forged") {
				tm.Send(k)
			}
			tm.Send(keyMsg("enter"))
			w.waitFor(t, "saving reject of")
			// The shortened id's "…" ends the label: no second one.
			if fr := w.frame(); strings.Contains(fr, "……") {
				t.Errorf("the saving line doubles the ellipsis:\n%s", fr)
			}
			tc.quit(tm)
			w.waitFor(t, "saving reject of "+caisson.ShortID(id, 10)+" before quitting")
			done := ended(tm)
			select {
			case <-done:
				t.Fatal("the program ended while the decision was still being saved")
			case <-time.After(100 * time.Millisecond):
			}
			release()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the program did not end once the decision was saved")
			}
			err := m.Wait()
			rec := record(t, f.st, id)
			if tc.fail {
				if err == nil || !strings.Contains(err.Error(), "disk full (simulated)") {
					t.Fatalf("Wait: %v, want the decision's failure", err)
				}
				if len(rec.Decisions) != 0 {
					t.Fatalf("decisions %+v, want none", rec.Decisions)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Decisions) != 1 || rec.Decisions[0].Action != store.Reject || rec.Decisions[0].Note != "forged" {
				t.Fatalf("decisions %+v, want the reject made before quitting", rec.Decisions)
			}
		})
	}
}

// ended is closed when the program has ended.
func ended(tm *teatest.TestModel) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		tm.WaitFinished(nil)
		close(ch)
	}()
	return ch
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A decision whose dialog is open when the console is told to quit
// (SIGTERM, a server shutting down) was never confirmed, so it is not
// saved; Dropped says what it was, for the message after the alternate
// screen (helper-63: the goodbye said "0, all saved" of a reviewer halfway
// through a rejection's note).
func TestQuittingWithADecisionDialogOpenSaysWhatWasNotSaved(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keys  []any
		shown string
		want  string // after the check id
	}{
		{"nothing open", nil, "", ""},
		{"the reason picker", []any{keyMsg("x")}, "pick the reason", " "},
		{"a note typed", append([]any{keyMsg("x"), keyMsg("1")}, typeText("halfway thr")...), "halfway thr", " and the note typed for it"},
		{"a note dialog left empty", []any{keyMsg("e"), keyMsg("1")}, "note>", " "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
			m := New(f.config())
			m.animate = false
			tm, w := startProgram(t, m, 120, 40)
			w.waitFor(t, "▶ ")
			sel, _ := selectedIn(w.frame())
			for _, k := range tc.keys {
				tm.Send(k.(tea.Msg))
			}
			if tc.shown != "" {
				w.waitFor(t, tc.shown)
			}
			tm.Quit()
			select {
			case <-ended(tm):
			case <-time.After(10 * time.Second):
				t.Fatal("the program did not end")
			}
			got := m.Dropped()
			if tc.want == "" {
				if got != "" {
					t.Fatalf("Dropped = %q with no dialog open, want none", got)
				}
				return
			}
			action := map[string]string{"x": "reject", "e": "escalate"}[tc.keys[0].(tea.KeyPressMsg).String()]
			if !strings.HasPrefix(got, action+" chk_priv_"+strings.TrimSuffix(sel, "…")) || !strings.HasSuffix(got, strings.TrimRight(tc.want, " ")) || strings.Contains(got, "note") != strings.Contains(tc.want, "note") {
				t.Fatalf("Dropped = %q, want %s of the selected check (%s)%s", got, action, sel, tc.want)
			}
		})
	}
}
