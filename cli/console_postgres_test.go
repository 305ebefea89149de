package cli

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/store/pgtest"
	"github.com/caisson-review/caisson-review/tui"
)

// told collects what the console would be sent.
type told struct {
	mu   sync.Mutex
	msgs []tea.Msg
	more chan struct{}
}

func (t *told) send(m tea.Msg) {
	t.mu.Lock()
	t.msgs = append(t.msgs, m)
	t.mu.Unlock()
	select {
	case t.more <- struct{}{}:
	default:
	}
}

// count is how many StoreChanged the console was sent (-1 once anything
// else was sent).
func (t *told) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.msgs {
		if _, ok := m.(tui.StoreChanged); !ok {
			return -1
		}
	}
	return len(t.msgs)
}

func TestTheConsoleOnPostgreSQLIsToldOfADecisionOnAnotherHostWithinASecond(t *testing.T) {
	url := pgtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	console, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	other, err := store.Open(ctx, url) // another host's
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	a := &app{stderr: io.Discard}
	cfg := tui.Config{Watch: time.Second}
	changes := a.storeNotices(ctx, console, &cfg)
	if changes == nil || cfg.Watch != 0 {
		t.Fatalf("on PostgreSQL: notices %v, the console looks every %v; want notices and no looking", changes != nil, cfg.Watch)
	}
	got := &told{more: make(chan struct{}, 1)}
	go forwardStoreNotices(changes, got.send)

	const id = "chk_priv_0000000000000000000001"
	if _, err := other.Add(ctx, id, "carol", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	waitTold(t, got, 1, "an add on another host")
	if _, err := other.Decide(ctx, id, store.Escalate, "unsure", "carol"); err != nil {
		t.Fatal(err)
	}
	decided := time.Now()
	waitTold(t, got, 2, "a decision on another host")
	if waited := time.Since(decided); waited > time.Second {
		t.Errorf("told %v after the decision, want within a second", waited)
	}
	// A claim (serve's "being reviewed by") changes nothing this console
	// shows: no reason to read the screen again.
	if err := other.Claim(ctx, "serve/1", id, "carol"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(storeNoticeEvery + 200*time.Millisecond)
	if n := got.count(); n != 2 {
		t.Errorf("told %d times after a claim on another host, want still 2: a claim changes nothing shown here", n)
	}

	lite, err := store.Open(ctx, t.TempDir()+"/review.db")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	cfg = tui.Config{Watch: time.Second}
	if a.storeNotices(ctx, lite, &cfg) != nil || cfg.Watch != time.Second {
		t.Errorf("on SQLite: want no notices, and the console looking every second as before (Watch %v)", cfg.Watch)
	}
}

func waitTold(t *testing.T, got *told, n int, what string) {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for got.count() < n {
		if got.count() < 0 {
			t.Fatalf("%s: the console was sent something else than tui.StoreChanged", what)
		}
		select {
		case <-got.more:
		case <-deadline:
			t.Fatalf("%s: the console was told %d times, want %d", what, got.count(), n)
		}
	}
}

// The console is told at once that the database stopped answering, and
// again when it is back (the header says so meanwhile).
func TestTheConsoleOnPostgreSQLIsToldWhileTheServerIsAway(t *testing.T) {
	door, viaDoor := pgtest.NewDoor(t, pgtest.URL(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	console, err := store.Open(ctx, viaDoor)
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	a := &app{stderr: io.Discard}
	cfg := tui.Config{Watch: time.Second}
	changes := a.storeNotices(ctx, console, &cfg)
	sent := make(chan any, 16)
	go forwardStoreNotices(changes, func(m tea.Msg) { sent <- m })
	next := func(what string) any {
		t.Helper()
		select {
		case m := <-sent:
			return m
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the console was told nothing", what)
		}
		return nil
	}
	door.GoAway()
	if m := next("the server gone"); m != (tui.StoreUnreachable{}) {
		t.Errorf("told %T as the server went, want tui.StoreUnreachable", m)
	}
	door.ComeBack()
	if m := next("the server back"); m != (tui.StoreReachable{}) {
		t.Errorf("told %T as the server came back, want tui.StoreReachable", m)
	}
	if m := next("what was missed"); m != (tui.StoreChanged{}) {
		t.Errorf("told %T after the server came back, want tui.StoreChanged: what was written meanwhile went unannounced", m)
	}
}
