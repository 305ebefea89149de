package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// statsFixture is a small team's week, every figure computable by hand
// (the expectations below). The clock ends at testNow, Sunday 15 March
// 2026 12:00 UTC, whose week starts Monday 9 March.
//   - 12 March 12:00: A (low/high, reasons 201 306), B (medium/medium,
//     201), C (high/high) and D (high/low, 306 301) fetched; A, B, D wait.
//   - 13 March 12:00: ana approves A, bob rejects B (face-mismatch): each
//     waited a day.
//   - 14 March 00:00: E (low/low, 201) fetched: it still waits.
//   - 14 March 12:00: ana escalates D (needs-senior-review), two days;
//     bob approves C, which never waited.
func statsFixture(t *testing.T) (*Store, *clock) {
	t.Helper()
	s, c := newStore(t)
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	c.Set(day(12, 12))
	addFetched(t, s, result{id: checkID(1), customer: "A", doc: "low", face: "high", reasons: []int{201, 306}})
	addFetched(t, s, result{id: checkID(2), customer: "B", doc: "medium", face: "medium", reasons: []int{201}})
	addFetched(t, s, result{id: checkID(3), customer: "C", doc: "high", face: "high"})
	addFetched(t, s, result{id: checkID(4), customer: "D", doc: "high", face: "low", reasons: []int{306, 301}})
	decideAt(t, s, c, day(13, 12), DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "ana"})
	decideAt(t, s, c, day(13, 12), DecisionRequest{CheckID: checkID(2), Action: Reject, Reason: ReasonFaceMismatch, Reviewer: "bob"})
	c.Set(day(14, 0))
	addFetched(t, s, result{id: checkID(5), customer: "E", doc: "low", face: "low", reasons: []int{201}})
	decideAt(t, s, c, day(14, 12), DecisionRequest{CheckID: checkID(4), Action: Escalate, Reason: ReasonNeedsSeniorReview, Reviewer: "ana"})
	decideAt(t, s, c, day(14, 12), DecisionRequest{CheckID: checkID(3), Action: Approve, Reviewer: "bob"})
	c.Set(testNow)
	return s, c
}

func TestStatsAgainstAHandComputedWeek(t *testing.T) {
	s, _ := statsFixture(t)
	st, err := s.Stats(context.Background(), StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the period is the last 30 days from midnight", func(t *testing.T) {
		if want := time.Date(2026, 2, 13, 0, 0, 0, 0, time.UTC); !st.Since.Equal(want) || !st.Now.Equal(testNow) {
			t.Errorf("Since %s, Now %s; expected %s, %s", st.Since, st.Now, want, testNow)
		}
	})
	t.Run("queue sizes now", func(t *testing.T) {
		want := map[Queue]int{QueueNeedsReview: 1, QueueApproved: 2, QueueRejected: 1, QueueEscalated: 1, QueueAll: 5, CountOverdue: 0}
		for q, n := range want {
			if st.Counts[q] != n {
				t.Errorf("%s = %d, expected %d", q, st.Counts[q], n)
			}
		}
	})
	t.Run("the backlog at the end of each of 30 days", func(t *testing.T) {
		if len(st.Backlog) != BacklogDays || st.Backlog[0].Day != "2026-02-14" || st.Backlog[29].Day != "2026-03-15" {
			t.Fatalf("backlog days %v; expected 30 from 2026-02-14 to 2026-03-15", st.Backlog)
		}
		want := map[string]int{"2026-03-11": 0, "2026-03-12": 3, "2026-03-13": 1, "2026-03-14": 1, "2026-03-15": 1}
		for _, d := range st.Backlog {
			if n, ok := want[d.Day]; ok && d.N != n || !ok && d.N != 0 {
				t.Errorf("backlog on %s = %d, expected %d", d.Day, d.N, want[d.Day])
			}
		}
	})
	t.Run("decisions per reviewer per day by action", func(t *testing.T) {
		want := []ReviewerDay{
			{"2026-03-13", "ana", Approve, 1}, {"2026-03-13", "bob", Reject, 1},
			{"2026-03-14", "ana", Escalate, 1}, {"2026-03-14", "bob", Approve, 1},
		}
		if !reflect.DeepEqual(st.Decisions, want) {
			t.Errorf("decisions = %v\nexpected %v", st.Decisions, want)
		}
	})
	t.Run("median and 90th percentile wait per week", func(t *testing.T) {
		want := []WeekWaits{{Week: "2026-03-09", Decided: 3, Median: 24 * time.Hour, P90: 48 * time.Hour}}
		if !reflect.DeepEqual(st.Waits, want) {
			t.Errorf("waits = %v, expected %v", st.Waits, want)
		}
	})
	t.Run("Caisson's reason codes among checks that needed review", func(t *testing.T) {
		want := []CodeCount{{201, 3}, {306, 2}, {301, 1}}
		if !reflect.DeepEqual(st.ReasonCodes, want) {
			t.Errorf("reason codes = %v, expected %v", st.ReasonCodes, want)
		}
	})
	t.Run("the reasons of rejections and escalations", func(t *testing.T) {
		want := []ReasonCount{{Escalate, ReasonNeedsSeniorReview, 1}, {Reject, ReasonFaceMismatch, 1}}
		if !reflect.DeepEqual(st.DecisionReasons, want) {
			t.Errorf("decision reasons = %v, expected %v", st.DecisionReasons, want)
		}
	})
	t.Run("outcome by confidence combination, riskiest first", func(t *testing.T) {
		L, M, H := caisson.Low, caisson.Medium, caisson.High
		want := []ConfidenceOutcome{
			{Document: L, Face: H, Approved: 1}, {Document: H, Face: L, Escalated: 1},
			{Document: M, Face: M, Rejected: 1}, {Document: H, Face: H, Approved: 1},
		}
		if !reflect.DeepEqual(st.Outcomes, want) {
			t.Errorf("outcomes = %v\nexpected %v", st.Outcomes, want)
		}
	})
}

func TestStatsSinceNarrowsThePeriodFigures(t *testing.T) {
	s, _ := statsFixture(t)
	ctx := context.Background()
	st, err := s.Stats(ctx, StatsQuery{Since: time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	// Since 14 March: D escalated and C approved; E became reviewable.
	// Waits are per whole week: the week of the 14th holds all three.
	if len(st.Waits) != 1 || st.Waits[0].Decided != 3 || st.Waits[0].Week != "2026-03-09" {
		t.Errorf("waits since the 14th = %v; expected the whole week of the 9th", st.Waits)
	}
	next, err := s.Stats(ctx, StatsQuery{Since: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)})
	if err == nil {
		t.Errorf("stats since tomorrow = %+v; expected an error", next)
	}
	if want := []CodeCount{{201, 1}}; !reflect.DeepEqual(st.ReasonCodes, want) {
		t.Errorf("reason codes since the 14th = %v, expected %v", st.ReasonCodes, want)
	}
	if len(st.Outcomes) != 2 || len(st.DecisionReasons) != 1 {
		t.Errorf("since the 14th: outcomes %v, reasons %v; expected D and C, D's reason", st.Outcomes, st.DecisionReasons)
	}
	if len(st.Decisions) != 4 || len(st.Backlog) != BacklogDays {
		t.Errorf("the fixed windows moved with since: %d decisions, %d days", len(st.Decisions), len(st.Backlog))
	}
	if _, err := s.Stats(ctx, StatsQuery{Since: testNow.Add(time.Hour)}); err == nil {
		t.Error("stats since a time after now were read; expected an error")
	}
}
