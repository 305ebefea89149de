package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// record reads one check's row as the store has it now.
func rowOf(t *testing.T, s *Store, id string) Row {
	t.Helper()
	rec, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Row
}

func decideAt(t *testing.T, s *Store, c *clock, at time.Time, r DecisionRequest) {
	t.Helper()
	c.Set(at)
	if r.Note == "" {
		r.Note = "because"
	}
	if r.Reviewer == "" {
		r.Reviewer = "tester"
	}
	if _, err := s.DecideAs(context.Background(), r); err != nil {
		t.Fatalf("%s %s at %s: %v", r.Action, r.CheckID, at.Format(time.TimeOnly), err)
	}
}

func TestWaitingRunsFromReviewableToTheFinalDecision(t *testing.T) {
	t0 := testNow
	h := time.Hour
	tests := []struct {
		name string
		// steps run at t0 plus their hour; the check is fetched at t0.
		risky  bool
		mode   FourEyes
		steps  func(t *testing.T, ana, bob *Store, c *clock, id string)
		at     time.Duration // when Waited is read
		waited time.Duration
		ok     bool
		open   bool
	}{
		{name: "a risky check waits from its first fetch until decided", risky: true, at: 9 * h, waited: 3 * h, ok: true,
			steps: func(t *testing.T, ana, _ *Store, c *clock, id string) {
				decideAt(t, ana, c, t0.Add(3*h), DecisionRequest{CheckID: id, Action: Approve})
			}},
		{name: "an undecided risky check has waited until now", risky: true, at: 5 * h, waited: 5 * h, ok: true, open: true,
			steps: func(*testing.T, *Store, *Store, *clock, string) {}},
		{name: "a refresh with the same result does not restart the wait", risky: true, at: 5 * h, waited: 5 * h, ok: true, open: true,
			steps: func(t *testing.T, ana, _ *Store, c *clock, id string) {
				c.Set(t0.Add(2 * h))
				refetch(t, ana, id, "medium")
			}},
		{name: "a passed check never waits", risky: false, at: 5 * h, ok: false, open: true,
			steps: func(*testing.T, *Store, *Store, *clock, string) {}},
		{name: "across a second review: proposed, returned, proposed again, confirmed, from the first fetch",
			risky: true, mode: FourEyesRisky, at: 9 * h, waited: 4 * h, ok: true,
			steps: func(t *testing.T, ana, bob *Store, c *clock, id string) {
				decideAt(t, ana, c, t0.Add(1*h), DecisionRequest{CheckID: id, Action: Approve})
				decideAt(t, bob, c, t0.Add(2*h), DecisionRequest{CheckID: id, Action: Return, Note: "look again"})
				decideAt(t, ana, c, t0.Add(3*h), DecisionRequest{CheckID: id, Action: Approve})
				decideAt(t, bob, c, t0.Add(4*h), DecisionRequest{CheckID: id, Action: Confirm})
			}},
		{name: "still waiting while a proposal awaits a second reviewer", risky: true, mode: FourEyesRisky, at: 6 * h, waited: 6 * h, ok: true, open: true,
			steps: func(t *testing.T, ana, _ *Store, c *clock, id string) {
				decideAt(t, ana, c, t0.Add(1*h), DecisionRequest{CheckID: id, Action: Approve})
			}},
		{name: "a passed check returned from second review waits from its return",
			risky: false, mode: FourEyesApprovals, at: 9 * h, waited: 3 * h, ok: true,
			steps: func(t *testing.T, ana, bob *Store, c *clock, id string) {
				decideAt(t, ana, c, t0.Add(1*h), DecisionRequest{CheckID: id, Action: Approve})
				decideAt(t, bob, c, t0.Add(2*h), DecisionRequest{CheckID: id, Action: Return, Note: "look again"})
				decideAt(t, ana, c, t0.Add(5*h), DecisionRequest{CheckID: id, Action: Reject, Note: "fake"})
			}},
		{name: "a reopened check waits again from the reopen", risky: true, at: 9 * h, waited: 2 * h, ok: true, open: true,
			steps: func(t *testing.T, ana, _ *Store, c *clock, id string) {
				decideAt(t, ana, c, t0.Add(1*h), DecisionRequest{CheckID: id, Action: Escalate})
				decideAt(t, ana, c, t0.Add(7*h), DecisionRequest{CheckID: id, Action: Reopen})
			}},
		{name: "a refresh that Caisson now passes ends the wait without a decision", risky: true, at: 9 * h, ok: false, open: true,
			steps: func(t *testing.T, ana, _ *Store, c *clock, id string) {
				c.Set(t0.Add(2 * h))
				refetch(t, ana, id, "high")
			}},
		{name: "Caisson taking the result back (PENDING_REVIEW) ends the wait", risky: true, at: 9 * h, ok: false, open: true,
			steps: func(t *testing.T, ana, _ *Store, c *clock, id string) {
				c.Set(t0.Add(2 * h))
				if err := ana.RecordFetch(context.Background(), id, nil, &caisson.APIError{Code: caisson.CodePendingReview}, ana.now()); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "a proposal voided by a refresh that passes the check ends the wait", risky: true, mode: FourEyesRisky, at: 9 * h, ok: false, open: true,
			steps: func(t *testing.T, ana, _ *Store, c *clock, id string) {
				decideAt(t, ana, c, t0.Add(1*h), DecisionRequest{CheckID: id, Action: Approve})
				c.Set(t0.Add(2 * h))
				refetch(t, ana, id, "high")
			}},
		{name: "a purge of its personal data ends the wait", risky: true, at: 9 * h, ok: false, open: true,
			steps: func(t *testing.T, ana, _ *Store, c *clock, id string) {
				if _, err := ana.Purge(context.Background(), time.Hour, t0.Add(2*h)); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "and one that makes it risky again starts a new wait", risky: true, at: 9 * h, waited: 5 * h, ok: true, open: true,
			steps: func(t *testing.T, ana, _ *Store, c *clock, id string) {
				c.Set(t0.Add(2 * h))
				refetch(t, ana, id, "high")
				c.Set(t0.Add(4 * h))
				refetch(t, ana, id, "low")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := testLocation(t)
			c := &clock{t: t0}
			ana := openIdentified(t, path, c, anaID)
			bob := openIdentified(t, path, c, bobID)
			id := checkID(1)
			doc := "high"
			if tc.risky {
				doc = "medium"
			}
			addFetched(t, ana, result{id: id, customer: "c1", doc: doc, face: "high"})
			if tc.mode != "" {
				if _, err := ana.SetFourEyes(context.Background(), PolicyChange{FourEyes: tc.mode, Note: "team", Reviewer: "Ana"}); err != nil {
					t.Fatal(err)
				}
			}
			tc.steps(t, ana, bob, c, id)
			c.Set(t0.Add(tc.at))
			r := rowOf(t, ana, id)
			waited, ok := r.Waited(c.Now())
			if ok != tc.ok || waited != tc.waited {
				t.Errorf("Waited = %s, %v; expected %s, %v (reviewable %s, decided %s)", waited, ok, tc.waited, tc.ok, r.ReviewableAt, r.DecidedAt)
			}
			if r.AwaitsDecision() != (tc.open && tc.ok) {
				t.Errorf("AwaitsDecision() = %v, expected %v", r.AwaitsDecision(), tc.open && tc.ok)
			}
			mustVerify(t, ana)
		})
	}
}

// refetch records a new fetch of id with the document confidence doc.
func refetch(t *testing.T, s *Store, id, doc string) {
	t.Helper()
	if err := s.RecordFetch(context.Background(), id, makeCheck(t, result{id: id, customer: "c1", doc: doc, face: "high"}), nil, s.now()); err != nil {
		t.Fatal(err)
	}
}

func TestParseSLA(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"24h", 24 * time.Hour, false},
		{"36H", 36 * time.Hour, false},
		{"2d", 48 * time.Hour, false},
		{"off", 0, false},
		{"365d", MaxSLA, false},
		{"366d", 0, true},
		{"0h", 0, true},
		{"-3h", 0, true},
		{"1.5h", 0, true},
		{"90m", 0, true},
		{"24", 0, true},
		{"", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseSLA(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSLA(%q) = %s, %v; expected %s, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !strings.Contains(err.Error(), "expected hours or days") {
			t.Errorf("ParseSLA(%q)'s error %q does not say what is expected", tc.in, err)
		}
	}
}

func TestSLAIsAPolicyEntryOfTheLog(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	if p, err := s.Policy(ctx); err != nil || p.SLA != 0 {
		t.Fatalf("a new database's SLA = %s, %v; expected none", p.SLA, err)
	}
	if _, err := s.SetSLA(ctx, SLAChange{SLA: 24 * time.Hour, Reviewer: "Ana"}); err == nil {
		t.Error("an SLA change without a note was accepted")
	}
	c.Advance(time.Minute)
	d, err := s.SetSLA(ctx, SLAChange{SLA: 24 * time.Hour, Note: "contract with the bank", Reviewer: "Ana"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != PolicyEntry || d.Reason != "sla" || d.OldValue != "off" || d.NewValue != "24h" || d.Note != "contract with the bank" {
		t.Errorf("the entry = %+v; expected a policy entry sla off -> 24h with the note", d)
	}
	if _, err := s.SetSLA(ctx, SLAChange{SLA: 24 * time.Hour, Note: "again", Reviewer: "Ana"}); err == nil || !strings.Contains(err.Error(), "already 24h") {
		t.Errorf("setting the same SLA again = %v; expected a refusal", err)
	}
	p, err := s.Policy(ctx)
	if err != nil || p.SLA != 24*time.Hour || p.SLASet.Seq != d.Seq || p.FourEyes != FourEyesOff {
		t.Errorf("Policy = %+v, %v; expected the 24h SLA set by #%d, four-eyes untouched", p, err, d.Seq)
	}
	mustVerify(t, s)
}

// The SLA's boundary, one second either side, read by Counts, Count and a
// page of overdue checks, with and without a write in between (which
// brings the kept count forward).
func TestOverdueIsPastTheSLAToTheSecond(t *testing.T) {
	for _, write := range []bool{false, true} {
		t.Run(fmt.Sprintf("a write just before reading: %v", write), func(t *testing.T) {
			s, c := newStore(t)
			ctx := context.Background()
			t0 := c.Now()
			addFetched(t, s, result{id: checkID(1), customer: "c1", doc: "low", face: "high"})
			c.Advance(time.Hour)
			addFetched(t, s, result{id: checkID(2), customer: "c2", doc: "low", face: "high"})
			if _, err := s.SetSLA(ctx, SLAChange{SLA: 24 * time.Hour, Note: "contract", Reviewer: "Ana"}); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				at   time.Duration
				want []string
			}{
				{24*time.Hour - time.Second, nil},
				{24 * time.Hour, nil},
				{24*time.Hour + time.Second, []string{checkID(1)}},
				{25*time.Hour - time.Second, []string{checkID(1)}},
				{25*time.Hour + time.Second, []string{checkID(1), checkID(2)}},
				{24*time.Hour + time.Second, []string{checkID(1)}}, // the clock set back
				{time.Hour, nil},
			} {
				c.Set(t0.Add(tc.at))
				if write {
					if _, err := s.Add(ctx, checkID(100+int(tc.at/time.Second)%1000), "x", SourceTyped); err != nil {
						t.Fatal(err)
					}
				}
				assertOverdue(t, s, tc.want, fmt.Sprintf("at t0+%s", tc.at))
			}
		})
	}
}

func assertOverdue(t *testing.T, s *Store, want []string, when string) {
	t.Helper()
	ctx := context.Background()
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Page(ctx, PageQuery{Queue: QueueAll, Overdue: true, Sort: SortWaiting, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Count(ctx, PageQuery{Queue: QueueAll, Overdue: true})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(ids(rows), " ")
	if got != strings.Join(want, " ") || counts[CountOverdue] != len(want) || n != len(want) {
		t.Errorf("%s: overdue count %d, Count %d, list [%s]; expected %d: [%s]", when, counts[CountOverdue], n, got, len(want), strings.Join(want, " "))
	}
	p, err := s.Policy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if !r.Overdue(s.now(), p.SLA) {
			t.Errorf("%s: %s is listed overdue but Row.Overdue says it is not", when, r.CheckID)
		}
	}
}

// Many checks, decisions, SLA changes and a clock that jumps both ways:
// the kept count always equals a count by the definition and the list.
func TestOverdueCountMatchesTheListAndItsDefinition(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 1; i <= 120; i++ {
		c.Advance(time.Duration(rng.IntN(90)) * time.Minute)
		doc := []string{"low", "medium", "high"}[rng.IntN(3)]
		addFetched(t, s, result{id: checkID(i), customer: fmt.Sprint("c", i), doc: doc, face: "high"})
	}
	slas := []time.Duration{24 * time.Hour, 6 * time.Hour, 48 * time.Hour, 0, 12 * time.Hour}
	for step := range 60 {
		switch rng.IntN(5) {
		case 0:
			sla := slas[rng.IntN(len(slas))]
			_, _ = s.SetSLA(ctx, SLAChange{SLA: sla, Note: "change", Reviewer: "Ana"}) // the same SLA again is refused
		case 1:
			c.Advance(-time.Duration(rng.IntN(20)) * time.Hour)
		case 2:
			id := checkID(1 + rng.IntN(120))
			a := []Action{Approve, Reject, Escalate, Reopen}[rng.IntN(4)]
			_, _ = s.DecideAs(ctx, DecisionRequest{CheckID: id, Action: a, Note: "n", Reviewer: "r"}) // a reopen of an open check is refused
		case 3:
			refetch(t, s, checkID(1+rng.IntN(120)), []string{"low", "high"}[rng.IntN(2)])
		}
		c.Advance(time.Duration(rng.IntN(600)) * time.Minute)
		p, err := s.Policy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var want int
		cutoff := c.Now().Add(-p.SLA).UnixNano()
		if err := s.db.QueryRow("SELECT count(*) FROM checks WHERE status = 'open' AND reviewable_at > 0 AND reviewable_at < ? AND CAST(? AS BIGINT) > 0",
			cutoff, int64(p.SLA)).Scan(&want); err != nil {
			t.Fatal(err)
		}
		rows, err := s.Page(ctx, PageQuery{Queue: QueueAll, Overdue: true, Sort: SortWaiting, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		counts, err := s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[CountOverdue] != want || len(rows) != want {
			t.Fatalf("step %d (SLA %s): overdue count %d, list %d; the definition selects %d", step, p.SLA, counts[CountOverdue], len(rows), want)
		}
		assertCountsByDefinition(t, s)
	}
}

func TestSortByWaitingPutsTheLongestWaitFirst(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	// 1 and 3 risky, fetched an hour apart; 2 passed; 4 risky, decided
	// after 5 hours; 5 risky, decided after 1 hour; 6 only added.
	addFetched(t, s, result{id: checkID(4), customer: "c4", doc: "low", face: "high"})
	c.Advance(time.Hour)
	addFetched(t, s, result{id: checkID(1), customer: "c1", doc: "low", face: "high"})
	addFetched(t, s, result{id: checkID(5), customer: "c5", doc: "low", face: "high"})
	addFetched(t, s, result{id: checkID(2), customer: "c2", doc: "high", face: "high"})
	c.Advance(time.Hour)
	addFetched(t, s, result{id: checkID(3), customer: "c3", doc: "medium", face: "high"})
	if _, err := s.Add(ctx, checkID(6), "x", SourceTyped); err != nil {
		t.Fatal(err)
	}
	decideAt(t, s, c, testNow.Add(5*time.Hour), DecisionRequest{CheckID: checkID(4), Action: Reject})
	decideAt(t, s, c, testNow.Add(2*time.Hour), DecisionRequest{CheckID: checkID(5), Action: Approve})
	for _, tc := range []struct {
		queue Queue
		want  []int
	}{
		{QueueNeedsReview, []int{1, 3}},
		{QueueAll, []int{1, 3, 4, 5, 2, 6}},
		{QueueApproved, []int{5}},
	} {
		rows, err := s.Page(ctx, PageQuery{Queue: tc.queue, Sort: SortWaiting})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, i := range tc.want {
			want = append(want, checkID(i))
		}
		if got := ids(rows); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s by waiting = %v; expected %v", tc.queue, got, want)
		}
		// Next walks the same order.
		var walked []string
		for id := ""; ; {
			next, ok, err := s.Next(ctx, PageQuery{Queue: tc.queue, Sort: SortWaiting}, id)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			walked, id = append(walked, next), next
		}
		if strings.Join(walked, " ") != strings.Join(want, " ") {
			t.Errorf("%s walked by Next = %v; expected %v", tc.queue, walked, want)
		}
	}
	if sort, err := ParseSort("waiting"); err != nil || sort != SortWaiting {
		t.Errorf(`ParseSort("waiting") = %v, %v`, sort, err)
	}
}
