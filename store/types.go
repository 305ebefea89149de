package store

import (
	"fmt"
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
)

// ParseAction reads an action name; anything else is an error that lists
// the four.
func ParseAction(s string) (Action, error) { return parseAction(s) }

// NeedsNote reports whether the action must carry a note (reject and
// escalate must say why).
func (a Action) NeedsNote() bool { return a == Reject || a == Escalate }

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
)

// Queues lists every queue in tab order.
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
)

// Counts is the number of checks in every queue.
type Counts map[Queue]int

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
	Offset        int
	Limit         int
}

// VerifyResult is what Verify found in the decision log's hash chain.
type VerifyResult struct {
	Entries int64
	OK      bool
	// BrokenAt is the Seq of the first entry whose hash or link does not
	// hold; Problem says what is wrong with it.
	BrokenAt int64
	Problem  string
}

func parseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case Approve, Reject, Escalate, Reopen:
		return a, nil
	}
	return "", fmt.Errorf("decision %q: expected approve, reject, escalate or reopen", s)
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
	return "", fmt.Errorf("queue %q: expected one of needs-review, pending (or waiting), escalated, approved, rejected, errors, all", s)
}
