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
	pump(t, m, paste(strings.Join([]string{fresh, "", token, existing, unknownToken, token}, "\n")))
	mustContain(t, plain(m), "5 valid")
	f.sb.ResetRequests()
	pump(t, m, keys("ctrl+s")...)

	screen := plain(m)
	mustContain(t, screen,
		"✓ line 1: added "+fresh+"; fetched",
		"✓ line 3: token → added "+f.sb.CheckID(6)+"; fetched",
		"✓ line 4: already tracked "+existing,
		"✗ line 5: token → refused: Caisson refused the exchange token",
		// A repeated line is one input, as add says: the token is not
		// exchanged twice.
		"✓ line 6: token → already tracked "+f.sb.CheckID(6)+" (repeats line 3)",
		"added 2 of 5 lines, 1 refused")
	exchanges := 0
	for _, r := range f.sb.Requests() {
		if r.Method == "POST" {
			exchanges++
		}
	}
	if exchanges != 2 {
		t.Errorf("%d exchange requests, want 2 (the token once, the unknown token once)", exchanges)
	}
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

// unboxed is a screen's text with the dialog's borders taken off and the
// lines joined, so that a wrapped sentence reads whole.
func unboxed(screen string) string {
	var words []string
	for _, l := range strings.Split(screen, "\n") {
		l = strings.Trim(strings.TrimSpace(l), "│")
		if l = strings.TrimSpace(l); l != "" {
			words = append(words, l)
		}
	}
	return strings.Join(words, " ")
}

func TestAddSkipsCommentLinesAsAddDashDoes(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("A")...)
	pump(t, m, paste("# today's checks, from the branch\n"+f.sb.CheckID(1)+"   # the Tuesday batch\n   # one more comment\n\n"))
	screen := plain(m)
	mustContain(t, screen, "1 valid")
	mustNotContain(t, screen, "invalid", "✗ line")
	pump(t, m, keys("ctrl+s")...)
	mustContain(t, plain(m), "✓ line 2: added "+f.sb.CheckID(1), "added 1 of 1 lines")
}

// An id cut short when copied is refused as you type, with the form that
// was expected, whole (wrapped, not cut), and nothing is added.
func TestAddRefusesAShortIDWithTheExpectedForm(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20})
	for _, tc := range []struct{ line, says string }{
		{"chk_xchg_abc", "✗ line 1: exchange token has only 3 characters after the prefix, so it was probably cut when copied: " +
			"expected chk_priv_ (a check id) or chk_xchg_ (an exchange token) followed by 22 or more URL-safe base64 characters (A-Z a-z 0-9 - _)"},
		{"chk_priv_a", "✗ line 1: check id has only 1 characters after the prefix"},
	} {
		m := newTestModel(t, f.config(), 80, 24)
		pump(t, m, keys("A")...)
		pump(t, m, paste(tc.line))
		screen := plain(m)
		mustContain(t, screen, "0 valid", "✗ 1 invalid")
		mustContain(t, unboxed(screen), tc.says)
		pump(t, m, keys("ctrl+s")...)
		if n, _ := f.st.Count(context.Background(), store.PageQuery{Queue: store.QueueAll}); n != 0 {
			t.Fatalf("%s: %d checks stored", tc.line, n)
		}
	}
}

// A token whose exchange failed for a reason that may pass (here the API
// key refused) is not refused: it is kept, the dialog says until when and
// how it will finish, whole, and a later try finishes it.
func TestAddShowsAKeptTokenAsNotExchangedYetAndUntilWhen(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20})
	wrong, err := caisson.NewAPIKey("not-the-sandbox-key")
	if err != nil {
		t.Fatal(err)
	}
	refused, err := caisson.NewClient(f.base, wrong, caisson.WithRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.config()
	cfg.Service = f.service(refused)
	m := newTestModel(t, cfg, 80, 24)
	token := f.sb.NewToken(4)
	pump(t, m, keys("A")...)
	pump(t, m, paste(token))
	pump(t, m, keys("ctrl+s")...)
	screen := plain(m)
	if strings.Contains(screen, "pgup/pgdn scroll") {
		t.Errorf("one result does not fit an add dialog at 80x24:\n%s", screen)
	}
	mustContain(t, unboxed(screen), "… line 1: token → not exchanged yet: Caisson refused the API key",
		"The token is kept: the next add, exchange or refresh that reaches Caisson tries it again and tracks its check id; "+
			"after 2026-11-26 11:35:00 +01:00 it can no longer work and is dropped")
	mustContain(t, lastLines(screen, 2), "added 0 of 1 lines, 1 not exchanged yet (kept to retry)")
	mustNotContain(t, screen, "→ refused")

	// What the words promise: the next add that reaches Caisson finishes
	// the kept token, as the command line's does (the console's add once
	// left it to the command line, and it expired).
	m = newTestModel(t, f.config(), 120, 40)
	pump(t, m, keys("A")...)
	pump(t, m, paste(f.sb.NewToken(5)))
	pump(t, m, keys("ctrl+s")...)
	mustContain(t, unboxed(plain(m)), "✓ a kept token: finished the exchange of a token kept since 2026-11-26 09:30:00 +01:00: added "+f.sb.CheckID(4),
		"✓ line 1: token → added "+f.sb.CheckID(5))
	mustContain(t, lastLines(plain(m), 2), "added 1 of 1 lines")
	for _, id := range []string{f.sb.CheckID(4), f.sb.CheckID(5)} {
		if rec := record(t, f.st, id); rec.Source != store.SourceExchanged {
			t.Errorf("%s: source %q, want exchanged", id, rec.Source)
		}
	}
}

