package service

import (
	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// ExplainOutcome is the stored outcome of a check's last fetch as the
// sentence the client gave for it live, so a reviewer reads the same words
// in the console, show and list whenever it happened: "" for a result or
// a check never fetched (each front end says those in its own terms). The
// text may hold what Caisson sent: sanitize it before a terminal.
func ExplainOutcome(r store.Row) string {
	switch r.Outcome {
	case store.OutcomeOK, store.OutcomeNone:
		return ""
	case store.OutcomeTransport:
		// Stored as text (an unreadable answer as its status and kind,
		// never the body): the error's own type, which the live
		// explanation reads, is gone.
		if r.FetchError == "" {
			return "could not fetch it from Caisson"
		}
		return "could not fetch it from Caisson: " + r.FetchError
	}
	return caisson.Explain(&caisson.APIError{Code: caisson.ErrorCode(r.Outcome), Message: r.FetchError})
}
