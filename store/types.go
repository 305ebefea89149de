package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// Source says how a check id came to be tracked.
type Source string

const (
	SourceTyped     Source = "typed"
	SourceImported  Source = "imported"
	SourceExchanged Source = "exchanged"
)

// Action is a reviewer's decision on a check.
type Action string

const (
	Approve  Action = "approve"
	Reject   Action = "reject"
	Escalate Action = "escalate"
	// Reopen undoes a final decision: the check goes back to its queue.
	Reopen Action = "reopen"

	// Confirm makes a proposal take effect: a second reviewer's decision.
	Confirm Action = "confirm"
	// Return sends a proposal back: the check returns to its queue.
	Return Action = "return"

	// The entries below are written by the store, never asked for.

	// Propose stages a decision (Decision.Proposes) that the four-eyes
	// policy says a second reviewer must confirm.
	Propose Action = "propose"
	// Void closes a proposal that no longer awaits a second reviewer;
	// Decision.Reason says why (VoidResponseChanged, …).
	Void Action = "void"
	// PolicyEntry records a change of policy: Decision.Reason names the
	// setting, OldValue and NewValue its values, Note why.
	PolicyEntry Action = "policy"
)

// ParseAction reads the name of an action a reviewer asks for (approve,
// reject, escalate, reopen, confirm, return); anything else is an error
// that lists them.
func ParseAction(s string) (Action, error) { return parseAction(s) }

// NeedsNote reports whether the action must carry a note (reject and
// escalate must say why, and so must a second reviewer returning a
// proposal).
func (a Action) NeedsNote() bool { return a == Reject || a == Escalate || a == Return }

// Status is a check's review status, derived from its latest decision.
type Status string

const (
	StatusOpen      Status = "open" // no decision, or reopened
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusEscalated Status = "escalated"
)

// Queue is one of the console's tabs; the CLI uses the same names.
type Queue string

const (
	QueueNeedsReview Queue = "needs-review"
	// QueuePending is "Waiting at Caisson": Caisson has no result for the
	// check yet (PENDING_REVIEW, NOT_VERIFIED). Also read as "waiting".
	QueuePending   Queue = "pending"
	QueueEscalated Queue = "escalated"
	QueueApproved  Queue = "approved"
	QueueRejected  Queue = "rejected"
	QueueErrors    Queue = "errors"
	QueueAll       Queue = "all"
	// QueueSecondReview holds the checks whose decision awaits a second
	// reviewer (four-eyes). A proposed check is in no other decision queue.
	QueueSecondReview Queue = "second-review"
)

// Queues lists the console's tabs in order. QueueSecondReview is not among
// them yet (the console adds its tab); Counts and ParseQueue know it.
var Queues = []Queue{QueueNeedsReview, QueuePending, QueueEscalated, QueueApproved, QueueRejected, QueueErrors, QueueAll}

// ParseQueue reads a queue name; anything else is an error that lists them.
func ParseQueue(s string) (Queue, error) { return parseQueue(s) }

// Sort orders a page of a queue.
type Sort int

const (
	// SortRisk: lowest confidence first (unknown below low), then the
	// oldest checked_on. The default, and what triage wants.
	SortRisk     Sort = iota
	SortAdded         // most recently added first
	SortName          // last name, first name
	SortCustomer      // customer_id
	// SortWaiting: longest waiting first. Checks still waiting for a
	// decision, the oldest start first; then decided checks by how long
	// they waited; then those never reviewable, in the order added.
	SortWaiting
)

// SortNames are the sorts by name, in the order of their values (and of
// the console's s): risk, added, name, customer, waiting.
var SortNames = []string{"risk", "added", "name", "customer", "waiting"}

// ParseSort reads a sort's name; anything else is an error that lists them.
func ParseSort(s string) (Sort, error) {
	for i, n := range SortNames {
		if n == s {
			return Sort(i), nil
		}
	}
	return 0, fmt.Errorf("sort %q: expected one of %s", s, strings.Join(SortNames, ", "))
}

