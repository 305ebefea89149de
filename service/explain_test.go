package service

import (
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// The console, show and list explain a stored outcome in one set of
// words: the client's for an API error, as it said them live.
func TestExplainOutcomeGivesTheClientsSentence(t *testing.T) {
	tests := []struct {
		name string
		row  store.Row
		want string
	}{
		{"a result needs no explanation", store.Row{Outcome: store.OutcomeOK}, ""},
		{"never fetched is the front end's to say", store.Row{Outcome: store.OutcomeNone}, ""},
		{"waiting at Caisson", store.Row{Outcome: store.FetchOutcome(caisson.CodePendingReview)},
			caisson.Explain(&caisson.APIError{Code: caisson.CodePendingReview})},
		{"deleted at Caisson", store.Row{Outcome: store.FetchOutcome(caisson.CodeIDCheckDeleted)},
			caisson.Explain(&caisson.APIError{Code: caisson.CodeIDCheckDeleted})},
		{"a code this program does not know keeps Caisson's message", store.Row{Outcome: "NEW_CODE", FetchError: "something new"},
			"Caisson answered with an error this program does not know (NEW_CODE): something new"},
		{"the network", store.Row{Outcome: store.OutcomeTransport, FetchError: "dial tcp 127.0.0.1:1: connection refused"},
			"could not fetch it from Caisson: dial tcp 127.0.0.1:1: connection refused"},
		{"the network, no text kept", store.Row{Outcome: store.OutcomeTransport}, "could not fetch it from Caisson"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExplainOutcome(tc.row); got != tc.want {
				t.Errorf("\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFinalOutcomeIsDeletedOrExpiredOnly(t *testing.T) {
	for o, want := range map[store.FetchOutcome]bool{
		store.FetchOutcome(caisson.CodeIDCheckDeleted): true,
		store.FetchOutcome(caisson.CodeIDCheckExpired): true,
		store.FetchOutcome(caisson.CodePendingReview):  false,
		store.FetchOutcome(caisson.CodeInternalError):  false,
		store.OutcomeTransport:                         false,
		store.OutcomeOK:                                false,
	} {
		if got := FinalOutcome(o); got != want {
			t.Errorf("FinalOutcome(%s) = %v, want %v", o, got, want)
		}
	}
}
