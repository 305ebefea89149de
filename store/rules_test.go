package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

func TestApprovalRisks(t *testing.T) {
	now := time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC)
	today := caisson.Date{Year: 2026, Month: 11, Day: 26}
	yesterday := caisson.Date{Year: 2026, Month: 11, Day: 25}
	tests := []struct {
		name   string
		row    Row
		result *caisson.Check
		want   []string
	}{
		{"both high and valid is not risky", Row{Document: caisson.High, Face: caisson.High, ExpiresOn: today}, nil, nil},
		{"medium confidences are not risky", Row{Document: caisson.Medium, Face: caisson.Medium}, nil, nil},
		{"a low document confidence is", Row{Document: caisson.Low, Face: caisson.High}, nil, []string{"document confidence is low"}},
		{"a never-fetched check has unknown confidences", Row{}, nil, []string{"document confidence is unknown", "face confidence is unknown"}},
		{"a document that expired yesterday is, with no reason code", Row{Document: caisson.High, Face: caisson.High, ExpiresOn: yesterday}, nil,
			[]string{"the document expired on 2026-11-25"}},
		{"a purged check is, its expiry being gone", Row{Document: caisson.High, Face: caisson.High, Purged: true}, nil,
			[]string{"its personal data was purged, so the document's expiry cannot be checked"}},
		{"the cached result's levels and expiry win over the row's", Row{Document: caisson.High, Face: caisson.High},
			&caisson.Check{Confidence: caisson.Confidence{Document: caisson.High, Face: caisson.Low}, Info: caisson.Info{ExpiresOn: yesterday}},
			[]string{"face confidence is low", "the document expired on 2026-11-25"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ApprovalRisks(tt.row, tt.result, now); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPastTense(t *testing.T) {
	for a, want := range map[Action]string{Approve: "approved", Reject: "rejected", Escalate: "escalated", Reopen: "reopened",
		Propose: "proposed", Confirm: "confirmed", Return: "returned", Void: "voided", PolicyEntry: "changed the policy"} {
		if got := a.PastTense(); got != want {
			t.Errorf("%s: got %q, want %q", a, got, want)
		}
	}
}
