package serve

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store"
)

func TestTheGateWaitsForWorkInFlightAndRefusesNewWork(t *testing.T) {
	var g workGate
	if err := g.enter(); err != nil {
		t.Fatal(err)
	}
	finished := make(chan bool)
	go func() { finished <- g.closeAndWait(5 * time.Second) }()
	select {
	case <-finished:
		t.Fatal("closeAndWait returned while a call was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	waitUntil(t, wait, "the gate to close", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.closed
	})
	if err := g.enter(); !errors.Is(err, errShuttingDown) {
		t.Errorf("enter after close = %v, expected errShuttingDown", err)
	}
	g.leave()
	if !<-finished {
		t.Error("closeAndWait reported unfinished work after the call left")
	}
}

func TestTheGateGivesUpAfterTheGracePeriod(t *testing.T) {
	var g workGate
	if err := g.enter(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if g.closeAndWait(50 * time.Millisecond) {
		t.Error("closeAndWait reported success with a call still in flight")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("closeAndWait took %s, expected about the 50ms grace", d)
	}
}

func TestADecisionRefusedAtShutdownStoresNothing(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "review.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id := "chk_priv_ceSB3MdzNm8M5FdEM4wSXw"
	if _, err := st.Add(ctx, id, "tester", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	var g workGate
	ss := newSessionStore(st, &g, newLogger(log), store.Identity{})
	if _, err := ss.Decide(ctx, id, store.Approve, "", "alice (SHA256:x)"); err != nil {
		t.Fatalf("deciding before shutdown: %v", err)
	}
	g.closeAndWait(time.Second)
	if _, err := ss.Decide(ctx, id, store.Reopen, "", "alice (SHA256:x)"); !errors.Is(err, errShuttingDown) {
		t.Fatalf("deciding after shutdown = %v, expected errShuttingDown", err)
	}
	rec, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Decisions) != 1 || rec.Decisions[0].Action != store.Approve {
		t.Errorf("decisions = %+v, expected only the approval made before shutdown", rec.Decisions)
	}
	if ss.decided.Load() != 1 {
		t.Errorf("session count = %d, expected 1", ss.decided.Load())
	}
}