// Counts is the number of checks in every queue, and under CountOverdue
// the number of checks waiting past the SLA (sla.go).
type Counts map[Queue]int

// CountOverdue is the key of Counts that holds the overdue checks: no
// queue (ParseQueue refuses it), a view across needs review and second
// review that PageQuery.Overdue lists.
const CountOverdue Queue = "overdue"

// FetchOutcome is the result of the last fetch: OutcomeOK, a documented API
// error code (IDCHECK_DELETED, PENDING_REVIEW, …), or OutcomeTransport.
type FetchOutcome string

const (
	OutcomeNone      FetchOutcome = ""          // never fetched
	OutcomeOK        FetchOutcome = "ok"        // a result is cached
	OutcomeTransport FetchOutcome = "transport" // network, HTTP or body error; see FetchError
)

// NotReady reports whether the outcome is Caisson saying it has no result
// for now (PENDING_REVIEW, NOT_VERIFIED): a normal outcome, not a failure.
func (o FetchOutcome) NotReady() bool {
	c := caisson.ErrorCode(o)
	return c == caisson.CodePendingReview || c == caisson.CodeNotVerified
}

// Row is one check as a queue list shows it: only the columns, never the
// raw response or the personal data beyond the name.
type Row struct {
	CheckID     string
	CustomerID  string
	FirstName   string
	LastName    string
	Document    caisson.Level
	Face        caisson.Level
	ReasonCodes []int
	ExpiresOn   caisson.Date
	CheckedOn   time.Time // zero when never fetched
	AddedAt     time.Time
	Status      Status
	Outcome     FetchOutcome
	FetchError  string // the error text when Outcome is not ok
	FetchedAt   time.Time
	Purged      bool
	// Proposal is the seq of the proposal awaiting a second reviewer, 0
	// when none: the check is then in QueueSecondReview.
	Proposal int64
	// ReviewableAt is when the check became reviewable (zero: it is not
	// waiting for a reviewer and never was since its last decision);
	// DecidedAt is its final decision's time (zero while undecided).
	ReviewableAt time.Time
	DecidedAt    time.Time
}

// ShowsPersonalData reports whether the row holds anything of the
// person's: a never fetched or purged check holds none, and showing it
// is no access to record.
func (r Row) ShowsPersonalData() bool {
	return r.CustomerID != "" || r.FirstName != "" || r.LastName != "" || !r.ExpiresOn.IsZero()
}

// ShowsPersonalData reports whether the record holds anything of the
// person's: its row's, a cached result, or a decision's note (free text
// a reviewer wrote about the person, kept when a purge empties the rest).
func (r *Record) ShowsPersonalData() bool {
	if r.Result != nil || r.Row.ShowsPersonalData() {
		return true
	}
	for _, d := range r.Decisions {
		if strings.TrimSpace(d.Note) != "" {
			return true
		}
	}
	return r.Proposal != nil && strings.TrimSpace(r.Proposal.Note) != ""
}

// Record is one check in full: its row, the cached result (nil when never
// fetched successfully or purged), how it was added, and its decisions,
// oldest first.
type Record struct {
	Row
	Result     *caisson.Check
	AddedBy    string
	Source     Source
	PurgedAt   time.Time // zero unless personal data was purged
	ResultHash string    // hex SHA-256 of the cached raw response
	Decisions  []Decision
	// Proposal is the entry awaiting a second reviewer (one of
	// Decisions), nil when none.
	Proposal *Decision
}

