package sandbox

import (
	"fmt"
	"strings"
)

// ExampleKind is the kind of answer an example check id shows.
type ExampleKind int

const (
	// ExampleRisky: a result with a confidence below high.
	ExampleRisky ExampleKind = iota + 1
	// ExampleExpired: both confidences high, but the document expired;
	// only the dates tell.
	ExampleExpired
	// ExamplePassed: both confidences high and the document in date.
	ExamplePassed
	// ExamplePendingReview: GET answers PENDING_REVIEW.
	ExamplePendingReview
	// ExampleNotVerified: GET answers NOT_VERIFIED.
	ExampleNotVerified
	// ExampleFailure: GET always answers IDCHECK_EXPIRED.
	ExampleFailure
)

// Example is a check id chosen to show one kind of answer, and that
// answer in a few words.
type Example struct {
	Kind ExampleKind
	ID   string
	What string
}

// exampleScan bounds the search for examples: every kind of regular check
// sits in the first hundred (see the table in dataset.go).
const exampleScan = 100

// Examples returns one check id per kind of answer, in the order of the
// kinds, for a person trying the program: what to add first to see each
// queue fill. A kind the data set is too small to hold is answered by an
// id that always gives that answer (ErrorCheckID), or left out when there
// is none (a result).
func (s *Server) Examples() []Example {
	found := map[ExampleKind]Example{}
	for i := range min(s.n, exampleScan) {
		kind, what := s.classify(i)
		if _, ok := found[kind]; !ok {
			found[kind] = Example{Kind: kind, ID: s.CheckID(i), What: what}
		}
	}
	for kind, code := range map[ExampleKind]string{ExamplePendingReview: codePendingReview, ExampleNotVerified: codeNotVerified} {
		if _, ok := found[kind]; !ok {
			found[kind] = Example{Kind: kind, ID: s.ErrorCheckID(code), What: waitingWords[code]}
		}
	}
	found[ExampleFailure] = Example{Kind: ExampleFailure, ID: s.ErrorCheckID(codeIDCheckExpired),
		What: "answers IDCHECK_EXPIRED: Caisson no longer keeps the result, a failure"}
	var out []Example
	for kind := ExampleRisky; kind <= ExampleFailure; kind++ {
		if e, ok := found[kind]; ok {
			out = append(out, e)
		}
	}
	return out
}

var waitingWords = map[string]string{
	codePendingReview: "answers PENDING_REVIEW: Caisson's own reviewers have it",
	codeNotVerified:   "answers NOT_VERIFIED: the person has not finished the check",
}

// classify says which kind of answer check i gives, in words.
func (s *Server) classify(i int) (ExampleKind, string) {
	if code := outcomeOf(i); code != "" {
		if code == codePendingReview {
			return ExamplePendingReview, waitingWords[code]
		}
		return ExampleNotVerified, waitingWords[code]
	}
	rec := s.generate(i)
	doc, face := strings.ToLower(rec.document), strings.ToLower(rec.face)
	exp := rec.expiresOn
	today := s.now()
	expired := fmt.Sprintf("%04d-%02d-%02d", exp.year, int(exp.month), exp.day) < today.Format("2006-01-02")
	switch {
	case doc != "high" || face != "high":
		return ExampleRisky, fmt.Sprintf("a result: document confidence %s, face %s", doc, face)
	case expired:
		return ExampleExpired, fmt.Sprintf("a result: both confidences high, but the document expired on %04d-%02d-%02d",
			exp.year, int(exp.month), exp.day)
	}
	return ExamplePassed, "a result: both confidences high, the document in date (passed)"
}
