package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// expectChange waits up to within for a notice on ch.
func expectChange(t *testing.T, what string, ch <-chan struct{}, within time.Duration) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the changes channel closed, want a notice", what)
		}
	case <-time.After(within):
		t.Fatalf("%s: no notice within %v", what, within)
	}
}

func expectNoChange(t *testing.T, what string, ch <-chan struct{}, during time.Duration) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: a notice, want none", what)
	case <-time.After(during):
	}
}

func listen(t *testing.T, s *Store) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := s.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestPostgresEveryCommittedWriteOnOneStoreReachesAnothersChangesWithinASecond(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	a, b := openPG(t, url), openPG(t, url)
	changes := listen(t, b)
	expectNoChange(t, "before any write", changes, 100*time.Millisecond)

	for _, w := range []struct {
		what  string
		write func() error
	}{
		{"an add", func() error { _, err := a.Add(ctx, checkID(1), "ana", SourceTyped); return err }},
		{"a decision", func() error { _, err := a.Decide(ctx, checkID(1), Escalate, "unsure", "ana"); return err }},
		{"a claim", func() error { return a.Claim(ctx, "s1", checkID(1), "ana") }},
		{"a release", func() error { return a.ReleaseClaim(ctx, "s1") }},
	} {
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.what, err)
		}
		expectChange(t, w.what+" on another Store", changes, time.Second)
	}
	mustClaim(t, a, "s1", checkID(1), "ana")
	expectChange(t, "a claim", changes, time.Second)
	if _, err := a.Heartbeat(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	expectNoChange(t, "a heartbeat, which changes nothing shown", changes, 300*time.Millisecond)
}

func TestPostgresARolledBackWriteSendsNoNotice(t *testing.T) {
	url := pgtest.URL(t)
	a, b := openPG(t, url), openPG(t, url)
	changes := listen(t, b)
	refused := errors.New("refused half-way")
	err := a.write(context.Background(), "a write that fails", func(tx *sqlTx) error {
		if _, err := tx.Exec("INSERT INTO exchanges (token, recorded_at, added_by) VALUES ('t', 1, 'ana')"); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("write = %v, want it refused", err)
	}
	expectNoChange(t, "a write rolled back", changes, 500*time.Millisecond)
}

func TestPostgresChangesListenAgainWhenTheConnectionDrops(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	a, b := openPG(t, url), openPG(t, url)
	changes := listen(t, b)
	var killed int
	err := rawDB(t, url).QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN ` + changesChannel + `'`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", killed, err)
	}
	expectChange(t, "the listening connection made again (writes may have been missed)", changes, 5*time.Second)
	if _, err := a.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	expectChange(t, "an add after the connection was made again", changes, time.Second)
}

func TestPostgresChangesEndsWithItsContext(t *testing.T) {
	s := openPG(t, pgtest.URL(t))
	ctx, cancel := context.WithCancel(context.Background())
	changes, err := s.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-changes:
		if ok {
			t.Fatal("a notice after the context ended, want the channel closed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the channel is still open 5 s after its context ended")
	}
}
