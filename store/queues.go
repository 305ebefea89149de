package store

import (
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// queuePredicate is the SQL condition for a queue over checks aliased c,
// with the arguments it needs. The decision queues (needs review,
// pending, escalated, approved, rejected) never share a check; errors and
// all are views across them. The definitions:
//   - needs review: a result is cached, the check has no decision that
//     takes it out of triage (status open), Caisson's last answer does
//     not say it has no result for now (that is pending), and either
//     confidence is below high or the document expired before today. A
//     later failed refresh does not hide a risky check: it stays here
//     (and shows in errors).
//   - pending, "waiting at Caisson": open, and Caisson's last answer was
//     PENDING_REVIEW (its own reviewers have it) or NOT_VERIFIED (the
//     person has not finished): normal outcomes, not failures, that a
//     later refresh turns into a result.
//   - escalated, approved, rejected: the status its latest decision set.
//     A reviewer's decision wins over Caisson's answer: once decided, a
//     check is in its decision's queue only, whatever a later refresh
//     says (reopening puts it back).
//   - errors: the last fetch failed: any outcome but never-fetched, ok,
//     PENDING_REVIEW and NOT_VERIFIED, so IDCHECK_EXPIRED,
//     IDCHECK_DELETED, INVALID_INPUT, INTERNAL_ERROR and transport
//     errors, whatever the status: a reviewer triages why Caisson cannot
//     give a result.
//   - all: every tracked check.
func (s *Store) queuePredicate(q Queue) (string, []any, error) {
	// Each condition starts with the WHERE of its queue's partial indexes
	// (0005_waiting_queue.sql), term for term: SQLite uses a partial index
	// only for a query that repeats its condition.
	switch q {
	case QueueNeedsReview, "":
		// Not risk < 3: SQLite reads a generated column from the table,
		// and this condition is checked on every index entry walked.
		return openCond + " AND (c.document < 3 OR c.face < 3 OR (c.expires_on <> '' AND c.expires_on < ?))",
			[]any{s.today()}, nil
	case QueuePending:
		return "c.status = 'open' AND (c.outcome = 'PENDING_REVIEW' OR c.outcome = 'NOT_VERIFIED') AND c.proposal = 0", nil, nil
	case QueueSecondReview:
		return "c.proposal > 0", nil, nil
	case QueueEscalated, QueueApproved, QueueRejected:
		return "c.status <> 'open' AND c.status = ?", []any{string(queueStatus[q])}, nil
	case QueueErrors:
		return "c.outcome <> '' AND c.outcome <> 'ok' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED'", nil, nil
	case QueueAll:
		if s.pg() {
			return allCondPG, nil, nil
		}
		return "1", nil, nil
	}
	_, err := ParseQueue(string(q))
	return "", nil, err
}

// openCond is the WHERE of needs review's indexes: open checks with a
// cached result that Caisson does not say is not ready.
const openCond = "c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0"

// ExpiredOpen reports whether r is an open check, with a result and no
// proposal, whose document had expired by now's day: it is then in needs
// review whatever its two confidences, which may both be high, so the
// console and the CLI say why beside it.
func ExpiredOpen(r Row, now time.Time) bool {
	return r.Status == StatusOpen && r.Proposal == 0 && r.Outcome == OutcomeOK && !r.Purged &&
		!r.ExpiresOn.IsZero() && r.ExpiresOn.Before(now)
}

// Waiting reports whether a check is in the pending queue, waiting at
// Caisson, and why in a few words ("" when it is not): the console and
// the CLI show the reason beside the check.
func Waiting(r Row) (why string, ok bool) {
	if r.Status != StatusOpen || r.Proposal > 0 {
		return "", false
	}
	switch caisson.ErrorCode(r.Outcome) {
	case caisson.CodePendingReview:
		return "Caisson's reviewers have it (PENDING_REVIEW)", true
	case caisson.CodeNotVerified:
		return "the person has not finished the check (NOT_VERIFIED)", true
	}
	return "", false
}

// Passed reports whether Caisson passed a check by needs review's own
// rule (queuePredicate), row by row: a cached result Caisson does not
// call not ready, both confidences high, the document not expired at now.
// Such a check, open and undecided, is in no queue to review but All.
func Passed(r Row, result *caisson.Check, now time.Time) bool {
	return result != nil && !r.Outcome.NotReady() && r.Document == caisson.High && r.Face == caisson.High &&
		(r.ExpiresOn.IsZero() || !r.ExpiresOn.Before(now))
}

var queueStatus = map[Queue]Status{QueueEscalated: StatusEscalated, QueueApproved: StatusApproved, QueueRejected: StatusRejected}

// DecisionQueue is the decision queue (needs review, pending, escalated,
// approved, rejected) r is in by queuePredicate's definitions, its
// proposal left aside, or "" when it is in none of them: an open check
// Caisson passed, never answered, or whose last fetch failed with no
// result kept (Errors shows those). result is r's cached result, nil when
// none. A return's message says with it where the check went back to:
// "back to needs review" was said of checks waiting at Caisson, in
// Errors, or still escalated (helper-61).
func DecisionQueue(r Row, result *caisson.Check, now time.Time) Queue {
	for q, st := range queueStatus {
		if r.Status == st {
			return q
		}
	}
	switch {
	case r.Outcome.NotReady():
		return QueuePending
	case result == nil:
		return ""
	case r.Document < caisson.High || r.Face < caisson.High || (!r.ExpiresOn.IsZero() && r.ExpiresOn.Before(now)):
		return QueueNeedsReview
	}
	return ""
}

// today is the calendar day on the store's clock, as expires_on is stored.
func (s *Store) today() string { return s.now().Format("2006-01-02") }

// walkIndex names the index that pages of queue q sorted by walk:
// checks_<queue>_<sort>, from 0003_queue_indexes.sql. Escalated, approved
// and rejected share one set, ranged by status.
func walkIndex(q Queue, by Sort) string {
	return "checks_" + indexQueue[q] + "_" + indexSort[by]
}

var indexQueue = map[Queue]string{"": "open", QueueNeedsReview: "open", QueuePending: "pending", QueueSecondReview: "second",
	QueueEscalated: "decided", QueueApproved: "decided", QueueRejected: "decided", QueueErrors: "errors", QueueAll: "all"}

var indexSort = map[Sort]string{SortRisk: "risk", SortAdded: "added", SortName: "name", SortCustomer: "customer", SortWaiting: "waiting"}
