package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/caisson-review/caisson-review/caisson"
)

// Reason is a code from a fixed catalogue saying why a check was rejected
// or escalated, so decisions can be counted and defended; the note says
// the rest. Stored as the code, never as translated text.
type Reason string

const (
	ReasonDocumentAltered    Reason = "document-altered"
	ReasonDocumentUnreadable Reason = "document-unreadable"
	ReasonDocumentExpired    Reason = "document-expired"
	ReasonFaceMismatch       Reason = "face-mismatch"
	ReasonNoLiveFace         Reason = "no-live-face"
	ReasonDataMismatch       Reason = "data-mismatch"
	ReasonUnderage           Reason = "underage"
	ReasonSuspectedFraud     Reason = "suspected-fraud"
	ReasonDuplicateIdentity  Reason = "duplicate-identity"
	ReasonOther              Reason = "other"

	ReasonNeedsSeniorReview    Reason = "needs-senior-review"
	ReasonNeedsCustomerContact Reason = "needs-customer-contact"
	ReasonNeedsMoreDocuments   Reason = "needs-more-documents"
)

// RejectReasons and EscalateReasons are the catalogues, in the order a
// picker lists them.
var (
	RejectReasons = []Reason{ReasonDocumentAltered, ReasonDocumentUnreadable, ReasonDocumentExpired, ReasonFaceMismatch,
		ReasonNoLiveFace, ReasonDataMismatch, ReasonUnderage, ReasonSuspectedFraud, ReasonDuplicateIdentity, ReasonOther}
	EscalateReasons = []Reason{ReasonNeedsSeniorReview, ReasonNeedsCustomerContact, ReasonNeedsMoreDocuments, ReasonOther}
)

// Finality says whether a rejected person may verify again.
type Finality string

const (
	// Final: the person may not retry.
	Final Finality = "final"
	// Retry: ask the customer to verify again.
	Retry Finality = "retry"
)

// ReasonsFor is the catalogue of action, nil for an action that takes no
// reason (approve, reopen).
func ReasonsFor(a Action) []Reason {
	switch a {
	case Reject:
		return RejectReasons
	case Escalate:
		return EscalateReasons
	}
	return nil
}

// ParseReason reads a reason code for action; anything else is an error
// that lists the valid ones.
func ParseReason(a Action, s string) (Reason, error) {
	valid := ReasonsFor(a)
	if valid == nil {
		return "", fmt.Errorf("%s takes no reason: only reject and escalate do", a)
	}
	if slices.Contains(valid, Reason(s)) {
		return Reason(s), nil
	}
	return "", fmt.Errorf("%s reason %q: expected one of %s", a, s, reasonList(valid))
}

func reasonList(rs []Reason) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// ParseFinality reads final or retry.
func ParseFinality(s string) (Finality, error) {
	switch f := Finality(s); f {
	case Final, Retry:
		return f, nil
	}
	return "", fmt.Errorf("finality %q: expected final (the person may not retry) or retry (ask them to verify again)", s)
}

// normalizeReason applies the reason rules to a decision: reject and
// escalate carry a reason from their catalogue (other when none is
// given, as a script written before reasons gives none), other needs a
// note, a reject is final unless it says retry; nothing else carries
// either.
func normalizeReason(a Action, r Reason, f Finality, note string) (Reason, Finality, error) {
	valid := ReasonsFor(a)
	if valid == nil {
		if r != "" || f != "" {
			return "", "", fmt.Errorf("%s takes no reason and no finality: only reject and escalate do; nothing was recorded", a)
		}
		return "", "", nil
	}
	if r == "" {
		r = ReasonOther
	}
	if _, err := ParseReason(a, string(r)); err != nil {
		return "", "", fmt.Errorf("%w: nothing was recorded", err)
	}
	if r == ReasonOther && note == "" {
		return "", "", fmt.Errorf("%s for reason other needs a note saying why: nothing was recorded", a)
	}
	switch {
	case a != Reject && f != "":
		return "", "", fmt.Errorf("%s takes no finality: only a reject is final or retry; nothing was recorded", a)
	case a == Reject && f == "":
		f = Final
	case a == Reject:
		if _, err := ParseFinality(string(f)); err != nil {
			return "", "", fmt.Errorf("%w: nothing was recorded", err)
		}
	}
	return r, f, nil
}

// SuggestReasons is the catalogue of action with the reasons the check's
// Caisson reason codes point to first, most likely first, then the rest in
// catalogue order. It only orders: a picker shows the list and the
// reviewer chooses; nothing is chosen for them. expired is whether the
// document had expired (ApprovalRisks' rule), which a reason code may not
// say.
func SuggestReasons(a Action, codes []int, expired bool) []Reason {
	catalogue := ReasonsFor(a)
	if catalogue == nil {
		return nil
	}
	out := LikelyReasons(a, codes, expired)
	for _, r := range catalogue {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// LikelyReasons are the reasons of action the check's Caisson reason
// codes (and an expired document) point to, most likely first: the head
// of SuggestReasons, which a picker marks as suggested.
func LikelyReasons(a Action, codes []int, expired bool) []Reason {
	catalogue := ReasonsFor(a)
	var likely []Reason
	add := func(r Reason) {
		if slices.Contains(catalogue, r) && !slices.Contains(likely, r) {
			likely = append(likely, r)
		}
	}
	if a == Reject {
		if expired {
			add(ReasonDocumentExpired)
		}
		for _, code := range codes {
			for _, r := range reasonsForCode(code) {
				add(r)
			}
		}
	}
	if a == Escalate && len(codes) > 0 {
		add(ReasonNeedsSeniorReview)
	}
	return likely
}

// reasonsForCode maps a Caisson reason code to the reject reasons it
// suggests, most likely first.
func reasonsForCode(code int) []Reason {
	switch code {
	case 308:
		return []Reason{ReasonDocumentExpired}
	case 305, 401:
		return []Reason{ReasonDocumentAltered}
	case 303, 304, 306, 307, 309, 399, 402, 499, 301, 302:
		return []Reason{ReasonDocumentUnreadable}
	}
	switch caisson.DescribeReason(caisson.Reason{Code: code}).Group {
	case caisson.GroupSelfie:
		// 2xx: the selfie did not show a face matching the document,
		// or no live face at all.
		return []Reason{ReasonFaceMismatch, ReasonNoLiveFace}
	case caisson.GroupDataMismatch:
		return []Reason{ReasonDataMismatch}
	}
	return nil
}
