package store

import (
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// PastTense is the action as a done thing: "approved", "reopened".
func (a Action) PastTense() string {
	switch a {
	case Approve:
		return "approved"
	case Reject:
		return "rejected"
	case Escalate:
		return "escalated"
	case Reopen:
		return "reopened"
	case Propose:
		return "proposed"
	case Confirm:
		return "confirmed"
	case Return:
		return "returned"
	case Void:
		return "voided"
	case PolicyEntry:
		return "changed the policy"
	}
	return string(a)
}

// ChangesNothing reports whether decision a would leave the check of row
// as it is (approving an approved check, reopening an open one), which
// Decide refuses with ErrAlreadyDecided: the rule a front end reads to say
// so before it asks for a note (helper-59: the console asked for one, then
// said the decision was not saved). Confirm and return answer a proposal.
func ChangesNothing(a Action, row Row) bool {
	return a != Confirm && a != Return && row.Proposal == 0 && statusAfter(a) == row.Status
}

// ApprovalRisks lists what makes approving a check risky enough that the
// reviewer must confirm it, in words: a confidence that is low or unknown
// (never fetched counts as unknown), or a document expired by now's
// calendar day, whatever reason codes Caisson sent. The console and the CLI
// both ask in exactly these cases. result may be nil; when it is not, its
// expiry is the one checked.
func ApprovalRisks(row Row, result *caisson.Check, now time.Time) []string {
	var risks []string
	doc, face, expires := row.Document, row.Face, row.ExpiresOn
	if result != nil {
		doc, face, expires = result.Confidence.Document, result.Confidence.Face, result.Info.ExpiresOn
	}
	if doc <= caisson.Low {
		risks = append(risks, "document confidence is "+doc.String())
	}
	if face <= caisson.Low {
		risks = append(risks, "face confidence is "+face.String())
	}
	if !expires.IsZero() && expires.Before(now) {
		risks = append(risks, "the document expired on "+expires.String())
	}
	if row.Purged && result == nil {
		// The purge dropped the expiry with the rest of the personal data:
		// what can no longer be checked must not pass unasked.
		risks = append(risks, "its personal data was purged, so the document's expiry cannot be checked")
	}
	return risks
}