// Results longer than the dialog scroll with pgup/pgdn, and say so.
func TestAddResultsLongerThanTheDialogScroll(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 40})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("A")...)
	pump(t, m, paste(strings.Join(f.sb.CheckIDs(12), "\n")))
	pump(t, m, keys("ctrl+s")...)
	mustContain(t, plain(m), "pgup/pgdn scroll", "✓ line 1: added")
	mustNotContain(t, plain(m), "✓ line 12: added")
	for range 4 {
		pump(t, m, keys("pgdown")...)
	}
	mustContain(t, plain(m), "✓ line 12: added")
	mustNotContain(t, plain(m), "✓ line 1: added")
}

// Adding with a refused key still adds (it is the store's), but fetches
// stop at the first refusal and none is stored as a failed fetch.
func TestAddWithARefusedKeyAddsEveryCheckAndStopsFetchingAtTheFirstRefusal(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 0})
	cfg := f.config()
	cfg.Service = f.service(refusedKeyClient(t, f))
	m := newTestModel(t, cfg, 120, 40)
	ids := f.sb.CheckIDs(3)
	f.sb.ResetRequests()
	pump(t, m, keys("A")...)
	pump(t, m, paste(strings.Join(ids, "\n")))
	pump(t, m, keys("ctrl+s")...)

	mustContain(t, plain(m),
		"✓ line 1: added "+ids[0]+"; not fetched: Caisson refused the API key",
		"✓ line 2: added "+ids[1]+"; not fetched: Caisson refused the API key",
		"✓ line 3: added "+ids[2]+"; not fetched: Caisson refused the API key")
	if n := len(f.sb.Requests()); n != 1 {
		t.Errorf("the sandbox saw %d requests, want 1: none after the key was refused", n)
	}
	for _, id := range ids {
		if rec := record(t, f.st, id); rec.Outcome != store.OutcomeNone {
			t.Errorf("%s: outcome %q, want never fetched", id, rec.Outcome)
		}
	}
}

// Ids typed in rather than pasted (a terminal or link without bracketed
// paste sends a paste as keys) keep their line breaks past the text
// area's default of 99 lines: the 100th id was run into the 99th, and the
// two read as one long id.
func TestAddKeepsEveryTypedLineBreakPastNinetyNine(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 120, track: 0})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("A")...)
	// The first 98 pasted, to be quick; the rest typed, across the 99th.
	var first []string
	for i := range 98 {
		first = append(first, f.sb.CheckID(i))
	}
	pump(t, m, paste(strings.Join(first, "\n")+"\n"))
	var typed []any
	for i := 98; i < 105; i++ {
		for _, r := range f.sb.CheckID(i) {
			typed = append(typed, keyMsg(string(r)))
		}
		typed = append(typed, keyMsg("enter"))
	}
	d := &driver{tb: t, m: m}
	for _, k := range typed {
		d.send(k)
	}
	d.settle()
	screen := plain(m)
	mustContain(t, screen, "105 valid")
	mustNotContain(t, screen, "invalid")
	pump(t, m, keys("ctrl+s")...)
	if n, _ := f.st.Count(context.Background(), store.PageQuery{Queue: store.QueueAll}); n != 105 {
		t.Fatalf("%d checks stored from 105 typed lines", n)
	}
}

// Past the text area's own limit, lines are cut or run together: the
// dialog says so and adds nothing until there are fewer.
func TestAddRefusesMoreLinesThanTheDialogHolds(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 0})
	m := newTestModel(t, f.config(), 80, 24)
	pump(t, m, keys("A")...)
	pump(t, m, paste(strings.Repeat(f.sb.CheckID(1)+"\n", maxAddLines+5)))
	mustContain(t, plain(m), "invalid", "at most 10000 lines", "add -")
	pump(t, m, keys("ctrl+s")...)
	if n, _ := f.st.Count(context.Background(), store.PageQuery{Queue: store.QueueAll}); n != 0 {
		t.Fatalf("%d checks stored from a paste past the dialog's limit", n)
	}
}