// Decision is one entry of the append-only decision log.
type Decision struct {
	Seq      int64 // position in the log, from 1
	CheckID  string
	Action   Action
	Note     string
	Reviewer string
	At       time.Time // UTC
	// ResponseHash is the hex SHA-256 of the raw response the reviewer was
	// looking at ("" when there was none).
	ResponseHash string
	PrevHash     string // the Hash of the entry before (""for the first)
	Hash         string // hex SHA-256 over this entry's fields and PrevHash
	// Stale is true when the cached response has changed since the
	// decision was made (computed on read, not stored).
	Stale bool

	// HashVersion says which fields Hash covers: 1 for entries made
	// before reasons and identities (schema version 6), 2 since.
	HashVersion int
	// Identity is who vouched for the reviewer (Identity.String): the
	// operating-system account or the SSH key. "" for version 1 entries.
	Identity string
	// Reason is a reject or escalate reason code, a void's cause, or the
	// setting a policy entry changed; "" for version 1 entries.
	Reason Reason
	// Finality is a reject's final or retry.
	Finality Finality
	// Proposes is the action a Propose or Confirm entry is about.
	Proposes Action
	// Ref is the proposal a Confirm, Return or Void entry closes.
	Ref int64
	// OldValue and NewValue are a policy entry's.
	OldValue, NewValue string

	// LogHead is the log's head when the write that appended this entry
	// committed, set by the writes that append more after it (a policy
	// change: turning four-eyes off voids the proposals after its own
	// entry). Not part of the entry; zero when not set, and then the
	// entry's own Head is the log's.
	LogHead Head
}

// PageQuery selects a page of a queue.
type PageQuery struct {
	Queue Queue
	Sort  Sort
	// Filter is a case-insensitive substring of customer_id, first or
	// last name, or the start of a check_id with or without chk_priv_
	// (from two characters; the prefix in any case, the rest exactly, as
	// caisson.CheckIDStart reads it); "" matches everything.
	Filter   string
	Customer string // only this customer_id when not ""
	// CustomerStart matches every customer_id that starts with Customer
	// (byte for byte) instead of only the one equal to it.
	CustomerStart bool
	// Overdue keeps only the checks waiting past the SLA (none when
	// there is no SLA), as Counts' CountOverdue counts them.
	Overdue bool
	Offset  int
	Limit   int
}

// VerifyResult is what Verify found in the decision log's hash chain.
type VerifyResult struct {
	Entries int64
	OK      bool
	// BrokenAt is the Seq of the first entry whose hash or link does not
	// hold; Problem says what is wrong with it.
	BrokenAt int64
	Problem  string
	// Head is the newest entry the walk found (zero for an empty log).
	Head Head
	// MissingHeads says, for each head given to Verify that the log no
	// longer holds, what became of it.
	MissingHeads []string
	// Unguarded says what is wrong with the triggers that keep the log
	// append-only: dropped, changed, or joined by one we did not ship.
	Unguarded []string
	// Schema says what is wrong with the database's other triggers (on
	// SQLite): one missing, changed, or one caisson-review did not ship,
	// which could write into the logs as its table changes.
	Schema []string
	// Access is the access log's chain, walked as the decision log's.
	Access AccessVerified
}

// AccessVerified is what Verify found of the access log's chain
// (migration 19): Records in all, Unchained of them made before it (the
// first records, with no hash). BrokenAt is the id of the first record
// whose hash or link does not hold, Problem what is wrong with it; Head
// is the newest record's hash ("" for none chained).
type AccessVerified struct {
	Records, Unchained int64
	BrokenAt           int64
	Problem            string
	Head               Head // ID:HASH of the newest chained record
	// MissingHeads says, for each access head given (VerifyKept) that the
	// log no longer holds, what became of it.
	MissingHeads []string
}

func parseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case Approve, Reject, Escalate, Reopen, Confirm, Return:
		return a, nil
	}
	return "", fmt.Errorf("decision %q: expected approve, reject, escalate or reopen, or confirm or return (a proposal awaiting a second reviewer)", s)
}

func parseQueue(s string) (Queue, error) {
	for _, q := range Queues {
		if string(q) == s {
			return q, nil
		}
	}
	// The console calls pending "Waiting at Caisson"; both names work.
	if s == "waiting" {
		return QueuePending, nil
	}
	if Queue(s) == QueueSecondReview {
		return QueueSecondReview, nil
	}
	return "", fmt.Errorf("queue %q: expected one of needs-review, pending (or waiting), second-review, escalated, approved, rejected, errors, all", s)
}
