package store

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
)

// decisionQueues are the queues a reviewer works through; a check is in
// at most one of them. Errors and all are views across them.
var decisionQueues = []Queue{QueueNeedsReview, QueuePending, QueueEscalated, QueueApproved, QueueRejected}

// A step in a check's life: a fetch's answer or a decision.
type step struct {
	result *result // a result fetched
	code   caisson.ErrorCode
	failed bool // a transport failure
	action Action
}

func applySteps(t *testing.T, s *Store, id string, steps []step) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Add(ctx, id, "rev", SourceTyped); err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		var err error
		switch {
		case st.result != nil:
			r := *st.result
			r.id = id
			err = s.RecordFetch(ctx, id, makeCheck(t, r), nil, testNow)
		case st.code != "":
			err = s.RecordFetch(ctx, id, nil, &caisson.APIError{Code: st.code}, testNow)
		case st.failed:
			err = s.RecordFetch(ctx, id, nil, errors.New("connection reset"), testNow)
		case st.action != "":
			_, err = s.Decide(ctx, id, st.action, "because", "rev")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestEveryCheckIsInAtMostOneDecisionQueue(t *testing.T) {
	risky := &result{customer: "c", first: "A", last: "B", doc: "low", face: "high"}
	passed := &result{customer: "c", first: "A", last: "B", doc: "high", face: "high"}
	pending, notVerified := step{code: caisson.CodePendingReview}, step{code: caisson.CodeNotVerified}
	tests := []struct {
		name     string
		steps    []step
		queue    Queue // "" for none of the decision queues
		inErrors bool
	}{
		{"a check only added is in none", nil, "", false},
		{"a risky result needs review", []step{{result: risky}}, QueueNeedsReview, false},
		{"a passed result is in none", []step{{result: passed}}, "", false},
		{"PENDING_REVIEW waits at Caisson", []step{pending}, QueuePending, false},
		{"NOT_VERIFIED waits at Caisson, it is not an error", []step{notVerified}, QueuePending, false},
		{"a risky result that Caisson takes back waits", []step{{result: risky}, pending}, QueuePending, false},
		{"a passed result that Caisson takes back waits", []step{{result: passed}, notVerified}, QueuePending, false},
		{"a risky result whose refresh failed still needs review, and is an error", []step{{result: risky}, {failed: true}}, QueueNeedsReview, true},
		{"an expired check is an error only", []step{{code: caisson.CodeIDCheckExpired}}, "", true},
		{"an internal error is an error only", []step{{code: caisson.CodeInternalError}}, "", true},
		{"an approved check that then answers PENDING_REVIEW is approved only", []step{{result: passed}, {action: Approve}, pending}, QueueApproved, false},
		{"a PENDING_REVIEW check a reviewer approved is approved only", []step{pending, {action: Approve}}, QueueApproved, false},
		{"an escalated NOT_VERIFIED check is escalated only", []step{notVerified, {action: Escalate}}, QueueEscalated, false},
		{"a rejected PENDING_REVIEW check is rejected only", []step{pending, {action: Reject}}, QueueRejected, false},
		{"reopened, it waits at Caisson again", []step{pending, {action: Approve}, {action: Reopen}}, QueuePending, false},
	}
	s, _ := newStore(t)
	ctx := context.Background()
	for i, tt := range tests {
		applySteps(t, s, checkID(i+1), tt.steps)
	}
	member := map[Queue][]string{}
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(slices.Clone(decisionQueues), QueueErrors) {
		rows, err := s.Page(ctx, PageQuery{Queue: q, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		member[q] = ids(rows)
		if counts[q] != len(rows) {
			t.Errorf("Counts[%s] = %d, but the queue lists %d", q, counts[q], len(rows))
		}
		for _, r := range rows {
			if _, waiting := Waiting(r); waiting != (q == QueuePending) && q != QueueErrors {
				t.Errorf("%s is in %s but Waiting says %v", r.CheckID, q, waiting)
			}
		}
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := checkID(i + 1)
			var in []Queue
			for _, q := range decisionQueues {
				if slices.Contains(member[q], id) {
					in = append(in, q)
				}
			}
			var want []Queue
			if tt.queue != "" {
				want = []Queue{tt.queue}
			}
			if !slices.Equal(in, want) {
				t.Errorf("in the decision queues %v, want %v", in, want)
			}
			if got := slices.Contains(member[QueueErrors], id); got != tt.inErrors {
				t.Errorf("in errors: %v, want %v", got, tt.inErrors)
			}
		})
	}
}

func TestWaitingSaysWhy(t *testing.T) {
	tests := []struct {
		name string
		row  Row
		want string
	}{
		{"pending review", Row{Status: StatusOpen, Outcome: FetchOutcome(caisson.CodePendingReview)}, "Caisson's reviewers have it (PENDING_REVIEW)"},
		{"not verified", Row{Status: StatusOpen, Outcome: FetchOutcome(caisson.CodeNotVerified)}, "the person has not finished the check (NOT_VERIFIED)"},
		{"decided checks do not wait", Row{Status: StatusApproved, Outcome: FetchOutcome(caisson.CodePendingReview)}, ""},
		{"a failure is not waiting", Row{Status: StatusOpen, Outcome: FetchOutcome(caisson.CodeInternalError)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why, ok := Waiting(tt.row)
			if why != tt.want || ok != (tt.want != "") {
				t.Errorf("Waiting = %q, %v; want %q", why, ok, tt.want)
			}
		})
	}
}

func TestOnlyPendingReviewAndNotVerifiedAreNotReady(t *testing.T) {
	for _, o := range []FetchOutcome{OutcomeNone, OutcomeOK, OutcomeTransport, FetchOutcome(caisson.CodeInternalError),
		FetchOutcome(caisson.CodeIDCheckExpired), FetchOutcome(caisson.CodePendingReview), FetchOutcome(caisson.CodeNotVerified)} {
		want := o == FetchOutcome(caisson.CodePendingReview) || o == FetchOutcome(caisson.CodeNotVerified)
		if o.NotReady() != want {
			t.Errorf("%q.NotReady() = %v, want %v", o, o.NotReady(), want)
		}
	}
}

func TestParseQueueTakesWaitingForPending(t *testing.T) {
	for in, want := range map[string]Queue{"pending": QueuePending, "waiting": QueuePending, "errors": QueueErrors} {
		if got, err := ParseQueue(in); err != nil || got != want {
			t.Errorf("ParseQueue(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseQueue("later"); err == nil {
		t.Error("an unknown queue was accepted")
	}
}

// A database written by version 4, where NOT_VERIFIED was an error and a
// decided PENDING_REVIEW check was in pending too, has every check in its
// new queue once opened.
func TestUpgradeFromVersion4ReclassifiesWaitingChecks(t *testing.T) {
	sqliteOnly(t, "an SQLite file of schema version 4")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	path := testLocation(t)
	db := rawDB(t, path)
	for _, m := range ms[:4] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := db.Exec("PRAGMA user_version = 4"); err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		update  string
		was, is []Queue
	}{
		{"outcome = 'NOT_VERIFIED'", []Queue{QueueErrors}, []Queue{QueuePending}},
		{"outcome = 'PENDING_REVIEW'", []Queue{QueuePending}, []Queue{QueuePending}},
		{"outcome = 'PENDING_REVIEW', status = 'approved'", []Queue{QueuePending, QueueApproved}, []Queue{QueueApproved}},
		{"outcome = 'NOT_VERIFIED', status = 'rejected'", []Queue{QueueRejected, QueueErrors}, []Queue{QueueRejected}},
		{"outcome = 'NOT_VERIFIED', cached = 1, document = 1, face = 3", []Queue{QueueNeedsReview, QueueErrors}, []Queue{QueuePending}},
		{"outcome = 'INTERNAL_ERROR', cached = 1, document = 1, face = 3", []Queue{QueueNeedsReview, QueueErrors}, []Queue{QueueNeedsReview, QueueErrors}},
		{"outcome = 'transport'", []Queue{QueueErrors}, []Queue{QueueErrors}},
	}
	for i, r := range rows {
		id := checkID(i + 1)
		if _, err := db.Exec("INSERT INTO tracked (check_id, added_at, added_by, source) VALUES (?, ?, 'old', 'typed')", id, i); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO checks (id, check_id, added_at, added_by, source)
			SELECT id, check_id, added_at, added_by, source FROM tracked WHERE check_id = ?`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE checks SET "+r.update+" WHERE check_id = ?", id); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := openAt(t, path, &clock{t: testNow})
	ctx := context.Background()
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string][]Queue{}
	for _, q := range append(slices.Clone(decisionQueues), QueueErrors) {
		page, err := s.Page(ctx, PageQuery{Queue: q, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if counts[q] != len(page) {
			t.Errorf("Counts[%s] = %d, the queue lists %d", q, counts[q], len(page))
		}
		for _, r := range page {
			in[r.CheckID] = append(in[r.CheckID], q)
		}
	}
	for i, r := range rows {
		if got := in[checkID(i+1)]; !slices.Equal(got, r.is) {
			t.Errorf("%s (in %v before): in %v after the upgrade, want %v", r.update, r.was, got, r.is)
		}
	}
}
