package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

func TestAddValidatesEveryLineBeforeSubmitting(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 0})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("A")...)
	pump(t, m, paste(f.sb.CheckID(1)+"\nnot-an-id\nchk_priv_bad id!"))
	screen := plain(m)
	mustContain(t, screen, "1 valid", "2 invalid", "✗ line 2: ", "✗ line 3: ", "expected")
	pump(t, m, keys("ctrl+s")...)
	if n, _ := f.st.Count(context.Background(), store.PageQuery{Queue: store.QueueAll}); n != 0 {
		t.Fatalf("%d checks stored although invalid lines were pending", n)
	}
	pump(t, m, keys("esc")...)
	if m.mode != modeList {
		t.Fatalf("esc left mode %d", m.mode)
	}
}

func TestAddExchangesTokensAddsIdsAndShowsEachLinesOutcome(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 0})
	ctx := context.Background()
	existing := f.sb.CheckID(2)
	if _, err := f.st.Add(ctx, existing, "bob", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	fresh := f.sb.CheckID(1)
	token := f.sb.NewToken(6)
	unknownToken := "chk_xchg_AAAAAAAAAAAAAAAAAAAAAA"
	m := newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("+")...)
	pump(t, m, paste(strings.Join([]string{fresh, "", token, existing, unknownToken}, "\n")))
	mustContain(t, plain(m), "4 valid")
	pump(t, m, keys("ctrl+s")...)

	screen := plain(m)
	mustContain(t, screen,
		"✓ line 1: added "+fresh+"; fetched",
		"✓ line 3: token → added "+f.sb.CheckID(6)+"; fetched",
		"✓ line 4: already tracked "+existing,
		"✗ line 5: token → refused: Caisson refused the exchange token",
		"added 2 of 4 lines, 1 refused")
	for _, id := range []string{fresh, f.sb.CheckID(6)} {
		rec := record(t, f.st, id)
		if rec.AddedBy != "alice" || rec.Outcome != store.OutcomeOK {
			t.Errorf("%s: added by %q, outcome %q; want alice and fetched", id, rec.AddedBy, rec.Outcome)
		}
	}
	if rec := record(t, f.st, f.sb.CheckID(6)); rec.Source != store.SourceExchanged {
		t.Errorf("the token's check has source %q, want exchanged", rec.Source)
	}
	if n, _ := f.st.Count(ctx, store.PageQuery{Queue: store.QueueAll}); n != 3 {
		t.Errorf("%d checks in the store, want 3", n)
	}
	pump(t, m, keys("esc", "7")...)
	if m.list.total != 3 {
		t.Fatalf("the list shows %d checks after adding, want 3", m.list.total)
	}
	mustContain(t, plain(m), caisson.ShortID(fresh, 8))
}
