package store

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

func TestPostgresAServerThatGoesAwayRefusesWritesWholeAndTheStoreWorksWhenItIsBack(t *testing.T) {
	dbURL := pgtest.URL(t)
	door, viaDoor := pgtest.NewDoor(t, dbURL)
	ctx := context.Background()
	s := openPG(t, viaDoor)
	if _, err := s.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	before, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}

	door.GoAway()
	_, readErr := s.Head(ctx)
	_, writeErr := s.Decide(ctx, checkID(1), Escalate, "unsure", "ana")
	for _, e := range []struct {
		what string
		err  error
		want []string
	}{
		{"a read", readErr, []string{"the PostgreSQL server " + door.Addr() + " is unreachable"}},
		{"a write", writeErr, []string{"recording escalate on " + checkID(1), "the PostgreSQL server " + door.Addr() + " is unreachable (", "); nothing was written, try again when it is back"}},
	} {
		if e.err == nil {
			t.Errorf("%s while the server is away succeeded", e.what)
			continue
		}
		for _, w := range e.want {
			if !strings.Contains(e.err.Error(), w) {
				t.Errorf("%s while the server is away: %q\nwant it to say %q", e.what, e.err, w)
			}
		}
		if pw, _ := mustParse(t, dbURL).User.Password(); strings.Contains(e.err.Error(), pw) {
			t.Errorf("%s: the error shows the password: %s", e.what, e.err)
		}
	}

	door.ComeBack()
	raw := rawDB(t, dbURL)
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM decisions").Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused write left %d entries (%v), want none", n, err)
	}
	var status string
	if err := raw.QueryRow("SELECT coalesce((SELECT status FROM checks WHERE check_id = $1), 'no row')", checkID(1)).Scan(&status); err != nil || status != "no row" {
		t.Errorf("the refused write left the check's row %q (%v), want none: nothing half-written", status, err)
	}
	if h, err := s.Head(ctx); err != nil || h != before {
		t.Errorf("a read once the server is back: %+v, %v; want %+v", h, err, before)
	}
	d, err := s.Decide(ctx, checkID(1), Escalate, "unsure", "ana")
	if err != nil {
		t.Fatalf("a write once the server is back, on the same Store: %v", err)
	}
	if d.Seq != 1 {
		t.Errorf("the write once back is entry %d, want 1", d.Seq)
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
