package store

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDecideRules(t *testing.T) {
	tests := []struct {
		name       string
		id         string
		action     Action
		note       string
		reviewer   string
		wantErr    string
		wantStatus Status
	}{
		{"approve needs no note", checkID(1), Approve, "", "ana", "", StatusApproved},
		{"reject with a note", checkID(1), Reject, "photo does not match", "ana", "", StatusRejected},
		{"escalate with a note", checkID(1), Escalate, "ask compliance", "ana", "", StatusEscalated},
		{"reopening an open check is refused", checkID(1), Reopen, "", "ana", "nothing to reopen", StatusOpen},
		{"reject without a note is refused", checkID(1), Reject, "  ", "ana", "needs a note", StatusOpen},
		{"escalate without a note is refused", checkID(1), Escalate, "", "ana", "needs a note", StatusOpen},
		{"a note of invisible characters only is no note", checkID(1), Reject, "\u200b\u2060\u00a0", "ana", "needs a note", StatusOpen},
		{"an unknown action is refused", checkID(1), Action("shrug"), "", "ana", "expected approve", StatusOpen},
		{"an untracked check is refused", checkID(2), Approve, "", "ana", "not tracked", StatusOpen},
		{"an invalid id is refused", "chk_priv_!", Approve, "", "ana", "URL-safe", StatusOpen},
		{"a decision needs a reviewer", checkID(1), Approve, "", " ", "reviewer", StatusOpen},
		{"a huge note is refused", checkID(1), Reject, strings.Repeat("x", MaxNote+1), "ana", "at most", StatusOpen},
		{"a note that is not UTF-8 text is refused, naming the byte", checkID(1), Reject, "ok \xff\xfe", "ana", "not valid UTF-8 (byte 4 starts no character)", StatusOpen},
		// PostgreSQL could not hold it, nor then a copy of the log.
		{"a note holding a NUL is refused, naming the byte", checkID(1), Escalate, "see\x00this", "ana", "holds a NUL (byte 4)", StatusOpen},
		// The same for the name the log keeps with the entry, from any
		// caller of the library (the front ends refuse control characters).
		{"a reviewer's name holding a NUL is refused", checkID(1), Approve, "", "an\x00a", "the reviewer's name holds a NUL (byte 3)", StatusOpen},
		{"a reviewer's name that is not UTF-8 is refused", checkID(1), Approve, "", "an\xffa", "the reviewer's name is not valid UTF-8 (byte 3", StatusOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			ctx := context.Background()
			addFetched(t, s, result{id: checkID(1), doc: "low", face: "high"})
			d, err := s.Decide(ctx, tt.id, tt.action, tt.note, tt.reviewer)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Decide: %v, want an error mentioning %q", err, tt.wantErr)
				}
				if v, _ := s.Verify(ctx); v.Entries != 0 {
					t.Errorf("a refused decision left %d entries in the log", v.Entries)
				}
			} else if err != nil {
				t.Fatalf("Decide: %v", err)
			} else if d.Seq != 1 || d.Hash == "" || d.PrevHash != "" || !d.At.Equal(testNow) || d.At.Location() != time.UTC {
				t.Errorf("decision %+v", d)
			}
			rec, err := s.Get(ctx, checkID(1))
			if err != nil {
				t.Fatal(err)
			}
			if rec.Status != tt.wantStatus {
				t.Errorf("status %s, want %s", rec.Status, tt.wantStatus)
			}
		})
	}
}

func TestDecisionsChainAndHistory(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), doc: "low", face: "high", first: "Ana"})
	addFetched(t, s, result{id: checkID(2), doc: "low", face: "low"})
	steps := []struct {
		id   string
		a    Action
		note string
	}{{checkID(1), Escalate, "unsure"}, {checkID(2), Approve, ""}, {checkID(1), Reject, "face mismatch"}}
	var made []Decision
	for _, st := range steps {
		clk.Advance(time.Minute)
		d, err := s.Decide(ctx, st.id, st.a, st.note, "ana")
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, d)
	}
	for i, d := range made {
		if d.Seq != int64(i+1) || (i > 0 && d.PrevHash != made[i-1].Hash) {
			t.Errorf("entry %d: seq %d prev %q, want seq %d linked to the entry before", i, d.Seq, d.PrevHash, i+1)
		}
	}
	var logged []Decision
	if err := s.Decisions(ctx, testNow.Add(90*time.Second), func(d Decision) error { logged = append(logged, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(logged) != 2 || logged[0].Seq != 2 || logged[1].Seq != 3 || logged[1].Hash != made[2].Hash {
		t.Errorf("Decisions since 1m30s: %+v", logged)
	}
	stop := errors.New("stop")
	if err := s.Decisions(ctx, time.Time{}, func(Decision) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Decisions did not return the callback's error: %v", err)
	}

	rec, _ := s.Get(ctx, checkID(1))
	if len(rec.Decisions) != 2 || rec.Decisions[0].Action != Escalate || rec.Decisions[1].Action != Reject {
		t.Fatalf("history of check 1: %+v", rec.Decisions)
	}
	for _, d := range rec.Decisions {
		if d.Stale || d.ResponseHash != rec.ResultHash {
			t.Errorf("decision %d on the current response is marked stale or hashed another response", d.Seq)
		}
	}
	// Caisson's answer changes after the decisions were made.
	addFetched(t, s, result{id: checkID(1), doc: "high", face: "high", first: "Ana"})
	rec, _ = s.Get(ctx, checkID(1))
	for _, d := range rec.Decisions {
		if !d.Stale {
			t.Errorf("decision %d made on an earlier response is not marked stale", d.Seq)
		}
	}
	// The export (Decisions) says the same as Get: check 1's decisions are
	// stale, check 2's is not.
	stale := map[int64]bool{}
	if err := s.Decisions(ctx, time.Time{}, func(d Decision) error { stale[d.Seq] = d.Stale; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := map[int64]bool{1: true, 2: false, 3: true}; !maps.Equal(stale, want) {
		t.Errorf("Decisions marks stale %v, want %v", stale, want)
	}
}

func TestTheLogRefusesUpdateAndDelete(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), doc: "low", face: "high"})
	if _, err := s.Decide(ctx, checkID(1), Reject, "forged", "ana"); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"UPDATE decisions SET note = 'fine'", "DELETE FROM decisions"} {
		if _, err := s.db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want the append-only refusal", stmt, err)
		}
	}
}

func TestTwoStoresDecidingAtOnceBothLand(t *testing.T) {
	location, clk := testLocation(t), &clock{t: testNow}
	s, other := openAt(t, location, clk), openAt(t, location, clk)
	addFetched(t, s, result{id: checkID(1), doc: "low", face: "high"})
	ctx := context.Background()
	const each = 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, st := range []*Store{s, other} {
		wg.Add(1)
		go func(st *Store) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := decideOtherwise(ctx, st, checkID(1), "concurrent", "ana"); err != nil {
					errs <- err
				}
			}
		}(st)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	v, err := s.Verify(ctx)
	if err != nil || !v.OK || v.Entries != 2*each {
		t.Errorf("Verify: %+v %v; want %d entries, chain intact", v, err, 2*each)
	}
}
